//===- Passes.h - qtrain conversion passes ----------------------*- C++ -*-===//

#ifndef QTRAIN_CONVERSION_PASSES_H
#define QTRAIN_CONVERSION_PASSES_H

#include "qtrain/Conversion/QTrainToVector/QTrainToVector.h"
#include "qtrain/Dialect/Accel/IR/AccelDialect.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/ControlFlow/IR/ControlFlow.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Pass/Pass.h"

namespace qtrain {

#define GEN_PASS_DECL
#define GEN_PASS_REGISTRATION
#include "qtrain/Conversion/Passes.h.inc"

} // namespace qtrain

#endif // QTRAIN_CONVERSION_PASSES_H
