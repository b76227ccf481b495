//===- QTrainDialect.h - The qtrain dialect ---------------------*- C++ -*-===//

#ifndef QTRAIN_DIALECT_QTRAIN_IR_QTRAINDIALECT_H
#define QTRAIN_DIALECT_QTRAIN_IR_QTRAINDIALECT_H

#include "mlir/IR/Dialect.h"

#include "qtrain/Dialect/QTrain/IR/QTrainDialect.h.inc"

#endif // QTRAIN_DIALECT_QTRAIN_IR_QTRAINDIALECT_H
