//===- AssignAccumulation.cpp - Contraction accumulation by recipe --------===//
//
// qtrain-assign-accumulation (docs/Passes.md): the recipe's accumulation for
// (layer, GEMM) on every qtrain contraction that has none.
//
//===----------------------------------------------------------------------===//

#include "qtrain/Dialect/QTrain/IR/QTrainOps.h"
#include "qtrain/Dialect/QTrain/Transforms/Contractions.h"
#include "qtrain/Dialect/QTrain/Transforms/Passes.h"
#include "qtrain/Dialect/QTrain/Transforms/StepState.h"
#include "qtrain/Recipes/Recipe.h"

#include "mlir/IR/BuiltinOps.h"

namespace qtrain {
#define GEN_PASS_DEF_QTRAINASSIGNACCUMULATIONPASS
#include "qtrain/Dialect/QTrain/Transforms/Passes.h.inc"
} // namespace qtrain

using namespace mlir;

namespace qtrain {
namespace {

/// The number of products each output of a contraction sums (K), or
/// nullopt when it is not static.
std::optional<int64_t> reductionLength(Operation *op) {
  auto dims = [](Value v) {
    return llvm::cast<RankedTensorType>(v.getType()).getShape();
  };
  int64_t k = 1;
  if (auto mm = llvm::dyn_cast<MatmulOp>(op)) {
    ArrayRef<int64_t> a = dims(mm.getLhs());
    k = a[a.size() - (mm.getTransposeA() ? 2 : 1)];
  } else {
    auto conv = llvm::cast<Conv2DOp>(op);
    ArrayRef<int64_t> r = dims(conv.getRhs());
    for (int64_t d : r)
      if (ShapedType::isDynamic(d))
        return std::nullopt;
    // forward: C*KH*KW of the filter; backward_data: F*KH*KW of the filter;
    // backward_weight: N*OH*OW of the output gradient.
    k = (conv.getKind() == ConvKind::Forward ? r[1] : r[0]) * r[2] * r[3];
  }
  if (ShapedType::isDynamic(k))
    return std::nullopt;
  return k;
}

struct AssignAccumulationPass
    : public impl::QTrainAssignAccumulationPassBase<AssignAccumulationPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    FailureOr<recipes::Recipe> loaded =
        loadRecipeFor(module, "qtrain-assign-accumulation", recipe);
    if (failed(loaded))
      return signalPassFailure();
    const recipes::Recipe &r = *loaded;
    auto assign = [&](Operation *op, ConvKind gemm,
                      AccumulationAttr current) -> LogicalResult {
      if (current)
        return success();
      const recipes::AccumulationRule &rule =
          r.accumulation(layerOf(op->getLoc()), gemm);
      if (rule.automatic) {
        std::optional<int64_t> k = reductionLength(op);
        if (!k)
          return op->emitError("qtrain-assign-accumulation: \"auto\" "
                               "accumulation needs a static reduction length");
        numerics::AccumulationSpec spec =
            rule.attr ? rule.attr.getSpec() : numerics::AccumulationSpec();
        numerics::AutoGrouping choice =
            numerics::chooseAutoGrouping(*k, spec.accumulator, autoTolerance);
        spec.grouping = choice.grouping;
        if (choice.grouping == numerics::Grouping::Static)
          spec.groupSize = choice.groupSize;
        if (spec == numerics::AccumulationSpec())
          return success(); // f32, no grouping: no attribute
        op->setAttr("accumulation",
                    AccumulationAttr::get(op->getContext(), spec));
        return success();
      }
      if (rule.attr)
        op->setAttr("accumulation", rule.attr);
      return success();
    };
    WalkResult result = module.walk([&](Operation *op) {
      LogicalResult done = success();
      if (auto mm = llvm::dyn_cast<MatmulOp>(op)) {
        if (auto gemm = mm->getAttrOfType<ConvKindAttr>(kGemmAttr))
          done = assign(op, gemm.getValue(), mm.getAccumulationAttr());
      } else if (auto conv = llvm::dyn_cast<Conv2DOp>(op)) {
        done = assign(op, conv.getKind(), conv.getAccumulationAttr());
      }
      return failed(done) ? WalkResult::interrupt() : WalkResult::advance();
    });
    if (result.wasInterrupted())
      signalPassFailure();
  }
};

} // namespace
} // namespace qtrain
