//===- Printer.cpp - The canonical assembly of an instruction -------------===//
//
// docs/Accelerator.md, "Assembly": the mnemonic, then `field=value` for every
// field but opcode, form and reserved ones, in table order; flags as the bare
// name when set; enum cases by name; integers in decimal; Bits fields in
// hexadecimal with all the digits of their width.
//
//===----------------------------------------------------------------------===//

#include "qtrain/Accel/ISA.h"

#include "llvm/Support/Format.h"

using namespace llvm;

namespace qtrain::accel {

void printInstruction(raw_ostream &os, const Instruction &inst) {
  const InstructionInfo &info = inst.info();
  os << info.mnemonic;
  for (unsigned i = 0; i < info.fields.size(); ++i) {
    const FieldInfo &f = info.fields[i];
    uint64_t value = inst.values[i];
    if (!f.isWritten())
      continue;
    if (f.kind == FieldKind::Flag) {
      if (value)
        os << ' ' << f.name;
      continue;
    }
    os << ' ' << f.name << '=';
    switch (f.kind) {
    case FieldKind::SInt:
      os << static_cast<int64_t>(value);
      break;
    case FieldKind::Bits:
      os << format_hex(value, 2 + (f.width + 3) / 4);
      break;
    case FieldKind::Enum:
      if (const EnumCaseInfo *c = lookupEnumCase(f.enumName, value)) {
        os << c->text;
        break;
      }
      // A value without a case (only in an instruction that does not
      // verify): its number, which the assembler rejects.
      os << value;
      break;
    default:
      os << value;
      break;
    }
  }
}

std::string printInstruction(const Instruction &inst) {
  std::string text;
  raw_string_ostream os(text);
  printInstruction(os, inst);
  return text;
}

} // namespace qtrain::accel
