//===- ScaleCodegen.cpp - Scale rules as arith code -----------------------===//

#include "ScaleCodegen.h"

#include "ElementCodegen.h"

#include "llvm/ADT/bit.h"

#include <limits>

using namespace mlir;
namespace nx = qtrain::numerics;

namespace qtrain::lowering {

bool canHoldNaN(const nx::ScaleFormat &f) {
  return f.kind == nx::ScaleKind::F32 || f.hasNaN;
}

namespace {

Value f32NaN(const ElementBuilder &eb) {
  return eb.f32c(std::numeric_limits<float>::quiet_NaN());
}

/// decodeScale of an i32 code of a power-of-two format.
Value decodeScaleCode(const ElementBuilder &eb, const nx::ScaleFormat &f,
                      Value code) {
  Value value = emitPow2(eb, eb.sub(code, eb.s32(f.bias)));
  if (!f.hasNaN)
    return value;
  return eb.select(eb.eq(code, eb.u32(f.nanCode())), f32NaN(eb), value);
}

/// exponentScale: 2^e in the format, e clamped to its range.
Value exponentScale(const ElementBuilder &eb, const nx::ScaleFormat &f,
                    Value e) {
  if (f.kind == nx::ScaleKind::F32)
    return emitPow2(eb, eb.smin(eb.smax(e, eb.s32(-149)), eb.s32(127)));
  Value clamped =
      eb.smin(eb.smax(e, eb.s32(f.minExponent())), eb.s32(f.maxExponent()));
  return decodeScaleCode(eb, f, eb.add(clamped, eb.s32(f.bias)));
}

Value unitScale(const ElementBuilder &eb, const nx::ScaleFormat &f) {
  return exponentScale(eb, f, eb.s32(0));
}

/// The significand of a finite non-zero f32 normalised to 24 bits
/// (2^23 <= result < 2^24), so that two such values compare like x / 2^top.
Value normalizedSignificand(const ElementBuilder &eb, const F32Fields &p) {
  Value width = eb.sub(p.top, p.exp); // floorLog2(sig)
  Value amount =
      eb.smin(eb.smax(eb.sub(eb.s32(23), width), eb.s32(0)), eb.s32(31));
  return eb.shl(p.sig, amount);
}

} // namespace

Value emitScaleFromAmax(const ElementBuilder &eb, const nx::ScaleLevel &level,
                        const nx::ElementFormat &element, Value amax) {
  const nx::ScaleFormat &f = level.format;
  OpBuilder &b = eb.builder();
  Location loc = eb.location();
  F32Fields a = splitF32(eb, amax);
  Value nonFinite = eb.lor(a.isNaN, a.isInf);
  Value special = canHoldNaN(f) ? f32NaN(eb) : unitScale(eb, f);
  Value scale;
  switch (level.rule) {
  case nx::ScaleRule::SharedExponent: {
    Value zero = f.kind == nx::ScaleKind::PowerOfTwo
                     ? decodeScaleCode(eb, f, eb.u32(0))
                     : eb.f32c(1.0f);
    Value s =
        exponentScale(eb, f, eb.sub(a.top, eb.s32(element.maxExponent())));
    scale = eb.select(a.isZero, zero, s);
    break;
  }
  case nx::ScaleRule::AmaxToMax: {
    float maxValue = element.maxValue();
    Value s;
    if (f.kind == nx::ScaleKind::F32) {
      // ldexp(RN(amax / maxValue), margin): one rounding of the division,
      // then an exact (or correctly rounded) scaling by 2^margin.
      Value q = arith::DivFOp::create(b, loc, amax, eb.f32c(maxValue));
      s = arith::MulFOp::create(b, loc, q,
                                eb.f32c(std::ldexp(1.0f, level.margin)));
      s = arith::MaximumFOp::create(
          b, loc, s, eb.f32c(std::numeric_limits<float>::denorm_min()));
      s = arith::MinimumFOp::create(b, loc, s,
                                    eb.f32c(std::numeric_limits<float>::max()));
      // One f32 step up when the amax element's residual exceeds its target.
      Value residual = arith::DivFOp::create(b, loc, amax, s);
      Value over =
          arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT, residual,
                                eb.f32c(std::ldexp(maxValue, -level.margin)));
      Value below =
          arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OLT, s,
                                eb.f32c(std::numeric_limits<float>::max()));
      Value up = eb.bitcast(b.getF32Type(),
                            eb.add(eb.bitcast(b.getI32Type(), s), eb.u32(1)));
      s = eb.select(eb.land(over, below), up, s);
    } else {
      // The smallest k with maxValue * 2^k >= amax * 2^margin: the
      // exponents' difference, plus one when amax's significand exceeds
      // maxValue's.
      F32Fields m =
          splitF32(ElementBuilder(b, loc, eb.laneCount()), eb.f32c(maxValue));
      Value k = eb.add(eb.sub(a.top, m.top), eb.s32(level.margin));
      Value larger =
          eb.ugt(normalizedSignificand(eb, a), normalizedSignificand(eb, m));
      k = eb.add(k, eb.zext(b.getI32Type(), larger));
      s = exponentScale(eb, f, k);
    }
    scale = eb.select(a.isZero, unitScale(eb, f), s);
    break;
  }
  case nx::ScaleRule::MedianLookup:
  case nx::ScaleRule::Given:
    llvm_unreachable("rule does not read amax");
  }
  return eb.select(nonFinite, special, scale);
}

