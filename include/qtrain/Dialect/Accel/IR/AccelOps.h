//===- AccelOps.h - accel operations ----------------------------*- C++ -*-===//
//
// The accel dialect's ops: `accel.program` and one op per instruction
// encoding of include/qtrain/Accel/Instructions.def (generated, see
// AccelOps.td), plus the conversions between an instruction op and the
// encoding library's qtrain::accel::Instruction that the translations, the
// conversion pass and the tests use.
//
//===----------------------------------------------------------------------===//

#ifndef QTRAIN_DIALECT_ACCEL_IR_ACCELOPS_H
#define QTRAIN_DIALECT_ACCEL_IR_ACCELOPS_H

#include "qtrain/Accel/ISA.h"
#include "qtrain/Dialect/Accel/IR/AccelDialect.h"

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/OpImplementation.h"

#include <optional>

#include "qtrain/Dialect/Accel/IR/AccelEnums.h.inc"

namespace qtrain::accel::ir {

/// The custom assembly, shared by every instruction op: the fields in table
/// order, `name = value` separated by commas, enum fields by case name,
/// `bits` fields in hexadecimal with all their digits, flags as the bare
/// name when set (omitted when clear), then any other attributes:
///
///   accel.gemm pop_prev, format_a = 0, format_b = 1, accum = 0, mode = m4,
///              init, threshold_reg = 0, a_row = 0, ..., k = 256
///
/// The parser takes the fields in any order; every non-flag field must be
/// given.
mlir::ParseResult parseInstructionOp(mlir::OpAsmParser &parser,
                                     mlir::OperationState &result,
                                     InstructionKind kind);
void printInstructionOp(mlir::OpAsmPrinter &printer, mlir::Operation *op);
/// Every field in its legal range (the encoding library's verifyFields:
/// `'accel.gemm' op field 'm' is 0, legal 1..4095`).
llvm::LogicalResult verifyInstructionOp(mlir::Operation *op);

/// The encoding `op` stands for, if it is an instruction op.
std::optional<InstructionKind> getInstructionKind(mlir::Operation *op);

/// The instruction of an instruction op, its values as the op holds them
/// (verify the op, or call verifyFields, to know they are legal). Fails
/// with an error at the op when it is not an instruction op or a field's
/// attribute is missing or of the wrong kind.
mlir::FailureOr<Instruction> toInstruction(mlir::Operation *op);

/// Creates the instruction op of `inst` at the builder's insertion point.
mlir::Operation *createInstructionOp(mlir::OpBuilder &builder,
                                     mlir::Location loc,
                                     const Instruction &inst);

} // namespace qtrain::accel::ir

#define GET_OP_CLASSES
#include "qtrain/Dialect/Accel/IR/AccelOps.h.inc"

#endif // QTRAIN_DIALECT_ACCEL_IR_ACCELOPS_H
