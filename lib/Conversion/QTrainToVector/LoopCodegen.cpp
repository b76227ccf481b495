//===- LoopCodegen.cpp - Flat tensors and chunked loops -------------------===//

#include "LoopCodegen.h"

#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/TypeUtilities.h"

#include "llvm/Support/MathExtras.h"

using namespace mlir;

namespace qtrain::lowering {

bool needsScalarAccess(Type t) {
  unsigned w = t.getIntOrFloatBitWidth();
  return w < 8 || !llvm::isPowerOf2_32(w);
}

FlatTensor flatten(OpBuilder &b, Location loc, Value tensor) {
  auto type = llvm::cast<RankedTensorType>(tensor.getType());
  int64_t size =
      type.hasStaticShape() ? type.getNumElements() : ShapedType::kDynamic;
  // A constant count when the shape is static (callers read it off).
  Value n =
      arith::ConstantIndexOp::create(b, loc, type.hasStaticShape() ? size : 1);
  if (!type.hasStaticShape())
    for (int64_t d = 0; d < type.getRank(); ++d)
      n = arith::MulIOp::create(b, loc, n,
                                tensor::DimOp::create(b, loc, tensor, d));
  auto flatType = RankedTensorType::get({size}, type.getElementType());
  Value flat;
  if (type.getRank() == 0) {
    flat = tensor::ExpandShapeOp::create(
        b, loc, flatType, tensor, ArrayRef<ReassociationIndices>{},
        ArrayRef<OpFoldResult>{b.getIndexAttr(1)});
  } else {
    ReassociationIndices all;
    for (int64_t d = 0; d < type.getRank(); ++d)
      all.push_back(d);
    flat = tensor::CollapseShapeOp::create(b, loc, flatType, tensor,
                                           ArrayRef<ReassociationIndices>{all});
  }
  return {flat, n};
}

/// The flat tensor `flat` reshaped to `type`, with the sizes of `like`.
Value unflatten(OpBuilder &b, Location loc, Value flat, RankedTensorType type,
                Value like) {
  if (type.getRank() == 0)
    return tensor::CollapseShapeOp::create(b, loc, type, flat,
                                           ArrayRef<ReassociationIndices>{});
  ReassociationIndices all;
  SmallVector<OpFoldResult> sizes;
  for (int64_t d = 0; d < type.getRank(); ++d) {
    all.push_back(d);
    sizes.push_back(type.isDynamicDim(d)
                        ? OpFoldResult(tensor::DimOp::create(b, loc, like, d))
                        : OpFoldResult(b.getIndexAttr(type.getDimSize(d))));
  }
  return tensor::ExpandShapeOp::create(
      b, loc, type, flat, ArrayRef<ReassociationIndices>{all}, sizes);
}

/// An empty flat tensor of `count` elements of `elem`.
Value emptyFlat(OpBuilder &b, Location loc, Value count, int64_t staticCount,
                Type elem) {
  if (!ShapedType::isDynamic(staticCount))
    return tensor::EmptyOp::create(b, loc, ArrayRef<int64_t>{staticCount},
                                   elem);
  return tensor::EmptyOp::create(
      b, loc, ArrayRef<int64_t>{ShapedType::kDynamic}, elem, ValueRange{count});
}

/// The buffer of a tensor operand, read only, flattened (for gathers).
Value flatBuffer(OpBuilder &b, Location loc, Value tensor) {
  FlatTensor f = flatten(b, loc, tensor);
  auto type = llvm::cast<RankedTensorType>(f.flat.getType());
  auto memType = MemRefType::get(type.getShape(), type.getElementType());
  Value buffer = bufferization::ToBufferOp::create(b, loc, memType, f.flat,
                                                   /*read_only=*/true);
  auto dynType = MemRefType::get({ShapedType::kDynamic}, type.getElementType());
  if (memType != dynType)
    buffer = memref::CastOp::create(b, loc, dynType, buffer);
  return buffer;
}

static TypedAttr zeroAttr(OpBuilder &b, Type elem) {
  return llvm::isa<FloatType>(elem) ? TypedAttr(b.getFloatAttr(elem, 0.0))
                                    : TypedAttr(b.getIntegerAttr(elem, 0));
}

/// Reads `eb.laneCount()` elements (or one) of a flat tensor at `offset`,
/// masked when `mask`.
Value wholeStepsEnd(OpBuilder &b, Location loc, Value begin, Value end,
                    int64_t step) {
  Value cStep = arith::ConstantIndexOp::create(b, loc, step);
  Value length = arith::SubIOp::create(b, loc, end, begin);
  return arith::AddIOp::create(
      b, loc, begin,
      arith::MulIOp::create(
          b, loc, arith::DivUIOp::create(b, loc, length, cStep), cStep));
}

Value readChunk(const ElementBuilder &eb, Value flat, Value offset,
                Value mask) {
  OpBuilder &b = eb.builder();
  Location loc = eb.location();
  Type elem = llvm::cast<RankedTensorType>(flat.getType()).getElementType();
  if (!eb.laneCount())
    return tensor::ExtractOp::create(b, loc, flat, offset);
  auto vt = VectorType::get({eb.laneCount()}, elem);
  Value pad = arith::ConstantOp::create(b, loc, zeroAttr(b, elem));
  AffineMap id = b.getMultiDimIdentityMap(1);
  return vector::TransferReadOp::create(b, loc, vt, flat, ValueRange{offset},
                                        id, pad, mask,
                                        b.getBoolArrayAttr({true}));
}

/// Writes a chunk into the flat tensor `acc`; returns the new tensor.
Value writeChunk(const ElementBuilder &eb, Value value, Value acc, Value offset,
                 Value mask) {
  OpBuilder &b = eb.builder();
  Location loc = eb.location();
  if (!eb.laneCount())
    return tensor::InsertOp::create(b, loc, value, acc, offset);
  Type elem = getElementTypeOrSelf(value.getType());
  if (mask && elem.getIntOrFloatBitWidth() < 32) {
    // Masked chunks of elements narrower than 32 bits are written lane by
    // lane. LLVM 22's x86 back end miscompiles a masked store of a truncated
    // vector whose mask is a constant single lane: it stores the lane's
    // untruncated 32 bits (`vmovd`), three bytes past the lane (seen at -O2
    // with a static tail of one element; in parallel tiles it overwrote the
    // next tile's first codes, and at a buffer's end it would write past it).
    // One loop over the lanes (not one branch per lane: the IR stays small).
    Value c0 = arith::ConstantIndexOp::create(b, loc, 0);
    Value c1 = arith::ConstantIndexOp::create(b, loc, 1);
    Value n = arith::ConstantIndexOp::create(b, loc, eb.laneCount());
    auto lanes = scf::ForOp::create(
        b, loc, c0, n, c1, ValueRange{acc},
        [&](OpBuilder &lb, Location ll, Value lane, ValueRange it) {
          Value on = vector::ExtractOp::create(lb, ll, mask,
                                               ArrayRef<OpFoldResult>{lane});
          auto write = scf::IfOp::create(
              lb, ll, on,
              [&](OpBuilder &tb, Location tl) {
                Value x = vector::ExtractOp::create(
                    tb, tl, value, ArrayRef<OpFoldResult>{lane});
                Value at = arith::AddIOp::create(tb, tl, offset, lane);
                scf::YieldOp::create(
                    tb, tl,
                    Value(tensor::InsertOp::create(tb, tl, x, it[0], at)));
              },
              [&](OpBuilder &fb, Location fl) {
                scf::YieldOp::create(fb, fl, it[0]);
              });
          scf::YieldOp::create(lb, ll, write.getResult(0));
        });
    acc = lanes.getResult(0);
    return acc;
  }
  AffineMap id = b.getMultiDimIdentityMap(1);
  return vector::TransferWriteOp::create(b, loc, acc.getType(), value, acc,
                                         ValueRange{offset}, id, mask,
                                         b.getBoolArrayAttr({true}))
      .getResult();
}

/// A loaded chunk as f32 (float inputs) or i32 codes (code inputs).
Value widen(const ElementBuilder &eb, Value v) {
  OpBuilder &b = eb.builder();
  Type elem = getElementTypeOrSelf(v.getType());
  if (elem.isF32())
    return v;
  if (elem.isBF16() || elem.isF16())
    return arith::ExtFOp::create(b, eb.location(), eb.f32(), v);
  if (llvm::isa<FloatType>(elem)) // small float codes
    v = eb.bitcast(b.getIntegerType(elem.getIntOrFloatBitWidth()), v);
  if (getElementTypeOrSelf(v.getType()).getIntOrFloatBitWidth() < 32)
    v = eb.zext(b.getI32Type(), v);
  return v;
}

/// f32 values or i32 codes as the stored element type.
Value narrow(const ElementBuilder &eb, Value v, Type elem) {
  OpBuilder &b = eb.builder();
  if (elem.isF32() || elem.isInteger(32))
    return v;
  if (elem.isBF16() || elem.isF16())
    return arith::TruncFOp::create(b, eb.location(), eb.type(elem), v);
  Type codeType = b.getIntegerType(elem.getIntOrFloatBitWidth());
  v = eb.trunc(codeType, v);
  return llvm::isa<FloatType>(elem) ? eb.bitcast(elem, v) : v;
}

/// Chunks of `lanes` elements over [begin, end): full chunks, then one masked
/// tail. With lanes == 0 the body runs per element without a mask. The
/// output tensor `acc` is threaded through; returns its final value.
SmallVector<Value> forEachChunkN(OpBuilder &b, Location loc, Value begin,
                                 Value end, int64_t lanes, Value row,
                                 ValueRange acc, ChunkBodyN body) {
  int64_t step = std::max<int64_t>(lanes, 1);
  Value cStep = arith::ConstantIndexOp::create(b, loc, step);
  Value fullEnd = wholeStepsEnd(b, loc, begin, end, step);
  auto loop = scf::ForOp::create(
      b, loc, begin, fullEnd, cStep, acc,
      [&](OpBuilder &nb, Location nloc, Value off, ValueRange iter) {
        scf::YieldOp::create(nb, nloc, body(nb, nloc, off, Value(), row, iter));
      });
  SmallVector<Value> values = loop.getResults();
  if (lanes <= 1)
    return values;
  Value hasTail =
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, fullEnd, end);
  auto tail = scf::IfOp::create(
      b, loc, hasTail,
      [&](OpBuilder &nb, Location nloc) {
        Value rest = arith::SubIOp::create(nb, nloc, end, fullEnd);
        Value mask = vector::CreateMaskOp::create(
            nb, nloc, VectorType::get({lanes}, nb.getI1Type()),
            ValueRange{rest});
        scf::YieldOp::create(nb, nloc,
                             body(nb, nloc, fullEnd, mask, row, values));
      },
      [&](OpBuilder &nb, Location nloc) {
        scf::YieldOp::create(nb, nloc, values);
      });
  return tail.getResults();
}

