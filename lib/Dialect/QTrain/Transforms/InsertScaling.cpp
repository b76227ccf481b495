//===- InsertScaling.cpp - Per-tensor scaling by recipe -------------------===//
//
// qtrain-insert-scaling (docs/Passes.md): the per-tensor scaling a recipe
// gives a role, around the quantize ops qtrain-assign-precision created
// (they carry qtrain.role, qtrain.layer and, for GEMM operands,
// qtrain.gemm):
//
//   current_amax  the format becomes a scaled format with one whole-tensor
//                 f32 level, rule amax_to_max with the recipe's margin;
//   delayed_amax  qtrain.amax of the tensor and qtrain.delayed_scale over an
//                 amax history (a new function argument and result, state
//                 the caller threads), the quantize takes the scale through
//                 a `given` level.
//
// Adaptive bias is not implemented yet: the pass reports it and fails.
//
//===----------------------------------------------------------------------===//

#include "qtrain/Dialect/QTrain/IR/QTrainOps.h"
#include "qtrain/Dialect/QTrain/Transforms/Contractions.h"
#include "qtrain/Dialect/QTrain/Transforms/Passes.h"
#include "qtrain/Recipes/Recipe.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

namespace qtrain {
#define GEN_PASS_DEF_QTRAININSERTSCALINGPASS
#include "qtrain/Dialect/QTrain/Transforms/Passes.h.inc"
} // namespace qtrain

using namespace mlir;

namespace qtrain {
namespace {

namespace nx = numerics;
using recipes::Role;
using recipes::ScalingKind;

ScaleLevelAttr tensorLevel(MLIRContext *ctx, nx::ScaleRule rule, int margin) {
  return ScaleLevelAttr::get(ctx, /*block=*/{}, nx::ScaleFormat::f32(), rule,
                             margin, /*medianExponent=*/0,
                             /*excludeZeros=*/false, /*axisBlock=*/0);
}

struct InsertScalingPass
    : public impl::QTrainInsertScalingPassBase<InsertScalingPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    auto loaded = recipes::loadRecipe(recipe, getContext());
    if (!loaded) {
      module.emitError("qtrain-insert-scaling: ")
          << llvm::toString(loaded.takeError());
      return signalPassFailure();
    }
    for (auto fn : module.getOps<func::FuncOp>())
      if (failed(runOnFunction(*loaded, fn)))
        return signalPassFailure();
  }

  LogicalResult runOnFunction(const recipes::Recipe &r, func::FuncOp fn) {
    SmallVector<QuantizeOp> tagged;
    fn.walk([&](QuantizeOp q) {
      if (q->hasAttr(kRoleAttr))
        tagged.push_back(q);
    });
    for (QuantizeOp q : tagged) {
      auto roleName = q->getAttrOfType<StringAttr>(kRoleAttr);
      auto layerAttr = q->getAttrOfType<StringAttr>(kLayerAttr);
      auto gemm = q->getAttrOfType<ConvKindAttr>(kGemmAttr);
      std::optional<Role> role =
          roleName ? recipes::parseRole(roleName.getValue()) : std::nullopt;
      if (!role)
        return q.emitError("qtrain-insert-scaling: malformed ")
               << kRoleAttr << " attribute";
      StringRef layer = layerAttr ? layerAttr.getValue() : StringRef();
      const recipes::RoleRule &rule =
          gemm ? r.rule(layer, *role, gemm.getValue()) : r.rule(layer, *role);
      if (rule.format != q.getFormat())
        return q.emitError("qtrain-insert-scaling: the quantize's format is "
                           "not recipe '")
               << r.name << "''s for this role: run it with the recipe "
               << "qtrain-assign-precision used";
      switch (rule.scaling.kind) {
      case ScalingKind::None:
        break;
      case ScalingKind::CurrentAmax:
        q.setFormatAttr(ScaledFormatAttr::get(
            fn.getContext(), rule.format,
            {tensorLevel(fn.getContext(), nx::ScaleRule::AmaxToMax,
                         rule.scaling.margin)},
            /*rounding=*/nullptr));
        break;
      case ScalingKind::DelayedAmax:
        if (failed(delayedScaling(fn, q, rule, layer)))
          return failure();
        break;
      case ScalingKind::AdaptiveBias:
        return q.emitError("qtrain-insert-scaling: recipe '")
               << r.name << "' scales " << roleName.getValue()
               << " by adaptive_bias, which is not implemented yet";
      }
    }
    return success();
  }

  /// amax, delayed_scale over a new history argument (returned updated), and
  /// the quantize on the given scale.
  LogicalResult delayedScaling(func::FuncOp fn, QuantizeOp q,
                               const recipes::RoleRule &rule, StringRef layer) {
    MLIRContext *ctx = fn.getContext();
    OpBuilder b(q);
    Location loc = q.getLoc();
    auto historyType =
        RankedTensorType::get({rule.scaling.history}, b.getF32Type());
    auto scalar = RankedTensorType::get({}, b.getF32Type());
    // The history: argument i and the result that updates it.
    unsigned argIndex = fn.getNumArguments();
    SmallVector<NamedAttribute> attrs = {
        b.getNamedAttr(kRoleAttr, b.getStringAttr("amax_history")),
        b.getNamedAttr("qtrain.tensor_role", q->getAttr(kRoleAttr))};
    if (!layer.empty())
      attrs.push_back(b.getNamedAttr(kLayerAttr, b.getStringAttr(layer)));
    if (failed(fn.insertArgument(argIndex, historyType,
                                 b.getDictionaryAttr(attrs), loc)))
      return q.emitError("qtrain-insert-scaling: cannot add an argument");
    Value history = fn.getArgument(argIndex);

    Value amax = AmaxOp::create(b, loc, scalar, q.getInput());
    ScaleLevelAttr level =
        tensorLevel(ctx, nx::ScaleRule::AmaxToMax, rule.scaling.margin);
    auto delayed = DelayedScaleOp::create(b, loc, scalar, historyType, amax,
                                          history, level, rule.format);
    auto format = ScaledFormatAttr::get(
        ctx, rule.format, {tensorLevel(ctx, nx::ScaleRule::Given, 0)},
        /*rounding=*/nullptr);
    auto scaled = QuantizeOp::create(
        b, loc, q.getType(), q.getInput(), q.getSeed(), q.getRandomData(),
        ValueRange{delayed.getScale()}, format, q.getRoundingAttr(),
        q.getReductionAxisAttr());
    scaled->setDiscardableAttrs(q->getDiscardableAttrDictionary());
    q.replaceAllUsesWith(scaled.getResult());
    q.erase();

    // The new history is a result that updates the argument.
    auto ret = llvm::cast<func::ReturnOp>(fn.getBody().back().getTerminator());
    unsigned resultIndex = fn.getNumResults();
    SmallVector<NamedAttribute> resultAttrs(attrs);
    resultAttrs.push_back(
        b.getNamedAttr(kUpdatesAttr, b.getI64IntegerAttr(argIndex)));
    if (failed(fn.insertResult(resultIndex, historyType,
                               b.getDictionaryAttr(resultAttrs))))
      return q.emitError("qtrain-insert-scaling: cannot add a result");
    ret->insertOperands(resultIndex, delayed.getNewHistory());
    return success();
  }
};

} // namespace
} // namespace qtrain
