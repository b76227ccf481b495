//===- ScaleFormatTest.cpp - Power-of-two scales, E8M0 against APFloat ----===//
//
// E8M0 agrees with APFloat's Float8E8M0FNU except where APFloat is not
// meaningful (documented in docs/Numerics.md): APFloat decodes 0xFF to
// infinity, qtrain to NaN; negative inputs give qtrain's NaN code 0xFF.
//
//===----------------------------------------------------------------------===//

#include "Sweep.h"

#include "qtrain/Numerics/ScaleFormat.h"

#include "llvm/ADT/APFloat.h"

#include "gtest/gtest.h"

using namespace llvm;
using namespace qtrain::numerics;
using namespace qtrain::numerics::test;

namespace {

TEST(ScaleFormat, E8M0DecodeMatchesAPFloat) {
  ScaleFormat f = ScaleFormat::e8m0();
  for (uint32_t code = 0; code < 255; ++code) {
    APFloat ap(APFloat::Float8E8M0FNU(), APInt(8, code));
    bool lost;
    ap.convert(APFloat::IEEEsingle(), llvm::RoundingMode::NearestTiesToEven,
               &lost);
    EXPECT_EQ(bit_cast<uint32_t>(decodeScale(f, code)),
              bit_cast<uint32_t>(ap.convertToFloat()))
        << code;
  }
  EXPECT_TRUE(std::isnan(decodeScale(f, 255)));
}

TEST(ScaleFormat, E8M0EncodeMatchesAPFloat) {
  ScaleFormat f = ScaleFormat::e8m0();
  std::vector<float> in;
  for (int e = -150; e <= 128; ++e)
    for (float m : {1.0f, 1.25f, 1.5f, 1.75f, 1.9999999f})
      addNeighbours(in, std::ldexp(m, e), 2);
  in.push_back(0.0f);
  in.push_back(INFINITY);
  in.push_back(std::numeric_limits<float>::max());
  size_t compared = 0;
  for (qtrain::numerics::RoundingMode mode : kDeterministicModes) {
    for (float x : in) {
      if (x < 0 || (x == 0 && std::signbit(x)))
        continue;
      APFloat ap(x);
      bool lost;
      ap.convert(APFloat::Float8E8M0FNU(), toAPFloat(mode), &lost);
      uint32_t want = ap.bitcastToAPInt().getZExtValue();
      ASSERT_EQ(encodeScale(f, x, mode), want)
          << x << " " << stringifyRoundingMode(mode).str();
      ++compared;
    }
  }
  EXPECT_GT(compared, 10000u);
}

TEST(ScaleFormat, NegativeAndNaNGiveNaNCode) {
  ScaleFormat f = ScaleFormat::e8m0();
  EXPECT_EQ(encodeScale(f, -1.0f, qtrain::numerics::RoundingMode::NearestEven),
            0xFFu);
  EXPECT_EQ(encodeScale(f, NAN, qtrain::numerics::RoundingMode::NearestEven),
            0xFFu);
  EXPECT_EQ(encodeScale(f, -0.0f, qtrain::numerics::RoundingMode::NearestEven),
            0u);
}

TEST(ScaleFormat, NarrowPowerOfTwoClampsWithoutNaN) {
  ScaleFormat f = ScaleFormat::powerOfTwo(3, 7, false); // 2^-7 .. 2^0
  EXPECT_EQ(f.maxExponent(), 0);
  EXPECT_EQ(encodeScale(f, 1e-9f, qtrain::numerics::RoundingMode::NearestEven),
            0u);
  EXPECT_EQ(encodeScale(f, 100.0f, qtrain::numerics::RoundingMode::NearestEven),
            7u);
  EXPECT_EQ(decodeScale(f, 3), 1.0f / 16);
  EXPECT_EQ(scaleCodeForExponent(f, -20), 0u);
}

TEST(ScaleFormat, VerifyRejectsBadParameters) {
  EXPECT_EQ(toString(ScaleFormat::powerOfTwo(9, 127, true).verify()),
            "scale exponent bits must be in [1, 8], got 9");
  EXPECT_EQ(toString(ScaleFormat::powerOfTwo(8, 0, false).verify()),
            "scale bias 0 puts the largest scale at 2^255, beyond f32's 2^127");
  EXPECT_EQ(toString(ScaleFormat::powerOfTwo(8, 200, false).verify()),
            "scale bias 200 puts the smallest scale at 2^-200, below f32's "
            "2^-149");
  EXPECT_EQ(toString(ScaleFormat::powerOfTwo(1, 0, true).verify()),
            "a 1-bit scale has no room for a NaN code");
}

} // namespace
