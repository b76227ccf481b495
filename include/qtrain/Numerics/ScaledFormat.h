//===- ScaledFormat.h - Block- and tensor-scaled formats --------*- C++ -*-===//
//
// An element format plus zero or more scale levels. Level l splits the tensor
// into blocks, reads a statistic of x / (scales of levels < l) per block and
// turns it into a scale by its rule; an element is stored as
// Q(x / product of its scales). BFP, MX, FlexBlock, MLS, per-tensor scaled
// FP8 and adaptive-bias FP8 are instances (Presets.h).
// docs/Numerics.md ("Scaled formats") is the normative description.
//
//===----------------------------------------------------------------------===//

#ifndef QTRAIN_NUMERICS_SCALEDFORMAT_H
#define QTRAIN_NUMERICS_SCALEDFORMAT_H

#include "qtrain/Numerics/ElementFormat.h"
#include "qtrain/Numerics/ScaleFormat.h"

#include "llvm/ADT/SmallVector.h"

#include <vector>

namespace qtrain::numerics {

enum class ScaleRule : uint8_t {
  /// 2^(floor(log2 amax) - emax(element)): BFP, MX, FlexBlock.
  SharedExponent,
  /// amax * 2^margin / max(element): per-tensor scaled FP8; a power-of-two
  /// scale format rounds this up to the next power of two.
  AmaxToMax,
  /// 2^(p - medianExponent), 2^p the power of two nearest to the median of
  /// |x|: adaptive-bias FP8.
  MedianLookup,
  /// Supplied by the caller (e.g. delayed scaling from an amax history).
  Given,
};

struct ScaleLevel {
  /// Block sizes of the trailing dimensions (leading dimensions get 1); -1
  /// spans a whole dimension; empty means one block over the whole tensor.
  llvm::SmallVector<int64_t, 4> blockShape;
  ScaleFormat format;
  ScaleRule rule = ScaleRule::SharedExponent;
  int margin = 0;         ///< AmaxToMax.
  int medianExponent = 0; ///< MedianLookup.
  /// MedianLookup: the median of the non-zero |x| (zeros, e.g. of ReLU
  /// activations and their errors, would pull it to 0).
  bool excludeZeros = false;
  /// For tensors of lower rank than `blockShape` (a FlexBlock preset's
  /// [c, 3, 3] filter blocks on a fully connected layer's rank-2 operand):
  /// blocks of this many elements along the tensor's reduction axis, 1
  /// along the others (0: no such blocks; the block shape must fit).
  int64_t axisBlock = 0;

  llvm::Error verify() const;
  /// One scale for the whole tensor: no block shape and no axis blocks.
  bool isWholeTensor() const { return blockShape.empty() && axisBlock == 0; }
  bool operator==(const ScaleLevel &o) const {
    return blockShape == o.blockShape && format == o.format && rule == o.rule &&
           margin == o.margin && medianExponent == o.medianExponent &&
           excludeZeros == o.excludeZeros && axisBlock == o.axisBlock;
  }
};

struct ScaledFormat {
  ElementFormat element;
  llvm::SmallVector<ScaleLevel, 2> levels;

