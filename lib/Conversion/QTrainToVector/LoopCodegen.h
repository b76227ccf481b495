//===- LoopCodegen.h - Flat tensors and chunked loops -----------*- C++ -*-===//
//
// The loop skeleton shared by the lowerings: tensors flattened to rank 1
// (row-major, so a flat offset is the element's stream index), chunks of
// `lanes` elements read with vector.transfer_read and written with
// vector.transfer_write on tensors threaded through scf loops (one-shot
// bufferization then writes in place), one masked tail chunk per range.
//
//===----------------------------------------------------------------------===//

#ifndef QTRAIN_LIB_CONVERSION_QTRAINTOVECTOR_LOOPCODEGEN_H
#define QTRAIN_LIB_CONVERSION_QTRAINTOVECTOR_LOOPCODEGEN_H

#include "ElementBuilder.h"

#include "llvm/ADT/STLFunctionalExtras.h"
#include "llvm/ADT/SmallVector.h"

namespace qtrain::lowering {

/// Element types whose vectors LLVM packs in memory while their memref
/// elements occupy whole bytes (i4, i6, i12, i24, f4E2M1FN, ...): their
/// vector loads and stores would not match the buffer's layout, so code on
/// them is scalar.
bool needsScalarAccess(mlir::Type t);

/// The flat (row-major, rank-1) view of a tensor and its element count (an
/// arith.constant when the shape is static).
struct FlatTensor {
  mlir::Value flat, count;
};
FlatTensor flatten(mlir::OpBuilder &b, mlir::Location loc, mlir::Value tensor);

/// The flat tensor reshaped to `type`, with the dynamic sizes of `like`
/// (a tensor of the same shape).
mlir::Value unflatten(mlir::OpBuilder &b, mlir::Location loc, mlir::Value flat,
                      mlir::RankedTensorType type, mlir::Value like);

/// An empty flat tensor of `count` (static: `staticCount`) elements.
mlir::Value emptyFlat(mlir::OpBuilder &b, mlir::Location loc, mlir::Value count,
                      int64_t staticCount, mlir::Type elem);

/// The read-only buffer of a tensor operand as a flat memref<?xT>.
mlir::Value flatBuffer(mlir::OpBuilder &b, mlir::Location loc,
                       mlir::Value tensor);

/// begin + (end - begin) / step * step: where the whole steps of `step`
/// from `begin` end before `end` (the rest is a tail).
mlir::Value wholeStepsEnd(mlir::OpBuilder &b, mlir::Location loc,
                          mlir::Value begin, mlir::Value end, int64_t step);

/// Reads `eb.laneCount()` elements (or one) at `offset`, masked when `mask`.
mlir::Value readChunk(const ElementBuilder &eb, mlir::Value flat,
                      mlir::Value offset, mlir::Value mask);
/// Writes a chunk into the flat tensor `acc`; returns the new tensor.
mlir::Value writeChunk(const ElementBuilder &eb, mlir::Value value,
                       mlir::Value acc, mlir::Value offset, mlir::Value mask);

/// A loaded chunk as f32 (float inputs) or i32 codes (code inputs).
mlir::Value widen(const ElementBuilder &eb, mlir::Value v);
/// f32 values or i32 codes as the stored element type.
mlir::Value narrow(const ElementBuilder &eb, mlir::Value v, mlir::Type elem);

/// Computes one chunk and returns the loop-carried value updated (the
/// output tensor, or an accumulator).
using ChunkBody = llvm::function_ref<mlir::Value(
    mlir::OpBuilder &, mlir::Location, mlir::Value offset, mlir::Value mask,
    mlir::Value row, mlir::Value acc)>;

/// Chunks of `lanes` elements over [begin, end): full chunks, then one masked
/// tail. With lanes == 0 the body runs per element without a mask. `acc`
/// is threaded through; returns its final value.
mlir::Value forEachChunk(mlir::OpBuilder &b, mlir::Location loc,
                         mlir::Value begin, mlir::Value end, int64_t lanes,
                         mlir::Value row, mlir::Value acc, ChunkBody body);

/// forEachChunk over [begin, end) cut at multiples of `rowLength` (LFSR
/// rows; the body gets the row number), or plain forEachChunk when
/// rowLength is 0. Consecutive calls must cover the stream in order.
mlir::Value forEachChunkInRows(mlir::OpBuilder &b, mlir::Location loc,
                               mlir::Value begin, mlir::Value end,
                               int64_t lanes, int64_t rowLength,
                               mlir::Value acc, ChunkBody body);

/// forEachChunk with several loop-carried values.
using ChunkBodyN = llvm::function_ref<llvm::SmallVector<mlir::Value>(
    mlir::OpBuilder &, mlir::Location, mlir::Value offset, mlir::Value mask,
    mlir::Value row, mlir::ValueRange acc)>;
llvm::SmallVector<mlir::Value>
forEachChunkN(mlir::OpBuilder &b, mlir::Location loc, mlir::Value begin,
              mlir::Value end, int64_t lanes, mlir::Value row,
              mlir::ValueRange acc, ChunkBodyN body);

/// Chunks over the stream [0, count): one range, or rows of `rowLength`
/// indices (LFSR sources; the body gets the row number).
mlir::Value forEachStreamChunk(mlir::OpBuilder &b, mlir::Location loc,
                               mlir::Value count, int64_t lanes,
                               int64_t rowLength, mlir::Value acc,
                               ChunkBody body);

/// Splits [0, count) into tiles of `tile` elements run in parallel
/// (scf.forall with `out`, a flat tensor, as shared output). The body gets
/// the tile's range and the slice of `out` it covers, and returns the slice
/// written.
using TileBody = llvm::function_ref<mlir::Value(
    mlir::OpBuilder &, mlir::Location, mlir::Value begin, mlir::Value end,
    mlir::Value slice)>;
mlir::Value forEachParallelTile(mlir::OpBuilder &b, mlir::Location loc,
                                mlir::Value count, int64_t tile,
                                mlir::Value out, TileBody body);
/// The same with a tile size computed at run time (at least 1).
mlir::Value forEachParallelTile(mlir::OpBuilder &b, mlir::Location loc,
                                mlir::Value count, mlir::Value tile,
                                mlir::Value out, TileBody body);

/// The exact lower median of |x| over the non-NaN (and with `excludeZeros`
/// non-zero) elements of the flat tensor (numerics::medianAbs; +0 when there
/// are none), as a scalar f32. Defined in StatisticsLowering.cpp.
mlir::Value emitMedianAbs(mlir::OpBuilder &b, mlir::Location loc,
                          mlir::Value flat, mlir::Value count,
                          bool excludeZeros);

/// `t` (rank >= 2) with its two trailing dimensions swapped
/// (linalg.transpose into a new tensor).
mlir::Value transposeTrailing(mlir::OpBuilder &b, mlir::Location loc,
                              mlir::Value t);

/// The seed as i64 (0 without a seed operand).
mlir::Value seedOrZero(mlir::OpBuilder &b, mlir::Location loc,
                       mlir::Value seed);

} // namespace qtrain::lowering

#endif // QTRAIN_LIB_CONVERSION_QTRAINTOVECTOR_LOOPCODEGEN_H
