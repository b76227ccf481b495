//===- AccumulationTest.cpp - Grouped low-precision accumulation ----------===//

#include "qtrain/Numerics/Accumulation.h"
#include "qtrain/Numerics/Presets.h"

#include "llvm/ADT/bit.h"

#include "gtest/gtest.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <optional>
#include <random>
#include <string>
#include <vector>

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
      int64_t v =
          static_cast<int64_t>(rng() % (int64_t(1) << 27)) - (int64_t(1) << 26);
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

TEST(Accumulation, F32NearestEvenUnitEqualsAddRounded) {
  // f32 accumulation in nearest-even adds f32-representable products with
  // one float add; every result must be addRounded's bits, specials (the
  // NaN of inf - inf, infinities, signed zeros, subnormals, overflow)
  // included. Products wider than f32 take addRounded itself.
  AccumulationSpec f32;
  AccumulationUnit unit(f32);
  std::mt19937_64 rng(11);
  const float specials[] = {0.0f,
                            -0.0f,
                            INFINITY,
                            -INFINITY,
                            NAN,
                            1e-45f,
                            -1e-40f,
                            std::numeric_limits<float>::max(),
                            -std::numeric_limits<float>::max(),
                            1.0f,
                            -1.0f,
                            3e38f};
  auto drawFloat = [&]() -> float {
    if (rng() % 4 == 0)
      return specials[rng() % std::size(specials)];
    return llvm::bit_cast<float>(static_cast<uint32_t>(rng()));
  };
  for (int i = 0; i < 200000; ++i) {
    float acc = drawFloat();
    // An FP8-like product (exact in f32) or a product of two f32 (not).
    double p = (i % 2) ? double(drawFloat()) * double(drawFloat())
                       : double(std::ldexp(float(int(rng() % 255) - 127),
                                           int(rng() % 60) - 30));
    AccumulatorState state = unit.start();
    state.group = acc;
    unit.add(state, p, 0);
    float want = addRounded(f32.accumulator, acc, p, RoundingMode::NearestEven);
    ASSERT_EQ(llvm::bit_cast<uint32_t>(state.group),
              llvm::bit_cast<uint32_t>(want))
        << acc << " + " << p;
  }
  // inf + -inf: the positive quiet NaN, as addRounded gives.
  AccumulatorState state = unit.start();
  state.group = INFINITY;
  unit.add(state, -double(INFINITY), 0);
  EXPECT_EQ(llvm::bit_cast<uint32_t>(state.group), 0x7fc00000u);
}

TEST(Accumulation, RoundedAdderEqualsAddRounded) {
  // The split's fast path against addRounded's general rounding, on sums
  // aimed at its edges: ties (values with one bit more than the format),
  // exact sums a hair beside ties (an inexact f64 sum that lands on one),
  // binade carries, the largest finite value and overflow, the normal
  // range's floor, subnormals, zeros of both signs and specials; for
  // formats with and without infinities, subnormals and negative zero.
  std::mt19937_64 rng(29);
  const char *formats[] = {"fp12_dga", "fp16_dga", "e4m3fn", "e5m2",  "bf16",
                           "e4m3fnuz", "f32",      "f16",    "e2m1fn"};
  int fast = 0;
  for (const char *name : formats) {
    std::optional<MinifloatFormat> f = lookupMinifloat(name);
    ASSERT_TRUE(f) << name;
    const int m = static_cast<int>(f->mantissaBits);
    const int emin = f->minNormalExponent();
    const int emax = f->maxExponent();
    // A value of `bits` significant bits at exponent e, either sign.
    auto value = [&](int bits, int e) {
      double sig = double(rng() & ((uint64_t(1) << (bits - 1)) - 1)) +
                   std::ldexp(1.0, bits - 1);
      double v = std::ldexp(sig, e - bits + 1);
      return rng() % 2 ? -v : v;
    };
    const double specials[] = {0.0,
                               -0.0,
                               INFINITY,
                               -INFINITY,
                               NAN,
                               double(f->maxFinite()),
                               -double(f->maxFinite()),
                               double(f->minNormal()),
                               double(f->minPositive())};
    for (RoundingMode mode :
         {RoundingMode::NearestEven, RoundingMode::TowardZero}) {
      RoundedAdder add(*f, mode);
      for (int i = 0; i < 300000; ++i) {
        int e = emin - 3 + int(rng() % uint64_t(emax - emin + 6));
        double a, b;
        switch (i % 6) {
        case 0: // a value of f plus a product-like value of m + 2 bits
          a = value(m + 1, e);
          b = value(m + 2, e - int(rng() % 4));
          break;
        case 1: // far-apart exponents: inexact f64 sums
          a = value(m + 1, e);
          b = value(48, e - 40 - int(rng() % 30));
          break;
        case 2: // a tie plus a tiny remainder of either sign
          a = value(m + 2, e);
          b = value(24, e - 60 - int(rng() % 5));
          break;
        case 3: // 48-bit products (f32 x f32) beside a value of f
          a = value(m + 1, e);
          b = value(48, e - int(rng() % 8));
          break;
        case 4: // near the largest finite value
          a = (rng() % 2 ? 1 : -1) * double(f->maxFinite());
          b = value(m + 2, emax - m - int(rng() % 3));
          break;
        default: // specials
          a = specials[rng() % std::size(specials)];
          b = rng() % 2 ? specials[rng() % std::size(specials)]
                        : value(m + 2, e);
          break;
        }
        float want = addRounded(*f, a, b, mode);
        float got = add(a, b);
        ASSERT_EQ(llvm::bit_cast<uint32_t>(got), llvm::bit_cast<uint32_t>(want))
            << name << ": " << a << " + " << b;
        double s = a + b;
        fast += mode == RoundingMode::NearestEven && std::isfinite(s) &&
                std::fabs(s) >= f->minNormal() &&
                std::fabs(s) <= f->maxFinite();
      }
    }
  }
  // The fast path ran (most sums lie in the normal range).
  EXPECT_GT(fast, 500000);
}

