#pragma once
// Thread-local scratch buffers for the kernels: grown on demand and reused
// across calls, so a kernel does not allocate in steady state. Each `Slot`
// is a separate buffer; a call must not hold two pointers to one slot.

#include <cstddef>
#include <vector>

#include <mixq/storage/packed.hpp>

namespace mixq::detail {

template <class T, int Slot>
T* scratch(std::size_t n) {
  thread_local std::vector<T, aligned_allocator<T, 64>> buffer;
  if (buffer.size() < n + 64) buffer.resize(n + 64);
  return buffer.data();
}

}  // namespace mixq::detail
