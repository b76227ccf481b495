//===- FastAccumulation.cpp - Emulated accumulation in f32 lanes ----------===//
//
// See FastAccumulation.h. docs/CPULowering.md ("The f32 fast path" under
// "Matmul") derives why each check below suffices.
//
//===----------------------------------------------------------------------===//

#include "FastAccumulation.h"

#include "ElementCodegen.h"
#include "LoopCodegen.h"

#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

#include "llvm/ADT/bit.h"

#include <algorithm>
#include <cmath>
#include <limits>

using namespace mlir;
namespace nx = qtrain::numerics;

namespace qtrain::lowering {

bool isF32(const nx::MinifloatFormat &f) { return f == nx::MinifloatFormat(); }

bool isFmaChain(const nx::AccumulationSpec &s) {
  return !s.product && !s.fixedPoint && isF32(s.accumulator) &&
         isF32(s.outerFormat()) &&
         s.rounding == nx::RoundingMode::NearestEven &&
         (s.grouping == nx::Grouping::None ||
          s.grouping == nx::Grouping::Static);
}

namespace {

/// Whether emitRoundFast rounds to f: its values and largest magic
/// constant are f32 normals, zeros are signed, and Fast2Sum's bound leaves
/// operands at least one bit (m <= 20).
bool hasFastRounding(const nx::MinifloatFormat &f) {
  if (isF32(f))
    return true;
  const int m = static_cast<int>(f.mantissaBits);
  SpecialValueBits v = specialValueBits(f);
  return m <= 20 && f.subnormals && f.minNormalExponent() - m >= -126 &&
         f.maxExponent() + 23 - m <= 126 && v.zero[0] == 0u &&
         v.zero[1] == 0x80000000u;
}

/// The significant bits of a value of f (24 for f32).
int significantBits(const nx::MinifloatFormat &f) {
  return static_cast<int>(f.mantissaBits) + 1;
}

} // namespace

bool hasFastPath(const nx::AccumulationSpec &s) {
  if (isFmaChain(s) || s.product || s.fixedPoint ||
      s.rounding != nx::RoundingMode::NearestEven ||
      !hasFastRounding(s.accumulator) || !hasFastRounding(s.outerFormat()))
    return false;
  // A group's value, added to P_O, is the Fast2Sum operand of at most
  // 22 - m bits (m of the outer format).
  const nx::MinifloatFormat &o = s.outerFormat();
  if (s.grouping != nx::Grouping::None && !isF32(o) &&
      significantBits(s.accumulator) > 22 - static_cast<int>(o.mantissaBits))
    return false;
  switch (s.grouping) {
  case nx::Grouping::None:
  case nx::Grouping::Static:
    return true;
  case nx::Grouping::EfficientDGA:
    return !s.sharedThreshold &&
           static_cast<double>(static_cast<float>(s.initialThreshold)) ==
               s.initialThreshold;
  case nx::Grouping::IdealDGA:
    return false;
  }
  return false;
}

bool dgaComparesOuter(const nx::AccumulationSpec &s) {
  const nx::MinifloatFormat &g = s.accumulator;
  if (s.grouping != nx::Grouping::EfficientDGA || s.sharedThreshold ||
      s.fixedPoint || !(g == s.outerFormat()))
    return false;
  // 2^-c |P_O| exact for P_O's quantum (or beyond f32's range, where the
  // comparison keeps its outcome).
  return g.minNormalExponent() - static_cast<int>(g.mantissaBits) - s.shiftC >=
         -149;
}

unsigned fastOperandBits(const nx::AccumulationSpec &s) {
  if (isF32(s.accumulator))
    return 12;
  return (22 - s.accumulator.mantissaBits) / 2;
}

OperandCheck emitOperandCheck(OpBuilder &b, Location loc, Value flat,
                              Value count, int64_t lanes, unsigned bits) {
  ElementBuilder eb(b, loc, lanes);
  // At most `bits` significant bits: the low 24 - bits bits of the
  // significand are zero.
  const uint32_t lowBits = (1u << (24 - bits)) - 1;
  Value c0 = arith::ConstantIndexOp::create(b, loc, 0);
  SmallVector<Value> results = forEachChunkN(
      b, loc, c0, count, lanes, Value(), {eb.bit(false), eb.s32(1000)},
      [&](OpBuilder &cb, Location cl, Value off, Value mask, Value,
          ValueRange acc) -> SmallVector<Value> {
        ElementBuilder e(cb, cl, lanes);
        Type i32 = cb.getI32Type();
        Value bits = e.bitcast(i32, readChunk(e, flat, off, mask));
        Value abs = e.band(bits, e.u32(0x7fffffffu));
        Value exponent = e.lshr(abs, e.u32(23));
        Value zero = e.eq(abs, e.u32(0));
        Value fits = e.land(e.land(e.uge(exponent, e.u32(127 - 62)),
                                   e.ule(exponent, e.u32(127 + 62))),
                            e.eq(e.band(abs, e.u32(lowBits)), e.u32(0)));
        Value bad = e.lor(acc[0], e.lnot(e.lor(zero, fits)));
        // The lowest set bit of the significand S (S & -S, a power of two
        // that converts exactly), at exponent - 23 + log2 of it.
        Value sig = e.bor(e.band(abs, e.u32(0x7fffffu)), e.u32(0x800000u));
        Value low = e.band(sig, e.sub(e.u32(0), sig));
        Value lowLog = e.sub(e.lshr(e.bitcast(i32, arith::SIToFPOp::create(
                                                       cb, cl, e.f32(), low)),
                                    e.u32(23)),
                             e.u32(127));
        Value lowest = e.add(e.sub(exponent, e.u32(127 + 23)), lowLog);
        lowest = e.select(zero, e.s32(1000), lowest);
        return {bad, e.smin(acc[1], lowest)};
      });
  Value bad = results[0], lowest = results[1];
  if (lanes) {
    bad = vector::ReductionOp::create(b, loc, vector::CombiningKind::OR, bad);
    lowest = vector::ReductionOp::create(b, loc, vector::CombiningKind::MINSI,
                                         lowest);
  }
  Value fits = arith::XOrIOp::create(
      b, loc, bad, arith::ConstantIntOp::create(b, loc, 1, 1));
  return {fits, lowest};
}

Value emitProductsOnGrid(OpBuilder &b, Location loc, const OperandCheck &a,
                         const OperandCheck &bm,
                         const nx::AccumulationSpec &s) {
  // The finest quantum of the rounded-to minifloats (f32 adds round in
  // hardware).
  int quantum = -1000;
  for (const nx::MinifloatFormat *f : {&s.accumulator, &s.outerFormat()})
    if (!isF32(*f))
      quantum = std::max(quantum, f->minNormalExponent() -
                                      static_cast<int>(f->mantissaBits));
  ElementBuilder eb(b, loc, 0);
  Value lowest = eb.add(a.lowestBit, bm.lowestBit);
  return eb.land(eb.land(a.fits, bm.fits), eb.sge(lowest, eb.s32(quantum)));
}

FastCheck FastCheck::initial(const ElementBuilder &eb) {
  return {eb.u32(0), eb.u32(0)};
}

std::pair<Value, Value> emitRoundFast(const ElementBuilder &eb,
                                      const nx::MinifloatFormat &f, Value s) {
  OpBuilder &b = eb.builder();
  Location loc = eb.location();
  Type i32 = b.getI32Type();
  const int m = static_cast<int>(f.mantissaBits);
  // C = 2^(E + 23 - m), E = max(floor(log2 |s|), emin): |s| + C lies in
  // C's binade, whose ulp 2^(E - m) is f's quantum at |s|, so the
  // hardware's nearest-even add rounds |s| as f does (ties to the even
  // multiple of the quantum), and subtracting C is exact. The magnitudes
  // are compared as integers (a NaN's bits are above all others'; a float
  // max could drop it).
  Value magnitude = eb.band(eb.bitcast(i32, s), eb.u32(0x7fffffffu));
  Value floor = arith::MaxUIOp::create(
      b, loc, magnitude, eb.u32(uint32_t(f.minNormalExponent() + 127) << 23));
  Value c =
      eb.bitcast(b.getF32Type(), eb.add(eb.band(floor, eb.u32(0x7f800000u)),
                                        eb.u32(uint32_t(23 - m) << 23)));
  Value t = arith::SubFOp::create(
      b, loc,
      arith::AddFOp::create(b, loc, eb.bitcast(b.getF32Type(), magnitude), c),
      c);
  // With s's sign, also for a zero result.
  return {math::CopySignOp::create(b, loc, t, s), magnitude};
}

std::pair<Value, Value> emitRoundOnGrid(const ElementBuilder &eb,
                                        const nx::MinifloatFormat &f, Value s) {
  OpBuilder &b = eb.builder();
  Location loc = eb.location();
  // gamma - (gamma - s) rather than gamma + (s - gamma): the same value,
  // and -0 for s = -0.
  Value gamma = arith::MulFOp::create(
      b, loc, s,
      eb.f32c(std::ldexp(1.0f, 23 - static_cast<int>(f.mantissaBits)) + 1));
  Value rounded = arith::SubFOp::create(
      b, loc, gamma, arith::SubFOp::create(b, loc, gamma, s));
  Value magnitude = eb.band(eb.bitcast(b.getI32Type(), s), eb.u32(0x7fffffffu));
  return {rounded, magnitude};
}

FastSum emitAddFast(const ElementBuilder &eb, const nx::MinifloatFormat &f,
                    Value acc, Value x, Value y, bool onGrid, Value sum) {
  OpBuilder &b = eb.builder();
  Location loc = eb.location();
  Type i32 = b.getI32Type();
  // s = RN32(acc + p) with p = x * y exact, and Fast2Sum's error
  // acc - RN32(s - p) as acc + RN32(p - s) (+0 exactly when s is exact).
  Value s = sum ? sum
            : y ? Value(math::FmaOp::create(b, loc, x, y, acc))
                : Value(arith::AddFOp::create(b, loc, acc, x));
  if (isF32(f)) {
    // The hardware's add is the correctly rounded one; s - s is NaN (non-
    // zero bits) for an infinite or NaN sum.
    return {s, eb.bitcast(i32, arith::SubFOp::create(b, loc, s, s)), Value()};
  }
  Value z = y ? Value(math::FmaOp::create(b, loc, x, y,
                                          arith::NegFOp::create(b, loc, s)))
              : Value(arith::SubFOp::create(b, loc, x, s));
  Value error = arith::AddFOp::create(b, loc, acc, z);
  auto [value, magnitude] =
      onGrid ? emitRoundOnGrid(eb, f, s) : emitRoundFast(eb, f, s);
  return {value, eb.bitcast(i32, error), magnitude};
}

namespace {
/// Half of f's quantum at the f32 magnitude bits `magnitude` (emitRoundFast's
/// constant times 2^-24; a normal or subnormal f32, exact).
Value halfQuantum(const ElementBuilder &eb, const nx::MinifloatFormat &f,
                  Value magnitude) {
  OpBuilder &b = eb.builder();
  const int m = static_cast<int>(f.mantissaBits);
  Value floor = arith::MaxUIOp::create(
      b, eb.location(), magnitude,
      eb.u32(uint32_t(f.minNormalExponent() + 127) << 23));
  Value c =
      eb.bitcast(b.getF32Type(), eb.add(eb.band(floor, eb.u32(0x7f800000u)),
                                        eb.u32(uint32_t(23 - m) << 23)));
  return arith::MulFOp::create(b, eb.location(), c, eb.f32c(0x1p-24f));
}
} // namespace

MidpointSum emitAddMidpointChecked(const ElementBuilder &eb,
                                   const nx::MinifloatFormat &f, Value acc,
                                   Value x, Value y, Value sum) {
  OpBuilder &b = eb.builder();
  Location loc = eb.location();
  MidpointSum ms;
  ms.acc = acc;
  ms.x = x;
  ms.y = y;
  ms.sum = sum ? sum : math::FmaOp::create(b, loc, x, y, acc).getResult();
  std::tie(ms.value, ms.magnitude) = emitRoundFast(eb, f, ms.sum);
  // |s| - |RN_f(s)| is exact; s is a midpoint when it is half a quantum.
  Value residual =
      arith::SubFOp::create(b, loc, math::AbsFOp::create(b, loc, ms.sum),
                            math::AbsFOp::create(b, loc, ms.value));
  ms.midpoint = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ,
                                      math::AbsFOp::create(b, loc, residual),
                                      halfQuantum(eb, f, ms.magnitude));
  return ms;
}

