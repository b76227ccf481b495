//===- AccelDialect.h - The accel dialect -----------------------*- C++ -*-===//

#ifndef QTRAIN_DIALECT_ACCEL_IR_ACCELDIALECT_H
#define QTRAIN_DIALECT_ACCEL_IR_ACCELDIALECT_H

#include "mlir/IR/Dialect.h"

#include "qtrain/Dialect/Accel/IR/AccelDialect.h.inc"

#endif // QTRAIN_DIALECT_ACCEL_IR_ACCELDIALECT_H