TEST(Accumulation, ExactZeroSumsFollowIEEESigns) {
  MinifloatFormat f = *lookupMinifloat("fp12_dga");
  EXPECT_FALSE(
      std::signbit(addRounded(f, 1.0, -1.0, RoundingMode::NearestEven)));
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
      errNone +=
          std::fabs(cantFail(dot(row, col, spec("fp12_dga", Grouping::None))) -
                    exact) /
          exact;
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

TEST(Accumulation, RunningCountFollowsTheDocumentedRule) {
  // An oracle written from docs/Numerics.md: before each product, the
  // product enters iff (P_O == 0 ? |P_G| < T0 : n P_G^2 < 1.5 P_O^2).
  auto oracle = [](const AccumulationSpec &s, ArrayRef<float> a,
                   ArrayRef<float> b) {
    double po = 0, pg = 0;
    unsigned n = 0;
    for (size_t i = 0; i < a.size(); ++i) {
      double p = static_cast<double>(a[i]) * b[i];
      bool enters = po == 0 ? std::fabs(pg) < s.initialThreshold
                            : n * (pg * pg) < 1.5 * (po * po);
      if (enters) {
        pg = addRounded(s.accumulator, pg, p, s.rounding);
        ++n;
      } else {
        po = addRounded(s.outerFormat(), po, pg, s.rounding);
        pg = addRounded(s.accumulator, 0.0, p, s.rounding);
        n = 1;
      }
    }
    return addRounded(s.outerFormat(), po, pg, s.rounding);
  };
  MinifloatFormat fp8 = *lookupMinifloat("e4m3fn");
  std::mt19937_64 rng(3);
  std::uniform_real_distribution<float> d(-0.3f, 1.0f);
  unsigned differsFromClosedGroup = 0;
  for (const char *acc : {"fp12_dga", "fp16_dga", "e5m2"})
    for (double t0 : {1.0, 0.0625, 0.0})
      for (int trial = 0; trial < 20; ++trial) {
        std::vector<float> a(1 + rng() % 3000), b(a.size());
        for (size_t i = 0; i < a.size(); ++i) {
          a[i] = quantize(fp8, d(rng), Rounding());
          b[i] = quantize(fp8, d(rng), Rounding());
        }
        // Half the trials start with groups that cancel: 2, then -2 and 0
        // close into P_O = 0, after which T0 decides again.
        if (trial % 2 && a.size() >= 4) {
          const float start[] = {2.0f, -2.0f, 0.0f, 0.0f};
          for (int i = 0; i < 4; ++i) {
            a[i] = start[i];
            b[i] = 1.0f;
          }
        }
        AccumulationSpec s = spec(acc, Grouping::IdealDGA);
        ASSERT_EQ(s.dgaCount, DgaCount::Running); // the default
        s.initialThreshold = t0;
        float got = cantFail(dot(a, b, s));
        float want = oracle(s, a, b);
        ASSERT_EQ(bit_cast<uint32_t>(got), bit_cast<uint32_t>(want))
            << acc << " t0 " << t0 << " trial " << trial;
        s.dgaCount = DgaCount::ClosedGroup;
        differsFromClosedGroup += cantFail(dot(a, b, s)) != got;
      }
  EXPECT_GT(differsFromClosedGroup, 20u); // the rules do differ
}

TEST(Accumulation, VectorAngle) {
  const double pi = std::acos(-1.0);
  EXPECT_NEAR(vectorAngle({1, 0}, {1, 1}), pi / 4, 1e-15);
  EXPECT_NEAR(vectorAngle({1, 0}, {-1, 0}), pi, 1e-15);
  EXPECT_EQ(vectorAngle({0, 0}, {0, 0}), 0.0);
  EXPECT_NEAR(vectorAngle({0, 0}, {1, 2}), pi / 2, 1e-15);
  EXPECT_TRUE(std::isnan(vectorAngle({NAN, 1}, {1, 1})));
  // Scale-invariant, and accurate for tiny angles where the paper's tan
  // form cancels.
  EXPECT_NEAR(vectorAngle({3, 3e-9}, {2, 0}), 1e-9, 1e-18);
  // The paper's form tan(theta) = sqrt((|a||b| / <a,b>)^2 - 1) agrees on a
  // moderate angle.
  std::vector<double> g = {0.3, -1.2, 2.5, 0.01}, t = {0.31, -1.1, 2.6, 0.0};
  double dotp = 0, na = 0, nb = 0;
  for (size_t i = 0; i < g.size(); ++i) {
    dotp += g[i] * t[i];
    na += g[i] * g[i];
    nb += t[i] * t[i];
  }
  double ratio = std::sqrt(na) * std::sqrt(nb) / dotp;
  EXPECT_NEAR(std::tan(vectorAngle(g, t)), std::sqrt(ratio * ratio - 1), 1e-9);
}

TEST(Accumulation, FixedPointGroups) {
  // s8 with 2 fraction bits (steps of 1/4, range [-32, 31.75]), groups of 3,
  // f32 outer: products are rounded to quarters, summed exactly, saturated.
  AccumulationSpec s;
  s.grouping = Grouping::Static;
  s.groupSize = 3;
  s.fixedPoint = IntegerFormat{8, IntegerEncoding::TwosComplement, 2,
                               IntegerOverflow::Saturate};
  ASSERT_FALSE(errorToBool(s.verify()));
  std::vector<float> one(6, 1.0f);
  // 0.3 -> 0.25, 0.4 -> 0.5, 0.125 -> 0 (tie to even); 20 + 20 + 20 -> 31.75.
  std::vector<float> a = {0.3f, 0.4f, 0.125f, 20.0f, 20.0f, 20.0f};
  EXPECT_EQ(cantFail(dot(a, one, s)), 0.75f + 31.75f);
  // Wrapping instead: 60 mod 64 = 60 -> -4 in [-32, 32).
  s.fixedPoint->overflow = IntegerOverflow::Wrap;
  EXPECT_EQ(cantFail(dot(a, one, s)), 0.75f - 4.0f);
  // Rounding down: 0.3 -> 0.25, 0.4 -> 0.25, 0.125 -> 0.
  s.rounding = RoundingMode::Down;
  std::vector<float> b = {0.3f, 0.4f, 0.125f};
  EXPECT_EQ(cantFail(dot(b, std::vector<float>(3, 1.0f), s)), 0.5f);
  // A NaN product makes the result NaN; an infinite one saturates.
  s.fixedPoint->overflow = IntegerOverflow::Saturate;
  s.rounding = RoundingMode::NearestEven;
  EXPECT_TRUE(std::isnan(cantFail(dot({NAN, 1.0f}, {1.0f, 1.0f}, s))));
  EXPECT_EQ(cantFail(dot({INFINITY, 1.0f}, {1.0f, 1.0f}, s)), 31.75f);

  AccumulationSpec bad = s;
  bad.grouping = Grouping::IdealDGA;
  EXPECT_EQ(toString(bad.verify()),
            "a fixed-point group accumulator needs static groups: its sum "
            "goes into the outer float accumulator when a group closes");
  bad = s;
  bad.fixedPoint->encoding = IntegerEncoding::SignMagnitude;
  EXPECT_EQ(toString(bad.verify()),
            "a fixed-point group accumulator is a two's complement integer");
}

} // namespace

