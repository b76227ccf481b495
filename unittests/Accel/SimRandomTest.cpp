//===- SimRandomTest.cpp - Random programs never crash the model ----------===//
//
// Thousands of random programs (legal words: every field in its range,
// small values favoured so that many get past the first check, after a
// prologue of valid configuration) run on a small machine. Each ends in
// success or in an error naming an instruction; none crashes, asserts or
// runs away. VECTOR words are `nop` (the vector unit is tested elsewhere).
//
//===----------------------------------------------------------------------===//

#include "ISATestUtils.h"
#include "SimTestUtils.h"

#include "llvm/ADT/StringExtras.h"

using namespace llvm;
using namespace qtrain::accel;
using namespace qtrain::accel::sim;
namespace isa = qtrain::accel::test;
namespace simtest = qtrain::accel::sim::test;

namespace {

const char *const kPrologue =
    "cfg.rounding entry=0\n"
    "cfg.rounding entry=1 mode=stochastic random_bits=3 source=lfsr "
    "lfsr_width=8 lfsr_lanes=4 seed_reg=1\n"
    "cfg.element entry=0 mf_exponent_bits=8 mf_mantissa_bits=23 mf_bias=127 "
    "mf_subnormals mf_overflow=inf\n"
    "cfg.tensor_level entry=0\ncfg.block_level entry=0\n"
    "cfg.element entry=1 rounding=1 mf_exponent_bits=4 mf_mantissa_bits=3 "
    "mf_bias=7 mf_specials=fn mf_subnormals mf_overflow=saturate\n"
    "cfg.tensor_level entry=1\n"
    "cfg.block_level entry=1 present scale_kind=pow2 scale_bits=8 "
    "scale_bias=127 scale_nan block_z=1 block_y=1 block_x=4\n"
    "cfg.element entry=2 layout=paired kind=integer int_bits=5 "
    "int_encoding=sign_magnitude int_fraction_bits=3\n"
    "cfg.tensor_level entry=2 present scale_kind=f32 rule=amax_to_max "
    "scale_entry=1\n"
    "cfg.block_level entry=2 present scale_kind=pow2 scale_bits=8 "
    "scale_bias=127 scale_nan block_z=1 block_y=2 block_x=2\n"
    "cfg.accum entry=0 acc_exponent_bits=8 acc_mantissa_bits=23 acc_bias=127 "
    "acc_subnormals acc_overflow=inf\ncfg.accum_grouping entry=0\n"
    "cfg.accum entry=1 grouping=efficient_dga acc_exponent_bits=5 "
    "acc_mantissa_bits=6 acc_bias=15 acc_subnormals acc_overflow=inf\n"
    "cfg.accum_grouping entry=1 shift_c=3 shared t0=f64:1.0\n"
    "cfg.td_dram td=0 dram_stride_y=16 dram_stride_x=1\n"
    "cfg.td_chip td=0 chip_stride_y=16 chip_stride_x=1\n"
    "cfg.td_dram td=1 dram_stride_y=1 dram_stride_x=4\n"
    "cfg.td_chip td=1 chip_stride_y=64 chip_stride_x=1 pad_x_lo=1\n"
    "cfg.stream index_stride_y=16 index_stride_x=1\n"
    "cfg.scales scale_addr=0x8000 scale_stride_y=4 scale_stride_x=1\n"
    "reg.load regfile=seed reg=1 imm=12345\n"
    "load dst=acc td=0 layout=raw32 size_z=1 size_y=4 size_x=16\n";

/// A legal value of `f`, small with probability 3/4.
uint64_t smallValue(const FieldInfo &f, std::mt19937_64 &rng) {
  if (rng() % 4 == 0 || f.kind == FieldKind::Reserved ||
      f.kind == FieldKind::Opcode || f.kind == FieldKind::Form)
    return isa::randomValue(f, rng);
  if (f.kind == FieldKind::Bits)
    return rng() % 4;
  int64_t hi = std::min<int64_t>(f.max, f.min + 5);
  return static_cast<uint64_t>(
      std::uniform_int_distribution<int64_t>(f.min, hi)(rng));
}

TEST(AccelSimRandom, ProgramsEndInSuccessOrAnError) {
  MachineDescription m = simtest::smallMachine();
  m.dram.bytes = 1 << 20;
  std::vector<Instruction> prologue = cantFail(parseAssembly(kPrologue));
  std::vector<InstructionKind> kinds;
  for (const InstructionInfo &info : getInstructions())
    if (info.kind != InstructionKind::Finish)
      kinds.push_back(info.kind);
  std::mt19937_64 rng(2024);
  std::vector<float> image = simtest::randomValues(4096, 3);
  unsigned ok = 0, failed = 0;
  std::map<std::string, unsigned> firstWords;
  for (int p = 0; p < 3000; ++p) {
    std::vector<Instruction> program = prologue;
    unsigned extra = 1 + rng() % 6;
    for (unsigned i = 0; i < extra; ++i) {
      Instruction inst(kinds[rng() % kinds.size()]);
      for (unsigned f = 0; f < inst.getNumFields(); ++f)
        inst.set(f, smallValue(inst.info().fields[f], rng));
      if (inst.kind == InstructionKind::Vector)
        inst.set("op", VectorOp::Nop);
      // Keep sizes and GEMM shapes small enough to run quickly, mostly.
      if (rng() % 8) {
        for (StringRef f : {"size_y", "size_x", "m", "n", "k"})
          if (std::optional<unsigned> idx = lookupField(inst.kind, f))
            inst.set(*idx, std::max<uint64_t>(inst.get(*idx) % 33, 1));
      }
      if (std::optional<unsigned> idx = lookupField(inst.kind, "size_z"))
        inst.set(*idx, std::max<uint64_t>(inst.get(*idx) % 3, 1));
      ASSERT_FALSE(bool(verifyFields(inst))) << printInstruction(inst);
      program.push_back(inst);
    }
    program.push_back(Instruction());
    std::unique_ptr<Simulator> sim = simtest::makeSim(m);
    simtest::writeFloats(*sim, 0, image);
    Error e = sim->run(program);
    if (!e) {
      ++ok;
      continue;
    }
    ++failed;
    std::string message = toString(std::move(e));
    EXPECT_TRUE(StringRef(message).starts_with("instruction "))
        << message << "\n"
        << simtest::words(program);
    // Tally the kinds of errors (the text after the prefix's colon).
    StringRef rest = StringRef(message).split("): ").second;
    firstWords[rest.take_until([](char c) { return c == ' '; }).str()]++;
  }
  // Enough programs get through for the test to mean something.
  EXPECT_GT(ok, 150u);
  EXPECT_GT(failed, 1000u);
  std::string tally;
  for (auto &[word, n] : firstWords)
    tally += word + ":" + std::to_string(n) + " ";
  RecordProperty("errors", tally);
  std::printf("random programs: %u ran, %u errors (%s)\n", ok, failed,
              tally.c_str());
}

} // namespace
