//===- StochasticRoundingTest.cpp - Unbiasedness and bias per source ------===//

#include "qtrain/Numerics/Minifloat.h"
#include "qtrain/Numerics/Presets.h"

#include "gtest/gtest.h"

#include <cmath>
#include <cstdio>
#include <random>

using namespace llvm;
using namespace qtrain::numerics;

namespace {

/// Mean of SR(x) over n independent draws (stream indices 0..n-1).
double meanSR(const MinifloatFormat &f, float x, const Rounding &r, size_t n) {
  std::vector<float> in(n, x), out(n);
  quantize(f, in, out, r);
  double s = 0;
  for (float v : out)
    s += v;
  return s / n;
}

TEST(StochasticRounding, CounterSourceIsUnbiasedWithinBound) {
  MinifloatFormat f = *lookupMinifloat("e4m3fn");
  const size_t n = 40000;
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> d(1.0f, 2.0f);
  for (unsigned k : {8u, 12u, 24u}) {
    for (int t = 0; t < 20; ++t) {
      float x = d(rng); // step 1/8 in [1, 2)
      RandomSource src;
      src.seed = 1000 + t;
      double mean = meanSR(f, x, Rounding::stochastic(k, src), n);
      double ulp = 0.125;
      // |E[SR(x)] - x| <= ulp * 2^-k (only the top k discarded bits count),
      // and the sample mean is within 6 standard deviations (<= ulp/2/sqrt n).
      double bound =
          ulp * std::ldexp(1.0, -int(k)) + 6 * ulp / 2 / std::sqrt(n);
      EXPECT_NEAR(mean, x, bound) << "k=" << k << " x=" << x;
    }
  }
}

TEST(StochasticRounding, ResultIsOneOfTheTwoNeighbours) {
  MinifloatFormat f = *lookupMinifloat("e5m2");
  for (StochasticVariant v :
       {StochasticVariant::Compare, StochasticVariant::AddTruncate}) {
    Rounding r = Rounding::stochastic(3, {}, v);
    for (float x : {1.1f, -3.3f, 1e-6f, 57000.0f}) {
      float lo =
          quantize(f, x, Rounding::deterministic(RoundingMode::TowardZero));
      float hi =
          quantize(f, x,
                   Rounding::deterministic(std::signbit(x) ? RoundingMode::Down
                                                           : RoundingMode::Up));
      for (uint32_t rnd = 0; rnd < 8; ++rnd) {
        float q = quantize(f, x, r, rnd);
        EXPECT_TRUE(q == lo || q == hi) << x << " " << rnd;
      }
    }
  }
}

TEST(StochasticRounding, VariantsDecideFromTheTopKDiscardedBits) {
  // 1 + 5/16 in e5m2 (step 1/4): discarded fraction 0.25 of a step -> top 3
  // bits d = 2. Compare rounds up for r < 2; add-truncate for r >= 6.
  MinifloatFormat f = *lookupMinifloat("e5m2");
  float x = 1.0f + 5.0f / 16;
  for (uint32_t rnd = 0; rnd < 8; ++rnd) {
    EXPECT_EQ(quantize(f, x, Rounding::stochastic(3), rnd),
              rnd < 2 ? 1.5f : 1.25f);
    EXPECT_EQ(
        quantize(f, x,
                 Rounding::stochastic(3, {}, StochasticVariant::AddTruncate),
                 rnd),
        rnd >= 6 ? 1.5f : 1.25f);
  }
}

/// Mean signed bias (E[SR(x)] - x) / ulp over x with uniformly spread
/// fractions (the library's study; 896 draws are whole periods of a 3-bit
/// plateau LFSR).
double biasPerUlp(RandomSource src, unsigned k, StochasticVariant v) {
  return stochasticRoundingError(Rounding::stochastic(k, src, v)).bias;
}

TEST(StochasticRounding, BiasPerSourceAndPlateauBeatsPlainLfsrAtK3) {
  std::printf("  source        k  variant       mean bias (ulp)\n");
  double plain3 = 0, plateau3 = 0;
  for (RandomSourceKind kind :
       {RandomSourceKind::Counter, RandomSourceKind::Lfsr,
        RandomSourceKind::LfsrPlateau}) {
    for (unsigned k : {1u, 2u, 3u, 4u, 8u}) {
      for (StochasticVariant v :
           {StochasticVariant::Compare, StochasticVariant::AddTruncate}) {
        RandomSource src;
        src.kind = kind;
        src.lfsrWidth = k < 2 ? 2 : k;
        src.lfsrLanes = 1;
        double b = biasPerUlp(src, k, v);
        std::printf("  %-12s %2u  %-12s %+.4f\n",
                    stringifyRandomSourceKind(kind).str().c_str(), k,
                    stringifyStochasticVariant(v).str().c_str(), b);
        if (k == 3 && v == StochasticVariant::Compare) {
          if (kind == RandomSourceKind::Lfsr)
            plain3 = b;
          if (kind == RandomSourceKind::LfsrPlateau)
            plateau3 = b;
        }
      }
    }
  }
  EXPECT_LT(std::fabs(plateau3), std::fabs(plain3));
  // The plain 3-bit LFSR never draws 0: compare-variant SR is biased low by
  // more than the truncation bias of 3 bits (1/16 ulp).
  EXPECT_LT(plain3, -0.1);
}

TEST(StochasticRounding, FewRandomBitsPlacedInMoreDiscardedBits) {
  // k = 3 random bits read against kd = 8 discarded bits: r sits at the top
  // of an 8-bit number whose low 5 bits are 10000. For every 8-bit field d,
  // the probability of rounding away is the count of the 8 values of r
  // that round it up, which must be the documented one.
  for (auto variant :
       {StochasticVariant::Compare, StochasticVariant::AddTruncate}) {
    Rounding r = Rounding::stochastic(3, {}, variant);
    r.discardedBits = 8;
    ASSERT_FALSE(errorToBool(r.verify()));
    double bias = 0;
    for (uint64_t d = 0; d < 256; ++d) {
      unsigned ups = 0;
      for (uint32_t random = 0; random < 8; ++random)
        ups += roundShifted((uint64_t(5) << 10) | (d << 2) | 3, 10, false, r,
                            random) == 6;
      uint64_t placed = 16; // (random << 5) | 16 for random = 0..7
      unsigned want = 0;
      for (uint32_t random = 0; random < 8; ++random, placed += 32)
        want += variant == StochasticVariant::Compare ? placed < d
                                                      : placed + d >= 256;
      ASSERT_EQ(ups, want) << d;
      bias += ups / 8.0 - d / 256.0;
    }
    // Averaged over the 8-bit fields: the rounding is centred (|bias| below
    // one 8-bit step), unlike 3-bit SR's -1/16 ulp truncation bias.
    EXPECT_LT(std::fabs(bias / 256), 1.0 / 256) << int(variant);
  }
  Rounding bad = Rounding::stochastic(8);
  bad.discardedBits = 3;
  EXPECT_EQ(toString(bad.verify()),
            "stochastic rounding reads 8 to 24 discarded bits (at least its "
            "random bits), got 3");
  // discardedBits = k is the default rule.
  Rounding same = Rounding::stochastic(5);
  same.discardedBits = 5;
  EXPECT_EQ(same, Rounding::stochastic(5));
}

} // namespace
