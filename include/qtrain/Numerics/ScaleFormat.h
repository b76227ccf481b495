//===- ScaleFormat.h - Formats of block and tensor scales -------*- C++ -*-===//
//
// A scale is either an f32 or a power of two 2^(code - bias) stored in `bits`
// bits (E8M0 when bits = 8, bias = 127 and the all-ones code is NaN). There is
// no zero scale. docs/Numerics.md ("Scale formats").
//
//===----------------------------------------------------------------------===//

#ifndef QTRAIN_NUMERICS_SCALEFORMAT_H
#define QTRAIN_NUMERICS_SCALEFORMAT_H

#include "qtrain/Numerics/Rounding.h"

namespace qtrain::numerics {

enum class ScaleKind : uint8_t { F32, PowerOfTwo };

struct ScaleFormat {
  ScaleKind kind = ScaleKind::F32;
  unsigned bits = 8;  ///< PowerOfTwo: code width (1..8).
  int bias = 127;     ///< PowerOfTwo: value = 2^(code - bias).
  bool hasNaN = true; ///< PowerOfTwo: the all-ones code is NaN.

  static ScaleFormat f32() { return {}; }
  static ScaleFormat e8m0() { return {ScaleKind::PowerOfTwo, 8, 127, true}; }
  static ScaleFormat powerOfTwo(unsigned bits, int bias, bool hasNaN) {
    return {ScaleKind::PowerOfTwo, bits, bias, hasNaN};
  }

  llvm::Error verify() const;
  /// PowerOfTwo: exponents of the smallest and largest finite scale.
  int minExponent() const { return -bias; }
  int maxExponent() const;
  uint32_t nanCode() const { return (1u << bits) - 1; }
  /// Whether the format has a NaN scale (f32, or a power of two with one).
  bool canHoldNaN() const { return kind == ScaleKind::F32 || hasNaN; }

  bool operator==(const ScaleFormat &o) const {
    return kind == o.kind &&
           (kind == ScaleKind::F32 ||
            (bits == o.bits && bias == o.bias && hasNaN == o.hasNaN));
  }
  bool operator!=(const ScaleFormat &o) const { return !(*this == o); }
};

/// PowerOfTwo: f32 -> code, rounding x to a power of two in the
/// deterministic mode `mode` (a tie between 2^k and 2^(k+1) rounds up, as
/// APFloat does for E8M0). Scales are never rounded stochastically: the mode
/// type has no random bits to offer. Zero and values below the smallest scale
/// give code 0; overflow gives NaN (the largest code without one); negative
/// inputs and NaN give the NaN code. A format without a NaN code cannot
/// represent them and gives code 0: no path of the scaled formats passes
/// such a value (given scales need a NaN code, ScaleLevel::verify), so only
/// a direct caller can see it.
uint32_t encodeScale(const ScaleFormat &f, float x, RoundingMode mode);
/// PowerOfTwo: code -> f32 (NaN for the NaN code).
float decodeScale(const ScaleFormat &f, uint32_t code);
/// PowerOfTwo: the code of 2^e with e clamped to the format's range.
uint32_t scaleCodeForExponent(const ScaleFormat &f, int e);

} // namespace qtrain::numerics

#endif // QTRAIN_NUMERICS_SCALEFORMAT_H
