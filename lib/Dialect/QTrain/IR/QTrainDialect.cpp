//===- QTrainDialect.cpp - The qtrain dialect -----------------------------===//

#include "qtrain/Dialect/QTrain/IR/QTrainDialect.h"

#include "qtrain/Dialect/QTrain/IR/QTrainAttrs.h"
#include "qtrain/Dialect/QTrain/IR/QTrainOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Transforms/InliningUtils.h"

using namespace mlir;
using namespace qtrain;

#include "qtrain/Dialect/QTrain/IR/QTrainDialect.cpp.inc"

namespace {
/// Every qtrain op may be inlined: none has regions, and an op's result
/// depends only on its operands and attributes (random streams included:
/// their seeds are operands), so a call's body computes the same bits
/// where it is inlined.
struct QTrainInlinerInterface : DialectInlinerInterface {
  using DialectInlinerInterface::DialectInlinerInterface;
  bool isLegalToInline(Operation *, Region *, bool, IRMapping &) const final {
    return true;
  }
};
} // namespace

void QTrainDialect::initialize() {
  registerAttributes();
  addOperations<
#define GET_OP_LIST
#include "qtrain/Dialect/QTrain/IR/QTrainOps.cpp.inc"
      >();
  addInterfaces<QTrainInlinerInterface>();
}

Operation *QTrainDialect::materializeConstant(OpBuilder &builder,
                                              Attribute value, Type type,
                                              Location loc) {
  auto typed = llvm::dyn_cast<TypedAttr>(value);
  if (!typed || typed.getType() != type)
    return nullptr;
  return arith::ConstantOp::create(builder, loc, type, typed);
}
