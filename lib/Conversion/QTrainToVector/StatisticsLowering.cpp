//===- StatisticsLowering.cpp - amax, exponent histogram, select_scale ----===//
//
// docs/Numerics.md, Statistics: amax (NaN if any element is NaN, else +inf
// if any is infinite, else max |x|, 0 for an empty tensor) as a vectorised
// max reduction; the exponent histogram as a scalar counting loop;
// select_scale with the scale rules of ScaleCodegen. (delayed_scale and
// zero_setting_error are rewritten into these ops and quantize by
// qtrain-decompose before this conversion.)
//
// median: exact by radix selection on the bit patterns of |x|, or the
// three-pass approximation of adaptive-bias FP8 as scalar loops.
//
//===----------------------------------------------------------------------===//

#include "ElementCodegen.h"
#include "LoopCodegen.h"
#include "ScaleCodegen.h"

#include "qtrain/Conversion/QTrainToVector/QTrainToVector.h"
#include "qtrain/Dialect/QTrain/IR/QTrainOps.h"
#include "qtrain/Numerics/Statistics.h"

#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Transforms/DialectConversion.h"

#include <limits>

using namespace mlir;
namespace nx = qtrain::numerics;

namespace qtrain {
namespace {

using namespace lowering;

/// A 0-d f32 tensor holding `v`.
Value scalarTensor(OpBuilder &b, Location loc, Value v) {
  return tensor::FromElementsOp::create(
      b, loc, RankedTensorType::get({}, b.getF32Type()), ValueRange{v});
}

struct AmaxLowering : OpConversionPattern<AmaxOp> {
  AmaxLowering(MLIRContext *ctx, const QTrainToVectorOptions &options)
      : OpConversionPattern(ctx), options(options) {}
  LogicalResult matchAndRewrite(AmaxOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rw) const override {
    Location loc = op.getLoc();
    FlatTensor in = flatten(rw, loc, adaptor.getInput());
    int64_t lanes = std::max<int64_t>(options.vectorWidth, 1);
    ElementBuilder outer(rw, loc, lanes);
    Value c0 = arith::ConstantIndexOp::create(rw, loc, 0);
    // maximumf propagates NaN and orders +inf above every finite |x|.
    Value acc =
        forEachChunk(rw, loc, c0, in.count, lanes, Value(), outer.f32c(0.0f),
                     [&](OpBuilder &b, Location l, Value off, Value mask, Value,
                         Value a) -> Value {
                       ElementBuilder eb(b, l, lanes);
                       Value x = math::AbsFOp::create(
                           b, l, readChunk(eb, in.flat, off, mask));
                       if (mask)
                         x = eb.select(mask, x, eb.f32c(0.0f));
                       return arith::MaximumFOp::create(b, l, a, x);
                     });
    Value m = vector::ReductionOp::create(rw, loc,
                                          vector::CombiningKind::MAXIMUMF, acc);
    ElementBuilder s(rw, loc, 0);
    Value isNaN =
        arith::CmpFOp::create(rw, loc, arith::CmpFPredicate::UNO, m, m);
    m = s.select(isNaN, s.f32c(std::numeric_limits<float>::quiet_NaN()), m);
    rw.replaceOp(op, scalarTensor(rw, loc, m));
    return success();
  }
  QTrainToVectorOptions options;
};

struct SelectScaleLowering : OpConversionPattern<SelectScaleOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(SelectScaleOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rw) const override {
    Location loc = op.getLoc();
    Value stat = tensor::ExtractOp::create(rw, loc, adaptor.getStatistic(),
                                           ValueRange{});
    nx::ScaleLevel level = op.getLevel().getLevel();
    ElementBuilder s(rw, loc, 0);
    Value scale =
        level.rule == nx::ScaleRule::MedianLookup
            ? emitScaleFromMedian(s, level, stat)
            : emitScaleFromAmax(
                  s, level, op.getElement().getScaledFormat().element, stat);
    rw.replaceOp(op, scalarTensor(rw, loc, scale));
    return success();
  }
};

/// `counts` (an i64 tensor) with one more at the i32 index `bin`.
Value incrementCount(OpBuilder &b, Location l, Value counts, Value bin) {
  Value i = arith::IndexCastUIOp::create(b, l, b.getIndexType(), bin);
  Value c = tensor::ExtractOp::create(b, l, counts, i);
  Value one = arith::ConstantIntOp::create(b, l, 1, 64);
  return tensor::InsertOp::create(b, l, arith::AddIOp::create(b, l, c, one),
                                  counts, i);
}

struct ExponentHistogramLowering : OpConversionPattern<ExponentHistogramOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(ExponentHistogramOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rw) const override {
    Location loc = op.getLoc();
    FlatTensor in = flatten(rw, loc, adaptor.getInput());
    constexpr int64_t kBins = nx::ExponentHistogram::kMaxExponent -
                              nx::ExponentHistogram::kMinExponent + 1;
    Value zero = arith::ConstantIntOp::create(rw, loc, 0, 64);
    Value init =
        tensor::SplatOp::create(rw, loc, op.getType(), zero, ValueRange{});
    Value c0 = arith::ConstantIndexOp::create(rw, loc, 0);
    Value counts = forEachChunk(
        rw, loc, c0, in.count, /*lanes=*/0, Value(), init,
        [&](OpBuilder &b, Location l, Value off, Value, Value,
            Value h) -> Value {
          ElementBuilder eb(b, l, 0);
          F32Fields p = splitF32(eb, readChunk(eb, in.flat, off, Value()));
          // Bins: exponents from kMinExponent, then zeros, infinities, NaNs.
          Value bin =
              eb.sub(p.top, eb.s32(nx::ExponentHistogram::kMinExponent));
          bin = eb.select(p.isZero, eb.s32(kBins), bin);
          bin = eb.select(p.isInf, eb.s32(kBins + 1), bin);
          bin = eb.select(p.isNaN, eb.s32(kBins + 2), bin);
          return incrementCount(b, l, h, bin);
        });
    rw.replaceOp(op, counts);
    return success();
  }
};

