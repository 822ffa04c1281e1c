// io/dataset.hpp: labelled image sets from folders of IDX files in the
// MNIST naming or .npy pairs, against files written byte by byte here and
// by NumPy (data/gen.py), and Fashion-MNIST as Debian ships it.
#include "unit/io/io_files.hpp"

using namespace mixq_test_io;

// ---------------------------------------------------------------- dataset

TEST_CASE("dataset: IDX folders in the MNIST naming, plain or gzip", "[io][dataset]") {
  const std::string folder = data_dir + "/idx";
  // t10k: gzip images (gen.py's gzip module), plain labels.
  const dataset test = load_dataset(folder, split::test);
  REQUIRE(test.shape == shape_t{3, 1, 4, 5});
  CHECK(test.size() == 3);
  CHECK(test.labels == std::vector<std::int64_t>{9, 0, 7});
  REQUIRE(test.images.size() == 60);
  for (std::size_t n = 0; n < 3; ++n) {
    const auto image = test.image(n);
    REQUIRE(image.size() == 20);
    for (std::size_t h = 0; h < 4; ++h) {
      for (std::size_t w = 0; w < 5; ++w) {
        // x / 255 in float32, as torch.from_numpy(x).float() / 255 gives.
        CHECK(image[h * 5 + w] == static_cast<float>(gen_pixel(n, h, w)) / 255.0f);
      }
    }
  }
  CHECK(test.images[0] == 0.0f);
  CHECK(test.images[1] == 13.0f / 255.0f);
  // train: plain images, gzip labels.
  const dataset train = load_dataset(folder, split::train);
  CHECK(train.shape == shape_t{2, 1, 4, 5});
  CHECK(train.labels == std::vector<std::int64_t>{1, 2});
  CHECK(train.image(1)[3] == static_cast<float>(gen_pixel(1, 0, 3)) / 255.0f);
}

TEST_CASE("dataset: .npy pairs", "[io][dataset]") {
  const std::string folder = data_dir + "/npy_pair";
  // uint8 N x H x W -> N x 1 x H x W, x / 255; uint8 labels.
  const dataset test = load_dataset(folder, split::test);
  REQUIRE(test.shape == shape_t{3, 1, 4, 5});
  CHECK(test.labels == std::vector<std::int64_t>{4, 4, 1});
  CHECK(test.image(2)[7] == static_cast<float>(gen_pixel(2, 1, 2)) / 255.0f);
  // float32 N x C x H x W as stored; int64 labels.
  const dataset train = load_dataset(folder, split::train);
  REQUIRE(train.shape == shape_t{2, 3, 2, 2});
  CHECK(train.labels == std::vector<std::int64_t>{3, 8});
  REQUIRE(train.image(1).size() == 12);
  CHECK(train.image(1)[0] == 12.0f / 4 - 2);
  CHECK(train.images.back() == 23.0f / 4 - 2);
  CHECK(load_dataset(folder, split::train, 1).shape == shape_t{1, 3, 2, 2});
}

TEST_CASE("dataset: names, and which file wins", "[io][dataset]") {
  scratch_dir dir;
  const bytes labels = idx_file(0x08, {1}, {5});
  // Plain and .gz both present: the plain file is read.
  dir.write("t10k-images-idx3-ubyte", idx_file(0x08, {1, 1, 2}, {255, 0}));
  dir.write("t10k-images-idx3-ubyte.gz", gzip(idx_file(0x08, {1, 1, 2}, {0, 255})));
  dir.write("t10k-labels-idx1-ubyte.gz", gzip(labels));
  // An npy pair next to them: IDX comes first.
  write_npy(dir.path("test_images.npy"), {{1, 1, 2}, {0.5f, 0.5f}});
  const dataset d = load_dataset(dir.folder(), split::test);
  CHECK(d.images == std::vector<float>{1.0f, 0.0f});
  CHECK(d.labels == std::vector<std::int64_t>{5});
  // Images a float IDX file holds stay as stored.
  dir.write("train-images-idx3-ubyte", idx_file(0x0D, {1, 1, 1}, {0x3f, 0xc0, 0, 0}));
  dir.write("train-labels-idx1-ubyte", labels);
  CHECK(load_dataset(dir.folder(), split::train).images == std::vector<float>{1.5f});
}

