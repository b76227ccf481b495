//===- DiffTestUtil.h - Helpers of the differential tests -------*- C++ -*-===//
//
// Calling JIT-compiled functions through their C interface with rank-1
// memrefs, reading codes stored in LLVM's integer layout, and the seed that
// replays a run (QTRAIN_DIFF_SEED).
//
//===----------------------------------------------------------------------===//

#ifndef QTRAIN_UNITTESTS_CONVERSION_DIFFTESTUTIL_H
#define QTRAIN_UNITTESTS_CONVERSION_DIFFTESTUTIL_H

#include "mlir/IR/Attributes.h"

#include "llvm/Support/raw_ostream.h"

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace qtrain::difftest {

/// The C interface's descriptor of a rank-1 memref (any element type).
struct Memref1D {
  void *allocated;
  void *aligned;
  int64_t offset;
  int64_t size;
  int64_t stride;
};

template <typename T> Memref1D view(std::vector<T> &v, int64_t count) {
  return {v.data(), v.data(), 0, count, 1};
}

inline uint64_t masterSeed() {
  if (const char *s = std::getenv("QTRAIN_DIFF_SEED"))
    return std::strtoull(s, nullptr, 0);
  return 20261124;
}

/// Bytes LLVM gives an iN in memory (its alloc size).
inline unsigned codeBytes(unsigned bits) { return bits <= 8 ? 1 : bits <= 16 ? 2 : 4; }

inline uint32_t readCode(const std::vector<uint8_t> &raw, size_t i, unsigned bits) {
  unsigned n = codeBytes(bits);
  uint32_t v = 0;
  std::memcpy(&v, raw.data() + i * n, n); // little-endian host
  return bits == 32 ? v : v & ((1u << bits) - 1);
}

inline void writeCode(std::vector<uint8_t> &raw, size_t i, unsigned bits,
               uint32_t code) {
  std::memcpy(raw.data() + i * codeBytes(bits), &code, codeBytes(bits));
}

inline std::string print(mlir::Attribute a) {
  std::string s;
  llvm::raw_string_ostream os(s);
  a.print(os);
  return s;
}

} // namespace qtrain::difftest

#endif // QTRAIN_UNITTESTS_CONVERSION_DIFFTESTUTIL_H
