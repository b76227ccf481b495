//===- Passes.h - qtrain dialect transformation passes ----------*- C++ -*-===//
//
// The passes declared in Passes.td: createXPass() constructors, their
// options structs and registerQTrainTransformsPasses() (qtrain-opt).
//
//===----------------------------------------------------------------------===//

#ifndef QTRAIN_DIALECT_QTRAIN_TRANSFORMS_PASSES_H
#define QTRAIN_DIALECT_QTRAIN_TRANSFORMS_PASSES_H

#include "qtrain/Dialect/QTrain/Transforms/Decompose.h"

#include "mlir/Pass/Pass.h"

namespace qtrain {

#define GEN_PASS_DECL
#include "qtrain/Dialect/QTrain/Transforms/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "qtrain/Dialect/QTrain/Transforms/Passes.h.inc"

} // namespace qtrain

#endif // QTRAIN_DIALECT_QTRAIN_TRANSFORMS_PASSES_H
