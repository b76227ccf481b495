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
    SmallVector<DelayedSite> delayed;
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
        delayed.push_back({q, &rule, layer.str()});
        break;
      case ScalingKind::AdaptiveBias:
        return q.emitError("qtrain-insert-scaling: recipe '")
               << r.name << "' scales " << roleName.getValue()
               << " by adaptive_bias, which is not implemented yet";
      }
    }
    return delayedScaling(fn, delayed);
  }

  /// A quantize that takes a delayed scale.
  struct DelayedSite {
    mutable QuantizeOp q; // op handles' accessors are not const
    const recipes::RoleRule *rule;
    std::string layer;
  };

  /// For every site: amax, delayed_scale over a new history argument
  /// (returned updated), and the quantize on the given scale. The
  /// arguments and results are added in one batch each (adding them one
  /// by one rewrites the function type every time: quadratic).
  LogicalResult delayedScaling(func::FuncOp fn, ArrayRef<DelayedSite> sites) {
    if (sites.empty())
      return success();
    MLIRContext *ctx = fn.getContext();
    Builder b(ctx);
    unsigned firstArg = fn.getNumArguments();
    SmallVector<unsigned> argIndices(sites.size(), firstArg);
    SmallVector<Type> types;
    SmallVector<DictionaryAttr> argAttrs, resultAttrs;
    SmallVector<Location> locs;
    for (auto [i, site] : llvm::enumerate(sites)) {
      types.push_back(
          RankedTensorType::get({site.rule->scaling.history}, b.getF32Type()));
      SmallVector<NamedAttribute> attrs = {
          b.getNamedAttr(kRoleAttr, b.getStringAttr("amax_history")),
          b.getNamedAttr("qtrain.tensor_role", site.q->getAttr(kRoleAttr))};
      if (!site.layer.empty())
        attrs.push_back(
            b.getNamedAttr(kLayerAttr, b.getStringAttr(site.layer)));
      argAttrs.push_back(b.getDictionaryAttr(attrs));
      attrs.push_back(
          b.getNamedAttr(kUpdatesAttr, b.getI64IntegerAttr(firstArg + i)));
      resultAttrs.push_back(b.getDictionaryAttr(attrs));
      locs.push_back(site.q.getLoc());
    }
    if (failed(fn.insertArguments(argIndices, types, argAttrs, locs)))
      return fn.emitError("qtrain-insert-scaling: cannot add arguments");
    SmallVector<Value> newHistories;
    for (auto [i, site] : llvm::enumerate(sites))
      newHistories.push_back(rewriteSite(site, fn.getArgument(firstArg + i)));
    unsigned firstResult = fn.getNumResults();
    SmallVector<unsigned> resultIndices(sites.size(), firstResult);
    if (failed(fn.insertResults(resultIndices, types, resultAttrs)))
      return fn.emitError("qtrain-insert-scaling: cannot add results");
    auto ret = llvm::cast<func::ReturnOp>(fn.getBody().back().getTerminator());
    ret->insertOperands(firstResult, newHistories);
    return success();
  }

  /// The site's quantize on a delayed scale from `history`; returns the new
  /// history.
  Value rewriteSite(const DelayedSite &site, Value history) {
    QuantizeOp q = site.q;
    MLIRContext *ctx = q.getContext();
    OpBuilder b(q);
    Location loc = q.getLoc();
    auto scalar = RankedTensorType::get({}, b.getF32Type());
    Value amax = AmaxOp::create(b, loc, scalar, q.getInput());
    ScaleLevelAttr level =
        tensorLevel(ctx, nx::ScaleRule::AmaxToMax, site.rule->scaling.margin);
    auto delayed =
        DelayedScaleOp::create(b, loc, scalar, history.getType(), amax, history,
                               level, site.rule->format);
    auto format = ScaledFormatAttr::get(
        ctx, site.rule->format, {tensorLevel(ctx, nx::ScaleRule::Given, 0)},
        /*rounding=*/nullptr);
    auto scaled = QuantizeOp::create(
        b, loc, q.getType(), q.getInput(), q.getSeed(), q.getRandomData(),
        ValueRange{delayed.getScale()}, format, q.getRoundingAttr(),
        q.getReductionAxisAttr());
    scaled->setDiscardableAttrs(q->getDiscardableAttrDictionary());
    q.replaceAllUsesWith(scaled.getResult());
    q.erase();
    return delayed.getNewHistory();
  }
};

} // namespace
} // namespace qtrain
