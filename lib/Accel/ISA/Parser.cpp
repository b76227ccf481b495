//===- Parser.cpp - Assembly text to instructions -------------------------===//
//
// docs/Accelerator.md, "Assembly": one instruction per line, `#` comments,
// `field=value` in any order, fields left out are zero, flags bare, enum
// cases by name, integers in decimal or 0x hexadecimal (negative for sint
// fields), Bits fields an integer or a typed float (`f32:0.5`, `f64:1.0`).
// Errors point at the line and column through llvm::SourceMgr.
//
//===----------------------------------------------------------------------===//

#include "qtrain/Accel/ISA.h"

#include "llvm/ADT/APFloat.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/SourceMgr.h"

using namespace llvm;

namespace qtrain::accel {
namespace {

/// An integer literal: its sign and magnitude.
struct Literal {
  bool negative = false;
  uint64_t magnitude = 0;
};

/// Decimal or 0x hexadecimal, with an optional leading '-'; nullopt when the
/// text is not one or does not fit 64 bits.
std::optional<Literal> parseLiteral(StringRef text) {
  Literal lit;
  lit.negative = text.consume_front("-");
  unsigned radix = 10;
  if (text.consume_front("0x") || text.consume_front("0X"))
    radix = 16;
  if (text.empty() || !all_of(text, [&](char c) {
        return radix == 16 ? isHexDigit(c) : isDigit(c);
      }))
    return std::nullopt;
  if (text.getAsInteger(radix, lit.magnitude))
    return std::nullopt;
  return lit;
}

class Parser {
public:
  Parser(StringRef text, StringRef bufferName) {
    sm.AddNewSourceBuffer(MemoryBuffer::getMemBuffer(text, bufferName,
                                                     /*RequiresNullTerminator=*/
                                                     false),
                          SMLoc());
  }

  Expected<std::vector<Instruction>> parse(std::vector<unsigned> *lines) {
    std::vector<Instruction> insts;
    StringRef rest = sm.getMemoryBuffer(sm.getMainFileID())->getBuffer();
    for (unsigned lineNumber = 1; !rest.empty(); ++lineNumber) {
      auto [line, next] = rest.split('\n');
      rest = next;
      line = line.take_until([](char c) { return c == '#'; });
      SmallVector<StringRef> words;
      SplitString(line, words, " \t\r\v\f");
      if (words.empty())
        continue;
      Expected<Instruction> inst = parseInstruction(words);
      if (!inst)
        return inst.takeError();
      insts.push_back(*inst);
      if (lines)
        lines->push_back(lineNumber);
    }
    return insts;
  }

private:
  SourceMgr sm;

  Error error(StringRef at, const Twine &message) {
    SMDiagnostic diag = sm.GetMessage(SMLoc::getFromPointer(at.data()),
                                      SourceMgr::DK_Error, message);
    std::string text;
    raw_string_ostream os(text);
    diag.print(nullptr, os, /*ShowColors=*/false);
    return createStringError(inconvertibleErrorCode(),
                             StringRef(text).rtrim('\n'));
  }

  Expected<Instruction> parseInstruction(ArrayRef<StringRef> words) {
    StringRef mnemonic = words.front();
    std::optional<InstructionKind> kind = lookupMnemonic(mnemonic);
    if (!kind)
      return error(mnemonic, "unknown mnemonic '" + mnemonic + "'");
    Instruction inst = Instruction::make(*kind);
    const InstructionInfo &info = inst.info();
    SmallVector<bool> given(info.fields.size(), false);

    for (StringRef word : words.drop_front()) {
      auto [name, value] = word.split('=');
      bool hasValue = name.size() < word.size();
      std::optional<unsigned> index = lookupField(*kind, name);
      if (!index)
        return error(word,
                     "'" + info.mnemonic + "' has no field '" + name + "'");
      const FieldInfo &f = info.fields[*index];
      if (f.kind == FieldKind::Opcode || f.kind == FieldKind::Form)
        return error(word, "field '" + name + "' is set by the mnemonic");
      if (f.kind == FieldKind::Reserved)
        return error(word, "field '" + name + "' is reserved (always zero)");
      if (given[*index])
        return error(word, "field '" + name + "' is given twice");
      given[*index] = true;

      if (f.kind == FieldKind::Flag) {
        if (hasValue)
          return error(word, "flag '" + name +
                                 "' takes no value: write it to set it, leave "
                                 "it out to clear it");
        inst.values[*index] = 1;
      } else {
        if (!hasValue || value.empty())
          return error(word, "field '" + name + "' needs a value");
        Expected<uint64_t> v = parseValue(f, value);
        if (!v)
          return v.takeError();
        inst.values[*index] = *v;
      }
      if (!f.isLegal(inst.values[*index]))
        return error(hasValue ? value : word,
                     "field '" + name + "' is " +
                         (hasValue ? value.str() : std::string("set")) +
                         ", legal " + legalValuesText(f));
    }

    for (unsigned i = 0; i < info.fields.size(); ++i) {
      const FieldInfo &f = info.fields[i];
      if (f.isWritten() && !given[i] && !f.isLegal(0))
        return error(mnemonic, "field '" + f.name +
                                   "' is 0 (left out), legal " +
                                   legalValuesText(f));
    }
    return inst;
  }

