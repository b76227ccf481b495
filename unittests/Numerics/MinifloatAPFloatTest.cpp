//===- MinifloatAPFloatTest.cpp - Minifloats against llvm::APFloat --------===//
//
// Every preset that APFloat also implements must agree with it bit for bit:
// every code decoded, and encode of a dense sweep plus a million random f32 in
// each of the five IEEE rounding modes.
//
// Documented differences (docs/Numerics.md, "Differences from APFloat"):
// - NaN payloads: qtrain produces one canonical NaN per sign; only NaN-ness
//   and sign are compared.
// - Formats without NaN and infinity (e3m2fn, e2m3fn, e2m1fn): APFloat's
//   conversion of NaN and infinity is not meaningful; qtrain maps NaN to +0
//   and +-infinity to +-max (tested in MinifloatOracleTest).
//
//===----------------------------------------------------------------------===//

#include "Sweep.h"

#include "qtrain/Numerics/Presets.h"

#include "llvm/ADT/APFloat.h"

#include "gtest/gtest.h"

using namespace llvm;
using namespace qtrain::numerics;
using namespace qtrain::numerics::test;

namespace {

struct APFloatCase {
  const char *preset;
  const fltSemantics &(*semantics)();
};

const APFloatCase kCases[] = {
    {"f16", APFloat::IEEEhalf},
    {"bf16", APFloat::BFloat},
    {"tf32", APFloat::FloatTF32},
    {"e5m2", APFloat::Float8E5M2},
    {"e4m3", APFloat::Float8E4M3},
    {"e4m3fn", APFloat::Float8E4M3FN},
    {"e4m3fnuz", APFloat::Float8E4M3FNUZ},
    {"e5m2fnuz", APFloat::Float8E5M2FNUZ},
    {"e4m3b11fnuz", APFloat::Float8E4M3B11FNUZ},
    {"e3m4", APFloat::Float8E3M4},
    {"e3m2fn", APFloat::Float6E3M2FN},
    {"e2m3fn", APFloat::Float6E2M3FN},
    {"e2m1fn", APFloat::Float4E2M1FN},
};

class MinifloatAPFloat : public ::testing::TestWithParam<APFloatCase> {
protected:
  MinifloatFormat format() const { return *lookupMinifloat(GetParam().preset); }
  const fltSemantics &sem() const { return GetParam().semantics(); }

  /// Compares encode(x) with APFloat in every mode; returns the number of
  /// inputs compared. Stops at the first few mismatches with a replayable
  /// message.
  size_t compareEncode(const std::vector<float> &inputs) {
    MinifloatFormat f = format();
    bool finiteOnly = !f.hasNaN();
    size_t compared = 0, failures = 0;
    for (qtrain::numerics::RoundingMode mode : kDeterministicModes) {
      Rounding r = Rounding::deterministic(mode);
      for (float x : inputs) {
        if (finiteOnly && !std::isfinite(x))
          continue;
        APFloat ap(x);
        bool lost;
        ap.convert(sem(), toAPFloat(mode), &lost);
        uint32_t want = ap.bitcastToAPInt().getZExtValue();
        uint32_t got = encode(f, x, r);
        ++compared;
        bool ok = ap.isNaN() ? f.isNaNCode(got) &&
                                   (f.specials == SpecialValues::FNUZ ||
                                    ap.isNegative() == bool(got & f.signBit()))
                             : got == want;
        if (!ok && failures++ < 5)
          ADD_FAILURE() << GetParam().preset << " encode(" << hexBits(x)
                        << " = " << x << ", "
                        << stringifyRoundingMode(mode).str() << "): got "
                        << hex(got) << ", APFloat " << hex(want);
      }
    }
    EXPECT_EQ(failures, 0u);
    return compared;
  }
};

TEST_P(MinifloatAPFloat, PresetMatchesSemantics) {
  MinifloatFormat f = format();
  ASSERT_FALSE(errorToBool(f.verify()));
  EXPECT_EQ(f.bitWidth(), APFloat::getSizeInBits(sem()));
  bool lost;
  APFloat largest = APFloat::getLargest(sem());
  largest.convert(APFloat::IEEEsingle(), llvm::RoundingMode::NearestTiesToEven,
                  &lost);
  EXPECT_EQ(f.maxFinite(), largest.convertToFloat());
  APFloat smallest = APFloat::getSmallest(sem());
  smallest.convert(APFloat::IEEEsingle(), llvm::RoundingMode::NearestTiesToEven,
                   &lost);
  EXPECT_EQ(f.minPositive(), smallest.convertToFloat());
}

TEST_P(MinifloatAPFloat, DecodeEveryCode) {
  MinifloatFormat f = format();
  unsigned bits = f.bitWidth();
  uint64_t count = uint64_t(1) << std::min(bits, 16u);
  uint64_t stride = (uint64_t(1) << bits) / count; // tf32: every 8th code
  for (uint64_t i = 0; i < count; ++i) {
    uint32_t code = static_cast<uint32_t>(i * stride + (i % stride));
    APFloat ap(sem(), APInt(bits, code));
    bool lost;
    ap.convert(APFloat::IEEEsingle(), llvm::RoundingMode::NearestTiesToEven,
               &lost);
    float want = ap.convertToFloat();
    float got = decode(f, code);
    if (std::isnan(want)) {
      ASSERT_TRUE(std::isnan(got)) << "code " << code;
      ASSERT_TRUE(f.isNaNCode(code)) << "code " << code;
    } else {
      ASSERT_EQ(bit_cast<uint32_t>(got), bit_cast<uint32_t>(want))
          << GetParam().preset << " code " << code << ": got " << got
          << ", APFloat " << want;
      ASSERT_FALSE(f.isNaNCode(code));
    }
  }
}

TEST_P(MinifloatAPFloat, EncodeDenseSweep) {
  size_t n = compareEncode(denseSweep(format()));
  EXPECT_GT(n, 1000u);
}

TEST_P(MinifloatAPFloat, EncodeMillionRandom) {
  MinifloatFormat f = format();
  size_t n = compareEncode(randomInputs(f, 1000000, 0x5eed + f.bitWidth()));
  EXPECT_GE(n, 1000000u);
}

INSTANTIATE_TEST_SUITE_P(Presets, MinifloatAPFloat, ::testing::ValuesIn(kCases),
                         [](const auto &info) {
                           return std::string(info.param.preset);
                         });

} // namespace