/// The exact lower median of |x| over the non-NaN elements of a flat f32
/// tensor (0 when there are none), by radix selection on the bit patterns
/// of |x|, which order like the values: three counting passes over 11, 11
/// and 10 bits of the key, each keeping the bin that holds the wanted rank.
} // namespace

Value lowering::emitMedianAbs(OpBuilder &b, Location loc, Value flat,
                              Value count, bool excludeZeros) {
  ElementBuilder s(b, loc, 0);
  Type i64 = b.getI64Type();
  Value c0 = arith::ConstantIndexOp::create(b, loc, 0);
  Value c1 = arith::ConstantIndexOp::create(b, loc, 1);
  auto keyAt = [&](OpBuilder &lb, Location ll, Value i) {
    ElementBuilder e(lb, ll, 0);
    Value v = tensor::ExtractOp::create(lb, ll, flat, i);
    if (!v.getType().isF32()) // bf16 / f16 inputs: exact in f32
      v = arith::ExtFOp::create(lb, ll, lb.getF32Type(), v);
    Value bits = e.bitcast(lb.getI32Type(), v);
    return e.band(bits, e.u32(0x7fffffff));
  };
  struct Pass {
    unsigned shift, bits;
  };
  const Pass passes[] = {{21, 11}, {10, 11}, {0, 10}};
  Value prefix = s.u32(0); // the key bits chosen so far (above `shift`)
  Value rank;              // the wanted rank among the elements left (i64)
  for (size_t p = 0; p < std::size(passes); ++p) {
    unsigned shift = passes[p].shift, width = passes[p].bits;
    unsigned above = shift + width; // bits of the key fixed before this pass
    int64_t bins = int64_t(1) << width;
    Value zero = arith::ConstantIntOp::create(b, loc, 0, 64);
    Value hist = tensor::SplatOp::create(
        b, loc, RankedTensorType::get({bins}, i64), zero, ValueRange{});
    auto counting = scf::ForOp::create(
        b, loc, c0, count, c1, ValueRange{hist},
        [&](OpBuilder &lb, Location ll, Value i, ValueRange it) {
          ElementBuilder e(lb, ll, 0);
          Value key = keyAt(lb, ll, i);
          Value counted = e.ule(key, e.u32(0x7f800000)); // not NaN
          if (excludeZeros)
            counted = e.land(counted, e.ne(key, e.u32(0)));
          if (p > 0)
            counted = e.land(counted, e.eq(e.lshr(key, e.u32(above)),
                                           e.lshr(prefix, e.u32(above))));
          Value bin = e.band(e.lshr(key, e.u32(shift)), e.u32(bins - 1));
          Value idx =
              arith::IndexCastUIOp::create(lb, ll, lb.getIndexType(), bin);
          Value h = tensor::ExtractOp::create(lb, ll, it[0], idx);
          Value next = e.add(h, e.zext(lb.getI64Type(), counted));
          scf::YieldOp::create(
              lb, ll,
              tensor::InsertOp::create(lb, ll, next, it[0], idx).getResult());
        });
    hist = counting.getResult(0);
    if (p == 0) {
      // rank = floor((n - 1) / 2) over the n non-NaN elements.
      auto total = scf::ForOp::create(
          b, loc, c0, arith::ConstantIndexOp::create(b, loc, bins), c1,
          ValueRange{zero},
          [&](OpBuilder &lb, Location ll, Value i, ValueRange it) {
            Value h = tensor::ExtractOp::create(lb, ll, hist, i);
            scf::YieldOp::create(
                lb, ll, ValueRange{arith::AddIOp::create(lb, ll, it[0], h)});
          });
      Value n = total.getResult(0);
      Value one = arith::ConstantIntOp::create(b, loc, 1, 64);
      rank = arith::DivUIOp::create(
          b, loc,
          arith::SubIOp::create(b, loc, arith::MaxUIOp::create(b, loc, n, one),
                                one),
          arith::ConstantIntOp::create(b, loc, 2, 64));
    }
    // The bin holding `rank`: the first whose running count exceeds it.
    Value found = arith::ConstantIntOp::create(b, loc, -1, 64);
    auto scan = scf::ForOp::create(
        b, loc, c0, arith::ConstantIndexOp::create(b, loc, bins), c1,
        ValueRange{zero, found, rank},
        [&](OpBuilder &lb, Location ll, Value i, ValueRange it) {
          ElementBuilder e(lb, ll, 0);
          Value h = tensor::ExtractOp::create(lb, ll, hist, i);
          Value before = it[0], bin = it[1], inBin = it[2];
          Value after = e.add(before, h);
          Value open = e.eq(bin, arith::ConstantIntOp::create(lb, ll, -1, 64));
          Value here =
              e.land(open, e.cmp(arith::CmpIPredicate::ugt, after, rank));
          Value i64v = arith::IndexCastUIOp::create(lb, ll, lb.getI64Type(), i);
          scf::YieldOp::create(
              lb, ll,
              ValueRange{after, e.select(here, i64v, bin),
                         e.select(here, e.sub(rank, before), inBin)});
        });
    Value bin = s.trunc(
        b.getI32Type(),
        s.smax(scan.getResult(1), arith::ConstantIntOp::create(b, loc, 0, 64)));
    rank = scan.getResult(2);
    prefix = s.bor(prefix, s.shl(bin, s.u32(shift)));
  }
  // No non-NaN element: every bin is empty and the key stays 0 (+0.0).
  return s.bitcast(b.getF32Type(), prefix);
}