Value emitMidpointFix(const ElementBuilder &eb, const nx::MinifloatFormat &f,
                      const MidpointSum &ms) {
  OpBuilder &b = eb.builder();
  Location loc = eb.location();
  auto wide = [&](Value v) {
    return arith::ExtFOp::create(b, loc, eb.f64(), v).getResult();
  };
  // The exact sum is sigma + tau (the product is exact in f64, TwoSum's
  // error too). sigma - s is exact (the two are within an f32 ulp), and
  // the sign of (sigma - s) + tau is the side of the exact sum: when the
  // two terms nearly cancel the f64 add is exact, otherwise the larger
  // one's sign survives the rounding.
  auto [sigma, tau] = emitTwoSum(
      eb, wide(ms.acc), arith::MulFOp::create(b, loc, wide(ms.x), wide(ms.y)));
  Value side = arith::AddFOp::create(
      b, loc, arith::SubFOp::create(b, loc, sigma, wide(ms.sum)), tau);
  Value zero = eb.f64c(0.0);
  Value above =
      arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT, side, zero);
  Value below =
      arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OLT, side, zero);
  // The neighbours s +- half a quantum are exact, with s's sign (a zero
  // result keeps the sign of the sum it rounds).
  Value half = halfQuantum(eb, f, ms.magnitude);
  auto withSign = [&](Value v) {
    return math::CopySignOp::create(b, loc, v, ms.sum).getResult();
  };
  Value up = withSign(arith::AddFOp::create(b, loc, ms.sum, half));
  Value down = withSign(arith::SubFOp::create(b, loc, ms.sum, half));
  Value fixed = eb.select(eb.land(ms.midpoint, below), down, ms.value);
  return eb.select(eb.land(ms.midpoint, above), up, fixed);
}

