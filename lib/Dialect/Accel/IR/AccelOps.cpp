//===- AccelOps.cpp - accel operations ------------------------------------===//
//
// Everything an instruction op does beyond its generated declaration is
// generic over the encoding tables of the encoding library (QTrainAccelISA):
// the custom assembly, the field-range verifier, and the conversions to and
// from qtrain::accel::Instruction. Adding a field or an instruction to
// Instructions.def changes the dialect without touching this file.
//
//===----------------------------------------------------------------------===//

#include "qtrain/Dialect/Accel/IR/AccelOps.h"

#include "qtrain/Accel/Machine.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpImplementation.h"

#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/Format.h"

using namespace mlir;
using namespace qtrain::accel;
using namespace qtrain::accel::ir;

#include "qtrain/Dialect/Accel/IR/AccelEnums.cpp.inc"

#define GET_OP_CLASSES
#include "qtrain/Dialect/Accel/IR/AccelOps.cpp.inc"

namespace {

/// The attribute a field's value is stored in.
Attribute fieldAttr(MLIRContext *ctx, const FieldInfo &f, uint64_t value) {
  if (f.kind == FieldKind::Flag)
    return value ? UnitAttr::get(ctx) : Attribute();
  return IntegerAttr::get(IntegerType::get(ctx, 64), APInt(64, value));
}

/// Parses the value of a non-flag field after its `=`.
ParseResult parseFieldValue(OpAsmParser &parser, const FieldInfo &f,
                            uint64_t &value) {
  SMLoc loc = parser.getCurrentLocation();
  if (f.kind == FieldKind::Enum) {
    StringRef text;
    if (parser.parseOptionalKeyword(&text))
      return parser.emitError(loc, "field '")
             << f.name << "' takes one of " << legalValuesText(f);
    const EnumCaseInfo *c = lookupEnumCase(f.enumName, text);
    if (!c)
      return parser.emitError(loc, "field '")
             << f.name << "' takes one of " << legalValuesText(f) << ", not '"
             << text << "'";
    value = c->value;
    return success();
  }

  APInt literal;
  OptionalParseResult parsed = parser.parseOptionalInteger(literal);
  if (!parsed.has_value())
    return parser.emitError(loc, "field '") << f.name << "' takes an integer";
  if (failed(*parsed))
    return failure();
  bool negative = literal.isNegative();
  std::string text = llvm::toString(literal, 10, /*Signed=*/true);
  if (negative ? literal.getSignificantBits() > 64
               : literal.getActiveBits() > 64)
    return parser.emitError(loc, "field '")
           << f.name << "' is " << text << ", beyond 64 bits";
  if (negative && f.kind == FieldKind::UInt)
    return parser.emitError(loc, "field '")
           << f.name << "' is " << text << ", legal " << legalValuesText(f);
  if (f.kind == FieldKind::SInt && !negative && literal.getActiveBits() > 63)
    return parser.emitError(loc, "field '")
           << f.name << "' is " << text << ", legal " << legalValuesText(f);
  value = negative ? static_cast<uint64_t>(literal.getSExtValue())
                   : literal.getZExtValue();
  if (f.kind == FieldKind::Bits && negative) {
    // A negative integer is its two's complement pattern in the width, as
    // the assembler takes it.
    int64_t low = f.width >= 64 ? INT64_MIN : -(int64_t(1) << (f.width - 1));
    if (literal.getSExtValue() < low)
      return parser.emitError(loc, "field '")
             << f.name << "' is " << text << ", legal any " << f.width
             << "-bit pattern";
    if (f.width < 64)
      value &= (uint64_t(1) << f.width) - 1;
  }
  return success();
}

} // namespace