  llvm::Error verify() const;
  bool operator==(const ScaledFormat &o) const {
    return element == o.element && levels == o.levels;
  }
};

/// The scales of one level: one per block, row-major over the block grid,
/// as f32 values and (power-of-two formats) codes.
struct LevelScales {
  llvm::SmallVector<int64_t, 4> grid; ///< Blocks along each dimension.
  std::vector<float> values;
  std::vector<uint32_t> codes;
};

/// A tensor in a scaled format: element codes plus the scales of each level.
struct ScaledTensor {
  std::vector<uint32_t> codes;
  llvm::SmallVector<LevelScales, 2> scales;
};

/// `format` with every level's blocks made concrete for a tensor of rank
/// `rank` whose reduction axis is `axis` (default: the innermost): a level
/// whose block shape has more dimensions than the tensor and an `axisBlock`
/// gets blocks of `axisBlock` elements along `axis` (one block over a rank-0
/// tensor); other levels are unchanged. Encode, decode and quantize resolve
/// with the default axis; a caller with another reduction axis resolves
/// first (the dialect's `reduction_axis`). Idempotent.
llvm::Expected<ScaledFormat> resolveBlocks(const ScaledFormat &format,
                                           size_t rank,
                                           std::optional<unsigned> axis = {});

/// The block size of `level` along dimension `d` of a rank-`rank` tensor:
/// 1 for leading dimensions the block shape does not cover, -1 for a whole
/// dimension (an empty block shape covers the whole tensor).
int64_t blockSize(const ScaleLevel &level, size_t rank, size_t d);

/// The block grid of `level` over a tensor of `shape` (partial blocks at the
/// high end of a dimension count as blocks).
llvm::Expected<llvm::SmallVector<int64_t, 4>>
blockGrid(const ScaleLevel &level, llvm::ArrayRef<int64_t> shape);

/// The scale a rule gives a block from its statistics (amax of the block
/// for SharedExponent/AmaxToMax, median of |x| for MedianLookup).
float scaleFromAmax(const ScaleLevel &level, const ElementFormat &element,
                    float amax);
float scaleFromMedian(const ScaleLevel &level, float median);
/// The scale encodeScaled gives one block of `level` from the block's
/// residuals (each element's RN_f32(x / product of the scales of the levels
/// before), in any order): for SharedExponent and AmaxToMax,
/// scaleFromAmax of the block's amax statistic (AmaxStatistic's
/// blockStatistic: the largest finite |r|, NaN when a residual is not finite
/// and the scale format has a NaN scale); for MedianLookup,
/// scaleFromMedian of medianAbs(residuals, excludeZeros). A Given level's
/// scales come from the caller (toScaleFormat), not from its residuals.
float blockScale(const ScaleLevel &level, const ElementFormat &element,
                 llvm::ArrayRef<float> residuals);
/// A given scale on the level's scale format: a positive finite scale is
/// rounded up to the next power of two (PowerOfTwo, overflow gives NaN) or
/// kept (F32); zero, negative, infinite and NaN scales are invalid and give
/// NaN, so every element of their block decodes to NaN.
float toScaleFormat(const ScaleFormat &f, float scale);

/// Delayed scaling: `newHistory` is `history` without its first (oldest)
/// entry followed by `amax` (same length, at least 1), and the scale is
/// scaleFromAmax(level, element, amax(newHistory)) (so a NaN in the window
/// gives a NaN statistic, an infinity +inf). The rule must read amax.
float delayedScale(const ScaleLevel &level, const ElementFormat &element,
                   llvm::ArrayRef<float> history, float amax,
                   llvm::MutableArrayRef<float> newHistory);

/// Encodes `in` (row-major, `shape`) in `format`. `elementRounding` rounds
/// the elements; the random number of element i is taken at stream index
/// firstIndex + i. `given` supplies the scales (row-major over the block grid)
/// of each level whose rule is Given, in level order.
llvm::Expected<ScaledTensor>
encodeScaled(const ScaledFormat &format, llvm::ArrayRef<int64_t> shape,
             llvm::ArrayRef<float> in, const Rounding &elementRounding,
             llvm::ArrayRef<std::vector<float>> given = {},
             uint64_t firstIndex = 0, llvm::ArrayRef<float> randomData = {});

/// Decodes a scaled tensor: decode(code) times the f32 product of the
/// element's scales in level order, the divisor encodeScaled used (NaN where
/// a scale is NaN).
llvm::Error decodeScaled(const ScaledFormat &format,
                         llvm::ArrayRef<int64_t> shape,
                         const ScaledTensor &tensor,
                         llvm::MutableArrayRef<float> out);

/// decodeScaled(encodeScaled(in)).
llvm::Error
quantizeScaled(const ScaledFormat &format, llvm::ArrayRef<int64_t> shape,
               llvm::ArrayRef<float> in, llvm::MutableArrayRef<float> out,
               const Rounding &elementRounding,
               llvm::ArrayRef<std::vector<float>> given = {},
               uint64_t firstIndex = 0, llvm::ArrayRef<float> randomData = {});

llvm::StringRef stringifyScaleRule(ScaleRule r);
std::optional<ScaleRule> parseScaleRule(llvm::StringRef s);

} // namespace qtrain::numerics

#endif // QTRAIN_NUMERICS_SCALEDFORMAT_H
