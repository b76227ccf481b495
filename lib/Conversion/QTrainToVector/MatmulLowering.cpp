//===- MatmulLowering.cpp - qtrain.matmul with declared accumulation ------===//
//
// Every output accumulates its K products in increasing k exactly as the
// numerics library's gemm (docs/Numerics.md, Accumulation): products exact
// in f64 or rounded to the product format, every add correctly rounded to
// the accumulator (TwoSum in f64, then encodeExact), static groups and
// ideal or efficient DGA with the outer accumulator. Independent outputs
// are vectorised across columns (`vector-width` lanes, a masked tail) and
// rows are blocked; row tiles run in parallel.
//
// f32 accumulation with exact products and nearest-even rounding (the
// default) is the chain of f32 FMAs, RN(P + a * b), so it runs on the FMA
// units directly, in register blocks of `gemm-rows` rows x `gemm-vectors`
// vectors of columns (CpuTarget.cpp). Other nearest-even accumulations
// take the f32 fast path of FastAccumulation.h where the operands allow,
// with this file's exact path as the fallback per block.
//
// The shared E-DGA threshold couples all outputs of a GEMM after every k
// step; that path keeps the states in tensors and runs on one thread.
//
//===----------------------------------------------------------------------===//

#include "ElementCodegen.h"
#include "FastAccumulation.h"
#include "LoopCodegen.h"

#include "qtrain/Conversion/QTrainToVector/QTrainToVector.h"
#include "qtrain/Dialect/QTrain/IR/QTrainOps.h"

#include "mlir/Dialect/ControlFlow/IR/ControlFlowOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/TypeUtilities.h"
#include "mlir/Transforms/DialectConversion.h"

#include <limits>

using namespace mlir;
namespace nx = qtrain::numerics;

namespace qtrain {
namespace {

/// Multiply-adds of a parallel GEMM tile per element of an elementwise tile
/// (--tile-elements): the default 65536 makes tiles of about 1 M
/// multiply-adds, some 50 to 100 microseconds of one core's f32 FMA chains,
/// well above OpenMP's fork-join cost.
constexpr int64_t kTileMacsPerElement = 16;

/// Tiles grown for the cache (gemmTileBytes) leave at least this many, so
/// that two threads share the work evenly.
constexpr int64_t kMinGemmTilesForCache = 4;

/// E-DGA steps per check of whether every lane of a register block has
/// closed a group (emitEnters' first phase): a lane closes once |P_G|
/// reaches T0, within a few products of typical data.
constexpr int64_t kFirstPhaseChunk = 16;

using namespace lowering;

/// The exact sum s + err (TwoSum of a and b) rounded once to f, with the
/// library's signs of an exactly-zero sum and its NaN (f32 lanes out).
Value emitRoundSumExact(const ElementBuilder &eb, const nx::MinifloatFormat &f,
                        Value a, Value b, Value s, Value err,
                        nx::RoundingMode mode) {
  OpBuilder &bld = eb.builder();
  Location loc = eb.location();
  Type i64 = bld.getI64Type();
  auto signOf = [&](Value v) {
    return eb.ne(eb.lshr(eb.bitcast(i64, v), eb.u64(63)), eb.u64(0));
  };
  auto isZero = [&](Value v) {
    return eb.eq(eb.band(eb.bitcast(i64, v), eb.u64(0x7fffffffffffffffull)),
                 eb.u64(0));
  };
  // IEEE zero signs for an exactly-zero sum.
  Value exactZero = eb.land(isZero(s), isZero(err));
  Value bothNegative = eb.land(signOf(a), signOf(b));
  Value bothPositiveZero = eb.land(eb.land(isZero(a), isZero(b)),
                                   eb.lnot(eb.lor(signOf(a), signOf(b))));
  Value negativeZero = mode == nx::RoundingMode::Down
                           ? eb.lor(bothNegative, eb.lnot(bothPositiveZero))
                           : bothNegative;
  s = eb.select(exactZero, eb.select(negativeZero, eb.f64c(-0.0), eb.f64c(0.0)),
                s);
  // A NaN sum is the positive quiet NaN.
  Value isNaN =
      arith::CmpFOp::create(bld, loc, arith::CmpFPredicate::UNO, s, s);
  s = eb.select(isNaN, eb.f64c(std::numeric_limits<double>::quiet_NaN()), s);
  nx::Rounding r = nx::Rounding::deterministic(mode);
  return emitDecode(eb, f, emitEncodeExact(eb, f, s, err, r));
}

/// Whether sums exact in f64 may be rounded to f by emitRoundExactSum.
bool hasExactSumFastPath(const nx::MinifloatFormat &f, nx::RoundingMode mode) {
  const int m = static_cast<int>(f.mantissaBits);
  return mode == nx::RoundingMode::NearestEven && m <= 23 &&
         f.minNormalExponent() - m >= -149 && f.maxExponent() <= 127;
}

/// A finite f64 or f32 `s` that is the exact sum rounded to nearest-even in
/// f: the f32-bits fast path of the element code, on the bits of s's type
/// (rounding at bit P - m, P the type's mantissa bits; below the smallest
/// normal the hardware's nearest-even add of 2^(emin - m + P)), with the
/// library's zeros and overflow values (f32 lanes out).
Value emitRoundExactSum(const ElementBuilder &eb, const nx::MinifloatFormat &f,
                        Value s) {
  OpBuilder &b = eb.builder();
  Location loc = eb.location();
  const bool wide = getElementTypeOrSelf(s.getType()).isF64();
  Type bitsType = wide ? b.getI64Type() : b.getI32Type();
  Type floatType = wide ? b.getF64Type() : b.getF32Type();
  const int precision = wide ? 52 : 23;
  const int bias = wide ? 1023 : 127;
  auto u = [&](uint64_t v) { return wide ? eb.u64(v) : eb.u32(v); };
  auto bitsOf = [&](double v) -> uint64_t {
    return wide ? llvm::bit_cast<uint64_t>(v)
                : llvm::bit_cast<uint32_t>(static_cast<float>(v));
  };
  const uint64_t signBit = uint64_t(1) << (wide ? 63 : 31);
  const int m = static_cast<int>(f.mantissaBits);
  const int emin = f.minNormalExponent();
  const unsigned shift = precision - m;
  Value bits = eb.bitcast(bitsType, s);
  Value negative = eb.ne(eb.band(bits, u(signBit)), u(0));
  Value abs = eb.band(bits, u(signBit - 1));
  Value small = eb.ult(abs, u(uint64_t(emin + bias) << precision));
  Value odd = m == 0 ? u(1) : eb.band(eb.lshr(abs, u(shift)), u(1));
  Value up = eb.add(eb.add(abs, u((uint64_t(1) << (shift - 1)) - 1)), odd);
  Value rounded = eb.band(up, u(~((uint64_t(1) << shift) - 1) & (signBit - 1)));
  Value subnormal = u(0);
  if (f.subnormals) {
    Value magic = eb.constant(
        floatType,
        b.getFloatAttr(floatType, std::ldexp(1.0, emin - m + precision)));
    Value sum =
        arith::AddFOp::create(b, loc, eb.bitcast(floatType, abs), magic);
    subnormal = eb.bitcast(bitsType, arith::SubFOp::create(b, loc, sum, magic));
  }
  Value mag = eb.select(small, subnormal, rounded);
  // The library's zeros and overflow values (specialValueBits, as s's type).
  SpecialValueBits v = specialValueBits(f);
  auto bits32 = [&](uint32_t b32) {
    return bitsOf(static_cast<double>(llvm::bit_cast<float>(b32)));
  };
  auto bySign = [&](const uint32_t(&pair)[2]) {
    uint64_t pos = bits32(pair[0]), neg = bits32(pair[1]);
    return pos == neg ? u(pos) : eb.select(negative, u(neg), u(pos));
  };
  Value value = eb.bor(mag, eb.band(bits, u(signBit)));
  value = eb.select(eb.eq(mag, u(0)), bySign(v.zero), value);
  value =
      eb.select(eb.ugt(mag, u(bits32(v.maxFinite))), bySign(v.overflow), value);
  Value result = eb.bitcast(floatType, value);
  return wide ? Value(arith::TruncFOp::create(b, loc, eb.f32(), result))
              : result;
}

/// addRounded(f, a, b, mode) on f64 lanes: the exact sum rounded once to f
/// (f32 lanes out). When the f64 sum is exact in every lane (TwoSum's error
/// is zero: always so for FP8 products into FP12, whose exponents span
/// fewer than 53 bits) and the mode is nearest-even, the rounding is
/// emitRoundExactSum's handful of operations; otherwise the exact path.
Value emitAddRounded(const ElementBuilder &eb, const nx::MinifloatFormat &f,
                     Value a, Value b, nx::RoundingMode mode) {
  OpBuilder &bld = eb.builder();
  Location loc = eb.location();
  auto [s, err] = emitTwoSum(eb, a, b);
  if (!hasExactSumFastPath(f, mode))
    return emitRoundSumExact(eb, f, a, b, s, err, mode);
  // A NaN or infinite sum has a NaN error: the exact path takes it.
  Value inexact = arith::CmpFOp::create(bld, loc, arith::CmpFPredicate::UNE,
                                        err, eb.f64c(0.0));
  Value any = eb.laneCount()
                  ? Value(vector::ReductionOp::create(
                        bld, loc, vector::CombiningKind::OR, inexact))
                  : inexact;
  auto choice = scf::IfOp::create(
      bld, loc, any,
      [&](OpBuilder &tb, Location tl) {
        ElementBuilder te(tb, tl, eb.laneCount());
        scf::YieldOp::create(tb, tl,
                             emitRoundSumExact(te, f, a, b, s, err, mode));
      },
      [&](OpBuilder &fb, Location fl) {
        ElementBuilder fe(fb, fl, eb.laneCount());
        scf::YieldOp::create(fb, fl, emitRoundExactSum(fe, f, s));
      });
  return choice.getResult(0);
}

Value toF64(const ElementBuilder &eb, Value v) {
  return arith::ExtFOp::create(eb.builder(), eb.location(), eb.f64(), v);
}

/// The state of a vector of outputs. The f64 slot holds the DGA threshold,
/// or, for a fixed-point group accumulator (static groups, no threshold),
/// the group's exact sum.
struct AccState {
  Value outer, group; // f32
  Value count;        // i32
  Value threshold;    // f64: T, or a fixed-point P_G
  SmallVector<Value> values() const { return {outer, group, count, threshold}; }
};

/// The initial value of the f64 slot.
double initialWide(const nx::AccumulationSpec &spec) {
  return spec.fixedPoint ? 0.0 : spec.initialThreshold;
}

/// numerics addFixed on f64 lanes: p rounded to the grid 2^-F, added to the
/// group sum as an integer, saturated or wrapped to the format's range.
Value emitAddFixed(const ElementBuilder &eb, const nx::IntegerFormat &f,
                   Value sum, Value p, nx::RoundingMode mode) {
  OpBuilder &b = eb.builder();
  Location loc = eb.location();
  Value unit = eb.f64c(std::ldexp(1.0, f.fractionBits));
  Value scaled = arith::MulFOp::create(b, loc, p, unit);
  Value q;
  switch (mode) {
  case nx::RoundingMode::NearestEven:
    q = math::RoundEvenOp::create(b, loc, scaled);
    break;
  case nx::RoundingMode::NearestAway:
    q = math::RoundOp::create(b, loc, scaled);
    break;
  case nx::RoundingMode::TowardZero:
    q = math::TruncOp::create(b, loc, scaled);
    break;
  case nx::RoundingMode::Up:
    q = math::CeilOp::create(b, loc, scaled);
    break;
  case nx::RoundingMode::Down:
    q = math::FloorOp::create(b, loc, scaled);
    break;
  case nx::RoundingMode::Stochastic:
    llvm_unreachable("accumulation rounds deterministically");
  }
  Value n = arith::MulFOp::create(b, loc, sum, unit);
  Value lo = eb.f64c(static_cast<double>(f.minInteger()));
  Value hi = eb.f64c(static_cast<double>(f.maxInteger()));
  if (f.overflow == nx::IntegerOverflow::Saturate) {
    n = arith::AddFOp::create(b, loc, n, q);
    n = arith::MinimumFOp::create(b, loc,
                                  arith::MaximumFOp::create(b, loc, n, lo), hi);
  } else {
    Value modulus = eb.f64c(std::ldexp(1.0, f.bits));
    n = arith::RemFOp::create(
        b, loc,
        arith::AddFOp::create(b, loc, n,
                              arith::RemFOp::create(b, loc, q, modulus)),
        modulus);
    auto cmp = [&](arith::CmpFPredicate pred, Value x, Value y) -> Value {
      return arith::CmpFOp::create(b, loc, pred, x, y);
    };
    n = eb.select(cmp(arith::CmpFPredicate::OGT, n, hi),
                  arith::SubFOp::create(b, loc, n, modulus),
                  eb.select(cmp(arith::CmpFPredicate::OLT, n, lo),
                            arith::AddFOp::create(b, loc, n, modulus), n));
  }
  return arith::DivFOp::create(b, loc, n, unit);
}

AccState emitDgaClose(const ElementBuilder &eb,
                      const nx::AccumulationSpec &spec, const AccState &st,
                      Value p, Value added, Value enters);

/// One product into the state (library: Contraction::add).
AccState emitAdd(const ElementBuilder &eb, const nx::AccumulationSpec &spec,
                 const AccState &st, Value p) {
  OpBuilder &b = eb.builder();
  Location loc = eb.location();
  const nx::MinifloatFormat &g = spec.accumulator;
  const nx::MinifloatFormat &o = spec.outerFormat();
  AccState next = st;
  Value added = emitAddRounded(eb, g, toF64(eb, st.group), p, spec.rounding);
  switch (spec.grouping) {
  case nx::Grouping::None:
    next.group = added;
    return next;
  case nx::Grouping::Static: {
    Value n = eb.add(st.count, eb.u32(1));
    Value closes = eb.eq(n, eb.u32(spec.groupSize));
    if (spec.fixedPoint) {
      Value sum =
          emitAddFixed(eb, *spec.fixedPoint, st.threshold, p, spec.rounding);
      Value outer =
          emitAddRounded(eb, o, toF64(eb, st.outer), sum, spec.rounding);
      next.outer = eb.select(closes, outer, st.outer);
      next.threshold = eb.select(closes, eb.f64c(0.0), sum);
      next.count = eb.select(closes, eb.u32(0), n);
      return next;
    }
    // Every lane has added as many products: the group closes in all lanes
    // at once, and only then is the outer add computed.
    Value closesAll =
        eb.laneCount() ? Value(vector::ExtractOp::create(b, loc, closes,
                                                         ArrayRef<int64_t>{0}))
                       : closes;
    auto step = scf::IfOp::create(
        b, loc, closesAll,
        [&](OpBuilder &tb, Location tl) {
          ElementBuilder te(tb, tl, eb.laneCount());
          Value outer = emitAddRounded(te, o, toF64(te, st.outer),
                                       toF64(te, added), spec.rounding);
          scf::YieldOp::create(tb, tl,
                               ValueRange{outer, te.f32c(0.0f), te.u32(0)});
        },
        [&](OpBuilder &fb, Location fl) {
          scf::YieldOp::create(fb, fl, ValueRange{st.outer, added, n});
        });
    next.outer = step.getResult(0);
    next.group = step.getResult(1);
    next.count = step.getResult(2);
    return next;
  }
  case nx::Grouping::IdealDGA:
  case nx::Grouping::EfficientDGA: {
    Value magnitude = math::AbsFOp::create(b, loc, toF64(eb, st.group));
    Value enters = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OLT,
                                         magnitude, st.threshold);
    if (spec.grouping == nx::Grouping::IdealDGA &&
        spec.dgaCount == nx::DgaCount::Running) {
      // n * P_G^2 < 1.5 * P_O^2 once P_O is non-zero (T0 decides before).
      Value pg = toF64(eb, st.group), po = toF64(eb, st.outer);
      Value lhs = arith::MulFOp::create(
          b, loc, arith::UIToFPOp::create(b, loc, eb.f64(), st.count),
          arith::MulFOp::create(b, loc, pg, pg));
      Value rhs = arith::MulFOp::create(b, loc, eb.f64c(1.5),
                                        arith::MulFOp::create(b, loc, po, po));
      Value running =
          arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OLT, lhs, rhs);
      // While P_O is zero, T0 decides (not the stored threshold, which a
      // close with a cancelling P_O sets to 0).
      Value poZero = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ,
                                           po, eb.f64c(0.0));
      Value underT0 =
          arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OLT, magnitude,
                                eb.f64c(spec.initialThreshold));
      enters = eb.select(poZero, underT0, running);
    }
    // Most steps enter the group in every lane; only when some lane's
    // group closes are the close's adds computed (P_O += P_G, the new group
    // starts with p).
    Value closesAny =
        eb.laneCount()
            ? Value(vector::ReductionOp::create(
                  b, loc, vector::CombiningKind::OR, eb.lnot(enters)))
            : eb.lnot(enters);
    auto step = scf::IfOp::create(
        b, loc, closesAny,
        [&](OpBuilder &tb, Location tl) {
          ElementBuilder te(tb, tl, eb.laneCount());
          AccState closed = emitDgaClose(te, spec, st, p, added, enters);
          scf::YieldOp::create(tb, tl, closed.values());
        },
        [&](OpBuilder &fb, Location fl) {
          ElementBuilder fe(fb, fl, eb.laneCount());
          scf::YieldOp::create(fb, fl,
                               ValueRange{st.outer, added,
                                          fe.add(st.count, fe.u32(1)),
                                          st.threshold});
        });
    next.outer = step.getResult(0);
    next.group = step.getResult(1);
    next.count = step.getResult(2);
    next.threshold = step.getResult(3);
    return next;
  }
  }
  llvm_unreachable("unknown grouping");
}