Value forEachChunk(OpBuilder &b, Location loc, Value begin, Value end,
                   int64_t lanes, Value row, Value acc, ChunkBody body) {
  return forEachChunkN(b, loc, begin, end, lanes, row, ValueRange{acc},
                       [&](OpBuilder &nb, Location nloc, Value off, Value mask,
                           Value r, ValueRange iter) -> SmallVector<Value> {
                         return {body(nb, nloc, off, mask, r, iter[0])};
                       })[0];
}

Value forEachChunkInRows(OpBuilder &b, Location loc, Value begin, Value end,
                         int64_t lanes, int64_t rowLength, Value acc,
                         ChunkBody body) {
  if (!rowLength)
    return forEachChunk(b, loc, begin, end, lanes, Value(), acc, body);
  Value len = arith::ConstantIndexOp::create(b, loc, rowLength);
  Value c1 = arith::ConstantIndexOp::create(b, loc, 1);
  Value first = arith::DivUIOp::create(b, loc, begin, len);
  Value last = arith::CeilDivUIOp::create(b, loc, end, len);
  auto loop = scf::ForOp::create(
      b, loc, first, last, c1, ValueRange{acc},
      [&](OpBuilder &nb, Location nloc, Value row, ValueRange iter) {
        Value rowBegin = arith::MulIOp::create(nb, nloc, row, len);
        Value from = arith::MaxUIOp::create(nb, nloc, rowBegin, begin);
        Value to = arith::MinUIOp::create(
            nb, nloc, arith::AddIOp::create(nb, nloc, rowBegin, len), end);
        scf::YieldOp::create(
            nb, nloc,
            forEachChunk(nb, nloc, from, to, lanes, row, iter[0], body));
      });
  return loop.getResult(0);
}

