//===- Mapping.h - qtrain ops to accel instructions -------------*- C++ -*-===//
//
// The op-level mappings of convert-qtrain-to-accel (docs/Accelerator.md,
// "The compiler side"): operand analysis shared by them, the tiled GEMM of
// qtrain.matmul, and tensors moved through the accumulator memory (a
// quantize that does not feed a contraction, a copy).
//
//===----------------------------------------------------------------------===//

#ifndef QTRAIN_LIB_CONVERSION_QTRAINTOACCEL_MAPPING_H
#define QTRAIN_LIB_CONVERSION_QTRAINTOACCEL_MAPPING_H

#include "ProgramEmitter.h"

#include "qtrain/Accel/Layout.h"

#include "qtrain/Dialect/QTrain/IR/QTrainOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

namespace qtrain::accel {

/// `cannot map 'OP' to the accelerator: ` at op's location.
mlir::InFlightDiagnostic cannotMap(mlir::Operation *op);

/// The tile sizes the user asked for (0: chosen by the mapping).
struct TileOptions {
  int64_t m = 0, n = 0, k = 0;
};

/// A tensor as a transfer reads it: a DRAM buffer and, when the tensor is a
/// qtrain.quantize result, the format and rounding the transfer applies.
struct ConvertedTensor {
  unsigned buffer = 0;
  /// The tensor's shape, which block geometry is relative to (a view's,
  /// not its buffer's); empty: the buffer's.
  llvm::SmallVector<int64_t> shape;
  /// f32 itself (e8m23, IEEE specials) unless the tensor is quantized.
  numerics::ScaledFormat format{numerics::MinifloatFormat(), {}};
  numerics::Rounding rounding;
  mlir::Value seed; ///< Stochastic rounding only.
  /// A data source's companion tensor (random_data).
  mlir::Value randomData;
  /// The tensor holding the whole-tensor level's scale when it is not
  /// computed: the `given` rule's 0-d tensor, or a decode's stored scale.
  mlir::Value givenScale;
  /// The buffer where the quantize that wrote the tensor's encoded form
  /// stored its whole-tensor scale (loaded back instead of recomputed).
  std::optional<unsigned> storedScale;
  /// Whether the tensor is a qtrain.quantize result (else its f32 values
  /// move unchanged: raw 32 bits through the ACC).
  bool quantized = false;
};

/// What a transfer that converts `tensor` uses, once configured.
struct ConversionPlan {
  unsigned formatEntry = 0;
  /// Stochastic rounding: the transfer needs stream indices (and reads a
  /// seed register, or a data source's companion tensor).
  bool stochastic = false;
  std::optional<unsigned> seedReg;
  /// Registers and entries every converting transfer reads (the seed or the
  /// companion tensor, the whole-tensor scale's ACC entry).
  llvm::SmallVector<Access, 2> reads;
  /// With a whole-tensor level: the ACC entry holding its scale and the
  /// entry's resource.
  std::optional<std::pair<uint64_t, Resource>> tensorScale;
};

/// LOADs to nowhere over the whole tensor in `buffer` gathering `mask`
/// (StatsMask bits) into a fresh statistics register, which is returned
/// with its resource; into `into` without resetting it when given. An
/// empty tensor gets no LOAD, so no reset either: callers map empty inputs
/// themselves.
/// `medianPass` (MedianPass) makes the LOADs a pass of the register's
/// median selection too.
std::pair<unsigned, Resource> emitStatisticsPass(
    ProgramEmitter &emitter, unsigned buffer, unsigned formatEntry,
    uint64_t mask,
    std::optional<std::pair<unsigned, Resource>> into = std::nullopt,
    uint64_t medianPass = 0);

/// A VECTOR on one ACC entry: dst = entry `dst`, src1 (and src2) = entry
/// `src1`, through a 1x1x1 view; the caller sets further fields and emits.
Instruction scalarVector(ProgramEmitter &emitter, uint64_t op, uint64_t aux,
                         uint64_t dst, uint64_t src1);
/// scalarVector with a format entry and statistics register (select_scale,
/// stats_value), emitted with `accesses`.
void emitScalarVector(ProgramEmitter &emitter, uint64_t op, uint64_t aux,
                      unsigned format, unsigned statsReg, uint64_t dst,
                      uint64_t src1, llvm::ArrayRef<Access> accesses);

/// A raw32 LOAD from DRAM byte `dramAddr` into the ACC from entry `entry`,
/// `shape` positions (z, y, x) through transfer descriptor `td`; the
/// caller adds fields (a format) and emits it with its accesses.
Instruction rawLoad(unsigned td, uint64_t dramAddr, uint64_t entry,
                    const std::array<int64_t, 3> &shape);
/// The raw32 STORE of the same shape, from the ACC to DRAM.
Instruction rawStore(unsigned td, uint64_t dramAddr, uint64_t entry,
                     const std::array<int64_t, 3> &shape);

/// A raw LOAD of `count` f32 elements of `buffer` from element `first` into
/// ACC entries [entry, entry + count) (ordered as `accResource`).
void loadRaw(ProgramEmitter &emitter, unsigned buffer, uint64_t first,
             uint64_t entry, int64_t count, Resource accResource);
/// A raw STORE of ACC entries [entry, entry + count) (in ACC half `half`)
/// to elements [first, first + count) of `buffer`.
void storeRaw(ProgramEmitter &emitter, uint64_t entry, unsigned half,
              unsigned buffer, uint64_t first, int64_t count);

/// A VECTOR fill of the ACC positions of `shape` (row-major from entry
/// `base`, in ACC half `half`) with `bits`.
void emitFill(ProgramEmitter &emitter, unsigned half, uint64_t base,
              const std::array<int64_t, 3> &shape, uint32_t bits);
/// The same over positions `shape` with entry strides `strides`.
void emitFill(ProgramEmitter &emitter, unsigned half, uint64_t base,
              const std::array<int64_t, 3> &shape,
              const std::array<int64_t, 3> &strides, uint32_t bits);

/// A raw one-element LOAD of `buffer` into ACC entry `entry` (ordered as
/// `accResource`).
void emitScalarLoad(ProgramEmitter &emitter, unsigned buffer, uint64_t entry,
                    Resource accResource);

/// qtrain.amax: a statistics pass, stats_value, a one-element STORE.
mlir::LogicalResult mapAmax(ProgramEmitter &emitter, AmaxOp op);

/// The amax-history shift qtrain-decompose makes of qtrain.delayed_scale (a
/// tensor.generate marked kHistoryShiftAttr): the history without its
/// oldest entry and the new amax, loaded raw into an ACC half, stored to
/// the result's buffer, which must exist.
mlir::LogicalResult mapHistoryShift(ProgramEmitter &emitter,
                                    mlir::tensor::GenerateOp op);

/// qtrain.zero_setting_error (kept whole by qtrain-decompose's
/// keep-zero-setting-error): a statistics pass converting every element
/// with the op's format (LOADs to nowhere, zero_setting mask), stats_value
/// `zse` or `zse_all_elements`, a one-element STORE.
mlir::LogicalResult mapZeroSettingError(ProgramEmitter &emitter,
                                        ZeroSettingErrorOp op);

/// qtrain.median_histogram: the histogram operand loaded into a statistics
/// register (REG_LOAD), a statistics pass over the input without reset, the
/// register stored (REG_STORE). qtrain.exponent_histogram: a statistics
/// pass, the register stored.
mlir::LogicalResult mapMedianHistogram(ProgramEmitter &emitter,
                                       MedianHistogramOp op);
mlir::LogicalResult mapExponentHistogram(ProgramEmitter &emitter,
                                         ExponentHistogramOp op);
/// qtrain.median: the passes of a median selection in a statistics
/// register (radix selection for the exact median, the three-pass
/// approximation), each followed by a stats_value select_step, then a
/// one-element STORE.
mlir::LogicalResult mapMedian(ProgramEmitter &emitter, MedianOp op);

/// tensor.concat whose operands are contiguous runs of its result (all
/// dimensions before the concatenated one of extent 1): a word copy each.
mlir::LogicalResult mapConcat(ProgramEmitter &emitter,
                              mlir::tensor::ConcatOp op);

/// qtrain.histogram_median: the histogram loaded into a statistics
/// register, stats_value median (or median_nonzero), a one-element STORE.
mlir::LogicalResult mapHistogramMedian(ProgramEmitter &emitter,
                                       HistogramMedianOp op);

/// qtrain.select_scale: the statistic loaded, select_scale by a format
/// entry with the op's level as its whole-tensor level, a STORE.
mlir::LogicalResult mapSelectScale(ProgramEmitter &emitter, SelectScaleOp op);

/// Configures the seed, rounding and format entries of a conversion to
/// `tensor`'s format placed as `placement` says, and, when the format has a
/// whole-tensor level, computes its scale into a reserved ACC entry first:
/// a given scale is loaded; a computed one is a statistics pass over the
/// whole tensor (LOADs to nowhere gathering amax, or the median histogram)
/// and a VECTOR select_scale, which is the library's single-pass rule
/// (docs/Accelerator.md, "Conversion").
mlir::FailureOr<ConversionPlan>
configureConversion(ProgramEmitter &emitter, mlir::Operation *op,
                    const ConvertedTensor &tensor, FormatPlacement placement);

/// `value` as a transfer reads it, or an error at `user`.
mlir::FailureOr<ConvertedTensor> analyzeTensor(ProgramEmitter &emitter,
                                               mlir::Value value,
                                               mlir::Operation *user);

/// Every instruction of `op`; its result's buffer must exist.
mlir::LogicalResult mapMatmul(ProgramEmitter &emitter, MatmulOp op,
                              const TileOptions &tiles);

/// A tensor of `shape` as a matrix [rows, cols] (neighbouring dimensions
/// merged where the block level's blocks stay whole runs of the merged one;
/// unblocked and too long for an ACC half, one column) in tiles of
/// `tileRows` rows that fit an ACC half and start at block boundaries (and
/// at a multiple of `rowAlign` rows when rows have an odd length: 2 keeps
/// 4-bit codes byte-aligned), with the block level's extents along y and x.
/// When one row of blocks does not fit, tiles are that row of blocks and
/// `tileCols` columns (whole blocks, a multiple of `rowAlign`).
///
/// Blocks over three dimensions that do not merge into two (FlexBlock's
/// [1, c, 3, 3] blocks of activations) make a volume: `volumes` independent
/// [planes, rows, cols] boxes (a leading dimension of block extent 1 that
/// does not merge), tiled in whole blocks along z, y and x; a transfer
/// walks a tile as (z, y, x). `rows` is 0 for an empty tensor.
struct RowTiles {
  int64_t volumes = 1, planes = 1, rows = 0, cols = 1;
  int64_t tilePlanes = 1, tileRows = 0, tileCols = 1;
  int64_t blockZ = 1, blockY = 1, blockX = 1;
  bool hasBlock = false;

