//===- Decompose.cpp - The qtrain-decompose pass --------------------------===//
//
// Rewrites the qtrain ops that docs/Numerics.md defines through other ops,
// on tensors, so that every lowering implements only the primitive ones:
//
// - conv2d is one gemm on im2col matrices (padding taps are +0 products):
//
//     forward          W[F, C*KH*KW]     x col(x)[C*KH*KW, N*OH*OW]
//     backward_data    W^T[C, F*KH*KW]   x col(dy)[F*KH*KW, N*H*W]
//     backward_weight  dy[F, N*OH*OW]    x col(x)[N*OH*OW, C*KH*KW]
//
//   col(.) is a tensor.generate over the multi-indices of its rows and
//   columns (rank 6), collapsed to two dimensions and marked with the
//   convolution's geometry (qtrain.im2col); the other matrices and the
//   result are reshapes of the tensors and linalg.generic copies that swap
//   two dimensions. The product is a qtrain.matmul with the op's
//   accumulation. Types are static where the shapes are. numerics::conv2d
//   builds the same matrices; the differential test compares every bit.
// - delayed_scale is the new window, qtrain.amax and qtrain.select_scale
//   (numerics::delayedScale).
// - zero_setting_error is the op's qtrain.quantize and a linalg.generic
//   count of the inputs it flushes (numerics::zeroSettingError).
//
//===----------------------------------------------------------------------===//

#include "qtrain/Dialect/QTrain/IR/StepAttributes.h"
#include "qtrain/Dialect/QTrain/Transforms/Passes.h"

#include "qtrain/Dialect/QTrain/IR/QTrainOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/ControlFlow/IR/ControlFlow.h"
#include "mlir/Dialect/ControlFlow/IR/ControlFlowOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/AffineMap.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace qtrain {

#define GEN_PASS_DEF_QTRAINDECOMPOSEPASS
#include "qtrain/Dialect/QTrain/Transforms/Passes.h.inc"

} // namespace qtrain

using namespace mlir;

namespace qtrain {
namespace {

//===----------------------------------------------------------------------===//
// conv2d
//===----------------------------------------------------------------------===//

/// Index arithmetic (and guarded f32 reads) for the im2col generators.
class IndexBuilder {
public:
  IndexBuilder(OpBuilder &b, Location loc) : b(b), loc(loc) {}

  OpBuilder &builder() const { return b; }
  Location location() const { return loc; }

