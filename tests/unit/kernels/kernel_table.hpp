#pragma once
// One table of kernel entry points per architecture. Each table is filled in
// its own translation unit, compiled with that architecture's flags
// (tests/CMakeLists.txt); the tests, compiled for the baseline, call through
// it only when the CPU has the architecture, as an engine dispatching at run
// time would.

#include <cstddef>
#include <cstdint>
#include <vector>

#include <mixq/kernels/add.hpp>
#include <mixq/kernels/conv.hpp>
#include <mixq/kernels/gemm.hpp>
#include <mixq/kernels/pack.hpp>
#include <mixq/kernels/quantize.hpp>
#include <mixq/kernels/requantize.hpp>

namespace mixq_test {

struct kernel_table {
  const char* name;
  bool (*available)();
  mixq::weight_layout (*layout)(int bits);
  void (*gemm_i32)(const mixq::activation_matrix&, const mixq::packed_weight_matrix&, const std::int32_t*,
                   const mixq::int32_output&, mixq::row_range);
  void (*gemm_rq)(const mixq::activation_matrix&, const mixq::packed_weight_matrix&, const std::int32_t*,
                  const mixq::requantized_output&, mixq::row_range);
  void (*requantize)(const mixq::requantize_args&);
  void (*add)(const mixq::add_args&);
  void (*pack)(const mixq::pack_args&);
  void (*unpack)(const mixq::unpack_args&);
  void (*quantize)(const mixq::quantize_args&);
  void (*dequantize)(const mixq::dequantize_args&);
  void (*conv_i32)(const mixq::conv2d_shape&, const mixq::conv_input&, const mixq::packed_weight_matrix&,
                   const std::int32_t*, const mixq::int32_output&, mixq::row_range);
  void (*conv_rq)(const mixq::conv2d_shape&, const mixq::conv_input&, const mixq::packed_weight_matrix&,
                  const std::int32_t*, const mixq::requantized_output&, mixq::row_range);
  void (*depthwise_i32)(const mixq::conv2d_shape&, const mixq::conv_input&, const std::int8_t*, const std::int32_t*,
                        const mixq::int32_output&, mixq::row_range);
  void (*depthwise_rq)(const mixq::conv2d_shape&, const mixq::conv_input&, const std::int8_t*, const std::int32_t*,
                       const mixq::requantized_output&, mixq::row_range);
};

// Fills a table for Arch; used only inside the architecture's own translation unit.
template <class Arch>
kernel_table make_kernel_table() {
  return {
      Arch::name(),
      [] { return mixq::available<Arch>(); },
      [](int bits) { return mixq::weight_layout_for<Arch>(bits); },
      [](const mixq::activation_matrix& a, const mixq::packed_weight_matrix& w, const std::int32_t* bias,
         const mixq::int32_output& out, mixq::row_range rows) { mixq::gemm_kernel(Arch{}, a, w, bias, out, rows); },
      [](const mixq::activation_matrix& a, const mixq::packed_weight_matrix& w, const std::int32_t* bias,
         const mixq::requantized_output& out, mixq::row_range rows) { mixq::gemm_kernel(Arch{}, a, w, bias, out, rows); },
      [](const mixq::requantize_args& a) { mixq::requantize_kernel(Arch{}, a); },
      [](const mixq::add_args& a) { mixq::add_kernel(Arch{}, a); },
      [](const mixq::pack_args& a) { mixq::pack_kernel(Arch{}, a); },
      [](const mixq::unpack_args& a) { mixq::unpack_kernel(Arch{}, a); },
      [](const mixq::quantize_args& a) { mixq::quantize_kernel(Arch{}, a); },
      [](const mixq::dequantize_args& a) { mixq::dequantize_kernel(Arch{}, a); },
      [](const mixq::conv2d_shape& s, const mixq::conv_input& in, const mixq::packed_weight_matrix& w,
         const std::int32_t* bias, const mixq::int32_output& out, mixq::row_range pixels) {
        mixq::conv2d_kernel(Arch{}, s, in, w, bias, out, pixels);
      },
      [](const mixq::conv2d_shape& s, const mixq::conv_input& in, const mixq::packed_weight_matrix& w,
         const std::int32_t* bias, const mixq::requantized_output& out, mixq::row_range pixels) {
        mixq::conv2d_kernel(Arch{}, s, in, w, bias, out, pixels);
      },
      [](const mixq::conv2d_shape& s, const mixq::conv_input& in, const std::int8_t* w, const std::int32_t* bias,
         const mixq::int32_output& out, mixq::row_range pixels) {
        mixq::depthwise_kernel(Arch{}, s, in, w, bias, out, pixels);
      },
      [](const mixq::conv2d_shape& s, const mixq::conv_input& in, const std::int8_t* w, const std::int32_t* bias,
         const mixq::requantized_output& out, mixq::row_range pixels) {
        mixq::depthwise_kernel(Arch{}, s, in, w, bias, out, pixels);
      },
  };
}

/// The tables compiled into this test binary (arch_tables.cpp).
std::vector<kernel_table> compiled_kernel_tables();

}  // namespace mixq_test
