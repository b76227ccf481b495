//===- SimConfigTest.cpp - The model reads configuration words back -------===//
//
// The compiler writes configuration with lib/Accel/Config (numerics objects
// to words); the functional model resolves the words back (Sim/Config.h).
// Both must agree on every field: each preset, rounding and accumulation
// goes through both and comes back equal. Then the errors of "any use of an
// entry or register".
//
//===----------------------------------------------------------------------===//

#include "SimTestUtils.h"

#include "qtrain/Accel/Sim/Config.h"
#include "qtrain/Numerics/Presets.h"
#include "qtrain/Numerics/RandomStream.h"

using namespace llvm;
using namespace qtrain::numerics;
using namespace qtrain::accel::sim;
using qtrain::accel::configureFormat;
using qtrain::accel::FormatPlacement;
using qtrain::accel::Instruction;
using qtrain::accel::parseAssembly;
using namespace qtrain::accel::sim::test;

namespace {

ConfigRegisters registersOf(StringRef text) {
  ConfigRegisters c;
  for (const Instruction &i : cantFail(parseAssembly(text)))
    c.write(i);
  return c;
}

TEST(AccelSimConfig, PresetsRoundTrip) {
  unsigned mapped = 0;
  for (const ScaledPreset &p : scaledPresets()) {
    FormatPlacement placement;
    placement.blockX = 16;
    placement.blockY = 2;
    placement.scaleEntry = 7;
    placement.roundingEntry = 3;
    Expected<std::array<Instruction, 3>> w =
        configureFormat(5, p.format, placement);
    if (!w) { // median_lookup and given block levels are not mapped
      consumeError(w.takeError());
      continue;
    }
    ++mapped;
    ConfigRegisters c;
    for (const Instruction &i : *w)
      c.write(i);
    Expected<FormatConfig> f = resolveFormat(c, 5);
    ASSERT_TRUE(bool(f)) << p.name.str() << ": " << toString(f.takeError());
    EXPECT_EQ(f->entry, 5u);
    EXPECT_EQ(f->version, 3u);
    EXPECT_EQ(f->roundingEntry, 3u);
    EXPECT_FALSE(f->paired);
    EXPECT_TRUE(f->element() == p.format.element) << p.name.str();
    ASSERT_EQ(f->format.levels.size(), p.format.levels.size()) << p.name.str();
    for (size_t l = 0; l < p.format.levels.size(); ++l) {
      const ScaleLevel &want = p.format.levels[l], &got = f->format.levels[l];
      EXPECT_EQ(got.format, want.format) << p.name.str();
      EXPECT_EQ(got.rule, want.rule) << p.name.str();
      EXPECT_EQ(got.margin, want.margin) << p.name.str();
      if (&got == f->tensorLevel()) {
        EXPECT_EQ(got.medianExponent, want.medianExponent) << p.name.str();
        EXPECT_EQ(got.excludeZeros, want.excludeZeros) << p.name.str();
        EXPECT_EQ(f->scaleEntry, 7u);
      } else {
        EXPECT_EQ(&got, f->blockLevel());
        EXPECT_EQ(got.blockShape, (SmallVector<int64_t, 4>{1, 2, 16}));
      }
    }
  }
  EXPECT_GE(mapped, 12u);
}

TEST(AccelSimConfig, RoundingsRoundTrip) {
  std::vector<Rounding> roundings = {
      Rounding::nearestEven(),
      Rounding::deterministic(RoundingMode::TowardZero),
      Rounding::deterministic(RoundingMode::Down)};
  RandomSource counter;
  roundings.push_back(Rounding::stochastic(8, counter));
  RandomSource lfsr;
  lfsr.kind = RandomSourceKind::Lfsr;
  lfsr.lfsrWidth = 16;
  lfsr.lfsrLanes = 8;
  roundings.push_back(
      Rounding::stochastic(3, lfsr, StochasticVariant::AddTruncate));
  lfsr.kind = RandomSourceKind::LfsrPlateau;
  lfsr.lfsrTaps = defaultLfsrTaps(16);
  Rounding esru = Rounding::stochastic(3, lfsr);
  esru.discardedBits = 8;
  roundings.push_back(esru);
  RandomSource data;
  data.kind = RandomSourceKind::Data;
  data.dataBitOffset = 3;
  roundings.push_back(Rounding::stochastic(4, data));
  for (const Rounding &r : roundings) {
    std::string text = roundingWords(
        2, r,
        r.isStochastic() && r.source.kind != RandomSourceKind::Data ? 6 : 0);
    if (r.isStochastic() && r.source.kind == RandomSourceKind::Data)
      text += "cfg.rounding_data entry=2 data_addr=0x100 data_count=10\n";
    ConfigRegisters c = registersOf(text);
    Expected<RoundingConfig> got = resolveRounding(c, 2);
    ASSERT_TRUE(bool(got)) << text << toString(got.takeError());
    EXPECT_TRUE(got->rounding == r) << text;
    if (r.isStochastic() && r.source.kind != RandomSourceKind::Data) {
      EXPECT_EQ(got->seedReg, 6u);
    }
    if (got->isDataSource()) {
      EXPECT_EQ(got->dataAddr, 0x100u);
      EXPECT_EQ(got->dataCount, 10u);
    }
  }
}

TEST(AccelSimConfig, AccumulationsRoundTrip) {
  std::vector<AccumulationSpec> specs;
  specs.push_back(AccumulationSpec()); // f32, no grouping
  AccumulationSpec s;
  s.accumulator = MinifloatFormat::standard(5, 10);
  s.outer = MinifloatFormat();
  s.grouping = Grouping::Static;
  s.groupSize = 32;
  s.product = MinifloatFormat::standard(8, 7);
  specs.push_back(s);
  for (DgaCount count :
       {DgaCount::AfterReset, DgaCount::ClosedGroup, DgaCount::Running}) {
    AccumulationSpec d;
    d.accumulator = MinifloatFormat::standard(5, 6);
    d.grouping = Grouping::IdealDGA;
    d.dgaCount = count;
    d.initialThreshold = 0.5;
    d.rounding = RoundingMode::TowardZero;
    specs.push_back(d);
  }
  AccumulationSpec e;
  e.accumulator = MinifloatFormat::standard(5, 6);
  e.grouping = Grouping::EfficientDGA;
  e.shiftC = -3;
  e.sharedThreshold = true;
  e.initialThreshold = 2.0;
  specs.push_back(e);
  AccumulationSpec fixed;
  fixed.grouping = Grouping::Static;
  fixed.groupSize = 16;
  fixed.fixedPoint = IntegerFormat{20, IntegerEncoding::TwosComplement, 8,
                                   IntegerOverflow::Wrap};
  specs.push_back(fixed);
  for (const AccumulationSpec &spec : specs) {
    std::string text = accumWords(1, spec);
    Expected<AccumulationSpec> got = resolveAccumulation(registersOf(text), 1);
    ASSERT_TRUE(bool(got)) << text << toString(got.takeError());
    // The shift c of groupings other than E-DGA is not configured.
    AccumulationSpec want = spec;
    if (want.grouping != Grouping::EfficientDGA)
      want.shiftC = got->shiftC;
    if (want.grouping != Grouping::IdealDGA)
      want.dgaCount = got->dgaCount;
    if (want.grouping != Grouping::Static)
      want.groupSize = got->groupSize;
    if (want.grouping != Grouping::IdealDGA &&
        want.grouping != Grouping::EfficientDGA)
      want.initialThreshold = got->initialThreshold;
    EXPECT_TRUE(*got == want) << text;
  }
}

std::string formatError(StringRef text, unsigned entry = 0) {
  Expected<FormatConfig> f = resolveFormat(registersOf(text), entry);
  return f ? "(no error)" : toString(f.takeError());
}

TEST(AccelSimConfig, FormatErrors) {
  const char *e4m3 =
      "cfg.element entry=0 mf_exponent_bits=4 mf_mantissa_bits=3 "
      "mf_bias=7 mf_specials=fn mf_subnormals "
      "mf_overflow=saturate\n";
  EXPECT_EQ(formatError(""),
            "uses format entry 0, whose cfg.element part was never written");
  EXPECT_EQ(formatError(std::string(e4m3) + "cfg.block_level entry=0\n"),
            "uses format entry 0, whose cfg.tensor_level part was never "
            "written");
  std::string base = std::string(e4m3) + "cfg.tensor_level entry=0\n";
  EXPECT_EQ(formatError(base + "cfg.block_level entry=0\n"), "(no error)");
  EXPECT_EQ(formatError(base + "cfg.block_level entry=0 block_x=4\n"),
            "uses format entry 0, whose cfg.block_level sets 'block_x' (4), "
            "which a level without 'present' does not read");
  EXPECT_EQ(formatError(base +
                        "cfg.block_level entry=0 present scale_kind=pow2 "
                        "scale_bits=8 scale_bias=127 block_z=1 "
                        "block_y=1\n"),
            "uses format entry 0, whose block extent 'block_x' is 0 (at least "
            "1 when present)");
  EXPECT_EQ(formatError(base + "cfg.block_level entry=0 present scale_kind=f32 "
                               "scale_bits=8 block_z=1 block_y=1 block_x=1\n"),
            "uses format entry 0, whose cfg.block_level sets 'scale_bits' (8), "
            "which an f32 scale does not read");
  EXPECT_EQ(formatError(std::string(e4m3) +
                        "cfg.element entry=0 mf_exponent_bits=4 int_bits=8\n"
                        "cfg.tensor_level entry=0\ncfg.block_level entry=0\n"),
            "uses format entry 0, whose cfg.element sets 'int_bits' (8), which "
            "a minifloat element does not read");
  EXPECT_EQ(formatError("cfg.element entry=0 kind=integer int_bits=8 "
                        "mf_bias=3\ncfg.tensor_level entry=0\n"
                        "cfg.block_level entry=0\n"),
            "uses format entry 0, whose cfg.element sets 'mf_bias' (3), which "
            "an integer element does not read");
  // The library's own message.
  EXPECT_EQ(formatError("cfg.element entry=0 mf_exponent_bits=0\n"
                        "cfg.tensor_level entry=0\ncfg.block_level entry=0\n"),
            "uses format entry 0, which does not verify: exponent bits must be "
            "in [1, 8], got 0");
  EXPECT_EQ(formatError("cfg.element entry=0 kind=integer int_bits=1\n"
                        "cfg.tensor_level entry=0\ncfg.block_level entry=0\n"),
            "uses format entry 0, which does not verify: integer bits must be "
            "in [2, 32], got 1");
  EXPECT_EQ(formatError(std::string("cfg.element entry=0 layout=paired "
                                    "mf_exponent_bits=4 mf_mantissa_bits=3 "
                                    "mf_bias=7\n") +
                        "cfg.tensor_level entry=0\ncfg.block_level entry=0\n"),
            "uses format entry 0, whose paired layout needs a block level");
}

std::string roundingError(StringRef text) {
  Expected<RoundingConfig> r = resolveRounding(registersOf(text), 1);
  return r ? "(no error)" : toString(r.takeError());
}

TEST(AccelSimConfig, RoundingErrors) {
  EXPECT_EQ(roundingError(""),
            "uses rounding entry 1, whose cfg.rounding part was never written");
  EXPECT_EQ(roundingError("cfg.rounding entry=1 random_bits=3"),
            "uses rounding entry 1, whose cfg.rounding sets 'random_bits' (3), "
            "which a deterministic mode does not read");
  EXPECT_EQ(roundingError("cfg.rounding entry=1 mode=stochastic random_bits=3 "
                          "lfsr_width=8"),
            "uses rounding entry 1, whose cfg.rounding sets 'lfsr_width' (8), "
            "which a counter source does not read");
  EXPECT_EQ(roundingError("cfg.rounding entry=1 mode=stochastic random_bits=0"),
            "uses rounding entry 1, which does not verify: stochastic rounding "
            "needs 1 to 24 random bits, got 0");
  EXPECT_EQ(roundingError("cfg.rounding entry=1 mode=stochastic random_bits=3 "
                          "source=data"),
            "uses rounding entry 1, a data source whose cfg.rounding_data part "
            "was never written");
  EXPECT_EQ(roundingError("cfg.rounding entry=1 mode=stochastic random_bits=3 "
                          "source=data\ncfg.rounding_data entry=1"),
            "uses rounding entry 1, which does not verify: the random data of "
            "a data source is empty (data_count = 0)");
  EXPECT_EQ(roundingError("cfg.rounding entry=1\n"
                          "cfg.rounding_data entry=1 data_count=3"),
            "uses rounding entry 1, whose cfg.rounding_data sets 'data_count' "
            "(3), which a rounding without a data source does not read");
}

TEST(AccelSimConfig, AccumulationErrors) {
  auto error = [](StringRef text) {
    Expected<AccumulationSpec> s = resolveAccumulation(registersOf(text), 0);
    return s ? std::string("(no error)") : toString(s.takeError());
  };
  const char *f32 =
      "cfg.accum entry=0 acc_exponent_bits=8 acc_mantissa_bits=23 "
      "acc_bias=127 acc_subnormals acc_overflow=inf";
  EXPECT_EQ(error(f32), "uses accumulation entry 0, whose cfg.accum_grouping "
                        "part was never written");
  EXPECT_EQ(error(std::string(f32) + "\ncfg.accum_grouping entry=0"),
            "(no error)");
  EXPECT_EQ(
      error(std::string(f32) + "\ncfg.accum_grouping entry=0 group_size=4"),
      "uses accumulation entry 0, whose cfg.accum_grouping sets "
      "'group_size' (4), which grouping 'none' does not read");
  EXPECT_EQ(error(std::string(f32) + " grouping=static\ncfg.accum_grouping "
                                     "entry=0"),
            "uses accumulation entry 0, which does not verify: static group "
            "size must be at least 1");
  EXPECT_EQ(error(std::string(f32) + " product_bias=3\ncfg.accum_grouping "
                                     "entry=0"),
            "uses accumulation entry 0, whose cfg.accum sets 'product_bias' "
            "(3), which an entry without 'product_present' does not read");
  EXPECT_EQ(error(std::string(f32) + " grouping=efficient_dga\n"
                                     "cfg.accum_grouping entry=0 t0=f64:-1.0"),
            "uses accumulation entry 0, which does not verify: initial "
            "threshold must be finite and >= 0");
}

TEST(AccelSimConfig, Registers) {
  ConfigRegisters c = registersOf("cfg.td_dram td=2 dram_stride_y=-5\n"
                                  "cfg.view view=3 size_z=1 size_y=2 size_x=3 "
                                  "stride_x=1\n");
  Expected<TransferConfig> td = resolveTransfer(c, 2);
  ASSERT_FALSE(bool(td));
  EXPECT_EQ(toString(td.takeError()), "uses transfer descriptor 2, whose "
                                      "cfg.td_chip part was never written");
  c.write(cantFail(parseAssembly("cfg.td_chip td=2 chip_stride_x=1 pad_x_hi=2"))
              .front());
  td = resolveTransfer(c, 2);
  ASSERT_TRUE(bool(td));
  EXPECT_EQ(td->dramStride[1], -5);
  EXPECT_EQ(td->padXHi, 2u);
  EXPECT_EQ(c.transfers[2].version, 2u);
  Expected<ViewConfig> v = resolveView(c, 3);
  ASSERT_TRUE(bool(v));
  EXPECT_EQ(v->size[2], 3u);
  Expected<ViewConfig> unwritten = resolveView(c, 0);
  ASSERT_FALSE(bool(unwritten));
  EXPECT_EQ(toString(unwritten.takeError()),
            "uses view register 0, which was never written (cfg.view)");
  Expected<StreamConfig> s = resolveStream(c);
  ASSERT_FALSE(bool(s));
  EXPECT_EQ(toString(s.takeError()),
            "uses the stream register, which was never written (cfg.stream)");
}

} // namespace