/// The DGA step in lanes where some group closes: lanes that `enters` add
/// `p` to their group (`added`); the others close theirs into the outer
/// accumulator and restart with p, with a new threshold.
AccState emitDgaClose(const ElementBuilder &eb,
                      const nx::AccumulationSpec &spec, const AccState &st,
                      Value p, Value added, Value enters) {
  OpBuilder &b = eb.builder();
  Location loc = eb.location();
  const nx::MinifloatFormat &g = spec.accumulator;
  const nx::MinifloatFormat &o = spec.outerFormat();
  AccState next = st;
  {
    Value outer = emitAddRounded(eb, o, toF64(eb, st.outer),
                                 toF64(eb, st.group), spec.rounding);
    Value restart = emitAddRounded(eb, g, eb.f64c(0.0), p, spec.rounding);
    Value po = toF64(eb, outer);
    Value threshold;
    if (spec.grouping == nx::Grouping::IdealDGA) {
      Value n = spec.dgaCount == nx::DgaCount::AfterReset
                    ? eb.f64c(1.0)
                    : Value(arith::UIToFPOp::create(
                          b, loc, eb.f64(), eb.smax(st.count, eb.u32(1))));
      Value num = arith::MulFOp::create(
          b, loc, arith::MulFOp::create(b, loc, eb.f64c(3.0), po), po);
      Value den = arith::MulFOp::create(b, loc, eb.f64c(2.0), n);
      threshold =
          math::SqrtOp::create(b, loc, arith::DivFOp::create(b, loc, num, den));
    } else {
      threshold =
          arith::MulFOp::create(b, loc, math::AbsFOp::create(b, loc, po),
                                eb.f64c(std::ldexp(1.0, -spec.shiftC)));
    }
    next.group = eb.select(enters, added, restart);
    next.count = eb.select(enters, eb.add(st.count, eb.u32(1)), eb.u32(1));
    next.outer = eb.select(enters, st.outer, outer);
    next.threshold = eb.select(enters, st.threshold, threshold);
  }
  return next;
}

