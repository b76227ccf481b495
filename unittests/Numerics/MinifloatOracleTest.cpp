//===- MinifloatOracleTest.cpp - Minifloats APFloat lacks -----------------===//
//
// Custom bias, subnormals off, each overflow policy and each special-value
// encoding, checked against an independent oracle that lists the format's
// values from its parameters and rounds by comparing distances, plus the
// properties every quantizer must have.
//
//===----------------------------------------------------------------------===//

#include "Sweep.h"

#include "qtrain/Numerics/Presets.h"

#include "gtest/gtest.h"

#include <algorithm>

using namespace llvm;
using namespace qtrain::numerics;
using namespace qtrain::numerics::test;

namespace {

/// The oracle: the format's non-negative values computed from its parameters
/// with double arithmetic, and the IEEE rounding rules written as distance
/// comparisons.
class Oracle {
public:
  explicit Oracle(const MinifloatFormat &f) : f(f) {
    int m = f.mantissaBits;
    unsigned expFields = 1u << f.exponentBits;
    for (unsigned e = 0; e < expFields; ++e)
      for (unsigned man = 0; man < (1u << m); ++man) {
        uint32_t mag = (e << m) | man;
        if (mag > f.maxFiniteMagnitude())
          break;
        if (e == 0 && man != 0 && !f.subnormals)
          continue;
        double sig = e == 0 ? man : (1u << m) + man;
        int exp = (e == 0 ? 1 : int(e)) - f.bias - m;
        values.push_back(std::ldexp(sig, exp));
        oddSignificand.push_back((e == 0 ? man : (1u << m) + man) & 1);
      }
    double max = values.back();
    int topExp = (int(f.maxFiniteMagnitude() >> m)) - f.bias - m;
    overflowPoint = max + std::ldexp(1.0, topExp);
  }

  enum Kind { Finite, Infinity, NaN };
  struct Result {
    Kind kind;
    double value; // signed, for Finite and Infinity
  };

  Result round(float x, qtrain::numerics::RoundingMode mode) const {
    bool neg = std::signbit(x);
    double sign = neg ? -1.0 : 1.0;
    if (std::isnan(x))
      return f.hasNaN() ? Result{NaN, 0} : Result{Finite, 0.0};
    if (std::isinf(x)) {
      if (f.overflow == OverflowPolicy::Saturate)
        return {Finite, sign * values.back()};
      return f.hasInfinity() ? Result{Infinity, sign * INFINITY}
                             : Result{NaN, 0};
    }
    double a = std::fabs(static_cast<double>(x));
    if (!f.subnormals && a < values[1])
      return zero(neg);
    // Neighbours lo <= a <= hi on the grid extended by the overflow point.
    auto it = std::upper_bound(values.begin(), values.end(), a);
    size_t loIdx = (it - values.begin()) - 1;
    double lo = values[loIdx];
    double hi = loIdx + 1 < values.size() ? values[loIdx + 1] : overflowPoint;
    if (a > overflowPoint)
      lo = hi = overflowPoint; // Beyond: any rounding overflows.
    bool pickHi;
    if (a == lo) {
      pickHi = false;
    } else {
      double dl = a - lo, dh = hi - a;
      switch (mode) {
      case qtrain::numerics::RoundingMode::NearestEven:
        pickHi = dh < dl || (dh == dl && oddSignificand[loIdx]);
        break;
      case qtrain::numerics::RoundingMode::NearestAway:
        pickHi = dh <= dl;
        break;
      case qtrain::numerics::RoundingMode::TowardZero:
        pickHi = false;
        break;
      case qtrain::numerics::RoundingMode::Up:
        pickHi = !neg;
        break;
      case qtrain::numerics::RoundingMode::Down:
        pickHi = neg;
        break;
      default:
        llvm_unreachable("deterministic modes only");
      }
    }
    double r = pickHi ? hi : lo;
    if (r >= overflowPoint) {
      bool towardZero = mode == qtrain::numerics::RoundingMode::TowardZero ||
                        (mode == qtrain::numerics::RoundingMode::Up && neg) ||
                        (mode == qtrain::numerics::RoundingMode::Down && !neg);
      if (f.overflow == OverflowPolicy::Saturate || towardZero)
        return {Finite, sign * values.back()};
      if (f.overflow == OverflowPolicy::Inf)
        return {Infinity, sign * INFINITY};
      return {NaN, 0};
    }
    if (r == 0)
      return zero(neg);
    return {Finite, sign * r};
  }

  std::vector<double> values;

private:
  Result zero(bool neg) const {
    return {Finite, neg && f.hasNegativeZero() ? -0.0 : 0.0};
  }

