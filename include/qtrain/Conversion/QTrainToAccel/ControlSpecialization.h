//===- ControlSpecialization.h - Run-time control on the host ---*- C++ -*-===//
//
// The accelerator has no branches (docs/Accelerator.md, "Run-time control
// flow"): a training step whose scf.if / scf.index_switch / arith.select
// conditions depend only on its 0-d integer state arguments (the step
// counter of adaptive-bias FP8's warm-up) is compiled once per outcome of
// those conditions, which the host evaluates before each step from the
// state it passes in.
//
//===----------------------------------------------------------------------===//

#ifndef QTRAIN_CONVERSION_QTRAINTOACCEL_CONTROLSPECIALIZATION_H
#define QTRAIN_CONVERSION_QTRAINTOACCEL_CONTROLSPECIALIZATION_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinAttributes.h"

#include "llvm/ADT/SmallVector.h"

#include <map>

namespace qtrain::accel {

/// Values of 0-d integer tensor arguments, by argument index.
using StateValues = std::map<unsigned, int64_t>;

/// The conditions of `func`'s scf.if, scf.index_switch and arith.select ops
/// (in walk order) that constant folding determines from `state` and
/// constants: each the condition's constant attribute, or null where the
/// condition depends on anything else. Equal vectors mean equal
/// specializations.
llvm::SmallVector<mlir::Attribute> evaluateControl(mlir::func::FuncOp func,
                                                   const StateValues &state);

/// Replaces every condition `evaluateControl` determines by its constant
/// and folds the branches away (scf.if, scf.index_switch and arith.select
/// canonicalizations only); the state arguments stay arguments.
mlir::LogicalResult specializeControl(mlir::func::FuncOp func,
                                      const StateValues &state);

} // namespace qtrain::accel

#endif // QTRAIN_CONVERSION_QTRAINTOACCEL_CONTROLSPECIALIZATION_H
