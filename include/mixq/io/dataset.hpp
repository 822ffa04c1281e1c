#pragma once
// A labelled image set loaded from a folder, as the `mixq` tool's --data DIR
// reads it: the IDX files of the MNIST / Fashion-MNIST distributions, or
// .npy pairs. docs/data.md describes the names and the rules.
//
// Needs zlib: link mixq::io, not only mixq::mixq.

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include <mixq/config.hpp>
#include <mixq/io/arrays.hpp>
#include <mixq/io/detail/elements.hpp>
#include <mixq/io/idx.hpp>
#include <mixq/io/npy.hpp>

namespace mixq::io {

/// Images as float32 N x C x H x W (NCHW), with one label per image.
struct dataset {
  std::vector<std::size_t> shape;    ///< {N, C, H, W}
  std::vector<float> images;         ///< N*C*H*W values, image after image
  std::vector<std::int64_t> labels;  ///< N class indices (empty for unlabeled inputs)

  /// N, the number of images.
  std::size_t size() const noexcept { return shape.empty() ? 0 : shape[0]; }

  /// The C*H*W values of image i; throws mixq::error if i >= size() or the
  /// shape does not describe `images`.
  std::span<const float> image(std::size_t i) const {
    const auto count = detail::element_count(shape);
    if (shape.size() != 4 || !count || *count != images.size()) {
      MIXQ_THROW(mixq::error,
                 "mixq::io::dataset::image: shape = {} is invalid; expected {{N, C, H, W}} with N*C*H*W = "
                 "images.size() = {}",
                 detail::shape_text(shape), images.size());
    }
    if (i >= shape[0]) {
      MIXQ_THROW(mixq::error, "mixq::io::dataset::image: index = {} is invalid; expected an index < size() = {}", i,
                 shape[0]);
    }
    const std::size_t per_image = shape[1] * shape[2] * shape[3];
    return std::span<const float>(images).subspan(i * per_image, per_image);
  }
};

/// Which half of a distribution to load: IDX calls the test half "t10k".
enum class split { train, test };

constexpr std::string_view to_string(split s) noexcept { return s == split::train ? "train" : "test"; }

namespace detail {

inline constexpr std::string_view dataset_where = "mixq::io::load_dataset";

/// x / 255 in float32 for every byte, as torch.from_numpy(x).float() / 255 gives.
inline const std::array<float, 256>& byte_scale_table() {
  static const std::array<float, 256> table = [] {
    std::array<float, 256> t{};
    for (std::size_t b = 0; b < 256; ++b) t[b] = static_cast<float>(b) / 255.0f;
    return t;
  }();
  return table;
}

/// The first existing name of `names` in `folder`, or an empty string.
inline std::string first_existing(const std::filesystem::path& folder, std::span<const std::string> names) {
  for (const std::string& name : names) {
    std::error_code ec;
    const auto path = folder / name;
    if (std::filesystem::exists(path, ec) && !std::filesystem::is_directory(path, ec)) return path.string();
  }
  return {};
}

/// Fails unless both files declare the same number of entries (before either's data is read).
inline void check_counts(array_reader& images, array_reader& labels) {
  if (images.entries() != labels.entries()) {
    MIXQ_THROW(mixq::error,
               "{}: {} holds {} images but {} holds {} labels; expected one label per image (the same count)",
               dataset_where, images.source().path(), images.entries(), labels.source().path(), labels.entries());
  }
}

/// Fails for a labels file that is not rank 1 or not of an integer type.
inline void check_label_layout(array_reader& labels, std::string_view type) {
  if (!is_integer(labels.element())) {
    labels.source().fail("type = {} is invalid for labels; expected an integer type", type);
  }
  if (labels.shape().size() != 1) {
    labels.source().fail("shape = {} is invalid for labels; expected rank 1 (one label per image)",
                         shape_text(labels.shape()));
  }
}

/// The first n images as float32: bytes become x / 255, floats stay as stored.
inline std::vector<float> read_images(array_reader& images, std::size_t n, const read_limits& limits) {
  std::vector<float> out;
  visit_element(images.element(), [&]<class T>(std::type_identity<T>) {
    if constexpr (std::is_same_v<T, std::uint8_t> || std::is_floating_point_v<T>) {
      std::vector<T> values = images.read_entries<T>(n, limits);
      if constexpr (std::is_same_v<T, float>) {
        out = std::move(values);
      } else if constexpr (std::is_same_v<T, double>) {
        out.reserve(values.size());
        for (double v : values) out.push_back(narrow_to_float(v));
      } else {
        const auto& scale = byte_scale_table();
        out.reserve(values.size());
        for (std::uint8_t b : values) out.push_back(scale[b]);
      }
    }
  });
  return out;
}

inline bool is_image_element(element_type t) noexcept {
  return t.kind == element_kind::floating || (t.kind == element_kind::unsigned_int && t.size == 1);
}

/// Reads both files' data once their headers agree; the first `limit` entries only (0: all).
inline dataset load_pair(array_reader& images, array_reader& labels, std::size_t limit, const read_limits& limits) {
  check_counts(images, labels);
  const std::size_t n = images.entries();
  const std::size_t keep = limit == 0 ? n : std::min(limit, n);
  dataset out;
  const auto& s = images.shape();
  out.shape = s.size() == 3 ? std::vector<std::size_t>{keep, 1, s[1], s[2]}
                            : std::vector<std::size_t>{keep, s[1], s[2], s[3]};
  out.images = read_images(images, keep, limits);
  out.labels = read_int64_entries(labels, keep, limits, false);
  // Only a whole file is checked for bytes after its data: a limited read stops early on purpose.
  if (keep == n) {
    labels.expect_end();
    images.expect_end();
  }
  return out;
}

inline dataset load_idx_pair(const std::string& images_path, const std::string& labels_path, std::size_t limit,
                             const read_limits& limits) {
  idx_reader images(dataset_where, images_path, limits);
  idx_reader labels(dataset_where, labels_path, limits);
  if (!is_image_element(images.element())) {
    images.source().fail("type = {} is invalid for images; expected unsigned byte (or float, double)",
                         to_string(images.type()));
  }
  if (images.shape().size() != 3) {
    images.source().fail("shape = {} is invalid for images; expected rank 3 (N x H x W){}",
                         shape_text(images.shape()),
                         images.shape().size() == 4 ? " (N x H x W x C IDX files are not supported)" : "");
  }
  check_label_layout(labels, to_string(labels.type()));
  return load_pair(images, labels, limit, limits);
}

inline dataset load_npy_pair(const std::string& images_path, const std::string& labels_path, std::size_t limit,
                             const read_limits& limits) {
  npy_reader images(dataset_where, images_path, limits);
  npy_reader labels(dataset_where, labels_path, limits);
  if (!is_image_element(images.element())) {
    images.source().fail("dtype = '{}' is invalid for images; expected float32 ('<f4'), float64 ('<f8') or uint8 "
                         "('|u1')",
                         images.descr());
  }
  if (images.shape().size() != 3 && images.shape().size() != 4) {
    images.source().fail("shape = {} is invalid for images; expected rank 4 (N x C x H x W) or 3 (N x H x W)",
                         shape_text(images.shape()));
  }
  check_label_layout(labels, fmt::format("'{}'", labels.descr()));
  return load_pair(images, labels, limit, limits);
}

}  // namespace detail

/// Loads split `s` from `folder`: the MNIST / Fashion-MNIST IDX files
/// ({train,t10k}-{images-idx3,labels-idx1}-ubyte, each plain or .gz, the
/// plain name first), else the .npy pair {train,test}_{images,labels}.npy.
/// IDX byte images become x / 255 in N x 1 x H x W; npy images are float32
/// N x C x H x W or N x H x W (-> N x 1 x H x W), uint8 ones x / 255.
/// `limit` > 0 keeps the first `limit` images and reads no further.
/// Throws mixq::error naming the folder or file for everything the readers
/// reject, missing files, label and image counts that differ, images or
/// labels of the wrong rank or type, and negative labels.
inline dataset load_dataset(const std::string& folder, split s, std::size_t limit = 0,
                            const read_limits& limits = {}) {
  using detail::dataset_where;
  std::error_code ec;
  if (!std::filesystem::is_directory(folder, ec)) {
    MIXQ_THROW(mixq::error, "{}: {}: is not a folder; expected a folder of IDX or .npy files", dataset_where, folder);
  }
  const std::string idx = s == split::train ? "train" : "t10k";
  const std::string npy(to_string(s));
  const std::string idx_images = idx + "-images-idx3-ubyte";
  const std::string idx_labels = idx + "-labels-idx1-ubyte";
  const std::string npy_images = npy + "_images.npy";
  const std::string npy_labels = npy + "_labels.npy";

  const std::string image_names[] = {idx_images, idx_images + ".gz", npy_images};
  const std::string images = detail::first_existing(folder, image_names);
  if (images.empty()) {
    MIXQ_THROW(mixq::error, "{}: {}: no {} images: found none of {}; expected one of them, with its labels",
               dataset_where, folder, to_string(s), fmt::join(image_names, ", "));
  }
  const bool is_idx = !images.ends_with(".npy");
  const std::string idx_label_names[] = {idx_labels, idx_labels + ".gz"};
  const std::string npy_label_names[] = {npy_labels};
  const std::span<const std::string> label_names =
      is_idx ? std::span<const std::string>(idx_label_names) : std::span<const std::string>(npy_label_names);
  const std::string labels = detail::first_existing(folder, label_names);
  if (labels.empty()) {
    MIXQ_THROW(mixq::error, "{}: {}: {} has no labels: found none of {}; expected one of them next to the images",
               dataset_where, folder, std::filesystem::path(images).filename().string(), fmt::join(label_names, ", "));
  }
  return is_idx ? detail::load_idx_pair(images, labels, limit, limits)
                : detail::load_npy_pair(images, labels, limit, limits);
}

}  // namespace mixq::io
