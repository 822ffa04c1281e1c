#pragma once
// Constant tensors of an ONNX graph (initializers, Constant nodes and what
// folds from them), read from protobuf with every size checked before
// anything is allocated, and node attributes.

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>
#include <onnx/onnx_pb.h>

#include <mixq/config.hpp>

namespace mixq::onnx_io {

/// What the importer accepts before it allocates.
struct import_limits {
  std::size_t max_file_bytes = std::size_t{1} << 31;     ///< 2 GiB: protobuf's own ceiling
  std::size_t max_tensor_elements = std::size_t{1} << 28; ///< per constant tensor (1 GiB of float)
  std::size_t max_nodes = 100000;
  std::size_t max_rank = 8;
};

/// Where the importer is, for messages: "FILE: node 'NAME' (OP)".
struct place {
  std::string file;
  std::string node;
  std::string op;
  std::string str() const {
    return node.empty() && op.empty() ? file : fmt::format("{}: node '{}' ({})", file, node, op);
  }
};

/// A dequantized constant's codes: real = scale[c] * (code - zero_point[c])
/// along `axis` (or one scale for the whole tensor).
struct quant_origin {
  std::vector<std::int64_t> codes;
  std::vector<float> scale;
  std::vector<std::int64_t> zero_point;
  int axis = -1;        ///< -1: per tensor
  int dtype = 3;        ///< TensorProto data type of the codes (INT8, UINT8, INT32)
  std::int64_t qmin = -128, qmax = 127;  ///< the codes' range (narrowed by a Clip)
};

/// A constant tensor: floating-point data in `f`, integer data in `i`.
struct constant {
  std::vector<std::int64_t> dims;
  int dtype = 1;  ///< TensorProto data type
  std::vector<float> f;
  std::vector<std::int64_t> i;
  std::optional<quant_origin> origin;

