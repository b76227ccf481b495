//===- AccelTranslation.h - accel IR <-> assembly and binary ----*- C++ -*-===//
//
// The translations between the `accel` dialect and the accelerator's two
// external forms, the text assembly and the binary instruction stream
// (docs/Accelerator.md, "Assembly" and "Words and decoding"), all through
// the encoding library (QTrainAccelISA), so the dialect, qtrain-asm and the
// functional model read and write the same words.
//
//===----------------------------------------------------------------------===//

#ifndef QTRAIN_TARGET_ACCEL_ACCELTRANSLATION_H
#define QTRAIN_TARGET_ACCEL_ACCELTRANSLATION_H

#include "qtrain/Accel/ISA.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"

#include <functional>
#include <vector>

namespace qtrain::accel::ir {
class ProgramOp;
} // namespace qtrain::accel::ir

namespace qtrain::accel {

/// The instructions of `program`, in program order. Fails with an error at
/// the offending op when an op is not a verified instruction or when the
/// program does not end with `accel.finish` (a stream the decoder would
/// reject).
mlir::FailureOr<std::vector<Instruction>> exportProgram(ir::ProgramOp program);

/// The single `accel.program` of `op` (op itself or nested in it); an error
/// at `op` when there is none or more than one.
mlir::FailureOr<ir::ProgramOp> findProgram(mlir::Operation *op);

/// A module holding one `accel.program` with `insts`; op `i` gets location
/// `locs[i]` when `locs` is not empty.
mlir::OwningOpRef<mlir::ModuleOp>
importProgram(mlir::MLIRContext *context, llvm::ArrayRef<Instruction> insts,
              llvm::ArrayRef<mlir::Location> locs = {});

/// Registers `accel-to-asm`, `asm-to-accel`, `accel-to-binary`,
/// `binary-to-accel` and `accel-to-manifest` with mlir-translate's
/// registry. The accel dialect is always loaded; `registerInputDialects`
/// adds the dialects of whatever else the input modules hold (the functions
/// convert-qtrain-to-accel did not map).
void registerAccelTranslations(
    std::function<void(mlir::DialectRegistry &)> registerInputDialects = {});

} // namespace qtrain::accel

#endif // QTRAIN_TARGET_ACCEL_ACCELTRANSLATION_H
