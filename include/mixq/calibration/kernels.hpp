#pragma once
// SIMD kernels of the observers (xsimd 8.1 generic batch ops, so the same
// code builds for SSE/AVX/AVX-512 and NEON): min/max of a span with a
// non-finite check, element-wise running min/max of rows, and histogram
// accumulation. Each is a functor `operator()(Arch, ...)`, the shape
// xsimd::dispatch expects, for any architecture tag (platform.hpp): xsimd's,
// mixq::avx512vnni (as avx512bw), or mixq::scalar, which runs the scalar
// twins of reference.hpp.

#include <array>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <type_traits>
#include <utility>

#include <mixq/calibration/reference.hpp>
#include <mixq/platform.hpp>

namespace mixq::detail {

// GCC folds a vector load into every instruction that uses it as a memory
// operand; on x86 three loads of each line in flight halve the DRAM
// throughput of the min/max pass (measured on Zen 5). An empty asm that claims
// to change the register keeps it to one load. Other targets have no memory
// operands to fold.
template <class Batch>
inline void keep_in_register(Batch& v) noexcept {
#if (defined(__GNUC__) || defined(__clang__)) && (defined(__x86_64__) || defined(__i386__))
  auto r = v.data;
  __asm__("" : "+v"(r));
  v = Batch(r);
#else
  (void)v;
#endif
}

// xsimd 8.1 divides floats on NEON through a Newton-refined reciprocal
// estimate, which is not correctly rounded (and loses huge divisors to
// flush-to-zero); the torch.histc bin rule needs the IEEE quotient.
template <class Arch>
inline xsimd::batch<float, Arch> divide(const xsimd::batch<float, Arch>& a, const xsimd::batch<float, Arch>& b) noexcept {
#if defined(__aarch64__)
  if constexpr (std::is_same_v<Arch, xsimd::neon64>) return xsimd::batch<float, Arch>(vdivq_f32(a, b));
#endif
  return a / b;
}

/// Min and max of x[0, n) and whether all values are finite. When they are
/// not, lo / hi are meaningless and the caller takes the scalar path.
struct minmax_span_kernel {
  template <class Arch>
  span_range operator()(Arch, const float* x, std::size_t n) const noexcept {
    if constexpr (SimdArch<Arch>) {
      return run<simd_arch_t<Arch>>(x, n);
    } else {
      return mixq::reference::minmax_span(x, n);  // mixq::scalar
    }
  }

private:
  template <class Arch>
  static span_range run(const float* x, std::size_t n) noexcept {
    using batch = xsimd::batch<float, Arch>;
    constexpr std::size_t lanes = batch::size;
    constexpr std::size_t step = 4 * lanes;
    span_range r;
    std::size_t i = 0;
    if (n >= step) {
      std::array<batch, 4> lo, hi;
      lo.fill(batch::load_unaligned(x));
      hi = lo;
      // x * 0 + acc stays 0 while x is finite and turns NaN for good on the
      // first NaN or infinity: one fused op per vector instead of a compare.
      const batch zero(0.0f);
      std::array<batch, 2> check{zero, zero};
      for (; i + step <= n; i += step) {
        for (std::size_t k = 0; k < 4; ++k) {
          batch v = batch::load_unaligned(x + i + k * lanes);
          keep_in_register(v);
          lo[k] = xsimd::min(lo[k], v);
          hi[k] = xsimd::max(hi[k], v);
          check[k & 1] = xsimd::fma(v, zero, check[k & 1]);
        }
      }
      const batch lo_all = xsimd::min(xsimd::min(lo[0], lo[1]), xsimd::min(lo[2], lo[3]));
      const batch hi_all = xsimd::max(xsimd::max(hi[0], hi[1]), xsimd::max(hi[2], hi[3]));
      r.all_finite = xsimd::none(xsimd::isnan(check[0] + check[1]));
      alignas(64) std::array<float, lanes> lo_lanes{}, hi_lanes{};
      lo_all.store_unaligned(lo_lanes.data());
      hi_all.store_unaligned(hi_lanes.data());
      for (std::size_t k = 0; k < lanes; ++k) {
        r.lo = lo_lanes[k] < r.lo ? lo_lanes[k] : r.lo;
        r.hi = hi_lanes[k] > r.hi ? hi_lanes[k] : r.hi;
      }
    }
    const span_range tail = mixq::reference::minmax_span(x + i, n - i);
    r.lo = tail.lo < r.lo ? tail.lo : r.lo;
    r.hi = tail.hi > r.hi ? tail.hi : r.hi;
    r.all_finite = r.all_finite && tail.all_finite;
    return r;
  }
};

/// For each of `rows` rows of n values (row r at x + r * n):
/// lo[i] = min(lo[i], x[i]) and hi[i] = max(hi[i], x[i]). Returns whether all
/// values were finite (if not, lo / hi are meaningless). This is the channel
/// axis last (or nearly): short rows, many of them.
struct minmax_rows_kernel {
  template <class Arch>
  bool operator()(Arch, const float* x, std::size_t rows, std::size_t n, float* lo, float* hi) const noexcept {
    if constexpr (SimdArch<Arch>) {
      return run<simd_arch_t<Arch>>(x, rows, n, lo, hi);
    } else {
      return mixq::reference::minmax_rows(x, rows, n, lo, hi);  // mixq::scalar
    }
  }

private:
  template <class Arch>
  static bool run(const float* x, std::size_t rows, std::size_t n, float* lo, float* hi) noexcept {
    constexpr std::size_t lanes = xsimd::batch<float, Arch>::size;
    // Rows repeat with period lcm(n, lanes) = v vectors; when v is small the
    // whole batch streams through v register accumulators per side.
    std::size_t a = n, b = lanes;
    while (b != 0) a = std::exchange(b, a % b);
    switch (n / a) {
      case 1: return periodic<Arch, 1>(x, rows, n, lo, hi);
      case 2: return periodic<Arch, 2>(x, rows, n, lo, hi);
      case 3: return periodic<Arch, 3>(x, rows, n, lo, hi);
      case 4: return periodic<Arch, 4>(x, rows, n, lo, hi);
      case 5: return periodic<Arch, 5>(x, rows, n, lo, hi);
      case 6: return periodic<Arch, 6>(x, rows, n, lo, hi);
      case 7: return periodic<Arch, 7>(x, rows, n, lo, hi);
      case 8: return periodic<Arch, 8>(x, rows, n, lo, hi);
      default: return by_row<Arch>(x, rows, n, lo, hi);
    }
  }

