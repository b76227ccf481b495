//===- QTrainToVector.cpp - The convert-qtrain-to-vector pass -------------===//

#include "qtrain/Conversion/Passes.h"
#include "qtrain/Conversion/QTrainToVector/CpuTarget.h"
#include "qtrain/Dialect/QTrain/IR/QTrainOps.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Transforms/DialectConversion.h"

namespace qtrain {

#define GEN_PASS_DEF_CONVERTQTRAINTOVECTOR
#include "qtrain/Conversion/Passes.h.inc"

void populateQTrainToVectorConversionPatterns(
    mlir::RewritePatternSet &patterns, const QTrainToVectorOptions &options) {
  populateQTrainElementwiseToVectorPatterns(patterns, options);
  populateQTrainScaledToVectorPatterns(patterns, options);
  populateQTrainMatmulToVectorPatterns(patterns, options);
  populateQTrainStatisticsToVectorPatterns(patterns, options);
  populateQTrainMathToVectorPatterns(patterns);
}

namespace {

/// Reports every op that qtrain-decompose rewrites (this conversion only
/// converts), at the op's location.
mlir::LogicalResult checkDecomposed(mlir::Operation *root) {
  bool found = false;
  root->walk([&](mlir::Operation *op) {
    if (!llvm::isa<Conv2DOp, DelayedScaleOp, ZeroSettingErrorOp>(op))
      return;
    op->emitError() << "'" << op->getName()
                    << "' must be decomposed first: run --qtrain-decompose "
                       "(the qtrain-to-llvm pipeline does)";
    found = true;
  });
  return mlir::failure(found);
}

struct ConvertQTrainToVector
    : impl::ConvertQTrainToVectorBase<ConvertQTrainToVector> {
  using Base::Base;

  void runOnOperation() override {
    // The pass's options are protected members: copyLoweringOptions cannot
    // read them.
    QTrainToVectorOptions given;
    given.targetCpu = targetCpu;
    given.targetFeatures = targetFeatures;
    given.vectorWidth = vectorWidth;
    given.tileElements = tileElements;
    given.gemmTileBytes = gemmTileBytes;
    given.gemmRows = gemmRows;
    given.gemmVectors = gemmVectors;
    given.emulatedRows = emulatedRows;
    given.emulatedVectors = emulatedVectors;
    auto options = resolveLoweringOptions(given);
    if (!options) {
      getOperation().emitError(llvm::toString(options.takeError()));
      return signalPassFailure();
    }
    if (mlir::failed(checkDecomposed(getOperation())))
      return signalPassFailure();
    mlir::MLIRContext *ctx = &getContext();
    mlir::ConversionTarget target(*ctx);
    target.addIllegalDialect<QTrainDialect>();
    target.addLegalDialect<
        mlir::arith::ArithDialect, mlir::bufferization::BufferizationDialect,
        mlir::cf::ControlFlowDialect, mlir::linalg::LinalgDialect,
        mlir::math::MathDialect, mlir::memref::MemRefDialect,
        mlir::scf::SCFDialect, mlir::tensor::TensorDialect,
        mlir::vector::VectorDialect>();
    target.markUnknownOpDynamicallyLegal(
        [](mlir::Operation *) { return true; });
    // exp and log on f32 follow the numerics library, not the host's libm.
    target.addDynamicallyLegalOp<mlir::math::ExpOp, mlir::math::LogOp>(
        [](mlir::Operation *op) { return !isQTrainElementaryOp(op); });

    mlir::RewritePatternSet patterns(ctx);
    populateQTrainToVectorConversionPatterns(patterns, *options);
    if (mlir::failed(mlir::applyPartialConversion(getOperation(), target,
                                                  std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
} // namespace qtrain
