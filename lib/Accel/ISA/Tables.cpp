//===- Tables.cpp - The encoding tables generated from the .def -----------===//
//
// Queues, opcodes, enum cases, encodings and their fields, as arrays built
// by including include/qtrain/Accel/Instructions.def, and the lookups over
// them.
//
//===----------------------------------------------------------------------===//

#include "qtrain/Accel/ISA.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"

#include <cassert>

using namespace llvm;

namespace qtrain::accel {
namespace {

const QueueInfo kQueues[] = {
#define QTRAIN_ACCEL_QUEUE(NAME, VALUE, TEXT, DOC) {Queue::NAME, TEXT, DOC},
#include "qtrain/Accel/Instructions.def"
};

const OpcodeInfo kOpcodes[] = {
#define QTRAIN_ACCEL_OPCODE(NAME, VALUE, QUEUE, SUMMARY)                       \
  {Opcode::NAME, #NAME, VALUE, Queue::QUEUE, SUMMARY},
#include "qtrain/Accel/Instructions.def"
};

const EnumCaseInfo kEnumCases[] = {
#define QTRAIN_ACCEL_ENUM(ENUM, CASE, VALUE, TEXT) {#ENUM, #CASE, VALUE, TEXT},
#include "qtrain/Accel/Instructions.def"
};

/// Every field of every encoding, with its owner; grouped by owner in the
/// .def, so each encoding's fields are a slice.
struct OwnedField {
  InstructionKind owner;
  FieldInfo info;
};

const OwnedField kFields[] = {
#define QTRAIN_ACCEL_FIELD(INSTR, FIELD, LOW, WIDTH, KIND, ENUM, MIN, MAX,     \
                           MEANING)                                            \
  {InstructionKind::INSTR,                                                     \
   {#FIELD, LOW, WIDTH, FieldKind::KIND, #ENUM, MIN, MAX, MEANING}},
#include "qtrain/Accel/Instructions.def"
};

struct Tables {
  std::vector<FieldInfo> fields;
  std::vector<InstructionInfo> instructions;

  Tables() {
    for (const OwnedField &f : kFields)
      fields.push_back(f.info);
    const struct {
      InstructionKind kind;
      StringRef name;
      unsigned opcode;
      int form;
      StringRef mnemonic, summary;
    } encodings[] = {
#define QTRAIN_ACCEL_INSTRUCTION(NAME, OPCODE, FORM, MNEMONIC, SUMMARY)        \
  {InstructionKind::NAME, #NAME, OPCODE, FORM, MNEMONIC, SUMMARY},
#include "qtrain/Accel/Instructions.def"
    };
    for (const auto &e : encodings) {
      size_t begin = 0;
      while (begin < std::size(kFields) && kFields[begin].owner != e.kind)
        ++begin;
      size_t end = begin;
      while (end < std::size(kFields) && kFields[end].owner == e.kind)
        ++end;
      instructions.push_back(
          {e.kind, e.name, e.opcode, e.form, e.mnemonic, e.summary,
           ArrayRef<FieldInfo>(fields).slice(begin, end - begin)});
    }
  }
};

const Tables &tables() {
  static const Tables t;
  return t;
}

} // namespace

StringRef stringifyFieldKind(FieldKind kind) {
  switch (kind) {
  case FieldKind::Opcode:
    return "opcode";
  case FieldKind::Form:
    return "form";
  case FieldKind::Flag:
    return "flag";
  case FieldKind::UInt:
    return "uint";
  case FieldKind::SInt:
    return "sint";
  case FieldKind::Enum:
    return "enum";
  case FieldKind::Bits:
    return "bits";
  case FieldKind::Reserved:
    return "reserved";
  }
  return "";
}

std::string legalValuesText(const FieldInfo &f, StringRef quote) {
  switch (f.kind) {
  case FieldKind::Reserved:
    return "0";
  case FieldKind::Bits:
    return "any";
  case FieldKind::Enum: {
    SmallVector<std::string> names;
    for (const EnumCaseInfo &c : getEnumCases(f.enumName))
      if (c.value >= static_cast<uint64_t>(f.min) &&
          c.value <= static_cast<uint64_t>(f.max))
        names.push_back((quote + c.text + quote).str());
    return join(names, ", ");
  }
  default:
    if (f.min == f.max)
      return std::to_string(f.min);
    return std::to_string(f.min) + ".." + std::to_string(f.max);
  }
}

bool FieldInfo::isLegal(uint64_t value) const {
  switch (kind) {
  case FieldKind::Bits:
    return width >= 64 || value >> width == 0;
  case FieldKind::SInt: {
    int64_t v = static_cast<int64_t>(value);
    return v >= min && v <= max;
  }
  default:
    return value >= static_cast<uint64_t>(min) &&
           value <= static_cast<uint64_t>(max);
  }
}

ArrayRef<QueueInfo> getQueues() { return kQueues; }
ArrayRef<OpcodeInfo> getOpcodes() { return kOpcodes; }
ArrayRef<EnumCaseInfo> getEnumCases() { return kEnumCases; }
ArrayRef<InstructionInfo> getInstructions() { return tables().instructions; }

const QueueInfo &getQueueInfo(Queue queue) {
  for (const QueueInfo &q : kQueues)
    if (q.queue == queue)
      return q;
  assert(false && "every Queue has a table row");
  return kQueues[0];
}

const InstructionInfo &getInstructionInfo(InstructionKind kind) {
  return tables().instructions[static_cast<unsigned>(kind)];
}

const OpcodeInfo *lookupOpcode(unsigned value) {
  for (const OpcodeInfo &o : kOpcodes)
    if (o.value == value)
      return &o;
  return nullptr;
}

std::optional<InstructionKind> lookupMnemonic(StringRef mnemonic) {
  for (const InstructionInfo &i : getInstructions())
    if (i.mnemonic == mnemonic)
      return i.kind;
  return std::nullopt;
}

bool hasForms(unsigned opcode) {
  return any_of(getInstructions(), [&](const InstructionInfo &i) {
    return i.opcode == opcode && i.form >= 0;
  });
}

std::optional<InstructionKind> lookupEncoding(unsigned opcode, unsigned form) {
  for (const InstructionInfo &i : getInstructions())
    if (i.opcode == opcode &&
        (i.form < 0 || static_cast<unsigned>(i.form) == form))
      return i.kind;
  return std::nullopt;
}

std::optional<unsigned> lookupField(InstructionKind kind, StringRef name) {
  ArrayRef<FieldInfo> fields = getInstructionInfo(kind).fields;
  for (unsigned i = 0; i < fields.size(); ++i)
    if (fields[i].name == name)
      return i;
  return std::nullopt;
}

ArrayRef<EnumCaseInfo> getEnumCases(StringRef enumName) {
  ArrayRef<EnumCaseInfo> all = kEnumCases;
  size_t begin = 0;
  while (begin < all.size() && all[begin].enumName != enumName)
    ++begin;
  size_t end = begin;
  while (end < all.size() && all[end].enumName == enumName)
    ++end;
  return all.slice(begin, end - begin);
}

const EnumCaseInfo *lookupEnumCase(StringRef enumName, uint64_t value) {
  for (const EnumCaseInfo &c : getEnumCases(enumName))
    if (c.value == value)
      return &c;
  return nullptr;
}

const EnumCaseInfo *lookupEnumCase(StringRef enumName, StringRef text) {
  for (const EnumCaseInfo &c : getEnumCases(enumName))
    if (c.text == text)
      return &c;
  return nullptr;
}

unsigned getMaxFieldCount() { return kMaxFields; }

Instruction::Instruction(InstructionKind kind) : kind(kind) {
  ArrayRef<FieldInfo> fields = info().fields;
  for (unsigned i = 0; i < fields.size(); ++i)
    if (fields[i].kind == FieldKind::Opcode ||
        fields[i].kind == FieldKind::Form)
      values[i] = static_cast<uint64_t>(fields[i].min);
}

static unsigned fieldIndex(const Instruction &inst, StringRef field) {
  std::optional<unsigned> index = lookupField(inst.kind, field);
  assert(index && "no such field in this encoding");
  return index.value_or(0);
}

uint64_t Instruction::get(StringRef field) const {
  return get(fieldIndex(*this, field));
}

int64_t Instruction::getSigned(StringRef field) const {
  return getSigned(fieldIndex(*this, field));
}

void Instruction::set(StringRef field, uint64_t value) {
  set(fieldIndex(*this, field), value);
}

} // namespace qtrain::accel
