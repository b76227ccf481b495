//===- AccelTranslation.cpp - accel IR <-> assembly and binary ------------===//

#include "qtrain/Target/Accel/AccelTranslation.h"

#include "qtrain/Dialect/Accel/IR/AccelOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/Tools/mlir-translate/Translation.h"

#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/SourceMgr.h"

using namespace mlir;

namespace qtrain::accel {

FailureOr<ir::ProgramOp> findProgram(Operation *op) {
  SmallVector<ir::ProgramOp> programs;
  op->walk([&](ir::ProgramOp program) { programs.push_back(program); });
  if (programs.size() == 1)
    return programs.front();
  if (programs.empty())
    return op->emitError("no accel.program to translate");
  InFlightDiagnostic diag = op->emitError("more than one accel.program (")
                            << programs.size()
                            << "): a binary holds one instruction stream";
  diag.attachNote(programs[1].getLoc()) << "the second program";
  return diag;
}

FailureOr<std::vector<Instruction>> exportProgram(ir::ProgramOp program) {
  std::vector<Instruction> insts;
  for (Operation &op : program.getBody().front()) {
    // The ops were verified with the module; the fields are legal.
    FailureOr<Instruction> inst = ir::toInstruction(&op);
    if (failed(inst))
      return failure();
    insts.push_back(*inst);
  }
  if (insts.empty() || insts.back().kind != InstructionKind::Finish)
    return program.emitError("the program does not end with accel.finish: "
                             "the accelerator's decoder would reject it");
  return insts;
}

OwningOpRef<ModuleOp> importProgram(MLIRContext *context,
                                    ArrayRef<Instruction> insts,
                                    ArrayRef<Location> locs) {
  context->loadDialect<ir::AccelDialect>();
  Location unknown = UnknownLoc::get(context);
  OwningOpRef<ModuleOp> module = ModuleOp::create(unknown);
  OpBuilder builder = OpBuilder::atBlockEnd(module->getBody());
  auto program = ir::ProgramOp::create(builder, unknown);
  builder.setInsertionPointToEnd(&program.getBody().front());
  for (auto [i, inst] : llvm::enumerate(insts))
    ir::createInstructionOp(builder, locs.empty() ? unknown : locs[i], inst);
  return module;
}

namespace {

LogicalResult exportToStream(Operation *op, raw_ostream &os, bool binary) {
  FailureOr<ir::ProgramOp> program = findProgram(op);
  if (failed(program))
    return failure();
  FailureOr<std::vector<Instruction>> insts = exportProgram(*program);
  if (failed(insts))
    return failure();
  if (binary) {
    std::vector<uint8_t> bytes = encodeStream(*insts);
    os.write(reinterpret_cast<const char *>(bytes.data()), bytes.size());
    return success();
  }
  for (const Instruction &inst : *insts) {
    printInstruction(os, inst);
    os << "\n";
  }
  return success();
}

llvm::StringRef bufferName(llvm::SourceMgr &sourceMgr) {
  llvm::StringRef name = sourceMgr.getMemoryBuffer(sourceMgr.getMainFileID())
                             ->getBufferIdentifier();
  return name.empty() ? llvm::StringRef("<stdin>") : name;
}

OwningOpRef<Operation *> importAssembly(llvm::SourceMgr &sourceMgr,
                                        MLIRContext *context) {
  llvm::StringRef name = bufferName(sourceMgr);
  std::vector<unsigned> lines;
  llvm::Expected<std::vector<Instruction>> insts = parseAssembly(
      sourceMgr.getMemoryBuffer(sourceMgr.getMainFileID())->getBuffer(), name,
      &lines);
  if (!insts) {
    // The message names the file, line and column, with the line and a caret.
    llvm::errs() << llvm::toString(insts.takeError()) << "\n";
    return nullptr;
  }
  SmallVector<Location> locs;
  for (unsigned line : lines)
    locs.push_back(FileLineColLoc::get(context, name, line, 1));
  return importProgram(context, *insts, locs);
}

OwningOpRef<Operation *> importBinary(llvm::SourceMgr &sourceMgr,
                                      MLIRContext *context) {
  llvm::StringRef name = bufferName(sourceMgr);
  llvm::StringRef bytes =
      sourceMgr.getMemoryBuffer(sourceMgr.getMainFileID())->getBuffer();
  llvm::Expected<std::vector<Instruction>> insts =
      decodeStream(llvm::ArrayRef<uint8_t>(
          reinterpret_cast<const uint8_t *>(bytes.data()), bytes.size()));
  Location file = FileLineColLoc::get(context, name, 0, 0);
  if (!insts) {
    emitError(file) << llvm::toString(insts.takeError());
    return nullptr;
  }
  // Each op is located at its word: `"prog.bin":0:0` named `instruction N`.
  SmallVector<Location> locs;
  for (size_t i = 0; i < insts->size(); ++i)
    locs.push_back(NameLoc::get(
        StringAttr::get(context, "instruction " + std::to_string(i)), file));
  return importProgram(context, *insts, locs);
}

/// The program's `accel.buffers` manifest as JSON (docs/Accelerator.md,
/// "Running on qtrain-sim").
LogicalResult exportManifest(Operation *op, raw_ostream &os) {
  FailureOr<ir::ProgramOp> program = findProgram(op);
  if (failed(program))
    return failure();
  auto buffers = (*program)->getAttrOfType<ArrayAttr>("accel.buffers");
  if (!buffers)
    return program->emitError("the program has no accel.buffers manifest "
                              "(convert-qtrain-to-accel writes one)");
  llvm::json::Array entries;
  for (Attribute attr : buffers) {
    auto dict = dyn_cast<DictionaryAttr>(attr);
    auto name = dict ? dict.getAs<StringAttr>("name") : nullptr;
    auto role = dict ? dict.getAs<StringAttr>("role") : nullptr;
    auto address = dict ? dict.getAs<IntegerAttr>("address") : nullptr;
    auto bytes = dict ? dict.getAs<IntegerAttr>("bytes") : nullptr;
    auto shape = dict ? dict.getAs<DenseI64ArrayAttr>("shape") : nullptr;
    auto type = dict ? dict.getAs<TypeAttr>("type") : nullptr;
    if (!name || !role || !address || !bytes || !shape || !type)
      return program->emitError("malformed accel.buffers entry ")
             << attr << ": needs name, role, address, bytes, shape, type";
    std::string typeText;
    llvm::raw_string_ostream typeOs(typeText);
    type.getValue().print(typeOs);
    entries.push_back(
        llvm::json::Object{{"name", name.getValue()},
                           {"role", role.getValue()},
                           {"address", address.getInt()},
                           {"bytes", bytes.getInt()},
                           {"shape", llvm::json::Array(shape.asArrayRef())},
                           {"type", typeText}});
  }
  llvm::json::Object manifest{{"buffers", std::move(entries)}};
  if (auto function = (*program)->getAttrOfType<StringAttr>("accel.function"))
    manifest["function"] = function.getValue();
  os << llvm::formatv("{0:2}", llvm::json::Value(std::move(manifest))) << "\n";
  return success();
}

} // namespace

void registerAccelTranslations(
    std::function<void(DialectRegistry &)> registerInputDialects) {
  auto registerDialect = [registerInputDialects](DialectRegistry &registry) {
    registry.insert<ir::AccelDialect>();
    if (registerInputDialects)
      registerInputDialects(registry);
  };
  TranslateFromMLIRRegistration toAsm(
      "accel-to-asm", "the accel.program as canonical text assembly",
      [](Operation *op, raw_ostream &os) {
        return exportToStream(op, os, /*binary=*/false);
      },
      registerDialect);
  TranslateFromMLIRRegistration toBinary(
      "accel-to-binary", "the accel.program as 16-byte instruction words",
      [](Operation *op, raw_ostream &os) {
        return exportToStream(op, os, /*binary=*/true);
      },
      registerDialect);
  TranslateFromMLIRRegistration toManifest(
      "accel-to-manifest", "the program's DRAM buffers (accel.buffers) as JSON",
      exportManifest, registerDialect);
  TranslateToMLIRRegistration fromAsm(
      "asm-to-accel", "text assembly to an accel.program",
      [](llvm::SourceMgr &sourceMgr, MLIRContext *context) {
        return importAssembly(sourceMgr, context);
      },
      registerDialect);
  TranslateToMLIRRegistration fromBinary(
      "binary-to-accel", "16-byte instruction words to an accel.program",
      [](llvm::SourceMgr &sourceMgr, MLIRContext *context) {
        return importBinary(sourceMgr, context);
      },
      registerDialect);
}

} // namespace qtrain::accel
