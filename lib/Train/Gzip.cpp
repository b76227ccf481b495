//===- Gzip.cpp - Whole gzip files in and out (zlib) ----------------------===//

#include "Gzip.h"

#include "llvm/ADT/Twine.h"
#include "llvm/Support/FileSystem.h"

#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>

using llvm::Twine;

namespace qtrain::train {
namespace {
llvm::Error fileError(llvm::StringRef path, const Twine &msg) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                 (path + ": " + msg).str());
}
using GzFile = std::unique_ptr<gzFile_s, int (*)(gzFile)>;
} // namespace

llvm::Expected<std::vector<uint8_t>> readGzipFile(llvm::StringRef path) {
  if (!llvm::sys::fs::exists(path))
    return fileError(path, "no such file");
  GzFile file(gzopen(path.str().c_str(), "rb"), gzclose);
  if (!file)
    return fileError(path, std::strerror(errno));
  std::vector<uint8_t> bytes;
  std::vector<uint8_t> chunk(1 << 20);
  int code = Z_OK;
  for (;;) {
    int n = gzread(file.get(), chunk.data(), chunk.size());
    if (n < 0)
      return fileError(path, Twine("corrupt gzip data (") +
                                 gzerror(file.get(), &code) + ")");
    if (n == 0)
      break;
    bytes.insert(bytes.end(), chunk.begin(), chunk.begin() + n);
  }
  // gzread also returns 0 at a premature end; gzerror tells which.
  const char *msg = gzerror(file.get(), &code);
  if (code != Z_OK && code != Z_STREAM_END)
    return fileError(path,
                     Twine("corrupt or truncated gzip data (") + msg + ")");
  return bytes;
}

llvm::Error writeGzipFile(llvm::StringRef path,
                          llvm::ArrayRef<llvm::ArrayRef<uint8_t>> parts) {
  std::string temporary = (path + ".partial").str();
  {
    GzFile file(gzopen(temporary.c_str(), "wb1"), gzclose);
    if (!file)
      return fileError(temporary, std::strerror(errno));
    for (llvm::ArrayRef<uint8_t> part : parts) {
      // gzwrite takes an unsigned length: write in pieces below 1 GiB.
      for (size_t at = 0; at < part.size();) {
        unsigned n = unsigned(std::min<size_t>(part.size() - at, 1u << 30));
        if (gzwrite(file.get(), part.data() + at, n) != int(n)) {
          int code = 0;
          return fileError(temporary, gzerror(file.get(), &code));
        }
        at += n;
      }
    }
    if (gzclose(file.release()) != Z_OK)
      return fileError(temporary, "cannot finish the gzip stream");
  }
  if (std::error_code ec = llvm::sys::fs::rename(temporary, path))
    return fileError(path, ec.message());
  return llvm::Error::success();
}

} // namespace qtrain::train
