//===- Elementary.h - qtrain's own exp and log on f32 -----------*- C++ -*-===//
//
// exp and log of f32 as fixed sequences of IEEE operations (multiplies,
// fused multiply-adds, adds, one division, rounding to an integer, and bit
// manipulation), so that every execution path that follows the sequence
// gets the same bits on every host: the numerics library here, the CPU
// lowering (which emits the same operations for math.exp and math.log on
// f32) and the accelerator model's vector unit. A host's libm differs
// between versions and CPUs. docs/Numerics.md ("Elementary functions")
// gives the derivation and the measured errors.
//
//===----------------------------------------------------------------------===//

#ifndef QTRAIN_NUMERICS_ELEMENTARY_H
#define QTRAIN_NUMERICS_ELEMENTARY_H

#include <cstdint>

namespace qtrain::numerics {

/// e^x: faithfully rounded for normal results (error below 1 ulp); results
/// below 2^-126 take one more rounding. NaN gives the positive quiet NaN,
/// +inf gives +inf, -inf gives +0; above about 88.72 the result overflows
/// to +inf, below about -103.97 it is +0.
float expF32(float x);

/// The natural logarithm: faithfully rounded. NaN and x < 0 (-inf
/// included) give the positive quiet NaN, +-0 gives -inf, +inf gives +inf;
/// subnormal x are scaled into the normal range first (exactly).
float logF32(float x);

/// The constants both functions and their code generators use (one source).
namespace elementary {
/// log2(e) rounded to f32.
inline constexpr float kLog2E = 0x1.715476p+0f;
/// ln(2) = kLn2Hi + kLn2Lo (+ 5.5e-14): kLn2Hi has 16 significant bits, so
/// k * kLn2Hi is exact for every |k| < 256.
inline constexpr float kLn2Hi = 0x1.62e4p-1f;
inline constexpr float kLn2Lo = 0x1.7f7d1cp-20f;
/// exp's inputs are clamped to [kExpMin, kExpMax] (NaN aside): beyond them
/// the result is +inf or +0 already.
inline constexpr float kExpMax = 89.0f;
inline constexpr float kExpMin = -104.0f;
/// exp's polynomial: e^r = 1 + r + r^2 (c[0] + c[1] r + ... + c[5] r^5),
/// Taylor's coefficients 1/2!, ..., 1/7! rounded to f32, |r| <= ln(2) / 2.
inline constexpr float kExpCoefficients[6] = {
    0.5f, 1.0f / 6, 1.0f / 24, 1.0f / 120, 1.0f / 720, 1.0f / 5040};
/// log's series: log(1 + f) = f - s (f - R), s = f / (2 + f),
/// R = s^2 (d[0] + d[1] s^2 + d[2] s^4 + d[3] s^6): atanh's coefficients
/// 2/3, 2/5, 2/7, 2/9 rounded to f32, |s| <= 0.1716.
inline constexpr float kLogCoefficients[4] = {2.0f / 3, 2.0f / 5, 2.0f / 7,
                                              2.0f / 9};
/// The bits of sqrt(2) rounded down to f32: significands above it are
/// halved, so that f = m - 1 lies in [sqrt(1/2) - 1, sqrt(2) - 1].
inline constexpr uint32_t kSqrt2Bits = 0x3fb504f3u;
/// The positive quiet NaN both functions return for NaN results.
inline constexpr uint32_t kQuietNaNBits = 0x7fc00000u;
} // namespace elementary

} // namespace qtrain::numerics

#endif // QTRAIN_NUMERICS_ELEMENTARY_H
