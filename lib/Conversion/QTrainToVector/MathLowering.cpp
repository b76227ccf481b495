//===- MathLowering.cpp - math.exp and math.log on f32 as qtrain's own ----===//
//
// math.exp and math.log on f32 (scalars or vectors) become the sequence of
// IEEE operations of the numerics library's expF32 and logF32
// (qtrain/Numerics/Elementary.h), in the same order, so that the generated
// code and the library (and the accelerator model, which calls it) agree on
// every host instead of following each host's libm. No operation carries
// fast-math flags: LLVM neither contracts nor reassociates them.
//
//===----------------------------------------------------------------------===//

#include "ElementBuilder.h"

#include "qtrain/Conversion/QTrainToVector/QTrainToVector.h"
#include "qtrain/Numerics/Elementary.h"

#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Transforms/DialectConversion.h"

#include "llvm/ADT/bit.h"

using namespace mlir;
namespace el = qtrain::numerics::elementary;

namespace qtrain {

namespace {

using lowering::ElementBuilder;

/// The float operations of the two sequences on `eb`'s shape.
struct FloatOps {
  const ElementBuilder &eb;
  OpBuilder &b;
  Location loc;
  explicit FloatOps(const ElementBuilder &eb)
      : eb(eb), b(eb.builder()), loc(eb.location()) {}
  Value add(Value x, Value y) { return arith::AddFOp::create(b, loc, x, y); }
  Value sub(Value x, Value y) { return arith::SubFOp::create(b, loc, x, y); }
  Value mul(Value x, Value y) { return arith::MulFOp::create(b, loc, x, y); }
  Value div(Value x, Value y) { return arith::DivFOp::create(b, loc, x, y); }
  Value fma(Value x, Value y, Value z) {
    return math::FmaOp::create(b, loc, x, y, z);
  }
  Value neg(Value x) { return arith::NegFOp::create(b, loc, x); }
  Value cmp(arith::CmpFPredicate p, Value x, Value y) {
    return arith::CmpFOp::create(b, loc, p, x, y);
  }
  Value c(float v) { return eb.f32c(v); }
  Value isNaN(Value x) { return cmp(arith::CmpFPredicate::UNO, x, x); }
  Value quietNaN() { return c(llvm::bit_cast<float>(el::kQuietNaNBits)); }
  /// 2^e for i32 lanes e in [-126, 127]: two operations (emitPow2 also
  /// covers subnormal powers, in nine; exp's two factors never need them).
  Value powerOfTwo(Value e) {
    return eb.bitcast(b.getF32Type(),
                      eb.shl(eb.add(e, eb.s32(127)), eb.u32(23)));
  }
};

/// numerics::expF32, operation for operation.
Value emitExp(const ElementBuilder &eb, Value x) {
  FloatOps f(eb);
  Value nan = f.isNaN(x);
  Value xc = eb.select(nan, f.c(0.0f), x);
  xc = eb.select(f.cmp(arith::CmpFPredicate::OGT, xc, f.c(el::kExpMax)),
                 f.c(el::kExpMax), xc);
  xc = eb.select(f.cmp(arith::CmpFPredicate::OLT, xc, f.c(el::kExpMin)),
                 f.c(el::kExpMin), xc);
  Value k = math::RoundEvenOp::create(f.b, f.loc, f.mul(xc, f.c(el::kLog2E)));
  Value negK = f.neg(k);
  Value r1 = f.fma(negK, f.c(el::kLn2Hi), xc);
  Value rLo = f.mul(negK, f.c(el::kLn2Lo));
  Value r = f.add(r1, rLo);
  Value c = f.add(f.sub(r1, r), rLo);
  Value q = f.c(el::kExpCoefficients[5]);
  for (int i = 4; i >= 0; --i)
    q = f.fma(q, r, f.c(el::kExpCoefficients[i]));
  Value r2 = f.mul(r, r);
  Value y = f.add(f.c(1.0f), f.add(r, f.fma(r2, q, c)));
  Value ki = arith::FPToSIOp::create(f.b, f.loc, eb.i32(), k);
  Value k1 = arith::ShRSIOp::create(f.b, f.loc, ki, eb.u32(1));
  Value k2 = eb.sub(ki, k1);
  Value result = f.mul(f.mul(y, f.powerOfTwo(k1)), f.powerOfTwo(k2));
  return eb.select(nan, f.quietNaN(), result);
}

/// numerics::logF32, operation for operation (the special cases as
/// selects over a result computed for every lane).
Value emitLog(const ElementBuilder &eb, Value x) {
  FloatOps f(eb);
  OpBuilder &b = f.b;
  Type i32 = b.getI32Type();
  Value bits = eb.bitcast(i32, x);
  // Subnormals (and zeros, whose result is replaced) times 2^23.
  Value subnormal = eb.eq(eb.band(bits, eb.u32(0x7f800000u)), eb.u32(0));
  Value scaledBits = eb.bitcast(i32, f.mul(x, f.c(0x1p23f)));
  bits = eb.select(subnormal, scaledBits, bits);
  Value e = eb.select(subnormal, eb.s32(-127 - 23), eb.s32(-127));
  e = eb.add(e, eb.lshr(bits, eb.u32(23)));
  Value mBits = eb.bor(eb.band(bits, eb.u32(0x7fffffu)), eb.u32(0x3f800000u));
  Value halve = eb.ugt(mBits, eb.u32(el::kSqrt2Bits));
  mBits = eb.select(halve, eb.sub(mBits, eb.u32(0x800000u)), mBits);
  e = eb.select(halve, eb.add(e, eb.s32(1)), e);
  Value one = f.c(1.0f);
  Value m = eb.bitcast(b.getF32Type(), mBits);
  Value fm = f.sub(m, one);
  Value s = f.div(fm, f.add(f.c(2.0f), fm));
  Value s2 = f.mul(s, s);
  Value p = f.c(el::kLogCoefficients[3]);
  for (int i = 2; i >= 0; --i)
    p = f.fma(p, s2, f.c(el::kLogCoefficients[i]));
  Value rr = f.mul(s2, p);
  Value ef = arith::SIToFPOp::create(b, f.loc, eb.f32(), e);
  Value a = f.mul(ef, f.c(el::kLn2Hi));
  Value hi = f.add(a, fm);
  Value err = f.sub(fm, f.sub(hi, a));
  Value correction = f.fma(f.neg(ef), f.c(el::kLn2Lo), f.mul(s, f.sub(fm, rr)));
  Value result = f.add(hi, f.sub(err, correction));
  // NaN and x < 0: NaN; +-0: -inf; +inf: +inf.
  const float inf = std::numeric_limits<float>::infinity();
  Value invalid = f.cmp(arith::CmpFPredicate::ULT, x, f.c(0.0f));
  result = eb.select(f.cmp(arith::CmpFPredicate::OEQ, x, f.c(inf)), f.c(inf),
                     result);
  result = eb.select(f.cmp(arith::CmpFPredicate::OEQ, x, f.c(0.0f)), f.c(-inf),
                     result);
  return eb.select(invalid, f.quietNaN(), result);
}

/// The lanes of an f32 scalar or vector type (0 for a scalar); -1 for any
/// other type (left to math-to-llvm).
int64_t f32Lanes(Type t) {
  if (t.isF32())
    return 0;
  auto v = dyn_cast<VectorType>(t);
  if (v && v.getRank() == 1 && !v.isScalable() && v.getElementType().isF32())
    return v.getShape()[0];
  return -1;
}

template <typename MathOp>
struct ElementaryLowering : OpConversionPattern<MathOp> {
  using OpConversionPattern<MathOp>::OpConversionPattern;
  using Emit = Value (*)(const ElementBuilder &, Value);
  ElementaryLowering(MLIRContext *ctx, Emit emit)
      : OpConversionPattern<MathOp>(ctx), emit(emit) {}

  LogicalResult matchAndRewrite(MathOp op, typename MathOp::Adaptor adaptor,
                                ConversionPatternRewriter &rw) const override {
    int64_t lanes = f32Lanes(op.getType());
    if (lanes < 0)
      return rw.notifyMatchFailure(op, "not f32 or a 1-D vector of f32");
    ElementBuilder eb(rw, op.getLoc(), lanes);
    rw.replaceOp(op, emit(eb, adaptor.getOperand()));
    return success();
  }
  Emit emit;
};

} // namespace

bool isQTrainElementaryOp(Operation *op) {
  return isa<math::ExpOp, math::LogOp>(op) &&
         f32Lanes(op->getResult(0).getType()) >= 0;
}

void populateQTrainMathToVectorPatterns(RewritePatternSet &patterns) {
  patterns.add<ElementaryLowering<math::ExpOp>>(patterns.getContext(), emitExp);
  patterns.add<ElementaryLowering<math::LogOp>>(patterns.getContext(), emitLog);
}

} // namespace qtrain