  bool is_float() const noexcept { return dtype == 1 || dtype == 11; }
  std::size_t size() const noexcept { return is_float() ? f.size() : i.size(); }
  double at(std::size_t k) const { return is_float() ? static_cast<double>(f.at(k)) : static_cast<double>(i.at(k)); }
  std::string shape_string() const {
    std::string s = "[";
    for (std::size_t k = 0; k < dims.size(); ++k) s += fmt::format("{}{}", k ? ", " : "", dims[k]);
    return s + "]";
  }
};

inline std::string_view dtype_name(int t) noexcept {
  switch (t) {
    case 1: return "float";
    case 2: return "uint8";
    case 3: return "int8";
    case 4: return "uint16";
    case 5: return "int16";
    case 6: return "int32";
    case 7: return "int64";
    case 8: return "string";
    case 9: return "bool";
    case 10: return "float16";
    case 11: return "double";
    case 12: return "uint32";
    case 13: return "uint64";
    default: return "an unknown type";
  }
}

inline bool is_integer_dtype(int t) noexcept { return t == 2 || t == 3 || t == 4 || t == 5 || t == 6 || t == 7 || t == 9; }

/// Elements of a shape, or an error when a dimension is negative or the
/// product overflows or passes the limit.
inline std::size_t checked_elements(const std::vector<std::int64_t>& dims, const import_limits& limits,
                                    const place& where, std::string_view what) {
  if (dims.size() > limits.max_rank) {
    MIXQ_THROW(error, "{}: {} has rank {}; expected at most {}", where.str(), what, dims.size(), limits.max_rank);
  }
  std::size_t n = 1;
  for (const std::int64_t d : dims) {
    if (d < 0) MIXQ_THROW(error, "{}: {} has a dimension of {}; expected dimensions >= 0", where.str(), what, d);
    if (d != 0 && n > limits.max_tensor_elements / static_cast<std::size_t>(d)) {
      MIXQ_THROW(error, "{}: {} declares more than {} elements; expected at most {} (import_limits::max_tensor_elements)",
                 where.str(), what, limits.max_tensor_elements, limits.max_tensor_elements);
    }
    n *= static_cast<std::size_t>(d);
  }
  return n;
}

/// The constant a TensorProto holds.
inline constant read_tensor(const onnx::TensorProto& t, const import_limits& limits, const place& where) {
  const std::string what = fmt::format("tensor '{}'", t.name());
  if (t.data_location() == onnx::TensorProto::EXTERNAL || t.external_data_size() > 0) {
    MIXQ_THROW(error, "{}: {} keeps its data in an external file; expected the data inside the model (save it with "
                      "save_as_external_data=False)",
               where.str(), what);
  }
  if (t.has_segment()) MIXQ_THROW(error, "{}: {} is segmented; expected a whole tensor", where.str(), what);
  constant c;
  c.dtype = t.data_type();
  c.dims.assign(t.dims().begin(), t.dims().end());
  const std::size_t n = checked_elements(c.dims, limits, where, what);
  std::size_t width = 0;
  switch (c.dtype) {
    case 1: width = 4; break;
    case 11: width = 8; break;
    case 2: case 3: case 9: width = 1; break;
    case 4: case 5: width = 2; break;
    case 6: width = 4; break;
    case 7: width = 8; break;
    default:
      MIXQ_THROW(error, "{}: {} has data type {}; expected float, double, int8, uint8, int16, uint16, int32, int64 or "
                        "bool",
                 where.str(), what, dtype_name(c.dtype));
  }
  auto shorter = [&](std::size_t have) {
    MIXQ_THROW(error, "{}: {} declares shape {} ({} elements) but holds {}; expected the data to match the shape",
               where.str(), what, c.shape_string(), n, have);
  };
  if (t.has_raw_data()) {
    const std::string& raw = t.raw_data();
    if (raw.size() != n * width) shorter(raw.size() / width);
    const char* p = raw.data();
    if (c.is_float()) {
      c.f.resize(n);
      for (std::size_t k = 0; k < n; ++k) {
        if (width == 4) {
          std::memcpy(&c.f[k], p + 4 * k, 4);
        } else {
          double d;
          std::memcpy(&d, p + 8 * k, 8);
          c.f[k] = static_cast<float>(d);
        }
      }
    } else {
      c.i.resize(n);
      for (std::size_t k = 0; k < n; ++k) {
        const char* e = p + width * k;
        switch (c.dtype) {
          case 2: case 9: c.i[k] = static_cast<unsigned char>(*e); break;
          case 3: c.i[k] = static_cast<signed char>(*e); break;
          case 4: { std::uint16_t v; std::memcpy(&v, e, 2); c.i[k] = v; break; }
          case 5: { std::int16_t v; std::memcpy(&v, e, 2); c.i[k] = v; break; }
          case 6: { std::int32_t v; std::memcpy(&v, e, 4); c.i[k] = v; break; }
          default: { std::int64_t v; std::memcpy(&v, e, 8); c.i[k] = v; break; }
        }
      }
    }
  } else if (c.dtype == 1) {
    if (static_cast<std::size_t>(t.float_data_size()) != n) shorter(static_cast<std::size_t>(t.float_data_size()));
    c.f.assign(t.float_data().begin(), t.float_data().end());
  } else if (c.dtype == 11) {
    if (static_cast<std::size_t>(t.double_data_size()) != n) shorter(static_cast<std::size_t>(t.double_data_size()));
    c.f.reserve(n);
    for (const double d : t.double_data()) c.f.push_back(static_cast<float>(d));
  } else if (c.dtype == 7) {
    if (static_cast<std::size_t>(t.int64_data_size()) != n) shorter(static_cast<std::size_t>(t.int64_data_size()));
    c.i.assign(t.int64_data().begin(), t.int64_data().end());
  } else {
    if (static_cast<std::size_t>(t.int32_data_size()) != n) shorter(static_cast<std::size_t>(t.int32_data_size()));
    c.i.assign(t.int32_data().begin(), t.int32_data().end());
  }
  if (c.dtype == 11) c.dtype = 1;  // kept as float32 from here on
  return c;
}

// ---- attributes

inline const onnx::AttributeProto* find_attribute(const onnx::NodeProto& n, std::string_view name) {
  for (const auto& a : n.attribute()) {
    if (a.name() == name) return &a;
  }
  return nullptr;
}

inline std::int64_t int_attribute(const onnx::NodeProto& n, std::string_view name, std::int64_t fallback,
                                  const place& where) {
  const auto* a = find_attribute(n, name);
  if (!a) return fallback;
  if (a->type() != onnx::AttributeProto::INT) {
    MIXQ_THROW(error, "{}: attribute '{}' is not an integer; expected an INT attribute", where.str(), name);
  }
  return a->i();
}

inline float float_attribute(const onnx::NodeProto& n, std::string_view name, float fallback, const place& where) {
  const auto* a = find_attribute(n, name);
  if (!a) return fallback;
  if (a->type() != onnx::AttributeProto::FLOAT) {
    MIXQ_THROW(error, "{}: attribute '{}' is not a float; expected a FLOAT attribute", where.str(), name);
  }
  return a->f();
}

inline std::vector<std::int64_t> ints_attribute(const onnx::NodeProto& n, std::string_view name,
                                                std::vector<std::int64_t> fallback, const place& where) {
  const auto* a = find_attribute(n, name);
  if (!a) return fallback;
  if (a->type() != onnx::AttributeProto::INTS) {
    MIXQ_THROW(error, "{}: attribute '{}' is not a list of integers; expected an INTS attribute", where.str(), name);
  }
  return {a->ints().begin(), a->ints().end()};
}

inline std::string string_attribute(const onnx::NodeProto& n, std::string_view name, std::string fallback,
                                    const place& where) {
  const auto* a = find_attribute(n, name);
  if (!a) return fallback;
  if (a->type() != onnx::AttributeProto::STRING) {
    MIXQ_THROW(error, "{}: attribute '{}' is not a string; expected a STRING attribute", where.str(), name);
  }
  return a->s();
}

}  // namespace mixq::onnx_io