/// The product of f32 lanes, exact in f64 (a NaN is +NaN), rounded to the
/// product format if there is one.
Value emitProduct(const ElementBuilder &eb, const nx::AccumulationSpec &spec,
                  Value a, Value bv) {
  OpBuilder &b = eb.builder();
  Location loc = eb.location();
  Value p = arith::MulFOp::create(b, loc, toF64(eb, a), toF64(eb, bv));
  Value isNaN = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::UNO, p, p);
  p = eb.select(isNaN, eb.f64c(std::numeric_limits<double>::quiet_NaN()), p);
  if (!spec.product)
    return p;
  nx::Rounding r = nx::Rounding::deterministic(spec.rounding);
  Value q = emitDecode(eb, *spec.product,
                       emitEncodeExact(eb, *spec.product, p, eb.f64c(0.0), r));
  return toF64(eb, q);
}

/// The canonical NaN of accumulation results.
Value canonicalNaN(const ElementBuilder &eb, Value v) {
  Value isNaN = arith::CmpFOp::create(eb.builder(), eb.location(),
                                      arith::CmpFPredicate::UNO, v, v);
  return eb.select(isNaN, eb.f32c(std::numeric_limits<float>::quiet_NaN()), v);
}

/// B ([batch,] K x N, flat) as panels of `colVecs * lanes` columns: panel
/// (b, s) holds rows 0..K-1 of columns [s * W, s * W + W) of batch b
/// contiguously ([K][W], zero beyond column N). Panels are packed in
/// parallel when `parallel`.
Value packColumnStrips(OpBuilder &b, Location loc, Value flatB, Value batch,
                       Value k, Value n, Value strips, int64_t colVecs,
                       int64_t lanes, bool parallel) {
  int64_t width = colVecs * lanes;
  Value panelSize = arith::MulIOp::create(
      b, loc, k, arith::ConstantIndexOp::create(b, loc, width));
  Value panels = arith::MulIOp::create(b, loc, batch, strips);
  Value count = arith::MulIOp::create(b, loc, panels, panelSize);
  Value out = emptyFlat(b, loc, count, ShapedType::kDynamic, b.getF32Type());
  // Panels [p0, p1) into `acc` (flat offsets from `base`).
  auto packPanels = [&](OpBuilder &pb, Location pl, Value p0, Value p1,
                        Value acc, Value base) -> Value {
    Value one = arith::ConstantIndexOp::create(pb, pl, 1);
    Value c0 = arith::ConstantIndexOp::create(pb, pl, 0);
    auto panelLoop = scf::ForOp::create(
        pb, pl, p0, p1, one, ValueRange{acc},
        [&](OpBuilder &qb, Location ql, Value p, ValueRange it) {
          Value bat = arith::DivUIOp::create(qb, ql, p, strips);
          Value col0 = arith::MulIOp::create(
              qb, ql, arith::RemUIOp::create(qb, ql, p, strips),
              arith::ConstantIndexOp::create(qb, ql, width));
          Value src0 = arith::AddIOp::create(
              qb, ql,
              arith::MulIOp::create(qb, ql, bat,
                                    arith::MulIOp::create(qb, ql, k, n)),
              col0);
          Value dst0 = arith::SubIOp::create(
              qb, ql, arith::MulIOp::create(qb, ql, p, panelSize), base);
          auto rowLoop = scf::ForOp::create(
              qb, ql, c0, k, one, ValueRange{it[0]},
              [&](OpBuilder &rb, Location rl, Value kk, ValueRange it2) {
                ElementBuilder eb(rb, rl, lanes);
                Value src = arith::AddIOp::create(
                    rb, rl, src0, arith::MulIOp::create(rb, rl, kk, n));
                Value dst = arith::AddIOp::create(
                    rb, rl, dst0,
                    arith::MulIOp::create(
                        rb, rl, kk,
                        arith::ConstantIndexOp::create(rb, rl, width)));
                Value a = it2[0];
                for (int64_t v = 0; v < colVecs; ++v) {
                  Value dv = arith::ConstantIndexOp::create(rb, rl, v * lanes);
                  Value colv = arith::AddIOp::create(rb, rl, col0, dv);
                  Value valid = arith::MaxSIOp::create(
                      rb, rl, arith::SubIOp::create(rb, rl, n, colv), c0);
                  Value mask = vector::CreateMaskOp::create(
                      rb, rl, VectorType::get({lanes}, rb.getI1Type()),
                      ValueRange{valid});
                  Value x = readChunk(
                      eb, flatB, arith::AddIOp::create(rb, rl, src, dv), mask);
                  a = writeChunk(eb, x, a,
                                 arith::AddIOp::create(rb, rl, dst, dv),
                                 Value());
                }
                scf::YieldOp::create(rb, rl, a);
              });
          scf::YieldOp::create(qb, ql, rowLoop.getResult(0));
        });
    return panelLoop.getResult(0);
  };
  if (!parallel) {
    Value c0 = arith::ConstantIndexOp::create(b, loc, 0);
    return packPanels(b, loc, c0, panels, out, c0);
  }
  // One panel per tile (K = 0 leaves no panel to pack and no tile).
  Value tile = arith::MaxUIOp::create(
      b, loc, panelSize, arith::ConstantIndexOp::create(b, loc, 1));
  return forEachParallelTile(
      b, loc, count, tile, out,
      [&](OpBuilder &tb, Location tl, Value begin, Value end, Value slice) {
        Value p0 = arith::DivUIOp::create(tb, tl, begin, tile);
        Value p1 = arith::DivUIOp::create(tb, tl, end, tile);
        return packPanels(tb, tl, p0, p1, slice, begin);
      });
}

/// The code of one blocked GEMM (every accumulation but the shared E-DGA
/// threshold): register blocks of rows x column vectors accumulate over k
/// (emitBlock), row blocks and single rows cover a range of rows for one
/// column strip (emitRowsAt), strips cover all columns (emitRows), and
/// parallel tiles of rows cover the result (emitAllRows).
struct BlockedGemm {
  nx::AccumulationSpec spec;
  FlatTensor fa, fb; ///< the operands, flattened ([batch,] M x K, K x N)
  Value m, k, n;
  int64_t lanes;
  bool fma;          ///< f32 FMA chains (isFmaChain)
  int64_t blockRows; ///< rows of a register block
  int64_t colVecs;   ///< column vectors of a register block
  int64_t stripWidth;
  Value strips, packed; ///< B's packed column panels (FMA chains, fast path)
  int64_t tileRows;     ///< rows per parallel tile
  int64_t tileElements;
  bool fast = false; ///< the f32 fast path, with the exact path as fallback
  /// fast: whether the products are on the formats' grid (i1; null when
  /// no format needs the test)
  Value productsOnGrid;
  Value operandsFit; ///< fast: whether the operands passed the check

  /// The packed panel row of B holding column `col`'s strip at row `kk`.
  Value panelRow(OpBuilder &lb, Location ll, Value bat, Value col,
                 Value kk) const {
    Value width = arith::ConstantIndexOp::create(lb, ll, stripWidth);
    Value strip = arith::DivUIOp::create(lb, ll, col, width);
    Value panel = arith::AddIOp::create(
        lb, ll, arith::MulIOp::create(lb, ll, bat, strips), strip);
    Value rowStart = arith::MulIOp::create(
        lb, ll,
        arith::AddIOp::create(lb, ll, arith::MulIOp::create(lb, ll, panel, k),
                              kk),
        width);
    // `col` may lie inside its strip (the fast path's fallback).
    return arith::AddIOp::create(lb, ll, rowStart,
                                 arith::RemUIOp::create(lb, ll, col, width));
  }

  /// One block of `r` rows starting at global row `row0` (in one batch)
  // and `vecs` column chunks from `col` (one chunk, masked when `mask`):
  // the outputs' accumulation over k, written into `acc` (a flat slice
  // starting at flat offset `base`). The fast path's block is recomputed by
  // the exact path when some f32 sum of it was not exact.
  Value emitBlock(OpBuilder &b, Location l, int64_t r, int64_t vecs, Value row0,
                  Value col, Value mask, Value acc, Value base,
                  bool partialStrip = false) const {
    if (!fast)
      return writeSums(b, l, emitSums(b, l, r, vecs, row0, col, mask), r, vecs,
                       row0, col, mask, acc, base, partialStrip);
    // The fast path's sums, and whether the exact path must compute the
    // block instead: the operands failed the check, or some f32 sum was
    // inexact.
    auto attempt = scf::IfOp::create(
        b, l, operandsFit,
        [&](OpBuilder &tb, Location tl) {
          // The rounding for products on the formats' grid, or the
          // general one.
          auto fastSums = [&](OpBuilder &fb, Location fl, bool grid) {
            auto [sums, inexact] =
                emitFastSums(fb, fl, r, vecs, row0, col, grid);
            sums.push_back(inexact);
            scf::YieldOp::create(fb, fl, sums);
          };
          if (!productsOnGrid) {
            fastSums(tb, tl, false);
            return;
          }
          auto choice = scf::IfOp::create(
              tb, tl, productsOnGrid,
              [&](OpBuilder &gb, Location gl) { fastSums(gb, gl, true); },
              [&](OpBuilder &gb, Location gl) { fastSums(gb, gl, false); });
          scf::YieldOp::create(tb, tl, choice.getResults());
        },
        [&](OpBuilder &eb2, Location el) {
          if (midpointPathApplies()) {
            // Operands of any width (scaled tensors): sums checked for
            // midpoints of the accumulator's grid.
            auto [sums, inexact] = emitFastSums(eb2, el, r, vecs, row0, col,
                                                /*onGrid=*/false,
                                                /*midpoints=*/true);
            sums.push_back(inexact);
            scf::YieldOp::create(eb2, el, sums);
            return;
          }
          ElementBuilder e(eb2, el, lanes);
          SmallVector<Value> none(r * vecs, e.f32c(0.0f));
          none.push_back(arith::ConstantIntOp::create(eb2, el, 1, 1));
          scf::YieldOp::create(eb2, el, none);
        });
    SmallVector<Value> sums(attempt.getResults().drop_back());
    auto written = scf::IfOp::create(
        b, l, attempt.getResults().back(),
        [&](OpBuilder &tb, Location tl) {
          // The exact path, one output vector at a time (loops, so that its
          // code is emitted once per block shape).
          Value one = arith::ConstantIndexOp::create(tb, tl, 1);
          Value c0 = arith::ConstantIndexOp::create(tb, tl, 0);
          auto rowsLoop = scf::ForOp::create(
              tb, tl, c0, arith::ConstantIndexOp::create(tb, tl, r), one,
              ValueRange{acc},
              [&](OpBuilder &rb, Location rl, Value i, ValueRange ri) {
                auto vecLoop = scf::ForOp::create(
                    rb, rl, c0, arith::ConstantIndexOp::create(rb, rl, vecs),
                    one, ri,
                    [&](OpBuilder &vb, Location vl, Value v, ValueRange vi) {
                      Value row = arith::AddIOp::create(vb, vl, row0, i);
                      Value c = arith::AddIOp::create(
                          vb, vl, col,
                          arith::MulIOp::create(
                              vb, vl, v,
                              arith::ConstantIndexOp::create(vb, vl, lanes)));
                      SmallVector<Value> one1 =
                          emitSums(vb, vl, 1, 1, row, c, Value());
                      scf::YieldOp::create(vb, vl,
                                           writeSums(vb, vl, one1, 1, 1, row, c,
                                                     Value(), vi[0], base,
                                                     partialStrip));
                    });
                scf::YieldOp::create(rb, rl, vecLoop.getResults());
              });
          scf::YieldOp::create(tb, tl, rowsLoop.getResults());
        },
        [&](OpBuilder &eb2, Location el) {
          scf::YieldOp::create(eb2, el,
                               writeSums(eb2, el, sums, r, vecs, row0, col,
                                         Value(), acc, base, partialStrip));
        });
    return written.getResult(0);
  }