namespace {

/// numerics::medianAbsApprox, step by step: the finite |x| (as f64), their
/// count, min and max; pass 2 counts `bins` bins over [min, max] and picks
/// the one holding the lower median's rank; pass 3 splits it into `bins`
/// again, counting the values whose pass-2 bin is the picked one; the centre
/// of the final bin.
Value emitMedianAbsApprox(OpBuilder &b, Location loc, Value flat, Value count,
                          int64_t bins, bool excludeZeros) {
  ElementBuilder s(b, loc, 0);
  Type f64 = b.getF64Type(), i64 = b.getI64Type();
  Value c0 = arith::ConstantIndexOp::create(b, loc, 0);
  Value c1 = arith::ConstantIndexOp::create(b, loc, 1);
  auto f64c = [&](OpBuilder &ob, Location ol, double v) -> Value {
    return arith::ConstantOp::create(ob, ol, ob.getF64FloatAttr(v));
  };
  auto i64c = [&](OpBuilder &ob, Location ol, int64_t v) -> Value {
    return arith::ConstantIntOp::create(ob, ol, v, 64);
  };
  auto toI64 = [&](OpBuilder &ob, Location ol, Value bit) -> Value {
    return arith::ExtUIOp::create(ob, ol, i64, bit);
  };
  // |x_i| as f64 and whether it counts (finite, and non-zero with
  // excludeZeros).
  auto element = [&](OpBuilder &ob, Location ol, Value i) {
    Value v = tensor::ExtractOp::create(ob, ol, flat, i);
    if (!v.getType().isF32())
      v = arith::ExtFOp::create(ob, ol, ob.getF32Type(), v);
    Value a = math::AbsFOp::create(ob, ol, v);
    Value finite = arith::CmpFOp::create(
        ob, ol, arith::CmpFPredicate::OLT, a,
        arith::ConstantOp::create(
            ob, ol,
            ob.getF32FloatAttr(std::numeric_limits<float>::infinity())));
    if (excludeZeros)
      finite = arith::AndIOp::create(
          ob, ol, finite,
          arith::CmpFOp::create(
              ob, ol, arith::CmpFPredicate::ONE, a,
              arith::ConstantOp::create(ob, ol, ob.getF32FloatAttr(0.0f))));
    return std::make_pair(Value(arith::ExtFOp::create(ob, ol, f64, a)), finite);
  };
  // The bin of v from `from` in steps of `w`, clamped to [0, bins - 1] (a
  // NaN quotient, only possible when w is 0 and the result unused, gives 0).
  auto binOf = [&](OpBuilder &ob, Location ol, Value v, Value from,
                   Value w) -> Value {
    Value q = arith::DivFOp::create(ob, ol,
                                    arith::SubFOp::create(ob, ol, v, from), w);
    q = arith::MaxNumFOp::create(ob, ol, q, f64c(ob, ol, 0));
    q = arith::MinNumFOp::create(ob, ol, q, f64c(ob, ol, double(bins - 1)));
    return arith::FPToUIOp::create(ob, ol, i64, q);
  };
  auto asIndex = [&](OpBuilder &ob, Location ol, Value v) -> Value {
    return arith::IndexCastUIOp::create(ob, ol, ob.getIndexType(), v);
  };
  // A histogram of `bins` counts over the elements: counted(i) gives the
  // element's bin and whether it counts.
  auto histogram = [&](llvm::function_ref<std::pair<Value, Value>(
                           OpBuilder &, Location, Value, Value)>
                           counted) -> Value {
    Value hist =
        tensor::SplatOp::create(b, loc, RankedTensorType::get({bins}, i64),
                                i64c(b, loc, 0), ValueRange{});
    return scf::ForOp::create(
               b, loc, c0, count, c1, ValueRange{hist},
               [&](OpBuilder &lb, Location ll, Value i, ValueRange it) {
                 auto [v, finite] = element(lb, ll, i);
                 auto [bin, counts] = counted(lb, ll, v, finite);
                 Value idx = asIndex(lb, ll, bin);
                 Value h = tensor::ExtractOp::create(lb, ll, it[0], idx);
                 Value next =
                     arith::AddIOp::create(lb, ll, h, toI64(lb, ll, counts));
                 scf::YieldOp::create(lb, ll,
                                      ValueRange{tensor::InsertOp::create(
                                          lb, ll, next, it[0], idx)});
               })
        .getResult(0);
  };
  // The first bin at which `below` plus the running count reaches `rank`,
  // and the count below that bin (bin 0 if none does: no finite element).
  auto pickBin = [&](Value hist, Value below, Value rank) {
    Value none = i64c(b, loc, -1);
    auto scan = scf::ForOp::create(
        b, loc, c0, arith::ConstantIndexOp::create(b, loc, bins), c1,
        ValueRange{below, none, below},
        [&](OpBuilder &lb, Location ll, Value i, ValueRange it) {
          Value cum = arith::AddIOp::create(
              lb, ll, it[0], tensor::ExtractOp::create(lb, ll, hist, i));
          Value open = arith::CmpIOp::create(lb, ll, arith::CmpIPredicate::eq,
                                             it[1], none);
          Value here = arith::AndIOp::create(
              lb, ll, open,
              arith::CmpIOp::create(lb, ll, arith::CmpIPredicate::uge, cum,
                                    rank));
          Value iv = arith::IndexCastUIOp::create(lb, ll, i64, i);
          scf::YieldOp::create(
              lb, ll,
              ValueRange{cum, arith::SelectOp::create(lb, ll, here, iv, it[1]),
                         arith::SelectOp::create(lb, ll, here, it[0], it[2])});
        });
    Value pick = scan.getResult(1);
    pick = arith::SelectOp::create(
        b, loc,
        arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, pick, none),
        i64c(b, loc, 0), pick);
    return std::make_pair(pick, scan.getResult(2));
  };

