//===- EncodingDocs.cpp - The generated encoding tables of the docs -------===//
//
// The block of docs/Accelerator.md ("Encoding") between its BEGIN GENERATED
// and END GENERATED markers, by the generator rules stated there, all in .def
// order. A unit test compares it with the page byte for byte.
//
//===----------------------------------------------------------------------===//

#include "qtrain/Accel/ISA.h"

#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/Format.h"

using namespace llvm;

namespace qtrain::accel {
namespace {

constexpr const char kBeginMarker[] =
    "<!-- BEGIN GENERATED FROM include/qtrain/Accel/Instructions.def: do not "
    "edit by hand -->";
constexpr const char kEndMarker[] = "<!-- END GENERATED -->";

std::string hex(unsigned value) {
  std::string s;
  raw_string_ostream os(s);
  os << "`0x" << format_hex_no_prefix(value, 1, /*Upper=*/true) << "`";
  return s;
}

void printOpcodes(raw_ostream &os) {
  os << "#### Opcodes\n\n"
     << "| Opcode | Name | Queue | Summary |\n"
     << "| --- | --- | --- | --- |\n";
  for (const OpcodeInfo &o : getOpcodes())
    os << "| " << hex(o.value) << " | `" << o.name << "` | "
       << getQueueInfo(o.queue).text << " | " << o.summary << " |\n";

  // Runs of reserved opcode values.
  SmallVector<std::string> runs;
  unsigned reserved = 0;
  unsigned count = 1u << kOpcodeWidth;
  for (unsigned v = 0; v < count; ++v) {
    if (lookupOpcode(v))
      continue;
    unsigned end = v;
    while (end + 1 < count && !lookupOpcode(end + 1))
      ++end;
    runs.push_back(end == v ? hex(v) : hex(v) + " to " + hex(end));
    reserved += end - v + 1;
    v = end;
  }
  if (runs.empty())
    return;
  os << "\n" << (reserved == 1 ? "Opcode " : "Opcodes ");
  for (size_t i = 0; i < runs.size(); ++i) {
    if (i > 0)
      os << (i + 1 == runs.size() ? " and " : ", ");
    os << runs[i];
  }
  os << (reserved == 1 ? " is reserved.\n" : " are reserved.\n");
}

void printEnumerations(raw_ostream &os) {
  os << "#### Enumerations\n\n"
     << "| Enumeration | Cases (value = assembly name) |\n"
     << "| --- | --- |\n";
  ArrayRef<EnumCaseInfo> cases = getEnumCases();
  for (size_t i = 0; i < cases.size();) {
    StringRef name = cases[i].enumName;
    os << "| `" << name << "` | ";
    size_t j = i;
    for (; j < cases.size() && cases[j].enumName == name; ++j)
      os << (j > i ? ", " : "") << cases[j].value << " = `" << cases[j].text
         << "`";
    os << " |\n";
    i = j;
  }
}

void printInstruction(raw_ostream &os, const InstructionInfo &info) {
  const OpcodeInfo *opcode = lookupOpcode(info.opcode);
  os << "#### `" << info.mnemonic << "` (" << info.name << "): opcode "
     << hex(info.opcode);
  if (info.form >= 0)
    os << ", form " << info.form;
  if (!opcode || opcode->queue == Queue::Dispatch)
    os << ", dispatch\n\n";
  else
    os << ", " << getQueueInfo(opcode->queue).text << " queue\n\n";

  StringRef summary = info.summary;
  if (!summary.empty())
    os << toUpper(summary.front()) << summary.drop_front();
  os << ".\n\n";

  os << "| Bits | Width | Field | Kind | Legal | Meaning |\n"
     << "| --- | --- | --- | --- | --- | --- |\n";
  for (const FieldInfo &f : info.fields) {
    os << "| [" << f.low << ", " << f.low + f.width << ") | " << f.width
       << " | `" << f.name << "` | " << stringifyFieldKind(f.kind);
    if (f.kind == FieldKind::Enum)
      os << " `" << f.enumName << "`";
    os << " | " << legalValuesText(f, "`") << " | " << f.meaning << " |\n";
  }
}

} // namespace

StringRef getEncodingDocsBeginMarker() { return kBeginMarker; }
StringRef getEncodingDocsEndMarker() { return kEndMarker; }

std::string generateEncodingDocs() {
  std::string text;
  raw_string_ostream os(text);
  os << kBeginMarker << "\n\n";
  printOpcodes(os);
  os << "\n";
  printEnumerations(os);
  for (const InstructionInfo &info : getInstructions()) {
    os << "\n";
    printInstruction(os, info);
  }
  os << "\n" << kEndMarker << "\n";
  return text;
}

} // namespace qtrain::accel
