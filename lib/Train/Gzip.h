//===- Gzip.h - Whole gzip files in and out (zlib) --------------*- C++ -*-===//

#ifndef QTRAIN_LIB_TRAIN_GZIP_H
#define QTRAIN_LIB_TRAIN_GZIP_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <vector>

namespace qtrain::train {

/// The decompressed content of a gzip file. A missing file, or a truncated
/// or corrupt stream (zlib checks the trailer's CRC-32 and length), is an
/// error naming the file.
llvm::Expected<std::vector<uint8_t>> readGzipFile(llvm::StringRef path);

/// Writes `parts` compressed to `path` through a temporary file renamed
/// into place, so that an interrupted write never leaves a partial file.
llvm::Error writeGzipFile(llvm::StringRef path,
                          llvm::ArrayRef<llvm::ArrayRef<uint8_t>> parts);

} // namespace qtrain::train

#endif // QTRAIN_LIB_TRAIN_GZIP_H
