//===- ElementwiseLowering.cpp - quantize/encode/decode to vector code ----===//
//
// Each op becomes a loop over the flattened (row-major) buffers, in chunks of
// `vectorWidth` lanes with one masked tail chunk. The chunk's first flat
// index is its elements' stream index, so stochastic rounding draws the
// library's numbers. LFSR sources walk the stream in rows of `lfsrLanes`
// indices (one step of every lane per row). Element types whose width is
// not a power-of-two number of bytes (i4, i6, i12, i24, f4E2M1FN, ...) take
// whole bytes per memref element but are packed in LLVM vectors, so ops on
// them run with scalar element code.
//
//===----------------------------------------------------------------------===//

#include "ElementCodegen.h"
#include "RandomCodegen.h"

#include "qtrain/Conversion/QTrainToVector/QTrainToVector.h"
#include "qtrain/Dialect/QTrain/IR/QTrainOps.h"

#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/TypeUtilities.h"
#include "mlir/Transforms/DialectConversion.h"

using namespace mlir;
namespace nx = qtrain::numerics;

namespace qtrain {
namespace {

using lowering::ElementBuilder;
using lowering::RandomCodegen;

/// Element types whose vectors LLVM packs in memory while their memref
/// elements occupy whole bytes (i4, i6, i12, i24, f4E2M1FN, ...): their
/// vector loads and stores would not match the buffer's layout.
bool needsScalarAccess(Type t) {
  unsigned w = t.getIntOrFloatBitWidth();
  return w < 8 || !llvm::isPowerOf2_32(w);
}

/// A tensor's buffer (identity layout) and the same memory as a flat
/// memref<?xT> of `count` elements.
struct FlatBuffer {
  Value buffer, flat, count;
};

Value elementCount(OpBuilder &b, Location loc, Value buffer) {
  auto type = llvm::cast<MemRefType>(buffer.getType());
  Value n = arith::ConstantIndexOp::create(b, loc, 1);
  for (int64_t d = 0; d < type.getRank(); ++d)
    n = arith::MulIOp::create(b, loc, n,
                              memref::DimOp::create(b, loc, buffer, d));
  return n;
}

FlatBuffer flatten(OpBuilder &b, Location loc, Value buffer) {
  auto type = llvm::cast<MemRefType>(buffer.getType());
  Value n = elementCount(b, loc, buffer);
  auto flatType = MemRefType::get({ShapedType::kDynamic}, type.getElementType());
  Value flat = memref::ReinterpretCastOp::create(
      b, loc, flatType, buffer, /*offset=*/b.getIndexAttr(0),
      /*sizes=*/ArrayRef<OpFoldResult>{n},
      /*strides=*/ArrayRef<OpFoldResult>{b.getIndexAttr(1)});
  return {buffer, flat, n};
}

/// The buffer of a tensor operand, read only.
FlatBuffer inputBuffer(OpBuilder &b, Location loc, Value tensor) {
  auto type = llvm::cast<RankedTensorType>(tensor.getType());
  auto memType = MemRefType::get(type.getShape(), type.getElementType());
  Value buffer = bufferization::ToBufferOp::create(b, loc, memType, tensor,
                                                   /*read_only=*/true);
  return flatten(b, loc, buffer);
}

/// A new buffer shaped like `like` (a buffer) with elements of `type`.
FlatBuffer allocLike(OpBuilder &b, Location loc, RankedTensorType type,
                     Value like) {
  SmallVector<Value> sizes;
  for (int64_t d = 0; d < type.getRank(); ++d)
    if (type.isDynamicDim(d))
      sizes.push_back(memref::DimOp::create(b, loc, like, d));
  auto memType = MemRefType::get(type.getShape(), type.getElementType());
  Value buffer = memref::AllocOp::create(b, loc, memType, sizes);
  return flatten(b, loc, buffer);
}

Value toTensor(OpBuilder &b, Location loc, RankedTensorType type,
               Value buffer) {
  return bufferization::ToTensorOp::create(b, loc, type, buffer,
                                           /*restrict=*/true,
                                           /*writable=*/true);
}

/// Loads `eb.laneCount()` elements (or one) at `offset`, masked when `mask`.
Value loadChunk(const ElementBuilder &eb, Value flat, Value offset,
                Value mask) {
  OpBuilder &b = eb.builder();
  Location loc = eb.location();
  Type elem = llvm::cast<MemRefType>(flat.getType()).getElementType();
  if (!eb.laneCount())
    return memref::LoadOp::create(b, loc, flat, offset);
  auto vt = VectorType::get({eb.laneCount()}, elem);
  if (!mask)
    return vector::LoadOp::create(b, loc, vt, flat, ValueRange{offset});
  TypedAttr zero = llvm::isa<FloatType>(elem)
                       ? TypedAttr(b.getFloatAttr(elem, 0.0))
                       : TypedAttr(b.getIntegerAttr(elem, 0));
  Value pass = eb.constant(elem, zero);
  return vector::MaskedLoadOp::create(b, loc, vt, flat, ValueRange{offset},
                                      mask, pass);
}

void storeChunk(const ElementBuilder &eb, Value value, Value flat,
                Value offset, Value mask) {
  OpBuilder &b = eb.builder();
  Location loc = eb.location();
  if (!eb.laneCount())
    memref::StoreOp::create(b, loc, value, flat, offset);
  else if (!mask)
    vector::StoreOp::create(b, loc, value, flat, ValueRange{offset});
  else
    vector::MaskedStoreOp::create(b, loc, flat, ValueRange{offset}, mask,
                                  value);
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

using ChunkBody =
    function_ref<void(OpBuilder &, Location, Value offset, Value mask, Value row)>;

/// Chunks of `lanes` elements over [begin, end): full chunks, then one masked
/// tail. With lanes == 0 the body runs per element without a mask.
void forEachChunk(OpBuilder &b, Location loc, Value begin, Value end,
                  int64_t lanes, Value row, ChunkBody body) {
  int64_t step = std::max<int64_t>(lanes, 1);
  Value cStep = arith::ConstantIndexOp::create(b, loc, step);
  Value length = arith::SubIOp::create(b, loc, end, begin);
  Value fullEnd = arith::AddIOp::create(
      b, loc, begin,
      arith::MulIOp::create(b, loc,
                            arith::DivUIOp::create(b, loc, length, cStep),
                            cStep));
  scf::ForOp::create(b, loc, begin, fullEnd, cStep, {},
                     [&](OpBuilder &nb, Location nloc, Value off, ValueRange) {
                       body(nb, nloc, off, Value(), row);
                       scf::YieldOp::create(nb, nloc);
                     });
  if (lanes <= 1)
    return;
  Value hasTail = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult,
                                        fullEnd, end);
  scf::IfOp::create(b, loc, hasTail, [&](OpBuilder &nb, Location nloc) {
    Value rest = arith::SubIOp::create(nb, nloc, end, fullEnd);
    Value mask = vector::CreateMaskOp::create(
        nb, nloc, VectorType::get({lanes}, nb.getI1Type()), ValueRange{rest});
    body(nb, nloc, fullEnd, mask, row);
    scf::YieldOp::create(nb, nloc);
  });
}

/// Loops over the stream: one range, or rows of `rowLength` indices.
void forEachStreamChunk(OpBuilder &b, Location loc, Value count, int64_t lanes,
                        int64_t rowLength, ChunkBody body) {
  Value c0 = arith::ConstantIndexOp::create(b, loc, 0);
  if (!rowLength) {
    forEachChunk(b, loc, c0, count, lanes, c0, body);
    return;
  }
  Value c1 = arith::ConstantIndexOp::create(b, loc, 1);
  Value len = arith::ConstantIndexOp::create(b, loc, rowLength);
  Value rows = arith::CeilDivUIOp::create(b, loc, count, len);
  scf::ForOp::create(
      b, loc, c0, rows, c1, {},
      [&](OpBuilder &nb, Location nloc, Value row, ValueRange) {
        Value begin = arith::MulIOp::create(nb, nloc, row, len);
        Value end = arith::MinUIOp::create(
            nb, nloc, arith::AddIOp::create(nb, nloc, begin, len), count);
        forEachChunk(nb, nloc, begin, end, lanes, row, body);
        scf::YieldOp::create(nb, nloc);
      });
}

/// What one element computes: f32 value or i32 code in, f32 or i32 out.
using ElementFn =
    function_ref<Value(const ElementBuilder &, Value in, Value random)>;

/// Lowers `result = map(input)` elementwise (same shape). `rounding`,
/// `seed` and `randomData` describe stochastic rounding (rounding may be
/// null for decode).
Value lowerElementwise(OpBuilder &b, Location loc, Value input,
                       RankedTensorType resultType,
                       const nx::Rounding *rounding, Value seed,
                       Value randomData, int64_t vectorWidth, ElementFn fn) {
  FlatBuffer in = inputBuffer(b, loc, input);
  FlatBuffer out = allocLike(b, loc, resultType, in.buffer);
  Type inElem = getElementTypeOrSelf(input.getType());
  Type outElem = resultType.getElementType();
  int64_t lanes =
      needsScalarAccess(inElem) || needsScalarAccess(outElem) ? 0 : std::max<int64_t>(vectorWidth, 1);

  std::optional<RandomCodegen> random;
  if (rounding && rounding->isStochastic()) {
    Value data;
    if (randomData)
      data = inputBuffer(b, loc, randomData).flat;
    random.emplace(b, loc, *rounding, seed, data);
  }
  int64_t rowLength = random ? random->rowLength() : 0;
  forEachStreamChunk(
      b, loc, in.count, lanes, rowLength,
      [&](OpBuilder &nb, Location nloc, Value offset, Value mask, Value row) {
        ElementBuilder eb(nb, nloc, lanes);
        Value x = widen(eb, loadChunk(eb, in.flat, offset, mask));
        Value bits = random ? random->emit(eb, offset, row, mask) : Value();
        Value y = fn(eb, x, bits);
        storeChunk(eb, narrow(eb, y, outElem), out.flat, offset, mask);
      });
  return toTensor(b, loc, resultType, out.buffer);
}

/// The element format of an op whose format has no scale levels.
FailureOr<nx::ElementFormat> unscaledElement(ConversionPatternRewriter &rw,
                                             Operation *op,
                                             FormatAttrInterface format) {
  nx::ScaledFormat f = format.getScaledFormat();
  if (!f.levels.empty())
    return rw.notifyMatchFailure(
        op, "scaled formats are not lowered to CPU code yet");
  return f.element;
}

/// The seed as i64 (0 without a seed operand).
Value seedOrZero(OpBuilder &b, Location loc, Value seed) {
  return seed ? seed : arith::ConstantIntOp::create(b, loc, 0, 64);
}

struct QuantizeLowering : OpConversionPattern<QuantizeOp> {
  QuantizeLowering(MLIRContext *ctx, const QTrainToVectorOptions &options)
      : OpConversionPattern(ctx), options(options) {}

