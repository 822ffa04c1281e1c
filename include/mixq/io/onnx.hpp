#pragma once
// ONNX in (and, in onnx_export.hpp, out). Needs Debian's libonnx and
// protobuf: link the CMake target mixq::onnx. <mixq/mixq.hpp> never
// includes this header.
//
//   mixq::network net = mixq::import_onnx("resnet.qdq.onnx");
//
// Float models (opset 11-17) and QDQ-quantized ones (opset 13) as PyTorch,
// ONNX Runtime, Brevitas and NNCF write them; docs/models.md lists the
// operators and what becomes of each. Bad files -- malformed, truncated,
// cyclic, unsupported, with declared sizes beyond the limits or data shorter
// than its shape -- throw mixq::error naming the file, the node and what
// was expected.

#include <cstddef>
#include <fstream>
#include <string>
#include <string_view>
#include <system_error>

#include <mixq/config.hpp>
#include <mixq/io/detail/onnx_import.hpp>
#include <mixq/model/graph.hpp>

namespace mixq {

using onnx_io::import_limits;

/// The network of a serialized ONNX model held in memory; `name` is used in messages.
inline network import_onnx_bytes(const void* data, std::size_t size, std::string_view name,
                                 const import_limits& limits = {}) {
  if (size > limits.max_file_bytes || size > static_cast<std::size_t>(std::numeric_limits<int>::max())) {
    MIXQ_THROW(error, "{}: the model has {} bytes; expected at most {} (import_limits::max_file_bytes)", name, size,
               std::min<std::size_t>(limits.max_file_bytes, std::numeric_limits<int>::max()));
  }
  ::onnx::ModelProto m;
  if (!m.ParseFromArray(data, static_cast<int>(size))) {
    MIXQ_THROW(error, "{}: not a valid ONNX model: the protobuf message is malformed or truncated", name);
  }
  if (!m.has_graph()) MIXQ_THROW(error, "{}: the model has no graph", name);
  return onnx_io::importer(m, std::string(name), limits).run();
}

/// The network of the ONNX file at `path`.
inline network import_onnx(const std::string& path, const import_limits& limits = {}) {
  std::ifstream in(path, std::ios::binary);
  if (!in) MIXQ_THROW(error, "{}: cannot open the file", path);
  in.seekg(0, std::ios::end);
  const std::streamoff end = in.tellg();
  if (end < 0) MIXQ_THROW(error, "{}: cannot read the file", path);
  const auto size = static_cast<std::size_t>(end);
  if (size > limits.max_file_bytes) {
    MIXQ_THROW(error, "{}: the file has {} bytes; expected at most {} (import_limits::max_file_bytes)", path, size,
               limits.max_file_bytes);
  }
  in.seekg(0, std::ios::beg);
  std::string bytes(size, '\0');
  if (!in.read(bytes.data(), static_cast<std::streamsize>(size))) MIXQ_THROW(error, "{}: cannot read the file", path);
  return import_onnx_bytes(bytes.data(), bytes.size(), path, limits);
}

}  // namespace mixq
