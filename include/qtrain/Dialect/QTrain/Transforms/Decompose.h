//===- Decompose.h - composite qtrain ops into simpler ops ------*- C++ -*-===//
//
// The rewrites of the qtrain-decompose pass, for pipelines that apply them
// with their own driver: qtrain.conv2d to im2col matrices and a
// qtrain.matmul, qtrain.delayed_scale to a window, qtrain.amax and
// qtrain.select_scale, qtrain.zero_setting_error to a qtrain.quantize and a
// linalg count. Every result stays bit-identical to the numerics library.
//
//===----------------------------------------------------------------------===//

#ifndef QTRAIN_DIALECT_QTRAIN_TRANSFORMS_DECOMPOSE_H
#define QTRAIN_DIALECT_QTRAIN_TRANSFORMS_DECOMPOSE_H

namespace mlir {
class RewritePatternSet;
} // namespace mlir

namespace qtrain {

/// Adds the patterns that rewrite qtrain.conv2d, qtrain.delayed_scale and
/// qtrain.zero_setting_error on tensors into other qtrain ops and upstream
/// tensor, linalg, arith and cf ops. The patterns create ops of those
/// dialects: a pass applying them must declare them dependent.
/// `keepZeroSettingError` leaves qtrain.zero_setting_error out.
void populateQTrainDecomposePatterns(mlir::RewritePatternSet &patterns,
                                     bool keepZeroSettingError = false);

} // namespace qtrain

#endif // QTRAIN_DIALECT_QTRAIN_TRANSFORMS_DECOMPOSE_H
