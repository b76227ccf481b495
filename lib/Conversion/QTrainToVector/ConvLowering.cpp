//===- ConvLowering.cpp - qtrain.conv2d as im2col and qtrain.matmul -------===//
//
// docs/Numerics.md defines conv2d as one gemm on im2col matrices (padding
// taps are +0 products), so the lowering builds those matrices with
// tensor.generate, emits a qtrain.matmul with the op's accumulation (which
// the matmul pattern then lowers) and reshapes the product to the result:
//
//   forward          W[F, C*KH*KW]     x col(x)[C*KH*KW, N*OH*OW]
//   backward_data    W^T[C, F*KH*KW]   x col(dy)[F*KH*KW, N*H*W]
//   backward_weight  dy[F, N*OH*OW]    x col(x)[N*OH*OW, C*KH*KW]
//
// numerics::conv2d builds the same matrices; the differential test compares
// every bit.
//
//===----------------------------------------------------------------------===//

#include "ElementBuilder.h"

#include "qtrain/Conversion/QTrainToVector/QTrainToVector.h"
#include "qtrain/Dialect/QTrain/IR/QTrainOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Transforms/DialectConversion.h"

using namespace mlir;

namespace qtrain {
namespace {

/// Index arithmetic inside tensor.generate bodies: ElementBuilder's scalar
/// operations plus index constants, clamping and guarded reads.
struct Ix : lowering::ElementBuilder {
  Ix(OpBuilder &b, Location loc) : ElementBuilder(b, loc, /*lanes=*/0) {}
  Value c(int64_t v) const {
    return arith::ConstantIndexOp::create(builder(), location(), v);
  }
  Value div(Value x, Value y) const {
    return arith::DivUIOp::create(builder(), location(), x, y);
  }
  Value rem(Value x, Value y) const { return urem(x, y); }
  /// x clamped to [0, size - 1] (a safe index for a guarded read).
  Value clamp(Value x, Value size) const {
    return smin(smax(x, c(0)), sub(size, c(1)));
  }
  /// 0 <= x < size.
  Value inRange(Value x, Value size) const {
    return land(sge(x, c(0)), slt(x, size));
  }
  /// t[i...] if `valid`, else +0 (the read itself always in bounds).
  Value readOrZero(Value t, ArrayRef<Value> idx, ArrayRef<Value> sizes,
                   Value valid) const {
    SmallVector<Value> safe;
    for (auto [i, s] : llvm::zip(idx, sizes))
      safe.push_back(clamp(i, s));
    Value v = tensor::ExtractOp::create(builder(), location(), t, safe);
    return select(valid, v, f32c(0.0f));
  }
};

/// A tensor<rows x cols x f32> whose element (i, j) is `body(i, j)`.
Value generate(OpBuilder &b, Location loc, Value rows, Value cols,
               function_ref<Value(const Ix &, Value, Value)> body) {
  auto type = RankedTensorType::get(
      {ShapedType::kDynamic, ShapedType::kDynamic}, b.getF32Type());
  return tensor::GenerateOp::create(
      b, loc, type, ValueRange{rows, cols},
      [&](OpBuilder &gb, Location gl, ValueRange idx) {
        Ix ix{gb, gl};
        tensor::YieldOp::create(gb, gl, body(ix, idx[0], idx[1]));
      });
}

struct Conv2DLowering : OpConversionPattern<Conv2DOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult matchAndRewrite(Conv2DOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rw) const override {
    Location loc = op.getLoc();
    Ix ix{rw, loc};
    Value lhs = adaptor.getLhs(), rhs = adaptor.getRhs();
    RankedTensorType outType = op.getType();
    auto dim = [&](Value t, int64_t d) -> Value {
      return tensor::DimOp::create(rw, loc, t, d);
    };
    Value result;
    // The forward convolution's tensors, whatever the kind.
    Value x, w, dy;
    Value N, C, H, W, F, KH, KW, OH, OW;
    switch (op.getKind()) {
    case ConvKind::Forward:
      x = lhs, w = rhs;
      N = dim(x, 0), C = dim(x, 1), H = dim(x, 2), W = dim(x, 3);
      F = dim(w, 0), KH = dim(w, 2), KW = dim(w, 3);
      OH = outType.isDynamicDim(2) ? Value() : ix.c(outType.getDimSize(2));
      OW = outType.isDynamicDim(3) ? Value() : ix.c(outType.getDimSize(3));
      break;
    case ConvKind::BackwardData:
      dy = lhs, w = rhs;
      N = dim(dy, 0), F = dim(dy, 1), OH = dim(dy, 2), OW = dim(dy, 3);
      C = dim(w, 1), KH = dim(w, 2), KW = dim(w, 3);
      H = outType.isDynamicDim(2) ? Value() : ix.c(outType.getDimSize(2));
      W = outType.isDynamicDim(3) ? Value() : ix.c(outType.getDimSize(3));
      break;
    case ConvKind::BackwardWeight:
      x = lhs, dy = rhs;
      N = dim(x, 0), C = dim(x, 1), H = dim(x, 2), W = dim(x, 3);
      F = dim(dy, 1), OH = dim(dy, 2), OW = dim(dy, 3);
      KH = outType.isDynamicDim(2) ? Value() : ix.c(outType.getDimSize(2));
      KW = outType.isDynamicDim(3) ? Value() : ix.c(outType.getDimSize(3));
      break;
    }
    ArrayRef<int64_t> st = op.getStrides(), pad = op.getPadding(),
                      dil = op.getDilations();
    // Sizes the result shape leaves dynamic follow from the others.
    auto extent = [&](Value in, int64_t pa, int64_t pb, Value k, int64_t d,
                      int64_t s) {
      // (in + pa + pb - d * (k - 1) - 1) / s + 1
      Value span = ix.sub(ix.add(in, ix.c(pa + pb)),
                          ix.add(ix.mul(ix.c(d), ix.sub(k, ix.c(1))), ix.c(1)));
      return ix.add(ix.div(span, ix.c(s)), ix.c(1));
    };
    if (!OH)
      OH = extent(H, pad[0], pad[1], KH, dil[0], st[0]);
    if (!OW)
      OW = extent(W, pad[2], pad[3], KW, dil[1], st[1]);
    if (!H || !W || !KH || !KW)
      return rw.notifyMatchFailure(
          op, "a dynamic input or filter size in the result is not lowered");

