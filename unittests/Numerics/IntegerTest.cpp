//===- IntegerTest.cpp - Integer and fixed-point formats ------------------===//

#include "Sweep.h"

#include "qtrain/Numerics/Integer.h"

#include "gtest/gtest.h"

#include <cmath>
#include <random>

using namespace llvm;
using namespace qtrain::numerics;
using namespace qtrain::numerics::test;

namespace {

/// Oracle: round x * 2^frac to an integer with double arithmetic (exact for
/// these magnitudes), then saturate or wrap with int64 arithmetic.
int64_t oracleInteger(const IntegerFormat &f, float x,
                      qtrain::numerics::RoundingMode mode) {
  if (std::isnan(x))
    return 0;
  if (std::isinf(x))
    return x > 0 ? f.maxInteger() : f.minInteger();
  double s = std::ldexp(static_cast<double>(x), f.fractionBits);
  double r;
  switch (mode) {
  case qtrain::numerics::RoundingMode::NearestEven:
    r = std::nearbyint(s); // default FE_TONEAREST
    break;
  case qtrain::numerics::RoundingMode::NearestAway:
    r = std::round(s);
    break;
  case qtrain::numerics::RoundingMode::TowardZero:
    r = std::trunc(s);
    break;
  case qtrain::numerics::RoundingMode::Up:
    r = std::ceil(s);
    break;
  case qtrain::numerics::RoundingMode::Down:
    r = std::floor(s);
    break;
  default:
    llvm_unreachable("deterministic only");
  }
  if (f.overflow == IntegerOverflow::Saturate)
    return static_cast<int64_t>(
        std::clamp<double>(r, static_cast<double>(f.minInteger()),
                           static_cast<double>(f.maxInteger())));
  // Wrap: reduce |r| modulo 2^bits exactly (r is an integer-valued double).
  double mod = std::ldexp(1.0, f.bits);
  double m = std::fmod(std::fabs(r), mod);
  if (f.encoding == IntegerEncoding::SignMagnitude) {
    double mm = std::fmod(std::fabs(r), mod / 2);
    return r < 0 ? -static_cast<int64_t>(mm) : static_cast<int64_t>(mm);
  }
  int64_t v = static_cast<int64_t>(m);
  if (r < 0)
    v = (static_cast<int64_t>(mod) - v) % static_cast<int64_t>(mod);
  if (f.encoding == IntegerEncoding::TwosComplement && v > f.maxInteger())
    v -= static_cast<int64_t>(mod);
  return v;
}

TEST(Integer, MatchesOracle) {
  std::mt19937_64 rng(3);
  const std::vector<IntegerFormat> formats = integerCorners();

  for (const IntegerFormat &f : formats) {
    ASSERT_FALSE(errorToBool(f.verify()));
    std::vector<float> in;
    double step = std::ldexp(1.0, -f.fractionBits);
    // Grid points, midpoints and quarter points over twice the range: all
    // of them up to 12 bits, a random 2^16 of them beyond.
    auto addAround = [&](int64_t i) {
      for (double q : {0.0, 0.25, 0.5, 0.75})
        in.push_back(static_cast<float>((i + q) * step));
    };
    int64_t lo = 2 * f.minInteger() - 4, hi = 2 * f.maxInteger() + 4;
    if (f.bits <= 12)
      for (int64_t i = lo; i <= hi; ++i)
        addAround(i);
    else
      for (int i = 0; i < (1 << 16); ++i)
        addAround(lo + static_cast<int64_t>(rng() % uint64_t(hi - lo + 1)));
    addAround(f.minInteger());
    addAround(f.maxInteger());
    for (int i = 0; i < 20000; ++i)
      in.push_back(bit_cast<float>(static_cast<uint32_t>(rng())));
    in.push_back(INFINITY);
    in.push_back(-INFINITY);
    in.push_back(NAN);
    for (qtrain::numerics::RoundingMode mode : kDeterministicModes) {
      Rounding r = Rounding::deterministic(mode);
      for (float x : in) {
        int64_t want = oracleInteger(f, x, mode);
        int64_t got = codeToInteger(f, encode(f, x, r));
        ASSERT_EQ(got, want)
            << "bits " << f.bits << " frac " << f.fractionBits << " "
            << stringifyIntegerEncoding(f.encoding).str() << " "
            << stringifyIntegerOverflow(f.overflow).str() << " x=" << x << " "
            << stringifyRoundingMode(mode).str();
        ASSERT_EQ(
            decode(f, encode(f, x, r)),
            static_cast<float>(std::ldexp(double(want), -f.fractionBits)));
      }
    }
  }
}

TEST(Integer, CodesOfEachEncoding) {
  Rounding r;
  IntegerFormat twos{8, IntegerEncoding::TwosComplement, 0,
                     IntegerOverflow::Saturate};
  EXPECT_EQ(encode(twos, -1.0f, r), 0xFFu);
  EXPECT_EQ(encode(twos, -200.0f, r), 0x80u);
  IntegerFormat sm{8, IntegerEncoding::SignMagnitude, 0,
                   IntegerOverflow::Saturate};
  EXPECT_EQ(encode(sm, -1.0f, r), 0x81u);
  EXPECT_EQ(encode(sm, -200.0f, r), 0xFFu);
  EXPECT_EQ(encode(sm, -0.0f, r), 0u);
  IntegerFormat u{8, IntegerEncoding::Unsigned, 0, IntegerOverflow::Wrap};
  EXPECT_EQ(encode(u, -1.0f, r), 0xFFu);
  EXPECT_EQ(encode(u, 1e30f, r), 0u); // a multiple of 2^8
  EXPECT_EQ(encode(u, NAN, r), 0u);
  EXPECT_EQ(encode(u, INFINITY, r), 0xFFu);
}

TEST(Integer, VerifyRejectsBadParameters) {
  EXPECT_EQ(toString(IntegerFormat{1}.verify()),
            "integer bits must be in [2, 32], got 1");
  EXPECT_EQ(toString(IntegerFormat{33}.verify()),
            "integer bits must be in [2, 32], got 33");
  EXPECT_EQ(
      toString(IntegerFormat{8, IntegerEncoding::TwosComplement, 65}.verify()),
      "fraction bits must be in [-64, 64], got 65");
}

TEST(Integer, MaxExponentIsTheAlignmentPoint) {
  EXPECT_EQ(
      (IntegerFormat{8, IntegerEncoding::TwosComplement, 6}).maxExponent(), 0);
  EXPECT_EQ((IntegerFormat{5, IntegerEncoding::SignMagnitude, 3}).maxExponent(),
            0);
  EXPECT_EQ((IntegerFormat{4, IntegerEncoding::Unsigned, 0}).maxExponent(), 3);
}

} // namespace
