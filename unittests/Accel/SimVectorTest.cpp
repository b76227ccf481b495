//===- SimVectorTest.cpp - The functional model's vector unit -------------===//
//
// VECTOR's semantics where they are easy to get wrong (IEEE maximum and
// minimum of signed zeros and NaNs, unordered comparisons, select, index,
// wrapping integers, the order of an accumulating reduction, in-place
// views) and every error of its row in docs/Accelerator.md "Errors". The
// differential tests (unittests/Conversion/AccelDiffTest.cpp) check the
// rest against the CPU lowering.
//
//===----------------------------------------------------------------------===//

#include "SimTestUtils.h"

#include "qtrain/Numerics/Presets.h"
#include "qtrain/Numerics/Statistics.h"

using namespace qtrain::accel;
using namespace qtrain::accel::sim;
using namespace qtrain::accel::sim::test;

namespace {

uint32_t bits(float f) { return llvm::bit_cast<uint32_t>(f); }

/// Loads `in` (32-bit words) into ACC entries 0.., runs `body` (VECTOR
/// instructions between a LOAD and a STORE that pop and push their tokens),
/// and returns ACC entries [out, out + count) through DRAM; on an error
/// `error` receives it.
std::vector<uint32_t> run(llvm::ArrayRef<uint32_t> in, llvm::StringRef body,
                          uint64_t out, uint64_t count, std::string &error) {
  auto sim = makeSim();
  std::vector<uint8_t> image(4 * in.size());
  for (size_t i = 0; i < in.size(); ++i)
    for (unsigned k = 0; k < 4; ++k)
      image[4 * i + k] = static_cast<uint8_t>(in[i] >> (8 * k));
  llvm::cantFail(sim->writeDram(0, image));
  std::string program =
      "cfg.td_dram td=0 dram_stride_x=1\n"
      "cfg.td_chip td=0 chip_stride_x=1\n"
      "load push_next dst=acc td=0 layout=raw32 dram_addr=0 chip_row=0 "
      "size_z=1 size_y=1 size_x=" +
      std::to_string(in.size()) + "\nvector pop_prev op=nop\n" + body.str() +
      "\nvector push_next op=nop\n"
      "store pop_prev td=0 layout=raw32 dram_addr=0x1000 acc_entry=" +
      std::to_string(out) +
      " size_z=1 size_y=1 size_x=" + std::to_string(count);
  error = runProgram(*sim, program);
  std::vector<uint32_t> result(count);
  if (!error.empty())
    return result;
  std::vector<uint8_t> bytes = readBytes(*sim, 0x1000, 4 * count);
  for (size_t i = 0; i < count; ++i)
    for (unsigned k = 0; k < 4; ++k)
      result[i] |= uint32_t(bytes[4 * i + k]) << (8 * k);
  return result;
}

std::vector<uint32_t> runOk(llvm::ArrayRef<uint32_t> in, llvm::StringRef body,
                            uint64_t out, uint64_t count) {
  std::string error;
  std::vector<uint32_t> r = run(in, body, out, count, error);
  EXPECT_EQ(error, "");
  return r;
}

std::string runError(llvm::ArrayRef<uint32_t> in, llvm::StringRef body) {
  std::string error;
  run(in, body, 0, 1, error);
  return error;
}

const char *kView4 = "cfg.view view=0 size_z=1 size_y=1 size_x=4 stride_x=1\n";

TEST(AccelSimVector, MaximumAndMinimumOfZerosAndNaNs) {
  const uint32_t nan = 0x7fc00001;
  std::vector<uint32_t> in = {bits(-0.0f), bits(0.0f),  nan,        bits(1.0f),
                              bits(0.0f),  bits(-0.0f), bits(2.0f), nan};
  auto max = runOk(in,
                   std::string(kView4) +
                       "vector op=maximumf dst_view=0 dst_entry=8 "
                       "src1_view=0 src1_entry=0 src2_view=0 src2_entry=4",
                   8, 4);
  EXPECT_EQ(max[0], bits(0.0f));
  EXPECT_EQ(max[1], bits(0.0f));
  EXPECT_EQ(max[2], nan); // a NaN operand gives NaN
  EXPECT_EQ(max[3], nan);
  auto min = runOk(in,
                   std::string(kView4) +
                       "vector op=minimumf dst_view=0 dst_entry=8 "
                       "src1_view=0 src1_entry=0 src2_view=0 src2_entry=4",
                   8, 4);
  EXPECT_EQ(min[0], bits(-0.0f));
  EXPECT_EQ(min[1], bits(-0.0f));
  EXPECT_TRUE(std::isnan(llvm::bit_cast<float>(min[2])));
  EXPECT_TRUE(std::isnan(llvm::bit_cast<float>(min[3])));
}

TEST(AccelSimVector, ComparisonsSelectAndIndex) {
  std::vector<uint32_t> in = {bits(1.0f), 0x7fc00000, bits(3.0f), bits(-1.0f),
                              bits(1.0f), bits(5.0f), bits(3.0f), bits(-2.0f)};
  // oeq is false on NaN, ueq true; aux is the arith.cmpf predicate.
  auto oeq = runOk(in,
                   std::string(kView4) +
                       "vector op=cmpf aux=1 dst_view=0 dst_entry=8 "
                       "src1_view=0 src1_entry=0 src2_view=0 src2_entry=4",
                   8, 4);
  EXPECT_EQ(oeq, (std::vector<uint32_t>{1, 0, 1, 0}));
  auto ueq = runOk(in,
                   std::string(kView4) +
                       "vector op=cmpf aux=8 dst_view=0 dst_entry=8 "
                       "src1_view=0 src1_entry=0 src2_view=0 src2_entry=4",
                   8, 4);
  EXPECT_EQ(ueq, (std::vector<uint32_t>{1, 1, 1, 0}));
  // select: dst = cond != 0 ? src2 : dst.
  auto sel = runOk(in,
                   std::string(kView4) +
                       "vector op=cmpf aux=1 dst_view=0 dst_entry=8 "
                       "src1_view=0 src1_entry=0 src2_view=0 src2_entry=4\n"
                       "vector op=fill src2_imm imm=f32:9 dst_view=0 "
                       "dst_entry=12\n"
                       "vector op=select dst_view=0 dst_entry=12 src1_view=0 "
                       "src1_entry=8 src2_view=0 src2_entry=4",
                   12, 4);
  EXPECT_EQ(sel, (std::vector<uint32_t>{bits(1.0f), bits(9.0f), bits(3.0f),
                                        bits(9.0f)}));
  // index along x plus imm, then signed compare with a wrapped subtraction.
  auto idx = runOk(in,
                   std::string(kView4) +
                       "vector op=index aux=2 src2_imm imm=-2 dst_view=0 "
                       "dst_entry=8\n"
                       "vector op=subi src2_imm imm=1 dst_view=0 dst_entry=12 "
                       "src1_view=0 src1_entry=8",
                   8, 8);
  EXPECT_EQ(idx,
            (std::vector<uint32_t>{0xfffffffe, 0xffffffff, 0, 1, 0xfffffffd,
                                   0xfffffffe, 0xffffffff, 0}));
}

TEST(AccelSimVector, AccumulationRunsInLexicographicOrder) {
  // Summing 1e8, 1, -1e8 in order gives 0 in f32; any other order that
  // adds 1 last gives 1.
  std::vector<uint32_t> in = {bits(1e8f), bits(1.0f), bits(-1e8f), bits(0.0f)};
  auto sum = runOk(in,
                   "cfg.view view=0 size_z=1 size_y=1 size_x=3 stride_x=1\n"
                   "cfg.view view=1 size_z=1 size_y=1 size_x=3 stride_x=0\n"
                   "vector op=addf accumulate dst_view=1 dst_entry=3 "
                   "src1_view=0 src1_entry=0 src2_view=1 src2_entry=3",
                   3, 1);
  EXPECT_EQ(sum[0], bits(0.0f));
  // swap: dst = src1 - dst, in order: 1e8 - 0, 1 - 1e8, -1e8 - (1 - 1e8).
  auto diff = runOk(in,
                    "cfg.view view=0 size_z=1 size_y=1 size_x=3 stride_x=1\n"
                    "cfg.view view=1 size_z=1 size_y=1 size_x=3 stride_x=0\n"
                    "vector op=subf accumulate swap dst_view=1 dst_entry=3 "
                    "src1_view=0 src1_entry=0 src2_view=1 src2_entry=3",
                    3, 1);
  EXPECT_EQ(diff[0], bits(-1e8f - (1.0f - (1e8f - 0.0f))));
}

TEST(AccelSimVector, InPlaceViewsReadBeforeTheyWrite) {
  // dst = src1 shifted by one entry: position p reads entry p + 1 before
  // writing entry p, so the values move down by one.
  std::vector<uint32_t> in = {1, 2, 3, 4, 5};
  auto moved =
      runOk(in,
            std::string(kView4) + "vector op=addi src2_imm imm=0 dst_view=0 "
                                  "dst_entry=0 src1_view=0 src1_entry=1",
            0, 5);
  EXPECT_EQ(moved, (std::vector<uint32_t>{2, 3, 4, 5, 5}));
}

TEST(AccelSimVector, StatisticsValuesAndScales) {
  // A statistics pass (LOAD to nowhere) over values with an infinity, then
  // stats_value amax and select_scale of a per-tensor E4M3 level from the
  // register and from an ACC value: the library's rules on the same data.
  const qtrain::numerics::ScaledPreset *preset =
      qtrain::numerics::lookupScaled("fp8_e4m3_tensor");
  ASSERT_NE(preset, nullptr);
  const qtrain::numerics::ScaleLevel &level = preset->format.levels.front();
  std::vector<float> x = {0.5f, -3.0f, INFINITY, 1e-3f, -0.0f, 2.5f};
  auto sim = makeSim();
  writeFloats(*sim, 0, x);
  writeFloats(*sim, 0x100, {7.0f});
  FormatPlacement placement;
  std::string program =
      roundingWords(0, qtrain::numerics::Rounding::nearestEven()) +
      formatWords(0, preset->format, placement) +
      "cfg.td_dram td=0 dram_stride_x=1\n"
      "cfg.td_chip td=0 chip_stride_x=1\n"
      "load dst=none format=0 td=0 layout=f32 stats_reg=2 stats_mask=1 "
      "stats_reset dram_addr=0 size_z=1 size_y=1 size_x=6\n"
      "load push_next dst=acc td=0 layout=raw32 dram_addr=0x100 chip_row=3 "
      "size_z=1 size_y=1 size_x=1\n"
      "cfg.view view=0 size_z=1 size_y=1 size_x=1\n"
      "vector pop_prev op=stats_value stats_reg=2 aux=0 dst_view=0 "
      "dst_entry=0\n"
      "vector op=select_scale format=0 stats_reg=2 aux=2 dst_view=0 "
      "dst_entry=1\n"
      "vector push_next op=select_scale format=0 aux=0 dst_view=0 "
      "dst_entry=2 src1_view=0 src1_entry=3\n"
      "store pop_prev td=0 layout=raw32 dram_addr=0x200 acc_entry=0 size_z=1 "
      "size_y=1 size_x=3";
  ASSERT_EQ(runProgram(*sim, program), "");
  std::vector<uint8_t> bytes = readBytes(*sim, 0x200, 12);
  auto word = [&](unsigned i) {
    uint32_t w = 0;
    for (unsigned k = 0; k < 4; ++k)
      w |= uint32_t(bytes[4 * i + k]) << (8 * k);
    return w;
  };
  const qtrain::numerics::ElementFormat &element = preset->format.element;
  EXPECT_EQ(word(0), bits(qtrain::numerics::amax(x)));
  qtrain::numerics::AmaxStatistic stat;
  stat.add(x);
  EXPECT_EQ(word(1), bits(qtrain::numerics::scaleFromAmax(
                         level, element, stat.blockStatistic(level.format))));
  EXPECT_EQ(word(2),
            bits(qtrain::numerics::scaleFromAmax(level, element, 7.0f)));
}

TEST(AccelSimVector, Errors) {
  std::vector<uint32_t> in = {1, 2, 3, 4, 0, 0, 0, 0};
  EXPECT_EQ(runError(in, "cfg.view view=0 size_z=1 size_y=1 size_x=4 "
                         "stride_x=1\ncfg.view view=1 size_z=1 size_y=2 "
                         "size_x=2 stride_y=2 stride_x=1\nvector op=addf "
                         "dst_view=0 dst_entry=8 src1_view=1 src1_entry=0 "
                         "src2_view=0 src2_entry=4"),
            "instruction 6 (vector): views of different sizes: dst is 1x1x4, "
            "src1 1x2x2");
  EXPECT_EQ(runError(in, "cfg.view view=0 size_z=1 size_y=1 size_x=4 "
                         "stride_x=0\nvector op=copy dst_view=0 dst_entry=8 "
                         "src1_view=0 src1_entry=0"),
            "instruction 5 (vector): dst writes ACC entry 8 twice (only an "
            "accumulating dst may)");
  EXPECT_EQ(runError(in, std::string(kView4) +
                             "vector op=remui dst_view=0 dst_entry=8 "
                             "src1_view=0 src1_entry=0 src2_view=0 "
                             "src2_entry=4"),
            "instruction 5 (vector): remui by zero at ACC entry 8");
  EXPECT_EQ(runError(in, std::string(kView4) +
                             "vector op=copy dst_view=0 dst_entry=8 "
                             "src1_view=0 src1_entry=16"),
            "instruction 5 (vector): reads ACC entry 16, which is empty");
  EXPECT_EQ(runError(in, std::string(kView4) +
                             "vector op=copy dst_view=0 dst_entry=4094 "
                             "src1_view=0 src1_entry=0"),
            "instruction 5 (vector): view position (0, 0, 2) is ACC entry "
            "4096, outside the ACC's 4096 entries");
  EXPECT_EQ(runError(in, std::string(kView4) +
                             "vector op=addf aux=3 dst_view=0 dst_entry=8 "
                             "src1_view=0 src1_entry=0 src2_view=0 "
                             "src2_entry=4"),
            "instruction 5 (vector): aux 3 is not meaningful for VECTOR addf");
  EXPECT_EQ(runError(in, std::string(kView4) +
                             "vector op=copy accumulate dst_view=0 "
                             "dst_entry=8 src1_view=0 src1_entry=0"),
            "instruction 5 (vector): accumulate needs a binary operation");
  EXPECT_EQ(runError(in, "cfg.view view=0 size_z=1 size_y=1 size_x=2 "
                         "stride_x=1\nvector op=stats_value aux=0 "
                         "dst_view=0 dst_entry=8"),
            "instruction 5 (vector): stats_value writes one entry: its view "
            "is 1x1x2");
  EXPECT_EQ(runError(in, "vector op=stats dst_view=0"),
            "instruction 4 (vector): VECTOR stats gathers nothing: its "
            "statistics mask (aux) is 0");
}

} // namespace
