// io/idx.hpp, io/npy.hpp: the readers against files made two
// independent ways: byte by byte here (IDX and npy headers written by hand,
// gzip through zlib's deflate) and by NumPy's np.save and Python's gzip module
// (data/gen.py, committed output). Every error names the file, what it found
// and what it expected.
#include "unit/io/io_files.hpp"

using namespace mixq_test_io;

// ---------------------------------------------------------------- IDX

TEST_CASE("idx: unsigned bytes, plain and gzip-compressed alike", "[io][idx]") {
  scratch_dir dir;
  const bytes payload = {0, 1, 2, 127, 128, 255};
  const bytes file = idx_file(0x08, {2, 3}, payload);
  // The gzip magic decides, not the name.
  for (const std::string& path : {dir.write("plain", file), dir.write("packed", gzip(file)),
                                  dir.write("packed-but-named.idx", gzip(file))}) {
    INFO(path);
    const idx_array a = read_idx(path);
    CHECK(a.shape == shape_t{2, 3});
    CHECK(a.type == idx_type::u8);
    CHECK(a.type_code() == 0x08);
    CHECK(a.size() == 6);
    CHECK(values_of<std::uint8_t>(a) == std::vector<std::uint8_t>(payload.begin(), payload.end()));
    CHECK(to_float_array(a).data == std::vector<float>{0, 1, 2, 127, 128, 255});
    CHECK(to_float_array(a).shape == shape_t{2, 3});
    CHECK(to_label_array(a).data == std::vector<std::int64_t>{0, 1, 2, 127, 128, 255});
  }
  // Concatenated gzip members are one stream (RFC 1952).
  const bytes halves = gzip(bytes(file.begin(), file.begin() + 7)) + gzip(bytes(file.begin() + 7, file.end()));
  CHECK(values_of<std::uint8_t>(read_idx(dir.write("members.gz", halves))).size() == 6);
  // An empty array is an array.
  CHECK(read_idx(dir.write("empty", idx_file(0x08, {0, 28, 28}, {}))).shape == shape_t{0, 28, 28});
}

TEST_CASE("idx: every element type, big-endian", "[io][idx]") {
  scratch_dir dir;
  const idx_array i8 = read_idx(dir.write("i8", idx_file(0x09, {3}, {0xff, 0x80, 0x7f})));
  CHECK(i8.type == idx_type::i8);
  CHECK(values_of<std::int8_t>(i8) == std::vector<std::int8_t>{-1, -128, 127});
  CHECK(to_label_array(i8).data == std::vector<std::int64_t>{-1, -128, 127});

  const idx_array i16 = read_idx(dir.write("i16", idx_file(0x0B, {2}, {0x01, 0x02, 0xff, 0xfe})));
  CHECK(values_of<std::int16_t>(i16) == std::vector<std::int16_t>{0x0102, -2});

  const idx_array i32 =
      read_idx(dir.write("i32", idx_file(0x0C, {1, 2}, be32(0x01020304) + be32(0xfffffffe))));
  CHECK(i32.type_code() == 0x0C);
  CHECK(values_of<std::int32_t>(i32) == std::vector<std::int32_t>{0x01020304, -2});
  CHECK(to_float_array(i32).data == std::vector<float>{16909060.0f, -2.0f});

  const idx_array f32 = read_idx(dir.write("f32", idx_file(0x0D, {2}, {0x3f, 0xc0, 0, 0, 0xc1, 0x20, 0, 0})));
  CHECK(values_of<float>(f32) == std::vector<float>{1.5f, -10.0f});
  CHECK_THROWS_WITH(to_label_array(f32), Contains("type = float is invalid; expected an integer IDX type"));

  // 1.5, and 2^200 (beyond float: +inf after conversion, as IEEE rounding gives).
  const idx_array f64 = read_idx(dir.write(
      "f64", idx_file(0x0E, {2}, {0x3f, 0xf8, 0, 0, 0, 0, 0, 0, 0x4c, 0x70, 0, 0, 0, 0, 0, 0})));
  CHECK(values_of<double>(f64) == std::vector<double>{1.5, 0x1p200});
  CHECK(to_float_array(f64).data == std::vector<float>{1.5f, inf_f});
  CHECK_THROWS_WITH(to_label_array(f64), Contains("type = double is invalid"));

  // Written by Python's struct + gzip modules.
  const idx_array fixture = read_idx(data_dir + "/idx/i4_2x2.idx.gz");
  CHECK(fixture.shape == shape_t{2, 2});
  CHECK(values_of<std::int32_t>(fixture) == std::vector<std::int32_t>{-2, 16909060, 0, 2147483647});
}

