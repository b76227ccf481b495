//===- DatasetTest.cpp - IDX files: what is read, what is refused
//----------===//

#include "qtrain/Train/Dataset.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

#include "gtest/gtest.h"

#include <zlib.h>

using namespace qtrain::train;

namespace {

/// A temporary directory removed at the end of the test.
class IdxDir : public ::testing::Test {
protected:
  void SetUp() override {
    ASSERT_FALSE(llvm::sys::fs::createUniqueDirectory("qtrain-idx", dir));
  }
  void TearDown() override { llvm::sys::fs::remove_directories(dir); }

  std::string path(llvm::StringRef name) {
    llvm::SmallString<256> p(dir);
    llvm::sys::path::append(p, name);
    return p.str().str();
  }
  /// Writes `bytes` gzip-compressed to `name`.
  void write(llvm::StringRef name, const std::vector<uint8_t> &bytes) {
    gzFile f = gzopen(path(name).c_str(), "wb");
    ASSERT_NE(f, nullptr);
    ASSERT_EQ(gzwrite(f, bytes.data(), bytes.size()), int(bytes.size()));
    gzclose(f);
  }
  static std::vector<uint8_t> idx(uint8_t type, std::vector<uint32_t> dims,
                                  size_t payload) {
    std::vector<uint8_t> b = {0, 0, type, uint8_t(dims.size())};
    for (uint32_t d : dims)
      for (int s = 24; s >= 0; s -= 8)
        b.push_back(uint8_t(d >> s));
    for (size_t i = 0; i < payload; ++i)
      b.push_back(uint8_t(i * 37));
    return b;
  }
  std::string error(llvm::Error e) { return llvm::toString(std::move(e)); }

  llvm::SmallString<128> dir;
};

TEST_F(IdxDir, ReadsImagesAndLabels) {
  write("train-images-idx3-ubyte.gz", idx(8, {3, 2, 2}, 12));
  write("train-labels-idx1-ubyte.gz", {0, 0, 8, 1, 0, 0, 0, 3, 1, 9, 0});
  auto data = readIdxSplit(dir, "train");
  ASSERT_TRUE(bool(data)) << error(data.takeError());
  EXPECT_EQ(data->count, 3);
  EXPECT_EQ(data->features(), 4);
  EXPECT_EQ(data->labels, (std::vector<int32_t>{1, 9, 0}));
  EXPECT_FLOAT_EQ(data->images[1], 37 / 255.0f);
  auto two = readIdxSplit(dir, "train", 2);
  ASSERT_TRUE(bool(two));
  EXPECT_EQ(two->count, 2);
  EXPECT_EQ(two->images.size(), 8u);
}

TEST_F(IdxDir, RefusesWhatIsNotAnImageSet) {
  write("a.gz", idx(0x0D, {4}, 16)); // floats
  EXPECT_NE(
      error(readIdxFile(path("a.gz")).takeError()).find("only unsigned bytes"),
      std::string::npos);
  write("b.gz", idx(8, {2, 2}, 3)); // one byte short
  EXPECT_NE(error(readIdxFile(path("b.gz")).takeError())
                .find("IDX payload of 3 bytes, the header says 4"),
            std::string::npos);
  write("c.gz", idx(8, {2, 2}, 5)); // one byte too many
  EXPECT_FALSE(bool(readIdxFile(path("c.gz"))));
  write("d.gz", {0, 0, 8}); // a cut header
  EXPECT_FALSE(bool(readIdxFile(path("d.gz"))));
  write("e.gz", idx(8, {}, 0)); // no dimensions
  EXPECT_NE(error(readIdxFile(path("e.gz")).takeError()).find("0 dimensions"),
            std::string::npos);
  write("f.gz", idx(8, {0xFFFFFFFF, 0xFFFFFFFF}, 0)); // 2^64 elements
  EXPECT_NE(error(readIdxFile(path("f.gz")).takeError()).find("too large"),
            std::string::npos);
}

TEST_F(IdxDir, RefusesLabelsOutOfRange) {
  write("t10k-images-idx3-ubyte.gz", idx(8, {2, 1, 1}, 2));
  write("t10k-labels-idx1-ubyte.gz", {0, 0, 8, 1, 0, 0, 0, 2, 3, 10});
  std::string message = error(readIdxSplit(dir, "t10k").takeError());
  EXPECT_NE(message.find("label 10 of example 1 is not below the 10 classes"),
            std::string::npos)
      << message;
}
} // namespace