bool addOfValuesNeedsNoTest(const nx::MinifloatFormat &f) {
  return !isF32(f) && f.mantissaBits <= 10;
}

FastSum emitAddOfValues(const ElementBuilder &eb, const nx::MinifloatFormat &f,
                        Value a, Value b, bool onGrid) {
  assert(addOfValuesNeedsNoTest(f) && "the sum may need its exactness test");
  Value s = arith::AddFOp::create(eb.builder(), eb.location(), a, b);
  auto [value, magnitude] =
      onGrid ? emitRoundOnGrid(eb, f, s) : emitRoundFast(eb, f, s);
  return {value, Value(), magnitude};
}

FastCheck addToCheck(const ElementBuilder &eb, const FastCheck &check,
                     const FastSum &sum, Value where) {
  OpBuilder &b = eb.builder();
  FastCheck next = check;
  if (sum.errorBits) {
    Value error =
        where ? eb.select(where, sum.errorBits, eb.u32(0)) : sum.errorBits;
    next.errorBits = eb.bor(check.errorBits, error);
  }
  if (sum.magnitude) {
    Value magnitude =
        where ? eb.select(where, sum.magnitude, eb.u32(0)) : sum.magnitude;
    next.maxMagnitude =
        arith::MaxUIOp::create(b, eb.location(), check.maxMagnitude, magnitude);
  }
  return next;
}

Value emitCheckFails(const ElementBuilder &eb, const FastCheck &check,
                     float limit) {
  OpBuilder &b = eb.builder();
  Location loc = eb.location();
  Value error = check.errorBits, magnitude = check.maxMagnitude;
  if (eb.laneCount()) {
    error =
        vector::ReductionOp::create(b, loc, vector::CombiningKind::OR, error);
    magnitude = vector::ReductionOp::create(
        b, loc, vector::CombiningKind::MAXUI, magnitude);
  }
  ElementBuilder scalar(b, loc, 0);
  Value inexact = scalar.ne(error, scalar.u32(0));
  Value beyond =
      scalar.ugt(magnitude, scalar.u32(llvm::bit_cast<uint32_t>(limit)));
  return scalar.lor(inexact, beyond);
}

float fastMagnitudeLimit(const nx::AccumulationSpec &s) {
  auto limit = [](const nx::MinifloatFormat &f) {
    return isF32(f) ? std::numeric_limits<float>::max()
                    : llvm::bit_cast<float>(specialValueBits(f).maxFinite);
  };
  return std::min(limit(s.accumulator), limit(s.outerFormat()));
}

} // namespace qtrain::lowering
