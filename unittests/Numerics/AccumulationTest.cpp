//===- AccumulationTest.cpp - Grouped low-precision accumulation ----------===//

#include "qtrain/Numerics/Accumulation.h"
#include "qtrain/Numerics/Presets.h"

#include "gtest/gtest.h"

#include <cmath>
#include <random>

using namespace llvm;
using namespace qtrain::numerics;

namespace {

AccumulationSpec spec(StringRef acc, Grouping g) {
  AccumulationSpec s;
  s.accumulator = *lookupMinifloat(acc);
  s.grouping = g;
  return s;
}

TEST(Accumulation, AddRoundedIsCorrectlyRounded) {
  // Against exact integer arithmetic on a scaled grid: fp12 (6 mantissa
  // bits), a and b multiples of 2^-20 within [-64, 64]; the oracle rounds the
  // exact double sum with nearbyint on the format's step.
  MinifloatFormat f = *lookupMinifloat("fp12_dga");
  std::mt19937_64 rng(4);
  for (int i = 0; i < 200000; ++i) {
    auto draw = [&] {
      int64_t v = static_cast<int64_t>(rng() % (int64_t(1) << 27)) -
                  (int64_t(1) << 26);
      return std::ldexp(double(v), -20);
    };
    double a = draw(), b = draw();
    double exact = a + b; // exact: 28-bit integers times 2^-20
    double want = 0;
    if (exact != 0) {
      int e = std::max(std::ilogb(exact), -14); // fp12: min normal 2^-14
      double step = std::ldexp(1.0, e - 6);
      want = std::nearbyint(exact / step) * step;
    }
    ASSERT_EQ(addRounded(f, a, b, RoundingMode::NearestEven), want)
        << a << " + " << b;
  }
}

TEST(Accumulation, ExactZeroSumsFollowIEEESigns) {
  MinifloatFormat f = *lookupMinifloat("fp12_dga");
  EXPECT_FALSE(std::signbit(addRounded(f, 1.0, -1.0, RoundingMode::NearestEven)));
  EXPECT_TRUE(std::signbit(addRounded(f, 1.0, -1.0, RoundingMode::Down)));
  EXPECT_TRUE(std::signbit(addRounded(f, -0.0, -0.0, RoundingMode::Up)));
  EXPECT_FALSE(std::signbit(addRounded(f, 0.0, 0.0, RoundingMode::Down)));
}

TEST(Accumulation, SwampingAndItsCure) {
  // 1024 followed by 1023 ones in the 1-6-9 format: every 1024 + 1 is a tie
  // that rounds back to 1024.
  std::vector<float> a(1024, 1.0f), b(1024, 1.0f);
  a[0] = 1024.0f;
  AccumulationSpec none = spec("fp16_dga", Grouping::None);
  EXPECT_EQ(cantFail(dot(a, b, none)), 1024.0f);
  AccumulationSpec sga = spec("fp16_dga", Grouping::Static);
  sga.groupSize = 16;
  EXPECT_EQ(cantFail(dot(a, b, sga)), 1024.0f + 1008.0f); // first group swamped
  AccumulationSpec dga = spec("fp16_dga", Grouping::IdealDGA);
  float r = cantFail(dot(a, b, dga));
  EXPECT_NEAR(r, 2047.0f, 1.0f); // the one rounding of P_O + P_G
}

TEST(Accumulation, StaticGroupsMatchHandComputation) {
  AccumulationSpec s = spec("fp12_dga", Grouping::Static);
  s.groupSize = 2;
  std::vector<float> a = {1, 2, 3, 4, 5}, b(5, 1.0f);
  EXPECT_EQ(cantFail(dot(a, b, s)), 15.0f);
}

TEST(Accumulation, DgaBeatsStaticGroupsOnLongDotProducts) {
  MinifloatFormat fp8 = *lookupMinifloat("e4m3fn");
  auto err = [&](AccumulationSpec s) {
    return cantFail(meanRelativeDotError(s, fp8, 4096, 40, 12));
  };
  AccumulationSpec sga = spec("fp12_dga", Grouping::Static);
  sga.groupSize = 16;
  double none = err(spec("fp12_dga", Grouping::None));
  double stat = err(sga);
  double ideal = err(spec("fp12_dga", Grouping::IdealDGA));
  double efficient = err(spec("fp12_dga", Grouping::EfficientDGA));
  std::printf("  FP12 mean relative error: none %.3g, SGA(16) %.3g, "
              "ideal DGA %.3g, E-DGA(c=4) %.3g\n",
              none, stat, ideal, efficient);
  EXPECT_LT(stat, none);
  EXPECT_LT(ideal, stat);
  EXPECT_LT(efficient, stat);
  EXPECT_LT(efficient, 2 * ideal); // "close to ideal"
}

TEST(Accumulation, GemmEqualsDotsAndSharedThresholdIsClose) {
  MinifloatFormat fp8 = *lookupMinifloat("e4m3fn");
  std::mt19937_64 rng(5);
  std::uniform_real_distribution<float> d(0.0f, 1.0f);
  const int m = 4, n = 3, k = 2048;
  std::vector<float> a(m * k), b(k * n), c(m * n), shared(m * n);
  for (float &x : a)
    x = quantize(fp8, d(rng), Rounding());
  for (float &x : b)
    x = quantize(fp8, d(rng), Rounding());
  AccumulationSpec s = spec("fp12_dga", Grouping::EfficientDGA);
  cantFail(gemm(a, b, c, m, n, k, s));
  s.sharedThreshold = true;
  cantFail(gemm(a, b, shared, m, n, k, s));
  s.sharedThreshold = false;
  double errOwn = 0, errShared = 0, errNone = 0;
  for (int i = 0; i < m; ++i)
    for (int j = 0; j < n; ++j) {
      std::vector<float> col(k);
      for (int kk = 0; kk < k; ++kk)
        col[kk] = b[kk * n + j];
      ArrayRef<float> row = ArrayRef<float>(a).slice(i * k, k);
      // Per-output thresholds: the GEMM equals the dot products one by one.
      EXPECT_EQ(c[i * n + j], cantFail(dot(row, col, s)));
      double exact = exactDot(row, col);
      errOwn += std::fabs(c[i * n + j] - exact) / exact;
      errShared += std::fabs(shared[i * n + j] - exact) / exact;
      errNone += std::fabs(cantFail(dot(row, col, spec("fp12_dga", Grouping::None))) -
                           exact) / exact;
    }
  std::printf("  E-DGA GEMM error: per-output %.3g, shared %.3g, none %.3g\n",
              errOwn / (m * n), errShared / (m * n), errNone / (m * n));
  EXPECT_LT(errShared, errNone / 4);
  EXPECT_LT(errShared, 3 * errOwn);
}

TEST(Accumulation, VerifyRejectsStochasticAccumulation) {
  AccumulationSpec s;
  s.rounding = RoundingMode::Stochastic;
  EXPECT_EQ(toString(s.verify()),
            "accumulation rounds with a deterministic mode");
  // dot and gemm verify the spec instead of truncating silently.
  std::vector<float> a = {1.0f, 2.0f}, b = {3.0f, 4.0f};
  EXPECT_EQ(toString(dot(a, b, s).takeError()),
            "accumulation rounds with a deterministic mode");
  std::vector<float> c(1);
  EXPECT_EQ(toString(gemm(a, b, c, 1, 1, 2, s)),
            "accumulation rounds with a deterministic mode");
  EXPECT_EQ(toString(gemm(a, b, c, 1, 1, 3, AccumulationSpec())),
            "gemm of 1x1x3 needs 3, 3 and 1 elements, got 2, 2 and 1");
}

} // namespace
