#pragma once
// basic_model: running the compiled steps (included by model/model.hpp).

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>
#include <variant>
#include <vector>

namespace mixq {

namespace detail {

// The kernels' description of a convolution over `n` images.
inline conv2d_shape conv_shape_of(const tensor_shape& in, const window& w, std::size_t n) {
  conv2d_shape s;
  s.batch = n;
  s.height = in.height;
  s.width = in.width;
  s.channels = in.channels;
  s.kernel_h = w.kernel_h;
  s.kernel_w = w.kernel_w;
  s.stride_h = w.stride_h;
  s.stride_w = w.stride_w;
  s.pad_top = w.pad_top;
  s.pad_bottom = w.pad_bottom;
  s.pad_left = w.pad_left;
  s.pad_right = w.pad_right;
  s.dilation_h = w.dilation_h;
  s.dilation_w = w.dilation_w;
  return s;
}

// Whether the depthwise kernel takes this window: 3x3, strides 1 or 2, no dilation.
inline bool depthwise_kernel_fits(const window& w) noexcept {
  return w.kernel_h == 3 && w.kernel_w == 3 && w.dilation_h == 1 && w.dilation_w == 1 &&
         (w.stride_h == 1 || w.stride_h == 2) && (w.stride_w == 1 || w.stride_w == 2);
}

template <class T>
std::vector<T>& thread_scratch(std::size_t n) {
  thread_local std::vector<T> buffer;
  if (buffer.size() < n) buffer.resize(n);
  return buffer;
}

}  // namespace detail

template <class Backend>
void basic_model<Backend>::load_input(const float* x, std::size_t n) {
  const tensor_shape& s = net_->input_shape();
  float* dst = float_buffers_[input_slot_].data();
  const std::size_t hw = s.height * s.width, c = s.channels;
  if (!s.image || hw == 1 || c == 1) {
    std::copy_n(x, n * s.elements(), dst);
  } else {
    // ONNX's N x C x H x W to N x H x W x C, in blocks of pixels whose
    // output (about 16 KB) stays in L1 while every channel is written in.
    const std::size_t block = std::max<std::size_t>(16, 4096 / c);
    for (std::size_t img = 0; img < n; ++img) {
      const float* src = x + img * s.elements();
      float* out = dst + img * s.elements();
      for (std::size_t p0 = 0; p0 < hw; p0 += block) {
        const std::size_t p1 = std::min(hw, p0 + block);
        for (std::size_t ch = 0; ch < c; ++ch) {
          for (std::size_t p = p0; p < p1; ++p) out[p * c + ch] = src[ch * hw + p];
        }
      }
    }
  }
  batch_ = n;
}

template <class Backend>
void basic_model<Backend>::store_output(float* y, std::size_t n) const {
  const tensor_shape& s = net_->output_shape();
  detail::flatten_chw(float_buffers_[output_slot_].data(), s, n, y);
}

template <class Backend>
void basic_model<Backend>::execute(std::size_t s, std::size_t n) {
  std::visit([&](const auto& st) { execute(st, n); }, steps_[s]);
}

template <class Backend>
void basic_model<Backend>::execute(const detail::quantize_step& st, std::size_t n) {
  Backend::quantize(float_buffers_[st.from].data(), n * slots_[st.from].elements, slots_[st.to].params,
                    code_buffers_[st.to].data());
}

template <class Backend>
void basic_model<Backend>::execute(const detail::dequantize_step& st, std::size_t n) {
  Backend::dequantize(code_buffers_[st.from].data(), n * slots_[st.from].elements, slots_[st.from].params,
                      float_buffers_[st.to].data());
}

template <class Backend>
void basic_model<Backend>::execute(const detail::convert_step& st, std::size_t n) {
  st.table.apply(code_buffers_[st.from].data(), n * slots_[st.from].elements, code_buffers_[st.to].data());
}

template <class Backend>
void basic_model<Backend>::execute(const detail::weighted_step<kernel_choice<Backend>>& st, std::size_t n) {
  const layer& l = net_->layers()[st.layer];
  const detail::slot& in = slots_[st.from];
  const tensor_shape& in_shape = net_->value(l.inputs[0]).shape;
  const std::uint8_t* x = code_buffers_[st.from].data();
  const std::size_t channels = net_->value(l.output).shape.channels;
  const std::size_t rows = n * net_->value(l.output).shape.height * net_->value(l.output).shape.width;

  // Float output: int32 accumulators, then scale and clamp per channel.
  std::int32_t* acc = nullptr;
  if (st.float_output) {
    if (accumulators_.size() < rows * channels) accumulators_.resize(rows * channels);
    acc = accumulators_.data();
  }
  const int32_output acc_out{acc, channels};
  const requantized_output code_out{st.float_output ? nullptr : code_buffers_[st.to].data(), channels, st.requantize};
  float* y = st.float_output ? float_buffers_[st.to].data() : nullptr;
  auto finish = [&](std::size_t b, std::size_t e) {
    if (!st.float_output) return;
    for (std::size_t r = b; r < e; ++r) {
      for (std::size_t c = 0; c < channels; ++c) {
        const float v = static_cast<float>(acc[r * channels + c]) * st.output_scale[c];
        y[r * channels + c] = std::min(std::max(v, st.clamp.lo), st.clamp.hi);
      }
    }
  };

  std::visit(
      [&](const auto& k) {
        if (const auto* op = std::get_if<conv_op>(&l.op)) {
          const conv2d_shape s = detail::conv_shape_of(in_shape, op->geometry, n);
          const conv_input ci{x, in_shape.channels, 8, in.params.is_signed, in.params.zero_point};
          pool_.for_rows(rows, [&](std::size_t b, std::size_t e) {
            if (op->depthwise && !detail::depthwise_kernel_fits(op->geometry)) {
              st.float_output ? depthwise_general(st, *op, in, n, acc_out, {b, e})
                              : depthwise_general(st, *op, in, n, code_out, {b, e});
            } else if (op->depthwise) {
              st.float_output ? Backend::depthwise(s, ci, k.depthwise->data(), st.bias.data(), acc_out, {b, e})
                              : Backend::depthwise(s, ci, k.depthwise->data(), st.bias.data(), code_out, {b, e});
            } else {
              st.float_output ? Backend::conv(s, ci, *k.weights, st.bias.data(), acc_out, {b, e})
                              : Backend::conv(s, ci, *k.weights, st.bias.data(), code_out, {b, e});
            }
            finish(b, e);
          }, 16);
        } else {
          const std::size_t k_in = in_shape.elements();
          const activation_matrix a{x, n, k_in, k_in, 8, in.params.is_signed, in.params.zero_point};
          pool_.for_rows(n, [&](std::size_t b, std::size_t e) {
            st.float_output ? Backend::gemm(a, *k.weights, st.bias.data(), acc_out, {b, e})
                            : Backend::gemm(a, *k.weights, st.bias.data(), code_out, {b, e});
            finish(b, e);
          });
        }
      },
      st.kernel);
}

// Depthwise windows the kernel does not take (other sizes, strides, dilations): sums written out.
template <class Backend>
template <class Out>
void basic_model<Backend>::depthwise_general(const detail::weighted_step<kernel_choice<Backend>>& st,
                                             const conv_op& op, const detail::slot& in, std::size_t n,
                                             const Out& out, row_range pixels) {
  (void)n;
  const layer& l = net_->layers()[st.layer];
  const tensor_shape& s = net_->value(l.inputs[0]).shape;
  const window& w = op.geometry;
  const std::size_t oh = w.out_height(s.height), ow = w.out_width(s.width), c = s.channels;
  const std::int8_t* wt = std::visit([](const auto& k) { return k.depthwise->data(); }, st.kernel);
  const std::uint8_t* x = code_buffers_[st.from].data();
  auto& sums = detail::thread_scratch<std::int32_t>(c);
  for (std::size_t p = pixels.begin; p < pixels.end; ++p) {
    const std::size_t img = p / (oh * ow), yo = (p / ow) % oh, xo = p % ow;
    std::copy(st.bias.begin(), st.bias.end(), sums.begin());
    for_each_window_pixel(w, s, img, yo, xo, [&](std::size_t pixel, std::size_t t) {
      const std::uint8_t* src = x + pixel * c;
      const std::int8_t* tap = wt + t * c;
      for (std::size_t i = 0; i < c; ++i) {
        sums[i] += (detail::lane_code(src[i], in.params.is_signed) - in.params.zero_point) * tap[i];
      }
    });
    if constexpr (std::is_same_v<Out, int32_output>) {
      std::copy_n(sums.begin(), c, out.data + p * out.stride);
    } else {
      const requantize_params& r = out.params;
      for (std::size_t i = 0; i < c; ++i) {
        out.data[p * out.stride + i] = static_cast<std::uint8_t>(detail::requantize_at(r, sums[i], i));
      }
    }
  }
}

template <class Backend>
void basic_model<Backend>::execute(const detail::float_step& st, std::size_t n) {
  using FA = typename Backend::float_arch;
  const layer& l = net_->layers()[st.layer];
  const tensor_shape& in = net_->value(l.inputs[0]).shape;
  const tensor_shape& out_shape = net_->value(l.output).shape;
  const float* x = float_buffers_[st.from[0]].data();
  float* y = float_buffers_[st.to].data();
  const std::size_t out_pixels = n * out_shape.height * out_shape.width;
  std::visit(
      [&](const auto& op) {
        using T = std::remove_cvref_t<decltype(op)>;
        if constexpr (std::is_same_v<T, conv_op>) {
          const detail::float_weights& fw = float_weights_of(st.layer);
          pool_.for_rows(out_pixels, [&](std::size_t b, std::size_t e) {
            if (op.depthwise) {
              detail::float_depthwise<FA>(x, in, op.geometry, fw.depthwise.data(), fw.bias.data(), op.clamp, y, b, e);
            } else {
              detail::float_conv<FA>(x, n, in, op.geometry, fw.panel, fw.bias.data(), op.clamp, y, b, e);
            }
          }, 16);
        } else if constexpr (std::is_same_v<T, dense_op>) {
          const detail::float_weights& fw = float_weights_of(st.layer);
          pool_.for_rows(n, [&](std::size_t b, std::size_t e) {
            detail::float_gemm<FA>(x + b * in.elements(), in.elements(), e - b, fw.panel, fw.bias.data(),
                                   y + b * op.out_features, op.out_features, op.clamp);
          });
        } else if constexpr (std::is_same_v<T, add_op>) {
          const float* x2 = float_buffers_[st.from[1]].data();
          const std::size_t count = n * in.elements();
          for (std::size_t i = 0; i < count; ++i) y[i] = std::min(std::max(x[i] + x2[i], op.clamp.lo), op.clamp.hi);
        } else if constexpr (std::is_same_v<T, concat_op>) {
          const std::size_t c_out = out_shape.channels;
          std::size_t offset = 0;
          for (std::size_t j = 0; j < st.from.size(); ++j) {
            const std::size_t c = net_->value(l.inputs[j]).shape.channels;
            const float* src = float_buffers_[st.from[j]].data();
            for (std::size_t p = 0; p < out_pixels; ++p) std::copy_n(src + p * c, c, y + p * c_out + offset);
            offset += c;
          }
        } else if constexpr (std::is_same_v<T, pool_op>) {
          pool_.for_rows(out_pixels, [&](std::size_t b, std::size_t e) { detail::float_pool(x, in, op, y, b, e); }, 16);
        } else if constexpr (std::is_same_v<T, global_pool_op>) {
          const std::size_t hw = in.height * in.width, c = in.channels;
          for (std::size_t img = 0; img < n; ++img) {
            float* o = y + img * c;
            std::fill(o, o + c, 0.0f);
            for (std::size_t p = 0; p < hw; ++p) {
              for (std::size_t i = 0; i < c; ++i) o[i] += x[(img * hw + p) * c + i];
            }
            for (std::size_t i = 0; i < c; ++i) o[i] /= static_cast<float>(hw);
          }
        } else if constexpr (std::is_same_v<T, flatten_op>) {
          detail::flatten_chw(x, in, n, y);
        } else if constexpr (std::is_same_v<T, clamp_op>) {
          const std::size_t count = n * in.elements();
          for (std::size_t i = 0; i < count; ++i) y[i] = std::min(std::max(x[i], op.clamp.lo), op.clamp.hi);
        } else if constexpr (std::is_same_v<T, affine_op>) {
          const std::size_t c = in.channels, count = n * in.elements();
          for (std::size_t i = 0; i < count; ++i) y[i] = x[i] * op.scale_of(i % c) + op.shift_of(i % c);
        } else {
          static_assert(std::is_same_v<T, input_op>);
        }
      },
      l.op);
}

template <class Backend>
void basic_model<Backend>::execute(const detail::code_step& st, std::size_t n) {
  const layer& l = net_->layers()[st.layer];
  const tensor_shape& in = net_->value(l.inputs[0]).shape;
  const tensor_shape& out_shape = net_->value(l.output).shape;
  const std::uint8_t* x = code_buffers_[st.from[0]].data();
  std::uint8_t* y = code_buffers_[st.to].data();
  const std::size_t out_pixels = n * out_shape.height * out_shape.width;
  std::visit(
      [&](const auto& op) {
        using T = std::remove_cvref_t<decltype(op)>;
        if constexpr (std::is_same_v<T, add_op>) {
          const std::uint8_t* x2 = code_buffers_[st.from[1]].data();
          Backend::add(st.add.args(x, x2, n * in.elements(), y));
        } else if constexpr (std::is_same_v<T, concat_op>) {
          const std::size_t c_out = out_shape.channels;
          std::size_t offset = 0;
          for (std::size_t j = 0; j < st.from.size(); ++j) {
            const std::size_t c = net_->value(l.inputs[j]).shape.channels;
            const std::uint8_t* src = code_buffers_[st.from[j]].data();
            for (std::size_t p = 0; p < out_pixels; ++p) {
              if (st.copy[j]) {
                std::memcpy(y + p * c_out + offset, src + p * c, c);
              } else {
                st.tables[j].apply(src + p * c, c, y + p * c_out + offset);
              }
            }
            offset += c;
          }
        } else if constexpr (std::is_same_v<T, pool_op>) {
          const bool is_signed = slots_[st.from[0]].params.is_signed;
          pool_.for_rows(out_pixels, [&](std::size_t b, std::size_t e) {
            auto& sums = detail::thread_scratch<std::int32_t>(in.channels);
            detail::code_pool(x, in, op, is_signed, &st.average, y, b, e, sums.data());
            if (op.max && !st.tables.empty()) {
              st.tables[0].apply(y + b * in.channels, (e - b) * in.channels, y + b * in.channels);
            }
          }, 16);
        } else if constexpr (std::is_same_v<T, global_pool_op>) {
          const std::size_t pixels = in.height * in.width, c = in.channels;
          const bool is_signed = st.average.in.is_signed;
          const std::int32_t zp = st.average.in.zero_point;
          auto& sums = detail::thread_scratch<std::int32_t>(c);
          const requantize_params rq = st.average.output(pixels);
          for (std::size_t img = 0; img < n; ++img) {
            std::fill_n(sums.begin(), c, -zp * static_cast<std::int32_t>(pixels));
            const std::uint8_t* src = x + img * pixels * c;
            for (std::size_t p = 0; p < pixels; ++p, src += c) {
              for (std::size_t i = 0; i < c; ++i) sums[i] += detail::lane_code(src[i], is_signed);
            }
            Backend::requantize(sums.data(), c, rq, y + img * c);
          }
        } else if constexpr (std::is_same_v<T, flatten_op>) {
          detail::flatten_chw(x, in, n, y);
          if (!st.tables.empty()) st.tables[0].apply(y, n * in.elements(), y);
        } else if constexpr (std::is_same_v<T, clamp_op>) {
          st.tables[0].apply(x, n * in.elements(), y);
        } else {
          MIXQ_THROW(error, "mixq::model: layer '{}' ({}) has no integer form", l.name, op_name(l.op));
        }
      },
      l.op);
}

}  // namespace mixq
