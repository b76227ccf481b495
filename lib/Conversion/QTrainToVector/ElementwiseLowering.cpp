//===- ElementwiseLowering.cpp - quantize/encode/decode to vector code ----===//
//
// Each op becomes a loop over the flattened (row-major) tensors, in chunks of
// `vectorWidth` lanes with one masked tail chunk, written with
// vector.transfer_read/transfer_write on tensors so that one-shot
// bufferization writes the result in place (into a destination too). The
// chunk's first flat index is its elements' stream index, so stochastic
// rounding draws the library's numbers. LFSR sources walk the stream in rows of
// `lfsrLanes` indices (one step of every lane per row). Element types whose
// width is not a power-of-two number of bytes (i4, i6, i12, i24, f4E2M1FN, ...)
// take whole bytes per memref element but are packed in LLVM vectors, so ops on
// them run with scalar element code.
//
//===----------------------------------------------------------------------===//

#include "ElementCodegen.h"
#include "LoopCodegen.h"
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

using namespace lowering;

/// What one element computes: f32 value or i32 code in, f32 or i32 out.
using ElementFn =
    function_ref<Value(const ElementBuilder &, Value in, Value random)>;

/// Lowers `result = map(input)` elementwise (same shape). `rounding`,
/// `seed` and `randomData` describe stochastic rounding (rounding may be
/// null for decode).
Value lowerElementwise(OpBuilder &b, Location loc, Value input,
                       RankedTensorType resultType,
                       const nx::Rounding *rounding, Value seed,
                       Value randomData, int64_t vectorWidth,
                       int64_t tileElements, ElementFn fn) {
  FlatTensor in = flatten(b, loc, input);
  Type inElem = getElementTypeOrSelf(input.getType());
  Type outElem = resultType.getElementType();
  Value out = emptyFlat(
      b, loc, in.count,
      llvm::cast<RankedTensorType>(in.flat.getType()).getDimSize(0), outElem);
  int64_t lanes = needsScalarAccess(inElem) || needsScalarAccess(outElem)
                      ? 0
                      : std::max<int64_t>(vectorWidth, 1);

  std::optional<RandomCodegen> random;
  if (rounding && rounding->isStochastic()) {
    Value data;
    if (randomData)
      data = flatBuffer(b, loc, randomData);
    random.emplace(b, loc, *rounding, seed, data, in.count);
  }
  int64_t rowLength = random ? random->rowLength() : 0;
  // `tileBegin` is the flat offset where the tensor being written starts
  // (non-zero inside a parallel tile).
  Value tileBegin = arith::ConstantIndexOp::create(b, loc, 0);
  auto body = [&](OpBuilder &nb, Location nloc, Value offset, Value mask,
                  Value row, Value acc) {
    ElementBuilder eb(nb, nloc, lanes);
    Value x = widen(eb, readChunk(eb, in.flat, offset, mask));
    Value bits = random ? random->emit(eb, offset, row, mask) : Value();
    Value y = fn(eb, x, bits);
    Value local = arith::SubIOp::create(nb, nloc, offset, tileBegin);
    return writeChunk(eb, narrow(eb, y, outElem), acc, local, mask);
  };
  if (rowLength || tileElements <= 0) {
    out = forEachStreamChunk(b, loc, in.count, lanes, rowLength, out, body);
  } else {
    // Whole-vector tiles, independent of each other: every element keeps
    // its global stream index.
    int64_t step = std::max<int64_t>(lanes, 1);
    int64_t tile = (tileElements + step - 1) / step * step;
    out = forEachParallelTile(
        b, loc, in.count, tile, out,
        [&](OpBuilder &tb, Location tloc, Value begin, Value end, Value slice) {
          tileBegin = begin;
          return forEachChunk(tb, tloc, begin, end, lanes, Value(), slice,
                              body);
        });
  }
  return unflatten(b, loc, out, resultType, input);
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

struct QuantizeLowering : OpConversionPattern<QuantizeOp> {
  QuantizeLowering(MLIRContext *ctx, const QTrainToVectorOptions &options)
      : OpConversionPattern(ctx), options(options) {}

  LogicalResult matchAndRewrite(QuantizeOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rw) const override {
    FailureOr<nx::ElementFormat> f = unscaledElement(rw, op, op.getFormat());
    if (failed(f))
      return failure();
    nx::Rounding r = op.getRoundingRule();
    Location loc = op.getLoc();
    Value result = lowerElementwise(
        rw, loc, adaptor.getInput(), op.getType(), &r,
        seedOrZero(rw, loc, adaptor.getSeed()), adaptor.getRandomData(),
        options.vectorWidth, options.tileElements,
        [&](const ElementBuilder &eb, Value x, Value random) {
          return emitQuantize(eb, *f, x, r, random);
        });
    rw.replaceOp(op, result);
    return success();
  }
  QTrainToVectorOptions options;
};

struct EncodeLowering : OpConversionPattern<EncodeOp> {
  EncodeLowering(MLIRContext *ctx, const QTrainToVectorOptions &options)
      : OpConversionPattern(ctx), options(options) {}

  LogicalResult matchAndRewrite(EncodeOp op, OpAdaptor adaptor,
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
        options.vectorWidth, options.tileElements,
        [&](const ElementBuilder &eb, Value x, Value random) {
          return emitEncode(eb, *f, x, r, random);
        });
    rw.replaceOp(op, result);
    return success();
  }
  QTrainToVectorOptions options;
};

struct DecodeLowering : OpConversionPattern<DecodeOp> {
  DecodeLowering(MLIRContext *ctx, const QTrainToVectorOptions &options)
      : OpConversionPattern(ctx), options(options) {}

  LogicalResult matchAndRewrite(DecodeOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rw) const override {
    FailureOr<nx::ElementFormat> f = unscaledElement(rw, op, op.getFormat());
    if (failed(f))
      return failure();
    Location loc = op.getLoc();
    Value result = lowerElementwise(
        rw, loc, adaptor.getCodes(), op.getType(), /*rounding=*/nullptr,
        Value(), Value(), options.vectorWidth, options.tileElements,
        [&](const ElementBuilder &eb, Value code, Value) {
          return emitDecode(eb, *f, code);
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
