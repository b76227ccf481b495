//===- ISATest.cpp - Tables, encoding and decoding of instruction words ---===//

#include "ISATestUtils.h"

#include "llvm/ADT/APInt.h"
#include "llvm/Support/Error.h"

#include "gtest/gtest.h"

#include <set>

using namespace llvm;
using namespace qtrain::accel;
using namespace qtrain::accel::test;

namespace {

template <typename T> std::string errorText(Expected<T> value) {
  if (value)
    return "(no error)";
  return toString(value.takeError());
}

std::vector<uint8_t> bytesOf(std::initializer_list<Instruction> insts) {
  return encodeStream(std::vector<Instruction>(insts));
}

Word wordOf(const APInt &bits) {
  Word word;
  for (unsigned i = 0; i < kWordBytes; ++i)
    word[i] = bits.extractBitsAsZExtValue(8, 8 * i);
  return word;
}

/// The word of `inst`, built bit by bit with APInt from the table (a second
/// implementation to hold encode() against).
Word referenceWord(const Instruction &inst) {
  APInt bits(kWordBits, 0);
  ArrayRef<FieldInfo> fields = inst.info().fields;
  for (unsigned i = 0; i < fields.size(); ++i) {
    const FieldInfo &f = fields[i];
    if (f.kind == FieldKind::Reserved)
      continue;
    bits.insertBits(APInt(64, inst.get(i)).trunc(f.width), f.low);
  }
  return wordOf(bits);
}

//===----------------------------------------------------------------------===//
// The .def itself
//===----------------------------------------------------------------------===//

TEST(AccelTables, FieldsTileTheWordAndRangesFitTheirWidths) {
  for (const InstructionInfo &info : getInstructions()) {
    SCOPED_TRACE(info.mnemonic.str());
    unsigned next = 0;
    std::set<StringRef> names;
    bool sawForm = false;
    for (const FieldInfo &f : info.fields) {
      SCOPED_TRACE(f.name.str());
      EXPECT_EQ(f.low, next) << "gap or overlap";
      EXPECT_GT(f.width, 0u);
      next = f.low + f.width;
      EXPECT_TRUE(names.insert(f.name).second) << "duplicated field";
      EXPECT_LE(f.min, f.max);
      if (f.kind != FieldKind::Reserved) {
        EXPECT_LE(f.width, 64u) << "only reserved fields may exceed 64 bits";
      }
      if (f.kind != FieldKind::Enum) {
        EXPECT_EQ(f.enumName, "None");
      }
      switch (f.kind) {
      case FieldKind::Opcode:
        EXPECT_EQ(f.low, kOpcodeLow);
        EXPECT_EQ(f.width, kOpcodeWidth);
        EXPECT_EQ(f.min, f.max);
        EXPECT_EQ(f.min, info.opcode);
        break;
      case FieldKind::Form:
        sawForm = true;
        EXPECT_EQ(f.low, kFormLow);
        EXPECT_EQ(f.width, kFormWidth);
        EXPECT_EQ(f.min, f.max);
        EXPECT_EQ(f.min, info.form);
        break;
      case FieldKind::Flag:
        EXPECT_EQ(f.width, 1u);
        EXPECT_GE(f.min, 0);
        EXPECT_LE(f.max, 1);
        break;
      case FieldKind::UInt:
        EXPECT_GE(f.min, 0);
        EXPECT_TRUE(f.width >= 63 || f.max < (int64_t(1) << f.width));
        break;
      case FieldKind::SInt:
        EXPECT_GE(f.min, -(int64_t(1) << (f.width - 1)));
        EXPECT_LT(f.max, int64_t(1) << (f.width - 1));
        break;
      case FieldKind::Enum:
        // Every legal value has a case, so every legal value prints.
        EXPECT_FALSE(getEnumCases(f.enumName).empty()) << f.enumName.str();
        for (int64_t v = f.min; v <= f.max; ++v)
          EXPECT_NE(lookupEnumCase(f.enumName, static_cast<uint64_t>(v)),
                    nullptr)
              << v;
        EXPECT_LT(f.max, int64_t(1) << f.width);
        break;
      case FieldKind::Bits:
      case FieldKind::Reserved:
        EXPECT_EQ(f.min, 0);
        EXPECT_EQ(f.max, 0);
        break;
      }
    }
    EXPECT_EQ(next, kWordBits) << "the fields do not end at the word's end";
    EXPECT_EQ(sawForm, info.form >= 0);
    ASSERT_FALSE(info.fields.empty());
    EXPECT_EQ(info.fields.front().kind, FieldKind::Opcode);
    EXPECT_NE(lookupOpcode(info.opcode), nullptr);
  }
}

TEST(AccelTables, EnumCasesAreConsecutiveIncreasingAndUniquelyNamed) {
  std::set<StringRef> enums;
  ArrayRef<EnumCaseInfo> cases = getEnumCases();
  for (size_t i = 0; i < cases.size(); ++i) {
    StringRef name = cases[i].enumName;
    if (i > 0 && cases[i - 1].enumName == name)
      continue;
    EXPECT_TRUE(enums.insert(name).second) << name.str() << " is split";
    std::set<StringRef> texts;
    ArrayRef<EnumCaseInfo> mine = getEnumCases(name);
    for (size_t j = 0; j < mine.size(); ++j) {
      EXPECT_TRUE(texts.insert(mine[j].text).second) << mine[j].text.str();
      if (j > 0) {
        EXPECT_LT(mine[j - 1].value, mine[j].value) << name.str();
      }
    }
  }
}

TEST(AccelTables, Lookups) {
  EXPECT_EQ(lookupMnemonic("gemm"), InstructionKind::Gemm);
  EXPECT_EQ(lookupMnemonic("cfg.td_chip"), InstructionKind::ConfigTransferChip);
  EXPECT_EQ(lookupMnemonic("GEMM"), std::nullopt);
  EXPECT_EQ(lookupEncoding(0x1, 3), InstructionKind::ConfigRounding);
  EXPECT_EQ(lookupEncoding(0x1, 7), std::nullopt);
  EXPECT_EQ(lookupEncoding(0x5, 9), InstructionKind::Gemm); // no forms
  EXPECT_EQ(lookupEncoding(0x9, 0), std::nullopt);
  EXPECT_TRUE(hasForms(0x2));
  EXPECT_FALSE(hasForms(0x3));
  EXPECT_EQ(static_cast<unsigned>(Opcode::Finish), 0xFu);
  EXPECT_EQ(getQueueInfo(Queue::Compute).text, "compute");
  EXPECT_EQ(GemmMode::M8, 1u);
  EXPECT_EQ(lookupEnumCase("VectorOp", "select_scale")->value,
            VectorOp::SelectScale);
  EXPECT_EQ(lookupEnumCase("Overflow", uint64_t(2))->text, "nan");
  EXPECT_EQ(lookupField(InstructionKind::Gemm, "k"), 19u);
  EXPECT_EQ(lookupField(InstructionKind::Gemm, "kk"), std::nullopt);
  for (const InstructionInfo &info : getInstructions())
    EXPECT_LE(info.fields.size(), kMaxFields);
  EXPECT_EQ(Instruction(), Instruction::make(InstructionKind::Finish));
  EXPECT_EQ(Instruction().get("opcode"), 0xFu);
}

//===----------------------------------------------------------------------===//
// Encoding and decoding
//===----------------------------------------------------------------------===//

TEST(AccelEncoding, EveryFieldAtItsBoundsAndARandomValue) {
  std::mt19937_64 rng(10);
  for (const InstructionInfo &info : getInstructions()) {
    for (unsigned i = 0; i < info.fields.size(); ++i) {
      const FieldInfo &f = info.fields[i];
      if (!f.isWritten())
        continue;
      for (uint64_t value :
           {boundValue(f, false), boundValue(f, true), randomValue(f, rng)}) {
        SCOPED_TRACE(info.mnemonic.str() + " " + f.name.str() + "=" +
                     std::to_string(value));
        Instruction inst = minimalInstruction(info.kind);
        inst.set(i, value);
        Word word = encode(inst);
        EXPECT_EQ(word, referenceWord(inst));
        Expected<Instruction> back = decodeWord(word, 0);
        ASSERT_TRUE(bool(back)) << toString(back.takeError());
        EXPECT_EQ(*back, inst);
        EXPECT_EQ(back->get(i), value);
      }
    }
  }
}

TEST(AccelEncoding, RandomLegalInstructionsRoundTrip) {
  std::mt19937_64 rng(2024);
  ArrayRef<InstructionInfo> infos = getInstructions();
  for (int n = 0; n < 20000; ++n) {
    const InstructionInfo &info = infos[rng() % infos.size()];
    Instruction inst = randomInstruction(info.kind, rng);
    ASSERT_FALSE(bool(verifyFields(inst)));
    Word word = encode(inst);
    ASSERT_EQ(word, referenceWord(inst)) << printInstruction(inst);
    Expected<Instruction> back = decodeWord(word, n);
    ASSERT_TRUE(bool(back)) << toString(back.takeError());
    ASSERT_EQ(*back, inst) << printInstruction(inst);
    ASSERT_EQ(encode(*back), word);
  }
}

TEST(AccelEncoding, FieldsStraddlingBit64) {
  // cfg.stream index_stride_z is bits [56, 80).
  Instruction inst = minimalInstruction(InstructionKind::ConfigStream);
  inst.set("index_stride_z", 0xABCDEF);
  Word word = encode(inst);
  EXPECT_EQ(word[7], 0xEF);
  EXPECT_EQ(word[8], 0xCD);
  EXPECT_EQ(word[9], 0xAB);
  EXPECT_EQ(word[0], 0x02); // opcode CONFIG_REG
  EXPECT_EQ(word[1], 0x03); // form 3
}

TEST(AccelEncoding, SignedFieldsSignExtend) {
  Instruction inst = minimalInstruction(InstructionKind::ConfigTransferDram);
  inst.set("dram_stride_y", static_cast<uint64_t>(int64_t(-5)));
  Expected<Instruction> back = decodeWord(encode(inst), 0);
  ASSERT_TRUE(bool(back));
  EXPECT_EQ(back->getSigned("dram_stride_y"), -5);
}

TEST(AccelEncoding, StreamRoundTrip) {
  std::mt19937_64 rng(7);
  std::vector<Instruction> program;
  for (int n = 0; n < 100; ++n) {
    const InstructionInfo &info =
        getInstructions()[rng() % getInstructions().size()];
    if (info.kind != InstructionKind::Finish)
      program.push_back(randomInstruction(info.kind, rng));
  }
  program.push_back(Instruction::make(InstructionKind::Finish));
  std::vector<uint8_t> bytes = encodeStream(program);
  ASSERT_EQ(bytes.size(), program.size() * kWordBytes);
  EXPECT_EQ(bytes.back(), 0);
  EXPECT_EQ(bytes[bytes.size() - kWordBytes], 0x0F); // finish
  Expected<std::vector<Instruction>> back = decodeStream(bytes);
  ASSERT_TRUE(bool(back)) << toString(back.takeError());
  EXPECT_EQ(*back, program);
}

//===----------------------------------------------------------------------===//
// Every decoding error
//===----------------------------------------------------------------------===//

Word wordWith(InstructionKind kind, StringRef field, uint64_t value) {
  Instruction inst = minimalInstruction(kind);
  inst.set(field, value);
  return encode(inst);
}

TEST(AccelDecodeErrors, Truncated) {
  std::vector<uint8_t> bytes =
      bytesOf({minimalInstruction(InstructionKind::Gemm)});
  bytes.resize(bytes.size() + 5, 0);
  EXPECT_EQ(errorText(decodeStream(bytes)),
            "instruction 1 is truncated: 5 of 16 bytes");
  EXPECT_EQ(errorText(decodeStream(ArrayRef<uint8_t>(bytes).take_front(15))),
            "instruction 0 is truncated: 15 of 16 bytes");
}

TEST(AccelDecodeErrors, UnknownOpcode) {
  Word zero{};
  EXPECT_EQ(errorText(decodeWord(zero, 3)),
            "instruction 3: unknown opcode 0x0");
  Word word{};
  word[0] = 0x0C;
  EXPECT_EQ(errorText(decodeWord(word, 0)),
            "instruction 0: unknown opcode 0xC");
}

TEST(AccelDecodeErrors, UnknownForm) {
  Word word{};
  word[0] = 0x01;
  word[1] = 0x07;
  EXPECT_EQ(errorText(decodeWord(word, 2)),
            "instruction 2: unknown form 7 of opcode 0x1");
  word[0] = 0x02;
  word[1] = 0x0F;
  EXPECT_EQ(errorText(decodeWord(word, 2)),
            "instruction 2: unknown form 15 of opcode 0x2");
}

TEST(AccelDecodeErrors, FieldOutOfRange) {
  EXPECT_EQ(errorText(decodeWord(wordWith(InstructionKind::Gemm, "m", 0), 4)),
            "instruction 4 (gemm): field 'm' is 0, legal 1..4095");
  EXPECT_EQ(
      errorText(decodeWord(wordWith(InstructionKind::Vector, "op", 63), 0)),
      "instruction 0 (vector): field 'op' is 63, legal 0..29");
  EXPECT_EQ(errorText(decodeWord(wordWith(InstructionKind::ConfigElement,
                                          "int_fraction_bits",
                                          static_cast<uint64_t>(int64_t(-100))),
                                 1)),
            "instruction 1 (cfg.element): field 'int_fraction_bits' is -100, "
            "legal -64..64");
  EXPECT_EQ(
      errorText(decodeWord(wordWith(InstructionKind::Load, "pop_prev", 1), 0)),
      "instruction 0 (load): field 'pop_prev' is 1, legal 0");
  EXPECT_EQ(
      errorText(decodeWord(
          wordWith(InstructionKind::ConfigRounding, "lfsr_lanes", 5000), 0)),
      "instruction 0 (cfg.rounding): field 'lfsr_lanes' is 5000, legal "
      "0..4096");
}

TEST(AccelDecodeErrors, ReservedNotZero) {
  Word word = encode(Instruction::make(InstructionKind::Finish));
  word[15] = 0x80; // bit 127
  EXPECT_EQ(errorText(decodeWord(word, 9)),
            "instruction 9 (finish): reserved field 'reserved0' is not zero");
  // cfg.element reserved2 is [65, 128): set bit 65.
  word = encode(minimalInstruction(InstructionKind::ConfigElement));
  word[8] |= 0x02;
  EXPECT_EQ(errorText(decodeWord(word, 0)),
            "instruction 0 (cfg.element): reserved field 'reserved2' is not "
            "zero");
  // The first bad field in table order is named.
  word = encode(minimalInstruction(InstructionKind::ConfigElement));
  word[0] |= 0x10; // reserved0
  word[8] |= 0x02; // reserved2
  EXPECT_EQ(errorText(decodeWord(word, 0)),
            "instruction 0 (cfg.element): reserved field 'reserved0' is not "
            "zero");
}

TEST(AccelDecodeErrors, MissingFinish) {
  EXPECT_EQ(errorText(decodeStream(
                bytesOf({minimalInstruction(InstructionKind::Gemm),
                         minimalInstruction(InstructionKind::Vector)}))),
            "the stream ends after instruction 1 without finish");
  EXPECT_EQ(errorText(decodeStream({})), "the stream is empty: no finish");
}

TEST(AccelDecodeErrors, InstructionAfterFinish) {
  EXPECT_EQ(errorText(decodeStream(
                bytesOf({Instruction::make(InstructionKind::Finish),
                         minimalInstruction(InstructionKind::Load)}))),
            "instruction 1 (load): follows finish (instruction 0)");
}

TEST(AccelDecodeErrors, FirstErrorInProgramOrder) {
  std::vector<uint8_t> bytes =
      bytesOf({minimalInstruction(InstructionKind::Gemm)});
  Word bad = wordWith(InstructionKind::Gemm, "k", 0);
  bytes.insert(bytes.end(), bad.begin(), bad.end());
  bytes.push_back(0); // also truncated, later
  EXPECT_EQ(errorText(decodeStream(bytes)),
            "instruction 1 (gemm): field 'k' is 0, legal 1..65535");
}

TEST(AccelDecodeErrors, EveryByteCorruptionIsAnErrorOrALegalInstruction) {
  // Decoding never crashes: flip random bits of random legal words.
  std::mt19937_64 rng(99);
  for (int n = 0; n < 20000; ++n) {
    const InstructionInfo &info =
        getInstructions()[rng() % getInstructions().size()];
    Word word = encode(randomInstruction(info.kind, rng));
    word[rng() % kWordBytes] ^= static_cast<uint8_t>(1u << (rng() % 8));
    Expected<Instruction> inst = decodeWord(word, n);
    if (!inst) {
      std::string message = toString(inst.takeError());
      EXPECT_EQ(message.rfind("instruction " + std::to_string(n), 0), 0u);
      continue;
    }
    EXPECT_EQ(encode(*inst), word);
  }
}

TEST(AccelDecodeErrors, RandomBytesAreDecodedOrRejected) {
  std::mt19937_64 rng(123);
  for (int n = 0; n < 2000; ++n) {
    std::vector<uint8_t> bytes(rng() % 80);
    for (uint8_t &b : bytes)
      b = static_cast<uint8_t>(rng());
    // Mostly valid opcodes, so that decoding gets past the first check.
    for (size_t i = 0; i < bytes.size(); i += kWordBytes)
      bytes[i] = (bytes[i] & 0xF0) | (rng() % 9);
    Expected<std::vector<Instruction>> insts = decodeStream(bytes);
    if (!insts) {
      std::string message = toString(insts.takeError());
      EXPECT_TRUE(message.rfind("instruction ", 0) == 0 ||
                  message.rfind("the stream ", 0) == 0)
          << message;
      continue;
    }
    EXPECT_EQ(encodeStream(*insts), bytes);
  }
}

} // namespace
