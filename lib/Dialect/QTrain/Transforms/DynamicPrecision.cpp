//===- DynamicPrecision.cpp - FlexBlock's dynamic precision control -------===//
//
// qtrain-dynamic-precision (docs/Passes.md): for every (layer, role) a
// recipe's dynamic_precision controls, the quantize ops of that layer and
// role pick their format from the mode ladder at run time (scf.index_switch
// on the current rung) and measure their zero-setting error in it; at the
// end of the step the error is summed over the period and, at the end of a
// period, the rung moves one step down the ladder (less precision) when the
// mean is below `low`, up when above `high`, after `hysteresis` periods in
// a row. Every piece of state is an argument and a result.
//
//===----------------------------------------------------------------------===//

#include "qtrain/Dialect/QTrain/IR/QTrainOps.h"
#include "qtrain/Dialect/QTrain/Transforms/Contractions.h"
#include "qtrain/Dialect/QTrain/Transforms/Passes.h"
#include "qtrain/Dialect/QTrain/Transforms/StepState.h"
#include "qtrain/Recipes/Recipe.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

namespace qtrain {
#define GEN_PASS_DEF_QTRAINDYNAMICPRECISIONPASS
#include "qtrain/Dialect/QTrain/Transforms/Passes.h.inc"
} // namespace qtrain

using namespace mlir;

namespace qtrain {
namespace {

using recipes::Role;

/// The quantize ops of one controlled (layer, role).
struct Group {
  std::string layer;
  Role role;
  unsigned start = 0; ///< the rung of the rule's format
  SmallVector<QuantizeOp> sites;
  SmallVector<Value> errors; ///< each site's zero-setting error (f32)
  unsigned modeArg = 0;      ///< then the ZSE sum and the streak
};

struct DynamicPrecisionPass
    : public impl::QTrainDynamicPrecisionPassBase<DynamicPrecisionPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    FailureOr<recipes::Recipe> loaded =
        loadRecipeFor(module, "qtrain-dynamic-precision", recipe);
    if (failed(loaded))
      return signalPassFailure();
    if (!loaded->dynamicPrecision)
      return;
    for (auto fn : module.getOps<func::FuncOp>())
      if (failed(runOnFunction(*loaded, fn)))
        return signalPassFailure();
  }