TEST_CASE("idx: a header that is not one", "[io][idx][errors]") {
  scratch_dir dir;
  const std::string missing = dir.path("no-such-file");
  CHECK_THROWS_WITH(read_idx(missing), Contains("mixq::io::read_idx: " + missing + ": cannot open the file") &&
                                           Contains("No such file or directory"));
  CHECK_THROWS_WITH(read_idx(dir.folder()), Contains(dir.folder() + ": is a folder; expected a file"));

  const std::string bad_magic = dir.write("magic", {0x01, 0x00, 0x08, 0x01, 0, 0, 0, 1, 7});
  CHECK_THROWS_WITH(read_idx(bad_magic), Contains(bad_magic) && Contains("IDX magic = 01 00 08 01 is invalid") &&
                                             Contains("two zero bytes"));
  // A PNG is not an IDX file either, nor is it taken for gzip.
  CHECK_THROWS_WITH(read_idx(dir.write("png", {0x89, 'P', 'N', 'G', 0x0d, 0x0a})),
                    Contains("IDX magic = 89 50 4e 47 is invalid"));

  const std::string bad_type = dir.write("type", idx_file(0x0A, {1}, {0, 0, 0, 0}));
  CHECK_THROWS_WITH(read_idx(bad_type), Contains(bad_type) && Contains("IDX type code = 0x0a is invalid") &&
                                            Contains("0x08 (unsigned byte)"));

  const std::string rank0 = dir.write("rank0", {0, 0, 0x08, 0});
  CHECK_THROWS_WITH(read_idx(rank0), Contains(rank0) && Contains("rank = 0 is invalid; expected 1 to 8 dimensions"));
  CHECK_THROWS_WITH(read_idx(dir.write("rank9", idx_file(0x08, {1, 1, 1, 1, 1, 1, 1, 1, 1}, {1}))),
                    Contains("rank = 9 is invalid; expected 1 to 8 dimensions (read_limits::max_rank)"));
  CHECK_THROWS_WITH(read_idx(dir.write("rank3", idx_file(0x08, {1, 1, 1}, {1})), {.max_rank = 2}),
                    Contains("rank = 3 is invalid; expected 1 to 2 dimensions"));
  // The rank limit can be raised.
  CHECK(read_idx(dir.path("rank9"), {.max_rank = 9}).shape.size() == 9);

  CHECK_THROWS_WITH(read_idx(dir.write("empty", {})),
                    Contains("the file ends after 0 of the 4 bytes of the IDX magic"));
  CHECK_THROWS_WITH(read_idx(dir.write("short-dims", {0, 0, 0x08, 3, 0, 0, 0, 2, 0, 0})),
                    Contains("the file ends after 2 of the 4 bytes of the IDX dimensions"));
  // The same inside a gzip stream that is itself complete.
  CHECK_THROWS_WITH(read_idx(dir.write("short-dims.gz", gzip({0, 0, 0x08, 3, 0, 0, 0, 2, 0, 0}))),
                    Contains("the file ends after 2 of the 4 bytes of the IDX dimensions"));
}

