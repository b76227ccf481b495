//===- Encoding.cpp - Instruction words to and from instructions ----------===//
//
// Fields are extracted from and inserted into the whole 128-bit word (held
// as two 64-bit halves), so a field may straddle bit 64. The decoding errors
// and their wording are docs/Accelerator.md's ("Words and decoding",
// "Errors").
//
//===----------------------------------------------------------------------===//

#include "qtrain/Accel/ISA.h"

#include "llvm/ADT/Twine.h"
#include "llvm/Support/Format.h"

using namespace llvm;

namespace qtrain::accel {
namespace {

/// A 128-bit word: bit i is bit i % 64 of half[i / 64].
struct Bits128 {
  uint64_t half[2] = {0, 0};

  static Bits128 fromBytes(const Word &word) {
    Bits128 b;
    for (unsigned i = 0; i < kWordBytes; ++i)
      b.half[i / 8] |= static_cast<uint64_t>(word[i]) << (8 * (i % 8));
    return b;
  }

  Word toBytes() const {
    Word word;
    for (unsigned i = 0; i < kWordBytes; ++i)
      word[i] = static_cast<uint8_t>(half[i / 8] >> (8 * (i % 8)));
    return word;
  }

  bool bit(unsigned i) const { return (half[i / 64] >> (i % 64)) & 1; }

  /// Bits [low, low + width) with width <= 64, bit `low` the least
  /// significant.
  uint64_t extract(unsigned low, unsigned width) const {
    uint64_t v = 0;
    for (unsigned i = 0; i < width; ++i)
      v |= static_cast<uint64_t>(bit(low + i)) << i;
    return v;
  }

  void insert(unsigned low, unsigned width, uint64_t value) {
    for (unsigned i = 0; i < width; ++i) {
      unsigned pos = low + i;
      uint64_t mask = uint64_t(1) << (pos % 64);
      if ((value >> i) & 1)
        half[pos / 64] |= mask;
      else
        half[pos / 64] &= ~mask;
    }
  }

