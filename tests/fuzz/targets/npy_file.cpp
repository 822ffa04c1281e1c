// The .npy reader: any file is an array whose size matches its header, or a
// mixq::error; read as floats and as labels. Nothing is read beyond what the
// file holds, and nothing allocated beyond what it justifies (CI runs the
// target under libFuzzer's -malloc_limit_mb).
#include <string>

#include <mixq/io/npy.hpp>

#include "../fuzz_target.hpp"

MIXQ_FUZZ_TARGET(npy_file) {
  const std::string path = mixq_fuzz::scratch_file(data, size);
  try {
    const mixq::io::float_array a = mixq::io::read_npy_floats(path);
    std::size_t count = 1;
    for (const auto d : a.shape) count *= d;
    if (count != a.data.size()) mixq_fuzz::fail("the shape holds {} elements, the array {}", count, a.data.size());
  } catch (const mixq::error&) {
  }
  try {
    (void)mixq::io::read_npy_labels(path);
  } catch (const mixq::error&) {
  }
}