  LogicalResult
  matchAndRewrite(QuantizeOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rw) const override {
    FailureOr<nx::ElementFormat> f = unscaledElement(rw, op, op.getFormat());
    if (failed(f))
      return failure();
    nx::Rounding r = op.getRoundingRule();
    Location loc = op.getLoc();
    Value result = lowerElementwise(
        rw, loc, adaptor.getInput(), op.getType(), &r,
        seedOrZero(rw, loc, adaptor.getSeed()), adaptor.getRandomData(),
        options.vectorWidth,
        [&](const ElementBuilder &eb, Value x, Value random) {
          return lowering::emitDecode(
              eb, *f, lowering::emitEncode(eb, *f, x, r, random));
        });
    rw.replaceOp(op, result);
    return success();
  }
  QTrainToVectorOptions options;
};

struct EncodeLowering : OpConversionPattern<EncodeOp> {
  EncodeLowering(MLIRContext *ctx, const QTrainToVectorOptions &options)
      : OpConversionPattern(ctx), options(options) {}

  LogicalResult
  matchAndRewrite(EncodeOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rw) const override {
    FailureOr<nx::ElementFormat> f = unscaledElement(rw, op, op.getFormat());
    if (failed(f))
      return failure();
    nx::Rounding r = op.getRoundingRule();
    Location loc = op.getLoc();
    Value result = lowerElementwise(
        rw, loc, adaptor.getInput(),
        llvm::cast<RankedTensorType>(op.getCodes().getType()), &r,
        seedOrZero(rw, loc, adaptor.getSeed()), adaptor.getRandomData(),
        options.vectorWidth,
        [&](const ElementBuilder &eb, Value x, Value random) {
          return lowering::emitEncode(eb, *f, x, r, random);
        });
    rw.replaceOp(op, result);
    return success();
  }
  QTrainToVectorOptions options;
};

struct DecodeLowering : OpConversionPattern<DecodeOp> {
  DecodeLowering(MLIRContext *ctx, const QTrainToVectorOptions &options)
      : OpConversionPattern(ctx), options(options) {}

  LogicalResult
  matchAndRewrite(DecodeOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rw) const override {
    FailureOr<nx::ElementFormat> f = unscaledElement(rw, op, op.getFormat());
    if (failed(f))
      return failure();
    Location loc = op.getLoc();
    Value result = lowerElementwise(
        rw, loc, adaptor.getCodes(), op.getType(), /*rounding=*/nullptr,
        Value(), Value(), options.vectorWidth,
        [&](const ElementBuilder &eb, Value code, Value) {
          return lowering::emitDecode(eb, *f, code);
        });
    rw.replaceOp(op, result);
    return success();
  }
  QTrainToVectorOptions options;
};

} // namespace

void populateQTrainElementwiseToVectorPatterns(
    RewritePatternSet &patterns, const QTrainToVectorOptions &options) {
  patterns.add<QuantizeLowering, EncodeLowering, DecodeLowering>(
      patterns.getContext(), options);
}

} // namespace qtrain