  // V vectors hold one period of positions; position p belongs to column p % n.
  template <class Arch, std::size_t V>
  static bool periodic(const float* x, std::size_t rows, std::size_t n, float* lo, float* hi) noexcept {
    using batch = xsimd::batch<float, Arch>;
    constexpr std::size_t lanes = batch::size, period = V * lanes;
    const std::size_t total = rows * n, whole = total - total % period;
    const batch zero(0.0f);
    std::array<batch, V> vlo, vhi;
    vlo.fill(batch(std::numeric_limits<float>::infinity()));
    vhi.fill(batch(-std::numeric_limits<float>::infinity()));
    batch check = zero;
    for (std::size_t i = 0; i < whole; i += period) {
      for (std::size_t k = 0; k < V; ++k) {
        batch v = batch::load_unaligned(x + i + k * lanes);
        keep_in_register(v);
        vlo[k] = xsimd::min(vlo[k], v);
        vhi[k] = xsimd::max(vhi[k], v);
        check = xsimd::fma(v, zero, check);
      }
    }
    alignas(64) std::array<float, period> plo{}, phi{};
    for (std::size_t k = 0; k < V; ++k) {
      vlo[k].store_unaligned(plo.data() + k * lanes);
      vhi[k].store_unaligned(phi.data() + k * lanes);
    }
    for (std::size_t p = 0; p < period && p < whole; ++p) {
      lo[p % n] = plo[p] < lo[p % n] ? plo[p] : lo[p % n];
      hi[p % n] = phi[p] > hi[p % n] ? phi[p] : hi[p % n];
    }
    // The last partial period starts on a row boundary (period is a multiple of n).
    const bool finite = mixq::reference::minmax_rows(x + whole, (total - whole) / n, n, lo, hi);
    return xsimd::none(xsimd::isnan(check)) && finite;
  }