  Value c(int64_t v) const { return arith::ConstantIndexOp::create(b, loc, v); }
  // Sizes fold to constants when the shapes are static, so the matrices
  // get static types.
  Value add(Value x, Value y) const {
    return b.createOrFold<arith::AddIOp>(loc, x, y);
  }
  Value sub(Value x, Value y) const {
    return b.createOrFold<arith::SubIOp>(loc, x, y);
  }
  Value mul(Value x, Value y) const {
    return b.createOrFold<arith::MulIOp>(loc, x, y);
  }
  Value div(Value x, Value y) const {
    return b.createOrFold<arith::DivUIOp>(loc, x, y);
  }
  Value rem(Value x, Value y) const {
    return arith::RemUIOp::create(b, loc, x, y);
  }
  Value smax(Value x, Value y) const {
    return arith::MaxSIOp::create(b, loc, x, y);
  }
  Value smin(Value x, Value y) const {
    return arith::MinSIOp::create(b, loc, x, y);
  }
  Value cmp(arith::CmpIPredicate p, Value x, Value y) const {
    return arith::CmpIOp::create(b, loc, p, x, y);
  }
  Value land(Value x, Value y) const {
    return arith::AndIOp::create(b, loc, x, y);
  }
  /// x clamped to [0, size - 1] (a safe index for a guarded read).
  Value clamp(Value x, Value size) const {
    return smin(smax(x, c(0)), sub(size, c(1)));
  }
  /// 0 <= x < size.
  Value inRange(Value x, Value size) const {
    return land(cmp(arith::CmpIPredicate::sge, x, c(0)),
                cmp(arith::CmpIPredicate::slt, x, size));
  }
  Value read(Value t, ValueRange idx) const {
    return tensor::ExtractOp::create(b, loc, t, idx);
  }
  /// t[i...] if `valid`, else +0 (the read itself always in bounds).
  Value readOrZero(Value t, ArrayRef<Value> idx, ArrayRef<Value> sizes,
                   Value valid) const {
    SmallVector<Value> safe;
    for (auto [i, s] : llvm::zip(idx, sizes))
      safe.push_back(clamp(i, s));
    Value zero = arith::ConstantOp::create(b, loc, b.getF32FloatAttr(0.0f));
    return arith::SelectOp::create(b, loc, valid, read(t, safe), zero);
  }

private:
  OpBuilder &b;
  Location loc;
};

/// The static extent `size` names, or ShapedType::kDynamic.
int64_t staticSize(Value size) {
  return getConstantIntValue(size).value_or(ShapedType::kDynamic);
}

/// A tensor of f32 with the given sizes (static where they are constants).
RankedTensorType tensorOfSizes(OpBuilder &b, ArrayRef<Value> sizes) {
  SmallVector<int64_t> shape = llvm::map_to_vector(sizes, staticSize);
  return RankedTensorType::get(shape, b.getF32Type());
}

/// The dynamic ones among `sizes`, as tensor.generate / tensor.empty take
/// them.
SmallVector<Value> dynamicSizes(ArrayRef<Value> sizes) {
  return llvm::filter_to_vector(
      sizes, [](Value s) { return ShapedType::isDynamic(staticSize(s)); });
}

/// A matrix whose rows are the row-major multi-indices of `rowSizes` and
/// whose columns those of `colSizes`; the element at row (r...) and column
/// (c...) is `body(r..., c...)`. It is generated at the full rank (marked
/// `marker`, which names the gather for targets that map it whole) and
/// collapsed to two dimensions, so no index is recovered by division and
/// the innermost loop walks the last column index.
Value generateMatrix(
    OpBuilder &b, Location loc, ArrayRef<Value> rowSizes,
    ArrayRef<Value> colSizes, NamedAttribute marker,
    function_ref<Value(const IndexBuilder &, ValueRange, ValueRange)> body) {
  SmallVector<Value> sizes(rowSizes);
  llvm::append_range(sizes, colSizes);
  size_t rows = rowSizes.size();
  auto full = tensor::GenerateOp::create(
      b, loc, tensorOfSizes(b, sizes), dynamicSizes(sizes),
      [&](OpBuilder &gb, Location gl, ValueRange idx) {
        IndexBuilder g(gb, gl);
        tensor::YieldOp::create(
            gb, gl, body(g, idx.take_front(rows), idx.drop_front(rows)));
      });
  full->setAttr(marker.getName(), marker.getValue());
  ReassociationIndices rowDims, colDims;
  for (size_t d = 0; d < sizes.size(); ++d)
    (d < rows ? rowDims : colDims).push_back(d);
  return tensor::CollapseShapeOp::create(
      b, loc, full, ArrayRef<ReassociationIndices>{rowDims, colDims});
}

/// `t` with the dimensions of each group merged (collapse) or one
/// dimension per group split into `sizes` (expand): views of its layout.
Value collapse(OpBuilder &b, Location loc, Value t,
               ArrayRef<ReassociationIndices> groups) {
  return tensor::CollapseShapeOp::create(b, loc, t, groups);
}
Value expand(OpBuilder &b, Location loc, Value t, ArrayRef<Value> sizes,
             ArrayRef<ReassociationIndices> groups) {
  return tensor::ExpandShapeOp::create(b, loc, tensorOfSizes(b, sizes), t,
                                       groups, getAsOpFoldResult(sizes));
}

/// t[a, b, p] -> [b, a, p] (sizes A, B, P): a linalg.generic copy, which
/// every lowering maps as a strided move.
Value swapLeading(OpBuilder &b, Location loc, Value t, Value A, Value B,
                  Value P) {
  SmallVector<Value> sizes = {B, A, P};
  Value init = tensor::EmptyOp::create(b, loc, tensorOfSizes(b, sizes),
                                       dynamicSizes(sizes));
  MLIRContext *ctx = b.getContext();
  AffineExpr d0, d1, d2;
  bindDims(ctx, d0, d1, d2);
  SmallVector<AffineMap> maps = {AffineMap::get(3, 0, {d1, d0, d2}, ctx),
                                 AffineMap::getMultiDimIdentityMap(3, ctx)};
  SmallVector<utils::IteratorType> iterators(3, utils::IteratorType::parallel);
  return linalg::GenericOp::create(
             b, loc, init.getType(), t, init, maps, iterators,
             [](OpBuilder &gb, Location gl, ValueRange args) {
               linalg::YieldOp::create(gb, gl, args[0]);
             })
      .getResult(0);
}

/// t[a, b, p1, p2] (sizes A, B, P = P1 P2) as the matrix [B, A P]: its
/// leading dimensions swapped, the rest merged.
Value transposeToMatrix(OpBuilder &b, Location loc, Value t, Value A, Value B,
                        Value P) {
  Value swapped =
      swapLeading(b, loc, collapse(b, loc, t, {{0}, {1}, {2, 3}}), A, B, P);
  return collapse(b, loc, swapped, {{0}, {1, 2}});
}

/// Whether the sizes the operands do not give follow from the result type:
/// backward_data needs the input's H and W in it, backward_weight the
/// filter's KH and KW (the output extents follow from them; forward's are
/// computed when dynamic).
bool hasDecomposableSizes(Conv2DOp op) {
  RankedTensorType type = op.getType();
  return op.getKind() == ConvKind::Forward ||
         (!type.isDynamicDim(2) && !type.isDynamicDim(3));
}

struct DecomposeConv2D : OpRewritePattern<Conv2DOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(Conv2DOp op,
                                PatternRewriter &rw) const override {
    if (!hasDecomposableSizes(op))
      return rw.notifyMatchFailure(
          op, "the result leaves an input or filter size dynamic");
    Location loc = op.getLoc();
    IndexBuilder ix(rw, loc);
    Value lhs = op.getLhs(), rhs = op.getRhs();
    RankedTensorType outType = op.getType();
    auto dim = [&](Value t, int64_t d) -> Value {
      auto type = cast<RankedTensorType>(t.getType());
      return type.isDynamicDim(d) ? tensor::DimOp::create(rw, loc, t, d)
                                  : ix.c(type.getDimSize(d));
    };
    auto outDim = [&](int64_t d) -> Value {
      return outType.isDynamicDim(d) ? Value() : ix.c(outType.getDimSize(d));
    };
    // The forward convolution's tensors and sizes, whatever the kind.
    Value x, w, dy;
    Value N, C, H, W, F, KH, KW, OH, OW;
    switch (op.getKind()) {
    case ConvKind::Forward:
      x = lhs, w = rhs;
      N = dim(x, 0), C = dim(x, 1), H = dim(x, 2), W = dim(x, 3);
      F = dim(w, 0), KH = dim(w, 2), KW = dim(w, 3);
      OH = outDim(2), OW = outDim(3);
      break;
    case ConvKind::BackwardData:
      dy = lhs, w = rhs;
      N = dim(dy, 0), F = dim(dy, 1), OH = dim(dy, 2), OW = dim(dy, 3);
      C = dim(w, 1), KH = dim(w, 2), KW = dim(w, 3);
      H = outDim(2), W = outDim(3);
      break;
    case ConvKind::BackwardWeight:
      x = lhs, dy = rhs;
      N = dim(x, 0), C = dim(x, 1), H = dim(x, 2), W = dim(x, 3);
      F = dim(dy, 1), OH = dim(dy, 2), OW = dim(dy, 3);
      KH = outDim(2), KW = outDim(3);
      break;
    }
    ArrayRef<int64_t> st = op.getStrides(), pad = op.getPadding(),
                      dil = op.getDilations();
    // Output extents the result type leaves dynamic:
    // (in + pa + pb - d * (k - 1) - 1) / s + 1.
    auto extent = [&](Value in, int64_t pa, int64_t pb, Value k, int64_t d,
                      int64_t s) {
      Value span = ix.sub(ix.add(in, ix.c(pa + pb)),
                          ix.add(ix.mul(ix.c(d), ix.sub(k, ix.c(1))), ix.c(1)));
      return ix.add(ix.div(span, ix.c(s)), ix.c(1));
    };
    if (!OH)
      OH = extent(H, pad[0], pad[1], KH, dil[0], st[0]);
    if (!OW)
      OW = extent(W, pad[2], pad[3], KW, dil[1], st[1]);

    // The gather of the taps carries the convolution's geometry
    // (kIm2colAttr), from which a target can map it without re-deriving
    // its index arithmetic.
    NamedAttribute marker(
        rw.getStringAttr(kIm2colAttr),
        rw.getDictionaryAttr({
            rw.getNamedAttr("kind",
                            ConvKindAttr::get(getContext(), op.getKind())),
            rw.getNamedAttr("strides", rw.getDenseI64ArrayAttr(st)),
            rw.getNamedAttr("padding", rw.getDenseI64ArrayAttr(pad)),
            rw.getNamedAttr("dilations", rw.getDenseI64ArrayAttr(dil)),
        }));
    // x[n, c, oh * sh - pt + kh * dh, ow * sw - pl + kw * dw], +0 outside.
    auto tap = [&](const IndexBuilder &g, Value n, Value c, Value oh, Value ow,
                   Value kh, Value kw) {
      Value h = g.add(g.sub(g.mul(oh, g.c(st[0])), g.c(pad[0])),
                      g.mul(kh, g.c(dil[0])));
      Value ww = g.add(g.sub(g.mul(ow, g.c(st[1])), g.c(pad[2])),
                       g.mul(kw, g.c(dil[1])));
      Value valid = g.land(g.inRange(h, H), g.inRange(ww, W));
      return g.readOrZero(x, {n, c, h, ww}, {N, C, H, W}, valid);
    };
    // The reshapes and transposes below are views and copies; the gathers
    // of taps are generated over the multi-indices that name their rows
    // and columns (generateMatrix); the comments give them.
    Value a, bm, rows;
    switch (op.getKind()) {
    case ConvKind::Forward: {
      rows = F;
      // a[f, (c, kh, kw)] = w[f, c, kh, kw]
      a = collapse(rw, loc, w, {{0}, {1, 2, 3}});
      // bm[(c, kh, kw), (n, oh, ow)] = tap
      bm = generateMatrix(
          rw, loc, {C, KH, KW}, {N, OH, OW}, marker,
          [&](const IndexBuilder &g, ValueRange k, ValueRange j) {
            return tap(g, j[0], k[0], j[1], j[2], k[1], k[2]);
          });
      break;
    }
    case ConvKind::BackwardData: {
      rows = C;
      // a[c, (f, kh, kw)] = w[f, c, kh, kw]
      a = transposeToMatrix(rw, loc, w, F, C, ix.mul(KH, KW));
      // bm[(f, kh, kw), (n, h, w)] = dy[n, f, th / sh, tw / sw] with
      // th = h + pt - kh * dh (tw alike) when both divide exactly and are
      // in range, else +0.
      bm = generateMatrix(
          rw, loc, {F, KH, KW}, {N, H, W}, marker,
          [&](const IndexBuilder &g, ValueRange k, ValueRange j) {
            using P = arith::CmpIPredicate;
            Value f = k[0], kh = k[1], kw = k[2];
            Value n = j[0], h = j[1], ww = j[2];
            Value th = g.sub(g.add(h, g.c(pad[0])), g.mul(kh, g.c(dil[0])));
            Value tw = g.sub(g.add(ww, g.c(pad[2])), g.mul(kw, g.c(dil[1])));
            Value thc = g.smax(th, g.c(0));
            Value twc = g.smax(tw, g.c(0));
            Value oh = g.div(thc, g.c(st[0])), ow = g.div(twc, g.c(st[1]));
            Value exact = g.land(g.cmp(P::eq, g.rem(thc, g.c(st[0])), g.c(0)),
                                 g.cmp(P::eq, g.rem(twc, g.c(st[1])), g.c(0)));
            Value valid = g.land(
                g.land(g.cmp(P::sge, th, g.c(0)), g.cmp(P::sge, tw, g.c(0))),
                g.land(exact,
                       g.land(g.cmp(P::slt, oh, OH), g.cmp(P::slt, ow, OW))));
            return g.readOrZero(dy, {n, f, oh, ow}, {N, F, OH, OW}, valid);
          });
      break;
    }
    case ConvKind::BackwardWeight: {
      rows = F;
      // a[f, (n, oh, ow)] = dy[n, f, oh, ow]
      a = transposeToMatrix(rw, loc, dy, N, F, ix.mul(OH, OW));
      // bm[(n, oh, ow), (c, kh, kw)] = tap
      bm = generateMatrix(
          rw, loc, {N, OH, OW}, {C, KH, KW}, marker,
          [&](const IndexBuilder &g, ValueRange k, ValueRange j) {
            return tap(g, k[0], j[0], k[1], k[2], j[1], j[2]);
          });
      break;
    }
    }
    auto aType = cast<RankedTensorType>(a.getType());
    auto bType = cast<RankedTensorType>(bm.getType());
    auto productType = RankedTensorType::get(
        {aType.getDimSize(0), bType.getDimSize(1)}, rw.getF32Type());
    Value product =
        MatmulOp::create(rw, loc, productType, a, bm,
                         /*transpose_a=*/false,
                         /*transpose_b=*/false, op.getAccumulationAttr());
    Value result;
    if (op.getKind() == ConvKind::BackwardWeight) {
      // [F, C*KH*KW] is the filter gradient's row-major layout.
      result = expand(rw, loc, product, {F, C, KH, KW}, {{0}, {1, 2, 3}});
    } else {
      // [M, N * P] -> [M, N, P] -> [N, M, P] -> [N, M, P1, P2].
      bool forward = op.getKind() == ConvKind::Forward;
      Value P1 = forward ? OH : H, P2 = forward ? OW : W;
      Value P = ix.mul(P1, P2);
      Value split = expand(rw, loc, product, {rows, N, P}, {{0}, {1, 2}});
      result = expand(rw, loc, swapLeading(rw, loc, split, rows, N, P),
                      {N, rows, P1, P2}, {{0}, {1}, {2, 3}});
    }
    // The result type may be more static than the computed one.
    if (result.getType() != outType)
      result = tensor::CastOp::create(rw, loc, outType, result);
    rw.replaceOp(op, result);
    return success();
  }
};

//===----------------------------------------------------------------------===//
// delayed_scale
//===----------------------------------------------------------------------===//

/// The window without its oldest entry and with `amax` appended, then
/// qtrain.amax and qtrain.select_scale on it (numerics::delayedScale).
struct DecomposeDelayedScale : OpRewritePattern<DelayedScaleOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(DelayedScaleOp op,
                                PatternRewriter &rw) const override {
    Location loc = op.getLoc();
    Value history = op.getHistory();
    auto type = llvm::cast<RankedTensorType>(history.getType());
    Value c0 = arith::ConstantIndexOp::create(rw, loc, 0);
    Value c1 = arith::ConstantIndexOp::create(rw, loc, 1);
    Value length = tensor::DimOp::create(rw, loc, history, c0);
    cf::AssertOp::create(
        rw, loc,
        arith::CmpIOp::create(rw, loc, arith::CmpIPredicate::uge, length, c1),
        "qtrain.delayed_scale: the amax history is empty");
    Value amax = tensor::ExtractOp::create(rw, loc, op.getAmax(), ValueRange{});
    Value last = arith::SubIOp::create(rw, loc, length, c1);
    SmallVector<Value> dynamic;
    if (type.isDynamicDim(0))
      dynamic.push_back(length);
    Value window = tensor::GenerateOp::create(
        rw, loc, type, dynamic, [&](OpBuilder &b, Location l, ValueRange i) {
          Value isLast =
              arith::CmpIOp::create(b, l, arith::CmpIPredicate::eq, i[0], last);
          // The next entry (clamped so the read stays in bounds).
          Value next = arith::MinUIOp::create(
              b, l, arith::AddIOp::create(b, l, i[0], c1), last);
          Value older = tensor::ExtractOp::create(b, l, history, next);
          tensor::YieldOp::create(
              b, l, arith::SelectOp::create(b, l, isLast, amax, older));
        });
    // Marked for targets that map the shift as a whole (the accelerator's
    // conversion: two LOADs and a STORE).
    window.getDefiningOp()->setAttr(kHistoryShiftAttr, rw.getUnitAttr());
    auto scalar = RankedTensorType::get({}, rw.getF32Type());
    Value stat = AmaxOp::create(rw, loc, scalar, window);
    Value scale = SelectScaleOp::create(rw, loc, scalar, stat,
                                        op.getLevelAttr(), op.getElement());
    rw.replaceOp(op, {scale, window});
    return success();
  }
};

