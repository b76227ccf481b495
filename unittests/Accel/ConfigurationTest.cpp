//===- ConfigurationTest.cpp - numerics objects as configuration words ----===//

#include "qtrain/Accel/Configuration.h"
#include "qtrain/Numerics/Presets.h"

#include "gtest/gtest.h"

using namespace qtrain;
using namespace qtrain::accel;

namespace {

/// The one instruction of an assembly line.
Instruction assemble(llvm::StringRef line) {
  llvm::Expected<std::vector<Instruction>> insts = parseAssembly(line);
  EXPECT_TRUE(static_cast<bool>(insts)) << llvm::toString(insts.takeError());
  return insts->front();
}

void expectSame(const Instruction &got, llvm::StringRef want) {
  EXPECT_EQ(printInstruction(got), printInstruction(assemble(want)));
}

// The example program of docs/Accelerator.md configures MXFP8 E4M3 with
// blocks of 32 along x and f32 accumulation by hand; the mapping gives the
// same words.
TEST(Configuration, MatchesTheDocumentedExample) {
  const numerics::ScaledPreset *mx = numerics::lookupScaled("mxfp8_e4m3");
  ASSERT_NE(mx, nullptr);
  FormatPlacement placement;
  placement.blockX = 32;
  auto format = configureFormat(0, mx->format, placement);
  ASSERT_TRUE(static_cast<bool>(format)) << llvm::toString(format.takeError());
  expectSame((*format)[0],
             "cfg.element entry=0 layout=plain mf_exponent_bits=4 "
             "mf_mantissa_bits=3 mf_bias=7 mf_specials=fn mf_subnormals "
             "mf_overflow=saturate");
  expectSame((*format)[1], "cfg.tensor_level entry=0");
  expectSame((*format)[2],
             "cfg.block_level entry=0 present scale_kind=pow2 scale_bits=8 "
             "scale_bias=127 scale_nan block_z=1 block_y=1 block_x=32");

  auto accum = configureAccumulation(0, numerics::AccumulationSpec());
  ASSERT_TRUE(static_cast<bool>(accum)) << llvm::toString(accum.takeError());
  expectSame((*accum)[0],
             "cfg.accum entry=0 acc_exponent_bits=8 acc_mantissa_bits=23 "
             "acc_bias=127 acc_subnormals acc_overflow=inf");
  expectSame((*accum)[1], "cfg.accum_grouping entry=0");

  auto rounding = configureRounding(0, numerics::Rounding::nearestEven(), 0);
  ASSERT_TRUE(static_cast<bool>(rounding))
      << llvm::toString(rounding.takeError());
  expectSame(*rounding, "cfg.rounding entry=0");
}

TEST(Configuration, GroupingFieldsOnlyWhereRead) {
  numerics::AccumulationSpec spec;
  spec.accumulator = *numerics::lookupMinifloat("fp12_dga");
  spec.grouping = numerics::Grouping::EfficientDGA;
  spec.shiftC = -3;
  spec.sharedThreshold = true;
  spec.initialThreshold = 0.5;
  auto words = configureAccumulation(2, spec);
  ASSERT_TRUE(static_cast<bool>(words)) << llvm::toString(words.takeError());
  expectSame((*words)[1], "cfg.accum_grouping entry=2 shift_c=-3 shared "
                          "t0=f64:0.5");
  EXPECT_EQ((*words)[0].get("grouping"), Grouping::EfficientDGA);
  EXPECT_EQ((*words)[0].get("acc_mantissa_bits"), 6u);

  spec.grouping = numerics::Grouping::Static;
  spec.groupSize = 70000; // beyond the 16-bit field
  auto tooLarge = configureAccumulation(0, spec);
  ASSERT_FALSE(static_cast<bool>(tooLarge));
  EXPECT_EQ(llvm::toString(tooLarge.takeError()),
            "cannot configure accumulation entry 0: field 'group_size' is "
            "70000, legal 0..65535 in 'cfg.accum_grouping'");
}

TEST(Configuration, UnmappedFormatsAreErrors) {
  numerics::ScaledFormat twoBlockLevels =
      numerics::lookupScaled("mxfp8_e4m3")->format;
  twoBlockLevels.levels.push_back(twoBlockLevels.levels.front());
  auto err = configureFormat(0, twoBlockLevels, FormatPlacement());
  ASSERT_FALSE(static_cast<bool>(err));
  EXPECT_NE(llvm::toString(err.takeError()).find("at most one"),
            std::string::npos);

  numerics::ScaledFormat given = numerics::lookupScaled("mxfp8_e4m3")->format;
  given.levels.front().rule = numerics::ScaleRule::Given;
  auto givenErr = configureFormat(0, given, FormatPlacement());
  ASSERT_FALSE(static_cast<bool>(givenErr));
  EXPECT_NE(llvm::toString(givenErr.takeError()).find("'given'"),
            std::string::npos);
}

} // namespace