/// Loops over the stream: one range, or rows of `rowLength` indices.
Value forEachStreamChunk(OpBuilder &b, Location loc, Value count, int64_t lanes,
                         int64_t rowLength, Value acc, ChunkBody body) {
  Value c0 = arith::ConstantIndexOp::create(b, loc, 0);
  if (!rowLength)
    return forEachChunk(b, loc, c0, count, lanes, c0, acc, body);
  Value c1 = arith::ConstantIndexOp::create(b, loc, 1);
  Value len = arith::ConstantIndexOp::create(b, loc, rowLength);
  Value rows = arith::CeilDivUIOp::create(b, loc, count, len);
  auto loop = scf::ForOp::create(
      b, loc, c0, rows, c1, ValueRange{acc},
      [&](OpBuilder &nb, Location nloc, Value row, ValueRange iter) {
        Value begin = arith::MulIOp::create(nb, nloc, row, len);
        Value end = arith::MinUIOp::create(
            nb, nloc, arith::AddIOp::create(nb, nloc, begin, len), count);
        scf::YieldOp::create(
            nb, nloc,
            forEachChunk(nb, nloc, begin, end, lanes, row, iter[0], body));
      });
  return loop.getResult(0);
}

Value forEachParallelTile(OpBuilder &b, Location loc, Value count, int64_t tile,
                          Value out, TileBody body) {
  return forEachParallelTile(
      b, loc, count, arith::ConstantIndexOp::create(b, loc, tile), out, body);
}