  // Pass 1: count, min, max of the finite |x|.
  auto first = scf::ForOp::create(
      b, loc, c0, count, c1,
      ValueRange{i64c(b, loc, 0),
                 f64c(b, loc, std::numeric_limits<double>::infinity()),
                 f64c(b, loc, -std::numeric_limits<double>::infinity())},
      [&](OpBuilder &lb, Location ll, Value i, ValueRange it) {
        auto [v, finite] = element(lb, ll, i);
        Value n = arith::AddIOp::create(lb, ll, it[0], toI64(lb, ll, finite));
        Value mn = arith::SelectOp::create(
            lb, ll, finite, arith::MinimumFOp::create(lb, ll, it[1], v), it[1]);
        Value mx = arith::SelectOp::create(
            lb, ll, finite, arith::MaximumFOp::create(lb, ll, it[2], v), it[2]);
        scf::YieldOp::create(lb, ll, ValueRange{n, mn, mx});
      });
  Value n = first.getResult(0), lo = first.getResult(1);
  Value rank = arith::AddIOp::create(
      b, loc,
      arith::DivUIOp::create(
          b, loc,
          arith::SubIOp::create(
              b, loc, arith::MaxUIOp::create(b, loc, n, i64c(b, loc, 1)),
              i64c(b, loc, 1)),
          i64c(b, loc, 2)),
      i64c(b, loc, 1));
  Value binsF = f64c(b, loc, static_cast<double>(bins));
  Value width = arith::DivFOp::create(
      b, loc, arith::SubFOp::create(b, loc, first.getResult(2), lo), binsF);

