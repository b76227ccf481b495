//===- Pipelines.h - qtrain's named pass pipelines --------------*- C++ -*-===//

#ifndef QTRAIN_PIPELINES_PIPELINES_H
#define QTRAIN_PIPELINES_PIPELINES_H

#include "mlir/Pass/PassOptions.h"

#include <string>

namespace mlir {
class OpPassManager;
} // namespace mlir

namespace qtrain {

struct QTrainToLLVMOptions
    : public mlir::PassPipelineOptions<QTrainToLLVMOptions> {
  Option<int64_t> vectorWidth{
      *this, "vector-width",
      llvm::cl::desc("Lanes of the element code's vectors"),
      llvm::cl::init(16)};
  Option<int64_t> tileElements{
      *this, "tile-elements",
      llvm::cl::desc("Elements per parallel tile (0: single-threaded)"),
      llvm::cl::init(65536)};
};

/// The upstream passes that follow convert-qtrain-to-vector, as a textual
/// pipeline (docs/CPULowering.md lists them).
std::string qtrainToLLVMPipelineText(const QTrainToLLVMOptions &options);

/// qtrain on tensors (in func ops) down to the LLVM dialect, ready for
/// mlir-runner, mlir-translate --mlir-to-llvmir or an ExecutionEngine.
void buildQTrainToLLVMPipeline(mlir::OpPassManager &pm,
                               const QTrainToLLVMOptions &options);

/// Registers `qtrain-to-llvm` with the pass registry (qtrain-opt).
void registerQTrainPipelines();

} // namespace qtrain

#endif // QTRAIN_PIPELINES_PIPELINES_H