Value forEachParallelTile(OpBuilder &b, Location loc, Value count,
                          Value tileSize, Value out, TileBody body) {
  Value tiles = arith::CeilDivUIOp::create(b, loc, count, tileSize);
  auto forall = scf::ForallOp::create(b, loc, ArrayRef<OpFoldResult>{tiles},
                                      ValueRange{out}, std::nullopt,
                                      /*bodyBuilderFn=*/nullptr);
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPoint(forall.getTerminator());
  Value t = forall.getInductionVars()[0];
  Value shared = forall.getRegionIterArgs()[0];
  Value begin = arith::MulIOp::create(b, loc, t, tileSize);
  Value end = arith::MinUIOp::create(
      b, loc, arith::AddIOp::create(b, loc, begin, tileSize), count);
  Value size = arith::SubIOp::create(b, loc, end, begin);
  auto sliceType = RankedTensorType::get(
      {ShapedType::kDynamic},
      llvm::cast<RankedTensorType>(out.getType()).getElementType());
  SmallVector<OpFoldResult> offsets = {begin}, sizes = {size},
                            strides = {b.getIndexAttr(1)};
  Value slice = tensor::ExtractSliceOp::create(b, loc, sliceType, shared,
                                               offsets, sizes, strides);
  Value written = body(b, loc, begin, end, slice);
  b.setInsertionPointToEnd(forall.getTerminator().getBody());
  tensor::ParallelInsertSliceOp::create(b, loc, written, shared, offsets, sizes,
                                        strides);
  return forall.getResult(0);
}

Value seedOrZero(OpBuilder &b, Location loc, Value seed) {
  return seed ? seed : arith::ConstantIntOp::create(b, loc, 0, 64);
}

Value transposeTrailing(OpBuilder &b, Location loc, Value t) {
  auto type = llvm::cast<RankedTensorType>(t.getType());
  int64_t rank = type.getRank();
  SmallVector<int64_t> perm;
  for (int64_t d = 0; d < rank; ++d)
    perm.push_back(d);
  std::swap(perm[rank - 1], perm[rank - 2]);
  SmallVector<OpFoldResult> sizes;
  for (int64_t d : perm)
    sizes.push_back(tensor::getMixedSize(b, loc, t, d));
  Value init = tensor::EmptyOp::create(b, loc, sizes, type.getElementType());
  return linalg::TransposeOp::create(b, loc, t, init, perm).getResult()[0];
}

} // namespace qtrain::lowering
