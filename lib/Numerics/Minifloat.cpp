//===- Minifloat.cpp - Parametric small floating-point formats ------------===//
//
// See docs/Numerics.md, "Minifloats". Codes are sign | exponent | mantissa;
// the magnitude part (code without sign) is monotone in the value, which lets
// rounding and overflow work on one integer.
//
//===----------------------------------------------------------------------===//

#include "qtrain/Numerics/Minifloat.h"
#include "qtrain/Numerics/Presets.h"

#include "Detail.h"

#include "llvm/ADT/bit.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

using namespace llvm;

namespace qtrain::numerics {

namespace {
constexpr int kF32MinExponent = -149; // Exponent of the smallest f32 bit.
constexpr int kF32MaxExponent = 127;

unsigned maxExponentField(const MinifloatFormat &f) {
  unsigned allOnes = (1u << f.exponentBits) - 1;
  switch (f.specials) {
  case SpecialValues::IEEE:
    return allOnes - 1;
  case SpecialValues::FN:
    return f.mantissaBits == 0 ? allOnes - 1 : allOnes;
  case SpecialValues::FNUZ:
  case SpecialValues::None:
    return allOnes;
  }
  llvm_unreachable("unknown special values");
}

uint32_t zeroCode(const MinifloatFormat &f, bool negative) {
  return negative && f.hasNegativeZero() ? f.signBit() : 0;
}

uint32_t nanOrZeroCode(const MinifloatFormat &f, bool negative) {
  return f.hasNaN() ? f.nanCode(negative) : 0;
}

uint32_t infinityInputCode(const MinifloatFormat &f, bool negative) {
  uint32_t sign = negative ? f.signBit() : 0;
  if (f.overflow == OverflowPolicy::Saturate)
    return sign | f.maxFiniteMagnitude();
  if (f.hasInfinity())
    return sign | (((1u << f.exponentBits) - 1) << f.mantissaBits);
  return f.nanCode(negative);
}
} // namespace

OverflowPolicy defaultOverflowPolicy(SpecialValues s) {
  switch (s) {
  case SpecialValues::IEEE:
    return OverflowPolicy::Inf;
  case SpecialValues::FN:
  case SpecialValues::FNUZ:
    return OverflowPolicy::NaN;
  case SpecialValues::None:
    return OverflowPolicy::Saturate;
  }
  llvm_unreachable("unknown special values");
}

MinifloatFormat MinifloatFormat::standard(unsigned exponentBits,
                                          unsigned mantissaBits) {
  return MinifloatFormat{
      exponentBits,        mantissaBits,       standardBias(exponentBits),
      SpecialValues::IEEE,
      /*subnormals=*/true, OverflowPolicy::Inf};
}

int MinifloatFormat::maxExponent() const {
  return static_cast<int>(maxExponentField(*this)) - bias;
}

uint32_t MinifloatFormat::maxFiniteMagnitude() const {
  uint32_t allOnes = magnitudeMask();
  switch (specials) {
  case SpecialValues::IEEE:
    return (((1u << exponentBits) - 2) << mantissaBits) |
           ((1u << mantissaBits) - 1);
  case SpecialValues::FN:
    return allOnes - 1;
  case SpecialValues::FNUZ:
  case SpecialValues::None:
    return allOnes;
  }
  llvm_unreachable("unknown special values");
}

float MinifloatFormat::maxFinite() const {
  return decode(*this, maxFiniteMagnitude());
}
float MinifloatFormat::minNormal() const {
  return decode(*this, 1u << mantissaBits);
}
float MinifloatFormat::minPositive() const {
  return subnormals && mantissaBits > 0 ? decode(*this, 1u) : minNormal();
}

bool MinifloatFormat::isNaNCode(uint32_t code) const {
  uint32_t mag = code & magnitudeMask();
  switch (specials) {
  case SpecialValues::IEEE:
    return (mag >> mantissaBits) == (1u << exponentBits) - 1 &&
           (mag & ((1u << mantissaBits) - 1)) != 0;
  case SpecialValues::FN:
    return mag == magnitudeMask();
  case SpecialValues::FNUZ:
    return code == signBit();
  case SpecialValues::None:
    return false;
  }
  llvm_unreachable("unknown special values");
}

bool MinifloatFormat::isInfCode(uint32_t code) const {
  return hasInfinity() && (code & magnitudeMask()) == ((1u << exponentBits) - 1)
                                                          << mantissaBits;
}

uint32_t MinifloatFormat::overflowCode(bool negative) const {
  uint32_t sign = negative ? signBit() : 0;
  switch (overflow) {
  case OverflowPolicy::Saturate:
    return sign | maxFiniteMagnitude();
  case OverflowPolicy::Inf:
    return sign | (((1u << exponentBits) - 1) << mantissaBits);
  case OverflowPolicy::NaN:
    break;
  }
  return nanCode(negative);
}

uint32_t MinifloatFormat::nanCode(bool negative) const {
  assert(hasNaN() && "format has no NaN");
  uint32_t sign = negative ? signBit() : 0;
  switch (specials) {
  case SpecialValues::IEEE: // Quiet NaN: top mantissa bit set.
    return sign | (((1u << exponentBits) - 1) << mantissaBits) |
           (1u << (mantissaBits - 1));
  case SpecialValues::FN:
    return sign | magnitudeMask();
  case SpecialValues::FNUZ:
    return signBit();
  case SpecialValues::None:
    break;
  }
  llvm_unreachable("format has no NaN");
}

Error MinifloatFormat::verify() const {
  if (exponentBits < 1 || exponentBits > 8)
    return createStringError("exponent bits must be in [1, 8], got %u",
                             exponentBits);
  if (mantissaBits > 23)
    return createStringError("mantissa bits must be in [0, 23], got %u",
                             mantissaBits);
  if (specials == SpecialValues::IEEE && mantissaBits == 0)
    return createStringError(
        "IEEE special values need at least one mantissa bit for NaN");
  if (maxExponentField(*this) < 1)
    return createStringError(
        "format with %u exponent bit(s) and %s special values has no normal "
        "numbers",
        exponentBits, stringifySpecialValues(specials).data());
  if (overflow == OverflowPolicy::Inf && !hasInfinity())
    return createStringError("overflow to infinity needs IEEE special values "
                             "(this format has no infinity)");
  if (overflow == OverflowPolicy::NaN && !hasNaN())
    return createStringError("overflow to NaN needs a format with a NaN code");
  int top = maxExponent();
  if (top > kF32MaxExponent)
    return createStringError(
        "bias %d puts the largest exponent at 2^%d, beyond f32's 2^127", bias,
        top);
  int lowestBit = minNormalExponent() - static_cast<int>(mantissaBits);
  if (lowestBit < kF32MinExponent)
    return createStringError("bias %d puts the smallest step at 2^%d, below "
                             "f32's 2^-149",
                             bias, lowestBit);
  return Error::success();
}

uint32_t encodeFinite(const MinifloatFormat &f, bool negative, uint64_t sig,
                      int exp, const Rounding &r, uint32_t random) {
  assert(sig != 0 && "zero has no exponent");
  int m = static_cast<int>(f.mantissaBits);
  int emin = f.minNormalExponent();
  int top = exp + 63 - countl_zero(sig); // floor(log2 |value|)
  if (!f.subnormals && top < emin)
    return zeroCode(f, negative); // Flush before rounding.

  // q: exponent of the format's step (one unit in the last place) at this
  // magnitude. `kept` counts steps; after rounding it is at most 2^(m+1).
  int q = std::max(top, emin) - m;
  int shift = q - exp;
  uint64_t kept = shift <= 0 ? sig << -shift
                             : roundShifted(sig, shift, negative, r, random);
  // Magnitude code = binade index * 2^m + kept (see docs/Numerics.md): kept
  // carries into the exponent field by itself.
  uint64_t mag = (uint64_t(q - (emin - m)) << m) + kept;
  uint32_t sign = negative ? f.signBit() : 0;
  if (mag > f.maxFiniteMagnitude())
    return roundsTowardZero(r, negative) ? sign | f.maxFiniteMagnitude()
                                         : f.overflowCode(negative);
  if (mag == 0)
    return zeroCode(f, negative);
  return sign | static_cast<uint32_t>(mag);
}

uint32_t encode(const MinifloatFormat &f, float x, const Rounding &r,
                uint32_t random) {
  detail::F32Parts p = detail::decompose(x);
  switch (p.kind) {
  case detail::F32Parts::NaN:
    return nanOrZeroCode(f, p.negative);
  case detail::F32Parts::Infinity:
    return infinityInputCode(f, p.negative);
  case detail::F32Parts::Zero:
    return zeroCode(f, p.negative);
  case detail::F32Parts::Finite:
    break;
  }
  return encodeFinite(f, p.negative, p.sig, p.exp, r, random);
}

uint32_t encodeExact(const MinifloatFormat &f, double hi, double lo,
                     const Rounding &r, uint32_t random) {
  uint64_t bits = bit_cast<uint64_t>(hi);
  bool negative = bits >> 63;
  uint64_t abs = bits & 0x7fffffffffffffffull;
  if (abs > 0x7ff0000000000000ull)
    return nanOrZeroCode(f, negative);
  if (abs == 0x7ff0000000000000ull)
    return infinityInputCode(f, negative);
  if (abs == 0)
    return zeroCode(f, negative);
  uint64_t e = abs >> 52;
  uint64_t sig = e ? (abs & 0xfffffffffffffull) | (uint64_t(1) << 52) : abs;
  int exp = static_cast<int>(e ? e : 1) - 1075;
  if (lo != 0) {
    // Two guard bits and a sticky unit on the side of lo: the proxy lies
    // between the same format grid points and midpoints as hi + lo.
    bool sameSign = std::signbit(lo) == negative;
    sig = (sig << 2) + (sameSign ? 1 : uint64_t(-1));
    exp -= 2;
  }
  return encodeFinite(f, negative, sig, exp, r, random);
}

float decode(const MinifloatFormat &f, uint32_t code) {
  bool negative = (code & f.signBit()) != 0;
  if (f.isNaNCode(code)) {
    float nan = std::numeric_limits<float>::quiet_NaN();
    return negative && f.specials != SpecialValues::FNUZ ? -nan : nan;
  }
  if (f.isInfCode(code))
    return negative ? -std::numeric_limits<float>::infinity()
                    : std::numeric_limits<float>::infinity();
  uint32_t mag = code & f.magnitudeMask();
  int m = static_cast<int>(f.mantissaBits);
  uint32_t expField = mag >> m;
  uint32_t man = mag & ((1u << m) - 1);
  float value;
  if (expField == 0)
    value = f.subnormals ? detail::scaleExact(man, f.minNormalExponent() - m)
                         : 0.0f;
  else
    value = detail::scaleExact((1u << m) | man,
                               static_cast<int>(expField) - f.bias - m);
  // FNUZ has no negative zero: a negative subnormal code of a format without
  // subnormals (never produced by encode) is +0.
  if (value == 0 && f.specials == SpecialValues::FNUZ)
    return 0.0f;
  return negative ? -value : value;
}

using detail::forEachChunk;

void encode(const MinifloatFormat &f, ArrayRef<float> in,
            MutableArrayRef<uint32_t> out, const Rounding &r,
            uint64_t firstIndex, ArrayRef<float> randomData) {
  assert(in.size() == out.size() && "size mismatch");
  forEachChunk(in.size(), r, firstIndex, randomData,
               [&](size_t begin, size_t end, const uint32_t *randoms) {
                 for (size_t i = begin; i < end; ++i)
                   out[i] =
                       encode(f, in[i], r, randoms ? randoms[i - begin] : 0);
               });
}

void decode(const MinifloatFormat &f, ArrayRef<uint32_t> in,
            MutableArrayRef<float> out) {
  assert(in.size() == out.size() && "size mismatch");
  for (size_t i = 0; i < in.size(); ++i)
    out[i] = decode(f, in[i]);
}

void quantize(const MinifloatFormat &f, ArrayRef<float> in,
              MutableArrayRef<float> out, const Rounding &r,
              uint64_t firstIndex, ArrayRef<float> randomData) {
  assert(in.size() == out.size() && "size mismatch");
  forEachChunk(in.size(), r, firstIndex, randomData,
               [&](size_t begin, size_t end, const uint32_t *randoms) {
                 for (size_t i = begin; i < end; ++i)
                   out[i] =
                       quantize(f, in[i], r, randoms ? randoms[i - begin] : 0);
               });
}

RoundingErrorStats stochasticRoundingError(const Rounding &r, unsigned values,
                                           size_t draws) {
  assert(r.isStochastic() && values > 0 && draws > 0 && "a stochastic study");
  MinifloatFormat f = *lookupMinifloat("e4m3fn");
  const double ulp = 0.125;
  std::vector<float> in(draws), out(draws);
  RoundingErrorStats stats;
  for (unsigned i = 0; i < values; ++i) {
    float x = 1.0f + (i + 0.5f) / values * 0.125f;
    Rounding ri = r;
    ri.source.seed = i;
    std::fill(in.begin(), in.end(), x);
    quantize(f, in, out, ri);
    double sum = 0, squares = 0;
    for (float v : out) {
      double e = (v - x) / ulp;
      sum += e;
      squares += e * e;
    }
    double mean = sum / draws;
    stats.bias += mean;
    stats.stddev += std::sqrt(std::max(squares / draws - mean * mean, 0.0));
  }
  stats.bias /= values;
  stats.stddev /= values;
  return stats;
}

namespace {
using detail::EnumName;
const EnumName<SpecialValues> kSpecialValuesNames[] = {
    {SpecialValues::IEEE, "ieee"},
    {SpecialValues::FN, "fn"},
    {SpecialValues::FNUZ, "fnuz"},
    {SpecialValues::None, "none"},
};
} // namespace

StringRef stringifySpecialValues(SpecialValues s) {
  return detail::nameOf(kSpecialValuesNames, s);
}

std::optional<SpecialValues> parseSpecialValues(StringRef s) {
  return detail::valueOf(kSpecialValuesNames, s);
}

namespace {
using detail::EnumName;
const EnumName<OverflowPolicy> kOverflowPolicyNames[] = {
    {OverflowPolicy::Saturate, "saturate"},
    {OverflowPolicy::Inf, "inf"},
    {OverflowPolicy::NaN, "nan"},
};
} // namespace

StringRef stringifyOverflowPolicy(OverflowPolicy p) {
  return detail::nameOf(kOverflowPolicyNames, p);
}

std::optional<OverflowPolicy> parseOverflowPolicy(StringRef s) {
  return detail::valueOf(kOverflowPolicyNames, s);
}

} // namespace qtrain::numerics