TEST_CASE("dataset: a limit reads the first images and no further", "[io][dataset]") {
  scratch_dir dir;
  bytes pixels(5 * 4);
  for (std::size_t i = 0; i < pixels.size(); ++i) pixels[i] = static_cast<unsigned char>(i * 10);
  const bytes images = idx_file(0x08, {5, 2, 2}, pixels);
  const bytes labels = idx_file(0x08, {5}, {0, 1, 2, 3, 4});
  dir.write("t10k-images-idx3-ubyte", images);
  dir.write("t10k-labels-idx1-ubyte", labels);
  const dataset two = load_dataset(dir.folder(), split::test, 2);
  CHECK(two.shape == shape_t{2, 1, 2, 2});
  CHECK(two.labels == std::vector<std::int64_t>{0, 1});
  CHECK(two.images.size() == 8);
  CHECK(two.images[7] == 70.0f / 255.0f);
  CHECK(load_dataset(dir.folder(), split::test, 0).size() == 5);
  CHECK(load_dataset(dir.folder(), split::test, 99).size() == 5);

  // A gzip stream cut after the third image: the first two still load, the whole does not.
  const bytes packed = gzip(images);
  const bytes cut(packed.begin(), packed.end() - 12);
  dir.write("train-images-idx3-ubyte.gz", cut);
  dir.write("train-labels-idx1-ubyte", labels);
  CHECK(load_dataset(dir.folder(), split::train, 2).labels == std::vector<std::int64_t>{0, 1});
  CHECK_THROWS_WITH(load_dataset(dir.folder(), split::train), Contains("the gzip stream ends early"));

  // A header declaring 2^32 - 1 images, with two present: a limit of 2 reads
  // two; the declared count is neither read nor allocated.
  scratch_dir boast;
  boast.write("t10k-images-idx3-ubyte.gz", gzip(idx_file(0x08, {0xffffffff, 2, 2}, bytes(8, 51))));
  boast.write("t10k-labels-idx1-ubyte.gz", gzip(idx_file(0x08, {0xffffffff}, {3, 4})));
  const dataset boasted = load_dataset(boast.folder(), split::test, 2);
  CHECK(boasted.labels == std::vector<std::int64_t>{3, 4});
  CHECK(boasted.images == std::vector<float>(8, 0.2f));
  CHECK_THROWS_WITH(load_dataset(boast.folder(), split::test),
                    Contains("element count = 17179869180 is invalid (all of shape [4294967295, 2, 2] of unsigned "
                             "byte)"));
  CHECK_THROWS_WITH(load_dataset(boast.folder(), split::test, 3),
                    Contains("the gzip stream ends early: 8 of 12 data bytes arrived"));
}

