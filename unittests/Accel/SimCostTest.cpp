//===- SimCostTest.cpp - The cycle and energy model -----------------------===//
//
// docs/Accelerator.md, "Cycle model" and "Energy model": the width scaling
// of the Horowitz constants (the figures the page quotes), dispatch, token
// waits, the instruction-queue depth, a push that waits for a full FIFO and
// DRAM transfers in flight together,
// computed by hand; the per-MAC energies behind the page's FP12 DGA claim;
// the counters of the page's example program.
//
//===----------------------------------------------------------------------===//

#include "SimTestUtils.h"

#include "qtrain/Accel/Sim/CostModel.h"
#include "qtrain/Numerics/Presets.h"

using namespace llvm;
using namespace qtrain::numerics;
using namespace qtrain::accel::sim;
using namespace qtrain::accel::sim::test;
using qtrain::accel::getDefaultMachine;
using qtrain::accel::MachineDescription;

namespace {

TEST(AccelSimCost, EnergyScaling) {
  EnergyModel e(getDefaultMachine());
  // The published points.
  EXPECT_DOUBLE_EQ(e.intAdd(8), 0.03);
  EXPECT_DOUBLE_EQ(e.intAdd(32), 0.1);
  EXPECT_DOUBLE_EQ(e.fpAdd(11), 0.4);
  EXPECT_DOUBLE_EQ(e.fpAdd(24), 0.9);
  EXPECT_NEAR(e.intMul(8, 8), 0.2, 1e-12);
  EXPECT_NEAR(e.intMul(32, 32), 3.1, 1e-12);
  EXPECT_NEAR(e.fpMul(11, 11), 1.1, 1e-12);
  EXPECT_NEAR(e.fpMul(24, 24), 3.7, 1e-12);
  EXPECT_NEAR(e.sram64(8 * 1024), 10, 1e-12);
  EXPECT_NEAR(e.sram64(32 * 1024), 20, 1e-12);
  EXPECT_NEAR(e.sram64(1024 * 1024), 100, 1e-12);
  // The page's derived figures.
  EXPECT_NEAR(e.fpAdd(7), 0.246, 5e-4);  // FP12
  EXPECT_NEAR(e.fpAdd(10), 0.362, 5e-4); // FP16-DGA
  EXPECT_NEAR(e.intAdd(12), 0.042, 5e-4);
  EXPECT_NEAR(e.fpMul(4, 4), 0.50, 5e-3);  // E4M3 x E4M3
  EXPECT_NEAR(e.fpMul(0, 0), 0.409, 5e-4); // the constant term
  EXPECT_NEAR(e.intMul(0, 0), 0.0067, 5e-5);
  EXPECT_NEAR(e.inputSp64, 73, 0.5);
  EXPECT_NEAR(e.acc64, 36, 1e-9);
  EXPECT_NEAR(e.histogram64, 8.5, 0.05);
  // An integer x integer MAC uses the integer formula on magnitude bits,
  // plus an 8-bit add per block-scaled operand.
  IntegerFormat fb12{5, IntegerEncoding::SignMagnitude, 3,
                     IntegerOverflow::Saturate};
  EXPECT_NEAR(e.multiply(fb12, true, fb12, true), e.intMul(4, 4) + 2 * 0.03,
              1e-12);
  EXPECT_NEAR(e.multiply(*lookupMinifloat("e4m3fn"), false, fb12, false),
              e.fpMul(4, 4), 1e-12);
  // Accumulation state widths.
  AccumulationSpec f32;
  EXPECT_EQ(accumulationStateBits(f32), 32u);
  AccumulationSpec dga;
  dga.accumulator = MinifloatFormat::standard(5, 6);
  dga.outer = MinifloatFormat();
  dga.grouping = Grouping::EfficientDGA;
  EXPECT_EQ(accumulationStateBits(dga), 12u + 32 + 16 + 12);
  dga.grouping = Grouping::Static;
  EXPECT_EQ(accumulationStateBits(dga), 12u + 32 + 16);
  AccumulationSpec fixed;
  fixed.grouping = Grouping::Static;
  fixed.fixedPoint = IntegerFormat{20, IntegerEncoding::TwosComplement, 8,
                                   IntegerOverflow::Saturate};
  EXPECT_EQ(accumulationStateBits(fixed), 20u + 32 + 16);
}

/// One f32 row of 16 at DRAM 0 loaded into the ACC (raw32).
const char *const kTd = "cfg.td_dram td=0 dram_stride_x=1\n"
                        "cfg.td_chip td=0 chip_stride_x=1\n";
const char *const kLoad16 =
    "dst=acc td=0 layout=raw32 size_z=1 size_y=1 size_x=16\n";

TEST(AccelSimCost, TimelineByHand) {
  std::unique_ptr<Simulator> sim = makeSim();
  // d: cfg 0, 1. LOAD: dispatch 2, start 3, one 64-byte burst and 16
  // positions: latency 100 + max(1, 1) = 101, end 104. The nop dispatches
  // at 3, waits for the token until 104 (100 cycles), ends 112. The STORE
  // dispatches at 4, waits until 112 (107 cycles), ends 213. finish
  // dispatches at 5.
  ASSERT_EQ(runProgram(*sim, std::string(kTd) + "load push_next " + kLoad16 +
                                 "vector pop_prev push_next op=nop\n"
                                 "store pop_prev layout=raw32 td=0 "
                                 "dram_addr=0x100 size_z=1 size_y=1 "
                                 "size_x=16\n"),
            "");
  const Counters &c = sim->getCounters();
  EXPECT_EQ(c.cycles, 213u);
  EXPECT_EQ(c.queues[0].busyCycles, 101u);
  EXPECT_EQ(c.queues[0].tokenWaits, 0u);
  EXPECT_EQ(c.queues[1].busyCycles, 8u);
  EXPECT_EQ(c.queues[1].tokenWaits, 1u);
  EXPECT_EQ(c.queues[1].tokenWaitCycles, 100u);
  EXPECT_EQ(c.queues[2].tokenWaitCycles, 107u);
  EXPECT_EQ(c.dramReadBits, 64u * 8);
  EXPECT_EQ(c.dramWriteBits, 64u * 8);
  EXPECT_EQ(c.accWriteBits, 16u * 32);
  EXPECT_EQ(c.accReadBits, 16u * 32);
  EXPECT_EQ(c.instructions[static_cast<unsigned>(
                qtrain::accel::InstructionKind::Finish)],
            1u);
  EXPECT_NEAR(c.energyPj[static_cast<unsigned>(EnergyClass::Dram)],
              2 * 64 * 8 / 64.0 * 1950, 1e-6);
}

TEST(AccelSimCost, FullTokenFifoStallsThePusher) {
  // Four cfg words (cycles 0-3). The compute queue is busy with a
  // 500-cycle nop until 505, so the pop of LOAD A's token (pushed at 107)
  // starts at 505; LOAD B (107-208) pushes into the depth-1 FIFO only then,
  // and the long LOAD C behind B starts at 505 instead of 208.
  std::string text = std::string(kTd) +
                     "cfg.td_dram td=1 dram_stride_x=1\n"
                     "cfg.td_chip td=1 chip_stride_x=0\n"
                     "vector op=nop\n"
                     "load push_next " +
                     kLoad16 + "vector pop_prev op=nop\nload push_next " +
                     kLoad16 +
                     "load dst=acc td=1 layout=raw32 size_z=1 size_y=1 "
                     "size_x=65535\n"
                     "vector pop_prev op=nop\n";
  MachineDescription m = smallMachine();
  m.vector.latencyCycles = 500;
  for (uint64_t depth : {1, 2}) {
    m.queues.tokenDepth = depth;
    std::unique_ptr<Simulator> sim = makeSim(m);
    ASSERT_EQ(runProgram(*sim, text), "");
    // C: 262140 bytes in 4096 bursts and 65535 positions: 100 + 4096.
    EXPECT_EQ(sim->getCounters().cycles, depth == 1 ? 505u + 4196 : 208u + 4196)
        << "depth " << depth;
  }
}

TEST(AccelSimCost, InstructionQueueDepth) {
  // Three loads, then a 1000-cycle nop. With a depth of 1, LOAD C cannot
  // dispatch before LOAD B starts (104), so the nop dispatches at 105
  // instead of 6.
  std::string text = std::string(kTd) + "load " + kLoad16 + "load " + kLoad16 +
                     "load " + kLoad16 + "vector op=nop\n";
  MachineDescription m = smallMachine();
  m.vector.latencyCycles = 1000;
  for (uint64_t depth : {1, 512}) {
    m.queues.instructionDepth = depth;
    std::unique_ptr<Simulator> sim = makeSim(m);
    ASSERT_EQ(runProgram(*sim, text), "");
    EXPECT_EQ(sim->getCounters().cycles, depth == 1 ? 1106u : 1006u);
  }
}

TEST(AccelSimCost, OutstandingTransfersOverlapTheirLatency) {
  // Three loads of 101 cycles (latency 100, one cycle of data), dispatched
  // at 2, 3 and 4. One in flight: they run back to back, 3 + 3 * 101. Two:
  // B starts at 4, its data follows A's (104-105); C waits for A's end
  // (104), its data at 204-205. Three: all start at once, their data
  // phases one after another, 103-106.
  std::string text = std::string(kTd) + "load " + kLoad16 + "load " + kLoad16 +
                     "load " + kLoad16;
  MachineDescription m = smallMachine();
  for (auto [outstanding, cycles] :
       {std::pair<uint64_t, uint64_t>{1, 306}, {2, 205}, {3, 106}, {8, 106}}) {
    m.dram.outstandingTransfers = outstanding;
    std::unique_ptr<Simulator> sim = makeSim(m);
    ASSERT_EQ(runProgram(*sim, text), "");
    EXPECT_EQ(sim->getCounters().cycles, cycles) << outstanding << " in flight";
    EXPECT_EQ(sim->getCounters().queues[0].busyCycles, 3u * 101);
  }
}

/// Energy per MAC of a 4 x 4 x 64 GEMM of E4M3 operands (no scale levels).
std::pair<double, double> gemmEnergyPerMac(const AccumulationSpec &spec) {
  std::unique_ptr<Simulator> sim = makeSim();
  std::vector<float> x = randomValues(4 * 64, 41, false);
  writeFloats(*sim, 0, x);
  ScaledFormat e4m3{*lookupMinifloat("e4m3fn"), {}};
  std::string text = roundingWords(0, Rounding()) + accumWords(0, spec) +
                     formatWords(0, e4m3, {}) +
                     "cfg.td_dram td=0 dram_stride_y=64 dram_stride_x=1\n"
                     "cfg.td_chip td=0 chip_stride_y=64 chip_stride_x=1\n"
                     "load dst=sp_input format=0 td=0 size_z=1 size_y=4 "
                     "size_x=64\n"
                     "load push_next dst=sp_weight format=0 td=0 size_z=1 "
                     "size_y=4 size_x=64\n"
                     "gemm pop_prev format_a=0 format_b=0 accum=0 mode=m4 init "
                     "finish a_rows_per_vector=1 b_rows_per_vector=1 m=4 n=4 "
                     "k=64\n";
  EXPECT_EQ(runProgram(*sim, text), "");
  const Counters &c = sim->getCounters();
  EXPECT_EQ(c.macs[qtrain::accel::GemmMode::M4], 4u * 4 * 64);
  double macs = 4 * 4 * 64;
  return {c.energyPj[static_cast<unsigned>(EnergyClass::Multiply)] / macs,
          c.energyPj[static_cast<unsigned>(EnergyClass::Accumulate)] / macs};
}

TEST(AccelSimCost, DgaClaimArithmetic) {
  // f32 accumulation: 0.50 + 0.90 = 1.40 pJ per E4M3 x E4M3 MAC.
  auto [mul, acc] = gemmEnergyPerMac(AccumulationSpec());
  EXPECT_NEAR(mul, 0.50, 5e-3);
  EXPECT_NEAR(acc, 0.90, 1e-12);
  // FP12 E-DGA: 0.246 (add) + 0.042 (compare) per product, plus one f32
  // outer add per closed group (including each output's last).
  AccumulationSpec dga;
  dga.accumulator = MinifloatFormat::standard(5, 6);
  dga.outer = MinifloatFormat();
  dga.grouping = Grouping::EfficientDGA;
  std::unique_ptr<Simulator> sim;
  auto [mul2, acc2] = gemmEnergyPerMac(dga);
  EXPECT_NEAR(mul2, mul, 1e-12);
  EXPECT_GT(acc2, 0.246 + 0.042 - 1e-3);
  EXPECT_LT(acc2, 0.9);
}

} // namespace
