//===- AccelDialect.cpp - The accel dialect -------------------------------===//

#include "qtrain/Dialect/Accel/IR/AccelDialect.h"

#include "qtrain/Dialect/Accel/IR/AccelOps.h"

using namespace mlir;
using namespace qtrain::accel;
using namespace qtrain::accel::ir;

#include "qtrain/Dialect/Accel/IR/AccelDialect.cpp.inc"

void AccelDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "qtrain/Dialect/Accel/IR/AccelOps.cpp.inc"
      >();
}
