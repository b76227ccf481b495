//===- Elementary.cpp - qtrain's own exp and log on f32 -------------------===//
//
// See Elementary.h. Every step is one IEEE operation in f32 (the library is
// compiled without contraction, and every fused multiply-add is written
// out), in the order the CPU lowering's MathLowering.cpp emits them.
//
//===----------------------------------------------------------------------===//

#include "qtrain/Numerics/Elementary.h"

#include "llvm/ADT/bit.h"

#include <cmath>

namespace qtrain::numerics {

using namespace elementary;

namespace {
/// 2^e for e in [-126, 127], built from its bits.
float powerOfTwo(int32_t e) {
  return llvm::bit_cast<float>(static_cast<uint32_t>(e + 127) << 23);
}
} // namespace

float expF32(float x) {
  if (std::isnan(x))
    return llvm::bit_cast<float>(kQuietNaNBits);
  // Clamped (infinities included): e^89 overflows and e^-104 is below half
  // the smallest subnormal, as every input beyond them.
  float xc = x > kExpMax ? kExpMax : (x < kExpMin ? kExpMin : x);
  // x = k ln2 + r, |r| <= ln2 / 2 (plus rounding): k * kLn2Hi is exact and
  // so is r1 = x - k * kLn2Hi for the k near x / ln2. r = r1 - k * kLn2Lo
  // rounds; its error c (Fast2Sum: |r1| >= |k kLn2Lo| but where both are
  // tiny) joins the polynomial's small terms.
  float k = std::nearbyint(xc * kLog2E); // nearest-even: the default mode
  float r1 = std::fma(-k, kLn2Hi, xc);
  float rLo = -k * kLn2Lo;
  float r = r1 + rLo;
  float c = (r1 - r) + rLo;
  // e^r = 1 + (r + (c + r^2 q(r))).
  float q = kExpCoefficients[5];
  for (int i = 4; i >= 0; --i)
    q = std::fma(q, r, kExpCoefficients[i]);
  float r2 = r * r;
  float y = 1.0f + (r + std::fma(r2, q, c));
  // y 2^k in two exact-or-once-rounded steps: k in [-151, 129] splits into
  // k1 = floor(k / 2) and k2 = k - k1, both normal exponents; y 2^k1 is
  // exact and only the second product rounds (below 2^-126 or beyond the
  // largest finite value).
  int32_t ki = static_cast<int32_t>(k);
  int32_t k1 = ki >> 1, k2 = ki - k1;
  return (y * powerOfTwo(k1)) * powerOfTwo(k2);
}

float logF32(float x) {
  uint32_t bits = llvm::bit_cast<uint32_t>(x);
  if (std::isnan(x) || x < 0.0f)
    return llvm::bit_cast<float>(kQuietNaNBits);
  if (x == 0.0f)
    return -INFINITY;
  if (x == INFINITY)
    return INFINITY;
  // A subnormal x times 2^23 is normal (exact).
  int32_t e = -127;
  if ((bits & 0x7f800000u) == 0) {
    bits = llvm::bit_cast<uint32_t>(x * 0x1p23f);
    e -= 23;
  }
  // x = 2^e m, m in [sqrt(1/2), sqrt(2)].
  e += static_cast<int32_t>(bits >> 23);
  uint32_t mBits = (bits & 0x7fffffu) | 0x3f800000u;
  if (mBits > kSqrt2Bits) {
    mBits -= 0x800000u; // m / 2
    e += 1;
  }
  float f = llvm::bit_cast<float>(mBits) - 1.0f; // exact
  float s = f / (2.0f + f);
  float s2 = s * s;
  float p = kLogCoefficients[3];
  for (int i = 2; i >= 0; --i)
    p = std::fma(p, s2, kLogCoefficients[i]);
  float rr = s2 * p;
  // log x = e ln2 + f - s (f - R). The sum e kLn2Hi + f (e kLn2Hi exact)
  // keeps its rounding error (Fast2Sum: |e kLn2Hi| >= ln2 > |f| unless e
  // is 0, when the sum is f itself), which joins the small terms.
  float ef = static_cast<float>(e);
  float a = ef * kLn2Hi;
  float hi = a + f;
  float err = f - (hi - a);
  float correction = std::fma(-ef, kLn2Lo, s * (f - rr));
  return hi + (err - correction);
}

} // namespace qtrain::numerics