//===----------------------------------------------------------------------===//
// zero_setting_error
//===----------------------------------------------------------------------===//

/// The op's qtrain.quantize, then a linalg.generic over every element that
/// counts in i64 the candidates (non-zero, non-NaN inputs) and the flushed
/// ones (candidates that quantize to +-0), and flushed / denominator in
/// f64 rounded to f32, 0 for a zero denominator (numerics::zseRatio). The
/// denominator is the candidates, or every element with `all_elements`.
struct DecomposeZeroSettingError : OpRewritePattern<ZeroSettingErrorOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(ZeroSettingErrorOp op,
                                PatternRewriter &rw) const override {
    Location loc = op.getLoc();
    Value input = op.getInput();
    auto type = llvm::cast<RankedTensorType>(input.getType());
    Value quantized =
        QuantizeOp::create(rw, loc, type, input,
                           /*seed=*/Value(), /*random_data=*/Value(),
                           /*scales=*/ValueRange{}, op.getFormat(),
                           op.getRoundingAttr(), op.getReductionAxisAttr());

    // One 0-d i64 accumulator per count, each its own buffer.
    bool allElements = op.getAllElements();
    unsigned numCounts = allElements ? 1 : 2;
    Type i64 = rw.getI64Type();
    auto countType = RankedTensorType::get({}, i64);
    Value zero = arith::ConstantOp::create(rw, loc, rw.getI64IntegerAttr(0));
    SmallVector<Value> inits;
    for (unsigned i = 0; i < numCounts; ++i) {
      Value empty = tensor::EmptyOp::create(rw, loc, countType.getShape(), i64);
      inits.push_back(linalg::FillOp::create(rw, loc, zero, empty).result());
    }
    int64_t rank = type.getRank();
    MLIRContext *ctx = rw.getContext();
    AffineMap element = AffineMap::getMultiDimIdentityMap(rank, ctx);
    SmallVector<AffineMap> maps(2, element);
    maps.append(numCounts, AffineMap::get(rank, 0, ctx));
    SmallVector<utils::IteratorType> iterators(rank,
                                               utils::IteratorType::reduction);
    auto counts = linalg::GenericOp::create(
        rw, loc, SmallVector<Type>(numCounts, countType),
        ValueRange{input, quantized}, inits, maps, iterators,
        [&](OpBuilder &b, Location l, ValueRange args) {
          Value zeroF32 =
              arith::ConstantOp::create(b, l, b.getF32FloatAttr(0.0f));
          // x != 0 and not NaN (one ordered compare).
          Value candidate = arith::CmpFOp::create(
              b, l, arith::CmpFPredicate::ONE, args[0], zeroF32);
          Value flushed = arith::AndIOp::create(
              b, l, candidate,
              arith::CmpFOp::create(b, l, arith::CmpFPredicate::OEQ, args[1],
                                    zeroF32));
          auto count = [&](Value acc, Value bit) -> Value {
            return arith::AddIOp::create(
                b, l, acc, arith::ExtUIOp::create(b, l, i64, bit));
          };
          SmallVector<Value> next = {count(args[2], flushed)};
          if (!allElements)
            next.push_back(count(args[3], candidate));
          linalg::YieldOp::create(b, l, next);
        });

    Value flushed =
        tensor::ExtractOp::create(rw, loc, counts.getResult(0), ValueRange{});
    Value denominator;
    if (!allElements) {
      denominator =
          tensor::ExtractOp::create(rw, loc, counts.getResult(1), ValueRange{});
    } else if (type.hasStaticShape()) {
      denominator = arith::ConstantOp::create(
          rw, loc, rw.getI64IntegerAttr(type.getNumElements()));
    } else {
      Value elements = arith::ConstantIndexOp::create(rw, loc, 1);
      for (int64_t d = 0; d < rank; ++d)
        elements = arith::MulIOp::create(
            rw, loc, elements, tensor::DimOp::create(rw, loc, input, d));
      denominator = arith::IndexCastUIOp::create(rw, loc, i64, elements);
    }
    Type f64 = rw.getF64Type();
    Value num = arith::UIToFPOp::create(rw, loc, f64, flushed);
    Value den = arith::UIToFPOp::create(rw, loc, f64, denominator);
    Value ratio = arith::TruncFOp::create(
        rw, loc, rw.getF32Type(), arith::DivFOp::create(rw, loc, num, den));
    Value noneCounted = arith::CmpIOp::create(rw, loc, arith::CmpIPredicate::eq,
                                              denominator, zero);
    ratio = arith::SelectOp::create(
        rw, loc, noneCounted,
        arith::ConstantOp::create(rw, loc, rw.getF32FloatAttr(0.0f)), ratio);
    rw.replaceOp(op, tensor::FromElementsOp::create(rw, loc, op.getType(),
                                                    ValueRange{ratio}));
    return success();
  }
};