  MinifloatFormat f;
  std::vector<bool> oddSignificand;
  double overflowPoint;
};

using CustomCase = NamedMinifloat;
using SV = SpecialValues;
using OP = OverflowPolicy;

class MinifloatOracle : public ::testing::TestWithParam<CustomCase> {};

bool sameResult(const Oracle::Result &want, float got) {
  switch (want.kind) {
  case Oracle::NaN:
    return std::isnan(got);
  case Oracle::Infinity:
  case Oracle::Finite:
    return static_cast<double>(got) == want.value &&
           std::signbit(got) == std::signbit(want.value);
  }
  return false;
}

TEST_P(MinifloatOracle, MatchesOracle) {
  const MinifloatFormat &f = GetParam().format;
  ASSERT_FALSE(errorToBool(f.verify())) << GetParam().name;
  Oracle oracle(f);
  std::vector<float> inputs = denseSweep(f);
  std::vector<float> more = randomInputs(f, 200000, 42);
  inputs.insert(inputs.end(), more.begin(), more.end());
  size_t failures = 0;
  for (qtrain::numerics::RoundingMode mode : kDeterministicModes) {
    Rounding r = Rounding::deterministic(mode);
    for (float x : inputs) {
      float got = quantize(f, x, r);
      Oracle::Result want = oracle.round(x, mode);
      if (!sameResult(want, got) && failures++ < 5)
        ADD_FAILURE() << GetParam().name << " quantize(" << x << " = "
                      << hexBits(x) << ", " << stringifyRoundingMode(mode).str()
                      << ") = " << got << ", oracle " << want.value << " (kind "
                      << want.kind << ")";
    }
  }
  EXPECT_EQ(failures, 0u);
}

TEST_P(MinifloatOracle, MonotoneAndIdempotent) {
  const MinifloatFormat &f = GetParam().format;
  std::vector<float> inputs = randomInputs(f, 100000, 7);
  llvm::erase_if(inputs, [](float x) { return std::isnan(x); });
  std::sort(inputs.begin(), inputs.end());
  for (qtrain::numerics::RoundingMode mode : kDeterministicModes) {
    Rounding r = Rounding::deterministic(mode);
    float prev = -INFINITY;
    for (float x : inputs) {
      float q = quantize(f, x, r);
      ASSERT_FALSE(std::isnan(q) && f.overflow != OverflowPolicy::NaN) << x;
      if (std::isnan(q))
        continue;
      ASSERT_GE(q, prev) << "not monotone at " << x;
      prev = q;
      ASSERT_EQ(bit_cast<uint32_t>(quantize(f, q, r)), bit_cast<uint32_t>(q))
          << "not idempotent at " << x;
    }
  }
}

TEST_P(MinifloatOracle, EveryCodeRoundTrips) {
  const MinifloatFormat &f = GetParam().format;
  for (uint32_t code = 0; code < (1u << f.bitWidth()); ++code) {
    uint32_t mag = code & f.magnitudeMask();
    if (f.isNaNCode(code) ||
        (mag > f.maxFiniteMagnitude() && !f.isInfCode(code)))
      continue;
    bool subnormal = (mag >> f.mantissaBits) == 0 && mag != 0;
    if (subnormal && !f.subnormals)
      continue; // Never produced; decodes to zero.
    if (f.specials == SV::FNUZ && code == f.signBit())
      continue;
    for (qtrain::numerics::RoundingMode mode : kDeterministicModes) {
      uint32_t back = encode(f, decode(f, code), Rounding::deterministic(mode));
      if (f.isInfCode(code) && f.overflow == OverflowPolicy::Saturate)
        EXPECT_EQ(back, (code & f.signBit()) | f.maxFiniteMagnitude());
      else
        ASSERT_EQ(back, code) << GetParam().name << " code " << code;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Custom, MinifloatOracle,
                         ::testing::ValuesIn(customMinifloatFormats()),
                         [](const auto &info) {
                           std::string s = info.param.name;
                           std::replace(s.begin(), s.end(), '-', 'm');
                           return s;
                         });

TEST(MinifloatVerify, RejectsImpossibleParameters) {
  auto message = [](MinifloatFormat f) { return toString(f.verify()); };
  EXPECT_EQ(message({9, 2, 15, SV::IEEE, true, OP::Inf}),
            "exponent bits must be in [1, 8], got 9");
  EXPECT_EQ(message({0, 2, 15, SV::IEEE, true, OP::Inf}),
            "exponent bits must be in [1, 8], got 0");
  EXPECT_EQ(message({5, 30, 15, SV::IEEE, true, OP::Inf}),
            "mantissa bits must be in [0, 23], got 30");
  EXPECT_EQ(message({5, 0, 15, SV::IEEE, true, OP::Inf}),
            "IEEE special values need at least one mantissa bit for NaN");
  EXPECT_EQ(message({1, 2, 0, SV::IEEE, true, OP::Inf}),
            "format with 1 exponent bit(s) and ieee special values has no "
            "normal numbers");
  EXPECT_EQ(message({4, 3, 7, SV::FN, true, OP::Inf}),
            "overflow to infinity needs IEEE special values (this format has "
            "no infinity)");
  EXPECT_EQ(message({4, 3, 7, SV::None, true, OP::NaN}),
            "overflow to NaN needs a format with a NaN code");
  EXPECT_EQ(message({8, 2, 100, SV::None, true, OP::Saturate}),
            "bias 100 puts the largest exponent at 2^155, beyond f32's 2^127");
  EXPECT_EQ(message({8, 2, 50, SV::None, true, OP::Saturate}),
            "bias 50 puts the largest exponent at 2^205, beyond f32's 2^127");
  EXPECT_EQ(message({8, 2, 200, SV::IEEE, true, OP::Inf}),
            "bias 200 puts the smallest step at 2^-201, below f32's 2^-149");
  EXPECT_EQ(message({8, 23, 127, SV::IEEE, true, OP::Inf}), "");
}

TEST(MinifloatSpecials, FiniteOnlyFormatsMapNaNToZeroAndInfToMax) {
  MinifloatFormat f = *lookupMinifloat("e2m1fn");
  Rounding r;
  EXPECT_EQ(encode(f, NAN, r), 0u);
  EXPECT_EQ(encode(f, INFINITY, r), 0x7u);
  EXPECT_EQ(encode(f, -INFINITY, r), 0xFu);
  EXPECT_EQ(quantize(f, 1e30f, r), 6.0f);
}

TEST(MinifloatSpecials, SaturateMapsInfinityToMax) {
  MinifloatFormat f = *lookupMinifloat("e4m3fn");
  f.overflow = OP::Saturate;
  Rounding r;
  EXPECT_EQ(quantize(f, INFINITY, r), 448.0f);
  EXPECT_EQ(quantize(f, -1e9f, r), -448.0f);
  EXPECT_TRUE(std::isnan(quantize(f, NAN, r)));
}

TEST(MinifloatSpecials, FnuzHasNoNegativeZero) {
  MinifloatFormat f = *lookupMinifloat("e4m3fnuz");
  Rounding r;
  EXPECT_EQ(encode(f, -0.0f, r), 0u);
  EXPECT_EQ(encode(f, -1e-20f, r), 0u);
  EXPECT_EQ(encode(f, NAN, r), 0x80u);
  EXPECT_EQ(encode(f, -NAN, r), 0x80u);
}

TEST(MinifloatExact, RoundsTheExactSumNotTheF64Sum) {
  // fp12_dga has 6 mantissa bits: grid step 2^-6 in [1, 2). 1 + 2^-7 is a
  // tie; with a tiny positive remainder it must round up, with a negative
  // one down, though hi alone is the tie.
  MinifloatFormat f = *lookupMinifloat("fp12_dga");
  Rounding r;
  double hi = 1.0 + std::ldexp(1.0, -7);
  EXPECT_EQ(decode(f, encodeExact(f, hi, 0.0, r)), 1.0f); // tie to even
  EXPECT_EQ(decode(f, encodeExact(f, hi, 1e-30, r)), 1.0f + 0x1p-6f);
  EXPECT_EQ(decode(f, encodeExact(f, hi, -1e-30, r)), 1.0f);
  // Toward zero: 2 - tiny must truncate below 2.
  Rounding rtz =
      Rounding::deterministic(qtrain::numerics::RoundingMode::TowardZero);
  EXPECT_EQ(decode(f, encodeExact(f, 2.0, -1e-30, rtz)), 2.0f - 0x1p-6f);
  EXPECT_EQ(decode(f, encodeExact(f, 2.0, 1e-30, rtz)), 2.0f);
}

TEST(MinifloatSpecials,
     FnuzWithoutSubnormalsDecodesNegativeSubnormalCodesToPlusZero) {
  MinifloatFormat f = *lookupMinifloat("e4m3fnuz");
  f.subnormals = false;
  ASSERT_FALSE(errorToBool(f.verify()));
  for (uint32_t code = 0x81; code <= 0x87; ++code) {
    float v = decode(f, code);
    EXPECT_EQ(v, 0.0f) << code;
    EXPECT_FALSE(std::signbit(v)) << code;
  }
  EXPECT_TRUE(std::isnan(decode(f, 0x80)));
  // Formats with a negative zero keep it.
  MinifloatFormat fn = *lookupMinifloat("e4m3fn");
  fn.subnormals = false;
  EXPECT_TRUE(std::signbit(decode(fn, 0x81)));
}

} // namespace
