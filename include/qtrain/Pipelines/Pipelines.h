//===- Pipelines.h - qtrain's named pass pipelines --------------*- C++ -*-===//

#ifndef QTRAIN_PIPELINES_PIPELINES_H
#define QTRAIN_PIPELINES_PIPELINES_H

#include "qtrain/Conversion/Passes.h"
#include "qtrain/Conversion/QTrainToVector/QTrainToVector.h"

#include "mlir/Pass/PassOptions.h"

namespace mlir {
class OpPassManager;
} // namespace mlir

namespace qtrain {

/// The textual options of `qtrain-to-llvm`: those of
/// convert-qtrain-to-vector, mapped onto QTrainToVectorOptions (which holds
/// the defaults).
struct QTrainToLLVMOptions
    : public mlir::PassPipelineOptions<QTrainToLLVMOptions> {
  Option<std::string> targetCpu{
      *this, "target-cpu",
      llvm::cl::desc("LLVM CPU to generate code for (x86-64-v3, znver3, ...); "
                     "empty or 'host': this machine")};
  Option<std::string> targetFeatures{
      *this, "target-features",
      llvm::cl::desc("Feature changes on top of the CPU's (+avx512f,-fma)")};
  Option<int64_t> vectorWidth{
      *this, "vector-width",
      llvm::cl::desc("Lanes of the element code's vectors (0: one vector "
                     "register of f32 on the target)"),
      llvm::cl::init(QTrainToVectorOptions().vectorWidth)};
  Option<int64_t> tileElements{
      *this, "tile-elements",
      llvm::cl::desc("Elements per parallel tile (0: single-threaded)"),
      llvm::cl::init(QTrainToVectorOptions().tileElements)};
  Option<int64_t> gemmTileBytes{
      *this, "gemm-tile-bytes",
      llvm::cl::desc("Bytes of A's rows per parallel GEMM tile, read from L2 "
                     "for each packed strip of B (0: fork-join size only)"),
      llvm::cl::init(QTrainToVectorOptions().gemmTileBytes)};
  Option<int64_t> gemmRows{
      *this, "gemm-rows",
      llvm::cl::desc("Rows of an f32 GEMM register block (0: from the target)"),
      llvm::cl::init(QTrainToVectorOptions().gemmRows)};
  Option<int64_t> gemmVectors{
      *this, "gemm-vectors",
      llvm::cl::desc(
          "Column vectors of an f32 GEMM register block (0: from the target)"),
      llvm::cl::init(QTrainToVectorOptions().gemmVectors)};
  Option<int64_t> emulatedRows{
      *this, "emulated-rows",
      llvm::cl::desc("Rows of a register block of emulated accumulation's "
                     "f32 fast path (0: from the target)"),
      llvm::cl::init(QTrainToVectorOptions().emulatedRows)};
  Option<int64_t> emulatedVectors{
      *this, "emulated-vectors",
      llvm::cl::desc("Column vectors of a register block of emulated "
                     "accumulation's f32 fast path (0: from the target)"),
      llvm::cl::init(QTrainToVectorOptions().emulatedVectors)};

  QTrainToVectorOptions toLoweringOptions() const;
};

/// qtrain on tensors (in func ops) down to the LLVM dialect, ready for
/// mlir-runner, mlir-translate --mlir-to-llvmir or an ExecutionEngine.
/// Parallel tiles become OpenMP work-sharing loops: the result calls
/// libomp (__kmpc_*), which the runner or the JIT must load. The passes
/// are listed in docs/CPULowering.md.
void buildQTrainToLLVMPipeline(mlir::OpPassManager &pm,
                               const QTrainToVectorOptions &options);

/// The textual options of `qtrain-quantize`.
struct QTrainQuantizeOptions
    : public mlir::PassPipelineOptions<QTrainQuantizeOptions> {
  Option<std::string> recipe{
      *this, "recipe",
      llvm::cl::desc("A bundled recipe's name (fp32, mxfp8, flexblock, ...) "
                     "or the path of a recipe file"),
      llvm::cl::init("fp32")};
};

/// A training step in upstream MLIR to qtrain contractions with the
/// precision and accumulation `recipe` gives each (layer, role, GEMM):
/// qtrain-infer-roles, qtrain-assign-precision, qtrain-insert-scaling,
/// qtrain-dynamic-precision, qtrain-assign-accumulation, then canonicalize
/// and cse. Compose with
/// buildQTrainToLLVMPipeline.
void buildQTrainQuantizePipeline(mlir::OpPassManager &pm,
                                 llvm::StringRef recipe);

/// The textual options of `qtrain-to-accel`: convert-qtrain-to-accel's.
struct QTrainToAccelOptions
    : public mlir::PassPipelineOptions<QTrainToAccelOptions> {
  Option<std::string> machine{
      *this, "machine",
      llvm::cl::desc("Machine description (JSON, docs/Accelerator.md); "
                     "empty: the bundled default")};
  Option<std::string> function{
      *this, "function",
      llvm::cl::desc("The function to map; empty: the module's only "
                     "function with a body")};
  Option<int64_t> tileM{*this, "tile-m",
                        llvm::cl::desc("Output rows per tile (0: chosen)"),
                        llvm::cl::init(0)};
  Option<int64_t> tileN{*this, "tile-n",
                        llvm::cl::desc("Output columns per tile (0: chosen)"),
                        llvm::cl::init(0)};
  Option<int64_t> tileK{*this, "tile-k",
                        llvm::cl::desc("Reduction length per tile (0: chosen)"),
                        llvm::cl::init(0)};
};

/// A function of qtrain and linalg ops to an accel.program for the
/// accelerator (docs/Accelerator.md, "The compiler side"): inline (calls
/// are not mapped), qtrain-decompose, then convert-qtrain-to-accel.
/// qtrain-translate then writes the binary and the manifest.
void buildQTrainToAccelPipeline(mlir::OpPassManager &pm,
                                const QTrainToAccelOptions &options);
void buildQTrainToAccelPipeline(mlir::OpPassManager &pm,
                                const ConvertQTrainToAccelOptions &convert);

/// Registers `qtrain-to-llvm`, `qtrain-to-accel` and `qtrain-quantize` with
/// the pass registry (qtrain-opt).
void registerQTrainPipelines();

} // namespace qtrain

#endif // QTRAIN_PIPELINES_PIPELINES_H