TEST_CASE("idx: sizes the data does not match, or that exceed the limits", "[io][idx][errors]") {
  scratch_dir dir;
  // Three dimensions of 2^32 - 1: 2^96 elements.
  const std::string huge = dir.write("huge", idx_file(0x08, {0xffffffff, 0xffffffff, 0xffffffff}, {}));
  CHECK_THROWS_WITH(read_idx(huge, {.max_elements = std::numeric_limits<std::size_t>::max()}),
                    Contains(huge) && Contains("shape = [4294967295, 4294967295, 4294967295] is invalid") &&
                        Contains("overflows size_t"));
  // 2^62 doubles are 2^65 bytes.
  CHECK_THROWS_WITH(read_idx(dir.write("bytes", idx_file(0x0E, {0x40000000, 0x40000000, 4}, {}))),
                    Contains("overflows size_t"));

  const std::string six = dir.write("six", idx_file(0x08, {2, 3}, {1, 2, 3, 4, 5, 6}));
  CHECK_THROWS_WITH(read_idx(six, {.max_elements = 5}),
                    Contains(six) && Contains("element count = 6 is invalid (all of shape [2, 3] of unsigned byte)") &&
                        Contains("expected at most 5 (read_limits::max_elements)"));
  CHECK(read_idx(six, {.max_elements = 6}).size() == 6);
  // The default limit, 2^31 elements, stops a header before any allocation.
  CHECK_THROWS_WITH(read_idx(dir.write("big", idx_file(0x08, {60000, 28, 28, 100}, {}))),
                    Contains("element count = 4704000000 is invalid") && Contains("at most 2147483648"));

  // A plain file is measured before anything is allocated.
  const std::string truncated = dir.write("truncated", idx_file(0x08, {2, 3}, {1, 2, 3, 4, 5}));
  CHECK_THROWS_WITH(read_idx(truncated),
                    Contains(truncated) &&
                        Contains("the file is truncated: it holds 5 data bytes after the 12-byte header; expected 6 "
                                 "for shape [2, 3] of unsigned byte"));
  const std::string boasting = dir.write("boasting", idx_file(0x08, {0xffffffff, 0xffffffff}, {1, 2, 3}));
  CHECK_THROWS_WITH(read_idx(boasting, {.max_elements = std::numeric_limits<std::size_t>::max()}),
                    Contains("the file is truncated: it holds 3 data bytes"));

  // A gzip stream's length is unknown until inflated: its data must arrive
  // before the buffer grows. A header declaring (2^32 - 1)^2 bytes over 3
  // real ones fails cleanly (no std::bad_alloc, no sanitizer report).
  const std::string gz_boasting = dir.write("boasting.gz", gzip(idx_file(0x08, {0xffffffff, 0xffffffff}, {1, 2, 3})));
  CHECK_THROWS_WITH(read_idx(gz_boasting, {.max_elements = std::numeric_limits<std::size_t>::max()}),
                    Contains(gz_boasting) &&
                        Contains("the gzip stream ends early: 3 of 18446744065119617025 data bytes arrived"));
  const std::string gz_short = dir.write("short.gz", gzip(idx_file(0x0C, {2, 2}, be32(1) + be32(2) + bytes{0, 0})));
  CHECK_THROWS_WITH(read_idx(gz_short),
                    Contains("the gzip stream ends early: 10 of 16 data bytes arrived; expected 16 bytes for shape "
                             "[2, 2] of int"));

  // Bytes after the data are damage, not padding.
  const std::string trailing = dir.write("trailing", idx_file(0x08, {2}, {1, 2, 3, 4}));
  CHECK_THROWS_WITH(read_idx(trailing),
                    Contains(trailing) &&
                        Contains("2 bytes follow the data; expected the file to end after shape [2] of unsigned byte"));
  CHECK_THROWS_WITH(read_idx(dir.write("trailing.gz", gzip(idx_file(0x08, {2}, {1, 2, 3, 4})))),
                    Contains("data continues after the shape [2] of unsigned byte the header declares; expected "
                             "the gzip stream to end there"));
}

