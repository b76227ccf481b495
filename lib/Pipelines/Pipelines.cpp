//===- Pipelines.cpp - qtrain's named pass pipelines ----------------------===//

#include "qtrain/Pipelines/Pipelines.h"

#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"

#include "llvm/Support/ErrorHandling.h"
#include "llvm/Support/FormatVariadic.h"

namespace qtrain {

std::string qtrainToLLVMPipelineText(const QTrainToLLVMOptions &options) {
  return llvm::formatv(
      "convert-qtrain-to-vector{{vector-width={0} tile-elements={1}},"
      "func.func(convert-elementwise-to-linalg),canonicalize,eliminate-empty-"
      "tensors,"
      "one-shot-bufferize{{bufferize-function-boundaries "
      "function-boundary-type-conversion=identity-layout-map},"
      "func.func(convert-linalg-to-loops),buffer-deallocation-pipeline,"
      "convert-bufferization-to-memref,"
      "func.func(scf-forall-to-parallel),async-parallel-for{{async-dispatch="
      "true min-task-size=1},"
      "async-to-async-runtime,async-runtime-ref-counting,"
      "async-runtime-ref-counting-opt,convert-async-to-llvm,"
      "convert-vector-to-scf,convert-scf-to-cf,arith-expand,"
      "expand-strided-metadata,lower-affine,"
      "convert-vector-to-llvm,finalize-memref-to-llvm,"
      "convert-arith-to-llvm,convert-math-to-llvm,convert-cf-to-llvm,"
      "convert-func-to-llvm,convert-index-to-llvm,"
      "reconcile-unrealized-casts",
      static_cast<int64_t>(options.vectorWidth),
      static_cast<int64_t>(options.tileElements));
}

void buildQTrainToLLVMPipeline(mlir::OpPassManager &pm,
                               const QTrainToLLVMOptions &options) {
  if (mlir::failed(
          mlir::parsePassPipeline(qtrainToLLVMPipelineText(options), pm)))
    llvm::report_fatal_error("qtrain-to-llvm: the pipeline text is invalid");
}

void registerQTrainPipelines() {
  mlir::PassPipelineRegistration<QTrainToLLVMOptions>(
      "qtrain-to-llvm",
      "Lower a module using qtrain on tensors to the LLVM dialect "
      "(convert-qtrain-to-vector, one-shot-bufferize, then the upstream "
      "conversions to LLVM)",
      buildQTrainToLLVMPipeline);
}

} // namespace qtrain