namespace qtrain::accel::ir {

std::optional<InstructionKind> getInstructionKind(Operation *op) {
  if (!op || op->getDialect() == nullptr ||
      op->getDialect()->getNamespace() != AccelDialect::getDialectNamespace())
    return std::nullopt;
  return lookupMnemonic(op->getName().stripDialect());
}

FailureOr<Instruction> toInstruction(Operation *op) {
  std::optional<InstructionKind> kind = getInstructionKind(op);
  if (!kind)
    return op->emitOpError("is not an accel instruction");
  Instruction inst = Instruction::make(*kind);
  ArrayRef<FieldInfo> fields = inst.info().fields;
  for (unsigned i = 0; i < fields.size(); ++i) {
    const FieldInfo &f = fields[i];
    if (!f.isWritten())
      continue;
    Attribute attr = op->getAttr(f.name);
    if (f.kind == FieldKind::Flag) {
      if (attr && !isa<UnitAttr>(attr))
        return op->emitOpError("flag '") << f.name << "' is not a unit";
      inst.values[i] = attr ? 1 : 0;
      continue;
    }
    if (!attr)
      return op->emitOpError("field '") << f.name << "' is missing";
    auto integer = dyn_cast<IntegerAttr>(attr);
    if (!integer || integer.getValue().getBitWidth() > 64)
      return op->emitOpError("field '")
             << f.name << "' is not a 64-bit integer attribute";
    inst.values[i] = integer.getValue().getZExtValue();
    if (f.kind == FieldKind::SInt)
      inst.values[i] = static_cast<uint64_t>(integer.getValue().getSExtValue());
  }
  return inst;
}

Operation *createInstructionOp(OpBuilder &builder, Location loc,
                               const Instruction &inst) {
  const InstructionInfo &info = inst.info();
  OperationState state(
      loc, (AccelDialect::getDialectNamespace() + "." + info.mnemonic).str());
  for (unsigned i = 0; i < info.fields.size(); ++i) {
    const FieldInfo &f = info.fields[i];
    if (!f.isWritten())
      continue;
    if (Attribute attr = fieldAttr(builder.getContext(), f, inst.values[i]))
      state.addAttribute(f.name, attr);
  }
  return builder.create(state);
}

ParseResult parseInstructionOp(OpAsmParser &parser, OperationState &result,
                               InstructionKind kind) {
  const InstructionInfo &info = getInstructionInfo(kind);
  SMLoc opLoc = parser.getNameLoc();
  SmallVector<bool> given(info.fields.size(), false);
  SmallVector<uint64_t> values(info.fields.size(), 0);

  bool hasFields = llvm::any_of(
      info.fields, [](const FieldInfo &f) { return f.isWritten(); });
  if (hasFields) {
    do {
      SMLoc loc = parser.getCurrentLocation();
      StringRef name;
      if (parser.parseKeyword(&name))
        return failure();
      std::optional<unsigned> index = lookupField(kind, name);
      if (!index || !info.fields[*index].isWritten())
        return parser.emitError(loc, "'")
               << info.mnemonic << "' has no field '" << name << "'";
      const FieldInfo &f = info.fields[*index];
      if (given[*index])
        return parser.emitError(loc, "field '") << name << "' is given twice";
      given[*index] = true;
      if (f.kind == FieldKind::Flag) {
        if (succeeded(parser.parseOptionalEqual()))
          return parser.emitError(loc, "flag '")
                 << name
                 << "' takes no value: write it to set it, leave it out to "
                    "clear it";
        values[*index] = 1;
        continue;
      }
      if (parser.parseEqual() || parseFieldValue(parser, f, values[*index]))
        return failure();
    } while (succeeded(parser.parseOptionalComma()));
  }

  MLIRContext *ctx = parser.getContext();
  for (unsigned i = 0; i < info.fields.size(); ++i) {
    const FieldInfo &f = info.fields[i];
    if (!f.isWritten())
      continue;
    if (f.kind != FieldKind::Flag && !given[i])
      return parser.emitError(opLoc, "'")
             << info.mnemonic << "' needs field '" << f.name << "'";
    if (Attribute attr = fieldAttr(ctx, f, values[i]))
      result.addAttribute(f.name, attr);
  }
  return parser.parseOptionalAttrDict(result.attributes);
}

void printInstructionOp(OpAsmPrinter &printer, Operation *op) {
  std::optional<InstructionKind> kind = getInstructionKind(op);
  if (!kind)
    return;
  const InstructionInfo &info = getInstructionInfo(*kind);
  SmallVector<StringRef> elided;
  bool first = true;
  for (const FieldInfo &f : info.fields) {
    if (!f.isWritten())
      continue;
    elided.push_back(f.name);
    Attribute attr = op->getAttr(f.name);
    if (!attr)
      continue;
    if (f.kind == FieldKind::Flag) {
      printer << (first ? " " : ", ") << f.name;
      first = false;
      continue;
    }
    auto integer = dyn_cast<IntegerAttr>(attr);
    if (!integer)
      continue;
    printer << (first ? " " : ", ") << f.name << " = ";
    first = false;
    const APInt &v = integer.getValue();
    switch (f.kind) {
    case FieldKind::SInt:
      printer << v.getSExtValue();
      break;
    case FieldKind::Bits:
      printer << llvm::format_hex(v.getZExtValue(), 2 + (f.width + 3) / 4);
      break;
    case FieldKind::Enum:
      if (const EnumCaseInfo *c =
              lookupEnumCase(f.enumName, v.getZExtValue())) {
        printer << c->text;
        break;
      }
      printer << v.getZExtValue();
      break;
    default:
      printer << v.getZExtValue();
      break;
    }
  }
  printer.printOptionalAttrDict(op->getAttrs(), elided);
}

LogicalResult verifyInstructionOp(Operation *op) {
  FailureOr<Instruction> inst = toInstruction(op);
  if (failed(inst))
    return failure();
  // Enum values with a case but outside the field's legal subset are named,
  // as the assembler names them; every other range error is the encoding
  // library's (`field 'm' is 0, legal 1..4095`).
  ArrayRef<FieldInfo> fields = inst->info().fields;
  for (unsigned i = 0; i < fields.size(); ++i) {
    const FieldInfo &f = fields[i];
    if (f.kind != FieldKind::Enum || f.isLegal(inst->values[i]))
      continue;
    if (const EnumCaseInfo *c = lookupEnumCase(f.enumName, inst->values[i]))
      return op->emitOpError("field '") << f.name << "' is " << c->text
                                        << ", legal " << legalValuesText(f);
  }
  if (llvm::Error err = verifyFields(*inst))
    return op->emitOpError(llvm::toString(std::move(err)));
  return success();
}

} // namespace qtrain::accel::ir