  // Pass 2.
  Value hist =
      histogram([&](OpBuilder &lb, Location ll, Value v, Value finite) {
        return std::make_pair(binOf(lb, ll, v, lo, width), finite);
      });
  auto [pick, below] = pickBin(hist, i64c(b, loc, 0), rank);

  // Pass 3: the picked bin split again; exactly its pass-2 members count.
  Value lo2 = arith::AddFOp::create(
      b, loc, lo,
      arith::MulFOp::create(b, loc, arith::UIToFPOp::create(b, loc, f64, pick),
                            width));
  Value width2 = arith::DivFOp::create(b, loc, width, binsF);
  Value hist2 =
      histogram([&](OpBuilder &lb, Location ll, Value v, Value finite) {
        Value member = arith::AndIOp::create(
            lb, ll, finite,
            arith::CmpIOp::create(lb, ll, arith::CmpIPredicate::eq,
                                  binOf(lb, ll, v, lo, width), pick));
        return std::make_pair(binOf(lb, ll, v, lo2, width2), member);
      });
  Value pick2 = pickBin(hist2, below, rank).first;
  Value centre = arith::AddFOp::create(
      b, loc, lo2,
      arith::MulFOp::create(
          b, loc,
          arith::AddFOp::create(b, loc,
                                arith::UIToFPOp::create(b, loc, f64, pick2),
                                f64c(b, loc, 0.5)),
          width2));
  Value result =
      s.select(arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ, width,
                                     f64c(b, loc, 0)),
               arith::TruncFOp::create(b, loc, b.getF32Type(), lo),
               arith::TruncFOp::create(b, loc, b.getF32Type(), centre));
  Value empty = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, n,
                                      i64c(b, loc, 0));
  return s.select(empty, s.f32c(0.0f), result);
}

