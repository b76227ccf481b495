//===- SimTransferTest.cpp - LOAD and STORE against the numerics library --===//
//
// Bit-exactness of the converter: a LOAD from f32 gives the values of
// numerics::quantizeScaled, a STORE to codes gives encodeScaled's codes and
// scales, a LOAD of codes gives decodeScaled's values, for MX, FlexBlock-
// style integers, MLS (two levels), per-tensor scaling, f32 block scales,
// blocks across rows, 4-bit packing and every random source of stochastic
// rounding, whole and in tiles (stream indices in the stream register).
// Inputs include NaN, infinities, zeros and subnormals. Then statistics and
// the register transfers.
//
//===----------------------------------------------------------------------===//

#include "SimTestUtils.h"

#include "qtrain/Accel/Layout.h"
#include "qtrain/Numerics/Presets.h"
#include "qtrain/Numerics/ScaledFormat.h"
#include "qtrain/Numerics/Statistics.h"

#include "llvm/ADT/Twine.h"

using namespace llvm;
using namespace qtrain::numerics;
using namespace qtrain::accel::sim;
using namespace qtrain::accel::sim::test;
using qtrain::accel::FormatPlacement;

namespace {

constexpr uint64_t kX = 0x1000;       // the f32 input
constexpr uint64_t kOut = 0x40000;    // outputs
constexpr uint64_t kOut2 = 0x60000;   // more outputs
constexpr uint64_t kScales = 0x80000; // scale arrays
constexpr uint64_t kTensorScale = 0xC0000;
constexpr uint64_t kData = 0xD0000; // a data source's companion tensor
constexpr unsigned kScaleEntry = 4000;

/// A 2-D tensor [rows, cols] in a scaled format: the reference format
/// (blocks {by, bx} of the tensor) and the format entry (blocks (1, by, bx)
/// of the transfer, y = rows, x = cols).
struct Case {
  std::string name;
  ScaledFormat format{MinifloatFormat(), {}};
  Rounding rounding;
  int64_t rows = 4, cols = 64;
  int64_t by = 1, bx = 32;
  std::vector<float> randomData;
};

ScaleLevel blockLevel(ScaleFormat f, ScaleRule rule, int64_t by, int64_t bx) {
  ScaleLevel l;
  l.blockShape = {by, bx};
  l.format = f;
  l.rule = rule;
  return l;
}

ScaleLevel tensorLevel() {
  ScaleLevel l;
  l.format = ScaleFormat::f32();
  l.rule = ScaleRule::AmaxToMax;
  return l;
}

std::vector<Case> cases() {
  std::vector<Case> cs;
  auto mx = [&](StringRef name, StringRef preset) {
    Case c;
    c.name = name.str();
    c.format = lookupScaled(preset)->format;
    c.format.levels[0].blockShape = {1, 32};
    cs.push_back(c);
  };
  mx("mxfp8_e4m3", "mxfp8_e4m3");
  mx("mxfp8_e5m2", "mxfp8_e5m2");
  mx("mxfp4_e2m1", "mxfp4_e2m1");
  mx("mxint8", "mxint8");
  {
    Case c; // FlexBlock FB12's element, truncated, blocks of 16
    c.name = "fb12";
    const ScaledPreset *p = lookupScaled("fb12");
    c.format = ScaledFormat{
        p->format.element,
        {blockLevel(ScaleFormat::e8m0(), ScaleRule::SharedExponent, 1, 16)}};
    c.rounding = p->rounding;
    c.bx = 16;
    cs.push_back(c);
  }
  {
    Case c; // MLS: an f32 tensor scale, then 3-bit group scales of 16
    c.name = "mls_e2m4";
    c.format = ScaledFormat{
        *lookupMinifloat("mls_e2m4"),
        {tensorLevel(), blockLevel(ScaleFormat::powerOfTwo(3, 7, false),
                                   ScaleRule::AmaxToMax, 1, 16)}};
    c.bx = 16;
    cs.push_back(c);
  }
  {
    Case c;
    c.name = "fp8_e5m2_tensor";
    c.format = lookupScaled("fp8_e5m2_tensor")->format;
    cs.push_back(c);
  }
  {
    Case c; // blocks of 4 rows, f32 block scales
    c.name = "f32_blocks_across_rows";
    c.format = ScaledFormat{
        *lookupMinifloat("e4m3fn"),
        {blockLevel(ScaleFormat::f32(), ScaleRule::AmaxToMax, 4, 1)}};
    c.rows = 8;
    c.cols = 16;
    c.by = 4;
    c.bx = 1;
    cs.push_back(c);
  }
  {
    Case c; // no levels at all: f16
    c.name = "f16";
    c.format = ScaledFormat{MinifloatFormat::standard(5, 10), {}};
    c.rounding = Rounding::deterministic(RoundingMode::NearestAway);
    cs.push_back(c);
  }
  // Stochastic rounding from every source.
  {
    Case c;
    c.name = "mxfp8_sr_counter";
    c.format = cs[0].format;
    RandomSource s;
    s.seed = 0x1234567890ull;
    c.rounding = Rounding::stochastic(8, s);
    cs.push_back(c);
  }
  {
    Case c;
    c.name = "e5m2_sr_lfsr";
    c.format = ScaledFormat{*lookupMinifloat("e5m2"), {}};
    RandomSource s;
    s.kind = RandomSourceKind::Lfsr;
    s.lfsrWidth = 16;
    s.lfsrLanes = 8;
    s.seed = 99;
    c.rounding = Rounding::stochastic(3, s, StochasticVariant::AddTruncate);
    cs.push_back(c);
  }
  {
    Case c;
    c.name = "mls_sr_plateau_esru";
    c.format = cs[5].format;
    RandomSource s;
    s.kind = RandomSourceKind::LfsrPlateau;
    s.lfsrWidth = 8;
    s.lfsrLanes = 16;
    s.seed = 7;
    c.rounding = Rounding::stochastic(3, s);
    c.rounding.discardedBits = 8;
    c.bx = 16;
    cs.push_back(c);
  }
  {
    Case c;
    c.name = "mxfp4_sr_data";
    c.format = cs[2].format;
    RandomSource s;
    s.kind = RandomSourceKind::Data;
    s.dataBitOffset = 5;
    c.rounding = Rounding::stochastic(4, s);
    c.randomData = randomValues(37, 5, /*specials=*/false);
    cs.push_back(c);
  }
  return cs;
}

bool hasTensorLevel(const Case &c) {
  return !c.format.levels.empty() && c.format.levels[0].blockShape.empty();
}

/// The configuration and set-up lines of a case: rounding entry 0 (seed in
/// SEED[1]), format entry 0 (plain or paired), td 0 over the tensor, td 1
/// for one element, the tensor scale (if any) in ACC entry kScaleEntry.
/// Stores the inputs and the tensor scale in DRAM.
std::string prologue(Simulator &sim, const Case &c, ArrayRef<float> x,
                     bool paired = false) {
  std::string text;
  raw_string_ostream os(text);
  bool stochastic = c.rounding.isStochastic();
  bool data = stochastic && c.rounding.source.kind == RandomSourceKind::Data;
  os << roundingWords(0, c.rounding, stochastic && !data ? 1 : 0);
  if (data) {
    writeFloats(sim, kData, c.randomData);
    os << "cfg.rounding_data entry=0 data_addr=" << kData
       << " data_count=" << c.randomData.size() << "\n";
  }
  FormatPlacement p;
  p.layout =
      paired ? qtrain::accel::SpLayout::Paired : qtrain::accel::SpLayout::Plain;
  p.blockY = c.by;
  p.blockX = c.bx;
  p.scaleEntry = kScaleEntry;
  os << formatWords(0, c.format, p);
  os << "cfg.td_dram td=0 dram_stride_y=" << c.cols << " dram_stride_x=1\n"
     << "cfg.td_chip td=0 chip_stride_y=" << c.cols << " chip_stride_x=1\n"
     << "cfg.td_dram td=1 dram_stride_x=1\ncfg.td_chip td=1 chip_stride_x=1\n";
  if (stochastic && !data)
    os << "reg.load regfile=seed reg=1 imm=" << c.rounding.source.seed << "\n";
  writeFloats(sim, kX, x);
  if (hasTensorLevel(c)) {
    // What select_scale would compute: the level's rule on the tensor.
    float t = blockScale(c.format.levels[0], c.format.element, x);
    writeFloats(sim, kTensorScale, {t});
    os << "load dst=acc td=1 layout=raw32 dram_addr=" << kTensorScale
       << " chip_row=" << kScaleEntry << " size_z=1 size_y=1 size_x=1\n";
  }
  return text;
}

/// The stream register for rows [row0, ...) of the tensor.
std::string streamFor(const Case &c, int64_t row0) {
  return "cfg.stream index_base=" + std::to_string(row0 * c.cols) +
         " index_stride_y=" + std::to_string(c.cols) + " index_stride_x=1\n";
}

std::vector<float> reference(const Case &c, ArrayRef<float> x) {
  std::vector<float> want(x.size());
  cantFail(quantizeScaled(c.format, {c.rows, c.cols}, x, want, c.rounding, {},
                          0, c.randomData));
  return want;
}

// LOAD f32 -> ACC is qtrain.quantize: quantizeScaled's values, whole and
// in tiles of whole blocks.
TEST(AccelSimTransfer, LoadIsQuantizeScaled) {
  for (const Case &c : cases())
    for (bool nonFinite : {true, false}) {
      std::vector<float> x = randomValues(c.rows * c.cols, 11, true, nonFinite);
      std::vector<float> want = reference(c, x);
      for (int64_t tiles : {1, 2}) {
        std::unique_ptr<Simulator> sim = makeSim();
        std::string text = prologue(*sim, c, x);
        int64_t rowsPerTile = c.rows / tiles;
        for (int64_t t = 0; t < tiles; ++t) {
          int64_t row0 = t * rowsPerTile;
          text += streamFor(c, row0);
          text += "load dst=acc format=0 td=0 layout=f32 dram_addr=" +
                  std::to_string(kX + 4 * row0 * c.cols) +
                  " chip_row=" + std::to_string(row0 * c.cols) +
                  " size_z=1 size_y=" + std::to_string(rowsPerTile) +
                  " size_x=" + std::to_string(c.cols) + "\n";
        }
        ASSERT_EQ(runProgram(*sim, text), "") << c.name << "\n" << text;
        expectSameBits(accFloats(*sim, 0, x.size()), want,
                       c.name + " in " + std::to_string(tiles) + " tile(s)");
      }
    }
}

/// The prologue, a LOAD raw32 of x into ACC entries [0, n) that hands the
/// ACC to the compute queue, and a view of the tensor (view 0).
std::string accProgram(Simulator &sim, const Case &c, ArrayRef<float> x) {
  return prologue(sim, c, x) + streamFor(c, 0) +
         "load push_next dst=acc td=0 layout=raw32 dram_addr=" +
         std::to_string(kX) +
         " chip_row=0 size_z=1 size_y=" + std::to_string(c.rows) +
         " size_x=" + std::to_string(c.cols) +
         "\ncfg.view view=0 size_z=1 size_y=" + std::to_string(c.rows) +
         " stride_y=" + std::to_string(c.cols) +
         " size_x=" + std::to_string(c.cols) + " stride_x=1\n";
}

// VECTOR quantize of the tensor in the ACC is the same quantization, blocks
// and stream indices on view positions, into other entries or in place.
TEST(AccelSimTransfer, VectorQuantizeIsQuantizeScaled) {
  for (const Case &c : cases())
    for (bool inPlace : {false, true}) {
      std::vector<float> x = randomValues(c.rows * c.cols, 13, true, true);
      std::vector<float> want = reference(c, x);
      std::unique_ptr<Simulator> sim = makeSim();
      uint64_t dst = inPlace ? 0 : x.size();
      std::string text =
          accProgram(*sim, c, x) +
          "vector pop_prev op=quantize format=0 dst_view=0 dst_entry=" +
          std::to_string(dst) + " src1_view=0 src1_entry=0\n";
      ASSERT_EQ(runProgram(*sim, text), "") << c.name << "\n" << text;
      expectSameBits(accFloats(*sim, dst, x.size()), want,
                     c.name + (inPlace ? " in place" : ""));
    }
}

// VECTOR stats gathers what a LOAD gathers; quantize gathers as it
// converts; their errors.
TEST(AccelSimTransfer, VectorStatistics) {
  Case c = cases()[0];
  std::vector<float> x = randomValues(c.rows * c.cols, 16);
  std::unique_ptr<Simulator> sim = makeSim();
  std::string text =
      accProgram(*sim, c, x) +
      "vector pop_prev op=stats format=0 aux=9 stats_reg=1 stats_reset "
      "src1_view=0 src1_entry=0\n"
      "vector op=quantize format=0 aux=1 stats_reg=2 dst_view=0 dst_entry=" +
      std::to_string(x.size()) + " src1_view=0 src1_entry=0\n";
  ASSERT_EQ(runProgram(*sim, text), "") << text;
  AmaxStatistic a;
  a.add(x);
  std::vector<float> q = reference(c, x);
  ZeroSettingCounts counts;
  for (size_t i = 0; i < x.size(); ++i)
    counts.add(x[i], q[i]);
  for (unsigned reg : {1u, 2u}) {
    const StatsRegister &r = sim->getState().stats[reg];
    EXPECT_EQ(r.amax.maxFinite, a.maxFinite) << reg;
    EXPECT_EQ(r.amax.anyNaN, a.anyNaN) << reg;
    EXPECT_EQ(r.amax.anyInf, a.anyInf) << reg;
  }
  const StatsRegister &z = sim->getState().stats[1];
  EXPECT_EQ(z.zeroSetting.elements, counts.elements);
  EXPECT_EQ(z.zeroSetting.candidates, counts.candidates);
  EXPECT_EQ(z.zeroSetting.flushed, counts.flushed);
  EXPECT_GT(counts.candidates, 0u);
  EXPECT_EQ(sim->getState().stats[2].zeroSetting.elements, 0u);

  auto error = [&](StringRef body) {
    std::unique_ptr<Simulator> s = makeSim();
    return runProgram(*s, accProgram(*s, c, x) + body.str());
  };
  EXPECT_EQ(error("vector pop_prev op=stats src1_view=0 src1_entry=0"),
            "instruction 11 (vector): VECTOR stats gathers nothing: its "
            "statistics mask (aux) is 0");
  EXPECT_EQ(error("vector pop_prev op=quantize accumulate format=0 "
                  "dst_view=0 dst_entry=600 src1_view=0 src1_entry=0"),
            "instruction 11 (vector): accumulate, swap and src2_imm are not "
            "meaningful for VECTOR quantize");
  EXPECT_EQ(error("vector pop_prev op=quantize format=0 dst_view=0 "
                  "dst_entry=4000 src1_view=0 src1_entry=0"),
            "instruction 11 (vector): dst view position (0, 1, 32) is ACC "
            "entry 4096, outside the ACC's 4096 entries");
  EXPECT_EQ(error("vector pop_prev op=quantize format=0 dst_view=0 "
                  "dst_entry=600 src1_view=0 src1_entry=300"),
            "instruction 11 (vector): reads ACC entry 300, which is empty");
  EXPECT_EQ(error("vector pop_prev op=stats aux=1 src1_view=0 "
                  "src1_entry=4000"),
            "instruction 11 (vector): src1 view position (0, 1, 32) is ACC "
            "entry 4096, outside the ACC's 4096 entries");
  EXPECT_EQ(error("cfg.view view=1 size_z=1 size_y=4 size_x=64\n"
                  "vector pop_prev op=quantize format=0 dst_view=1 "
                  "dst_entry=600 src1_view=0 src1_entry=0"),
            "instruction 12 (vector): dst writes ACC entry 600 twice");
  EXPECT_EQ(error("cfg.view view=1 size_z=1 size_y=2 size_x=64 stride_y=64 "
                  "stride_x=1\nvector pop_prev op=quantize format=0 "
                  "dst_view=1 dst_entry=600 src1_view=0 src1_entry=0"),
            "instruction 12 (vector): views of different sizes: dst is "
            "1x2x64, src1 1x4x64");
  // zero_setting needs a deterministic rounding (the first stochastic case).
  Case sr = *llvm::find_if(
      cases(), [](const Case &k) { return k.rounding.isStochastic(); });
  std::unique_ptr<Simulator> s = makeSim();
  std::vector<float> xs = randomValues(sr.rows * sr.cols, 16);
  std::string message = runProgram(
      *s, accProgram(*s, sr, xs) + "vector pop_prev op=stats format=0 aux=8 "
                                   "src1_view=0 src1_entry=0\n");
  EXPECT_TRUE(StringRef(message).contains(
      "(vector): zero_setting statistics need a deterministic element "
      "rounding"))
      << message;
}

/// Runs the prologue, a LOAD raw32 of x into ACC entries [0, n) and
/// `stores` (with `push`-free tokens: the loads hand the ACC to the store
/// queue through a vector nop).
std::string storeProgram(Simulator &sim, const Case &c, ArrayRef<float> x,
                         StringRef stores) {
  std::string text = prologue(sim, c, x);
  text += "load push_next dst=acc td=0 layout=raw32 dram_addr=" +
          std::to_string(kX) +
          " chip_row=0 size_z=1 size_y=" + std::to_string(c.rows) +
          " size_x=" + std::to_string(c.cols) + "\n";
  text += "vector pop_prev push_next op=nop\n";
  text += stores.str();
  return runProgram(sim, text);
}

// STORE to f32 is the same quantization; STORE to codes writes encodeScaled's
// codes (4-bit codes two per byte, the even element low) and its block
// scales to the scale array; STORE to paired writes code | scale << cw.
TEST(AccelSimTransfer, StoreIsEncodeScaled) {
  for (const Case &c : cases())
    for (bool nonFinite : {true, false}) {
      std::vector<float> x = randomValues(c.rows * c.cols, 12, true, nonFinite);
      std::vector<float> want = reference(c, x);
      ScaledTensor encoded = cantFail(encodeScaled(
          c.format, {c.rows, c.cols}, x, c.rounding, {}, 0, c.randomData));
      bool hasBlocks = !c.format.levels.empty() &&
                       !c.format.levels.back().blockShape.empty();
      int64_t gridX = (c.cols + c.bx - 1) / c.bx;
      std::string size = " size_z=1 size_y=" + std::to_string(c.rows) +
                         " size_x=" + std::to_string(c.cols) + "\n";
      std::unique_ptr<Simulator> sim = makeSim();
      std::string stores =
          streamFor(c, 0) + "cfg.scales scale_addr=" + std::to_string(kScales) +
          " scale_stride_y=" + std::to_string(gridX) + " scale_stride_x=1\n" +
          "store pop_prev format=0 td=0 layout=f32 dram_addr=" +
          std::to_string(kOut) + " acc_entry=0" + size +
          "store format=0 td=0 layout=codes dram_addr=" +
          std::to_string(kOut2) + " acc_entry=0" + size;
      ASSERT_EQ(storeProgram(*sim, c, x, stores), "") << c.name;
      expectSameBits(readFloats(*sim, kOut, x.size()), want, c.name + " f32");

      unsigned cw = qtrain::accel::codeWidth(c.format.element);
      std::vector<uint8_t> bytes = readBytes(*sim, kOut2, x.size() * cw / 8);
      for (size_t i = 0; i < x.size(); ++i) {
        uint64_t code = 0;
        for (unsigned b = 0; b < cw; ++b) {
          uint64_t bit = i * cw + b;
          code |= uint64_t((bytes[bit / 8] >> (bit % 8)) & 1) << b;
        }
        if (code != encoded.codes[i]) {
          ADD_FAILURE() << c.name << ": code " << i << " is " << code
                        << ", want " << encoded.codes[i];
          break;
        }
      }
      if (hasBlocks) {
        const LevelScales &s = encoded.scales.back();
        bool pow2 = c.format.levels.back().format.kind == ScaleKind::PowerOfTwo;
        std::vector<uint8_t> sb =
            readBytes(*sim, kScales, s.codes.size() * (pow2 ? 1 : 4));
        for (size_t b = 0; b < s.codes.size(); ++b) {
          uint32_t got = pow2 ? sb[b]
                              : uint32_t(sb[4 * b]) |
                                    uint32_t(sb[4 * b + 1]) << 8 |
                                    uint32_t(sb[4 * b + 2]) << 16 |
                                    uint32_t(sb[4 * b + 3]) << 24;
          ASSERT_EQ(got, s.codes[b]) << c.name << ": scale " << b;
        }
      }
    }
}

// A LOAD of codes (from a scale array) or of pairs is qtrain.decode: the
// values decodeScaled gives, which are quantizeScaled's.
TEST(AccelSimTransfer, LoadOfCodesIsDecodeScaled) {
  for (const Case &c : cases())
    for (bool nonFinite : {true, false}) {
      bool hasBlocks = !c.format.levels.empty() &&
                       !c.format.levels.back().blockShape.empty();
      std::vector<float> x = randomValues(c.rows * c.cols, 13, true, nonFinite);
      std::vector<float> want = reference(c, x);
      int64_t gridX = (c.cols + c.bx - 1) / c.bx;
      std::string size = " size_z=1 size_y=" + std::to_string(c.rows) +
                         " size_x=" + std::to_string(c.cols) + "\n";
      std::string scales = "cfg.scales scale_addr=" + std::to_string(kScales) +
                           " scale_stride_y=" + std::to_string(gridX) +
                           " scale_stride_x=1\n";
      for (bool paired : {false, true}) {
        if (paired && !hasBlocks)
          continue;
        // Encode on one machine...
        std::unique_ptr<Simulator> sim = makeSim();
        std::string text = prologue(*sim, c, x, paired);
        text += streamFor(c, 0) + scales;
        text += "load push_next dst=acc td=0 layout=raw32 dram_addr=" +
                std::to_string(kX) + " chip_row=0" + size +
                "vector pop_prev push_next op=nop\n" +
                "store pop_prev format=0 td=0 layout=" +
                (paired ? "paired" : "codes") +
                " dram_addr=" + std::to_string(kOut) + " acc_entry=0" + size;
        ASSERT_EQ(runProgram(*sim, text), "") << c.name;
        // ... decode on another, whose DRAM is the first's.
        std::unique_ptr<Simulator> sim2 = makeSim();
        std::vector<uint8_t> image = readBytes(*sim, 0, 1 << 20);
        cantFail(sim2->writeDram(0, image));
        std::string text2 = prologue(*sim2, c, x, paired);
        text2 += scales + "load dst=acc format=0 td=0 layout=" +
                 (paired ? "paired" : "codes") +
                 " dram_addr=" + std::to_string(kOut) + " chip_row=0" + size;
        ASSERT_EQ(runProgram(*sim2, text2), "") << c.name;
        expectSameBits(accFloats(*sim2, 0, x.size()), want,
                       c.name + (paired ? " paired" : " codes"));
      }
    }
}

// LOAD f32 into a scratchpad: a plain row holds the codes in its lanes, one
// E8M0 code per group of 8 lanes in the sidecar, T and the format tag; a
// paired lane holds code | scale << 8. Slots are data, pads pad, and the
// lanes of a touched group that the LOAD did not write become invalid.
TEST(AccelSimTransfer, ScratchpadRows) {
  Case c = cases()[0]; // MXFP8 E4M3, blocks of 32 along x
  c.rows = 2;
  std::vector<float> x = randomValues(c.rows * c.cols, 14, false);
  ScaledTensor encoded =
      cantFail(encodeScaled(c.format, {c.rows, c.cols}, x, c.rounding));
  std::unique_ptr<Simulator> sim = makeSim();
  std::string text = prologue(*sim, c, x);
  // Row r of x into SP_IN row r; then 8 lanes of padding in row 5
  // (pad_x_hi covers a whole group) next to 24 elements.
  text += "load dst=sp_input format=0 td=0 layout=f32 dram_addr=" +
          std::to_string(kX) + " chip_row=0 size_z=1 size_y=2 size_x=64\n";
  text += "cfg.td_dram td=2 dram_stride_x=1\n"
          "cfg.td_chip td=2 chip_stride_x=1 pad_x_lo=8\n"
          "load dst=sp_input format=0 td=2 layout=f32 dram_addr=" +
          std::to_string(kX) + " chip_row=5 size_z=1 size_y=1 size_x=40\n";
  ASSERT_EQ(runProgram(*sim, text), "");
  const Scratchpad &sp = sim->getState().inputSp;
  for (int64_t r = 0; r < 2; ++r) {
    for (int64_t lane = 0; lane < 64; ++lane) {
      EXPECT_EQ(sp.readLane(r, lane, 8), encoded.codes[r * 64 + lane]);
      EXPECT_EQ(sp.laneState(r, lane, 8), SlotState::Data);
    }
    for (int g = 0; g < 8; ++g)
      EXPECT_EQ(sp.sidecar(r)[g], encoded.scales[0].codes[r * 2 + g / 4])
          << "row " << r << " group " << g;
    EXPECT_EQ(sp.tensorScale(r), 1.0f);
    EXPECT_EQ(sp.formatTag(r), formatTag(0, 3));
  }
  // Row 5: lanes 0..7 pads (E4M3 +0, the group's scale 2^0 = 127), lanes
  // 8..39 the first 32 elements of x; lanes 40..63 untouched groups stay
  // invalid.
  for (int64_t lane = 0; lane < 8; ++lane) {
    EXPECT_EQ(sp.laneState(5, lane, 8), SlotState::Pad);
    EXPECT_EQ(sp.readLane(5, lane, 8), 0u);
  }
  EXPECT_EQ(sp.sidecar(5)[0], 127);
  for (int64_t lane = 8; lane < 40; ++lane)
    EXPECT_EQ(sp.laneState(5, lane, 8), SlotState::Data);
  for (int64_t lane = 40; lane < 64; ++lane)
    EXPECT_EQ(sp.laneState(5, lane, 8), SlotState::Invalid);

  // A group that another LOAD rewrites loses its other lanes: rewrite lanes
  // 8..11 of row 0 (group 1) from a 4-element transfer.
  std::unique_ptr<Simulator> sim2 = makeSim();
  std::string text2 = prologue(*sim2, c, x) +
                      "load dst=sp_input format=0 td=0 layout=f32 dram_addr=" +
                      std::to_string(kX) +
                      " chip_row=0 size_z=1 size_y=1 size_x=64\n"
                      "load dst=sp_input format=0 td=0 layout=f32 dram_addr=" +
                      std::to_string(kX) +
                      " chip_row=0 chip_lane=8 size_z=1 size_y=1 size_x=4\n";
  ASSERT_EQ(runProgram(*sim2, text2), "");
  const Scratchpad &sp2 = sim2->getState().inputSp;
  EXPECT_EQ(sp2.laneState(0, 7, 8), SlotState::Data);
  for (int64_t lane = 8; lane < 12; ++lane)
    EXPECT_EQ(sp2.laneState(0, lane, 8), SlotState::Data);
  for (int64_t lane = 12; lane < 16; ++lane)
    EXPECT_EQ(sp2.laneState(0, lane, 8), SlotState::Invalid);
  EXPECT_EQ(sp2.laneState(0, 16, 8), SlotState::Data);

  // Paired: 16-bit lanes, code | E8M0 << 8.
  std::unique_ptr<Simulator> sim3 = makeSim();
  std::string text3 = prologue(*sim3, c, x, /*paired=*/true) +
                      "load dst=sp_weight format=0 td=0 layout=f32 dram_addr=" +
                      std::to_string(kX) +
                      " chip_row=0 size_z=1 size_y=2 size_x=64\n";
  ASSERT_EQ(runProgram(*sim3, text3), "");
  const Scratchpad &sp3 = sim3->getState().weightSp;
  for (int64_t i = 0; i < 128; ++i)
    EXPECT_EQ(sp3.readLane(i / 32, i % 32, 16),
              encoded.codes[i] | encoded.scales[0].codes[i / 32] << 8)
        << i;
}

TEST(AccelSimTransfer, Statistics) {
  Case c = cases()[0];
  c.rows = 4;
  std::vector<float> x = randomValues(c.rows * c.cols, 15);
  std::unique_ptr<Simulator> sim = makeSim();
  std::string text = prologue(*sim, c, x);
  std::string size = " size_z=1 size_y=4 size_x=64\n";
  // amax + both histograms of x, gathered in two halves; zero setting of
  // the quantization in a load to nowhere.
  text += "load dst=none format=0 td=0 layout=f32 stats_reg=2 stats_mask=7 "
          "dram_addr=" +
          std::to_string(kX) + " size_z=1 size_y=2 size_x=64\n" +
          "load dst=none format=0 td=0 layout=f32 stats_reg=2 stats_mask=7 "
          "dram_addr=" +
          std::to_string(kX + 512) + " size_z=1 size_y=2 size_x=64\n" +
          "load push_next dst=none format=0 td=0 layout=f32 stats_reg=3 "
          "stats_mask=8 stats_reset dram_addr=" +
          std::to_string(kX) + size +
          "vector pop_prev push_next op=nop\n"
          "reg.store pop_prev regfile=stats reg=2 part=exponent_histogram "
          "dram_addr=" +
          std::to_string(kOut) +
          "\nreg.store regfile=stats reg=2 part=median_histogram dram_addr=" +
          std::to_string(kOut + 0x1000) + "\n";
  ASSERT_EQ(runProgram(*sim, text), "");
  const StatsRegister &r = sim->getState().stats[2];
  AmaxStatistic a;
  a.add(x);
  EXPECT_EQ(r.amax.maxFinite, a.maxFinite);
  EXPECT_EQ(r.amax.anyNaN, a.anyNaN);
  EXPECT_EQ(r.amax.anyInf, a.anyInf);
  EXPECT_TRUE(a.anyNaN && a.anyInf);
  ExponentHistogram h = exponentHistogram(x);
  std::vector<uint8_t> hb = readBytes(*sim, kOut, 280 * 8);
  auto u64 = [](ArrayRef<uint8_t> b, size_t i) {
    uint64_t v = 0;
    for (unsigned k = 0; k < 8; ++k)
      v |= uint64_t(b[8 * i + k]) << (8 * k);
    return v;
  };
  for (int e = -149; e <= 127; ++e)
    ASSERT_EQ(u64(hb, e + 149), h.at(e)) << "exponent " << e;
  EXPECT_EQ(u64(hb, 277), h.zeros);
  EXPECT_EQ(u64(hb, 278), h.infinities);
  EXPECT_EQ(u64(hb, 279), h.nans);
  std::vector<uint64_t> median(median_histogram::kBins, 0);
  addToMedianHistogram(median, x);
  std::vector<uint8_t> mb = readBytes(*sim, kOut + 0x1000, median.size() * 8);
  for (size_t i = 0; i < median.size(); ++i)
    ASSERT_EQ(u64(mb, i), median[i]) << "median bin " << i;
  // Zero setting: zeroSettingError's counts of the scaled quantization.
  const StatsRegister &z = sim->getState().stats[3];
  std::vector<float> q = reference(c, x);
  ZeroSettingCounts counts;
  for (size_t i = 0; i < x.size(); ++i)
    counts.add(x[i], q[i]);
  EXPECT_EQ(z.zeroSetting.elements, counts.elements);
  EXPECT_EQ(z.zeroSetting.candidates, counts.candidates);
  EXPECT_EQ(z.zeroSetting.flushed, counts.flushed);
  EXPECT_EQ(z.amax.maxFinite, 0.0f); // only zero setting was gathered
  EXPECT_DOUBLE_EQ(
      z.zeroSetting.ratio(ZseDenominator::NonZero),
      cantFail(zeroSettingError(c.format, {c.rows, c.cols}, x, c.rounding)));
}

TEST(AccelSimTransfer, RegisterTransfers) {
  std::unique_ptr<Simulator> sim = makeSim();
  std::vector<uint8_t> seed = {1, 2, 3, 4, 5, 6, 7, 8};
  cantFail(sim->writeDram(0x100, seed));
  std::vector<uint8_t> counts(557 * 8);
  for (size_t i = 0; i < counts.size(); i += 8)
    counts[i] = static_cast<uint8_t>(i / 8);
  cantFail(sim->writeDram(0x1000, counts));
  ASSERT_EQ(runProgram(*sim,
                       "reg.load regfile=seed reg=7 from_dram dram_addr=0x100 "
                       "imm=0xff00000000000001\n"
                       "reg.load regfile=seed reg=0 imm=5\n"
                       "reg.load push_next regfile=stats reg=1 "
                       "part=median_histogram from_dram dram_addr=0x1000\n"
                       "vector pop_prev push_next op=nop\n"
                       "reg.store pop_prev regfile=stats reg=1 "
                       "part=median_histogram dram_addr=0x3000\n"),
            "");
  const ArchState &s = sim->getState();
  EXPECT_EQ(s.seeds[7].value, 0x0807060504030201ull + 0xff00000000000001ull);
  EXPECT_TRUE(s.seeds[7].written);
  EXPECT_EQ(s.seeds[0].value, 5u);
  EXPECT_FALSE(s.seeds[1].written);
  EXPECT_EQ(s.stats[1].medianHistogram[3], 3u);
  EXPECT_EQ(readBytes(*sim, 0x3000, counts.size()), counts);
}

} // namespace