  /// The block's results (r x vecs chunks, row-major) by the exact path or
  /// the FMA chains.
  SmallVector<Value> emitSums(OpBuilder &b, Location l, int64_t r, int64_t vecs,
                              Value row0, Value col, Value mask) const {
    ElementBuilder eb(b, l, lanes);
    Value bat = arith::DivUIOp::create(b, l, row0, m);
    Value bBase =
        arith::MulIOp::create(b, l, bat, arith::MulIOp::create(b, l, k, n));
    Value c0 = arith::ConstantIndexOp::create(b, l, 0);
    Value one = arith::ConstantIndexOp::create(b, l, 1);
    auto colOf = [&](OpBuilder &cb, Location cl, int64_t v) -> Value {
      return v ? Value(arith::AddIOp::create(
                     cb, cl, col,
                     arith::ConstantIndexOp::create(cb, cl, v * lanes)))
               : col;
    };
    unsigned per = fma ? 2 : 4;
    SmallVector<Value> init;
    for (int64_t i = 0; i < r * vecs; ++i) {
      if (fma)
        init.append({eb.f32c(0.0f), eb.f32c(0.0f)});
      else
        init.append({eb.f32c(0.0f), eb.f32c(0.0f), eb.u32(0),
                     eb.f64c(initialWide(spec))});
    }
    auto loop = scf::ForOp::create(
        b, l, c0, k, one, init,
        [&](OpBuilder &lb, Location ll, Value kk, ValueRange iter) {
          ElementBuilder e(lb, ll, lanes);
          SmallVector<Value> bv;
          if (packed) {
            // Panel (batch, strip) of [K][stripWidth], row kk.
            Value pRow = panelRow(lb, ll, bat, col, kk);
            for (int64_t v = 0; v < vecs; ++v)
              bv.push_back(readChunk(
                  e, packed,
                  arith::AddIOp::create(
                      lb, ll, pRow,
                      arith::ConstantIndexOp::create(lb, ll, v * lanes)),
                  Value()));
          } else {
            Value bRow = arith::AddIOp::create(
                lb, ll, bBase, arith::MulIOp::create(lb, ll, kk, n));
            for (int64_t v = 0; v < vecs; ++v)
              bv.push_back(readChunk(
                  e, fb.flat,
                  arith::AddIOp::create(lb, ll, bRow, colOf(lb, ll, v)), mask));
          }
          // Static groups close for every output after the same product.
          Value closes;
          if (spec.grouping == nx::Grouping::Static) {
            Value kp1 = arith::AddIOp::create(lb, ll, kk, one);
            closes = arith::CmpIOp::create(
                lb, ll, arith::CmpIPredicate::eq,
                arith::RemUIOp::create(
                    lb, ll, kp1,
                    arith::ConstantIndexOp::create(lb, ll, spec.groupSize)),
                c0);
          }
          SmallVector<Value> yields;
          for (int64_t i = 0; i < r; ++i) {
            Value row = arith::AddIOp::create(
                lb, ll, row0, arith::ConstantIndexOp::create(lb, ll, i));
            Value aOff = arith::AddIOp::create(
                lb, ll, arith::MulIOp::create(lb, ll, row, k), kk);
            Value av =
                e.splat(tensor::ExtractOp::create(lb, ll, fa.flat, aOff));
            for (int64_t v = 0; v < vecs; ++v) {
              ValueRange st = iter.slice((i * vecs + v) * per, per);
              if (fma) {
                Value g = math::FmaOp::create(lb, ll, av, bv[v], st[1]);
                Value o = st[0];
                if (closes) {
                  Value sum = arith::AddFOp::create(lb, ll, o, g);
                  o = arith::SelectOp::create(lb, ll, closes, sum, o);
                  g = arith::SelectOp::create(lb, ll, closes, e.f32c(0.0f), g);
                }
                yields.append({o, g});
              } else {
                AccState state{st[0], st[1], st[2], st[3]};
                Value p = emitProduct(e, spec, av, bv[v]);
                yields.append(emitAdd(e, spec, state, p).values());
              }
            }
          }
          scf::YieldOp::create(lb, ll, yields);
        });
    SmallVector<Value> sums;
    for (int64_t i = 0; i < r * vecs; ++i) {
      ValueRange st = loop.getResults().slice(i * per, per);
      Value result;
      if (spec.grouping == nx::Grouping::None)
        result = st[1];
      else if (fma)
        result = arith::AddFOp::create(b, l, st[0], st[1]);
      else
        result = emitAddRounded(eb, spec.outerFormat(), toF64(eb, st[0]),
                                spec.fixedPoint ? st[3] : toF64(eb, st[1]),
                                spec.rounding);
      sums.push_back(canonicalNaN(eb, result));
    }
    return sums;
  }

  /// Whether operands that fail the operand check still take the fast
  /// path, with sums checked for midpoints instead of exactness: one
  /// minifloat accumulator (no grouping, or E-DGA whose group closes need
  /// no test).
  bool midpointPathApplies() const {
    const nx::MinifloatFormat &g = spec.accumulator;
    if (isF32(g))
      return false;
    if (spec.grouping == nx::Grouping::None)
      return true;
    return spec.grouping == nx::Grouping::EfficientDGA &&
           g == spec.outerFormat() && addOfValuesNeedsNoTest(g);
  }

  /// acc + a * b rounded to the accumulator: emitAddFast's checked sum, or,
  /// with `midpoint` (operands of any width), the midpoint-checked sum,
  /// recorded there for emitMidpointFix (its range is checked either way).
  FastSum emitAddProduct(const ElementBuilder &e, Value acc, Value a, Value b,
                         bool onGrid, MidpointSum *midpoint,
                         Value sum = {}) const {
    const nx::MinifloatFormat &g = spec.accumulator;
    if (!midpoint)
      return emitAddFast(e, g, acc, a, b, onGrid, sum);
    *midpoint = emitAddMidpointChecked(e, g, acc, a, b, sum);
    return {midpoint->value, Value(), midpoint->magnitude};
  }

  /// One output vector's E-DGA state in the fast path (no threshold when
  /// dgaComparesOuter).
  struct DgaState {
    Value outer, group, threshold;
  };

  /// The E-DGA fast path's P_O before a lane's first close: -0 when the
  /// step compares with P_O and T0 > 0 (dgaComparesOuter), else +0.
  float initialOuter() const {
    return dgaComparesOuter(spec) && spec.initialThreshold > 0 ? -0.0f : 0.0f;
  }

  /// Whether the lanes of an E-DGA P_O hold -0, i.e. have not closed a
  /// group yet (initialOuter; i1 lanes).
  static Value emitNotClosedYet(const ElementBuilder &e, Value outer) {
    return e.eq(e.bitcast(e.builder().getI32Type(), outer), e.u32(0x80000000u));
  }

  /// Whether the product enters the open group, |P_G| < T (i1 lanes). With
  /// dgaComparesOuter, T is 2^-c |P_O| (from P_O, off P_G's chain of
  /// dependences), or, in `firstPhase` (some lane may not have closed yet),
  /// T0 where P_O is -0; both magnitudes are then added to the check (the
  /// values they are, not the sums that made them, are what the range
  /// check needs).
  Value emitEnters(const ElementBuilder &e, const DgaState &st, bool firstPhase,
                   FastCheck &check) const {
    OpBuilder &b = e.builder();
    Location l = e.location();
    Value group = math::AbsFOp::create(b, l, st.group);
    Value threshold = st.threshold;
    if (dgaComparesOuter(spec)) {
      Value outer = math::AbsFOp::create(b, l, st.outer);
      Type i32 = b.getI32Type();
      for (Value v : {group, outer})
        check.maxMagnitude =
            arith::MaxUIOp::create(b, l, check.maxMagnitude, e.bitcast(i32, v));
      threshold = arith::MulFOp::create(b, l, outer,
                                        e.f32c(std::ldexp(1.0f, -spec.shiftC)));
      if (firstPhase)
        threshold = e.select(emitNotClosedYet(e, st.outer),
                             e.f32c(static_cast<float>(spec.initialThreshold)),
                             threshold);
    }
    return arith::CmpFOp::create(b, l, arith::CmpFPredicate::OLT, group,
                                 threshold);
  }