TEST_CASE("idx: corrupt and truncated gzip streams", "[io][idx][errors]") {
  scratch_dir dir;
  bytes payload(3000);
  for (std::size_t i = 0; i < payload.size(); ++i) payload[i] = static_cast<unsigned char>(i * 7 % 251);
  const bytes packed = gzip(idx_file(0x08, {3, 1000}, payload));
  REQUIRE(read_idx(dir.write("good.gz", packed)).size() == 3000);

  // Cut short: the compressed input ends before the stream does.
  const std::string cut = dir.write("cut.gz", bytes(packed.begin(), packed.end() - 20));
  CHECK_THROWS_WITH(read_idx(cut), Contains(cut) && Contains("the gzip stream ends early after") &&
                                       Contains("zlib: unexpected end of file") && Contains("truncated"));
  const std::string header_only = dir.write("header-only.gz", bytes(packed.begin(), packed.begin() + 10));
  CHECK_THROWS_WITH(read_idx(header_only), Contains("the gzip stream ends early after 0 data bytes"));

  // The CRC-32 in the trailer no longer matches.
  bytes bad_crc = packed;
  bad_crc[bad_crc.size() - 8] ^= 0xff;
  const std::string crc = dir.write("crc.gz", bad_crc);
  CHECK_THROWS_WITH(read_idx(crc),
                    Contains(crc) && Contains("the gzip stream is corrupt (zlib: incorrect data check)"));
  // The ISIZE field (length mod 2^32) no longer matches.
  bytes bad_length = packed;
  bad_length[bad_length.size() - 1] ^= 0x01;
  CHECK_THROWS_WITH(read_idx(dir.write("length.gz", bad_length)), Contains("zlib: incorrect length check"));
  // Compression method 7 is not deflate.
  bytes bad_method = packed;
  bad_method[2] = 7;
  CHECK_THROWS_WITH(read_idx(dir.write("method.gz", bad_method)),
                    Contains("the gzip stream is corrupt (zlib: unknown compression method)"));
  // The first deflate block's type bits (byte 10, bits 1-2) set to 11, a reserved type.
  bytes bad_block = packed;
  bad_block[10] |= 0x06;
  CHECK_THROWS_WITH(read_idx(dir.write("block.gz", bad_block)),
                    Contains("the gzip stream is corrupt (zlib: invalid block type); expected a valid gzip file"));
  // Damage further in may still inflate, to bytes that are not the file: the
  // reader then fails on what it finds, or on the CRC, but never crashes.
  for (std::size_t at = 10; at + 8 < packed.size(); at += 7) {
    bytes damaged = packed;
    damaged[at] ^= 0x5a;
    CHECK_THROWS_AS(read_idx(dir.write("damaged.gz", damaged)), mixq::error);
  }
  // Garbage after the gzip stream.
  CHECK_THROWS_WITH(read_idx(dir.write("garbage.gz", packed + bytes{'x', 'y'})),
                    Contains("bytes that are not gzip data follow the end of the gzip stream"));
}

// ---------------------------------------------------------------- npy

TEST_CASE("npy: files written by np.save, every dtype and version", "[io][npy]") {
  const std::string npy = data_dir + "/npy/";
  const float_array a = read_npy_floats(npy + "f32_2x3.npy");
  CHECK(a.shape == shape_t{2, 3});
  CHECK(a.data == std::vector<float>{-1.0f, -0.5f, 0.0f, 0.5f, 1.0f, 1.5f});
  CHECK(read_npy_floats(npy + "f32_5.npy").data == std::vector<float>{0.25f, -3.0f, 1e-3f, 7.5f, 65504.0f});
  CHECK(read_npy_floats(npy + "f32_be.npy").data == std::vector<float>{1.5f, -2.25f, 3e38f});
  // float64 rounds to nearest float: 0.1, -1e300 -> -inf, 1e-50 -> 0, FLT_MAX + 2^102 -> FLT_MAX (as astype gives).
  const float_array f64 = read_npy_floats(npy + "f64_2x2.npy");
  CHECK(f64.shape == shape_t{2, 2});
  CHECK(f64.data == std::vector<float>{0.1f, -inf_f, 0.0f, flt_max});
  CHECK(read_npy_floats(npy + "f64_be.npy").data == std::vector<float>{-0.5f, 1e10f});
  CHECK(read_npy_floats(npy + "u8_4.npy").data == std::vector<float>{0.0f, 1.0f, 128.0f, 255.0f});
  CHECK(read_npy_floats(npy + "i4_labels.npy").data == std::vector<float>{5.0f, 2.0f, -4.0f});
  CHECK(read_npy_floats(npy + "v2_f32.npy").data == std::vector<float>{1.0f, 2.0f});
  const float_array v3 = read_npy_floats(npy + "v3_f32.npy");
  CHECK(v3.shape == shape_t{2, 1});
  CHECK(v3.data == std::vector<float>{3.0f, 4.0f});

  CHECK(read_npy_labels(npy + "i8_labels.npy").data == std::vector<std::int64_t>{9, 0, 3, -1});
  CHECK(read_npy_labels(npy + "i8_be_labels.npy").data == std::vector<std::int64_t>{9, -7, std::int64_t{1} << 40});
  CHECK(read_npy_labels(npy + "i4_labels.npy").data == std::vector<std::int64_t>{5, 2, -4});
  CHECK(read_npy_labels(npy + "u8_4.npy").data == std::vector<std::int64_t>{0, 1, 128, 255});

  const std::string fortran = npy + "fortran_2x3.npy";
  CHECK_THROWS_WITH(read_npy_floats(fortran),
                    Contains("mixq::io::read_npy_floats: " + fortran + ": fortran_order = True is invalid; expected "
                             "False (C order"));
  const std::string big = npy + "u8_big.npy";
  CHECK_THROWS_WITH(read_npy_labels(big), Contains("mixq::io::read_npy_labels: " + big) &&
                                              Contains("value[1] = 9223372036854775808 is invalid; expected at most "
                                                       "2^63 - 1"));
  CHECK_THROWS_WITH(read_npy_labels(npy + "f32_5.npy"),
                    Contains("dtype = '<f4' is invalid; expected an integer dtype for labels"));
  CHECK_THROWS_WITH(read_npy_labels(npy + "v3_f32.npy"), Contains("dtype = '<f4' is invalid"));
  CHECK_THROWS_WITH(read_npy_floats(npy + "f32_scalar.npy"), Contains("rank = 0 is invalid; expected 1 to 8"));
}