TEST_CASE("dataset: missing files, mismatched counts, wrong ranks and types", "[io][dataset][errors]") {
  scratch_dir dir;
  CHECK_THROWS_WITH(load_dataset(dir.path("nowhere"), split::test),
                    Contains("mixq::io::load_dataset: " + dir.path("nowhere") + ": is not a folder"));
  CHECK_THROWS_WITH(load_dataset(dir.folder(), split::test),
                    Contains("mixq::io::load_dataset: " + dir.folder() +
                             ": no test images: found none of t10k-images-idx3-ubyte, t10k-images-idx3-ubyte.gz, "
                             "test_images.npy; expected one of them, with its labels"));
  CHECK_THROWS_WITH(load_dataset(dir.folder(), split::train),
                    Contains("no train images: found none of train-images-idx3-ubyte, train-images-idx3-ubyte.gz, "
                             "train_images.npy"));
  dir.write("t10k-images-idx3-ubyte.gz", gzip(idx_file(0x08, {2, 1, 1}, {1, 2})));
  CHECK_THROWS_WITH(load_dataset(dir.folder(), split::test),
                    Contains(dir.folder() + ": t10k-images-idx3-ubyte.gz has no labels: found none of "
                                            "t10k-labels-idx1-ubyte, t10k-labels-idx1-ubyte.gz"));
  write_npy(dir.path("train_images.npy"), {{1, 1, 1}, {0.5f}});
  CHECK_THROWS_WITH(load_dataset(dir.folder(), split::train),
                    Contains("train_images.npy has no labels: found none of train_labels.npy"));

  // Counts.
  const std::string labels = dir.write("t10k-labels-idx1-ubyte", idx_file(0x08, {3}, {1, 2, 3}));
  CHECK_THROWS_WITH(load_dataset(dir.folder(), split::test),
                    Contains(dir.path("t10k-images-idx3-ubyte.gz") + " holds 2 images but " + labels +
                             " holds 3 labels; expected one label per image"));
  // Labels.
  dir.write("t10k-labels-idx1-ubyte", idx_file(0x09, {2}, {4, 0xff}));
  CHECK_THROWS_WITH(load_dataset(dir.folder(), split::test),
                    Contains(labels) && Contains("label[1] = -1 is invalid; expected a class index >= 0"));
  dir.write("t10k-labels-idx1-ubyte", idx_file(0x08, {2, 1}, {4, 5}));
  CHECK_THROWS_WITH(load_dataset(dir.folder(), split::test),
                    Contains(labels) && Contains("shape = [2, 1] is invalid for labels; expected rank 1"));
  dir.write("t10k-labels-idx1-ubyte", idx_file(0x0D, {2}, bytes(8, 0)));
  CHECK_THROWS_WITH(load_dataset(dir.folder(), split::test),
                    Contains("type = float is invalid for labels; expected an integer type"));
  dir.write("t10k-labels-idx1-ubyte", idx_file(0x08, {2}, {4, 5}));
  REQUIRE(load_dataset(dir.folder(), split::test).labels == std::vector<std::int64_t>{4, 5});
  // Images.
  const std::string images = dir.write("t10k-images-idx3-ubyte", idx_file(0x08, {2, 1, 1, 1}, {1, 2}));
  CHECK_THROWS_WITH(load_dataset(dir.folder(), split::test),
                    Contains(images) && Contains("shape = [2, 1, 1, 1] is invalid for images; expected rank 3 (N x H "
                                                 "x W) (N x H x W x C IDX files are not supported)"));
  dir.write("t10k-images-idx3-ubyte", idx_file(0x08, {2, 1}, {1, 2}));
  CHECK_THROWS_WITH(load_dataset(dir.folder(), split::test),
                    Contains("shape = [2, 1] is invalid for images; expected rank 3 (N x H x W)"));
  dir.write("t10k-images-idx3-ubyte", idx_file(0x0C, {2, 1, 1}, bytes(8, 0)));
  CHECK_THROWS_WITH(load_dataset(dir.folder(), split::test),
                    Contains("type = int is invalid for images; expected unsigned byte (or float, double)"));
  // Damage the readers find is reported with load_dataset's name.
  dir.write("t10k-images-idx3-ubyte", idx_file(0x08, {2, 1, 1}, {1}));
  CHECK_THROWS_WITH(load_dataset(dir.folder(), split::test),
                    Contains("mixq::io::load_dataset: " + images + ": the file is truncated"));

  // npy pairs.
  scratch_dir npy;
  const std::string npy_images = npy.path("test_images.npy");
  const std::string npy_labels = npy.path("test_labels.npy");
  write_npy(npy_images, {{2, 1, 1, 1, 1}, {1.0f, 2.0f}});
  npy.write("test_labels.npy", npy_file("{'descr': '<i8', 'fortran_order': False, 'shape': (2,), }", bytes(16, 0)));
  CHECK_THROWS_WITH(load_dataset(npy.folder(), split::test),
                    Contains(npy_images) && Contains("shape = [2, 1, 1, 1, 1] is invalid for images; expected rank 4 "
                                                     "(N x C x H x W) or 3 (N x H x W)"));
  npy.write("test_images.npy", npy_file("{'descr': '<i4', 'fortran_order': False, 'shape': (2, 1, 1), }", bytes(8, 0)));
  CHECK_THROWS_WITH(load_dataset(npy.folder(), split::test),
                    Contains("dtype = '<i4' is invalid for images; expected float32 ('<f4'), float64 ('<f8') or "
                             "uint8"));
  write_npy(npy_images, {{3, 1, 1}, {1.0f, 2.0f, 3.0f}});
  CHECK_THROWS_WITH(load_dataset(npy.folder(), split::test),
                    Contains(npy_images + " holds 3 images but " + npy_labels + " holds 2 labels"));
  write_npy(npy_images, {{2, 1, 1}, {1.0f, 2.0f}});
  write_npy(npy_labels, {{2}, {1.0f, 2.0f}});
  CHECK_THROWS_WITH(load_dataset(npy.folder(), split::test),
                    Contains(npy_labels) && Contains("type = '<f4' is invalid for labels; expected an integer type"));
  npy.write("test_labels.npy",
            npy_file("{'descr': '<i8', 'fortran_order': False, 'shape': (2,), }", bytes(8, 0) + bytes(8, 0xff)));
  CHECK_THROWS_WITH(load_dataset(npy.folder(), split::test), Contains("label[1] = -1 is invalid"));
}

