//===- AssignAccumulation.cpp - Contraction accumulation by recipe --------===//
//
// qtrain-assign-accumulation (docs/Passes.md): the recipe's accumulation for
// (layer, GEMM) on every qtrain contraction that has none.
//
//===----------------------------------------------------------------------===//

#include "qtrain/Dialect/QTrain/IR/QTrainOps.h"
#include "qtrain/Dialect/QTrain/Transforms/Contractions.h"
#include "qtrain/Dialect/QTrain/Transforms/Passes.h"
#include "qtrain/Recipes/Recipe.h"

#include "mlir/IR/BuiltinOps.h"

namespace qtrain {
#define GEN_PASS_DEF_QTRAINASSIGNACCUMULATIONPASS
#include "qtrain/Dialect/QTrain/Transforms/Passes.h.inc"
} // namespace qtrain

using namespace mlir;

namespace qtrain {
namespace {

struct AssignAccumulationPass
    : public impl::QTrainAssignAccumulationPassBase<AssignAccumulationPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    auto loaded = recipes::loadRecipe(recipe, getContext());
    if (!loaded) {
      module.emitError("qtrain-assign-accumulation: ")
          << llvm::toString(loaded.takeError());
      return signalPassFailure();
    }
    const recipes::Recipe &r = *loaded;
    auto assign = [&](Operation *op, ConvKind gemm,
                      AccumulationAttr current) -> LogicalResult {
      if (current)
        return success();
      const recipes::AccumulationRule &rule =
          r.accumulation(layerOf(op->getLoc()), gemm);
      if (rule.automatic)
        return op->emitError("qtrain-assign-accumulation: recipe '")
               << r.name
               << "' asks for \"auto\" accumulation, which is not "
                  "implemented yet";
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
