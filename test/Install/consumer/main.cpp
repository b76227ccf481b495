//===- main.cpp - A program built against the installed qtrain ------------===//
//
// Builds a small MLP training step, quantizes it with the bundled mxfp8
// recipe through its own PassManager and checks that the contractions became
// qtrain.matmul ops. Exit code 0 on success.
//
//===----------------------------------------------------------------------===//

#include "qtrain/Dialect/QTrain/IR/QTrainDialect.h"
#include "qtrain/Dialect/QTrain/IR/QTrainOps.h"
#include "qtrain/Models/Models.h"
#include "qtrain/Pipelines/Pipelines.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Pass/PassManager.h"

#include "llvm/Support/raw_ostream.h"

int main() {
  mlir::DialectRegistry registry;
  qtrain::models::registerModelDialects(registry);
  registry.insert<qtrain::QTrainDialect>();
  mlir::MLIRContext context(registry);

  qtrain::models::MlpOptions options;
  options.inputs = 4;
  options.hidden = {8};
  options.step.classes = 3;
  options.step.batch = 2;
  options.step.momentum = 0;
  auto module = qtrain::models::buildMlp(context, options);
  if (!module) {
    llvm::errs() << "buildMlp: " << llvm::toString(module.takeError()) << "\n";
    return 1;
  }

  mlir::PassManager pm(&context);
  qtrain::buildQTrainQuantizePipeline(pm, "mxfp8");
  if (mlir::failed(pm.run(**module))) {
    llvm::errs() << "qtrain-quantize{recipe=mxfp8} failed\n";
    return 1;
  }

  int matmuls = 0;
  (*module)->walk([&](qtrain::MatmulOp) { ++matmuls; });
  llvm::outs() << "qtrain.matmul ops: " << matmuls << "\n";
  return matmuls > 0 ? 0 : 1;
}
