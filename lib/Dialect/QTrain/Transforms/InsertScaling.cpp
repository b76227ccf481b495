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
#include "qtrain/Dialect/QTrain/Transforms/StepState.h"
#include "qtrain/Recipes/Recipe.h"

#include "qtrain/Numerics/Presets.h"
#include "qtrain/Numerics/Statistics.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

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
    FailureOr<recipes::Recipe> loaded =
        loadRecipeFor(module, "qtrain-insert-scaling", recipe);
    if (failed(loaded))
      return signalPassFailure();
    for (auto fn : module.getOps<func::FuncOp>())
      if (failed(runOnFunction(*loaded, fn)))
        return signalPassFailure();
  }

  LogicalResult runOnFunction(const recipes::Recipe &r, func::FuncOp fn) {
    SmallVector<QuantizeOp> tagged;
    SmallVector<DelayedSite> delayed;
    SmallVector<AdaptiveSite> adaptive;
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
                           "not the one recipe '")
               << r.name
               << "' gives this role: run the pass with the recipe "
                  "qtrain-assign-precision used";
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
        adaptive.push_back({q, &rule, *role});
        break;
      }
    }
    if (failed(delayedScaling(fn, delayed)))
      return failure();
    return adaptiveBias(fn, adaptive);
  }

  /// A quantize whose role's bias adapts.
  struct AdaptiveSite {
    mutable QuantizeOp q;
    const recipes::RoleRule *rule;
    Role role;
  };

  /// Adaptive-bias FP8 (docs/Passes.md): one bias (a median_lookup scale)
  /// per role, shared by all layers, from a median histogram of every
  /// tensor of the role during the f32 warm-up (and `freezeAfter` steps
  /// more), then frozen. State: a step counter, and per role the histogram
  /// and the scale; the quantize uses the scale of the statistics up to the
  /// previous step.
  LogicalResult adaptiveBias(func::FuncOp fn, ArrayRef<AdaptiveSite> sites) {
    if (sites.empty())
      return success();
    MLIRContext *ctx = fn.getContext();
    // One rule per role: the bias is shared by every layer.
    SmallVector<Role> roles;
    llvm::DenseMap<unsigned, const recipes::RoleRule *> ruleOf;
    for (const AdaptiveSite &s : sites) {
      auto [it, inserted] = ruleOf.try_emplace(unsigned(s.role), s.rule);
      if (inserted) {
        roles.push_back(s.role);
      } else if (it->second->format != s.rule->format ||
                 it->second->scaling != s.rule->scaling) {
        return s.q.emitError("qtrain-insert-scaling: adaptive_bias shares "
                             "one bias per role across layers, so every ")
               << recipes::roleName(s.role)
               << " needs the same format and scaling";
      }
    }
    const recipes::Scaling &scaling = sites.front().rule->scaling;
    for (const AdaptiveSite &s : sites)
      if (s.rule->scaling.warmupSteps != scaling.warmupSteps ||
          s.rule->scaling.freezeAfter != scaling.freezeAfter)
        return s.q.emitError("qtrain-insert-scaling: adaptive_bias roles "
                             "share one step counter: give every role the "
                             "same warmup_steps and freeze_after");

    const bool training = isTrainingStep(fn);
    Builder b(ctx);
    auto i64 = b.getI64Type();
    auto counterType = RankedTensorType::get({}, i64);
    auto histType = RankedTensorType::get(
        {int64_t(numerics::median_histogram::kBins)}, i64);
    auto scalar = RankedTensorType::get({}, b.getF32Type());
    // Arguments: the step counter, then (histogram, scale) per role.
    unsigned first = fn.getNumArguments();
    SmallVector<Type> types = {counterType};
    SmallVector<DictionaryAttr> attrs = {b.getDictionaryAttr(
        b.getNamedAttr(kRoleAttr, b.getStringAttr("step")))};
    for (Role role : roles) {
      for (auto [type, name] :
           {std::pair<Type, StringRef>{histType, "median_histogram"},
            {scalar, "adaptive_scale"}}) {
        types.push_back(type);
        attrs.push_back(b.getDictionaryAttr(
            {b.getNamedAttr(kRoleAttr, b.getStringAttr(name)),
             b.getNamedAttr("qtrain.tensor_role",
                            b.getStringAttr(recipes::roleName(role)))}));
      }
    }
    if (failed(appendStateArguments(fn, types, attrs)))
      return fn.emitError("qtrain-insert-scaling: cannot add arguments");

    Block &entry = fn.getBody().front();
    OpBuilder eb = OpBuilder::atBlockBegin(&entry);
    Location loc = fn.getLoc();
    Value counter = fn.getArgument(first);
    Value step = tensor::ExtractOp::create(eb, loc, counter, ValueRange{});
    auto constant = [&](int64_t v) -> Value {
      return arith::ConstantOp::create(eb, loc, eb.getI64IntegerAttr(v));
    };
    Value inWarmup = arith::CmpIOp::create(eb, loc, arith::CmpIPredicate::slt,
                                           step, constant(scaling.warmupSteps));
    Value gathering =
        scaling.freezeAfter
            ? Value(arith::CmpIOp::create(
                  eb, loc, arith::CmpIPredicate::slt, step,
                  constant(scaling.warmupSteps + *scaling.freezeAfter)))
            : Value(arith::ConstantOp::create(eb, loc, eb.getBoolAttr(true)));

    // Each site: add the tensor to its role's histogram; quantize with the
    // role's scale (a given e8m0 level), or pass the tensor through during
    // the warm-up.
    // The median_lookup level of the abfp8_e5m2 preset (median_exponent 1)
    // is the one the technique specifies, for its E5M2 element format only.
    const numerics::ScaledPreset *preset = numerics::lookupScaled("abfp8_e5m2");
    const numerics::MinifloatFormat &e5m2 = *preset->format.element.minifloat();
    for (const AdaptiveSite &s : sites) {
      auto fp = llvm::dyn_cast<FloatFormatAttr>(s.rule->format);
      if (!fp || fp.getFormat() != e5m2)
        return s.q.emitError("qtrain-insert-scaling: adaptive_bias is "
                             "defined for adaptive-bias FP8's element format "
                             "(#qtrain.fp<e5m2, specials = none, subnormals = "
                             "false, overflow = saturate>)");
    }
    llvm::DenseSet<std::pair<unsigned, Value>> gathered;
    const numerics::ScaleLevel &median = preset->format.levels.front();
    ScaleLevelAttr medianLevel = ScaleLevelAttr::get(
        ctx, median.blockShape, median.format, median.rule, median.margin,
        median.medianExponent, median.excludeZeros, median.axisBlock);
    ScaleLevelAttr givenLevel = ScaleLevelAttr::get(
        ctx, {}, median.format, nx::ScaleRule::Given, 0, 0, false, 0);
    llvm::DenseMap<unsigned, Value> histogram;
    llvm::DenseMap<unsigned, unsigned> argOf; // role -> its histogram arg
    for (auto [i, role] : llvm::enumerate(roles)) {
      argOf[unsigned(role)] = first + 1 + 2 * i;
      histogram[unsigned(role)] = fn.getArgument(first + 1 + 2 * i);
    }
    for (const AdaptiveSite &s : sites) {
      QuantizeOp q = s.q;
      OpBuilder qb(q);
      Location ql = q.getLoc();
      unsigned r = unsigned(s.role);
      // A tensor that feeds two GEMMs (W, A and E mostly do) counts once.
      // Only while gathering: after the freeze the histogram is dead weight
      // (a pass over the tensor per site and step).
      if (training && gathered.insert({r, q.getInput()}).second) {
        Value input = q.getInput(), previous = histogram[r];
        histogram[r] =
            scf::IfOp::create(
                qb, ql, gathering,
                [&](OpBuilder &b, Location l) {
                  Value h = MedianHistogramOp::create(b, l, histType, input,
                                                      previous);
                  scf::YieldOp::create(b, l, h);
                },
                [&](OpBuilder &b, Location l) {
                  scf::YieldOp::create(b, l, previous);
                })
                .getResult(0);
      }
      Value scale = fn.getArgument(argOf[r] + 1);
      auto format = ScaledFormatAttr::get(ctx, s.rule->format, {givenLevel},
                                          /*rounding=*/nullptr);
      // The tensor itself during the warm-up, else its quantization: one
      // branch runs (a select would quantize during the warm-up too and
      // pass over both tensors after it).
      auto chosen = scf::IfOp::create(
          qb, ql, inWarmup,
          [&](OpBuilder &b, Location l) {
            scf::YieldOp::create(b, l, q.getInput());
          },
          [&](OpBuilder &b, Location l) {
            auto scaled = QuantizeOp::create(
                b, l, q.getType(), q.getInput(), q.getSeed(),
                q.getRandomData(), ValueRange{scale}, format,
                q.getRoundingAttr(), q.getReductionAxisAttr());
            scaled->setDiscardableAttrs(q->getDiscardableAttrDictionary());
            scf::YieldOp::create(b, l, scaled.getResult());
          });
      q.replaceAllUsesWith(chosen.getResult(0));
      q.erase();
    }

    // A prediction reads the state and keeps it.
    if (!training)
      return success();
    // Results: the next counter, and per role the histogram (while
    // gathering) and the scale of everything gathered so far.
    auto ret = llvm::cast<func::ReturnOp>(entry.getTerminator());
    OpBuilder rb(ret);
    Value next = arith::AddIOp::create(
        rb, loc, step,
        arith::ConstantOp::create(rb, loc, rb.getI64IntegerAttr(1)));
    SmallVector<Value> results = {
        tensor::FromElementsOp::create(rb, loc, counterType, ValueRange{next})};
    for (Role role : roles) {
      unsigned arg = argOf[unsigned(role)];
      Value hist = arith::SelectOp::create(
          rb, loc, gathering, histogram[unsigned(role)], fn.getArgument(arg));
      Value med =
          HistogramMedianOp::create(rb, loc, scalar, hist, rb.getUnitAttr());
      Value now = SelectScaleOp::create(rb, loc, scalar, med, medianLevel,
                                        ruleOf[unsigned(role)]->format);
      results.push_back(hist);
      results.push_back(arith::SelectOp::create(rb, loc, gathering, now,
                                                fn.getArgument(arg + 1)));
    }
    if (failed(appendStateResults(fn, first, results)))
      return fn.emitError("qtrain-insert-scaling: cannot add results");
    return success();
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
    Builder b(fn.getContext());
    SmallVector<Type> types;
    SmallVector<DictionaryAttr> attrs;
    for (const DelayedSite &site : sites) {
      types.push_back(
          RankedTensorType::get({site.rule->scaling.history}, b.getF32Type()));
      SmallVector<NamedAttribute> list = {
          b.getNamedAttr(kRoleAttr, b.getStringAttr("amax_history")),
          b.getNamedAttr("qtrain.tensor_role", site.q->getAttr(kRoleAttr))};
      if (!site.layer.empty())
        list.push_back(b.getNamedAttr(kLayerAttr, b.getStringAttr(site.layer)));
      attrs.push_back(b.getDictionaryAttr(list));
    }
    FailureOr<unsigned> first = appendStateArguments(fn, types, attrs);
    if (failed(first))
      return fn.emitError("qtrain-insert-scaling: cannot add arguments");
    SmallVector<Value> newHistories;
    for (auto [i, site] : llvm::enumerate(sites))
      newHistories.push_back(rewriteSite(site, fn.getArgument(*first + i)));
    if (!isTrainingStep(fn))
      return success(); // a prediction reads the histories, keeps them
    if (failed(appendStateResults(fn, *first, newHistories)))
      return fn.emitError("qtrain-insert-scaling: cannot add results");
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