Value emitScaleFromMedian(const ElementBuilder &eb, const nx::ScaleLevel &level,
                          Value median) {
  F32Fields m = splitF32(eb, median);
  Value upper = emitInUpperHalfOctave(eb, m);
  Value p = eb.add(m.top, eb.zext(eb.builder().getI32Type(), upper));
  Value s =
      exponentScale(eb, level.format, eb.sub(p, eb.s32(level.medianExponent)));
  Value unit = eb.lor(eb.lor(m.isZero, m.isNaN), m.isInf);
  return eb.select(unit, unitScale(eb, level.format), s);
}

Value emitToScaleFormat(const ElementBuilder &eb, const nx::ScaleFormat &f,
                        Value scale) {
  F32Fields p = splitF32(eb, scale);
  // Zero, negative, infinite and NaN scales are invalid: NaN.
  Value invalid =
      eb.lor(eb.lor(p.isNaN, p.isInf), eb.lor(p.isZero, p.negative));
  if (f.kind == nx::ScaleKind::F32)
    return eb.select(invalid, f32NaN(eb), scale);
  // encodeScale(scale, up), then decodeScale.
  uint32_t nan = f.hasNaN ? f.nanCode() : 0;
  // Bits below the leading one (floorLog2(sig) of them) make it inexact.
  Value width = eb.smin(eb.smax(eb.sub(p.top, p.exp), eb.s32(0)), eb.s32(31));
  Value below = eb.sub(eb.shl(eb.u32(1), width), eb.u32(1));
  Value inexact = eb.ne(eb.band(p.sig, below), eb.u32(0));
  Value e = eb.add(p.top, eb.zext(eb.builder().getI32Type(), inexact));
  Value code = eb.add(e, eb.s32(f.bias));
  code = eb.select(eb.slt(e, eb.s32(f.minExponent())), eb.u32(0), code);
  Value over = f.hasNaN ? eb.u32(nan) : eb.u32(f.maxExponent() + f.bias);
  code = eb.select(eb.sgt(e, eb.s32(f.maxExponent())), over, code);
  code = eb.select(invalid, eb.u32(nan), code);
  return decodeScaleCode(eb, f, code);
}

Value emitScaleValue(const ElementBuilder &eb, const nx::ScaleFormat &f,
                     Value code) {
  if (f.kind == nx::ScaleKind::F32)
    return eb.bitcast(eb.builder().getF32Type(), code);
  return decodeScaleCode(eb, f, code);
}

Value emitScaleCode(const ElementBuilder &eb, const nx::ScaleFormat &f,
                    Value scale) {
  OpBuilder &b = eb.builder();
  if (f.kind == nx::ScaleKind::F32)
    return eb.bitcast(b.getI32Type(), scale);
  F32Fields p = splitF32(eb, scale);
  Value code = eb.add(p.top, eb.s32(f.bias));
  if (f.hasNaN)
    code = eb.select(p.isNaN, eb.u32(f.nanCode()), code);
  return code;
}

} // namespace qtrain::lowering
