//===- StepState.h - What the recipe passes share -----------------*- C++
//-*-===//
//
// The explicit state of a training step (amax histories, statistics, modes,
// counters: arguments, and results that are their next values) and the
// recipe every recipe pass loads.
//
//===----------------------------------------------------------------------===//

#ifndef QTRAIN_DIALECT_QTRAIN_TRANSFORMS_STEPSTATE_H
#define QTRAIN_DIALECT_QTRAIN_TRANSFORMS_STEPSTATE_H

#include "qtrain/Recipes/Recipe.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"

namespace qtrain {

/// The recipe `nameOrPath`, or an error on `module` naming the pass.
mlir::FailureOr<recipes::Recipe> loadRecipeFor(mlir::ModuleOp module,
                                               llvm::StringRef pass,
                                               llvm::StringRef nameOrPath);

/// Appends state arguments of `types` with `attrs` to `fn` in one batch
/// (adding them one by one rewrites the function type each time); returns
/// the index of the first.
mlir::FailureOr<unsigned>
appendStateArguments(mlir::func::FuncOp fn, mlir::TypeRange types,
                     llvm::ArrayRef<mlir::DictionaryAttr> attrs);

/// Appends results `values` that are the next values of the arguments from
/// `firstArg` on: their attributes are the arguments' plus qtrain.updates =
/// the argument's index. `fn` must have one block.
mlir::LogicalResult appendStateResults(mlir::func::FuncOp fn, unsigned firstArg,
                                       mlir::ValueRange values);

} // namespace qtrain

#endif // QTRAIN_DIALECT_QTRAIN_TRANSFORMS_STEPSTATE_H
