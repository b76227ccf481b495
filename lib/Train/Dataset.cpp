//===- Dataset.cpp - Image classification data in IDX files ---------------===//
//
// IDX: a big-endian header (two zero bytes, the element type, the number of
// dimensions, then each dimension as a 32-bit count) followed by the
// elements, the last dimension fastest.
//
//===----------------------------------------------------------------------===//

#include "qtrain/Train/Dataset.h"

#include "Gzip.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/Path.h"

using llvm::createStringError;
using llvm::Expected;
using llvm::StringRef;
using llvm::Twine;

namespace qtrain::train {
namespace {

llvm::Error fileError(StringRef path, const Twine &msg) {
  return createStringError(llvm::inconvertibleErrorCode(),
                           (path + ": " + msg).str());
}

uint32_t bigEndian32(const uint8_t *p) {
  return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 |
         uint32_t(p[3]);
}

} // namespace

Expected<IdxFile> readIdxFile(StringRef path) {
  auto bytes = readGzipFile(path);
  if (!bytes)
    return bytes.takeError();
  const std::vector<uint8_t> &b = *bytes;
  if (b.size() < 4 || b[0] != 0 || b[1] != 0)
    return fileError(path, "not an IDX file (bad magic number)");
  IdxFile idx;
  idx.elementType = b[2];
  if (idx.elementType != 0x08)
    return fileError(path, Twine("IDX element type 0x") +
                               llvm::utohexstr(idx.elementType) +
                               " (only unsigned bytes, 0x08, are supported)");
  unsigned rank = b[3];
  if (rank == 0 || rank > 4)
    return fileError(path, Twine("IDX file of ") + Twine(rank) +
                               " dimensions (expected 1 to 4)");
  size_t header = 4 + 4 * size_t(rank);
  if (b.size() < header)
    return fileError(path, "truncated IDX header");
  uint64_t elements = 1;
  for (unsigned d = 0; d < rank; ++d) {
    uint32_t n = bigEndian32(&b[4 + 4 * d]);
    idx.dims.push_back(n);
    elements *= n;
    if (elements > (uint64_t(1) << 34))
      return fileError(path, "IDX dimensions too large");
  }
  if (b.size() - header != elements)
    return fileError(path, Twine("IDX payload of ") + Twine(b.size() - header) +
                               " bytes, the header says " + Twine(elements));
  idx.payload.assign(b.begin() + header, b.end());
  return idx;
}

Expected<Dataset> readIdxSplit(StringRef dir, StringRef split, int64_t limit,
                               int64_t classes) {
  llvm::SmallString<256> imagesPath(dir), labelsPath(dir);
  llvm::sys::path::append(imagesPath, split + "-images-idx3-ubyte.gz");
  llvm::sys::path::append(labelsPath, split + "-labels-idx1-ubyte.gz");
  auto images = readIdxFile(imagesPath);
  if (!images)
    return images.takeError();
  auto labels = readIdxFile(labelsPath);
  if (!labels)
    return labels.takeError();
  if (images->dims.size() != 3)
    return fileError(imagesPath, "images must have 3 dimensions (count, "
                                 "rows, columns)");
  if (labels->dims.size() != 1)
    return fileError(labelsPath, "labels must have 1 dimension");
  if (images->dims[0] != labels->dims[0])
    return fileError(labelsPath, Twine(labels->dims[0]) + " labels for " +
                                     Twine(images->dims[0]) + " images");
  Dataset data;
  data.count = images->dims[0];
  if (limit > 0 && limit < data.count)
    data.count = limit;
  data.rows = images->dims[1];
  data.cols = images->dims[2];
  data.images.resize(data.count * data.features());
  for (size_t i = 0; i < data.images.size(); ++i)
    data.images[i] = images->payload[i] / 255.0f;
  data.labels.resize(data.count);
  for (int64_t i = 0; i < data.count; ++i) {
    uint8_t label = labels->payload[i];
    if (label >= classes)
      return fileError(labelsPath, Twine("label ") + Twine(unsigned(label)) +
                                       " of example " + Twine(i) +
                                       " is not below the " + Twine(classes) +
                                       " classes");
    data.labels[i] = label;
  }
  return data;
}

} // namespace qtrain::train
