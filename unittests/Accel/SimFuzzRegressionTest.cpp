//===- SimFuzzRegressionTest.cpp - Bugs the fuzzers found -----------------===//
//
// One test per bug that fuzz/DecoderFuzzer.cpp or fuzz/SimulatorFuzzer.cpp
// found (docs/Accelerator.md, "Fuzzing"), named after the bug; the fuzzer's
// input stays in the kept corpus, fuzz/corpus.
//
//===----------------------------------------------------------------------===//

#include "SimTestUtils.h"

#include "qtrain/Numerics/Presets.h"
#include "qtrain/Numerics/RandomStream.h"
#include "qtrain/Numerics/ScaledFormat.h"

#include <chrono>

using namespace llvm;
using namespace qtrain::numerics;
using namespace qtrain::accel::sim;
using namespace qtrain::accel::sim::test;

namespace {

/// The random number of LFSR stream element `index` by the definition
/// (docs/Numerics.md, "Random streams"): lane index % lanes, stepped
/// index / lanes times from its seed, one step at a time.
uint32_t steppedLfsr(const Rounding &r, uint64_t index) {
  const RandomSource &s = r.source;
  uint32_t taps = s.lfsrTaps ? s.lfsrTaps : defaultLfsrTaps(s.lfsrWidth);
  uint64_t step = index / s.lfsrLanes;
  uint32_t state = lfsrLaneSeed(s.seed, index % s.lfsrLanes, s.lfsrWidth);
  for (uint64_t i = 0; i < step; ++i)
    state = lfsrStep(state, taps);
  if (s.kind == RandomSourceKind::LfsrPlateau && (step & 1))
    state = ~state;
  return state & ((uint32_t(1) << r.randomBits) - 1);
}

// The bug: RandomStream reached an LFSR index by stepping every lane one
// step at a time, and replayed all lanes from their seeds for any index
// below the previous one. A LOAD whose stream indices jump
// (index_stride_x = 12648449, found by the simulator fuzzer) took about a
// minute for 384 elements, and an index_base near 2^40 (legal) would never
// finish. Each lane now keeps its own step and a far seek jumps by powers of
// the LFSR step's GF(2) matrix; the numbers are the same.
TEST(AccelSimFuzzRegression, LfsrStreamFarIndexHang) {
  // The stream: far forward, backward, near and sequential fills give the
  // numbers of the definition.
  for (RandomSourceKind kind :
       {RandomSourceKind::Lfsr, RandomSourceKind::LfsrPlateau})
    for (unsigned width : {3u, 17u, 32u})
      for (unsigned lanes : {1u, 16u, 4096u}) {
        RandomSource src;
        src.kind = kind;
        src.seed = 0x5eed0000ull + width;
        src.lfsrWidth = width;
        src.lfsrLanes = lanes;
        Rounding r = Rounding::stochastic(3, src);
        RandomStream stream(r);
        std::string what = "width " + std::to_string(width) + ", " +
                           std::to_string(lanes) + " lanes";
        uint64_t l = lanes;
        for (uint64_t index :
             {uint64_t(0), uint64_t(1), 5 * l + 3, 200000 * l + 7, 70 * l + 1,
              69 * l + 1, 3 * l, 100 * l + l - 1, 131 * l + 2})
          EXPECT_EQ(stream.at(index), steppedLfsr(r, index))
              << what << ", index " << index;
        std::vector<uint32_t> run(3 * lanes + 5);
        stream.fill(1000 * l + 2, run);
        for (size_t i = 0; i < run.size(); ++i)
          ASSERT_EQ(run[i], steppedLfsr(r, 1000 * l + 2 + i))
              << what << ", run element " << i;
      }

  // The model: the fuzzer's LOAD (E5M2, LFSR stochastic rounding, 3 x 128
  // elements, index_stride_x = 12648449), at an index_base near 2^40, gives
  // quantizeScaled's value of each element at its stream index.
  RandomSource src;
  src.kind = RandomSourceKind::Lfsr;
  src.seed = 0x0123456789abcdefull;
  src.lfsrWidth = 24;
  src.lfsrLanes = 16;
  Rounding r = Rounding::stochastic(3, src);
  ScaledFormat format{*lookupMinifloat("e5m2"), {}};
  const uint64_t base = (uint64_t(1) << 40) - 1000, strideY = 128,
                 strideX = 12648449, rows = 3, cols = 128, kX = 0x1000;
  std::vector<float> x = randomValues(rows * cols, 21);
  std::unique_ptr<Simulator> sim = makeSim();
  writeFloats(*sim, kX, x);
  qtrain::accel::FormatPlacement placement;
  std::string text =
      roundingWords(0, r, /*seedReg=*/1) + formatWords(0, format, placement) +
      "cfg.td_dram td=0 dram_stride_y=128 dram_stride_x=1\n"
      "cfg.td_chip td=0 chip_stride_y=128 chip_stride_x=1\n"
      "cfg.stream index_base=" +
      std::to_string(base) + " index_stride_y=" + std::to_string(strideY) +
      " index_stride_x=" + std::to_string(strideX) +
      "\n"
      "reg.load regfile=seed reg=1 imm=" +
      std::to_string(src.seed) +
      "\n"
      "load dst=acc format=0 td=0 layout=f32 dram_addr=" +
      std::to_string(kX) + " chip_row=0 size_z=1 size_y=3 size_x=128\n";
  auto begin = std::chrono::steady_clock::now();
  ASSERT_EQ(runProgram(*sim, text), "") << text;
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - begin)
          .count();
  EXPECT_LT(seconds, 10.0);
  std::vector<float> want(x.size());
  for (uint64_t y = 0; y < rows; ++y)
    for (uint64_t c = 0; c < cols; ++c) {
      size_t e = y * cols + c;
      cantFail(quantizeScaled(format, {1}, ArrayRef<float>(x[e]),
                              MutableArrayRef<float>(want[e]), r, {},
                              base + y * strideY + c * strideX));
    }
  expectSameBits(accFloats(*sim, 0, x.size()), want, "far stream indices");
}

} // namespace