namespace {

// "auto" accumulation (chooseAutoGrouping, docs/Numerics.md "Choosing a
// static group size"): on the studies of docs/Numerics.md (e4m3fn operands,
// positive-mean and zero-mean products, FP12 and FP16 accumulators) the
// rule's group size measures within 1.5x of the best power of two in both
// regimes, and better than no grouping. (The rule before it, the
// positive-mean optimum alone, measured 2.1x from the best on zero-mean
// products with FP16 at K = 16384.)
TEST(AutoGrouping, GroupSizeIsNearTheMeasuredBest) {
  const MinifloatFormat e4m3fn = *lookupMinifloat("e4m3fn");
  constexpr int kTrials = 40;
  for (const char *accumulator : {"fp12_dga", "f16"}) {
    const MinifloatFormat acc = *lookupMinifloat(accumulator);
    for (DotOperands operands :
         {DotOperands::PositiveMean, DotOperands::ZeroMean}) {
      const char *regime =
          operands == DotOperands::ZeroMean ? "zero mean" : "positive mean";
      for (int k : {256, 1024, 4096, 16384}) {
        AutoGrouping choice = chooseAutoGrouping(k, acc, /*tolerance=*/1e-3);
        ASSERT_EQ(choice.grouping, Grouping::Static) << k;
        AccumulationSpec spec;
        spec.accumulator = acc;
        double best = INFINITY, chosen = INFINITY;
        unsigned bestSize = 0;
        std::printf("%s, %s, K %5d:", accumulator, regime, k);
        for (unsigned g = 2; g <= static_cast<unsigned>(k); g *= 2) {
          spec.grouping = Grouping::Static;
          spec.groupSize = g;
          double e = cantFail(
              meanRelativeDotError(spec, e4m3fn, k, kTrials, 2022, operands));
          if (e < best) {
            best = e;
            bestSize = g;
          }
          if (g == choice.groupSize)
            chosen = e;
          std::printf(" %u:%.2e%s", g, e, g == choice.groupSize ? "<-" : "");
        }
        std::printf("\n");
        spec.grouping = Grouping::None;
        double none = cantFail(
            meanRelativeDotError(spec, e4m3fn, k, kTrials, 2022, operands));
        EXPECT_LE(chosen, 1.5 * best)
            << accumulator << ", " << regime << ", K = " << k << ": groups of "
            << choice.groupSize << " measure " << chosen << ", groups of "
            << bestSize << " " << best;
        EXPECT_LT(chosen, none)
            << accumulator << ", " << regime << ", K = " << k;
      }
    }
  }
}

// No grouping only where sequential accumulation is already accurate: f32
// at K = 4096 (measured error below the tolerance), fp16 at small K; fp16
// at K = 64 and an FP12 accumulator at any K > 2 group.
TEST(AutoGrouping, NoGroupingWhereSequentialIsAccurate) {
  const MinifloatFormat f32;
  const MinifloatFormat fp16 = *lookupMinifloat("f16");
  const MinifloatFormat fp12 = *lookupMinifloat("fp12_dga");
  const MinifloatFormat e4m3fn = *lookupMinifloat("e4m3fn");
  AutoGrouping c = chooseAutoGrouping(4096, f32, 1e-3);
  EXPECT_EQ(c.grouping, Grouping::None);
  AccumulationSpec spec; // f32, no grouping
  EXPECT_LE(cantFail(meanRelativeDotError(spec, e4m3fn, 4096, 10, 2022)), 1e-3);
  EXPECT_EQ(chooseAutoGrouping(8, fp16, 1e-3).grouping, Grouping::None);
  c = chooseAutoGrouping(64, fp16, 1e-3); // 64^(7/12) / 2^(1/6) = 10.1
  EXPECT_EQ(c.grouping, Grouping::Static);
  EXPECT_EQ(c.groupSize, 8u);
  c = chooseAutoGrouping(3, fp12, 1e-3);
  EXPECT_EQ(c.grouping, Grouping::Static);
  EXPECT_EQ(c.groupSize, 2u);
  EXPECT_EQ(chooseAutoGrouping(2, fp12, 1e-3).grouping, Grouping::None);
  // K^(7/12) / 2^(1/6) rounded in log2, clamped to [K / 128, 128] for FP12
  // (p = 7): K = 1000 gives 50.1 (64), K = 2048 gives 76.1 (64), K = 8192
  // gives 171 (128, also the clamp), K = 65536 has an empty range
  // (512 > 128) and takes sqrt(K) = 256.
  EXPECT_EQ(chooseAutoGrouping(1000, fp12, 1e-3).groupSize, 64u);
  EXPECT_EQ(chooseAutoGrouping(2048, fp12, 1e-3).groupSize, 64u);
  EXPECT_EQ(chooseAutoGrouping(8192, fp12, 1e-3).groupSize, 128u);
  EXPECT_EQ(chooseAutoGrouping(65536, fp12, 1e-3).groupSize, 256u);
}

} // namespace