/// median_histogram: each element's half-octave bin
/// (numerics::median_histogram::binOf), added to the histogram operand.
struct MedianHistogramLowering : OpConversionPattern<MedianHistogramOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(MedianHistogramOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rw) const override {
    namespace mh = nx::median_histogram;
    Location loc = op.getLoc();
    FlatTensor in = flatten(rw, loc, adaptor.getInput());
    Value c0 = arith::ConstantIndexOp::create(rw, loc, 0);
    Value counts = forEachChunk(
        rw, loc, c0, in.count, /*lanes=*/0, Value(), adaptor.getHistogram(),
        [&](OpBuilder &b, Location l, Value off, Value, Value,
            Value h) -> Value {
          ElementBuilder eb(b, l, 0);
          F32Fields p = splitF32(eb, readChunk(eb, in.flat, off, Value()));
          Value upper = emitInUpperHalfOctave(eb, p);
          Value bin =
              eb.add(eb.shl(eb.sub(p.top, eb.s32(mh::kMinExponent)), eb.u32(1)),
                     eb.zext(b.getI32Type(), upper));
          bin = eb.select(p.isZero, eb.s32(mh::kZeros), bin);
          bin = eb.select(p.isInf, eb.s32(mh::kInfinities), bin);
          bin = eb.select(p.isNaN, eb.s32(mh::kNaNs), bin);
          return incrementCount(b, l, h, bin);
        });
    rw.replaceOp(op, counts);
    return success();
  }
};