    Value KK = ix.mul(KH, KW);
    // x[n, c, oh * sh - pt + kh * dh, ow * sw - pl + kw * dw], +0 outside.
    auto tap = [&](const Ix &g, Value n, Value c, Value oh, Value ow, Value kh,
                   Value kw) {
      Value h = g.add(g.sub(g.mul(oh, g.c(st[0])), g.c(pad[0])),
                      g.mul(kh, g.c(dil[0])));
      Value ww = g.add(g.sub(g.mul(ow, g.c(st[1])), g.c(pad[2])),
                       g.mul(kw, g.c(dil[1])));
      Value valid = g.land(g.inRange(h, H), g.inRange(ww, W));
      return g.readOrZero(x, {n, c, h, ww}, {N, C, H, W}, valid);
    };
    Value a, bm, rows, cols;
    switch (op.getKind()) {
    case ConvKind::Forward: {
      rows = F, cols = ix.mul(N, ix.mul(OH, OW));
      Value k = ix.mul(C, KK);
      a = generate(rw, loc, F, k, [&](const Ix &g, Value f, Value kk) {
        Value c = g.div(kk, KK), r = g.rem(kk, KK);
        return tensor::ExtractOp::create(
            g.builder(), g.location(), w, ValueRange{f, c, g.div(r, KW), g.rem(r, KW)});
      });
      bm = generate(rw, loc, k, cols, [&](const Ix &g, Value kk, Value j) {
        Value c = g.div(kk, KK), r = g.rem(kk, KK);
        Value P = g.mul(OH, OW), n = g.div(j, P), q = g.rem(j, P);
        return tap(g, n, c, g.div(q, OW), g.rem(q, OW), g.div(r, KW),
                   g.rem(r, KW));
      });
      break;
    }
    case ConvKind::BackwardData: {
      rows = C, cols = ix.mul(N, ix.mul(H, W));
      Value k = ix.mul(F, KK);
      a = generate(rw, loc, C, k, [&](const Ix &g, Value c, Value kk) {
        Value f = g.div(kk, KK), r = g.rem(kk, KK);
        return tensor::ExtractOp::create(
            g.builder(), g.location(), w, ValueRange{f, c, g.div(r, KW), g.rem(r, KW)});
      });
      bm = generate(rw, loc, k, cols, [&](const Ix &g, Value kk, Value j) {
        Value f = g.div(kk, KK), r = g.rem(kk, KK);
        Value kh = g.div(r, KW), kw = g.rem(r, KW);
        Value HW = g.mul(H, W), n = g.div(j, HW), q = g.rem(j, HW);
        Value h = g.div(q, W), ww = g.rem(q, W);
        // dy[n, f, th / sh, tw / sw] when both divide exactly and are in range.
        Value th = g.sub(g.add(h, g.c(pad[0])), g.mul(kh, g.c(dil[0])));
        Value tw = g.sub(g.add(ww, g.c(pad[2])), g.mul(kw, g.c(dil[1])));
        Value thc = g.smax(th, g.c(0));
        Value twc = g.smax(tw, g.c(0));
        Value oh = g.div(thc, g.c(st[0])), ow = g.div(twc, g.c(st[1]));
        Value exact = g.land(
            g.cmp(arith::CmpIPredicate::eq, g.rem(thc, g.c(st[0])), g.c(0)),
            g.cmp(arith::CmpIPredicate::eq, g.rem(twc, g.c(st[1])), g.c(0)));
        Value valid = g.land(
            g.land(g.cmp(arith::CmpIPredicate::sge, th, g.c(0)),
                   g.cmp(arith::CmpIPredicate::sge, tw, g.c(0))),
            g.land(exact, g.land(g.cmp(arith::CmpIPredicate::slt, oh, OH),
                                 g.cmp(arith::CmpIPredicate::slt, ow, OW))));
        return g.readOrZero(dy, {n, f, oh, ow}, {N, F, OH, OW}, valid);
      });
      break;
    }
    case ConvKind::BackwardWeight: {
      rows = F, cols = ix.mul(C, KK);
      Value P = ix.mul(OH, OW), k = ix.mul(N, P);
      a = generate(rw, loc, F, k, [&](const Ix &g, Value f, Value kk) {
        Value n = g.div(kk, P), q = g.rem(kk, P);
        return tensor::ExtractOp::create(
            g.builder(), g.location(), dy, ValueRange{n, f, g.div(q, OW), g.rem(q, OW)});
      });
      bm = generate(rw, loc, k, cols, [&](const Ix &g, Value kk, Value j) {
        Value n = g.div(kk, P), q = g.rem(kk, P);
        Value c = g.div(j, KK), r = g.rem(j, KK);
        return tap(g, n, c, g.div(q, OW), g.rem(q, OW), g.div(r, KW),
                   g.rem(r, KW));
      });
      break;
    }
    }
    auto productType = RankedTensorType::get(
        {ShapedType::kDynamic, ShapedType::kDynamic}, rw.getF32Type());
    Value product =
        MatmulOp::create(rw, loc, productType, a, bm,
                         /*transpose_a=*/false,
                         /*transpose_b=*/false, op.getAccumulationAttr());
    if (op.getKind() == ConvKind::BackwardWeight) {
      // [F, C*KH*KW] is the filter gradient's row-major layout.
      result = tensor::GenerateOp::create(
          rw, loc, outType, ValueRange{},
          [&](OpBuilder &gb, Location gl, ValueRange idx) {
            Ix g{gb, gl};
            Value j =
                g.add(g.mul(g.add(g.mul(idx[1], KH), idx[2]), KW), idx[3]);
            tensor::YieldOp::create(
                gb, gl,
                tensor::ExtractOp::create(gb, gl, product,
                                          ValueRange{idx[0], j}));
          });
    } else {
      // [M, N * P] -> [N, M, P1, P2].
      SmallVector<Value> dynamic;
      Value sizes[4] = {N, rows, op.getKind() == ConvKind::Forward ? OH : H,
                        op.getKind() == ConvKind::Forward ? OW : W};
      for (int64_t d = 0; d < 4; ++d)
        if (outType.isDynamicDim(d))
          dynamic.push_back(sizes[d]);
      Value P2 = sizes[3], P = ix.mul(sizes[2], sizes[3]);
      result = tensor::GenerateOp::create(
          rw, loc, outType, dynamic,
          [&](OpBuilder &gb, Location gl, ValueRange idx) {
            Ix g{gb, gl};
            Value j = g.add(g.mul(idx[0], P), g.add(g.mul(idx[2], P2), idx[3]));
            tensor::YieldOp::create(
                gb, gl,
                tensor::ExtractOp::create(gb, gl, product,
                                          ValueRange{idx[1], j}));
          });
    }
    rw.replaceOp(op, result);
    return success();
  }
};

} // namespace

void populateQTrainConvToVectorPatterns(RewritePatternSet &patterns,
                                        const QTrainToVectorOptions &) {
  patterns.add<Conv2DLowering>(patterns.getContext());
}

} // namespace qtrain