TEST_CASE("dataset: image(i) checks its index", "[io][dataset][errors]") {
  const dataset d{.shape = {2, 1, 1, 2}, .images = {1, 2, 3, 4}, .labels = {0, 1}};
  CHECK(d.size() == 2);
  CHECK(std::vector<float>(d.image(1).begin(), d.image(1).end()) == std::vector<float>{3, 4});
  CHECK_THROWS_WITH(d.image(2), Contains("mixq::io::dataset::image: index = 2 is invalid; expected an index < "
                                         "size() = 2"));
  const dataset broken{.shape = {2, 1, 1, 3}, .images = {1, 2, 3, 4}, .labels = {}};
  CHECK_THROWS_WITH(broken.image(0), Contains("shape = [2, 1, 1, 3] is invalid"));
  CHECK(dataset{}.size() == 0);
}

TEST_CASE("dataset: Fashion-MNIST's test images, as Debian ships them", "[io][dataset]") {
  const std::string folder = "/usr/share/datasets/fashion-mnist";
  if (!fs::exists(folder + "/t10k-images-idx3-ubyte.gz")) {
    WARN("skipped: " << folder << "/t10k-images-idx3-ubyte.gz is missing (scripts/bootstrap.sh installs the Debian "
                                  "package dataset-fashion-mnist)");
    return;
  }
  const idx_array raw = read_idx(folder + "/t10k-labels-idx1-ubyte.gz");
  CHECK(raw.shape == shape_t{10000});

  const dataset d = load_dataset(folder, split::test);
  REQUIRE(d.size() == 10000);
  CHECK(d.shape == shape_t{10000, 1, 28, 28});
  CHECK(d.images.size() == 10000 * 28 * 28);
  REQUIRE(d.labels.size() == 10000);
  CHECK(d.labels[0] == 9);  // ankle boot
  CHECK(d.labels[1] == 2);
  // Image 0's first nonzero pixel is byte 3 at (7, 19); NumPy gives
  // np.float32(3) / np.float32(255) == 0x1.818182p-7.
  const auto image0 = d.image(0);
  std::size_t first = 0;
  while (first < image0.size() && image0[first] == 0.0f) ++first;
  CHECK(first == 7 * 28 + 19);
  CHECK(image0[first] == 0x1.818182p-7f);

  const dataset head = load_dataset(folder, split::test, 3);
  CHECK(head.shape == shape_t{3, 1, 28, 28});
  CHECK(head.labels == std::vector<std::int64_t>{9, 2, 1});
  CHECK(std::equal(head.images.begin(), head.images.end(), d.images.begin()));
}
