//===- FastSumRuleTest.cpp - The fast path's exactness rule, measured -----===//
//
// The fast path of emulated accumulation (FastAccumulation.cpp) trusts an
// f32 sum s = RN32(a + b) of an accumulator value a and an addend b when
// Fast2Sum's error a + RN32(b - s) is zero. docs/CPULowering.md derives that
// this is sound when b has at most 22 - m significant bits (m: the
// accumulator's mantissa bits), and that one bit more is not. This test
// measures both on sums aimed at the rule's boundary (binade edges, odd
// last bits, exponent gaps around 24 - P), against the numerics library.
//
//===----------------------------------------------------------------------===//

#include "qtrain/Numerics/Accumulation.h"
#include "qtrain/Numerics/Presets.h"

#include "llvm/ADT/bit.h"

#include "gtest/gtest.h"

#include <cmath>
#include <random>

namespace nx = qtrain::numerics;

namespace {

/// A random m-bit mantissa, half the time a binade's bottom (0) or top
/// (all ones): the edge cases.
uint64_t drawMantissa(std::mt19937_64 &rng, int m) {
  uint64_t mant = rng() % (uint64_t(1) << m);
  switch (rng() % 4) {
  case 0:
    return 0;
  case 1:
    return (uint64_t(1) << m) - 1;
  default:
    return mant;
  }
}

struct Count {
  long samples = 0;
  long trustedInexact = 0; ///< zero error, but s was not exact
  long violations = 0;     ///< zero error, and RN_F(s) is not the library's
};

/// Random sums a + b with a a value of f (exponents [-10, 10)) and b of `bits`
/// significant bits, the fast path's test applied to each.
Count measure(const nx::MinifloatFormat &f, int bits, uint64_t seed) {
  std::mt19937_64 rng(seed);
  const int m = static_cast<int>(f.mantissaBits);
  Count c;
  for (int i = 0; i < 400000; ++i) {
    int e = static_cast<int>(rng() % 20) - 10;
    uint64_t mant = drawMantissa(rng, m);
    float a = std::ldexp(1.0f + std::ldexp(float(mant), -m), e);
    int gap = static_cast<int>(rng() % 40) - 8;
    uint64_t sig = (rng() & ((uint64_t(1) << (bits - 1)) - 1)) |
                   (uint64_t(1) << (bits - 1));
    if (rng() % 4 == 0)
      sig = (uint64_t(1) << bits) - 1;
    float b = std::ldexp(float(sig), e - gap - (bits - 1));
    if (rng() & 1)
      a = -a;
    if (rng() & 1)
      b = -b;
    float s = a + b;
    float error = a + (b - s);
    ++c.samples;
    if (llvm::bit_cast<uint32_t>(error) != 0)
      continue;
    if (double(s) != double(a) + double(b))
      ++c.trustedInexact;
    float fast = nx::quantize(f, s, nx::Rounding());
    float want = nx::addRounded(f, a, b, nx::RoundingMode::NearestEven);
    if (llvm::bit_cast<uint32_t>(fast) != llvm::bit_cast<uint32_t>(want))
      ++c.violations;
  }
  return c;
}

const char *const kFormats[] = {"fp12_dga", "fp16_dga", "e5m2"};

TEST(FastSumRule, SoundUpTo22MinusMBits) {
  for (const char *name : kFormats) {
    nx::MinifloatFormat f = *nx::lookupMinifloat(name);
    Count c = measure(f, 22 - static_cast<int>(f.mantissaBits), 1);
    EXPECT_EQ(c.violations, 0) << name;
    // The boundary was reached: inexact sums the test let through.
    EXPECT_GT(c.trustedInexact, 0) << name;
  }
}

TEST(FastSumRule, OneBitMoreIsNot) {
  for (const char *name : kFormats) {
    nx::MinifloatFormat f = *nx::lookupMinifloat(name);
    Count c = measure(f, 23 - static_cast<int>(f.mantissaBits), 1);
    EXPECT_GT(c.violations, 0) << name;
  }
}

// The derivation's counterexample at 23 - m bits: a odd in F, b just below
// half of a's quantum; s lands on the midpoint and ties away from a.
TEST(FastSumRule, CounterexampleAt23MinusMBits) {
  nx::MinifloatFormat f = *nx::lookupMinifloat("fp12_dga");
  const int m = static_cast<int>(f.mantissaBits);
  float a = 1.0f + std::ldexp(1.0f, -m);
  float b = std::ldexp(1.0f, -m - 1) - std::ldexp(1.0f, -24);
  float s = a + b;
  EXPECT_EQ(s, a + std::ldexp(1.0f, -m - 1)); // the midpoint
  EXPECT_EQ(llvm::bit_cast<uint32_t>(a + (b - s)), 0u);
  EXPECT_NE(nx::quantize(f, s, nx::Rounding()),
            nx::addRounded(f, a, b, nx::RoundingMode::NearestEven));
}

/// Random sums of two values of f (the close P_O + P_G of E-DGA), exponent
/// gaps around 24 - m, rounded from their f32 sum with no test: the number
/// of results that differ from the library's.
long wrongValueSums(const nx::MinifloatFormat &f, uint64_t seed) {
  std::mt19937_64 rng(seed);
  const int m = static_cast<int>(f.mantissaBits);
  auto value = [&](int e) {
    uint64_t mant = drawMantissa(rng, m);
    float v = std::ldexp(1.0f + std::ldexp(float(mant), -m), e);
    return rng() & 1 ? -v : v;
  };
  long wrong = 0;
  for (int i = 0; i < 400000; ++i) {
    int e = static_cast<int>(rng() % 10) - 5;
    float a = value(e);
    float b = value(e - static_cast<int>(rng() % 32));
    float fast = nx::quantize(f, a + b, nx::Rounding());
    float want = nx::addRounded(f, a, b, nx::RoundingMode::NearestEven);
    wrong += llvm::bit_cast<uint32_t>(fast) != llvm::bit_cast<uint32_t>(want);
  }
  return wrong;
}

// docs/CPULowering.md, "A sum of two values of F needs no test": sound for
// m <= 10 (FP12, FP16's 1-6-9, a 1-5-10 format), and the derivation's
// counterexample shows m = 11 is not.
TEST(FastSumRule, ValueSumsNeedNoTestUpTo10Bits) {
  for (const char *name : {"fp12_dga", "fp16_dga", "f16"})
    EXPECT_EQ(wrongValueSums(*nx::lookupMinifloat(name), 2), 0) << name;
  nx::MinifloatFormat m11 = nx::MinifloatFormat::standard(6, 11);
  float a = 1.0f + std::ldexp(1.0f, -11);
  float b = std::ldexp(1.0f, -12) - std::ldexp(1.0f, -24); // 12 bits
  EXPECT_EQ(nx::quantize(m11, b, nx::Rounding()), b);      // a value of it
  EXPECT_NE(nx::quantize(m11, a + b, nx::Rounding()),
            nx::addRounded(m11, a, b, nx::RoundingMode::NearestEven));
  EXPECT_GT(wrongValueSums(m11, 2), 0);
}

} // namespace