  Expected<uint64_t> parseValue(const FieldInfo &f, StringRef value) {
    switch (f.kind) {
    case FieldKind::Enum: {
      if (const EnumCaseInfo *c = lookupEnumCase(f.enumName, value))
        return c->value;
      return error(value, "field '" + f.name + "' takes one of " +
                              legalValuesText(f) + ", not '" + value + "'");
    }
    case FieldKind::Bits:
      return parseBits(f, value);
    default:
      return parseInteger(f, value);
    }
  }

  Expected<uint64_t> parseInteger(const FieldInfo &f, StringRef value) {
    std::optional<Literal> lit = parseLiteral(value);
    if (!lit)
      return error(value, "field '" + f.name +
                              "' takes a decimal or 0x hexadecimal integer, "
                              "not '" +
                              value + "'");
    auto outOfRange = [&] {
      return error(value, "field '" + f.name + "' is " + value + ", legal " +
                              legalValuesText(f));
    };
    if (!lit->negative)
      return f.kind == FieldKind::SInt && lit->magnitude > uint64_t(INT64_MAX)
                 ? Expected<uint64_t>(outOfRange())
                 : Expected<uint64_t>(lit->magnitude);
    if (f.kind != FieldKind::SInt || lit->magnitude > (uint64_t(1) << 63))
      return outOfRange();
    if (lit->magnitude == 0)
      return 0;
    return ~(lit->magnitude - 1); // -magnitude in two's complement
  }

  Expected<uint64_t> parseBits(const FieldInfo &f, StringRef value) {
    for (auto [prefix, semantics, width] :
         {std::tuple{"f32:", &APFloat::IEEEsingle(), 32u},
          std::tuple{"f64:", &APFloat::IEEEdouble(), 64u}}) {
      StringRef number = value;
      if (!number.consume_front(prefix))
        continue;
      if (f.width != width)
        return error(value, "field '" + f.name + "' has " + Twine(f.width) +
                                " bits: '" + prefix + "' does not fit it");
      APFloat x(*semantics);
      Expected<APFloat::opStatus> status =
          x.convertFromString(number, APFloat::rmNearestTiesToEven);
      if (!status) {
        consumeError(status.takeError());
        return error(value, "'" + number + "' is not a number");
      }
      return x.bitcastToAPInt().getZExtValue();
    }
    std::optional<Literal> lit = parseLiteral(value);
    if (!lit)
      return error(value, "field '" + f.name +
                              "' takes an integer or a typed float (f32:X, "
                              "f64:X), not '" +
                              value + "'");
    uint64_t mask = f.width >= 64 ? ~uint64_t(0) : (uint64_t(1) << f.width) - 1;
    auto outOfRange = [&] {
      return error(value, "field '" + f.name + "' is " + value +
                              ", legal any " + Twine(f.width) + "-bit pattern");
    };
    if (!lit->negative)
      return lit->magnitude & ~mask ? Expected<uint64_t>(outOfRange())
                                    : Expected<uint64_t>(lit->magnitude);
    // A negative integer is its two's complement pattern in the width.
    uint64_t limit = uint64_t(1) << (f.width - 1);
    if (f.width == 0 || lit->magnitude > limit)
      return outOfRange();
    return (~lit->magnitude + 1) & mask;
  }
};

} // namespace

Expected<std::vector<Instruction>> parseAssembly(StringRef text,
                                                 StringRef bufferName,
                                                 std::vector<unsigned> *lines) {
  return Parser(text, bufferName).parse(lines);
}

} // namespace qtrain::accel
