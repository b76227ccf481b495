//===- Dataset.h - Image classification data in IDX files -------*- C++ -*-===//
//
// Reads the gzip-compressed IDX files of MNIST-style data sets (Debian's
// dataset-fashion-mnist installs them under /usr/share/datasets/fashion-mnist).
// A missing, truncated or corrupt file, or images and labels that disagree,
// is an error naming the file, never a partial data set.
//
//===----------------------------------------------------------------------===//

#ifndef QTRAIN_TRAIN_DATASET_H
#define QTRAIN_TRAIN_DATASET_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <vector>

namespace qtrain::train {

inline constexpr llvm::StringLiteral kDefaultDataDir =
    "/usr/share/datasets/fashion-mnist";

/// Examples of one split: images as f32 in [0, 1] (pixel / 255), row-major
/// [count, rows * cols], and their labels.
struct Dataset {
  int64_t count = 0, rows = 0, cols = 0;
  std::vector<float> images;
  std::vector<int32_t> labels;
  int64_t features() const { return rows * cols; }
};

/// The decompressed bytes of an IDX file: the dimensions and the payload.
struct IdxFile {
  uint8_t elementType = 0; // 0x08: unsigned byte (the only one accepted)
  std::vector<int64_t> dims;
  std::vector<uint8_t> payload;
};

/// Reads and checks one gzip IDX file (magic, element type, dimensions,
/// exact payload length, the gzip CRC).
llvm::Expected<IdxFile> readIdxFile(llvm::StringRef path);

/// Reads `<dir>/<split>-images-idx3-ubyte.gz` and
/// `<dir>/<split>-labels-idx1-ubyte.gz` (split: "train" or "t10k"); keeps the
/// first `limit` examples when `limit` > 0. `classes` bounds the labels.
llvm::Expected<Dataset> readIdxSplit(llvm::StringRef dir, llvm::StringRef split,
                                     int64_t limit = 0, int64_t classes = 10);

} // namespace qtrain::train

#endif // QTRAIN_TRAIN_DATASET_H
