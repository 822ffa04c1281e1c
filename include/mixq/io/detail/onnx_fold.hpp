#pragma once
// Constant folding for the ONNX importer: the operators exporters use to
// compute shapes, and the quantize / dequantize / clip of stored codes.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <numeric>
#include <string>
#include <vector>

#include <mixq/io/detail/onnx_tensors.hpp>

namespace mixq::onnx_io {

inline constant make_ints(std::vector<std::int64_t> dims, std::vector<std::int64_t> values, int dtype = 7) {
  constant c;
  c.dims = std::move(dims);
  c.dtype = dtype;
  c.i = std::move(values);
  return c;
}

inline constant make_floats(std::vector<std::int64_t> dims, std::vector<float> values) {
  constant c;
  c.dims = std::move(dims);
  c.dtype = 1;
  c.f = std::move(values);
  return c;
}

/// The same values under new dimensions (checked to have as many elements).
inline constant reshaped(const constant& c, std::vector<std::int64_t> dims, const import_limits& limits,
                         const place& where) {
  const std::size_t n = checked_elements(dims, limits, where, "the result");
  if (n != c.size()) {
    MIXQ_THROW(error, "{}: cannot give {} elements the shape of {} elements", where.str(), c.size(), n);
  }
  constant out = c;
  out.dims = std::move(dims);
  out.origin.reset();
  return out;
}

/// Axis in [0, rank) from ONNX's [-rank, rank).
inline std::size_t normalized_axis(std::int64_t axis, std::size_t rank, const place& where) {
  const auto r = static_cast<std::int64_t>(rank);
  if (axis < -r || axis >= r) {
    MIXQ_THROW(error, "{}: axis {} is out of range for rank {}; expected {} <= axis < {}", where.str(), axis, rank, -r, r);
  }
  return static_cast<std::size_t>(axis < 0 ? axis + r : axis);
}

inline constant cast_constant(const constant& c, int to, const place& where) {
  constant out;
  out.dims = c.dims;
  out.dtype = to == 11 ? 1 : to;
  if (to == 1 || to == 11) {
    out.f.resize(c.size());
    for (std::size_t k = 0; k < c.size(); ++k) out.f[k] = static_cast<float>(c.at(k));
    return out;
  }
  if (!is_integer_dtype(to)) {
    MIXQ_THROW(error, "{}: Cast to {}; expected a cast to float, double or an integer type", where.str(), dtype_name(to));
  }
  out.i.resize(c.size());
  for (std::size_t k = 0; k < c.size(); ++k) {
    const double v = c.at(k);
    if (!std::isfinite(v) || std::fabs(v) > 9.0e18) {
      MIXQ_THROW(error, "{}: Cast of {} to {} is undefined", where.str(), v, dtype_name(to));
    }
    auto x = static_cast<std::int64_t>(v);  // toward zero, as ONNX
    switch (to) {  // wrap into the target type, as a C++ conversion does
      case 2: x = static_cast<std::uint8_t>(x); break;
      case 3: x = static_cast<std::int8_t>(x); break;
      case 4: x = static_cast<std::uint16_t>(x); break;
      case 5: x = static_cast<std::int16_t>(x); break;
      case 6: x = static_cast<std::int32_t>(x); break;
      case 9: x = x != 0; break;
      default: break;
    }
    out.i[k] = x;
  }
  return out;
}

inline constant gather_constant(const constant& data, const constant& indices, std::int64_t axis_attr,
                                const import_limits& limits, const place& where) {
  if (indices.is_float()) MIXQ_THROW(error, "{}: Gather indices are {}; expected integers", where.str(), dtype_name(indices.dtype));
  if (data.dims.empty()) MIXQ_THROW(error, "{}: Gather of a scalar; expected rank >= 1", where.str());
  const std::size_t axis = normalized_axis(axis_attr, data.dims.size(), where);
  const std::int64_t extent = data.dims[axis];
  std::vector<std::int64_t> dims(data.dims.begin(), data.dims.begin() + static_cast<std::ptrdiff_t>(axis));
  dims.insert(dims.end(), indices.dims.begin(), indices.dims.end());
  dims.insert(dims.end(), data.dims.begin() + static_cast<std::ptrdiff_t>(axis) + 1, data.dims.end());
  checked_elements(dims, limits, where, "the result");
  std::size_t outer = 1, inner = 1;
  for (std::size_t k = 0; k < axis; ++k) outer *= static_cast<std::size_t>(data.dims[k]);
  for (std::size_t k = axis + 1; k < data.dims.size(); ++k) inner *= static_cast<std::size_t>(data.dims[k]);
  constant out;
  out.dims = dims;
  out.dtype = data.dtype;
  for (std::size_t o = 0; o < outer; ++o) {
    for (std::size_t j = 0; j < indices.size(); ++j) {
      std::int64_t idx = indices.i[j];
      if (idx < 0) idx += extent;
      if (idx < 0 || idx >= extent) {
        MIXQ_THROW(error, "{}: Gather index {} is out of range; expected {} <= index < {}", where.str(), indices.i[j],
                   -extent, extent);
      }
      for (std::size_t in = 0; in < inner; ++in) {
        const std::size_t src = (o * static_cast<std::size_t>(extent) + static_cast<std::size_t>(idx)) * inner + in;
        if (data.is_float()) {
          out.f.push_back(data.f[src]);
        } else {
          out.i.push_back(data.i[src]);
        }
      }
    }
  }
  return out;
}

inline constant concat_constants(const std::vector<const constant*>& parts, std::int64_t axis_attr,
                                 const import_limits& limits, const place& where) {
  const constant& first = *parts.front();
  if (first.dims.empty()) MIXQ_THROW(error, "{}: Concat of scalars; expected rank >= 1", where.str());
  const std::size_t axis = normalized_axis(axis_attr, first.dims.size(), where);
  std::vector<std::int64_t> dims = first.dims;
  dims[axis] = 0;
  for (const constant* p : parts) {
    if (p->dims.size() != first.dims.size() || p->is_float() != first.is_float()) {
      MIXQ_THROW(error, "{}: Concat of {} and {} constants; expected the same rank and kind", where.str(),
                 p->shape_string(), first.shape_string());
    }
    for (std::size_t k = 0; k < dims.size(); ++k) {
      if (k != axis && p->dims[k] != first.dims[k]) {
        MIXQ_THROW(error, "{}: Concat of shapes {} and {}; expected equal dimensions but along axis {}", where.str(),
                   p->shape_string(), first.shape_string(), axis);
      }
    }
    dims[axis] += p->dims[axis];
  }
  checked_elements(dims, limits, where, "the result");
  std::size_t outer = 1;
  for (std::size_t k = 0; k < axis; ++k) outer *= static_cast<std::size_t>(first.dims[k]);
  constant out;
  out.dims = dims;
  out.dtype = first.dtype;
  for (std::size_t o = 0; o < outer; ++o) {
    for (const constant* p : parts) {
      const std::size_t chunk = outer ? p->size() / outer : 0;
      if (p->is_float()) {
        out.f.insert(out.f.end(), p->f.begin() + static_cast<std::ptrdiff_t>(o * chunk),
                     p->f.begin() + static_cast<std::ptrdiff_t>((o + 1) * chunk));
      } else {
        out.i.insert(out.i.end(), p->i.begin() + static_cast<std::ptrdiff_t>(o * chunk),
                     p->i.begin() + static_cast<std::ptrdiff_t>((o + 1) * chunk));
      }
    }
  }
  return out;
}

inline constant transpose_constant(const constant& c, std::vector<std::int64_t> perm, const place& where) {
  const std::size_t r = c.dims.size();
  if (perm.empty()) {
    for (std::size_t k = 0; k < r; ++k) perm.push_back(static_cast<std::int64_t>(r - 1 - k));
  }
  std::vector<bool> used(r, false);
  if (perm.size() != r) MIXQ_THROW(error, "{}: perm has {} entries for rank {}; expected one per axis", where.str(), perm.size(), r);
  for (const auto p : perm) {
    if (p < 0 || static_cast<std::size_t>(p) >= r || used[static_cast<std::size_t>(p)]) {
      MIXQ_THROW(error, "{}: perm is not a permutation of 0..{}", where.str(), r - 1);
    }
    used[static_cast<std::size_t>(p)] = true;
  }
  std::vector<std::int64_t> dims(r);
  for (std::size_t k = 0; k < r; ++k) dims[k] = c.dims[static_cast<std::size_t>(perm[k])];
  std::vector<std::size_t> in_stride(r, 1);
  for (std::size_t k = r; k-- > 1;) in_stride[k - 1] = in_stride[k] * static_cast<std::size_t>(c.dims[k]);
  constant out;
  out.dims = dims;
  out.dtype = c.dtype;
  const std::size_t n = c.size();
  std::vector<std::size_t> index(r, 0);
  for (std::size_t e = 0; e < n; ++e) {
    std::size_t src = 0;
    for (std::size_t k = 0; k < r; ++k) src += index[k] * in_stride[static_cast<std::size_t>(perm[k])];
    if (c.is_float()) {
      out.f.push_back(c.f[src]);
    } else {
      out.i.push_back(c.i[src]);
    }
    for (std::size_t k = r; k-- > 0;) {
      if (++index[k] < static_cast<std::size_t>(dims[k])) break;
      index[k] = 0;
    }
  }
  return out;
}

/// a (op) b elementwise, for equal shapes or a one-element operand.
inline constant arithmetic_constant(const constant& a, const constant& b, char op, const place& where) {
  const bool a_one = a.size() == 1, b_one = b.size() == 1;
  if (!(a.dims == b.dims || a_one || b_one)) {
    MIXQ_THROW(error, "{}: constants of shapes {} and {}; expected equal shapes or a single element", where.str(),
               a.shape_string(), b.shape_string());
  }
  constant out;
  out.dims = a_one && !b_one ? b.dims : a.dims;
  const std::size_t n = std::max(a.size(), b.size());
  const bool as_float = a.is_float() || b.is_float();
  out.dtype = as_float ? 1 : a.dtype;
  for (std::size_t k = 0; k < n; ++k) {
    const double x = a.at(a_one ? 0 : k), y = b.at(b_one ? 0 : k);
    double r = 0;
    switch (op) {
      case '+': r = x + y; break;
      case '-': r = x - y; break;
      case '*': r = x * y; break;
      default:
        if (y == 0 && !as_float) MIXQ_THROW(error, "{}: integer division by zero", where.str());
        r = as_float ? x / y : std::trunc(x / y);
    }
    if (as_float) {
      out.f.push_back(static_cast<float>(r));
    } else {
      out.i.push_back(static_cast<std::int64_t>(r));
    }
  }
  return out;
}

}  // namespace mixq::onnx_io
