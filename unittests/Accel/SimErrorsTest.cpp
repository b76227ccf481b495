//===- SimErrorsTest.cpp - Every error names its instruction --------------===//
//
// docs/Accelerator.md, "Errors": configuration, addresses, layouts, slot and
// entry states, tokens (the deadlock check) and races, each with its
// message. Programs are a common prologue plus a few lines; `#k` in an
// expected message stands for the index of the k-th line after the prologue.
//
//===----------------------------------------------------------------------===//

#include "SimTestUtils.h"

#include "llvm/ADT/StringExtras.h"

using namespace llvm;
using namespace qtrain::accel::sim;
using namespace qtrain::accel::sim::test;
using qtrain::accel::MachineDescription;

namespace {

// Rounding 0 nearest-even; format 0 f32; format 1 MXFP8 E4M3 plain (blocks
// of 32 along x); format 2 the same, paired; accumulation 0 f32; td 0 a
// contiguous row; 8 words.
const char *const kPrologue =
    "cfg.rounding entry=0\n"
    "cfg.element entry=0 mf_exponent_bits=8 mf_mantissa_bits=23 mf_bias=127 "
    "mf_subnormals mf_overflow=inf\n"
    "cfg.tensor_level entry=0\n"
    "cfg.block_level entry=0\n"
    "cfg.element entry=1 mf_exponent_bits=4 mf_mantissa_bits=3 mf_bias=7 "
    "mf_specials=fn mf_subnormals mf_overflow=saturate\n"
    "cfg.tensor_level entry=1\n"
    "cfg.block_level entry=1 present scale_kind=pow2 scale_bits=8 "
    "scale_bias=127 scale_nan block_z=1 block_y=1 block_x=32\n"
    "cfg.element entry=2 layout=paired mf_exponent_bits=4 mf_mantissa_bits=3 "
    "mf_bias=7 mf_specials=fn mf_subnormals mf_overflow=saturate\n"
    "cfg.tensor_level entry=2\n"
    "cfg.block_level entry=2 present scale_kind=pow2 scale_bits=8 "
    "scale_bias=127 scale_nan block_z=1 block_y=1 block_x=32\n"
    "cfg.accum entry=0 acc_exponent_bits=8 acc_mantissa_bits=23 acc_bias=127 "
    "acc_subnormals acc_overflow=inf\n"
    "cfg.accum_grouping entry=0\n"
    "cfg.td_dram td=0 dram_stride_x=1\n"
    "cfg.td_chip td=0 chip_stride_x=1\n";
constexpr unsigned kPrologueWords = 14;

/// `#k` -> the instruction index of line k after the prologue.
std::string expand(StringRef message) {
  std::string out;
  for (size_t i = 0; i < message.size(); ++i) {
    if (message[i] == '#' && i + 1 < message.size() &&
        isDigit(message[i + 1])) {
      unsigned k = message[++i] - '0';
      out += std::to_string(kPrologueWords + k);
      continue;
    }
    out += message[i];
  }
  return out;
}

std::string errorOf(StringRef lines,
                    const MachineDescription &m = smallMachine()) {
  std::unique_ptr<Simulator> sim = makeSim(m);
  return runProgram(*sim, (kPrologue + lines).str());
}

struct ErrorCase {
  const char *lines;
  const char *error;
};

void checkErrors(ArrayRef<ErrorCase> cases,
                 const MachineDescription &m = smallMachine()) {
  for (const ErrorCase &c : cases)
    EXPECT_EQ(errorOf(c.lines, m), expand(c.error)) << c.lines;
}

TEST(AccelSimErrors, PrologueRuns) { EXPECT_EQ(errorOf(""), ""); }

TEST(AccelSimErrors, Load) {
  checkErrors({
      {"load dst=sp_input layout=raw32 td=0 size_z=1 size_y=1 size_x=1",
       "instruction #0 (load): layout raw32 loads into the ACC only, not "
       "dst=sp_input"},
      {"load dst=acc layout=raw32 stats_mask=1 td=0 size_z=1 size_y=1 "
       "size_x=1",
       "instruction #0 (load): statistics need a format, which layout raw32 "
       "does not read (stats_mask=1)"},
      {"load dst=acc td=5 size_z=1 size_y=1 size_x=1",
       "instruction #0 (load): uses transfer descriptor 5, whose cfg.td_dram "
       "part was never written"},
      {"load dst=acc format=9 td=0 size_z=1 size_y=1 size_x=1",
       "instruction #0 (load): uses format entry 9, whose cfg.element part "
       "was never written"},
      {"cfg.td_chip td=0 chip_stride_x=1 pad_x_lo=3 pad_x_hi=2\n"
       "load dst=acc td=0 size_z=1 size_y=1 size_x=4",
       "instruction #1 (load): pads of 3 + 2 columns exceed size_x = 4"},
      {"load dst=acc td=0 dram_addr=0xfffff0 size_z=1 size_y=1 size_x=8",
       "instruction #0 (load): DRAM elements from element offset 0 to 7 at "
       "0xfffff0 are outside DRAM (0x1000000 bytes)"},
      {"cfg.td_dram td=0 dram_stride_x=-1\n"
       "load dst=acc td=0 dram_addr=4 size_z=1 size_y=1 size_x=3",
       "instruction #1 (load): DRAM elements from element offset -2 to 0 at "
       "0x4 are outside DRAM (0x1000000 bytes)"},
      {"load dst=acc td=0 dram_addr=2 size_z=1 size_y=1 size_x=1",
       "instruction #0 (load): dram_addr 0x2 is not aligned to the 4-byte "
       "elements of layout f32"},
      {"load dst=sp_input format=1 td=0 chip_lane=64 size_z=1 size_y=1 "
       "size_x=1",
       "instruction #0 (load): chip_lane 64 is not below the 64 lanes per row "
       "of format entry 1"},
      {"load dst=sp_input format=1 td=0 chip_row=4095 chip_lane=63 size_z=1 "
       "size_y=1 size_x=2",
       "instruction #0 (load): on-chip position 262144 is outside SP_IN "
       "(262144 slots of format entry 1)"},
      {"load dst=acc td=0 chip_row=4095 size_z=1 size_y=1 size_x=2",
       "instruction #0 (load): ACC entry 4096 is outside the ACC (4096 "
       "entries)"},
      {"load dst=acc td=0 chip_lane=1 size_z=1 size_y=1 size_x=1",
       "instruction #0 (load): chip_lane 1 must be 0 for the ACC"},
      {"load dst=acc format=2 td=0 layout=codes size_z=1 size_y=1 size_x=1",
       "instruction #0 (load): layout codes needs a format entry with the "
       "plain layout; format entry 2 is paired"},
      {"load dst=acc format=1 td=0 layout=paired size_z=1 size_y=1 size_x=1",
       "instruction #0 (load): layout paired needs a format entry with the "
       "paired layout; format entry 1 is plain"},
      {"cfg.scales scale_addr=0\n"
       "load dst=acc format=1 td=0 layout=codes stats_mask=8 size_z=1 "
       "size_y=1 size_x=1",
       "instruction #1 (load): zero_setting statistics need a conversion (a "
       "load from f32 or a store to f32, codes or paired)"},
      {"cfg.rounding entry=0 mode=stochastic random_bits=4\n"
       "load dst=none format=1 td=0 stats_mask=8 size_z=1 size_y=1 size_x=1",
       "instruction #1 (load): zero_setting statistics need a deterministic "
       "element rounding; rounding entry 0 is stochastic"},
      {"cfg.rounding entry=0 mode=stochastic random_bits=4 seed_reg=3\n"
       "cfg.stream\n"
       "load dst=acc format=1 td=0 size_z=1 size_y=1 size_x=1",
       "instruction #2 (load): reads SEED[3] (rounding entry of format entry "
       "1), which was never written"},
      {"cfg.rounding entry=0 mode=stochastic random_bits=4 seed_reg=3\n"
       "load dst=acc format=1 td=0 size_z=1 size_y=1 size_x=1",
       "instruction #1 (load): uses the stream register, which was never "
       "written (cfg.stream)"},
      {"cfg.rounding entry=0 mode=stochastic random_bits=4 source=data\n"
       "cfg.rounding_data entry=0 data_addr=0xfffffc data_count=2\n"
       "cfg.stream\n"
       "load dst=acc format=1 td=0 size_z=1 size_y=1 size_x=1",
       "instruction #3 (load): the data source's 2 f32 elements at 0xfffffc "
       "are outside DRAM (0x1000000 bytes)"},
      {"cfg.rounding entry=0 mode=stochastic random_bits=4 source=lfsr\n"
       "load dst=acc format=1 td=0 size_z=1 size_y=1 size_x=1",
       "instruction #1 (load): format entry 1 uses rounding entry 0, which "
       "does not verify: an LFSR source needs its width in bits ('width', 2 "
       "to 32)"},
      {"cfg.scales scale_addr=0xffffff scale_stride_x=1\n"
       "load dst=acc format=1 td=0 layout=codes size_z=1 size_y=1 size_x=64",
       "instruction #1 (load): the scale array's last scale at 0x1000000 is "
       "outside DRAM (0x1000000 bytes)"},
      {"load dst=acc format=1 td=0 layout=codes size_z=1 size_y=1 size_x=64",
       "instruction #0 (load): uses the scale-array register, which was never "
       "written (cfg.scales)"},
      {"cfg.tensor_level entry=1 present scale_kind=f32 rule=amax_to_max "
       "scale_entry=7\n"
       "load dst=acc format=1 td=0 size_z=1 size_y=1 size_x=1",
       "instruction #1 (load): format entry 1's tensor-level scale_entry, ACC "
       "entry 7, does not hold a value"},
      // Groups of 8 lanes, blocks of 4 elements: a group gets two blocks.
      {"cfg.block_level entry=1 present scale_kind=pow2 scale_bits=8 "
       "scale_bias=127 scale_nan block_z=1 block_y=1 block_x=4\n"
       "load dst=sp_input format=1 td=0 size_z=1 size_y=1 size_x=8",
       "instruction #1 (load): scale group 0 of SP_IN row 0 receives elements "
       "of blocks (0, 0, 0) and (0, 0, 1)"},
      {"cfg.td_chip td=0\n"
       "load dst=acc td=0 layout=raw32 size_z=255 size_y=65535 size_x=65535",
       "instruction #1 (load): 1095183237375 positions exceed the functional "
       "model's limit of 4194304 per instruction"},
  });
  // A stats-only pass needs no tensor scale yet (select_scale computes it
  // from what the pass gathers).
  EXPECT_EQ(errorOf("cfg.tensor_level entry=1 present scale_kind=f32 "
                    "rule=amax_to_max scale_entry=7\n"
                    "load dst=none format=1 td=0 stats_mask=1 size_z=1 "
                    "size_y=1 size_x=1"),
            "");
}

TEST(AccelSimErrors, Store) {
  checkErrors({
      {"cfg.td_chip td=0 chip_stride_x=1 pad_y_lo=1\n"
       "store format=0 td=0 size_z=1 size_y=2 size_x=1",
       "instruction #1 (store): a store's transfer descriptor 0 has padding, "
       "which only a load has"},
      {"store format=0 td=0 size_z=1 size_y=1 size_x=1",
       "instruction #0 (store): reads ACC entry 0, which is empty"},
      {"store format=0 td=0 acc_entry=4095 size_z=1 size_y=1 size_x=2",
       "instruction #0 (store): ACC entry 4096 is outside the ACC (4096 "
       "entries)"},
      {"store format=0 td=0 layout=raw32 stats_mask=2 size_z=1 size_y=1 "
       "size_x=1",
       "instruction #0 (store): statistics need a format, which layout raw32 "
       "does not read (stats_mask=2)"},
      // A GEMM's accumulation state is not a value.
      {"load dst=sp_input format=0 td=0 size_z=1 size_y=1 size_x=1\n"
       "load push_next dst=sp_weight format=0 td=0 size_z=1 size_y=1 "
       "size_x=1\n"
       "gemm pop_prev push_next format_a=0 format_b=0 accum=0 mode=f32 init "
       "a_rows_per_vector=1 b_rows_per_vector=1 m=1 n=1 k=1\n"
       "store pop_prev format=0 td=0 size_z=1 size_y=1 size_x=1",
       "instruction #3 (store): reads ACC entry 0, which holds a GEMM "
       "accumulation not finished"},
  });
}

/// Loads one f32 into SP_IN and SP_WGT row 0 with format 0 (the last with
/// push_next); the gemm that follows pops it.
const char *const kOperands =
    "load dst=sp_input format=0 td=0 size_z=1 size_y=1 size_x=1\n"
    "load push_next dst=sp_weight format=0 td=0 size_z=1 size_y=1 size_x=1\n";

TEST(AccelSimErrors, Gemm) {
  std::string ops = kOperands;
  checkErrors({
      {(ops + "gemm pop_prev format_a=0 format_b=0 accum=0 mode=f32 init "
              "finish a_rows_per_vector=1 b_rows_per_vector=1 m=1 n=1 k=17")
           .c_str(),
       "instruction #2 (gemm): k = 17 exceeds the 16 slots of A's K-vectors "
       "(1 rows of 16 lanes of format entry 0)"},
      {(ops + "gemm pop_prev format_a=0 format_b=0 accum=0 mode=m16 init "
              "finish a_rows_per_vector=1 b_rows_per_vector=1 m=1 n=1 k=1")
           .c_str(),
       "instruction #2 (gemm): mode m16 is narrower than A's format entry 0 "
       "(a 24-bit significand needs f32)"},
      {(ops + "gemm pop_prev format_a=0 format_b=0 accum=0 mode=f32 init "
              "finish a_rows_per_vector=1 b_rows_per_vector=1 m=1 n=1 k=2")
           .c_str(),
       "instruction #2 (gemm): reads SP_IN row 0 lane 1 (A), which is "
       "invalid"},
      {(ops + "gemm pop_prev format_a=0 format_b=0 accum=0 mode=f32 init "
              "finish a_row=4095 a_rows_per_vector=1 b_rows_per_vector=1 m=2 "
              "n=1 k=1")
           .c_str(),
       "instruction #2 (gemm): A's K-vectors reach SP_IN row 4096, outside "
       "the scratchpad (4096 rows)"},
      {(ops + "gemm pop_prev format_a=0 format_b=0 accum=0 mode=f32 init "
              "finish a_rows_per_vector=1 b_rows_per_vector=1 acc_entry=4095 "
              "m=1 n=2 k=1")
           .c_str(),
       "instruction #2 (gemm): outputs reach ACC entry 4096, outside the ACC "
       "(4096 entries)"},
      // Rewriting the format entry makes the loaded rows stale.
      {(ops + "cfg.tensor_level entry=0\n"
              "gemm pop_prev format_a=0 format_b=0 accum=0 mode=f32 init "
              "finish a_rows_per_vector=1 b_rows_per_vector=1 m=1 n=1 k=1")
           .c_str(),
       "instruction #3 (gemm): reads SP_IN row 0 (A), whose format tag 48 is "
       "not format entry 0 at version 4 (tag 64)"},
      {(ops + "gemm pop_prev format_a=0 format_b=0 accum=0 mode=f32 "
              "a_rows_per_vector=1 b_rows_per_vector=1 m=1 n=1 k=1")
           .c_str(),
       "instruction #2 (gemm): ACC entry 0 is empty, not an accumulation "
       "under entry 0 at version 2 (no init)"},
      {(ops + "gemm pop_prev format_a=0 format_b=0 accum=0 mode=f32 init "
              "a_rows_per_vector=1 b_rows_per_vector=1 m=1 n=1 k=1\n"
              "cfg.accum_grouping entry=0\n"
              "gemm format_a=0 format_b=0 accum=0 mode=f32 finish "
              "a_rows_per_vector=1 b_rows_per_vector=1 m=1 n=1 k=1")
           .c_str(),
       "instruction #4 (gemm): ACC entry 0 accumulates under accumulation "
       "entry 0 at version 2, not an accumulation under entry 0 at version 3 "
       "(no init)"},
      {(ops + "cfg.accum entry=1 grouping=efficient_dga acc_exponent_bits=5 "
              "acc_mantissa_bits=6 acc_bias=15 acc_subnormals "
              "acc_overflow=inf\n"
              "cfg.accum_grouping entry=1 shared t0=f64:1.0\n"
              "gemm pop_prev format_a=0 format_b=0 accum=1 mode=f32 init "
              "threshold_reg=1 a_rows_per_vector=1 b_rows_per_vector=1 m=1 "
              "n=1 k=1\n"
              "gemm format_a=0 format_b=0 accum=1 mode=f32 finish "
              "threshold_reg=2 a_rows_per_vector=1 b_rows_per_vector=1 m=1 "
              "n=1 k=1")
           .c_str(),
       "instruction #5 (gemm): STH[2] was never set by a GEMM, not of entry 1 "
       "at version 2"},
  });
}

TEST(AccelSimErrors, Registers) {
  checkErrors({
      {"reg.load regfile=stats reg=4 part=median_histogram from_dram",
       "instruction #0 (reg.load): statistics register 4 is above 3"},
      {"reg.load regfile=stats reg=1 from_dram",
       "instruction #0 (reg.load): a statistics register is loaded one "
       "histogram at a time (part must be exponent_histogram or "
       "median_histogram)"},
      {"reg.load regfile=stats reg=1 part=exponent_histogram",
       "instruction #0 (reg.load): a statistics register is loaded from DRAM "
       "(from_dram must be set)"},
      {"reg.load regfile=stats reg=1 part=exponent_histogram from_dram "
       "imm=1",
       "instruction #0 (reg.load): imm must be 0 for a statistics register"},
      {"reg.load regfile=seed reg=1 part=exponent_histogram",
       "instruction #0 (reg.load): a seed register has no histogram part "
       "(part must be none)"},
      {"reg.load regfile=seed reg=1 from_dram dram_addr=0xfffffc",
       "instruction #0 (reg.load): 8 bytes at 0xfffffc are outside DRAM "
       "(0x1000000 bytes)"},
      {"reg.store regfile=stats reg=1 part=median_histogram "
       "dram_addr=0xfff000",
       "instruction #0 (reg.store): 4456 bytes at 0xfff000 are outside DRAM "
       "(0x1000000 bytes)"},
  });
}

TEST(AccelSimErrors, Tokens) {
  checkErrors({
      {"load pop_next dst=acc td=0 size_z=1 size_y=1 size_x=1",
       "instruction #0 (load): waits for a token from the compute queue that "
       "no earlier instruction pushed"},
      {"vector pop_prev op=nop",
       "instruction #0 (vector): waits for a token from the load queue that "
       "no earlier instruction pushed"},
      {"vector pop_next op=nop",
       "instruction #0 (vector): waits for a token from the store queue that "
       "no earlier instruction pushed"},
      {"store pop_prev layout=raw32 td=0 size_z=1 size_y=1 size_x=1",
       "instruction #0 (store): waits for a token from the compute queue that "
       "no earlier instruction pushed"},
      // A pop after the push in program order is fine; a push that is never
      // popped is left at finish.
      {"vector push_next op=nop\nvector push_prev op=nop\n"
       "reg.store pop_prev regfile=stats part=median_histogram",
       "instruction #3 (finish): a token pushed by instruction #1 (vector) "
       "is left in the compute-to-load token FIFO"},
  });
  MachineDescription shallow = smallMachine();
  shallow.queues.tokenDepth = 2;
  checkErrors({{"vector push_next op=nop\nvector push_next op=nop\n"
                "vector push_next op=nop",
                "instruction #2 (vector): the compute-to-store token FIFO "
                "would exceed its depth of 2"}},
              shallow);
  // Within the depth, and popped: fine.
  EXPECT_EQ(errorOf("vector push_next op=nop\nvector push_next op=nop\n"
                    "reg.store pop_prev regfile=stats part=median_histogram\n"
                    "reg.store pop_prev regfile=stats part=median_histogram "
                    "dram_addr=0x2000",
                    shallow),
            "");
}

TEST(AccelSimErrors, Races) {
  std::string ops = kOperands;
  checkErrors({
      // The GEMM reads what a LOAD wrote without a token from it.
      {"load dst=sp_input format=0 td=0 size_z=1 size_y=1 size_x=1\n"
       "load dst=sp_weight format=0 td=0 size_z=1 size_y=1 size_x=1\n"
       "gemm format_a=0 format_b=0 accum=0 mode=f32 init finish "
       "a_rows_per_vector=1 b_rows_per_vector=1 m=1 n=1 k=1",
       "instruction #2 (gemm): reads SP_IN row 0, which instruction #0 (load) "
       "writes, and no token orders them"},
      // A later LOAD overwrites the row the GEMM read, without its token.
      {(ops + "gemm pop_prev format_a=0 format_b=0 accum=0 mode=f32 init "
              "finish a_rows_per_vector=1 b_rows_per_vector=1 m=1 n=1 k=1\n"
              "load dst=sp_input format=0 td=0 size_z=1 size_y=1 size_x=1")
           .c_str(),
       "instruction #3 (load): writes SP_IN row 0, which instruction #2 "
       "(gemm) reads, and no token orders them"},
      // ... with it, fine; then the STORE reads the ACC without a token.
      {(ops + "gemm pop_prev push_prev format_a=0 format_b=0 accum=0 mode=f32 "
              "init finish a_rows_per_vector=1 b_rows_per_vector=1 m=1 n=1 "
              "k=1\n"
              "load pop_next dst=sp_input format=0 td=0 size_z=1 size_y=1 "
              "size_x=1\n"
              "store format=0 td=0 size_z=1 size_y=1 size_x=1")
           .c_str(),
       "instruction #4 (store): reads ACC entry 0, which instruction #2 "
       "(gemm) writes, and no token orders them"},
      // DRAM: a STORE's words and a later LOAD of them.
      {"load push_next dst=acc td=0 layout=raw32 size_z=1 size_y=1 size_x=1\n"
       "vector pop_prev push_next op=nop\n"
       "store pop_prev format=0 td=0 dram_addr=0x100 size_z=1 size_y=1 "
       "size_x=1\n"
       "load dst=acc td=0 dram_addr=0x100 chip_row=1 size_z=1 size_y=1 "
       "size_x=1",
       "instruction #3 (load): reads DRAM word 0x100, which instruction #2 "
       "(store) writes, and no token orders them"},
      // Statistics registers are data registers too.
      {"load dst=none format=0 td=0 stats_mask=1 stats_reg=1 size_z=1 "
       "size_y=1 size_x=1\n"
       "reg.store regfile=stats reg=1 part=median_histogram",
       "instruction #1 (reg.store): reads SR[1], which instruction #0 (load) "
       "writes, and no token orders them"},
  });
}

TEST(AccelSimErrors, ProgramShape) {
  std::unique_ptr<Simulator> sim = makeSim();
  EXPECT_EQ(toString(sim->run({})), "the stream is empty: no finish");
  sim = makeSim();
  std::vector<qtrain::accel::Instruction> p =
      cantFail(qtrain::accel::parseAssembly("cfg.rounding entry=0"));
  EXPECT_EQ(toString(sim->run(p)),
            "the stream ends after instruction 0 without finish");
  sim = makeSim();
  ASSERT_EQ(runProgram(*sim, ""), "");
  EXPECT_EQ(runProgram(*sim, ""), "a simulator runs one program");
}

} // namespace