  /// Whether tiles span planes or volumes (blocks over three dimensions).
  bool isVolume() const { return volumes > 1 || planes > 1; }

  /// A tile: positions [z0, z0 + nz) x [r0, r0 + nr) x [c0, c0 + nc) of
  /// volume `volume`, whose first element is row-major element `first`.
  struct Tile {
    int64_t volume, z0, nz, r0, nr, c0, nc, first;
    std::array<int64_t, 3> shape() const { return {nz, nr, nc}; }
  };
  /// Calls fn(tile) for every tile, row-major.
  template <typename Fn> void forEachTile(Fn fn) const {
    for (int64_t v = 0; v < volumes && rows > 0; ++v)
      for (int64_t z0 = 0; z0 < planes; z0 += tilePlanes)
        for (int64_t r0 = 0; r0 < rows; r0 += tileRows)
          for (int64_t c0 = 0; c0 < cols; c0 += tileCols)
            fn(Tile{v, z0, std::min(tilePlanes, planes - z0), r0,
                    std::min(tileRows, rows - r0), c0,
                    std::min(tileCols, cols - c0),
                    ((v * planes + z0) * rows + r0) * cols + c0});
  }
  /// Strides (elements) of (z, y, x) in the row-major tensor and in a
  /// tile's ACC entries (z's 0 unless a volume); the block level's
  /// placement in those coordinates.
  TransferStrides strides() const {
    TransferStrides t;
    t.dramY = cols, t.dramX = 1;
    t.chipY = tileCols, t.chipX = 1;
    if (isVolume())
      t.dramZ = rows * cols, t.chipZ = tileRows * tileCols;
    return t;
  }
  FormatPlacement placement() const {
    FormatPlacement p;
    p.blockZ = blockZ, p.blockY = blockY, p.blockX = blockX;
    return p;
  }
};
mlir::FailureOr<RowTiles> planRowTiles(ProgramEmitter &emitter,
                                       mlir::Operation *op,
                                       llvm::ArrayRef<int64_t> shape,
                                       const numerics::ScaledFormat &format,
                                       int64_t rowAlign = 1);

/// qtrain.encode: each row tile loaded raw into the ACC and STOREd in the
/// codes layout, block scales to the scale result through the scale-array
/// register; its results' buffers must exist.
mlir::LogicalResult mapEncode(ProgramEmitter &emitter, EncodeOp op);

/// qtrain.decode: each row tile LOADed from codes (and block scales) into
/// the ACC and STOREd raw; its result's buffer must exist.
mlir::LogicalResult mapDecode(ProgramEmitter &emitter, DecodeOp op);

/// Writes `source` (converted as analyzeTensor says) to buffer `target`
/// through the accumulator memory: LOADs to ACC, STOREs of the raw values.
/// With `encoded` (a quantized source with hasEncodedForm's format) the
/// tiles are loaded raw and STOREd converting: into `encoded` in the
/// encoded form's layout, and into `target`, if given, as f32; a
/// whole-tensor scale is then stored to a new 4-byte buffer, returned in
/// `storedScale`.
mlir::LogicalResult
mapThroughAcc(ProgramEmitter &emitter, mlir::Operation *op,
              const ConvertedTensor &source, std::optional<unsigned> target,
              std::optional<unsigned> encoded = std::nullopt,
              std::optional<unsigned> *storedScale = nullptr);

/// A linalg.generic of at most three loops on the vector unit; its result's
/// buffer must exist.
mlir::LogicalResult mapGeneric(ProgramEmitter &emitter,
                               mlir::linalg::GenericOp op);

/// Largest z extent of a LOAD or STORE (the size_z field).
inline constexpr int64_t kMaxTransferZ = 255;

/// A tile of a row-major tensor that is one contiguous run of it: indices
/// [lo, hi) per dimension, elements [start, start + count).
struct Box {
  llvm::SmallVector<int64_t, 6> lo, hi;
  int64_t start = 0, count = 0;
};
/// Calls fn for the tiles of a row-major tensor of `shape` that hold at
/// most `cap` elements each and are contiguous: fixed indices of the
/// leading dimensions, a range of one, the trailing ones whole, at most
/// `maxVarying` of them varying (default: any); in order.
void forEachContiguousBox(llvm::ArrayRef<int64_t> shape, int64_t cap,
                          llvm::function_ref<void(const Box &)> fn,
                          unsigned maxVarying = ~0u);

/// Calls fn for boxes that together are elements [first, first + count) of
/// a row-major tensor of `shape`, in order: each is fixed indices of the
/// leading dimensions, a range of one, the trailing ones whole (a partial
/// run, whole runs, a partial run, recursively).
void forEachRangeBox(llvm::ArrayRef<int64_t> shape, int64_t first,
                     int64_t count, llvm::function_ref<void(const Box &)> fn);

/// Whether `op` is a copy through a permutation (a transpose): one input
/// read through a permutation map, the identity output map, a body that
/// yields the input, 32-bit elements, static shapes, at most three loops.
bool isPermutationCopy(mlir::linalg::GenericOp op);
/// Such a copy as strided raw LOADs into the ACC and STOREs, box by box;
/// its result's buffer must exist.
mlir::LogicalResult mapPermutationCopy(ProgramEmitter &emitter,
                                       mlir::linalg::GenericOp op);

/// A static tensor.extract_slice (any strides, no rank reduction) of a
/// 32-bit tensor as strided raw LOADs and STOREs, box by box; its result's
/// buffer must exist.
mlir::LogicalResult mapExtractSlice(ProgramEmitter &emitter,
                                    mlir::tensor::ExtractSliceOp op);

/// The im2col gather qtrain-decompose makes of a convolution's taps (a
/// tensor.generate marked kIm2colAttr), written to its result's buffer in
/// tiles of an ACC half: strided raw LOADs with the taps outside the image
/// as pads (or a zero fill first), then a STORE.
mlir::LogicalResult mapIm2col(ProgramEmitter &emitter,
                              mlir::tensor::GenerateOp op);

/// A tap gather read straight into a scratchpad (docs/Accelerator.md,
/// Convolutions): a source-stepping gather that needs no zero fill, of a
/// qtrain.quantize with hasEncodedForm, used only through
/// collapses into its matrix ([0, 3) and [3, 6) merged) as operands of
/// unbatched matmuls. The quantize is then written in its encoded form too,
/// and the gather is never written to DRAM. Returns the quantize, or
/// null when `op` is not such a gather.
QuantizeOp directGatherSource(mlir::tensor::GenerateOp op);
/// The direct tap gather a matmul operand is the matrix of, or null.
mlir::tensor::GenerateOp directGatherOf(mlir::Value operand);

/// How a quantized tensor is written once for operands that read it
/// straight into a scratchpad (hasEncodedForm): the lanes of its format
/// entry and the DRAM layout of its elements.
struct EncodedForm {
  LaneLayout lanes;
  uint64_t spLayout = SpLayout::Plain;     ///< A SpLayout case.
  uint64_t dramLayout = DramLayout::Codes; ///< A DramLayout case.
};

/// A scratchpad tile of an operand read from an encoded form (a direct
/// gather's matrix or an encoded view): K-vectors [y0, y0 + ny) along matrix
/// dimension `yDim`, lanes [k0, k0 + nk) of the other, K-vector y at slot
/// firstSlot + (y - y0) slotsPerVector.
struct EncodedTile {
  unsigned yDim = 0;
  uint64_t dst = 0; ///< LoadDst of the scratchpad.
  Resource scratchpad{Resource::SpInput, 0};
  unsigned formatEntry = 0;
  EncodedForm form;
  uint64_t firstSlot = 0, slotsPerVector = 0;
  int64_t y0 = 0, ny = 0, k0 = 0, nk = 0;
  /// What every LOAD reads besides the codes (a whole-tensor scale's ACC
  /// entry).
  llvm::SmallVector<Access, 2> reads;
};
/// One LOAD of an encoded tile from the encoded form in buffer `encoded`:
/// `shape` positions (z, y, x) through `strides`, from element
/// `sourceOffset` into scratchpad slot `slot`.
void emitEncodedLoad(ProgramEmitter &emitter, const EncodedTile &tile,
                     unsigned encoded, const TransferStrides &strides,
                     int64_t sourceOffset, uint64_t slot,
                     const std::array<int64_t, 3> &shape);
/// The LOADs of a tile from the source's encoded form: for every box of the
/// tile and kernel tap, one LOAD over the spatial positions (taps outside
/// the image are pads, which the GEMM reads as +0).
mlir::LogicalResult loadGatherTile(ProgramEmitter &emitter,
                                   mlir::tensor::GenerateOp op,
                                   const EncodedTile &tile);

/// Whether a quantize's result can be written once in an encoded form for
/// operands that read it so: no given scales, at most one whole-tensor
/// level, then either a block level (MX, FlexBlock, BFP, MLS: the `paired`
/// form) or nothing (per-tensor and plain minifloats and integers: the
/// `codes` form, for codes of 8 bits or more, which are whole bytes).
bool hasEncodedForm(QuantizeOp quantize);
/// The encoded form of such a format in scratchpad rows of `rowBytes`:
/// paired lanes and the `paired` DRAM layout when its last level is a block
/// level, plain lanes and `codes` otherwise; `lanes.laneBits` is also the
/// bits of an element in DRAM.
EncodedForm encodedForm(const numerics::ScaledFormat &format,
                        uint64_t rowBytes);

/// One dimension of a view, in source elements: `extent` positions
/// `stride` apart.
struct StridedTerm {
  int64_t extent, stride;
};
/// A matrix operand that is an encoded-form tensor seen through static
/// reshapes and permutation copies (at least one): each matrix dimension as
/// terms, outer first, whose strides are in source elements.
struct EncodedView {
  QuantizeOp source;
  std::array<llvm::SmallVector<StridedTerm, 4>, 2> dims;
};
/// Whether `op` is an op an encoded view passes through: a static reshape or
/// a permutation copy.
bool isViewOp(mlir::Operation *op);
/// The encoded view a rank-2 matmul operand is, if it is one.
std::optional<EncodedView> encodedViewOf(mlir::Value operand);
/// Whether every use of `value` is a matmul operand that is an encoded view,
/// or a view op whose result only feeds such operands (then the view ops
/// are not mapped: nothing reads their results from DRAM).
bool onlyFeedsEncodedViews(mlir::Value value);
/// The LOADs of a tile of an encoded view from its source's encoded form: for
/// every box of the tile, LOADs over its three longest strided terms; errors
/// name `op`.
mlir::LogicalResult loadEncodedViewTile(ProgramEmitter &emitter,
                                        mlir::Operation *op,
                                        const EncodedView &view,
                                        const EncodedTile &tile);

/// linalg.pooling_nchw_max on the vector unit, whole (n, c) planes per
/// tile: one VECTOR maximumf per window tap over a strided view of the
/// input planes; its result's buffer must exist.
mlir::LogicalResult mapPoolingMax(ProgramEmitter &emitter,
                                  mlir::linalg::PoolingNchwMaxOp op);
/// Whether `use` is the initial value of a max pooling that the pooling
/// fills itself (a linalg.fill of an f32 constant).
bool initializesPooling(mlir::OpOperand &use);

/// Merges neighbouring loops of generics of more than three loops wherever
/// every operand reads them as neighbouring dimensions (collapse_shape
/// views), innermost pair first (GenericRewrites.cpp).
void collapseGenericLoops(mlir::func::FuncOp func);

/// Rewrites each generic whose maps divide loops (`d floordiv k`,
/// `(d floordiv k) * k + c`, a max-pool gradient) into one generic per
/// residue of d modulo k over reshaped operands, whose maps are loops and
/// constant indices (GenericRewrites.cpp).
void splitDividedLoops(mlir::func::FuncOp func);

/// Whether `op` is scalar code between 0-d tensors (ScalarMapping.cpp): a
/// tensor.extract of a 0-d tensor, an arith op on f32, i32, i1 or i64
/// scalars, a tensor.from_elements into a 0-d tensor.
bool isScalarOp(mlir::Operation *op);
/// The value whose buffer receives scalar op `op`'s result, which the
/// caller must give a buffer before mapScalar: the from_elements its result
/// only feeds, the op's own result, or null (an extract is a view; a
/// from_elements of a computed value reuses or copies the value's).
mlir::Value scalarDestination(mlir::Operation *op);
/// Scalar op `op` on the vector unit: its operands loaded raw into an ACC
/// half (constants filled), single-entry VECTORs (an i64 as two words), the
/// result stored to its buffer.
mlir::LogicalResult mapScalar(ProgramEmitter &emitter, mlir::Operation *op);

/// The 32 bits of a constant of type f32, i32, i1 (1 for true) or index.
std::optional<uint32_t> constantBits(mlir::Value v);
/// The VECTOR operation of a binary arith op (f32 or 32-bit integer), if it
/// has one; its aux is the predicate of a compare.
std::optional<uint64_t> binaryOpcode(mlir::Operation *op);
/// The VECTOR operation of a unary op, if it has one.
std::optional<uint64_t> unaryOpcode(mlir::Operation *op);

/// The 32-bit words of buffer `source` copied to `target` (as large, or
/// from word `targetFirst` of a larger one), an ACC half at a time: a
/// tensor of any element type moved unchanged.
mlir::LogicalResult copyWords(ProgramEmitter &emitter, unsigned source,
                              unsigned target, uint64_t targetFirst = 0);
/// Every 32-bit word of `buffer` set to `bits`.
mlir::LogicalResult fillWords(ProgramEmitter &emitter, unsigned buffer,
                              uint32_t bits);
/// Every i64 element of `buffer` set to `value` (low word first).
mlir::LogicalResult fillI64(ProgramEmitter &emitter, unsigned buffer,
                            uint64_t value);

/// A linalg.fill of a constant written to its result's buffer.
mlir::LogicalResult mapFill(ProgramEmitter &emitter, mlir::linalg::FillOp op);

/// A splat tensor constant (f32 or i32) written to its result's buffer.
mlir::LogicalResult mapSplatConstant(ProgramEmitter &emitter,
                                     mlir::arith::ConstantOp op);

/// `result` (an f32 or i32 tensor of rank up to 3, its buffer allocated)
/// filled with `bits` by VECTOR fills and STOREs; errors name `op`.
mlir::LogicalResult mapFillValue(ProgramEmitter &emitter, mlir::Operation *op,
                                 mlir::Value result, uint32_t bits);

} // namespace qtrain::accel

#endif // QTRAIN_LIB_CONVERSION_QTRAINTOACCEL_MAPPING_H