namespace {

// The stepwise interface (AccumulationUnit) is what a functional model calls:
// each output's state is started, its products are added in increasing k
// (in any number of pieces, with the outputs visited in any order within a k
// step), and finished; a shared E-DGA threshold is recomputed from all
// states, row-major, after each k step in which a group closed. That must be
// gemm's and dot's result bit for bit, for every grouping.

/// The specs of every grouping the library supports: no grouping, static
/// groups, ideal DGA with each count rule, E-DGA per output and shared,
/// fixed-point groups (saturating, wrapping), product formats, outer formats
/// and each deterministic rounding mode.
std::vector<std::pair<std::string, AccumulationSpec>> everyGrouping() {
  std::vector<std::pair<std::string, AccumulationSpec>> specs;
  auto add = [&](std::string name, AccumulationSpec s) {
    EXPECT_FALSE(errorToBool(s.verify())) << name;
    specs.push_back({std::move(name), s});
  };
  add("f32_none", AccumulationSpec());
  AccumulationSpec s = spec("fp12_dga", Grouping::None);
  add("fp12_none", s);
  s.product = *lookupMinifloat("e5m2");
  s.rounding = RoundingMode::TowardZero;
  add("fp12_none_e5m2_products_toward_zero", s);
  for (unsigned g : {1u, 5u, 16u}) {
    s = spec("fp12_dga", Grouping::Static);
    s.groupSize = g;
    add("fp12_static" + std::to_string(g), s);
  }
  s = spec("e5m2", Grouping::Static);
  s.groupSize = 4;
  s.outer = *lookupMinifloat("bf16");
  s.rounding = RoundingMode::Up;
  add("e5m2_static4_bf16_outer_up", s);
  for (DgaCount count :
       {DgaCount::Running, DgaCount::ClosedGroup, DgaCount::AfterReset})
    for (double t0 : {1.0, 0.0}) {
      s = spec("fp12_dga", Grouping::IdealDGA);
      s.dgaCount = count;
      s.initialThreshold = t0;
      add("fp12_ideal_" + stringifyDgaCount(count).str() + "_t0_" +
              std::to_string(int(t0)),
          s);
    }
  s = spec("fp16_dga", Grouping::IdealDGA);
  s.outer = MinifloatFormat();
  s.product = *lookupMinifloat("bf16");
  s.rounding = RoundingMode::NearestAway;
  add("fp16_ideal_f32_outer_bf16_products_away", s);
  for (bool shared : {false, true})
    for (int c : {4, 0, -2}) {
      s = spec("fp12_dga", Grouping::EfficientDGA);
      s.sharedThreshold = shared;
      s.shiftC = c;
      s.initialThreshold = 0.5;
      add(std::string("fp12_edga_") + (shared ? "shared" : "own") + "_c" +
              std::to_string(c),
          s);
    }
  s = spec("e4m3", Grouping::EfficientDGA);
  s.sharedThreshold = true;
  s.outer = *lookupMinifloat("fp16_dga");
  s.rounding = RoundingMode::Down;
  add("e4m3_edga_shared_fp16_outer_down", s);
  s = AccumulationSpec();
  s.grouping = Grouping::Static;
  s.groupSize = 3;
  s.fixedPoint = IntegerFormat{16, IntegerEncoding::TwosComplement, 10,
                               IntegerOverflow::Saturate};
  add("fixed16_f10_sat_static3", s);
  s.fixedPoint = IntegerFormat{12, IntegerEncoding::TwosComplement, 6,
                               IntegerOverflow::Wrap};
  s.groupSize = 5;
  s.rounding = RoundingMode::Down;
  s.outer = *lookupMinifloat("bf16");
  s.product = *lookupMinifloat("e4m3fn");
  add("fixed12_f6_wrap_static5_down_bf16_outer_e4m3fn_products", s);
  return specs;
}

/// Operands from a seeded stream: mostly values of a few magnitudes, and
/// with `specialRate` > 0 that share of NaN, infinities, zeros of both signs,
/// subnormals and huge values.
std::vector<float> operands(size_t n, std::mt19937_64 &rng,
                            double specialRate) {
  std::uniform_real_distribution<double> u(0, 1);
  std::vector<float> v(n);
  for (float &x : v) {
    double r = u(rng);
    float sign = u(rng) < 0.3 ? -1.0f : 1.0f;
    if (r < specialRate) {
      switch (rng() % 7) {
      case 0:
        x = NAN;
        break;
      case 1:
        x = sign * INFINITY;
        break;
      case 2:
        x = sign * 0.0f;
        break;
      case 3:
        x = sign * std::numeric_limits<float>::denorm_min() *
            float(1 + rng() % 1000);
        break;
      case 4:
        x = sign * std::numeric_limits<float>::min() * 0.75f;
        break;
      case 5:
        x = sign * 3e38f;
        break;
      default:
        x = sign * std::ldexp(float(u(rng)), -140);
      }
    } else {
      x = sign * std::ldexp(float(u(rng)), int(rng() % 9) - 4);
    }
  }
  return v;
}

/// gemm's contraction through the stepwise interface, the way a functional
/// model with K tiles would run it: the k range in tiles of `tile`, each
/// tile visiting the outputs in reverse order (column-major when not
/// shared), and the shared threshold carried between tiles.
std::vector<float> stepwise(const AccumulationSpec &spec, ArrayRef<float> a,
                            ArrayRef<float> b, int64_t m, int64_t n, int64_t k,
                            int64_t tile) {
  const AccumulationUnit unit(spec);
  std::vector<AccumulatorState> states(m * n);
  for (AccumulatorState &s : states)
    s = unit.start();
  double sharedT = unit.initialSharedThreshold();
  for (int64_t k0 = 0; k0 < k; k0 += tile) {
    int64_t k1 = std::min(k, k0 + tile);
    if (unit.usesSharedThreshold()) {
      // Lockstep over k; within a step any order of outputs.
      for (int64_t kk = k0; kk < k1; ++kk) {
        bool closed = false;
        for (int64_t o = m * n - 1; o >= 0; --o)
          closed |= unit.add(states[o],
                             unit.product(a[o / n * k + kk], b[kk * n + o % n]),
                             sharedT);
        if (closed)
          sharedT = unit.sharedThreshold(states);
      }
    } else {
      // Outputs are independent: each runs through the whole tile.
      for (int64_t j = n - 1; j >= 0; --j)
        for (int64_t i = m - 1; i >= 0; --i)
          for (int64_t kk = k0; kk < k1; ++kk)
            unit.add(states[i * n + j],
                     unit.product(a[i * k + kk], b[kk * n + j]),
                     /*sharedT=*/std::numeric_limits<double>::quiet_NaN());
    }
  }
  std::vector<float> c(m * n);
  for (int64_t o = 0; o < m * n; ++o)
    c[o] = unit.finish(states[o]);
  return c;
}

TEST(AccumulationUnit, StepwiseEqualsGemmAndDotForEveryGrouping) {
  std::mt19937_64 rng(2024);
  struct Shape {
    int64_t m, n, k, tile;
  } shapes[] = {{1, 1, 0, 1},   {2, 3, 0, 4},   {1, 1, 1, 1},   {1, 1, 37, 5},
                {3, 4, 64, 64}, {4, 2, 100, 7}, {2, 5, 33, 32}, {0, 3, 5, 2}};
  unsigned nanOutputs = 0, outputs = 0;
  for (const auto &[name, sp] : everyGrouping())
    for (const Shape &sh : shapes)
      for (double specialRate : {0.0, 0.02, 0.2}) {
        std::vector<float> a = operands(sh.m * sh.k, rng, specialRate);
        std::vector<float> b = operands(sh.k * sh.n, rng, specialRate);
        std::vector<float> c(sh.m * sh.n);
        ASSERT_FALSE(errorToBool(gemm(a, b, c, sh.m, sh.n, sh.k, sp)));
        std::vector<float> got = stepwise(sp, a, b, sh.m, sh.n, sh.k, sh.tile);
        for (int64_t o = 0; o < sh.m * sh.n; ++o) {
          ASSERT_EQ(bit_cast<uint32_t>(got[o]), bit_cast<uint32_t>(c[o]))
              << name << " " << sh.m << "x" << sh.n << "x" << sh.k
              << " specials " << specialRate << " output " << o << ": "
              << got[o] << " vs " << c[o];
          ++outputs;
          nanOutputs += std::isnan(c[o]);
          if (sp.sharedThreshold)
            continue;
          // Per-output thresholds: every output is also a dot product.
          std::vector<float> col(sh.k);
          for (int64_t kk = 0; kk < sh.k; ++kk)
            col[kk] = b[kk * sh.n + o % sh.n];
          float d = cantFail(
              dot(ArrayRef<float>(a).slice(o / sh.n * sh.k, sh.k), col, sp));
          ASSERT_EQ(bit_cast<uint32_t>(d), bit_cast<uint32_t>(c[o]))
              << name << " dot of output " << o;
        }
      }
  // The specials reach the outputs, and not every output is NaN.
  EXPECT_GT(nanOutputs, outputs / 20);
  EXPECT_LT(nanOutputs, outputs / 2);
}

TEST(AccumulationUnit, AddReportsClosesAndStartFinishGiveZero) {
  // No grouping never closes; static groups close every groupSize products.
  AccumulationSpec none = spec("fp12_dga", Grouping::None);
  AccumulationUnit u(none);
  AccumulatorState s = u.start();
  for (int i = 0; i < 40; ++i)
    EXPECT_FALSE(u.add(s, u.product(1.0f, 0.5f), 0));
  EXPECT_EQ(u.finish(s), 20.0f);
  AccumulationSpec st = spec("fp12_dga", Grouping::Static);
  st.groupSize = 3;
  AccumulationUnit us(st);
  s = us.start();
  for (int i = 1; i <= 10; ++i)
    EXPECT_EQ(us.add(s, us.product(1.0f, 1.0f), 0), i % 3 == 0) << i;
  EXPECT_EQ(s.outer, 9.0f);
  EXPECT_EQ(s.group, 1.0f);
  EXPECT_EQ(s.count, 1u);
  EXPECT_EQ(us.finish(s), 10.0f);
  // An empty contraction is +0 for every grouping.
  for (const auto &[name, sp] : everyGrouping()) {
    AccumulationUnit unit(sp);
    float z = unit.finish(unit.start());
    EXPECT_EQ(bit_cast<uint32_t>(z), 0u) << name;
  }
  // E-DGA's first close with a shared threshold: T0 = 0.5 closes the group
  // once |P_G| reaches it; the shared threshold is then the mean |P_O| of
  // all states times 2^-c.
  AccumulationSpec e = spec("fp12_dga", Grouping::EfficientDGA);
  e.sharedThreshold = true;
  e.shiftC = 2;
  e.initialThreshold = 0.5;
  AccumulationUnit ue(e);
  ASSERT_TRUE(ue.usesSharedThreshold());
  EXPECT_EQ(ue.initialSharedThreshold(), 0.5);
  std::vector<AccumulatorState> states(2, ue.start());
  EXPECT_FALSE(ue.add(states[0], 0.75, 0.5)); // P_G = 0 < 0.5: enters
  EXPECT_TRUE(ue.add(states[0], 1.0, 0.5));   // 0.75 >= 0.5: closes
  EXPECT_EQ(states[0].outer, 0.75f);
  EXPECT_EQ(ue.sharedThreshold(states), std::ldexp(0.75 / 2, -2));
  EXPECT_FALSE(AccumulationUnit(spec("fp12_dga", Grouping::EfficientDGA))
                   .usesSharedThreshold());
}

} // namespace