  template <class Arch>
  static bool by_row(const float* x, std::size_t rows, std::size_t n, float* lo, float* hi) noexcept {
    using batch = xsimd::batch<float, Arch>;
    constexpr std::size_t lanes = batch::size;
    const batch zero(0.0f);
    batch check = zero;
    const std::size_t whole = n - n % lanes;
    bool finite = true;
    for (std::size_t r = 0; r < rows; ++r, x += n) {
      for (std::size_t i = 0; i < whole; i += lanes) {
        batch v = batch::load_unaligned(x + i);
        keep_in_register(v);
        xsimd::min(batch::load_unaligned(lo + i), v).store_unaligned(lo + i);
        xsimd::max(batch::load_unaligned(hi + i), v).store_unaligned(hi + i);
        check = xsimd::fma(v, zero, check);
      }
      if (whole != n) finite = mixq::reference::minmax_rows(x + whole, 1, n - whole, lo + whole, hi + whole) && finite;
    }
    return xsimd::none(xsimd::isnan(check)) && finite;
  }
};

/// Adds each of x[0, n) (or its magnitude) to its bin under `rule`. The
/// values must be finite and inside the rule's range. `counts` holds `ways`
/// tables of rule.last + 1 bins (ways a power of two dividing the lane
/// count): lane j adds to table j % ways, so runs of equal bins do not wait
/// on one another's stores. Returns n.
struct histogram_kernel {
  template <class Arch>
  std::size_t operator()(Arch, const float* x, std::size_t n, const bin_rule& rule, bool magnitude,
                         std::uint32_t* counts, std::size_t ways) const noexcept {
    if constexpr (SimdArch<Arch>) {
      return run<simd_arch_t<Arch>>(x, n, rule, magnitude, counts, ways);
    } else {
      mixq::reference::histogram(x, n, rule, magnitude, counts);  // mixq::scalar: every value to table 0
      return n;
    }
  }

private:
  template <class Arch>
  static std::size_t run(const float* x, std::size_t n, const bin_rule& rule, bool magnitude, std::uint32_t* counts,
                         std::size_t ways) noexcept {
    using batch = xsimd::batch<float, Arch>;
    using ibatch = xsimd::batch<std::int32_t, Arch>;
    constexpr std::size_t lanes = batch::size;
    const std::size_t stride = static_cast<std::size_t>(rule.last) + 1;
    const std::size_t way_mask = ways - 1;
    const batch lo(rule.lo), width(rule.width), bins(rule.bins);
    const ibatch last(static_cast<std::int32_t>(rule.last)), first(0);
    alignas(64) std::array<std::int32_t, lanes> index{};
    std::size_t i = 0;
    if (rule.width > 0.0f) {
      for (; i + lanes <= n; i += lanes) {
        batch v = batch::load_unaligned(x + i);
        if (magnitude) v = xsimd::abs(v);
        const batch t = rule.divide_first ? divide(v - lo, width) * bins : divide((v - lo) * bins, width);
        // Truncation toward zero, as the int64 cast in torch.histc; the top
        // edge (t == bins) goes to the last bin.
        const ibatch k = xsimd::max(xsimd::min(xsimd::to_int(t), last), first);
        k.store_unaligned(index.data());
        for (std::size_t j = 0; j < lanes; ++j) {
          ++counts[(j & way_mask) * stride + static_cast<std::uint32_t>(index[j])];
        }
      }
    }
    mixq::reference::histogram(x + i, n - i, rule, magnitude, counts);
    return n;
  }
};

}  // namespace mixq::detail
