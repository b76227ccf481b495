//===- Pipelines.cpp - qtrain's named pass pipelines ----------------------===//

#include "qtrain/Pipelines/Pipelines.h"

#include "qtrain/Conversion/Passes.h"
#include "qtrain/Dialect/QTrain/Transforms/Passes.h"

#include "mlir/Conversion/Passes.h"
#include "mlir/Dialect/Arith/Transforms/Passes.h"
#include "mlir/Dialect/Bufferization/Pipelines/Passes.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Dialect/SCF/Transforms/Passes.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

namespace qtrain {

QTrainToVectorOptions QTrainToLLVMOptions::toLoweringOptions() const {
  QTrainToVectorOptions o;
  copyLoweringOptions(o, *this);
  return o;
}

void buildQTrainToLLVMPipeline(mlir::OpPassManager &pm,
                               const QTrainToVectorOptions &options) {
  using namespace mlir;
  // Composite qtrain ops (conv2d, delayed_scale, zero_setting_error) into
  // the ops the conversion lowers.
  pm.addPass(createQTrainDecomposePass());

  ConvertQTrainToVectorOptions lowering;
  copyLoweringOptions(lowering, options);
  pm.addPass(createConvertQTrainToVector(lowering));

  // Tensors to buffers.
  pm.addNestedPass<func::FuncOp>(createConvertElementwiseToLinalgPass());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(bufferization::createEmptyTensorEliminationPass());
  bufferization::OneShotBufferizePassOptions bufferize;
  bufferize.bufferizeFunctionBoundaries = true;
  bufferize.functionBoundaryTypeConversion =
      bufferization::LayoutMapOption::IdentityLayoutMap;
  pm.addPass(bufferization::createOneShotBufferizePass(bufferize));
  pm.addNestedPass<func::FuncOp>(createConvertLinalgToLoopsPass());
  bufferization::buildBufferDeallocationPipeline(pm);
  pm.addPass(createConvertBufferizationToMemRefPass());

  // Parallel tiles (scf.forall) to OpenMP work-sharing loops.
  pm.addNestedPass<func::FuncOp>(createForallToParallelLoopPass());
  pm.addPass(createConvertSCFToOpenMPPass());
  // The OpenMP conversion wraps each loop body in a memref.alloca_scope
  // (stack allocations freed per iteration). The bodies allocate nothing
  // on the stack, so canonicalization inlines the scopes, which must go
  // before scf-to-cf: a scope's region holds a single block.
  pm.addPass(createCanonicalizerPass());

  // Everything to the LLVM dialect.
  pm.addPass(createConvertVectorToSCFPass());
  pm.addPass(createSCFToControlFlowPass());
  pm.addPass(arith::createArithExpandOpsPass());
  pm.addPass(memref::createExpandStridedMetadataPass());
  pm.addPass(createLowerAffinePass());
  pm.addPass(createConvertVectorToLLVMPass());
  pm.addPass(createFinalizeMemRefToLLVMConversionPass());
  pm.addPass(createArithToLLVMConversionPass());
  pm.addPass(createConvertMathToLLVMPass());
  pm.addPass(createConvertControlFlowToLLVMPass());
  pm.addPass(createConvertFuncToLLVMPass());
  pm.addPass(createConvertIndexToLLVMPass());
  pm.addPass(createConvertOpenMPToLLVMPass());
  pm.addPass(createReconcileUnrealizedCastsPass());
}

void buildQTrainQuantizePipeline(mlir::OpPassManager &pm,
                                 llvm::StringRef recipe) {
  using namespace mlir;
  pm.addNestedPass<func::FuncOp>(createQTrainInferRolesPass());
  QTrainAssignPrecisionPassOptions precision;
  precision.recipe = recipe.str();
  pm.addPass(createQTrainAssignPrecisionPass(precision));
  QTrainInsertScalingPassOptions scaling;
  scaling.recipe = recipe.str();
  pm.addPass(createQTrainInsertScalingPass(scaling));
  QTrainDynamicPrecisionPassOptions dynamic;
  dynamic.recipe = recipe.str();
  pm.addPass(createQTrainDynamicPrecisionPass(dynamic));
  QTrainAssignAccumulationPassOptions accumulation;
  accumulation.recipe = recipe.str();
  pm.addPass(createQTrainAssignAccumulationPass(accumulation));
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
}

void buildQTrainToAccelPipeline(mlir::OpPassManager &pm,
                                const ConvertQTrainToAccelOptions &convert) {
  pm.addPass(mlir::createInlinerPass());
  // The accelerator gathers the zero-setting error itself.
  QTrainDecomposePassOptions decompose;
  decompose.keepZeroSettingError = true;
  pm.addPass(createQTrainDecomposePass(decompose));
  // Elementwise arith on tensors as generics, as the CPU pipeline does.
  pm.addNestedPass<mlir::func::FuncOp>(
      mlir::createConvertElementwiseToLinalgPass());
  pm.addPass(createConvertQTrainToAccel(convert));
}

void buildQTrainToAccelPipeline(mlir::OpPassManager &pm,
                                const QTrainToAccelOptions &options) {
  ConvertQTrainToAccelOptions convert;
  convert.machine = options.machine;
  convert.function = options.function;
  convert.tileM = options.tileM;
  convert.tileN = options.tileN;
  convert.tileK = options.tileK;
  buildQTrainToAccelPipeline(pm, convert);
}

void registerQTrainPipelines() {
  mlir::PassPipelineRegistration<QTrainToAccelOptions>(
      "qtrain-to-accel",
      "Map a function of qtrain and linalg ops to an accel.program "
      "(inline, qtrain-decompose{keep-zero-setting-error}, "
      "convert-elementwise-to-linalg, convert-qtrain-to-accel)",
      [](mlir::OpPassManager &pm, const QTrainToAccelOptions &options) {
        buildQTrainToAccelPipeline(pm, options);
      });
  mlir::PassPipelineRegistration<QTrainQuantizeOptions>(
      "qtrain-quantize",
      "Quantize a training step as a recipe says (qtrain-infer-roles, "
      "qtrain-assign-precision, qtrain-insert-scaling, "
      "qtrain-dynamic-precision, qtrain-assign-accumulation, canonicalize, "
      "cse)",
      [](mlir::OpPassManager &pm, const QTrainQuantizeOptions &options) {
        buildQTrainQuantizePipeline(pm, options.recipe);
      });
  mlir::PassPipelineRegistration<QTrainToLLVMOptions>(
      "qtrain-to-llvm",
      "Lower a module using qtrain on tensors to the LLVM dialect "
      "(qtrain-decompose, convert-qtrain-to-vector, one-shot-bufferize, "
      "OpenMP for parallel tiles, then the upstream conversions to LLVM)",
      [](mlir::OpPassManager &pm, const QTrainToLLVMOptions &options) {
        buildQTrainToLLVMPipeline(pm, options.toLoweringOptions());
      });
}

} // namespace qtrain
