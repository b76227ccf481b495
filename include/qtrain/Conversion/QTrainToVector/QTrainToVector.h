//===- QTrainToVector.h - qtrain to vector/arith/scf/memref -----*- C++ -*-===//
//
// Patterns that lower qtrain ops on tensors to loops over buffers with
// vectorised element code, bit-exact with the numerics library. Other
// pipelines add them with populateQTrainToVectorConversionPatterns, after
// the qtrain-decompose rewrites.
//
//===----------------------------------------------------------------------===//

#ifndef QTRAIN_CONVERSION_QTRAINTOVECTOR_QTRAINTOVECTOR_H
#define QTRAIN_CONVERSION_QTRAINTOVECTOR_QTRAINTOVECTOR_H

#include <cstdint>
#include <string>

namespace mlir {
class Operation;
class RewritePatternSet;
} // namespace mlir

namespace qtrain {

/// Elements per parallel tile unless asked otherwise (ISA-independent: a
/// tile is a unit of work for a thread, not of a register file).
inline constexpr int64_t kDefaultTileElements = 65536;

/// Bytes of A's rows a parallel GEMM tile reads from L2 for every strip of
/// B unless asked otherwise (a quarter of a 1 MiB L2; docs/Performance.md,
/// "GEMM tiles").
inline constexpr int64_t kDefaultGemmTileBytes = 256 * 1024;

/// The options of the CPU lowering, in one struct: the pass, the
/// qtrain-to-llvm pipeline and the JIT take this (their textual options
/// map onto it field by field). Fields left at 0 / empty depend on the ISA
/// and are filled in from the target by resolveLoweringOptions
/// (CpuTarget.h); the patterns below take resolved options.
struct QTrainToVectorOptions {
  /// LLVM CPU name to generate code for; "" or "host": this machine.
  std::string targetCpu;
  /// Feature changes on top of the CPU's ("+avx512f,-fma").
  std::string targetFeatures;
  /// Lanes of the element code's vectors (0: one register of f32).
  int64_t vectorWidth = 0;
  /// Elementwise ops over more elements than this are split into tiles of
  /// this many elements that run in parallel (scf.forall); 0 runs every op
  /// on one thread. Results do not depend on it.
  int64_t tileElements = kDefaultTileElements;
  /// GEMM tiles are grown to about this many bytes of A's rows (when K is
  /// static), so that every packed strip of B loaded from L3 serves that
  /// many rows from L2; 0 keeps tiles at their fork-join size.
  int64_t gemmTileBytes = kDefaultGemmTileBytes;
  /// Register blocking of f32 GEMM chains: rows, and vectors of columns
  /// (0: from the target's register file).
  int64_t gemmRows = 0;
  int64_t gemmVectors = 0;
  /// Register blocking of emulated accumulation's f32 fast path, whose
  /// outputs carry two or three vectors of state (0: from the target).
  int64_t emulatedRows = 0;
  int64_t emulatedVectors = 0;
};

/// Copies the lowering options between the structs that carry them
/// (QTrainToVectorOptions, the pass's and the qtrain-to-llvm pipeline's
/// options, whose fields have the same names): the one list of fields.
template <typename To, typename From>
void copyLoweringOptions(To &to, const From &from) {
  to.targetCpu = from.targetCpu;
  to.targetFeatures = from.targetFeatures;
  to.vectorWidth = from.vectorWidth;
  to.tileElements = from.tileElements;
  to.gemmTileBytes = from.gemmTileBytes;
  to.gemmRows = from.gemmRows;
  to.gemmVectors = from.gemmVectors;
  to.emulatedRows = from.emulatedRows;
  to.emulatedVectors = from.emulatedVectors;
}

/// Quantize, encode and decode of unscaled element formats.
void populateQTrainElementwiseToVectorPatterns(
    mlir::RewritePatternSet &patterns, const QTrainToVectorOptions &options);

/// Quantize, encode and decode of scaled formats (whole-tensor levels then
/// one level of any block shape; shared_exponent, amax_to_max and given
/// rules, median_lookup on a first whole-tensor level).
void populateQTrainScaledToVectorPatterns(mlir::RewritePatternSet &patterns,
                                          const QTrainToVectorOptions &options);

/// qtrain.matmul with every accumulation: f32 (FMA chains on packed B
/// panels), minifloat accumulators with product and outer formats, static
/// groups, fixed-point group sums, ideal DGA and E-DGA (a shared threshold
/// on one thread).
void populateQTrainMatmulToVectorPatterns(mlir::RewritePatternSet &patterns,
                                          const QTrainToVectorOptions &options);

/// amax, median (exact, approximate, nonzero), exponent_histogram,
/// median_histogram, histogram_median and select_scale.
void populateQTrainStatisticsToVectorPatterns(
    mlir::RewritePatternSet &patterns, const QTrainToVectorOptions &options);

/// math.exp and math.log on f32 scalars and 1-D vectors, as the numerics
/// library's expF32 and logF32 (qtrain/Numerics/Elementary.h): the same
/// bits on every host, where math-to-llvm would call the host's libm. A
/// partial conversion applies them only to ops its target marks illegal:
/// mark those for which isQTrainElementaryOp holds (the pass does).
void populateQTrainMathToVectorPatterns(mlir::RewritePatternSet &patterns);
bool isQTrainElementaryOp(mlir::Operation *op);

/// Every qtrain op the CPU lowering covers, and the elementary functions
/// above. conv2d, delayed_scale and
/// zero_setting_error are not among them: populateQTrainDecomposePatterns
/// (qtrain/Dialect/QTrain/Transforms/Decompose.h) rewrites them into ops
/// that are, and must run first.
void populateQTrainToVectorConversionPatterns(
    mlir::RewritePatternSet &patterns, const QTrainToVectorOptions &options);

} // namespace qtrain

#endif // QTRAIN_CONVERSION_QTRAINTOVECTOR_QTRAINTOVECTOR_H
