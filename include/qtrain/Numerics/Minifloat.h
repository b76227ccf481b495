//===- Minifloat.h - Parametric small floating-point formats ----*- C++ -*-===//
//
// A minifloat is sign, `exponentBits` exponent bits and `mantissaBits`
// fraction bits with an arbitrary bias, a special-value encoding, optional
// subnormals and an overflow policy. Every value of a valid format is exactly
// an f32. docs/Numerics.md ("Minifloats") is the normative description.
//
//===----------------------------------------------------------------------===//

#ifndef QTRAIN_NUMERICS_MINIFLOAT_H
#define QTRAIN_NUMERICS_MINIFLOAT_H

#include "qtrain/Numerics/Rounding.h"

#include "llvm/ADT/ArrayRef.h"

namespace qtrain::numerics {

/// Which codes are not finite numbers.
enum class SpecialValues : uint8_t {
  IEEE, ///< Exponent all ones: infinities (mantissa 0) and NaNs.
  FN,   ///< No infinities; NaN only at the all-ones magnitude (both signs).
  FNUZ, ///< No infinities, no negative zero; NaN at the negative-zero code.
  None, ///< Every code is a finite number.
};

/// What a finite value beyond the largest finite magnitude becomes.
enum class OverflowPolicy : uint8_t {
  Saturate, ///< The largest finite value (infinite inputs too).
  Inf,      ///< IEEE 754: infinity, or the largest finite value when the
            ///< rounding direction is toward zero. Needs IEEE specials.
  NaN,      ///< Like Inf but NaN instead of infinity. Needs a NaN code.
};

/// The overflow policy a format with these special values has unless told
/// otherwise: IEEE -> Inf, FN/FNUZ -> NaN, None -> Saturate (APFloat's).
OverflowPolicy defaultOverflowPolicy(SpecialValues s);

struct MinifloatFormat {
  unsigned exponentBits = 8;
  unsigned mantissaBits = 23;
  int bias = 127;
  SpecialValues specials = SpecialValues::IEEE;
  bool subnormals = true;
  OverflowPolicy overflow = OverflowPolicy::Inf;

  /// `eXmY` with IEEE conventions: bias 2^(e-1) - 1, IEEE specials,
  /// subnormals, overflow to infinity.
  static MinifloatFormat standard(unsigned exponentBits, unsigned mantissaBits);
  static int standardBias(unsigned exponentBits) {
    return exponentBits >= 1 && exponentBits <= 31
               ? (1 << (exponentBits - 1)) - 1
               : 0;
  }

  /// Codes mean the same values in both formats (the overflow policy only
  /// changes which code encode picks).
  bool sameEncoding(const MinifloatFormat &o) const {
    return exponentBits == o.exponentBits && mantissaBits == o.mantissaBits &&
           bias == o.bias && specials == o.specials &&
           subnormals == o.subnormals;
  }

  /// Checks every parameter and the combination; the message names the
  /// offending parameter and its value.
  llvm::Error verify() const;

  unsigned bitWidth() const { return 1 + exponentBits + mantissaBits; }
  uint32_t signBit() const { return 1u << (exponentBits + mantissaBits); }
  uint32_t magnitudeMask() const { return signBit() - 1; }
  /// Unbiased exponent of the smallest normal binade.
  int minNormalExponent() const { return 1 - bias; }
  /// Unbiased exponent of the largest finite binade.
  int maxExponent() const;
  /// Magnitude code (code without sign) of the largest finite value.
  uint32_t maxFiniteMagnitude() const;
  bool hasInfinity() const { return specials == SpecialValues::IEEE; }
  bool hasNaN() const { return specials != SpecialValues::None; }
  bool hasNegativeZero() const { return specials != SpecialValues::FNUZ; }

  float maxFinite() const;
  float minNormal() const;
  /// The smallest positive value (a subnormal when subnormals are on).
  float minPositive() const;

  bool isNaNCode(uint32_t code) const;
  bool isInfCode(uint32_t code) const;
  /// The canonical NaN code (sign ignored for FNUZ). Requires hasNaN().
  uint32_t nanCode(bool negative) const;
  /// The code of a finite value too large for the format when it rounds
  /// away from zero (or to nearest), by the overflow policy: the largest
  /// finite value, infinity or NaN, with the value's sign.
  uint32_t overflowCode(bool negative) const;

  bool operator==(const MinifloatFormat &o) const {
    return sameEncoding(o) && overflow == o.overflow;
  }
  bool operator!=(const MinifloatFormat &o) const { return !(*this == o); }
};

/// Encodes the exact value `(-1)^negative * sig * 2^exp` (sig > 0). This is
/// the one rounding routine of the format; the f32/f64 entry points below
/// decompose their argument and call it.
uint32_t encodeFinite(const MinifloatFormat &f, bool negative, uint64_t sig,
                      int exp, const Rounding &r, uint32_t random);

/// f32 -> code. `random` is the element's k random bits (stochastic only).
uint32_t encode(const MinifloatFormat &f, float x, const Rounding &r,
                uint32_t random = 0);
/// The exact sum or product held as f64 `hi` plus the exact remainder `lo`
/// (|lo| <= ulp(hi)/2, as from TwoSum), correctly rounded to the format.
uint32_t encodeExact(const MinifloatFormat &f, double hi, double lo,
                     const Rounding &r, uint32_t random = 0);
/// code -> f32 (exact; NaN codes give a quiet NaN, see docs).
float decode(const MinifloatFormat &f, uint32_t code);
/// decode(encode(x)): x moved onto the format's grid.
inline float quantize(const MinifloatFormat &f, float x, const Rounding &r,
                      uint32_t random = 0) {
  return decode(f, encode(f, x, r, random));
}

/// Array forms. The random numbers for element i come from the rounding's
/// stream at index `firstIndex + i`; `randomData` feeds a Data source.
void encode(const MinifloatFormat &f, llvm::ArrayRef<float> in,
            llvm::MutableArrayRef<uint32_t> out, const Rounding &r,
            uint64_t firstIndex = 0, llvm::ArrayRef<float> randomData = {});
void decode(const MinifloatFormat &f, llvm::ArrayRef<uint32_t> in,
            llvm::MutableArrayRef<float> out);
void quantize(const MinifloatFormat &f, llvm::ArrayRef<float> in,
              llvm::MutableArrayRef<float> out, const Rounding &r,
              uint64_t firstIndex = 0, llvm::ArrayRef<float> randomData = {});

/// A reproducible study of a stochastic rounding rule: e4m3fn values
/// x_i = 1 + (i + 1/2) / values * ulp in [1, 1.125) (fractions of one ulp
/// spread uniformly), each rounded `draws` times (stream indices 0 ..
/// draws - 1, seed i). `bias` is the mean over i of (E[SR(x_i)] - x_i) / ulp,
/// `stddev` the mean over i of the standard deviation of SR(x_i) / ulp
/// (an ideal rounding has sqrt(f (1 - f)) for fraction f).
struct RoundingErrorStats {
  double bias = 0, stddev = 0;
};
RoundingErrorStats stochasticRoundingError(const Rounding &r,
                                           unsigned values = 256,
                                           size_t draws = 896);

llvm::StringRef stringifySpecialValues(SpecialValues s);
std::optional<SpecialValues> parseSpecialValues(llvm::StringRef s);
llvm::StringRef stringifyOverflowPolicy(OverflowPolicy p);
std::optional<OverflowPolicy> parseOverflowPolicy(llvm::StringRef s);

} // namespace qtrain::numerics

#endif // QTRAIN_NUMERICS_MINIFLOAT_H
