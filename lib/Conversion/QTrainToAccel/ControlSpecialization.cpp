//===- ControlSpecialization.cpp - Folding host-known control flow --------===//
//
// Constant propagation from the state arguments through ops without
// regions (Operation::fold, plus the absorbing i1 operands of andi / ori
// and a select's decided operand, which need only one known operand), then
// the decisions it determines (control conditions and every i1 value)
// replaced by constants and folded by the ops' own folders and
// canonicalizations.
//
//===----------------------------------------------------------------------===//

#include "qtrain/Conversion/QTrainToAccel/ControlSpecialization.h"

#include "qtrain/Conversion/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Matchers.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace qtrain {
#define GEN_PASS_DEF_SPECIALIZECONTROL
#include "qtrain/Conversion/Passes.h.inc"
} // namespace qtrain

using namespace mlir;

namespace qtrain::accel {

namespace {

/// The condition operand of a control op, if `op` is one.
OpOperand *conditionOf(Operation *op) {
  if (auto ifOp = dyn_cast<scf::IfOp>(op))
    return &ifOp.getConditionMutable();
  if (auto switchOp = dyn_cast<scf::IndexSwitchOp>(op))
    return &switchOp.getArgMutable();
  if (auto select = dyn_cast<arith::SelectOp>(op))
    return &select.getConditionMutable();
  return nullptr;
}

bool isI1(Value v) { return v.getType().isInteger(1); }

/// The value of `op`'s result that its known operands alone determine,
/// where one unknown operand does not matter: an i1 andi with a false
/// operand, an i1 ori with a true one, a select with a decided condition
/// and a known chosen value. Null otherwise.
Attribute partiallyFolded(Operation *op,
                          const DenseMap<Value, Attribute> &known) {
  auto boolOf = [&](Value v) -> std::optional<bool> {
    if (auto b = dyn_cast_or_null<IntegerAttr>(known.lookup(v)); b && isI1(v))
      return b.getValue().getBoolValue();
    return std::nullopt;
  };
  auto absorbing = [&](bool absorber) -> Attribute {
    for (Value v : op->getOperands())
      if (boolOf(v) == absorber)
        return known.lookup(v);
    return {};
  };
  if (isa<arith::AndIOp>(op) && isI1(op->getResult(0)))
    return absorbing(false);
  if (isa<arith::OrIOp>(op) && isI1(op->getResult(0)))
    return absorbing(true);
  if (auto select = dyn_cast<arith::SelectOp>(op))
    if (std::optional<bool> c = boolOf(select.getCondition()))
      return known.lookup(*c ? select.getTrueValue() : select.getFalseValue());
  return {};
}

/// Constant attributes of the values folding determines from `state`.
DenseMap<Value, Attribute> propagate(func::FuncOp func,
                                     const StateValues &state) {
  DenseMap<Value, Attribute> known;
  for (auto [index, value] : state) {
    if (index >= func.getNumArguments())
      continue;
    auto type = dyn_cast<RankedTensorType>(func.getArgument(index).getType());
    if (!type || type.getRank() != 0 || !type.getElementType().isInteger())
      continue;
    known[func.getArgument(index)] = DenseElementsAttr::get(
        type, IntegerAttr::get(type.getElementType(), value));
  }
  func.walk([&](Operation *op) {
    if (op->getNumRegions() || op->getNumResults() == 0)
      return;
    Attribute constant;
    if (op->getNumResults() == 1 &&
        matchPattern(op->getResult(0), m_Constant(&constant))) {
      known[op->getResult(0)] = constant;
      return;
    }
    SmallVector<Attribute> operands;
    for (Value v : op->getOperands()) {
      Attribute a = known.lookup(v);
      if (!a) {
        if (op->getNumResults() == 1)
          if (Attribute partial = partiallyFolded(op, known))
            known[op->getResult(0)] = partial;
        return;
      }
      operands.push_back(a);
    }
    // tensor.extract of a known 0-d tensor.
    if (auto extract = dyn_cast<tensor::ExtractOp>(op)) {
      if (auto dense = dyn_cast<DenseElementsAttr>(operands[0]);
          dense && extract.getIndices().empty())
        known[extract.getResult()] = dense.getSplatValue<Attribute>();
      return;
    }
    SmallVector<OpFoldResult> results;
    if (failed(op->fold(operands, results)))
      return;
    for (auto [result, folded] : llvm::zip(op->getResults(), results))
      if (auto attr = dyn_cast<Attribute>(folded))
        known[result] = attr;
      else if (Attribute a = known.lookup(cast<Value>(folded)))
        known[result] = a;
  });
  return known;
}

/// The decisions in `func`, in walk order: the condition of every control
/// op and every i1 value an op computes (an i1 decided by the state makes
/// the andi / ori / select it feeds foldable).
SmallVector<OpOperand *> decisions(func::FuncOp func) {
  SmallVector<OpOperand *> uses;
  func.walk([&](Operation *op) {
    if (OpOperand *condition = conditionOf(op))
      uses.push_back(condition);
    else
      for (OpOperand &operand : op->getOpOperands())
        if (isI1(operand.get()) && operand.get().getDefiningOp())
          uses.push_back(&operand);
  });
  return uses;
}

} // namespace

SmallVector<Attribute> evaluateControl(func::FuncOp func,
                                       const StateValues &state) {
  DenseMap<Value, Attribute> known = propagate(func, state);
  SmallVector<Attribute> outcome;
  for (OpOperand *use : decisions(func))
    outcome.push_back(known.lookup(use->get()));
  return outcome;
}

LogicalResult specializeControl(func::FuncOp func, const StateValues &state) {
  DenseMap<Value, Attribute> known = propagate(func, state);
  OpBuilder builder(func.getContext());
  SmallVector<Operation *> touched;
  for (OpOperand *use : decisions(func)) {
    auto typed = dyn_cast_or_null<TypedAttr>(known.lookup(use->get()));
    if (!typed || matchPattern(use->get(), m_Constant()))
      continue;
    Operation *op = use->getOwner();
    builder.setInsertionPoint(op);
    use->set(
        arith::ConstantOp::create(builder, op->getLoc(), typed).getResult());
    touched.push_back(op);
  }
  // Only the decided ops (and what their folding creates) are rewritten:
  // the rest of the step stays as the conversion expects it.
  MLIRContext *ctx = func.getContext();
  RewritePatternSet patterns(ctx);
  scf::IfOp::getCanonicalizationPatterns(patterns, ctx);
  scf::IndexSwitchOp::getCanonicalizationPatterns(patterns, ctx);
  arith::SelectOp::getCanonicalizationPatterns(patterns, ctx);
  GreedyRewriteConfig config;
  config.setStrictness(GreedyRewriteStrictness::ExistingAndNewOps);
  if (failed(applyOpPatternsGreedily(touched, std::move(patterns), config)))
    return failure();
  // What only the branches not taken used (the conditions themselves, a
  // quantize for the other phase) is dead: erase it, last use first.
  SmallVector<Operation *> ops;
  func.walk([&](Operation *op) { ops.push_back(op); });
  for (Operation *op : llvm::reverse(ops))
    if (isOpTriviallyDead(op))
      op->erase();
  return success();
}

namespace {

struct SpecializeControlPass
    : qtrain::impl::SpecializeControlBase<SpecializeControlPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    func::FuncOp func;
    if (!function.empty()) {
      func = module.lookupSymbol<func::FuncOp>(function);
    } else {
      for (auto f : module.getOps<func::FuncOp>())
        if (!f.isExternal()) {
          if (func) {
            emitError(module.getLoc())
                << "qtrain-specialize-control: the module has several "
                   "functions; name one with function=NAME";
            return signalPassFailure();
          }
          func = f;
        }
    }
    if (!func || func.isExternal()) {
      emitError(module.getLoc()) << "qtrain-specialize-control: no function '"
                                 << function << "' with a body";
      return signalPassFailure();
    }
    StateValues values;
    for (const std::string &pair : state) {
      auto [index, value] = llvm::StringRef(pair).split('=');
      unsigned i;
      int64_t v;
      if (index.trim().getAsInteger(10, i) ||
          value.trim().getAsInteger(10, v)) {
        emitError(func.getLoc()) << "qtrain-specialize-control: state entry '"
                                 << pair << "' is not INDEX=VALUE (integers)";
        return signalPassFailure();
      }
      auto type =
          i < func.getNumArguments()
              ? dyn_cast<RankedTensorType>(func.getArgument(i).getType())
              : RankedTensorType();
      if (!type || type.getRank() != 0 || !type.getElementType().isInteger()) {
        emitError(func.getLoc())
            << "qtrain-specialize-control: state entry '" << pair
            << "': argument " << i << " of " << func.getNumArguments()
            << " is not a 0-d integer tensor";
        return signalPassFailure();
      }
      values[i] = v;
    }
    if (failed(specializeControl(func, values)))
      return signalPassFailure();
  }
};

} // namespace

} // namespace qtrain::accel
