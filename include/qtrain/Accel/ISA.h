//===- ISA.h - The accelerator's instruction encoding -----------*- C++ -*-===//
//
// Everything the accelerator's tools know about instruction words, all of it
// generated from include/qtrain/Accel/Instructions.def: the enums, the field
// descriptors of every encoding, encoding and decoding of 128-bit words
// (with every decoding error of docs/Accelerator.md, "Words and decoding"),
// the text assembly ("Assembly") and the generated encoding tables of the
// docs ("Encoding"). Plain C++ on LLVM Support: the functional model, the
// binary emitter and the tools share it.
//
//===----------------------------------------------------------------------===//

#ifndef QTRAIN_ACCEL_ISA_H
#define QTRAIN_ACCEL_ISA_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/raw_ostream.h"

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace qtrain::accel {

//===----------------------------------------------------------------------===//
// Enums generated from the .def
//===----------------------------------------------------------------------===//

/// Encoding-wide constants (WordBits, FormatEntries, ...).
#define QTRAIN_ACCEL_CONSTANT(NAME, VALUE, DOC)                                \
  inline constexpr uint64_t k##NAME = VALUE;
#include "qtrain/Accel/Instructions.def"

inline constexpr unsigned kWordBytes = kWordBits / 8;

/// The queue an opcode is dispatched to.
enum class Queue : uint8_t {
#define QTRAIN_ACCEL_QUEUE(NAME, VALUE, TEXT, DOC) NAME = VALUE,
#include "qtrain/Accel/Instructions.def"
};

/// The opcodes (bits [OpcodeLow, OpcodeLow + OpcodeWidth) of every word).
enum class Opcode : uint8_t {
#define QTRAIN_ACCEL_OPCODE(NAME, VALUE, QUEUE, SUMMARY) NAME = VALUE,
#include "qtrain/Accel/Instructions.def"
};

/// One per encoding (an opcode, and a form for multi-form opcodes).
enum class InstructionKind : uint8_t {
#define QTRAIN_ACCEL_INSTRUCTION(NAME, OPCODE, FORM, MNEMONIC, SUMMARY) NAME,
#include "qtrain/Accel/Instructions.def"
};

/// The enumerated field types: one namespace per type, one constant per
/// case, e.g. `GemmMode::M8`. Field values are uint64_t, so the cases are
/// too; the text and the legal range come from the tables below.
#define QTRAIN_ACCEL_ENUM(ENUM, CASE, VALUE, TEXT)                             \
  namespace ENUM {                                                             \
  inline constexpr uint64_t CASE = VALUE;                                      \
  }
#include "qtrain/Accel/Instructions.def"

/// What a field holds (the .def's KIND column).
enum class FieldKind : uint8_t {
  Opcode,
  Form,
  Flag,
  UInt,
  SInt,
  Enum,
  Bits,
  Reserved
};

//===----------------------------------------------------------------------===//
// Tables
//===----------------------------------------------------------------------===//

struct QueueInfo {
  Queue queue;
  llvm::StringRef text;
  llvm::StringRef doc;
};

struct OpcodeInfo {
  Opcode opcode;
  llvm::StringRef name;
  unsigned value;
  Queue queue;
  llvm::StringRef summary;
};

struct EnumCaseInfo {
  llvm::StringRef enumName;
  llvm::StringRef caseName;
  uint64_t value;
  llvm::StringRef text;
};

/// One field of one encoding. `min` and `max` are the encoding-level legal
/// range (signed for SInt fields; 0 and 0 for Bits and Reserved fields).
/// Only Reserved fields are wider than 64 bits.
struct FieldInfo {
  llvm::StringRef name;
  unsigned low;
  unsigned width;
  FieldKind kind;
  llvm::StringRef enumName; // "None" unless kind == Enum
  int64_t min;
  int64_t max;
  llvm::StringRef meaning;

  /// Whether the assembly names the field (not opcode, form or reserved).
  bool isWritten() const {
    return kind != FieldKind::Opcode && kind != FieldKind::Form &&
           kind != FieldKind::Reserved;
  }
  /// Whether `value` (as stored in an Instruction) is in [min, max]; Bits
  /// fields accept every pattern of their width.
  bool isLegal(uint64_t value) const;
};

struct InstructionInfo {
  InstructionKind kind;
  llvm::StringRef name;
  unsigned opcode;
  int form; // -1 for an opcode with a single encoding
  llvm::StringRef mnemonic;
  llvm::StringRef summary;
  llvm::ArrayRef<FieldInfo> fields; // in increasing `low`
};

llvm::ArrayRef<QueueInfo> getQueues();
llvm::ArrayRef<OpcodeInfo> getOpcodes();
llvm::ArrayRef<EnumCaseInfo> getEnumCases();
llvm::ArrayRef<InstructionInfo> getInstructions();

const QueueInfo &getQueueInfo(Queue queue);
const InstructionInfo &getInstructionInfo(InstructionKind kind);
/// The opcode with this value, if it is not reserved.
const OpcodeInfo *lookupOpcode(unsigned value);
std::optional<InstructionKind> lookupMnemonic(llvm::StringRef mnemonic);
/// The encoding of `opcode` selected by `form` (ignored for single-encoding
/// opcodes).
std::optional<InstructionKind> lookupEncoding(unsigned opcode, unsigned form);
/// Whether `opcode` has several encodings, told apart by the form.
bool hasForms(unsigned opcode);
/// The index of field `name` in getInstructionInfo(kind).fields.
std::optional<unsigned> lookupField(InstructionKind kind, llvm::StringRef name);
/// The cases of enumeration `enumName`, in increasing value.
llvm::ArrayRef<EnumCaseInfo> getEnumCases(llvm::StringRef enumName);
const EnumCaseInfo *lookupEnumCase(llvm::StringRef enumName, uint64_t value);
const EnumCaseInfo *lookupEnumCase(llvm::StringRef enumName,
                                   llvm::StringRef text);
/// The most fields an encoding has.
unsigned getMaxFieldCount();
/// The .def's KIND as the docs' tables write it: "uint", "enum", ...
llvm::StringRef stringifyFieldKind(FieldKind kind);
/// A field's legal values as the assembler, the dialect and the docs'
/// tables name them: `min..max` (or the one value), the enum cases in range
/// by their text (each between `quote`s, joined by ", "), "any" for a
/// Bits field, "0" for a reserved one.
std::string legalValuesText(const FieldInfo &f, llvm::StringRef quote = "");

//===----------------------------------------------------------------------===//
// Instructions and words
//===----------------------------------------------------------------------===//

namespace detail {
constexpr unsigned maxFieldCount() {
  constexpr InstructionKind owners[] = {
#define QTRAIN_ACCEL_FIELD(INSTR, FIELD, LOW, WIDTH, KIND, ENUM, MIN, MAX,     \
                           MEANING)                                            \
  InstructionKind::INSTR,
#include "qtrain/Accel/Instructions.def"
  };
  unsigned best = 0, run = 0;
  for (unsigned i = 0; i < sizeof(owners) / sizeof(owners[0]); ++i) {
    run = (i > 0 && owners[i] == owners[i - 1]) ? run + 1 : 1;
    best = run > best ? run : best;
  }
  return best;
}
} // namespace detail

