//===- DiffTestUtil.h - Helpers of the differential tests -------*- C++ -*-===//
//
// Calling JIT-compiled functions through their C interface with rank-1
// memrefs, reading codes stored in LLVM's integer layout, and the seed that
// replays a run (QTRAIN_DIFF_SEED).
//
//===----------------------------------------------------------------------===//

#ifndef QTRAIN_UNITTESTS_CONVERSION_DIFFTESTUTIL_H
#define QTRAIN_UNITTESTS_CONVERSION_DIFFTESTUTIL_H

#include "qtrain/Conversion/QTrainToVector/CpuTarget.h"
#include "qtrain/ExecutionEngine/Jit.h"

#include "mlir/IR/Attributes.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

namespace qtrain::difftest {

using qtrain::Memref1D;

template <typename T> Memref1D view(std::vector<T> &v, int64_t count) {
  return memref1D(v.data(), count);
}

/// The CPUs the differential tests generate code for: the host, and on a
/// host with AVX-512 also x86-64-v3 (the AVX2 code an AVX2 machine gets by
/// default, which runs here too), so both ISAs' code paths are checked bit
/// for bit wherever the tests run on AVX-512.
inline std::vector<std::string> diffTargets() {
  std::vector<std::string> targets = {"host"};
  auto host = resolveCpuTarget("host", "");
  if (!host)
    llvm::consumeError(host.takeError());
  else if (host->vectorBits == 512)
    targets.push_back("x86-64-v3");
  return targets;
}

/// The (tile-elements, target) pairs a differential test compiles for:
/// both tile sizes on the host, the second also on the other target of
/// diffTargets() when there is one.
inline std::vector<std::pair<int64_t, std::string>>
diffRuns(int64_t firstTile, int64_t secondTile) {
  std::vector<std::pair<int64_t, std::string>> runs = {{firstTile, "host"},
                                                       {secondTile, "host"}};
  if (diffTargets().size() > 1)
    runs.push_back({secondTile, diffTargets().back()});
  return runs;
}

inline uint64_t masterSeed() {
  if (const char *s = std::getenv("QTRAIN_DIFF_SEED"))
    return std::strtoull(s, nullptr, 0);
  return 20261124;
}

/// Bytes LLVM gives an iN in memory (its alloc size).
inline unsigned codeBytes(unsigned bits) {
  return bits <= 8 ? 1 : bits <= 16 ? 2 : 4;
}

inline uint32_t readCode(const std::vector<uint8_t> &raw, size_t i,
                         unsigned bits) {
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

inline int64_t product(llvm::ArrayRef<int64_t> v) {
  int64_t n = 1;
  for (int64_t d : v)
    n *= d;
  return n;
}

inline std::string shapeText(llvm::ArrayRef<int64_t> shape) {
  std::string s;
  for (int64_t d : shape)
    s += std::to_string(d) + "x";
  return s;
}

/// `tensor<?xT>` from a flat memref argument, reshaped to `shape`.
inline std::string shaped(llvm::StringRef name, llvm::StringRef arg,
                          llvm::ArrayRef<int64_t> shape, llvm::StringRef elem) {
  int64_t n = product(shape);
  std::string s = llvm::formatv(
      "  %{0}_flat = bufferization.to_tensor %{1} restrict : memref<?x{2}> to "
      "tensor<?x{2}>\n  %{0}_static = tensor.cast %{0}_flat : tensor<?x{2}> to "
      "tensor<{3}x{2}>\n",
      name, arg, elem, n);
  if (shape.size() == 1) {
    s += llvm::formatv("  %{0} = tensor.cast %{0}_static : tensor<{1}x{2}> to "
                       "tensor<{1}x{2}>\n",
                       name, n, elem);
    return s;
  }
  std::string assoc, outShape;
  for (size_t d = 0; d < shape.size(); ++d) {
    assoc += (d ? ", " : "") + std::to_string(d);
    outShape += (d ? ", " : "") + std::to_string(shape[d]);
  }
  s += llvm::formatv(
      "  %{0} = tensor.expand_shape %{0}_static [[{1}]] "
      "output_shape [{2}] : tensor<{3}x{4}> into tensor<{5}{4}>\n",
      name, assoc, outShape, n, elem, shapeText(shape));
  return s;
}

/// Writes tensor `value` (of `shape`, element `elem`) to the flat memref
/// `arg` (of element `elem`).
inline std::string store(llvm::StringRef value, llvm::StringRef arg,
                         llvm::ArrayRef<int64_t> shape, llvm::StringRef elem) {
  int64_t n = product(shape);
  std::string flat = (value + "_out").str();
  std::string s;
  if (shape.size() == 1) {
    s += llvm::formatv("  %{0} = tensor.cast %{1} : tensor<{2}x{3}> to "
                       "tensor<?x{3}>\n",
                       flat, value, n, elem);
  } else {
    std::string assoc;
    for (size_t d = 0; d < shape.size(); ++d)
      assoc += (d ? ", " : "") + std::to_string(d);
    s += llvm::formatv("  %{0}_c = tensor.collapse_shape %{1} [[{2}]] : "
                       "tensor<{3}{4}> into tensor<{5}x{4}>\n"
                       "  %{0} = tensor.cast %{0}_c : tensor<{5}x{4}> to "
                       "tensor<?x{4}>\n",
                       flat, value, assoc, shapeText(shape), elem, n);
  }
  s += llvm::formatv("  bufferization.materialize_in_destination %{0} in "
                     "restrict writable %{1} : (tensor<?x{2}>, memref<?x{2}>) "
                     "-> ()\n",
                     flat, arg, elem);
  return s;
}

} // namespace qtrain::difftest

#endif // QTRAIN_UNITTESTS_CONVERSION_DIFFTESTUTIL_H