TEST_CASE("npy: write_npy writes the bytes np.save writes", "[io][npy]") {
  scratch_dir dir;
  const std::string npy = data_dir + "/npy/";
  const auto same_as_numpy = [&](const float_array& a, const std::string& fixture) {
    INFO(fixture);
    const std::string out = dir.path("out.npy");
    write_npy(out, a);
    CHECK(read_file(out) == read_file(npy + fixture));
  };
  same_as_numpy({{2, 3}, {-1.0f, -0.5f, 0.0f, 0.5f, 1.0f, 1.5f}}, "f32_2x3.npy");
  same_as_numpy({{5}, {0.25f, -3.0f, 1e-3f, 7.5f, 65504.0f}}, "f32_5.npy");  // (5,): a one-tuple
  same_as_numpy({{}, {2.5f}}, "f32_scalar.npy");                              // (): no room left for growth
  // A header that ends on a 64-byte boundary: numpy pads with 64 spaces.
  same_as_numpy({{0, 1, 1, 1, 10, 10000, 10000, 10000, 10000}, {}}, "f32_aligned.npy");
  CHECK(read_npy_floats(npy + "f32_aligned.npy", {.max_rank = 9}).shape ==
        shape_t{0, 1, 1, 1, 10, 10000, 10000, 10000, 10000});

  // Round trip, including the values that are easy to mangle.
  const float_array odd{{3, 1, 2}, {0.0f, -0.0f, inf_f, -inf_f, flt_max, std::numeric_limits<float>::denorm_min()}};
  write_npy(dir.path("odd.npy"), odd);
  const float_array back = read_npy_floats(dir.path("odd.npy"));
  CHECK(back.shape == odd.shape);
  CHECK(std::memcmp(back.data.data(), odd.data.data(), odd.data.size() * sizeof(float)) == 0);

  const std::string out = dir.path("bad.npy");
  CHECK_THROWS_WITH(write_npy(out, {{2, 3}, {1.0f, 2.0f}}),
                    Contains("mixq::io::write_npy: " + out + ": data.size() = 2 is invalid; expected the 6 elements "
                             "of shape [2, 3]"));
  const std::string nowhere = dir.path("no-such-folder/x.npy");
  CHECK_THROWS_WITH(write_npy(nowhere, {{1}, {1.0f}}),
                    Contains(nowhere + ": cannot create the file (No such file or directory)"));
}

TEST_CASE("npy: headers as other writers may spell them", "[io][npy]") {
  scratch_dir dir;
  const bytes two = floats_le({1.0f, -2.0f});
  // Key order, quotes, spacing, no trailing comma, no padding, Python 2 longs.
  for (const std::string& header :
       {std::string("{'shape': (2,), 'fortran_order': False, 'descr': '<f4'}"),
        std::string("{\"descr\":\"<f4\",\"fortran_order\":False,\"shape\":(2,)}"),
        std::string("  {'descr': '<f4', 'fortran_order': False, 'shape': (2L,), }   \n"),
        std::string("{'descr': '<f4',\n 'fortran_order': False,\n 'shape': ( 2 , ) ,\n}")}) {
    INFO(header);
    const float_array a = read_npy_floats(dir.write("h.npy", npy_file(header, two)));
    CHECK(a.shape == shape_t{2});
    CHECK(a.data == std::vector<float>{1.0f, -2.0f});
  }
  CHECK(read_npy_floats(dir.write("v2.npy", npy_file(f4_header("(1, 2)"), two, 2))).shape == shape_t{1, 2});
  // One-byte types: '|' is numpy's mark, '<' and '>' mean the same.
  for (const char* descr : {"|u1", "<u1", ">u1"}) {
    const std::string h = std::string("{'descr': '") + descr + "', 'fortran_order': False, 'shape': (2,), }";
    CHECK(read_npy_labels(dir.write("u1.npy", npy_file(h, {7, 200}))).data == std::vector<std::int64_t>{7, 200});
  }
  CHECK(read_npy_labels(dir.write("i1.npy", npy_file("{'descr': '|i1', 'fortran_order': False, 'shape': (2,), }",
                                                     {0xff, 5})))
            .data == std::vector<std::int64_t>{-1, 5});
  CHECK(read_npy_labels(dir.write("u2.npy", npy_file("{'descr': '>u2', 'fortran_order': False, 'shape': (1,), }",
                                                     {0xff, 0xfe})))
            .data == std::vector<std::int64_t>{65534});
  // An .npy file gzip-compressed reads too: the readers share one byte source.
  CHECK(read_npy_floats(dir.write("gz.npy", gzip(npy_file(f4_header("(2,)"), two)))).data ==
        std::vector<float>{1.0f, -2.0f});
}

