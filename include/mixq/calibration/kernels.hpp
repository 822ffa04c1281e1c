#pragma once
// SIMD kernels of the observers (xsimd 8.1 generic batch ops, so the same
// code builds for SSE/AVX/AVX-512 and NEON): min/max of a span with a
// non-finite check, element-wise running min/max of rows, and histogram
// accumulation. Each is a functor `operator()(Arch, ...)`, the shape
// xsimd::dispatch expects; the scalar twins are in reference.hpp.

#include <array>
#include <cstddef>
#include <cstdint>

#include <xsimd/xsimd.hpp>

#include <mixq/calibration/reference.hpp>

namespace mixq::detail {

/// Min and max of x[0, n) and whether all values are finite. When they are
/// not, lo / hi are meaningless and the caller takes the scalar path.
struct minmax_span_kernel {
  template <class Arch>
  span_range operator()(Arch, const float* x, std::size_t n) const noexcept {
    using batch = xsimd::batch<float, Arch>;
    constexpr std::size_t lanes = batch::size;
    constexpr std::size_t step = 4 * lanes;
    span_range r;
    std::size_t i = 0;
    if (n >= step) {
      batch lo0 = batch::load_unaligned(x), lo1 = lo0, lo2 = lo0, lo3 = lo0;
      batch hi0 = lo0, hi1 = lo0, hi2 = lo0, hi3 = lo0;
      // x * 0 + acc stays 0 while x is finite and turns NaN for good on the
      // first NaN or infinity: one fused op per vector instead of a compare.
      const batch zero(0.0f);
      batch check0 = zero, check1 = zero;
      for (; i + step <= n; i += step) {
        const batch v0 = batch::load_unaligned(x + i);
        const batch v1 = batch::load_unaligned(x + i + lanes);
        const batch v2 = batch::load_unaligned(x + i + 2 * lanes);
        const batch v3 = batch::load_unaligned(x + i + 3 * lanes);
        lo0 = xsimd::min(lo0, v0);
        hi0 = xsimd::max(hi0, v0);
        lo1 = xsimd::min(lo1, v1);
        hi1 = xsimd::max(hi1, v1);
        lo2 = xsimd::min(lo2, v2);
        hi2 = xsimd::max(hi2, v2);
        lo3 = xsimd::min(lo3, v3);
        hi3 = xsimd::max(hi3, v3);
        check0 = xsimd::fma(v0, zero, check0);
        check1 = xsimd::fma(v1, zero, check1);
        check0 = xsimd::fma(v2, zero, check0);
        check1 = xsimd::fma(v3, zero, check1);
      }
      const batch lo = xsimd::min(xsimd::min(lo0, lo1), xsimd::min(lo2, lo3));
      const batch hi = xsimd::max(xsimd::max(hi0, hi1), xsimd::max(hi2, hi3));
      r.all_finite = xsimd::none(xsimd::isnan(check0 + check1));
      alignas(64) std::array<float, lanes> lo_lanes{}, hi_lanes{};
      lo.store_unaligned(lo_lanes.data());
      hi.store_unaligned(hi_lanes.data());
      for (std::size_t k = 0; k < lanes; ++k) {
        r.lo = lo_lanes[k] < r.lo ? lo_lanes[k] : r.lo;
        r.hi = hi_lanes[k] > r.hi ? hi_lanes[k] : r.hi;
      }
    }
    const span_range tail = reference::minmax_span(x + i, n - i);
    r.lo = tail.lo < r.lo ? tail.lo : r.lo;
    r.hi = tail.hi > r.hi ? tail.hi : r.hi;
    r.all_finite = r.all_finite && tail.all_finite;
    return r;
  }
};

/// lo[i] = min(lo[i], x[i]) and hi[i] = max(hi[i], x[i]) for i < n; returns
/// whether all x[i] were finite (if not, lo / hi are meaningless).
struct minmax_rows_kernel {
  template <class Arch>
  bool operator()(Arch, const float* x, std::size_t n, float* lo, float* hi) const noexcept {
    using batch = xsimd::batch<float, Arch>;
    constexpr std::size_t lanes = batch::size;
    const batch zero(0.0f);
    batch check = zero;
    std::size_t i = 0;
    for (; i + lanes <= n; i += lanes) {
      const batch v = batch::load_unaligned(x + i);
      xsimd::min(batch::load_unaligned(lo + i), v).store_unaligned(lo + i);
      xsimd::max(batch::load_unaligned(hi + i), v).store_unaligned(hi + i);
      check = xsimd::fma(v, zero, check);
    }
    const bool finite = xsimd::none(xsimd::isnan(check));
    return reference::minmax_rows(x + i, n - i, lo + i, hi + i) && finite;
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
        const batch t = rule.divide_first ? ((v - lo) / width) * bins : ((v - lo) * bins) / width;
        // Truncation toward zero, as the int64 cast in torch.histc; the top
        // edge (t == bins) goes to the last bin.
        const ibatch k = xsimd::max(xsimd::min(xsimd::to_int(t), last), first);
        k.store_unaligned(index.data());
        for (std::size_t j = 0; j < lanes; ++j) {
          ++counts[(j & way_mask) * stride + static_cast<std::uint32_t>(index[j])];
        }
      }
    }
    reference::histogram(x + i, n - i, rule, magnitude, counts);
    return n;
  }
};

}  // namespace mixq::detail