inline constexpr unsigned kMaxFields = detail::maxFieldCount();

/// One decoded instruction: its encoding and the value of each field, indexed
/// like getInstructionInfo(kind).fields. UInt, Flag and Enum fields hold the
/// value, SInt fields the sign-extended value (as int64_t bits), Bits fields
/// the pattern; opcode and form hold their fixed values, reserved fields 0.
struct Instruction {
  InstructionKind kind;
  std::array<uint64_t, kMaxFields> values{};

  /// An instruction of `kind` with opcode and form set and every other field
  /// zero (which may be outside a field's legal range).
  explicit Instruction(InstructionKind kind);
  static Instruction make(InstructionKind kind) { return Instruction(kind); }
  /// A `finish`.
  Instruction() : Instruction(InstructionKind::Finish) {}

  const InstructionInfo &info() const { return getInstructionInfo(kind); }
  llvm::StringRef mnemonic() const { return info().mnemonic; }
  unsigned getNumFields() const { return info().fields.size(); }

  uint64_t get(unsigned index) const { return values[index]; }
  int64_t getSigned(unsigned index) const {
    return static_cast<int64_t>(values[index]);
  }
  void set(unsigned index, uint64_t value) { values[index] = value; }
  /// By name; the field must exist (a programming error otherwise).
  uint64_t get(llvm::StringRef field) const;
  int64_t getSigned(llvm::StringRef field) const;
  void set(llvm::StringRef field, uint64_t value);

  bool operator==(const Instruction &other) const {
    return kind == other.kind && values == other.values;
  }
  bool operator!=(const Instruction &other) const { return !(*this == other); }
};

using Word = std::array<uint8_t, kWordBytes>;

/// The word of `inst`. Each value is truncated to its field's width; call
/// verifyFields first when the values are not known to be legal.
Word encode(const Instruction &inst);

/// The first field of `inst` outside its legal range, as the decoder words
/// it without the instruction prefix (`field 'm' is 0, legal 1..4095`).
llvm::Error verifyFields(const Instruction &inst);

/// Decodes one word, `index` naming it in errors.
llvm::Expected<Instruction> decodeWord(const Word &word, size_t index);

/// Decodes a whole program: a flat sequence of words ending with `finish`.
/// Every error of docs/Accelerator.md "Words and decoding", naming the
/// instruction index.
llvm::Expected<std::vector<Instruction>>
decodeStream(llvm::ArrayRef<uint8_t> bytes);

/// The bytes of a sequence of instructions.
std::vector<uint8_t> encodeStream(llvm::ArrayRef<Instruction> insts);

//===----------------------------------------------------------------------===//
// Assembly
//===----------------------------------------------------------------------===//

/// The canonical text of `inst` (no newline): the mnemonic and every written
/// field in table order, flags only when set, Bits fields in hexadecimal
/// with all their digits.
void printInstruction(llvm::raw_ostream &os, const Instruction &inst);
std::string printInstruction(const Instruction &inst);

/// Parses assembly text, one instruction per line. Errors are rendered as
/// `BUFFER:LINE:COL: error: MESSAGE` followed by the line and a caret. When
/// `lines` is given, it receives the 1-based line of each instruction.
llvm::Expected<std::vector<Instruction>>
parseAssembly(llvm::StringRef text, llvm::StringRef bufferName = "<buffer>",
              std::vector<unsigned> *lines = nullptr);

//===----------------------------------------------------------------------===//
// Documentation
//===----------------------------------------------------------------------===//

/// The first and last lines of the generated block in docs/Accelerator.md.
llvm::StringRef getEncodingDocsBeginMarker();
llvm::StringRef getEncodingDocsEndMarker();

/// The generated encoding tables of docs/Accelerator.md ("Encoding"), from
/// the begin marker line to the end marker line, both included, each line
/// ending with a newline.
std::string generateEncodingDocs();

} // namespace qtrain::accel

#endif // QTRAIN_ACCEL_ISA_H
