//===- AccelODSGen.cpp - The accel dialect's ops from Instructions.def ----===//
//
// A build-time tool: prints the ODS of the `accel` dialect's instruction ops
// (one op per encoding of include/qtrain/Accel/Instructions.def) and of the
// enum attributes their fields use, from the encoding library's tables. The
// build runs it and feeds its output to mlir-tblgen through
// include/qtrain/Dialect/Accel/IR/AccelOps.td, so no field name, position,
// range or enum case is ever written in the dialect's ODS by hand.
//
//   qtrain-accel-ods-gen -o AccelInstructionOps.td
//
//===----------------------------------------------------------------------===//

#include "qtrain/Accel/ISA.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/WithColor.h"

using namespace llvm;
using namespace qtrain::accel;

static cl::opt<std::string> outputFilename("o", cl::desc("Output file"),
                                           cl::value_desc("filename"),
                                           cl::init("-"));

namespace {

std::string enumDefName(StringRef enumName) {
  return ("Accel_Enum_" + enumName).str();
}

/// The legal range as the docs' tables write it.
std::string legalText(const FieldInfo &f) {
  switch (f.kind) {
  case FieldKind::Bits:
    return "any";
  case FieldKind::Enum: {
    SmallVector<std::string> names;
    for (const EnumCaseInfo &c : getEnumCases(f.enumName))
      if (c.value >= static_cast<uint64_t>(f.min) &&
          c.value <= static_cast<uint64_t>(f.max))
        names.push_back(("`" + c.text + "`").str());
    return join(names, ", ");
  }
  default:
    if (f.min == f.max)
      return std::to_string(f.min);
    return std::to_string(f.min) + ".." + std::to_string(f.max);
  }
}

StringRef kindText(FieldKind kind) {
  switch (kind) {
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
  default:
    return "";
  }
}

void emitEnums(raw_ostream &os) {
  // Only the enumerations some field uses, in order of first appearance in
  // the enum table.
  StringSet<> used;
  for (const InstructionInfo &inst : getInstructions())
    for (const FieldInfo &f : inst.fields)
      if (f.kind == FieldKind::Enum)
        used.insert(f.enumName);
  StringSet<> done;
  for (const EnumCaseInfo &first : getEnumCases()) {
    if (!used.contains(first.enumName) || !done.insert(first.enumName).second)
      continue;
    os << "def " << enumDefName(first.enumName) << " : I64EnumAttr<\""
       << first.enumName << "\", \"the " << first.enumName
       << " cases of Instructions.def\", [\n";
    ArrayRef<EnumCaseInfo> cases = getEnumCases(first.enumName);
    for (const EnumCaseInfo &c : cases)
      os << "    I64EnumAttrCase<\"" << c.caseName << "\", " << c.value
         << ", \"" << c.text << "\">" << (&c == &cases.back() ? "" : ",")
         << "\n";
    os << "  ]> {\n  let cppNamespace = \"::qtrain::accel::ir::enums\";\n}\n\n";
  }
}

void emitOp(raw_ostream &os, const InstructionInfo &inst) {
  os << "def Accel_" << inst.name << "Op : Accel_InstructionOp<\""
     << inst.mnemonic << "\", \"" << inst.name << "\"> {\n";
  os << "  let summary = \"" << inst.summary << "\";\n";
  os << "  let description = [{\n";
  os << "    The `" << inst.mnemonic << "` instruction (opcode "
     << format_hex(inst.opcode, 3, /*Upper=*/true);
  if (inst.form >= 0)
    os << ", form " << inst.form;
  Queue queue = lookupOpcode(inst.opcode)->queue;
  os << ", " << getQueueInfo(queue).text
     << (queue == Queue::Dispatch ? "" : " queue");
  os << "). Its fields, generated from include/qtrain/Accel/Instructions.def"
        " (docs/Accelerator.md, \"Encoding\"):\n\n";
  os << "    | Field | Kind | Legal | Meaning |\n";
  os << "    | --- | --- | --- | --- |\n";
  for (const FieldInfo &f : inst.fields) {
    if (!f.isWritten())
      continue;
    os << "    | `" << f.name << "` | " << kindText(f.kind);
    if (f.kind == FieldKind::Enum)
      os << " `" << f.enumName << "`";
    os << " | " << legalText(f) << " | " << f.meaning << " |\n";
  }
  os << "  }];\n";
  os << "  let arguments = (ins";
  bool first = true;
  for (const FieldInfo &f : inst.fields) {
    if (!f.isWritten())
      continue;
    os << (first ? "\n" : ",\n") << "    ";
    first = false;
    switch (f.kind) {
    case FieldKind::Flag:
      os << "UnitAttr";
      break;
    case FieldKind::Enum:
      os << enumDefName(f.enumName);
      break;
    default:
      os << "I64Attr";
      break;
    }
    os << ":$" << f.name;
  }
  os << "\n  );\n}\n\n";
}

} // namespace

int main(int argc, char **argv) {
  InitLLVM init(argc, argv);
  cl::ParseCommandLineOptions(
      argc, argv, "the accel dialect's ODS from Instructions.def\n");
  std::error_code ec;
  ToolOutputFile out(outputFilename, ec, sys::fs::OF_Text);
  if (ec) {
    WithColor::error(errs(), "qtrain-accel-ods-gen")
        << outputFilename << ": " << ec.message() << "\n";
    return 1;
  }
  raw_ostream &os = out.os();
  os << "// Generated by qtrain-accel-ods-gen from "
        "include/qtrain/Accel/Instructions.def: do not edit.\n"
        "// Included by qtrain/Dialect/Accel/IR/AccelOps.td, which defines "
        "Accel_InstructionOp.\n\n";
  emitEnums(os);
  for (const InstructionInfo &inst : getInstructions())
    emitOp(os, inst);
  out.keep();
  return 0;
}