  bool isZero(unsigned low, unsigned width) const {
    for (unsigned i = 0; i < width; ++i)
      if (bit(low + i))
        return false;
    return true;
  }
};

/// The stored value of a field's raw bits (sign-extended for SInt).
uint64_t fromRaw(const FieldInfo &f, uint64_t raw) {
  if (f.kind == FieldKind::SInt && f.width < 64 && f.width > 0 &&
      ((raw >> (f.width - 1)) & 1))
    return raw | (~uint64_t(0) << f.width);
  return raw;
}

std::string formatValue(const FieldInfo &f, uint64_t value) {
  if (f.kind == FieldKind::SInt)
    return std::to_string(static_cast<int64_t>(value));
  return std::to_string(value);
}

Error makeError(const Twine &message) {
  return createStringError(inconvertibleErrorCode(), message);
}

Error prefixed(size_t index, const InstructionInfo &info, Error err) {
  std::string message = toString(std::move(err));
  return makeError("instruction " + Twine(index) + " (" + info.mnemonic +
                   "): " + message);
}

std::string hexOpcode(unsigned opcode) {
  std::string s;
  raw_string_ostream os(s);
  os << "0x" << format_hex_no_prefix(opcode, 1, /*Upper=*/true);
  return s;
}

} // namespace

Word encode(const Instruction &inst) {
  Bits128 bits;
  ArrayRef<FieldInfo> fields = inst.info().fields;
  for (unsigned i = 0; i < fields.size(); ++i) {
    const FieldInfo &f = fields[i];
    if (f.kind == FieldKind::Reserved)
      continue;
    uint64_t value = f.kind == FieldKind::Opcode || f.kind == FieldKind::Form
                         ? static_cast<uint64_t>(f.min)
                         : inst.values[i];
    bits.insert(f.low, f.width, value);
  }
  return bits.toBytes();
}

Error verifyFields(const Instruction &inst) {
  ArrayRef<FieldInfo> fields = inst.info().fields;
  for (unsigned i = 0; i < fields.size(); ++i) {
    const FieldInfo &f = fields[i];
    uint64_t value = inst.values[i];
    if (f.kind == FieldKind::Reserved) {
      if (value != 0)
        return makeError("reserved field '" + f.name + "' is not zero");
      continue;
    }
    if (f.isLegal(value))
      continue;
    std::string legal =
        f.min == f.max ? std::to_string(f.min)
                       : std::to_string(f.min) + ".." + std::to_string(f.max);
    if (f.kind == FieldKind::Bits)
      legal = "any " + std::to_string(f.width) + "-bit pattern";
    return makeError("field '" + f.name + "' is " + formatValue(f, value) +
                     ", legal " + legal);
  }
  return Error::success();
}

Expected<Instruction> decodeWord(const Word &word, size_t index) {
  Bits128 bits = Bits128::fromBytes(word);
  unsigned opcode = bits.extract(kOpcodeLow, kOpcodeWidth);
  if (!lookupOpcode(opcode))
    return makeError("instruction " + Twine(index) + ": unknown opcode " +
                     hexOpcode(opcode));
  unsigned form = bits.extract(kFormLow, kFormWidth);
  std::optional<InstructionKind> kind = lookupEncoding(opcode, form);
  if (!kind)
    return makeError("instruction " + Twine(index) + ": unknown form " +
                     Twine(form) + " of opcode " + hexOpcode(opcode));

  Instruction inst = Instruction::make(*kind);
  ArrayRef<FieldInfo> fields = inst.info().fields;
  for (unsigned i = 0; i < fields.size(); ++i) {
    const FieldInfo &f = fields[i];
    if (f.kind == FieldKind::Reserved) {
      if (!bits.isZero(f.low, f.width))
        return prefixed(
            index, inst.info(),
            makeError("reserved field '" + f.name + "' is not zero"));
      continue;
    }
    // Only reserved fields are wider than 64 bits (a test checks the .def).
    inst.values[i] = fromRaw(f, bits.extract(f.low, std::min(f.width, 64u)));
  }
  if (Error err = verifyFields(inst))
    return prefixed(index, inst.info(), std::move(err));
  return inst;
}

Expected<std::vector<Instruction>> decodeStream(ArrayRef<uint8_t> bytes) {
  std::vector<Instruction> insts;
  std::optional<size_t> finishIndex;
  size_t count = (bytes.size() + kWordBytes - 1) / kWordBytes;
  for (size_t index = 0; index < count; ++index) {
    ArrayRef<uint8_t> rest = bytes.drop_front(index * kWordBytes);
    if (rest.size() < kWordBytes)
      return makeError("instruction " + Twine(index) +
                       " is truncated: " + Twine(rest.size()) + " of " +
                       Twine(kWordBytes) + " bytes");
    Word word;
    std::copy_n(rest.begin(), kWordBytes, word.begin());
    Expected<Instruction> inst = decodeWord(word, index);
    if (!inst)
      return inst.takeError();
    if (finishIndex)
      return makeError("instruction " + Twine(index) + " (" + inst->mnemonic() +
                       "): follows finish (instruction " + Twine(*finishIndex) +
                       ")");
    if (inst->kind == InstructionKind::Finish)
      finishIndex = index;
    insts.push_back(*inst);
  }
  if (!finishIndex) {
    if (insts.empty())
      return makeError("the stream is empty: no finish");
    return makeError("the stream ends after instruction " +
                     Twine(insts.size() - 1) + " without finish");
  }
  return insts;
}

std::vector<uint8_t> encodeStream(ArrayRef<Instruction> insts) {
  std::vector<uint8_t> bytes;
  bytes.reserve(insts.size() * kWordBytes);
  for (const Instruction &inst : insts) {
    Word word = encode(inst);
    bytes.insert(bytes.end(), word.begin(), word.end());
  }
  return bytes;
}

} // namespace qtrain::accel
