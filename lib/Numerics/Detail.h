//===- Detail.h - Helpers shared by the numerics sources --------*- C++ -*-===//
//
// Private to lib/Numerics.
//
//===----------------------------------------------------------------------===//

#ifndef QTRAIN_LIB_NUMERICS_DETAIL_H
#define QTRAIN_LIB_NUMERICS_DETAIL_H

#include "qtrain/Numerics/RandomStream.h"

#include "llvm/ADT/bit.h"

#include <algorithm>
#include <optional>

namespace qtrain::numerics::detail {

/// An f32 split into its class, sign and exact value sig * 2^exp.
struct F32Parts {
  enum Kind { Zero, Finite, Infinity, NaN } kind;
  bool negative;
  uint64_t sig; // Finite only: value = sig * 2^exp, sig > 0.
  int exp;
};

inline F32Parts decompose(float x) {
  uint32_t bits = llvm::bit_cast<uint32_t>(x);
  bool negative = bits >> 31;
  uint32_t abs = bits & 0x7fffffffu;
  if (abs > 0x7f800000u)
    return {F32Parts::NaN, negative, 0, 0};
  if (abs == 0x7f800000u)
    return {F32Parts::Infinity, negative, 0, 0};
  if (abs == 0)
    return {F32Parts::Zero, negative, 0, 0};
  uint32_t e = abs >> 23;
  uint64_t sig = e ? (abs & 0x7fffffu) | 0x800000u : abs;
  return {F32Parts::Finite, negative, sig, static_cast<int>(e ? e : 1) - 150};
}

/// 2^e for e in [-126, 127], built from bits.
inline float pow2Normal(int e) {
  return llvm::bit_cast<float>(static_cast<uint32_t>(e + 127) << 23);
}

/// sig * 2^e for results known to be exact f32 values (sig < 2^24); faster
/// than std::ldexp. Two multiplies keep every intermediate exact.
inline float scaleExact(uint32_t sig, int e) {
  float v = static_cast<float>(sig);
  if (e > 127)
    return v * pow2Normal(127) * pow2Normal(e - 127);
  if (e < -126)
    return v * pow2Normal(-126) * pow2Normal(e + 126);
  return v * pow2Normal(e);
}

/// One row of an enum's name table: the single place a name is spelled.
template <typename E> struct EnumName {
  E value;
  const char *name;
};

template <typename E, size_t N>
llvm::StringRef nameOf(const EnumName<E> (&table)[N], E value) {
  for (const EnumName<E> &row : table)
    if (row.value == value)
      return row.name;
  llvm_unreachable("enum value without a name");
}

template <typename E, size_t N>
std::optional<E> valueOf(const EnumName<E> (&table)[N], llvm::StringRef name) {
  for (const EnumName<E> &row : table)
    if (name == row.name)
      return row.value;
  return std::nullopt;
}

constexpr size_t kChunk = 1024;

/// Calls body(begin, end, randoms) over [0, n) in chunks, with the rounding's
/// random numbers for those elements (nullptr when not stochastic).
template <typename Body>
void forEachChunk(size_t n, const Rounding &r, uint64_t firstIndex,
                  llvm::ArrayRef<float> randomData, Body body) {
  if (!r.isStochastic()) {
    body(0, n, nullptr);
    return;
  }
  RandomStream stream(r, randomData);
  uint32_t randoms[kChunk];
  for (size_t begin = 0; begin < n; begin += kChunk) {
    size_t end = std::min(n, begin + kChunk);
    stream.fill(firstIndex + begin,
                llvm::MutableArrayRef<uint32_t>(randoms, end - begin));
    body(begin, end, randoms);
  }
}

} // namespace qtrain::numerics::detail

#endif // QTRAIN_LIB_NUMERICS_DETAIL_H
