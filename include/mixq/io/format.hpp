#pragma once
// fmt formatters for scheme, qparams, qtensor and fixed_multiplier.
//
//   fmt::format("{}", schemes::int8_sym_per_channel)  -> "int8 symmetric narrow per-channel(axis=0)"
//   fmt::format("{}", qparams<schemes::int8_asym>{0.05f, 3})  -> "scale=0.05 zero_point=3"
//   fmt::format("{}", q)  -> "qtensor<int4 symmetric>[2, 3] scale=0.5 zero_point=0 codes=[[1, -2, 7], [0, 0, -8]]"

#include <cstddef>
#include <string>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <mixq/core/fixed_point.hpp>
#include <mixq/core/qparams.hpp>
#include <mixq/core/scheme.hpp>
#include <mixq/tensor/qtensor.hpp>

namespace mixq::detail {

// Formatters in this header take no format spec.
struct no_spec_formatter {
  constexpr auto parse(fmt::format_parse_context& ctx) -> decltype(ctx.begin()) {
    auto it = ctx.begin();
    if (it != ctx.end() && *it != '}') throw fmt::format_error("mixq formatters take no format spec");
    return it;
  }
};

// Up to `limit` entries of a vector, then an ellipsis.
template <class T>
std::string preview(const std::vector<T>& values, std::size_t limit = 8) {
  std::string out = "[";
  for (std::size_t i = 0; i < values.size() && i < limit; ++i) {
    if (i) out += ", ";
    out += fmt::format("{}", values[i]);
  }
  if (values.size() > limit) out += fmt::format(", ... ({} in all)", values.size());
  return out + "]";
}

// A nested-bracket preview of the codes, at most `limit` codes in all.
template <scheme S, std::size_t R>
void preview_codes(fmt::memory_buffer& buf, const qtensor<S, R>& q, std::size_t limit) {
  std::size_t shown = 0;
  const auto& shape = q.shape();
  std::array<std::size_t, R> index{};
  auto out = std::back_inserter(buf);
  // Walk the codes in row-major order, opening and closing brackets as indices roll over.
  for (std::size_t d = 0; d < R; ++d) fmt::format_to(out, "[");
  if (q.size() == 0) {
    for (std::size_t d = 0; d < R; ++d) fmt::format_to(out, "]");
    return;
  }
  auto it = q.begin();
  for (std::size_t i = 0; i < q.size(); ++i, ++it) {
    if (shown == limit) {
      fmt::format_to(out, "...");
      for (std::size_t d = 0; d < R; ++d) fmt::format_to(out, "]");
      return;
    }
    fmt::format_to(out, "{}", *it);
    ++shown;
    // Advance the index; count how many axes rolled over.
    std::size_t closed = 0;
    for (std::size_t d = R; d-- > 0;) {
      if (++index[d] < shape[d]) break;
      index[d] = 0;
      ++closed;
    }
    if (i + 1 == q.size()) break;
    for (std::size_t c = 0; c < closed; ++c) fmt::format_to(out, "]");
    fmt::format_to(out, ", ");
    for (std::size_t c = 0; c < closed; ++c) fmt::format_to(out, "[");
  }
  for (std::size_t d = 0; d < R; ++d) fmt::format_to(out, "]");
}

}  // namespace mixq::detail

template <>
struct fmt::formatter<mixq::scheme> : mixq::detail::no_spec_formatter {
  template <class Ctx>
  auto format(const mixq::scheme& s, Ctx& ctx) const -> decltype(ctx.out()) {
    auto out = ctx.out();
    if (mixq::is_binary(s)) {
      out = fmt::format_to(out, "binary(-1/+1)");
    } else {
      out = fmt::format_to(out, "{}int{} {}{}", s.is_signed ? "" : "u", s.bits,
                           s.symmetric ? "symmetric" : "asymmetric", s.narrow ? " narrow" : "");
    }
    if (s.axis >= 0) out = fmt::format_to(out, " per-channel(axis={})", s.axis);
    if (s.scale == mixq::scale_kind::pow2) out = fmt::format_to(out, " pow2");
    return out;
  }
};

template <mixq::scheme S>
struct fmt::formatter<mixq::qparams<S>> : mixq::detail::no_spec_formatter {
  template <class Ctx>
  auto format(const mixq::qparams<S>& p, Ctx& ctx) const -> decltype(ctx.out()) {
    if constexpr (mixq::is_per_channel(S)) {
      if constexpr (mixq::is_pow2(S)) {
        return fmt::format_to(ctx.out(), "scale=2^{} zero_point={}", mixq::detail::preview(p.exponent),
                              mixq::detail::preview(p.zero_point));
      } else {
        return fmt::format_to(ctx.out(), "scale={} zero_point={}", mixq::detail::preview(p.scale),
                              mixq::detail::preview(p.zero_point));
      }
    } else if constexpr (mixq::is_pow2(S)) {
      return fmt::format_to(ctx.out(), "scale=2^{} zero_point={}", p.exponent, p.zero_point);
    } else {
      return fmt::format_to(ctx.out(), "scale={} zero_point={}", p.scale, p.zero_point);
    }
  }
};

template <mixq::scheme S, std::size_t R>
struct fmt::formatter<mixq::qtensor<S, R>> : mixq::detail::no_spec_formatter {
  static constexpr std::size_t preview_codes = 32;
  template <class Ctx>
  auto format(const mixq::qtensor<S, R>& q, Ctx& ctx) const -> decltype(ctx.out()) {
    fmt::memory_buffer buf;
    fmt::format_to(std::back_inserter(buf), "qtensor<{}>{} {} codes=", S, q.shape(), q.params());
    mixq::detail::preview_codes(buf, q, preview_codes);
    return std::copy(buf.begin(), buf.end(), ctx.out());
  }
};

// qtensor has begin()/end(); without this fmt/ranges.h would also claim it.
template <mixq::scheme S, std::size_t R, class Char>
struct fmt::is_range<mixq::qtensor<S, R>, Char> : std::false_type {};

template <>
struct fmt::formatter<mixq::fixed_multiplier> : mixq::detail::no_spec_formatter {
  template <class Ctx>
  auto format(const mixq::fixed_multiplier& m, Ctx& ctx) const -> decltype(ctx.out()) {
    return fmt::format_to(ctx.out(), "{} * 2^({} - 31) (~{:.9g})", m.multiplier, m.shift, mixq::to_real(m));
  }
};
