//===- QTrainAttrs.h - qtrain attributes ------------------------*- C++ -*-===//
//
// The attributes hold numerics-library descriptors by value; the hash_value
// overloads below let MLIR unique them.
//
//===----------------------------------------------------------------------===//

#ifndef QTRAIN_DIALECT_QTRAIN_IR_QTRAINATTRS_H
#define QTRAIN_DIALECT_QTRAIN_IR_QTRAINATTRS_H

#include "qtrain/Numerics/Accumulation.h"
#include "qtrain/Numerics/ScaledFormat.h"

#include "mlir/IR/Attributes.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/OpImplementation.h"

#include "llvm/ADT/Hashing.h"

namespace qtrain::numerics {
llvm::hash_code hash_value(const MinifloatFormat &f);
llvm::hash_code hash_value(const IntegerFormat &f);
llvm::hash_code hash_value(const ScaleFormat &f);
llvm::hash_code hash_value(const Rounding &r);
llvm::hash_code hash_value(const AccumulationSpec &s);
} // namespace qtrain::numerics

#include "qtrain/Dialect/QTrain/IR/QTrainAttrInterfaces.h.inc"
#include "qtrain/Dialect/QTrain/IR/QTrainEnums.h.inc"

#define GET_ATTRDEF_CLASSES
#include "qtrain/Dialect/QTrain/IR/QTrainAttrDefs.h.inc"

namespace qtrain {
/// The element format of a #qtrain.fp or #qtrain.int attribute, or null.
std::optional<numerics::ElementFormat> getElementFormat(mlir::Attribute a);
} // namespace qtrain

#endif // QTRAIN_DIALECT_QTRAIN_IR_QTRAINATTRS_H