  /// One E-DGA step of the fast path for the product a * b: it enters the
  /// group while |P_G| < T (emitEnters); otherwise P_O += P_G, the group
  /// restarts with it, and T = 2^-c |P_O| (kept as state only without
  /// dgaComparesOuter: exact in f32 unless below its normal range, which is
  /// flagged). With one format for both accumulators the step has no
  /// branch; otherwise the close's adds are computed only when some lane
  /// closes.
  DgaState emitDgaStep(const ElementBuilder &e, DgaState st, Value a, Value bv,
                       bool onGrid, bool firstPhase, FastCheck &check,
                       MidpointSum *midpoint = nullptr) const {
    OpBuilder &b = e.builder();
    Location l = e.location();
    const nx::MinifloatFormat &g = spec.accumulator;
    const nx::MinifloatFormat &o = spec.outerFormat();
    // Without T, the state's magnitudes are checked (emitEnters), not the
    // sums'.
    const bool keepsT = !dgaComparesOuter(spec);
    auto checked = [&](FastSum sum) {
      if (!keepsT)
        sum.magnitude = Value();
      return sum;
    };
    Value enters = emitEnters(e, st, firstPhase, check);
    Value closes = e.lnot(enters);
    // The product, formed below where the FMA path does not take it.
    Value p;
    // The close's restart, +0 + p rounded to the group's format (+0 for
    // p = -0), and its threshold.
    auto restartOf = [&](const ElementBuilder &re, FastCheck &c, Value where) {
      Value restart =
          arith::AddFOp::create(re.builder(), re.location(), re.f32c(0.0f), p);
      if (isF32(g))
        return restart;
      auto [rounded, magnitude] = onGrid ? emitRoundOnGrid(re, g, restart)
                                         : emitRoundFast(re, g, restart);
      c = addToCheck(re, c, checked(FastSum{rounded, re.u32(0), magnitude}),
                     where);
      return rounded;
    };
    auto thresholdOf = [&](const ElementBuilder &te, FastCheck &c,
                           Value outer) {
      OpBuilder &tb = te.builder();
      Location tl = te.location();
      Value t =
          arith::MulFOp::create(tb, tl, math::AbsFOp::create(tb, tl, outer),
                                te.f32c(std::ldexp(1.0f, -spec.shiftC)));
      // The smallest non-zero |P_O| times 2^-c may be below f32's normal
      // range only for some formats.
      int quantum =
          isF32(o) ? -149
                   : o.minNormalExponent() - static_cast<int>(o.mantissaBits);
      if (quantum - spec.shiftC < -126) {
        Value tiny = te.land(
            arith::CmpFOp::create(tb, tl, arith::CmpFPredicate::ONE, t,
                                  te.f32c(0.0f)),
            arith::CmpFOp::create(tb, tl, arith::CmpFPredicate::OLT, t,
                                  te.f32c(std::numeric_limits<float>::min())));
        c.errorBits = te.bor(c.errorBits, te.select(te.land(closes, tiny),
                                                    te.u32(1), te.u32(0)));
      }
      return t;
    };
    // The new T where the group closes (none without T).
    auto nextThreshold = [&](FastCheck &c, Value outer) -> Value {
      if (!keepsT)
        return Value();
      return e.select(enters, st.threshold, thresholdOf(e, c, outer));
    };
    if (g == o && addOfValuesNeedsNoTest(g)) {
      // Two rounded sums per product: RN(acc + a b) with acc = P_G where
      // the product enters and +0 where the group closes (the restart
      // RN(+0 + p)), which is the new P_G in both; and
      // RN(P_O + P_G), the new P_O where the group closes, which needs no
      // exactness test (emitAddOfValues). Its range is checked in every
      // lane (a lane that enters may flag a fallback, never a wrong sum).
      Value acc = e.select(enters, st.group, e.f32c(0.0f));
      // fma(a, b, acc) as the choice between the two FMAs, so that P_G's
      // chain of dependences does not wait for the group test (+0 keeps
      // the restart of a -0 product +0).
      Value sum = e.select(enters, math::FmaOp::create(b, l, a, bv, st.group),
                           math::FmaOp::create(b, l, a, bv, e.f32c(0.0f)));
      FastSum group = emitAddProduct(e, acc, a, bv, onGrid, midpoint, sum);
      check = addToCheck(e, check, checked(group));
      FastSum outer = emitAddOfValues(e, o, st.outer, st.group, onGrid);
      check = addToCheck(e, check, checked(outer));
      Value t = nextThreshold(check, outer.value);
      return {e.select(enters, st.outer, outer.value), group.value, t};
    }
    p = arith::MulFOp::create(b, l, a, bv);
    if (g == o) {
      Value acc = e.select(enters, st.group, st.outer);
      Value addend = e.select(enters, p, st.group);
      FastSum sum = emitAddFast(e, g, acc, addend, Value(), onGrid);
      check = addToCheck(e, check, checked(sum));
      Value restart = restartOf(e, check, closes);
      Value t = nextThreshold(check, sum.value);
      return {e.select(enters, st.outer, sum.value),
              e.select(enters, sum.value, restart), t};
    }
    FastSum sum = emitAddFast(e, g, st.group, p, Value(), onGrid);
    check = addToCheck(e, check, sum);
    Value any = lanes ? Value(vector::ReductionOp::create(
                            b, l, vector::CombiningKind::OR, closes))
                      : closes;
    FastCheck before = check;
    auto step = scf::IfOp::create(
        b, l, any,
        [&](OpBuilder &tb, Location tl) {
          ElementBuilder te(tb, tl, lanes);
          FastSum po = emitAddFast(te, o, st.outer, st.group, Value(), onGrid);
          FastCheck c = addToCheck(te, before, po, closes);
          Value restart = restartOf(te, c, closes);
          Value t = thresholdOf(te, c, po.value);
          scf::YieldOp::create(tb, tl,
                               ValueRange{te.select(enters, st.outer, po.value),
                                          te.select(enters, sum.value, restart),
                                          te.select(enters, st.threshold, t),
                                          c.errorBits, c.maxMagnitude});
        },
        [&](OpBuilder &fb, Location fl) {
          scf::YieldOp::create(fb, fl,
                               ValueRange{st.outer, sum.value, st.threshold,
                                          before.errorBits,
                                          before.maxMagnitude});
        });
    check = {step.getResult(3), step.getResult(4)};
    return {step.getResult(0), step.getResult(1), step.getResult(2)};
  }