//===----------------------------------------------------------------------===//
// ProgramOp
//===----------------------------------------------------------------------===//

void ProgramOp::build(OpBuilder &builder, OperationState &state) {
  Region *body = state.addRegion();
  body->push_back(new Block);
}

namespace {

/// The bounds of docs/Accelerator.md "Errors" that an instruction's own
/// fields and the memory sizes determine (those that depend on the
/// configuration in force, such as strides and lane widths, are the
/// functional model's to check).
LogicalResult verifyMemoryBounds(Operation *op, const Instruction &inst,
                                 const MachineDescription &m) {
  auto field = [&](StringRef name) { return inst.get(name); };
  auto below = [&](uint64_t value, uint64_t limit, const Twine &what,
                   const Twine &memory) -> LogicalResult {
    if (value < limit)
      return success();
    return op->emitOpError() << what << " is " << value << ", beyond the "
                             << memory << " (" << limit << ")";
  };
  auto span = [&](uint64_t first, uint64_t count, uint64_t limit,
                  const Twine &what, const Twine &memory) -> LogicalResult {
    if (first + count <= limit)
      return success();
    return op->emitOpError()
           << what << " [" << first << ", " << first + count << ") exceed the "
           << memory << " (" << limit << ")";
  };
  const uint64_t entries = m.acc.entries, dram = m.dram.bytes;
  switch (inst.kind) {
  case InstructionKind::Gemm:
    if (failed(span(field("acc_entry"), field("m") * field("n"), entries,
                    "the outputs", "ACC's entries")) ||
        failed(span(field("a_row"), field("m") * field("a_rows_per_vector"),
                    m.inputSp.rows, "A's rows", "input scratchpad's rows")) ||
        failed(span(field("b_row"), field("n") * field("b_rows_per_vector"),
                    m.weightSp.rows, "B's rows", "weight scratchpad's rows")))
      return failure();
    return success();
  case InstructionKind::Load: {
    uint64_t dst = field("dst");
    if (dst == LoadDst::SpInput || dst == LoadDst::SpWeight) {
      uint64_t rows =
          dst == LoadDst::SpInput ? m.inputSp.rows : m.weightSp.rows;
      if (failed(
              below(field("chip_row"), rows, "chip_row", "scratchpad's rows")))
        return failure();
    }
    if (dst == LoadDst::Acc &&
        failed(below(field("chip_row"), entries, "chip_row", "ACC's entries")))
      return failure();
    return below(field("dram_addr"), dram, "dram_addr", "DRAM's bytes");
  }
  case InstructionKind::Store:
    if (failed(
            below(field("acc_entry"), entries, "acc_entry", "ACC's entries")))
      return failure();
    return below(field("dram_addr"), dram, "dram_addr", "DRAM's bytes");
  case InstructionKind::Vector:
    for (StringRef f : {"dst_entry", "src1_entry", "src2_entry"})
      if (failed(below(field(f), entries, f, "ACC's entries")))
        return failure();
    return success();
  case InstructionKind::ConfigTensorLevel:
    return below(field("scale_entry"), entries, "scale_entry", "ACC's entries");
  case InstructionKind::RegLoad:
    if (!field("from_dram"))
      return success();
    return below(field("dram_addr"), dram, "dram_addr", "DRAM's bytes");
  case InstructionKind::RegStore:
    return below(field("dram_addr"), dram, "dram_addr", "DRAM's bytes");
  default:
    return success();
  }
}

} // namespace

LogicalResult ProgramOp::verifyRegions() {
  // The machine the program is for: `accel.machine` (a machine
  // description's JSON) on the program or its module.
  std::optional<MachineDescription> machine;
  StringAttr machineAttr = (*this)->getAttrOfType<StringAttr>("accel.machine");
  if (!machineAttr)
    if (auto module = (*this)->getParentOfType<ModuleOp>())
      machineAttr = module->getAttrOfType<StringAttr>("accel.machine");
  if (machineAttr) {
    llvm::Expected<MachineDescription> parsed =
        parseMachineDescription(machineAttr.getValue(), "accel.machine");
    if (!parsed)
      return emitOpError() << llvm::toString(parsed.takeError());
    machine = std::move(*parsed);
  }

  Operation *finish = nullptr;
  for (Operation &op : getBody().front()) {
    std::optional<InstructionKind> kind = getInstructionKind(&op);
    if (!kind)
      return op.emitOpError("is not an accel instruction: an accel.program "
                            "holds only instruction ops");
    if (finish) {
      InFlightDiagnostic diag =
          op.emitOpError("follows accel.finish: the stream ends there");
      diag.attachNote(finish->getLoc()) << "the finish";
      return diag;
    }
    if (isa<FinishOp>(op))
      finish = &op;
    if (machine) {
      FailureOr<Instruction> inst = toInstruction(&op);
      if (failed(inst) || failed(verifyMemoryBounds(&op, *inst, *machine)))
        return failure();
    }
  }
  return success();
}
