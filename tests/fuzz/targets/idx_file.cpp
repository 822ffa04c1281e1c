// The IDX reader (MNIST / Fashion-MNIST files, plain or gzip): any file is an
// array whose size matches its header, or a mixq::error. Nothing is read
// beyond what the file holds, and nothing allocated beyond what it justifies
// (CI runs the target under libFuzzer's -malloc_limit_mb).
#include <string>

#include <mixq/io/idx.hpp>

#include "../fuzz_target.hpp"

MIXQ_FUZZ_TARGET(idx_file) {
  const std::string path = mixq_fuzz::scratch_file(data, size);
  mixq::io::idx_array a;
  try {
    a = mixq::io::read_idx(path);
  } catch (const mixq::error&) {
    return;
  }
  std::size_t count = 1;
  for (const auto d : a.shape) count *= d;
  if (count != a.size()) mixq_fuzz::fail("the shape holds {} elements, the array {}", count, a.size());
  const auto floats = mixq::io::to_float_array(a);
  if (floats.data.size() != count) mixq_fuzz::fail("to_float_array made {} values of {}", floats.data.size(), count);
  try {
    (void)mixq::io::to_label_array(a);
  } catch (const mixq::error&) {
  }
}