//===----------------------------------------------------------------------===//
// The pass
//===----------------------------------------------------------------------===//

struct QTrainDecomposePass
    : impl::QTrainDecomposePassBase<QTrainDecomposePass> {
  using Base::Base;

  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    populateQTrainDecomposePatterns(patterns, keepZeroSettingError);
    // Only the rewrites: no folding (constant operands of qtrain ops would
    // fold through the library and skip the lowering), no constant
    // hoisting, no region simplification.
    GreedyRewriteConfig config;
    config.enableFolding(false)
        .enableConstantCSE(false)
        .setRegionSimplificationLevel(GreedySimplifyRegionLevel::Disabled);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns),
                                     config))) {
      getOperation()->emitError("qtrain-decompose did not converge");
      return signalPassFailure();
    }
    // What the patterns could not rewrite.
    bool left = false;
    getOperation()->walk([&](Conv2DOp op) {
      bool data = op.getKind() == ConvKind::BackwardData;
      op.emitError() << "cannot decompose '" << op->getName() << "': a "
                     << stringifyConvKind(op.getKind())
                     << " convolution needs the "
                     << (data ? "input's H and W" : "filter's KH and KW")
                     << " static in its result type, got " << op.getType();
      left = true;
    });
    if (left)
      signalPassFailure();
  }
};

} // namespace

void populateQTrainDecomposePatterns(RewritePatternSet &patterns,
                                     bool keepZeroSettingError) {
  patterns.add<DecomposeConv2D, DecomposeDelayedScale>(patterns.getContext());
  if (!keepZeroSettingError)
    patterns.add<DecomposeZeroSettingError>(patterns.getContext());
}

} // namespace qtrain
