//===- AssemblyTest.cpp - The text assembly of instructions ---------------===//

#include "ISATestUtils.h"

#include "llvm/Support/Error.h"

#include "gtest/gtest.h"

using namespace llvm;
using namespace qtrain::accel;
using namespace qtrain::accel::test;

namespace {

Instruction parseOne(StringRef line) {
  Expected<std::vector<Instruction>> insts = parseAssembly(line);
  if (!insts) {
    ADD_FAILURE() << toString(insts.takeError());
    return Instruction();
  }
  EXPECT_EQ(insts->size(), 1u);
  return insts->empty() ? Instruction() : insts->front();
}

std::string parseError(StringRef text) {
  Expected<std::vector<Instruction>> insts = parseAssembly(text);
  if (insts)
    return "(no error)";
  return toString(insts.takeError());
}

/// The first line of a rendered diagnostic (the rest is the source line and
/// the caret).
std::string firstLine(const std::string &text) {
  return text.substr(0, text.find('\n'));
}

TEST(AccelAssembly, DisassembleThenAssembleIsIdentity) {
  std::mt19937_64 rng(11);
  for (int n = 0; n < 20000; ++n) {
    const InstructionInfo &info =
        getInstructions()[rng() % getInstructions().size()];
    Instruction inst = randomInstruction(info.kind, rng);
    std::string text = printInstruction(inst);
    Expected<std::vector<Instruction>> back = parseAssembly(text);
    ASSERT_TRUE(bool(back)) << text << "\n" << toString(back.takeError());
    ASSERT_EQ(back->size(), 1u);
    ASSERT_EQ(back->front(), inst) << text;
    ASSERT_EQ(printInstruction(back->front()), text);
  }
}

TEST(AccelAssembly, CanonicalForm) {
  // Any order, hexadecimal, omitted fields zero, comments: printed in table
  // order, decimal, every field but clear flags.
  Instruction inst =
      parseOne("gemm k=0x100 m=32 n=32  init pop_prev a_rows_per_vector=4 "
               "b_rows_per_vector=8\tmode=m4 # a comment");
  EXPECT_EQ(printInstruction(inst),
            "gemm pop_prev format_a=0 format_b=0 accum=0 mode=m4 init "
            "threshold_reg=0 a_row=0 a_rows_per_vector=4 b_row=0 "
            "b_rows_per_vector=8 acc_entry=0 m=32 n=32 k=256");
  EXPECT_EQ(printInstruction(parseOne("finish")), "finish");
  EXPECT_EQ(printInstruction(
                parseOne("cfg.td_dram td=1 dram_stride_z=-0x10 "
                         "dram_stride_y=-2147483648 dram_stride_x=2147483647")),
            "cfg.td_dram td=1 dram_stride_z=-16 dram_stride_y=-2147483648 "
            "dram_stride_x=2147483647");
}

TEST(AccelAssembly, BitsFields) {
  Instruction v = parseOne("vector op=fill imm=f32:0.5");
  EXPECT_EQ(v.get("imm"), 0x3F000000u);
  EXPECT_EQ(printInstruction(v).substr(printInstruction(v).rfind(' ') + 1),
            "imm=0x3f000000");
  EXPECT_EQ(parseOne("vector imm=-1").get("imm"), 0xFFFFFFFFu);
  EXPECT_EQ(parseOne("vector imm=0xFFFFFFFF").get("imm"), 0xFFFFFFFFu);
  EXPECT_EQ(parseOne("vector imm=f32:-inf").get("imm"), 0xFF800000u);
  Instruction g = parseOne("cfg.accum_grouping t0=f64:1.0");
  EXPECT_EQ(g.get("t0"), 0x3FF0000000000000u);
  EXPECT_NE(printInstruction(g).find("t0=0x3ff0000000000000"),
            std::string::npos);
  EXPECT_EQ(parseOne("reg.load imm=0xFFFFFFFFFFFFFFFF").get("imm"),
            ~uint64_t(0));
  EXPECT_EQ(parseOne("reg.load imm=-9223372036854775808").get("imm"),
            uint64_t(1) << 63);
}

TEST(AccelAssembly, SeveralLinesAndBlankOnes) {
  Expected<std::vector<Instruction>> insts = parseAssembly(
      "# a program\n\ncfg.rounding entry=2 mode=stochastic\r\n  \t\n"
      "finish # done\n");
  ASSERT_TRUE(bool(insts)) << toString(insts.takeError());
  ASSERT_EQ(insts->size(), 2u);
  EXPECT_EQ((*insts)[0].kind, InstructionKind::ConfigRounding);
  EXPECT_EQ((*insts)[0].get("mode"), RoundingMode::Stochastic);
  EXPECT_EQ((*insts)[1].kind, InstructionKind::Finish);
}

TEST(AccelAssembly, ErrorsNameLineAndColumn) {
  std::string error = parseError("finish\n  lod dst=acc\n");
  EXPECT_EQ(error, "<buffer>:2:3: error: unknown mnemonic 'lod'\n"
                   "  lod dst=acc\n"
                   "  ^");
}

TEST(AccelAssembly, Errors) {
  auto check = [](StringRef text, StringRef expected) {
    EXPECT_EQ(firstLine(parseError(text)), expected.str()) << text.str();
  };
  const char *gemm = "gemm m=1 n=1 k=1 a_rows_per_vector=1 "
                     "b_rows_per_vector=1 ";
  check(std::string(gemm) + "mm=3",
        "<buffer>:1:58: error: 'gemm' has no field 'mm'");
  check(std::string(gemm) + "m=3",
        "<buffer>:1:58: error: field 'm' is given twice");
  check("gemm m=0", "<buffer>:1:8: error: field 'm' is 0, legal 1..4095");
  check("gemm m=4096", "<buffer>:1:8: error: field 'm' is 4096, legal 1..4095");
  check("gemm m=-1", "<buffer>:1:8: error: field 'm' is -1, legal 1..4095");
  check("gemm m=99999999999999999999",
        "<buffer>:1:8: error: field 'm' takes a decimal or 0x hexadecimal "
        "integer, not '99999999999999999999'");
  check("gemm m=1x", "<buffer>:1:8: error: field 'm' takes a decimal or 0x "
                     "hexadecimal integer, not '1x'");
  check("gemm m", "<buffer>:1:6: error: field 'm' needs a value");
  check("gemm m=", "<buffer>:1:6: error: field 'm' needs a value");
  check("gemm m=1 n=1 k=1 b_rows_per_vector=1",
        "<buffer>:1:1: error: field 'a_rows_per_vector' is 0 (left out), "
        "legal 1..255");
  check("gemm init=1", "<buffer>:1:6: error: flag 'init' takes no value: "
                       "write it to set it, leave it out to clear it");
  check("load pop_prev", "<buffer>:1:6: error: field 'pop_prev' is set, "
                         "legal 0");
  check("gemm mode=m32", "<buffer>:1:11: error: field 'mode' takes one of m4, "
                         "m8, m16, f32, not 'm32'");
  check("cfg.accum rounding=stochastic",
        "<buffer>:1:20: error: field 'rounding' is stochastic, legal "
        "nearest_even, toward_zero, nearest_away, up, down");
  check("finish reserved0=0",
        "<buffer>:1:8: error: field 'reserved0' is reserved (always zero)");
  check("cfg.view form=2", "<buffer>:1:10: error: field 'form' is set by the "
                           "mnemonic");
  check("gemm opcode=5", "<buffer>:1:6: error: field 'opcode' is set by the "
                         "mnemonic");
  check("cfg.element mf_bias=512",
        "<buffer>:1:21: error: field 'mf_bias' is 512, legal -512..511");
  check("vector imm=0x100000000",
        "<buffer>:1:12: error: field 'imm' is 0x100000000, legal any 32-bit "
        "pattern");
  check("vector imm=f64:1.0", "<buffer>:1:12: error: field 'imm' has 32 bits: "
                              "'f64:' does not fit it");
  check("vector imm=f32:one", "<buffer>:1:12: error: 'one' is not a number");
  check("vector imm=1.0", "<buffer>:1:12: error: field 'imm' takes an integer "
                          "or a typed float (f32:X, f64:X), not '1.0'");
}

TEST(AccelAssembly, RandomTextIsParsedOrRejected) {
  // Pieces of real lines, glued at random: every result is either a list of
  // legal instructions or an error naming the buffer, never a crash.
  std::mt19937_64 rng(5);
  std::vector<std::string> pieces = {" ",   "\n",   "\t",   "#", "=", "-",
                                     "0x",  "f32:", "f64:", "1", "0", "99",
                                     "inf", "nan",  "zz",   "\r"};
  for (const InstructionInfo &info : getInstructions()) {
    pieces.push_back(info.mnemonic.str());
    for (const FieldInfo &f : info.fields)
      pieces.push_back(f.name.str());
  }
  for (const EnumCaseInfo &c : getEnumCases())
    pieces.push_back(c.text.str());
  for (int n = 0; n < 20000; ++n) {
    std::string text;
    for (int i = rng() % 12; i > 0; --i)
      text += pieces[rng() % pieces.size()];
    Expected<std::vector<Instruction>> insts = parseAssembly(text);
    if (!insts) {
      EXPECT_EQ(toString(insts.takeError()).rfind("<buffer>:", 0), 0u);
      continue;
    }
    for (const Instruction &inst : *insts)
      EXPECT_FALSE(bool(verifyFields(inst))) << text;
  }
}

TEST(AccelAssembly, BufferName) {
  Expected<std::vector<Instruction>> insts = parseAssembly("\n\nnope", "a.s");
  ASSERT_FALSE(bool(insts));
  EXPECT_EQ(firstLine(toString(insts.takeError())),
            "a.s:3:1: error: unknown mnemonic 'nope'");
}

} // namespace