  /// The fast path's results for the block (hasFastPath; B packed, the
  /// operands passed emitOperandsFit, or with `midpoints` operands of any
  /// width) and whether the block's check fails (then the results are not
  /// the library's). With `midpoints` the sums of products are checked for
  /// f midpoints instead of exactness, and a k step where some lane is one
  /// rounds those lanes again (emitMidpointFix) under one branch.
  std::pair<SmallVector<Value>, Value>
  emitFastSums(OpBuilder &b, Location l, int64_t r, int64_t vecs, Value row0,
               Value col, bool onGrid, bool midpoints = false) const {
    ElementBuilder eb(b, l, lanes);
    const nx::MinifloatFormat &g = spec.accumulator;
    const nx::MinifloatFormat &o = spec.outerFormat();
    const bool dga = spec.grouping == nx::Grouping::EfficientDGA;
    const bool keepsT = dga && !dgaComparesOuter(spec);
    const int64_t per = keepsT ? 3 : 2; // P_O, P_G[, T]
    const int64_t outputs = r * vecs;
    Value bat = arith::DivUIOp::create(b, l, row0, m);
    Value one = arith::ConstantIndexOp::create(b, l, 1);
    auto index = [](OpBuilder &ib, Location il, int64_t v) -> Value {
      return arith::ConstantIndexOp::create(ib, il, v);
    };
    // The state: the outputs' P_O, P_G[, T], then the block's check.
    auto checkOf = [&](ArrayRef<Value> st) {
      return FastCheck{st[outputs * per], st[outputs * per + 1]};
    };
    auto setCheck = [&](SmallVector<Value> &st, const FastCheck &c) {
      st[outputs * per] = c.errorBits;
      st[outputs * per + 1] = c.maxMagnitude;
    };
    SmallVector<Value> init;
    for (int64_t j = 0; j < outputs; ++j) {
      init.append({eb.f32c(dga ? initialOuter() : 0.0f), eb.f32c(0.0f)});
      if (keepsT)
        init.push_back(eb.f32c(static_cast<float>(spec.initialThreshold)));
    }
    FastCheck start = FastCheck::initial(eb);
    init.append({start.errorBits, start.maxMagnitude});
    // The products kk in [from, to) into the state (E-DGA: `firstPhase`,
    // see emitEnters).
    auto accumulate = [&](OpBuilder &ob, Location ol, Value from, Value to,
                          ValueRange state,
                          bool firstPhase = false) -> SmallVector<Value> {
      auto loop = scf::ForOp::create(
          ob, ol, from, to, one, state,
          [&](OpBuilder &lb, Location ll, Value kk, ValueRange iter) {
            ElementBuilder e(lb, ll, lanes);
            Value pRow = panelRow(lb, ll, bat, col, kk);
            SmallVector<Value> bv;
            for (int64_t v = 0; v < vecs; ++v)
              bv.push_back(readChunk(
                  e, packed,
                  arith::AddIOp::create(lb, ll, pRow, index(lb, ll, v * lanes)),
                  Value()));
            SmallVector<Value> next(iter.begin(), iter.end());
            FastCheck check = checkOf(next);
            SmallVector<MidpointSum> hazards(midpoints ? outputs : 0);
            for (int64_t i = 0; i < r; ++i) {
              Value row = arith::AddIOp::create(lb, ll, row0, index(lb, ll, i));
              Value aOff = arith::AddIOp::create(
                  lb, ll, arith::MulIOp::create(lb, ll, row, k), kk);
              Value av =
                  e.splat(tensor::ExtractOp::create(lb, ll, fa.flat, aOff));
              for (int64_t v = 0; v < vecs; ++v) {
                int64_t j = i * vecs + v;
                Value outer = iter[j * per], group = iter[j * per + 1];
                if (!dga) {
                  FastSum sum =
                      emitAddProduct(e, group, av, bv[v], onGrid,
                                     midpoints ? &hazards[j] : nullptr);
                  check = addToCheck(e, check, sum);
                  next[j * per + 1] = sum.value;
                  continue;
                }
                DgaState st = emitDgaStep(
                    e, {outer, group, keepsT ? iter[j * per + 2] : Value()}, av,
                    bv[v], onGrid, firstPhase, check,
                    midpoints ? &hazards[j] : nullptr);
                next[j * per] = st.outer;
                next[j * per + 1] = st.group;
                if (keepsT)
                  next[j * per + 2] = st.threshold;
              }
            }
            setCheck(next, check);
            if (midpoints) {
              // Some lane's sum an f midpoint (about 2^-(23 - m) of random
              // sums): the block's new P_G rounded again.
              Value any = hazards[0].midpoint;
              for (int64_t j = 1; j < outputs; ++j)
                any = e.lor(any, hazards[j].midpoint);
              if (lanes)
                any = vector::ReductionOp::create(
                    lb, ll, vector::CombiningKind::OR, any);
              SmallVector<Value> groups;
              for (int64_t j = 0; j < outputs; ++j)
                groups.push_back(next[j * per + 1]);
              auto fix = scf::IfOp::create(
                  lb, ll, any,
                  [&](OpBuilder &fb, Location fl) {
                    ElementBuilder fe(fb, fl, lanes);
                    SmallVector<Value> fixed;
                    // The new P_G is the checked sum in every lane (E-DGA's
                    // closing lanes restart with it too).
                    for (const MidpointSum &h : hazards)
                      fixed.push_back(emitMidpointFix(fe, g, h));
                    scf::YieldOp::create(fb, fl, fixed);
                  },
                  [&](OpBuilder &fb, Location fl) {
                    scf::YieldOp::create(fb, fl, groups);
                  });
              for (int64_t j = 0; j < outputs; ++j)
                next[j * per + 1] = fix.getResult(j);
            }
            scf::YieldOp::create(lb, ll, next);
          });
      return SmallVector<Value>(loop.getResults());
    };
    Value c0 = arith::ConstantIndexOp::create(b, l, 0);
    SmallVector<Value> state;
    if (spec.grouping == nx::Grouping::Static) {
      // Whole groups, each closed into P_O (P_G restarts at +0), then the
      // last partial group.
      Value size = index(b, l, spec.groupSize);
      Value whole = arith::MulIOp::create(
          b, l, arith::DivUIOp::create(b, l, k, size), size);
      auto groups = scf::ForOp::create(
          b, l, c0, whole, size, init,
          [&](OpBuilder &gb, Location gl, Value k0, ValueRange it) {
            ElementBuilder ge(gb, gl, lanes);
            SmallVector<Value> st = accumulate(
                gb, gl, k0, arith::AddIOp::create(gb, gl, k0, size), it);
            FastCheck check = checkOf(st);
            for (int64_t j = 0; j < outputs; ++j) {
              FastSum po = emitAddFast(ge, o, st[j * per], st[j * per + 1],
                                       Value(), onGrid);
              check = addToCheck(ge, check, po);
              st[j * per] = po.value;
              st[j * per + 1] = ge.f32c(0.0f);
            }
            setCheck(st, check);
            scf::YieldOp::create(gb, gl, st);
          });
      state = accumulate(b, l, whole, k, groups.getResults());
    } else if (dga && std::signbit(initialOuter())) {
      // Some lane holds -0 for P_O until it closes: the first phase's
      // steps, in chunks, until every lane has closed; then the rest.
      Value chunk = index(b, l, kFirstPhaseChunk);
      SmallVector<Value> inits{c0};
      inits.append(init);
      auto phase = scf::WhileOp::create(
          b, l, ValueRange(inits).getTypes(), inits,
          [&](OpBuilder &wb, Location wl, ValueRange it) {
            ElementBuilder we(wb, wl, lanes);
            Value open = we.bit(false);
            for (int64_t j = 0; j < outputs; ++j)
              open = we.lor(open, emitNotClosedYet(we, it[1 + j * per]));
            if (lanes)
              open = vector::ReductionOp::create(
                  wb, wl, vector::CombiningKind::OR, open);
            Value more = arith::AndIOp::create(
                wb, wl,
                arith::CmpIOp::create(wb, wl, arith::CmpIPredicate::ult, it[0],
                                      k),
                open);
            scf::ConditionOp::create(wb, wl, more, it);
          },
          [&](OpBuilder &wb, Location wl, ValueRange it) {
            Value to = arith::MinUIOp::create(
                wb, wl, arith::AddIOp::create(wb, wl, it[0], chunk), k);
            SmallVector<Value> next{to};
            next.append(accumulate(wb, wl, it[0], to, it.drop_front(),
                                   /*firstPhase=*/true));
            scf::YieldOp::create(wb, wl, next);
          });
      state = accumulate(b, l, phase.getResult(0), k,
                         phase.getResults().drop_front());
    } else {
      state = accumulate(b, l, c0, k, init);
    }
    FastCheck check = checkOf(state);
    SmallVector<Value> sums;
    for (int64_t j = 0; j < outputs; ++j) {
      Value result = state[j * per + 1];
      if (spec.grouping != nx::Grouping::None) {
        Value outer = state[j * per];
        if (dga && !keepsT) {
          // The last state's range (emitEnters checked the others), and a
          // lane that never closed has P_O = +0 as the library's.
          for (Value v : {outer, result})
            check.maxMagnitude = arith::MaxUIOp::create(
                b, l, check.maxMagnitude,
                eb.bitcast(b.getI32Type(), math::AbsFOp::create(b, l, v)));
          outer = arith::AddFOp::create(b, l, outer, eb.f32c(0.0f));
        }
        FastSum sum = emitAddFast(eb, o, outer, result, Value(), onGrid);
        check = addToCheck(eb, check, sum);
        result = sum.value;
      }
      sums.push_back(canonicalNaN(eb, result));
    }
    return {sums, emitCheckFails(eb, check, fastMagnitudeLimit(spec))};
  }

  /// Writes the block's results into `acc` (see emitBlock).
  Value writeSums(OpBuilder &b, Location l, ArrayRef<Value> sums, int64_t r,
                  int64_t vecs, Value row0, Value col, Value mask, Value acc,
                  Value base, bool partialStrip) const {
    ElementBuilder eb(b, l, lanes);
    auto colOf = [&](int64_t v) -> Value {
      return v ? Value(arith::AddIOp::create(
                     b, l, col,
                     arith::ConstantIndexOp::create(b, l, v * lanes)))
               : col;
    };
    for (int64_t i = 0; i < r; ++i) {
      Value row = arith::AddIOp::create(
          b, l, row0, arith::ConstantIndexOp::create(b, l, i));
      for (int64_t v = 0; v < vecs; ++v) {
        Value result = sums[i * vecs + v];
        Value off = arith::SubIOp::create(
            b, l,
            arith::AddIOp::create(b, l, arith::MulIOp::create(b, l, row, n),
                                  colOf(v)),
            base);
        Value writeMask = mask;
        if (partialStrip) // the columns of this vector below n
          writeMask = vector::CreateMaskOp::create(
              b, l, VectorType::get({lanes}, b.getI1Type()),
              ValueRange{arith::MaxSIOp::create(
                  b, l, arith::SubIOp::create(b, l, n, colOf(v)),
                  arith::ConstantIndexOp::create(b, l, 0))});
        acc = writeChunk(eb, result, acc, off, writeMask);
      }
    }
    return acc;
  }

  // Rows [r0, r1) for the columns at `col`: blocks of blockRows rows, then
  // (fewer than blockRows left) blocks of tailRows(), then single rows. A
  // block never straddles two batches: such rows go one by one.
  Value emitRowsAt(OpBuilder &cb, Location cl, Value r0, Value r1, int64_t vecs,
                   Value col, Value mask, Value acc, Value base,
                   bool partialStrip = false) const {
    Value one = arith::ConstantIndexOp::create(cb, cl, 1);
    auto single = [&](OpBuilder &sb, Location sl, Value from, Value to,
                      Value a2) -> Value {
      auto loop = scf::ForOp::create(
          sb, sl, from, to, one, ValueRange{a2},
          [&](OpBuilder &lb, Location ll, Value rr, ValueRange it) {
            scf::YieldOp::create(lb, ll,
                                 emitBlock(lb, ll, 1, vecs, rr, col, mask,
                                           it[0], base, partialStrip));
          });
      return loop.getResult(0);
    };
    // Blocks of `rows` rows from `from` while they fit before r1; returns
    // the result and where the next kind of block starts.
    auto blocksOf = [&](int64_t rows, Value from,
                        Value a2) -> std::pair<Value, Value> {
      Value cR = arith::ConstantIndexOp::create(cb, cl, rows);
      Value end = wholeStepsEnd(cb, cl, from, r1, rows);
      auto blocks = scf::ForOp::create(
          cb, cl, from, end, cR, ValueRange{a2},
          [&](OpBuilder &bb, Location bl, Value row, ValueRange it) {
            Value last = arith::AddIOp::create(
                bb, bl, row, arith::ConstantIndexOp::create(bb, bl, rows - 1));
            Value same =
                arith::CmpIOp::create(bb, bl, arith::CmpIPredicate::eq,
                                      arith::DivUIOp::create(bb, bl, row, m),
                                      arith::DivUIOp::create(bb, bl, last, m));
            auto sel = scf::IfOp::create(
                bb, bl, same,
                [&](OpBuilder &tb, Location tl) {
                  scf::YieldOp::create(tb, tl,
                                       emitBlock(tb, tl, rows, vecs, row, col,
                                                 mask, it[0], base,
                                                 partialStrip));
                },
                [&](OpBuilder &fb2, Location fl) {
                  scf::YieldOp::create(
                      fb2, fl,
                      single(fb2, fl, row,
                             arith::AddIOp::create(fb2, fl, row, cR), it[0]));
                });
            scf::YieldOp::create(bb, bl, sel.getResult(0));
          });
      return {blocks.getResult(0), end};
    };
    Value from = r0;
    for (int64_t rows : {blockRows, tailRows()}) {
      if (rows <= 1)
        continue;
      std::tie(acc, from) = blocksOf(rows, from, acc);
    }
    return single(cb, cl, from, r1, acc);
  }

  /// Rows of the blocks after the full ones: a block of a few rows keeps
  /// most of the register reuse that single rows lose (a training step's
  /// GEMMs have M = 64 or 784 rows: 4 left after blocks of 12).
  int64_t tailRows() const {
    return blockRows > 4 ? std::min<int64_t>(4, blockRows / 2) : 1;
  }

