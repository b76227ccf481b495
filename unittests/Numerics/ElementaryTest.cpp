//===- ElementaryTest.cpp - qtrain's exp and log against f64 libm ---------===//
//
// The errors docs/Numerics.md ("Elementary functions") states, measured over
// a strided sweep of every f32 bit pattern against the host's f64 exp and
// log (whose own error, below 1 ulp of f64, is 2^-29 ulp of f32), and the
// special cases.
//
//===----------------------------------------------------------------------===//

#include "qtrain/Numerics/Elementary.h"

#include "llvm/ADT/bit.h"

#include "gtest/gtest.h"

#include <cmath>
#include <cstdio>
#include <limits>

using namespace qtrain::numerics;

namespace {

/// |got - want| in units of the f32 ulp at want (the spacing of f32 values
/// in want's binade; 2^-149 below the normal range).
double ulpError(float got, double want) {
  double a = std::fabs(want);
  int e = a < 0x1p-126 ? -126 : std::ilogb(a);
  if (a >= 0x1p128) // beyond f32: the error is the excess over FLT_MAX
    e = 127;
  return std::fabs(static_cast<double>(got) - want) / std::ldexp(1.0, e - 23);
}

struct Sweep {
  double maxNormal = 0, maxSubnormal = 0;
  float worstNormal = 0;
  uint64_t checked = 0;
};

/// Every 97th bit pattern (44 M inputs) with a finite f64 reference
/// `ref(x)` accepted by `use`.
template <typename Ours, typename Ref>
Sweep sweep(Ours ours, Ref ref, float lo, float hi) {
  Sweep s;
  for (uint64_t u = 0; u <= 0xffffffffu; u += 97) {
    float x = llvm::bit_cast<float>(static_cast<uint32_t>(u));
    if (!(x >= lo && x <= hi))
      continue;
    double want = ref(static_cast<double>(x));
    float got = ours(x);
    double err = ulpError(got, want);
    ++s.checked;
    if (std::fabs(want) < 0x1p-126) {
      s.maxSubnormal = std::max(s.maxSubnormal, err);
    } else if (err > s.maxNormal) {
      s.maxNormal = err;
      s.worstNormal = x;
    }
  }
  return s;
}

TEST(Elementary, ExpIsFaithful) {
  // Up to the largest x whose e^x rounds below FLT_MAX's overflow bound.
  Sweep s = sweep(
      expF32, [](double x) { return std::exp(x); }, -104.0f, 88.72283f);
  std::printf("exp: %llu inputs, max error %.3f ulp (at %a), %.3f ulp of "
              "2^-149 below 2^-126\n",
              (unsigned long long)s.checked, s.maxNormal, s.worstNormal,
              s.maxSubnormal);
  EXPECT_GT(s.checked, 10000000u);
  EXPECT_LT(s.maxNormal, 1.0);
  EXPECT_LE(s.maxSubnormal, 1.0);
}

TEST(Elementary, LogIsFaithful) {
  Sweep s = sweep(
      logF32, [](double x) { return std::log(x); },
      std::numeric_limits<float>::denorm_min(),
      std::numeric_limits<float>::max());
  std::printf("log: %llu inputs, max error %.3f ulp (at %a)\n",
              (unsigned long long)s.checked, s.maxNormal, s.worstNormal);
  EXPECT_GT(s.checked, 10000000u);
  EXPECT_LT(s.maxNormal, 1.0);
}

uint32_t bitsOf(float x) { return llvm::bit_cast<uint32_t>(x); }

TEST(Elementary, SpecialCases) {
  const float inf = std::numeric_limits<float>::infinity();
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const uint32_t qnan = elementary::kQuietNaNBits;
  EXPECT_EQ(bitsOf(expF32(nan)), qnan);
  EXPECT_EQ(bitsOf(expF32(-nan)), qnan);
  EXPECT_EQ(expF32(inf), inf);
  EXPECT_EQ(bitsOf(expF32(-inf)), 0u);
  EXPECT_EQ(expF32(0.0f), 1.0f);
  EXPECT_EQ(expF32(-0.0f), 1.0f);
  EXPECT_EQ(expF32(89.0f), inf);
  EXPECT_EQ(expF32(1e30f), inf);
  EXPECT_EQ(bitsOf(expF32(-104.0f)), 0u);
  EXPECT_EQ(bitsOf(expF32(-1e30f)), 0u);
  EXPECT_EQ(expF32(-103.2f), 0x1p-149f); // e^-103.2 = 1.17 * 2^-149
  EXPECT_LT(expF32(88.72283f), inf);

  EXPECT_EQ(bitsOf(logF32(nan)), qnan);
  EXPECT_EQ(bitsOf(logF32(-1.0f)), qnan);
  EXPECT_EQ(bitsOf(logF32(-inf)), qnan);
  EXPECT_EQ(bitsOf(logF32(-0x1p-149f)), qnan);
  EXPECT_EQ(logF32(0.0f), -inf);
  EXPECT_EQ(logF32(-0.0f), -inf);
  EXPECT_EQ(logF32(inf), inf);
  EXPECT_EQ(bitsOf(logF32(1.0f)), 0u);
  EXPECT_EQ(logF32(2.0f), static_cast<float>(std::log(2.0)));
  EXPECT_NEAR(logF32(0x1p-149f), std::log(0x1p-149), 1e-5);
}

} // namespace
