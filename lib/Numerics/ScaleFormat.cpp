//===- ScaleFormat.cpp - Formats of block and tensor scales ---------------===//
//
// See docs/Numerics.md, "Scale formats".
//
//===----------------------------------------------------------------------===//

#include "qtrain/Numerics/ScaleFormat.h"

#include "Detail.h"

#include <cmath>
#include <limits>

using namespace llvm;

namespace qtrain::numerics {

int ScaleFormat::maxExponent() const {
  return static_cast<int>((1u << bits) - 1 - (hasNaN ? 1 : 0)) - bias;
}

Error ScaleFormat::verify() const {
  if (kind == ScaleKind::F32)
    return Error::success();
  if (bits < 1 || bits > 8)
    return createStringError("scale exponent bits must be in [1, 8], got %u",
                             bits);
  if (hasNaN && bits < 2)
    return createStringError("a 1-bit scale has no room for a NaN code");
  if (minExponent() < -149)
    return createStringError(
        "scale bias %d puts the smallest scale at 2^%d, below f32's 2^-149",
        bias, minExponent());
  if (maxExponent() > 127)
    return createStringError(
        "scale bias %d puts the largest scale at 2^%d, beyond f32's 2^127",
        bias, maxExponent());
  return Error::success();
}

uint32_t scaleCodeForExponent(const ScaleFormat &f, int e) {
  return static_cast<uint32_t>(std::clamp(e, f.minExponent(), f.maxExponent()) +
                               f.bias);
}

uint32_t encodeScale(const ScaleFormat &f, float x, RoundingMode mode) {
  assert(f.kind == ScaleKind::PowerOfTwo && "f32 scales have no code");
  assert(mode != RoundingMode::Stochastic && "scales round deterministically");
  uint32_t nan = f.hasNaN ? f.nanCode() : 0;
  detail::F32Parts p = detail::decompose(x);
  if (p.kind == detail::F32Parts::NaN ||
      (p.negative && p.kind != detail::F32Parts::Zero))
    return nan;
  if (p.kind == detail::F32Parts::Zero)
    return 0;
  if (p.kind == detail::F32Parts::Infinity)
    return f.hasNaN ? nan : scaleCodeForExponent(f, f.maxExponent());
  int top = p.exp + 63 - countl_zero(p.sig);
  int shift = top - p.exp;
  // One significant bit: kept is 1 (stay at 2^top) or 2 (round up).
  uint64_t kept = shift > 0 ? roundShifted(p.sig, shift, false,
                                           Rounding::deterministic(mode), 0)
                            : 1;
  int e = top + (kept == 2 ? 1 : 0);
  if (e < f.minExponent())
    return 0;
  if (e > f.maxExponent())
    return f.hasNaN ? nan : scaleCodeForExponent(f, e);
  return static_cast<uint32_t>(e + f.bias);
}

float decodeScale(const ScaleFormat &f, uint32_t code) {
  assert(f.kind == ScaleKind::PowerOfTwo && "f32 scales have no code");
  if (f.hasNaN && code == f.nanCode())
    return std::numeric_limits<float>::quiet_NaN();
  return std::ldexp(1.0f, static_cast<int>(code) - f.bias);
}

} // namespace qtrain::numerics