  // Rows [r0, r1): super-chunks of colVecs vectors, then single (masked
  // tail) chunks.
  Value emitRows(OpBuilder &b, Location l, Value r0, Value r1, Value acc,
                 Value base) const {
    Value c0 = arith::ConstantIndexOp::create(b, l, 0);
    if (packed) {
      // Every strip of the packed B; the last one may end past n.
      Value width = arith::ConstantIndexOp::create(b, l, stripWidth);
      auto loop = scf::ForOp::create(
          b, l, c0, n, width, ValueRange{acc},
          [&](OpBuilder &sb, Location sl, Value col, ValueRange it) {
            Value full = arith::CmpIOp::create(
                sb, sl, arith::CmpIPredicate::ule,
                arith::AddIOp::create(sb, sl, col, width), n);
            auto sel = scf::IfOp::create(
                sb, sl, full,
                [&](OpBuilder &tb, Location tl) {
                  scf::YieldOp::create(tb, tl,
                                       emitRowsAt(tb, tl, r0, r1, colVecs, col,
                                                  Value(), it[0], base));
                },
                [&](OpBuilder &eb2, Location el) {
                  scf::YieldOp::create(eb2, el,
                                       emitRowsAt(eb2, el, r0, r1, colVecs, col,
                                                  Value(), it[0], base,
                                                  /*partialStrip=*/true));
                });
            scf::YieldOp::create(sb, sl, sel.getResult(0));
          });
      return loop.getResult(0);
    }
    Value step = arith::ConstantIndexOp::create(b, l, colVecs * lanes);
    Value wideEnd = arith::MulIOp::create(
        b, l, arith::DivUIOp::create(b, l, n, step), step);
    if (colVecs > 1) {
      auto wide = scf::ForOp::create(
          b, l, c0, wideEnd, step, ValueRange{acc},
          [&](OpBuilder &wb, Location wl, Value col, ValueRange it) {
            scf::YieldOp::create(
                wb, wl,
                emitRowsAt(wb, wl, r0, r1, colVecs, col, Value(), it[0], base));
          });
      acc = wide.getResult(0);
    } else {
      wideEnd = c0;
    }
    return forEachChunk(b, l, wideEnd, n, lanes, Value(), acc,
                        [&](OpBuilder &cb, Location cl, Value col, Value mask,
                            Value, Value a2) -> Value {
                          return emitRowsAt(cb, cl, r0, r1, 1, col, mask, a2,
                                            base);
                        });
  }

  /// Every row of the result (`rows` rows into the flat `out`), in
  /// parallel tiles of whole rows when tileElements > 0.
  Value emitAllRows(OpBuilder &rw, Location loc, Value rows, Value out) const {
    Value result;
    if (tileElements > 0) {
      // Parallel tiles of whole rows: tile t covers rows [t * R, ...).
      Value tile = arith::ConstantIndexOp::create(rw, loc, tileRows);
      Value tiles = arith::CeilDivUIOp::create(rw, loc, rows, tile);
      auto forall =
          scf::ForallOp::create(rw, loc, ArrayRef<OpFoldResult>{tiles},
                                ValueRange{out}, std::nullopt, nullptr);
      OpBuilder::InsertionGuard guard(rw);
      rw.setInsertionPoint(forall.getTerminator());
      Value t = forall.getInductionVars()[0];
      Value shared = forall.getRegionIterArgs()[0];
      Value r0 = arith::MulIOp::create(rw, loc, t, tile);
      Value r1 = arith::MinUIOp::create(
          rw, loc, arith::AddIOp::create(rw, loc, r0, tile), rows);
      Value begin = arith::MulIOp::create(rw, loc, r0, n);
      Value size = arith::MulIOp::create(
          rw, loc, arith::SubIOp::create(rw, loc, r1, r0), n);
      auto sliceType =
          RankedTensorType::get({ShapedType::kDynamic}, rw.getF32Type());
      SmallVector<OpFoldResult> offsets = {begin}, sizes = {size},
                                strides = {rw.getIndexAttr(1)};
      Value slice = tensor::ExtractSliceOp::create(rw, loc, sliceType, shared,
                                                   offsets, sizes, strides);
      Value written = emitRows(rw, loc, r0, r1, slice, begin);
      rw.setInsertionPointToEnd(forall.getTerminator().getBody());
      tensor::ParallelInsertSliceOp::create(rw, loc, written, shared, offsets,
                                            sizes, strides);
      result = forall.getResult(0);
      rw.setInsertionPointAfter(forall);
    } else {
      Value c0 = arith::ConstantIndexOp::create(rw, loc, 0);
      result = emitRows(rw, loc, c0, rows, out, c0);
    }
    return result;
  }
};

struct MatmulLowering : OpConversionPattern<MatmulOp> {
  MatmulLowering(MLIRContext *ctx, const QTrainToVectorOptions &options)
      : OpConversionPattern(ctx), options(options) {}

  LogicalResult matchAndRewrite(MatmulOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rw) const override {
    nx::AccumulationSpec spec;
    if (auto attr = op.getAccumulationAttr())
      spec = attr.getSpec();
    Location loc = op.getLoc();
    RankedTensorType cType = op.getType();
    int64_t rank = cType.getRank();
    Value a = adaptor.getLhs(), bm = adaptor.getRhs();
    if (op.getTransposeA())
      a = transposeTrailing(rw, loc, a);
    if (op.getTransposeB())
      bm = transposeTrailing(rw, loc, bm);

    // Sizes: batch (1 for rank 2), M, K, N; K must agree at run time.
    auto dim = [&](Value t, int64_t d) -> Value {
      return tensor::DimOp::create(rw, loc, t, d);
    };
    Value c1 = arith::ConstantIndexOp::create(rw, loc, 1);
    Value batch = rank == 3 ? dim(a, 0) : c1;
    Value m = dim(a, rank - 2), k = dim(a, rank - 1), n = dim(bm, rank - 1);
    Value kb = dim(bm, rank - 2);
    cf::AssertOp::create(
        rw, loc,
        arith::CmpIOp::create(rw, loc, arith::CmpIPredicate::eq, k, kb),
        "qtrain.matmul: contraction sizes differ");
    if (rank == 3)
      cf::AssertOp::create(rw, loc,
                           arith::CmpIOp::create(rw, loc,
                                                 arith::CmpIPredicate::eq,
                                                 batch, dim(bm, 0)),
                           "qtrain.matmul: batch sizes differ");

    FlatTensor fa = flatten(rw, loc, a), fb = flatten(rw, loc, bm);
    Value rows = arith::MulIOp::create(rw, loc, batch, m);
    Value count = arith::MulIOp::create(rw, loc, rows, n);
    int64_t staticCount =
        cType.hasStaticShape() ? cType.getNumElements() : ShapedType::kDynamic;
    Value out = emptyFlat(rw, loc, count, staticCount, rw.getF32Type());

    int64_t lanes = std::max<int64_t>(options.vectorWidth, 1);
    if (spec.grouping == nx::Grouping::EfficientDGA && spec.sharedThreshold) {
      Value flat = emitSharedThresholdGemm(rw, loc, spec, fa.flat, fb.flat,
                                           batch, m, k, n, out, lanes);
      rw.replaceOp(op, reshapeResult(rw, loc, flat, cType, batch, m, n));
      return success();
    }
    // The GEMM of one kind of kernel: the FMA chains, the f32 fast path of
    // emulated accumulation, or the exact path (register blocks of one
    // vector, B read in place).
    enum class Kernel { Fma, Fast, Exact };
    auto emitGemm = [&](OpBuilder &gb, Kernel kernel, Value operandsFit,
                        Value productsOnGrid) -> Value {
      // Register blocks from the target's register file (CpuTarget.cpp).
      int64_t blockRows = 1, colVecs = 1;
      if (kernel == Kernel::Fma) {
        blockRows = options.gemmRows;
        colVecs = options.gemmVectors;
      } else if (kernel == Kernel::Fast) {
        blockRows = options.emulatedRows;
        colVecs = options.emulatedVectors;
      }
      // The FMA chains and the fast path read B from a packed copy: strips
      // of `stripWidth` columns (the last one zero-padded), each a
      // contiguous K x stripWidth panel, so the k loop streams one panel
      // instead of rows N floats apart (whose power-of-two strides alias
      // in the caches).
      int64_t stripWidth = colVecs * lanes;
      Value strips, packed;
      if (kernel != Kernel::Exact) {
        strips = arith::CeilDivUIOp::create(
            gb, loc, n, arith::ConstantIndexOp::create(gb, loc, stripWidth));
        packed = packColumnStrips(gb, loc, fb.flat, batch, k, n, strips,
                                  colVecs, lanes, options.tileElements > 0);
      }
      // Rows per parallel tile, whole row blocks. With static N and K a
      // tile is about tileElements * kTileMacsPerElement multiply-adds, so
      // that a GEMM of few rows but long ones (a training step's forward
      // and backward-data GEMMs: M = the batch) is still split between
      // threads; otherwise about tileElements / 1024 rows. With static K a
      // tile grows to gemmTileBytes of A's rows, which stay in L2 while
      // every strip of B passes (from L3) once per tile, but to no more
      // than a quarter of the rows, so that two threads stay busy.
      int64_t tileRows = blockRows;
      if (options.tileElements > 0) {
        int64_t rowsWanted = options.tileElements / 1024;
        auto aType = llvm::cast<RankedTensorType>(a.getType());
        auto bType = llvm::cast<RankedTensorType>(bm.getType());
        int64_t staticK = aType.getDimSize(rank - 1);
        int64_t staticN = bType.getDimSize(rank - 1);
        if (!ShapedType::isDynamic(staticK) &&
            !ShapedType::isDynamic(staticN) && staticK * staticN > 0)
          rowsWanted =
              options.tileElements * kTileMacsPerElement / (staticK * staticN);
        if (aType.hasStaticShape() && staticK > 0) {
          int64_t staticRows = aType.getNumElements() / staticK;
          int64_t cacheRows = options.gemmTileBytes /
                              (staticK * static_cast<int64_t>(sizeof(float)));
          rowsWanted =
              std::max(rowsWanted,
                       std::min(cacheRows, staticRows / kMinGemmTilesForCache));
        }
        tileRows =
            std::max<int64_t>(blockRows, rowsWanted / blockRows * blockRows);
      }
      BlockedGemm gemm{spec,
                       fa,
                       fb,
                       m,
                       k,
                       n,
                       lanes,
                       kernel == Kernel::Fma,
                       blockRows,
                       colVecs,
                       stripWidth,
                       strips,
                       packed,
                       tileRows,
                       options.tileElements,
                       kernel == Kernel::Fast,
                       productsOnGrid,
                       operandsFit};
      return gemm.emitAllRows(gb, loc, rows, out);
    };
    Value result;
    if (isFmaChain(spec)) {
      result = emitGemm(rw, Kernel::Fma, Value(), Value());
    } else if (hasFastPath(spec)) {
      // The fast path needs operands that pass the check (the exact path
      // runs otherwise); products on the formats' grid take its cheaper
      // rounding.
      unsigned bits = fastOperandBits(spec);
      OperandCheck ca =
          emitOperandCheck(rw, loc, fa.flat, fa.count, lanes, bits);
      OperandCheck cb =
          emitOperandCheck(rw, loc, fb.flat, fb.count, lanes, bits);
      Value fit = arith::AndIOp::create(rw, loc, ca.fits, cb.fits);
      Value grid;
      if (!isF32(spec.accumulator) || !isF32(spec.outerFormat()))
        grid = emitProductsOnGrid(rw, loc, ca, cb, spec);
      result = emitGemm(rw, Kernel::Fast, fit, grid);
    } else {
      result = emitGemm(rw, Kernel::Exact, Value(), Value());
    }
    rw.replaceOp(op, reshapeResult(rw, loc, result, cType, batch, m, n));
    return success();
  }

