#pragma once
// A small pool of worker threads for the executors: a loop over rows split
// into one contiguous range per thread. One thread (the default) runs the
// loop inline and starts no threads at all.

#include <condition_variable>
#include <cstddef>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace mixq::detail {

class thread_pool {
public:
  explicit thread_pool(std::size_t threads = 1) : threads_(threads == 0 ? 1 : threads) {
    for (std::size_t t = 1; t < threads_; ++t) workers_.emplace_back([this, t] { work(t); });
  }
  thread_pool(const thread_pool&) = delete;
  thread_pool& operator=(const thread_pool&) = delete;
  ~thread_pool() {
    {
      std::lock_guard lock(mutex_);
      stop_ = true;
    }
    wake_.notify_all();
    for (auto& w : workers_) w.join();
  }

  std::size_t threads() const noexcept { return threads_; }

  /// Calls f(begin, end) on disjoint ranges covering [0, n), one per thread
  /// (fewer when n is small); returns when all are done. `grain` is the
  /// least number of rows worth a thread.
  void for_rows(std::size_t n, const std::function<void(std::size_t, std::size_t)>& f, std::size_t grain = 1) {
    const std::size_t parts = std::min(threads_, grain ? (n + grain - 1) / grain : n);
    if (parts <= 1) {
      if (n) f(0, n);
      return;
    }
    {
      std::lock_guard lock(mutex_);
      task_ = &f;
      rows_ = n;
      parts_ = parts;
      pending_ = parts - 1;
      error_ = nullptr;
      ++generation_;
    }
    wake_.notify_all();
    std::exception_ptr mine;
    try {
      f(0, n / parts);
    } catch (...) {
      mine = std::current_exception();
    }
    std::unique_lock lock(mutex_);
    done_.wait(lock, [&] { return pending_ == 0; });
    task_ = nullptr;
    if (mine) std::rethrow_exception(mine);
    if (error_) std::rethrow_exception(error_);
  }

private:
  void work(std::size_t index) {
    std::size_t seen = 0;
    for (;;) {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [&] { return stop_ || generation_ != seen; });
      if (stop_) return;
      seen = generation_;
      if (index >= parts_) continue;
      const auto* f = task_;
      const std::size_t begin = rows_ * index / parts_, end = rows_ * (index + 1) / parts_;
      lock.unlock();
      std::exception_ptr e;
      try {
        (*f)(begin, end);
      } catch (...) {
        e = std::current_exception();
      }
      lock.lock();
      if (e && !error_) error_ = e;
      if (--pending_ == 0) done_.notify_one();
    }
  }

  std::size_t threads_;
  std::vector<std::thread> workers_;
  std::mutex mutex_;
  std::condition_variable wake_, done_;
  const std::function<void(std::size_t, std::size_t)>* task_ = nullptr;
  std::size_t rows_ = 0, parts_ = 0, pending_ = 0, generation_ = 0;
  std::exception_ptr error_;
  bool stop_ = false;
};

}  // namespace mixq::detail
