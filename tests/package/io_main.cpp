// Uses an installed mixq::io: an .npy file written, then read back.
#include <cstdio>

#include <mixq/io/npy.hpp>

int main() {
  const mixq::io::float_array a{{2, 2}, {0.5f, -1.0f, 2.0f, 0.0f}};
  mixq::io::write_npy("mixq_io_consumer.npy", a);
  const mixq::io::float_array back = mixq::io::read_npy_floats("mixq_io_consumer.npy");
  std::remove("mixq_io_consumer.npy");
  return back.shape == a.shape && back.data == a.data ? 0 : 1;
}