  /// The flat [batch * M * N] result as the op's [batch,] M, N tensor.
  static Value reshapeResult(OpBuilder &b, Location loc, Value flat,
                             RankedTensorType cType, Value batch, Value m,
                             Value n) {
    int64_t rank = cType.getRank();
    SmallVector<Value> dynamicSizes;
    if (rank == 3)
      dynamicSizes.push_back(batch);
    dynamicSizes.append({m, n});
    SmallVector<OpFoldResult> shape;
    for (int64_t d = 0; d < rank; ++d)
      shape.push_back(cType.isDynamicDim(d)
                          ? OpFoldResult(dynamicSizes[d])
                          : OpFoldResult(b.getIndexAttr(cType.getDimSize(d))));
    ReassociationIndices all;
    for (int64_t d = 0; d < rank; ++d)
      all.push_back(d);
    return tensor::ExpandShapeOp::create(
        b, loc, cType, flat, ArrayRef<ReassociationIndices>{all}, shape);
  }

  /// E-DGA with one threshold per GEMM (per batch): every output advances
  /// over k in lockstep; after a k step in which any output closed a group,
  /// the threshold becomes 2^-c times the mean |P_O| of all outputs, summed
  /// in f64 in row-major order (numerics::gemm). Single-threaded.
  static Value emitSharedThresholdGemm(OpBuilder &b, Location loc,
                                       const nx::AccumulationSpec &spec,
                                       Value fa, Value fbm, Value batch,
                                       Value m, Value k, Value n, Value out,
                                       int64_t lanes) {
    Value c0 = arith::ConstantIndexOp::create(b, loc, 0);
    Value c1 = arith::ConstantIndexOp::create(b, loc, 1);
    Value mn = arith::MulIOp::create(b, loc, m, n);
    auto flatType = [&](Type e) {
      return RankedTensorType::get({ShapedType::kDynamic}, e);
    };
    auto splat = [&](OpBuilder &sb, Location sl, Type e, TypedAttr v) {
      Value c = arith::ConstantOp::create(sb, sl, v);
      return tensor::SplatOp::create(sb, sl, flatType(e), c, ValueRange{mn});
    };
    auto batches = scf::ForOp::create(
        b, loc, c0, batch, c1, ValueRange{out},
        [&](OpBuilder &bb, Location bl, Value bat, ValueRange bit) {
          Value O = splat(bb, bl, bb.getF32Type(), bb.getF32FloatAttr(0.0f));
          Value G = splat(bb, bl, bb.getF32Type(), bb.getF32FloatAttr(0.0f));
          Value N = splat(bb, bl, bb.getI32Type(), bb.getI32IntegerAttr(0));
          Value t0 = arith::ConstantOp::create(
              bb, bl, bb.getF64FloatAttr(spec.initialThreshold));
          auto steps = scf::ForOp::create(
              bb, bl, c0, k, c1, ValueRange{O, G, N, t0},
              [&](OpBuilder &kb, Location kl, Value kk, ValueRange st) {
                Value sharedT = st[3];
                Value falseV = arith::ConstantIntOp::create(kb, kl, 0, 1);
                auto rowsLoop = scf::ForOp::create(
                    kb, kl, c0, m, c1, ValueRange{st[0], st[1], st[2], falseV},
                    [&](OpBuilder &rb, Location rl, Value i, ValueRange rs) {
                      Value aOff = arith::AddIOp::create(
                          rb, rl,
                          arith::MulIOp::create(
                              rb, rl,
                              arith::AddIOp::create(
                                  rb, rl, arith::MulIOp::create(rb, rl, bat, m),
                                  i),
                              k),
                          kk);
                      Value aVal = tensor::ExtractOp::create(rb, rl, fa, aOff);
                      Value bRow = arith::MulIOp::create(
                          rb, rl,
                          arith::AddIOp::create(
                              rb, rl, arith::MulIOp::create(rb, rl, bat, k),
                              kk),
                          n);
                      SmallVector<Value> res = forEachChunkN(
                          rb, rl, c0, n, lanes, Value(), rs,
                          [&](OpBuilder &cb, Location cl, Value col, Value mask,
                              Value, ValueRange acc) -> SmallVector<Value> {
                            ElementBuilder e(cb, cl, lanes);
                            Value off = arith::AddIOp::create(
                                cb, cl, arith::MulIOp::create(cb, cl, i, n),
                                col);
                            Value bv = readChunk(
                                e, fbm,
                                arith::AddIOp::create(cb, cl, bRow, col), mask);
                            AccState state{readChunk(e, acc[0], off, mask),
                                           readChunk(e, acc[1], off, mask),
                                           readChunk(e, acc[2], off, mask),
                                           e.splat(sharedT)};
                            Value p = emitProduct(e, spec, e.splat(aVal), bv);
                            AccState next = emitAdd(e, spec, state, p);
                            // A lane closed its group: |P_G| >= t.
                            Value closes = arith::CmpFOp::create(
                                cb, cl, arith::CmpFPredicate::UGE,
                                math::AbsFOp::create(cb, cl,
                                                     toF64(e, state.group)),
                                state.threshold);
                            if (mask)
                              closes = e.land(closes, mask);
                            Value any =
                                e.laneCount()
                                    ? Value(vector::ReductionOp::create(
                                          cb, cl, vector::CombiningKind::OR,
                                          closes))
                                    : closes;
                            return {
                                writeChunk(e, next.outer, acc[0], off, mask),
                                writeChunk(e, next.group, acc[1], off, mask),
                                writeChunk(e, next.count, acc[2], off, mask),
                                arith::OrIOp::create(cb, cl, acc[3], any)};
                          });
                      scf::YieldOp::create(rb, rl, res);
                    });
                Value closed = rowsLoop.getResult(3);
                Value outer = rowsLoop.getResult(0);
                auto update = scf::IfOp::create(
                    kb, kl, closed,
                    [&](OpBuilder &ub, Location ul) {
                      Value zero = arith::ConstantOp::create(
                          ub, ul, ub.getF64FloatAttr(0.0));
                      auto sum = scf::ForOp::create(
                          ub, ul, c0, mn, c1, ValueRange{zero},
                          [&](OpBuilder &sb, Location sl, Value j,
                              ValueRange it) {
                            Value po = arith::ExtFOp::create(
                                sb, sl, sb.getF64Type(),
                                tensor::ExtractOp::create(sb, sl, outer, j)
                                    .getResult());
                            scf::YieldOp::create(
                                sb, sl,
                                ValueRange{arith::AddFOp::create(
                                    sb, sl, it[0],
                                    math::AbsFOp::create(sb, sl, po))});
                          });
                      Value count = arith::UIToFPOp::create(
                          ub, ul, ub.getF64Type(),
                          arith::IndexCastUIOp::create(ub, ul, ub.getI64Type(),
                                                       mn));
                      Value mean = arith::DivFOp::create(
                          ub, ul, sum.getResult(0), count);
                      Value t = arith::MulFOp::create(
                          ub, ul, mean,
                          arith::ConstantOp::create(
                              ub, ul,
                              ub.getF64FloatAttr(
                                  std::ldexp(1.0, -spec.shiftC))));
                      scf::YieldOp::create(ub, ul, ValueRange{t});
                    },
                    [&](OpBuilder &ub, Location ul) {
                      scf::YieldOp::create(ub, ul, ValueRange{sharedT});
                    });
                scf::YieldOp::create(kb, kl,
                                     ValueRange{outer, rowsLoop.getResult(1),
                                                rowsLoop.getResult(2),
                                                update.getResult(0)});
              });
          // Finish: O(P_O + P_G) for every output of this batch.
          Value base = arith::MulIOp::create(bb, bl, bat, mn);
          Value written = forEachChunk(
              bb, bl, c0, mn, lanes, Value(), bit[0],
              [&](OpBuilder &cb, Location cl, Value off, Value mask, Value,
                  Value acc) -> Value {
                ElementBuilder e(cb, cl, lanes);
                Value o = readChunk(e, steps.getResult(0), off, mask);
                Value g = readChunk(e, steps.getResult(1), off, mask);
                Value r = canonicalNaN(
                    e, emitAddRounded(e, spec.outerFormat(), toF64(e, o),
                                      toF64(e, g), spec.rounding));
                return writeChunk(
                    e, r, acc, arith::AddIOp::create(cb, cl, base, off), mask);
              });
          scf::YieldOp::create(bb, bl, written);
        });
    return batches.getResult(0);
  }

  QTrainToVectorOptions options;
};
} // namespace

void populateQTrainMatmulToVectorPatterns(
    RewritePatternSet &patterns, const QTrainToVectorOptions &options) {
  patterns.add<MatmulLowering>(patterns.getContext(), options);
}

} // namespace qtrain