/// histogram_median: numerics::medianLookupValue, a scan of the counts.
struct HistogramMedianLowering : OpConversionPattern<HistogramMedianOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(HistogramMedianOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rw) const override {
    namespace mh = nx::median_histogram;
    Location loc = op.getLoc();
    ElementBuilder s(rw, loc, 0);
    Value h = adaptor.getHistogram();
    Type i64 = rw.getI64Type();
    auto countAt = [&](OpBuilder &b, Location l, Value i) -> Value {
      return tensor::ExtractOp::create(b, l, h, i);
    };
    auto index = [&](int64_t i) -> Value {
      return arith::ConstantIndexOp::create(rw, loc, i);
    };
    auto i64c = [&](int64_t v) -> Value {
      return arith::ConstantIntOp::create(rw, loc, v, 64);
    };
    Value zeros =
        op.getNonzero() ? i64c(0) : countAt(rw, loc, index(mh::kZeros));
    Value c1 = index(1);
    // n: every counted value.
    Value n =
        scf::ForOp::create(
            rw, loc, index(0), index(mh::kHalfOctaves), c1,
            ValueRange{arith::AddIOp::create(
                rw, loc, zeros, countAt(rw, loc, index(mh::kInfinities)))},
            [&](OpBuilder &b, Location l, Value i, ValueRange it) {
              scf::YieldOp::create(b, l,
                                   ValueRange{arith::AddIOp::create(
                                       b, l, it[0], countAt(b, l, i))});
            })
            .getResult(0);
    Value rank = arith::DivUIOp::create(
        rw, loc,
        arith::SubIOp::create(
            rw, loc, arith::MaxUIOp::create(rw, loc, n, i64c(1)), i64c(1)),
        i64c(2));
    // The first half octave whose running count (from the zeros) exceeds
    // the rank; -1 when none does.
    Value none = i64c(-1);
    auto scan = scf::ForOp::create(
        rw, loc, index(0), index(mh::kHalfOctaves), c1, ValueRange{zeros, none},
        [&](OpBuilder &b, Location l, Value i, ValueRange it) {
          ElementBuilder e(b, l, 0);
          Value after = arith::AddIOp::create(b, l, it[0], countAt(b, l, i));
          Value here = e.land(e.eq(it[1], none),
                              e.cmp(arith::CmpIPredicate::ult, rank, after));
          Value iv = arith::IndexCastUIOp::create(b, l, i64, i);
          scf::YieldOp::create(b, l,
                               ValueRange{after, e.select(here, iv, it[1])});
        });
    Value bin = scan.getResult(1);
    // 1.25 or 1.75 times 2^e in f64 (exact), rounded once to f32.
    Value bin32 = s.trunc(rw.getI32Type(), s.smax(bin, i64c(0)));
    Value e = s.add(s.lshr(bin32, s.u32(1)), s.s32(mh::kMinExponent));
    Value pow2 = s.bitcast(
        rw.getF64Type(), s.shl(s.zext(i64, s.add(e, s.s32(1023))),
                               arith::ConstantIntOp::create(rw, loc, 52, 64)));
    Value mant = s.select(s.ne(s.band(bin32, s.u32(1)), s.u32(0)), s.f64c(1.75),
                          s.f64c(1.25));
    Value value = arith::TruncFOp::create(
        rw, loc, rw.getF32Type(), arith::MulFOp::create(rw, loc, mant, pow2));
    value = s.select(s.eq(bin, none),
                     s.f32c(std::numeric_limits<float>::infinity()), value);
    Value zeroMedian =
        s.lor(s.eq(n, i64c(0)), s.cmp(arith::CmpIPredicate::ult, rank, zeros));
    value = s.select(zeroMedian, s.f32c(0.0f), value);
    rw.replaceOp(op, scalarTensor(rw, loc, value));
    return success();
  }
};

struct MedianLowering : OpConversionPattern<MedianOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(MedianOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rw) const override {
    Location loc = op.getLoc();
    FlatTensor in = flatten(rw, loc, adaptor.getInput());
    Value m = op.getApprox()
                  ? emitMedianAbsApprox(rw, loc, in.flat, in.count,
                                        op.getBins(), op.getNonzero())
                  : emitMedianAbs(rw, loc, in.flat, in.count, op.getNonzero());
    rw.replaceOp(op, scalarTensor(rw, loc, m));
    return success();
  }
};

} // namespace

void populateQTrainStatisticsToVectorPatterns(
    RewritePatternSet &patterns, const QTrainToVectorOptions &options) {
  patterns.add<AmaxLowering>(patterns.getContext(), options);
  patterns.add<SelectScaleLowering, ExponentHistogramLowering, MedianLowering,
               MedianHistogramLowering, HistogramMedianLowering>(
      patterns.getContext());
}

} // namespace qtrain