TEST_CASE("npy: malformed files", "[io][npy][errors]") {
  scratch_dir dir;
  const bytes two = floats_le({1.0f, -2.0f});
  const auto header_error = [&](const std::string& header, const bytes& payload = {}) {
    const std::string path = dir.write("h.npy", npy_file(header, payload));
    try {
      (void)read_npy_floats(path);
    } catch (const mixq::error& e) {
      const std::string what = e.what();
      CHECK_THAT(what, Contains("mixq::io::read_npy_floats: " + path + ": "));
      return what;
    }
    FAIL("no error for header " << header);
    return std::string();
  };

  CHECK_THROWS_WITH(read_npy_floats(dir.write("magic.npy", {0x93, 'N', 'U', 'M', 'P', 'X', 1, 0, 0, 0})),
                    Contains("npy magic = 93 4e 55 4d 50 58 is invalid; expected 93 4e 55 4d 50 59 (\\x93NUMPY)"));
  CHECK_THROWS_WITH(read_npy_floats(dir.write("v4.npy", npy_file(f4_header("(2,)"), two, 4))),
                    Contains("npy format version = 4.0 is invalid; expected 1.0, 2.0 or 3.0"));
  bytes v11 = npy_file(f4_header("(2,)"), two);
  v11[7] = 1;
  CHECK_THROWS_WITH(read_npy_floats(dir.write("v11.npy", v11)), Contains("npy format version = 1.1 is invalid"));
  CHECK_THROWS_WITH(read_npy_floats(dir.write("short.npy", {0x93, 'N', 'U', 'M'})),
                    Contains("the file ends after 4 of the 8 bytes of the npy magic and version"));
  // A 2.0 header length of 4 GiB is refused before it is allocated.
  const bytes long_header = {0x93, 'N', 'U', 'M', 'P', 'Y', 2, 0, 0xff, 0xff, 0xff, 0xff};
  CHECK_THROWS_WITH(read_npy_floats(dir.write("long.npy", long_header)),
                    Contains("npy header length = 4294967295 is invalid; expected at most 65536 bytes"));
  bytes cut = npy_file(f4_header("(2,)"), {});
  cut.resize(30);
  CHECK_THROWS_WITH(read_npy_floats(dir.write("cut.npy", cut)),
                    Contains("the file ends after 20 of the") && Contains("bytes of the npy header"));

  // The dict literal.
  CHECK_THAT(header_error("[1, 2]"), Contains("npy header = [1, 2] is invalid at character 0: expected '{' opening "
                                              "the dict; expected a dict literal such as {'descr': '<f4', "
                                              "'fortran_order': False, 'shape': (2, 3), }"));
  CHECK_THAT(header_error("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), "),
             Contains("expected a key string"));
  CHECK_THAT(header_error("{'descr': '<f4' 'fortran_order': False}"), Contains("expected ',' or '}' after a value"));
  CHECK_THAT(header_error("{'descr': '<f4', 'fortran_order': False, 'shape': (2,)} x"),
             Contains("text follows the closing '}'"));
  CHECK_THAT(header_error("{'descr': '<f4, 'fortran_order': False, 'shape': (2,)}"), Contains("at character"));
  CHECK_THAT(header_error("{'descr': '<f4"), Contains("a string is not closed"));
  CHECK_THAT(header_error("{'descr': '<\\x66\\x34', 'fortran_order': False, 'shape': (2,)}"),
             Contains("a string holds a backslash"));
  CHECK_THAT(header_error("{'descr': '<f4', 'fortran_order': 0, 'shape': (2,)}"),
             Contains("expected True or False for 'fortran_order'"));
  CHECK_THAT(header_error("{'descr': '<f4', 'fortran_order': False}"),
             Contains("it has no 'shape' key; expected the keys 'descr', 'fortran_order' and 'shape'"));
  CHECK_THAT(header_error("{'fortran_order': False, 'shape': (2,)}"), Contains("it has no 'descr' key"));
  CHECK_THAT(header_error("{'descr': '<f4', 'shape': (2,)}"), Contains("it has no 'fortran_order' key"));
  CHECK_THAT(header_error("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'extra': 1}"),
             Contains("the key 'extra' is not one of 'descr', 'fortran_order', 'shape'"));
  CHECK_THAT(header_error("{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (2,)}"),
             Contains("the key 'descr' appears twice"));
  // Bytes that are not text are quoted, not copied into the message.
  CHECK_THAT(header_error(std::string("{\x01\xff") + "}"), Contains("npy header = {\\x01\\xff} is invalid"));

  // The shape.
  CHECK_THAT(header_error(f4_header("(2)")), Contains("'shape' is (n), an integer, not a tuple; expected (n,)"));
  CHECK_THAT(header_error(f4_header("[2]")), Contains("expected a tuple such as (2, 3) for 'shape'"));
  CHECK_THAT(header_error(f4_header("(2, -3)")), Contains("a dimension is negative; expected dimensions >= 0"));
  CHECK_THAT(header_error(f4_header("(2, x)")), Contains("expected a dimension (a non-negative integer)"));
  CHECK_THAT(header_error(f4_header("(2 3)")), Contains("expected ',' or ')' in the shape tuple"));
  CHECK_THAT(header_error(f4_header("(18446744073709551616,)")), Contains("a dimension does not fit in size_t"));
  CHECK_THAT(header_error(f4_header("()")), Contains("rank = 0 is invalid; expected 1 to 8 dimensions"));
  CHECK_THAT(header_error(f4_header("(1, 1, 1, 1, 1, 1, 1, 1, 1)")), Contains("rank = 9 is invalid"));
  CHECK_THAT(header_error(f4_header("(4294967296, 4294967296)")),
             Contains("shape = [4294967296, 4294967296] is invalid: its size in bytes overflows size_t"));
  CHECK_THAT(header_error(f4_header("(3000000000,)")),
             Contains("element count = 3000000000 is invalid (all of shape [3000000000] of '<f4'); expected at "
                      "most 2147483648 (read_limits::max_elements)"));

  // The dtype and the order.
  for (const char* descr : {"<c8", "<f2", "|f4", "=f4", "<U3", "<i16", "<b1", "O", "<M8[s]"}) {
    CHECK_THAT(header_error(std::string("{'descr': '") + descr + "', 'fortran_order': False, 'shape': (2,), }"),
               Contains(std::string("dtype = '") + descr + "' is invalid; expected one of '<f4', '>f4'"));
  }
  CHECK_THAT(header_error("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (2,), }"),
             Contains("expected a dtype string such as '<f4'"));
  CHECK_THAT(header_error("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }"),
             Contains("fortran_order = True is invalid"));

  // The data.
  const std::string truncated = dir.write("truncated.npy", npy_file(f4_header("(3,)"), two));
  CHECK_THROWS_WITH(read_npy_floats(truncated),
                    Contains(truncated) && Contains("the file is truncated: it holds 8 data bytes after the") &&
                        Contains("expected 12 for shape [3] of '<f4'"));
  const std::string trailing = dir.write("trailing.npy", npy_file(f4_header("(1,)"), two));
  CHECK_THROWS_WITH(read_npy_floats(trailing),
                    Contains(trailing) && Contains("4 bytes follow the data; expected the file to end after shape [1] "
                                                   "of '<f4'"));
  const std::string rank2 =
      dir.write("labels2.npy", npy_file("{'descr': '<i8', 'fortran_order': False, 'shape': (1, 1), }", bytes(8, 0)));
  CHECK_THROWS_WITH(read_npy_labels(rank2),
                    Contains(rank2) && Contains("shape = [1, 1] is invalid; expected rank 1 (one label per entry)"));
}