  LogicalResult runOnFunction(const recipes::Recipe &r, func::FuncOp fn) {
    const recipes::DynamicPrecision &dp = *r.dynamicPrecision;
    std::vector<Group> groups;
    fn.walk([&](QuantizeOp q) {
      auto roleName = q->getAttrOfType<StringAttr>(kRoleAttr);
      auto layerAttr = q->getAttrOfType<StringAttr>(kLayerAttr);
      std::optional<Role> role =
          roleName ? recipes::parseRole(roleName.getValue()) : std::nullopt;
      StringRef layer = layerAttr ? layerAttr.getValue() : StringRef();
      if (!role || !r.isDynamic(layer, *role))
        return;
      auto it = llvm::find_if(groups, [&](const Group &g) {
        return g.layer == layer && g.role == *role;
      });
      if (it == groups.end()) {
        Group g;
        g.layer = layer.str();
        g.role = *role;
        g.start = *dp.rung(r.rule(layer, *role).format);
        groups.push_back(std::move(g));
        it = std::prev(groups.end());
      }
      it->sites.push_back(q);
    });
    if (groups.empty())
      return success();
    for (Group &g : groups)
      for (QuantizeOp q : g.sites)
        if (!dp.rung(q.getFormat()))
          return q.emitError("qtrain-dynamic-precision: the quantize's "
                             "format is not on the recipe's ladder (run "
                             "qtrain-assign-precision with the same recipe)");

    // A prediction only reads the modes (the training step's).
    const bool training = isTrainingStep(fn);
    MLIRContext *ctx = fn.getContext();
    Builder b(ctx);
    Type i64 = b.getI64Type(), f32 = b.getF32Type();
    auto i64Tensor = RankedTensorType::get({}, i64);
    auto f32Tensor = RankedTensorType::get({}, f32);

    // State arguments: a step counter unless insert-scaling made one (then
    // it also advances it), and per group the mode (as an offset from the
    // starting rung, so that zero is the start), the period's ZSE sum and
    // the streak of periods below (> 0) or above (< 0) the thresholds.
    std::optional<unsigned> stepArg;
    for (unsigned i = 0; i < fn.getNumArguments(); ++i)
      if (auto role = fn.getArgAttrOfType<StringAttr>(i, kRoleAttr))
        if (role.getValue() == "step")
          stepArg = i;
    bool ownsStep = training && !stepArg;
    unsigned first = fn.getNumArguments();
    SmallVector<Type> types;
    SmallVector<DictionaryAttr> attrs;
    auto stateAttrs = [&](StringRef name, const Group *g) {
      SmallVector<NamedAttribute> list = {
          b.getNamedAttr(kRoleAttr, b.getStringAttr(name))};
      if (g) {
        list.push_back(b.getNamedAttr(
            "qtrain.tensor_role", b.getStringAttr(recipes::roleName(g->role))));
        if (!g->layer.empty())
          list.push_back(b.getNamedAttr(kLayerAttr, b.getStringAttr(g->layer)));
      }
      return b.getDictionaryAttr(list);
    };
    if (ownsStep) {
      stepArg = first;
      types.push_back(i64Tensor);
      attrs.push_back(stateAttrs("step", nullptr));
    }
    for (Group &g : groups) {
      g.modeArg = first + types.size();
      types.push_back(i64Tensor);
      attrs.push_back(stateAttrs("precision_mode", &g));
      if (training) {
        types.append({f32Tensor, i64Tensor});
        attrs.append({stateAttrs("zse_sum", &g), stateAttrs("zse_streak", &g)});
      }
    }
    if (failed(appendStateArguments(fn, types, attrs)))
      return fn.emitError("qtrain-dynamic-precision: cannot add arguments");

    Block &entry = fn.getBody().front();
    Location loc = fn.getLoc();
    OpBuilder eb = OpBuilder::atBlockBegin(&entry);
    auto extract = [&](OpBuilder &ob, unsigned arg) -> Value {
      return tensor::ExtractOp::create(ob, loc, fn.getArgument(arg),
                                       ValueRange{});
    };
    auto i64c = [&](OpBuilder &ob, int64_t v) -> Value {
      return arith::ConstantOp::create(ob, loc, ob.getI64IntegerAttr(v));
    };
    auto f32c = [&](OpBuilder &ob, double v) -> Value {
      return arith::ConstantOp::create(ob, loc, ob.getF32FloatAttr(v));
    };
    Value step = training ? extract(eb, *stepArg) : Value();
    int64_t rungs = dp.ladder.size();

    // Each site: one case per rung (the last one the default).
    for (Group &g : groups) {
      Value rung = arith::AddIOp::create(eb, loc, i64c(eb, g.start),
                                         extract(eb, g.modeArg));
      Value index =
          arith::IndexCastOp::create(eb, loc, eb.getIndexType(), rung);
      SmallVector<int64_t> cases;
      for (int64_t k = 0; k + 1 < rungs; ++k)
        cases.push_back(k);
      for (QuantizeOp q : g.sites) {
        OpBuilder qb(q);
        Location ql = q.getLoc();
        SmallVector<Type> switchTypes = {q.getType()};
        if (training)
          switchTypes.push_back(f32Tensor);
        auto sw = scf::IndexSwitchOp::create(qb, ql, switchTypes, index, cases,
                                             cases.size());
        auto fill = [&](Region &region, FormatAttrInterface format) {
          OpBuilder rb = OpBuilder::atBlockBegin(&region.emplaceBlock());
          auto nq =
              QuantizeOp::create(rb, ql, q.getType(), q.getInput(), q.getSeed(),
                                 q.getRandomData(), q.getScales(), format,
                                 q.getRoundingAttr(), q.getReductionAxisAttr());
          nq->setDiscardableAttrs(q->getDiscardableAttrDictionary());
          SmallVector<Value> yields = {nq.getResult()};
          if (training)
            yields.push_back(ZeroSettingErrorOp::create(
                rb, ql, f32Tensor, q.getInput(), format, q.getRoundingAttr(),
                dp.allElements ? rb.getUnitAttr() : nullptr,
                q.getReductionAxisAttr()));
          scf::YieldOp::create(rb, ql, yields);
        };
        for (int64_t k = 0; k + 1 < rungs; ++k)
          fill(sw.getCaseRegions()[k], dp.ladder[k]);
        fill(sw.getDefaultRegion(), dp.ladder[rungs - 1]);
        q.replaceAllUsesWith(sw.getResult(0));
        q.erase();
        if (training)
          g.errors.push_back(sw.getResult(1));
      }
    }
    if (!training)
      return success();

    // The update at the end of the step.
    auto ret = llvm::cast<func::ReturnOp>(entry.getTerminator());
    OpBuilder rb(ret);
    Value nextStep = arith::AddIOp::create(rb, loc, step, i64c(rb, 1));
    Value periodEnd = arith::CmpIOp::create(
        rb, loc, arith::CmpIPredicate::eq,
        arith::RemSIOp::create(rb, loc, nextStep, i64c(rb, dp.period)),
        i64c(rb, 0));
    auto toTensor = [&](Value v) -> Value {
      return tensor::FromElementsOp::create(
          rb, loc, RankedTensorType::get({}, v.getType()), ValueRange{v});
    };
    auto select = [&](Value c, Value t, Value f) -> Value {
      return arith::SelectOp::create(rb, loc, c, t, f);
    };
    SmallVector<Value> results;
    if (ownsStep)
      results.push_back(toTensor(nextStep));
    for (Group &g : groups) {
      Value mean = f32c(rb, 0.0);
      for (Value e : g.errors)
        mean = arith::AddFOp::create(
            rb, loc, mean, tensor::ExtractOp::create(rb, loc, e, ValueRange{}));
      mean = arith::DivFOp::create(rb, loc, mean,
                                   f32c(rb, double(g.errors.size())));
      Value sum =
          arith::AddFOp::create(rb, loc, extract(rb, g.modeArg + 1), mean);
      Value avg =
          arith::DivFOp::create(rb, loc, sum, f32c(rb, double(dp.period)));
      Value below = arith::CmpFOp::create(rb, loc, arith::CmpFPredicate::OLT,
                                          avg, f32c(rb, dp.low));
      Value above = arith::CmpFOp::create(rb, loc, arith::CmpFPredicate::OGT,
                                          avg, f32c(rb, dp.high));
      Value streak = extract(rb, g.modeArg + 2);
      Value zero = i64c(rb, 0);
      Value longer = select(
          below,
          arith::AddIOp::create(rb, loc,
                                arith::MaxSIOp::create(rb, loc, streak, zero),
                                i64c(rb, 1)),
          select(above,
                 arith::SubIOp::create(
                     rb, loc, arith::MinSIOp::create(rb, loc, streak, zero),
                     i64c(rb, 1)),
                 zero));
      Value absLonger = arith::MaxSIOp::create(
          rb, loc, longer, arith::SubIOp::create(rb, loc, zero, longer));
      Value change = arith::AndIOp::create(
          rb, loc, periodEnd,
          arith::CmpIOp::create(rb, loc, arith::CmpIPredicate::sge, absLonger,
                                i64c(rb, dp.hysteresis)));
      // Below: one rung down the ladder (less precision); above: one up.
      Value offset = extract(rb, g.modeArg);
      Value moved = arith::AddIOp::create(
          rb, loc, offset, select(below, i64c(rb, 1), i64c(rb, -1)));
      Value lo = i64c(rb, -int64_t(g.start));
      Value hi = i64c(rb, rungs - 1 - int64_t(g.start));
      moved = arith::MinSIOp::create(
          rb, loc, arith::MaxSIOp::create(rb, loc, moved, lo), hi);
      results.push_back(toTensor(select(change, moved, offset)));
      results.push_back(toTensor(select(periodEnd, f32c(rb, 0.0), sum)));
      results.push_back(
          toTensor(select(periodEnd, select(change, zero, longer), streak)));
    }
    if (failed(appendStateResults(fn, first, results)))
      return fn.emitError("qtrain-dynamic-precision: cannot add results");
    return success();
  }
};

} // namespace
} // namespace qtrain
