//===- ElementCodegen.cpp - Element encoders as arith code ----------------===//

#include "ElementCodegen.h"

#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/TypeUtilities.h"

#include <cmath>
#include <limits>

using namespace mlir;
namespace nx = qtrain::numerics;

namespace qtrain::lowering {

Value ElementBuilder::splat(Value scalar) const {
  if (!lanes)
    return scalar;
  return vector::BroadcastOp::create(
      b, loc, VectorType::get({lanes}, scalar.getType()), scalar);
}

namespace {

/// An integer constant of `elem` (i32 or i64) splatted to the shape.
Value intConst(const ElementBuilder &eb, Type elem, uint64_t v) {
  return elem.isInteger(64) ? eb.u64(v) : eb.u32(v);
}

} // namespace

Value emitRoundShifted(const ElementBuilder &eb, Value sig, Value shift,
                       Value negative, const nx::Rounding &r, Value random) {
  OpBuilder &b = eb.builder();
  Type t = getElementTypeOrSelf(sig.getType());
  unsigned width = t.getIntOrFloatBitWidth();
  auto c = [&](uint64_t v) { return intConst(eb, t, v); };
  // Amounts are clamped to [1, width - 1]: sig is below 2^(width - 2), so a
  // larger shift already keeps 0 and discards all of sig, and the clamp
  // changes nothing.
  Value s = eb.smin(eb.smax(shift, eb.s32(1)), eb.s32(width - 1));
  Value sc = width == 64 ? eb.zext(b.getI64Type(), s) : s;
  Value kept = eb.lshr(sig, sc);
  Value rem = eb.band(sig, eb.sub(eb.shl(c(1), sc), c(1)));
  Value half = eb.shl(c(1), eb.sub(sc, c(1)));
  Value remNonZero = eb.ne(rem, c(0));
  Value inc;
  switch (r.mode) {
  case nx::RoundingMode::NearestEven:
    inc = eb.lor(eb.ugt(rem, half),
                 eb.land(eb.eq(rem, half), eb.ne(eb.band(kept, c(1)), c(0))));
    break;
  case nx::RoundingMode::NearestAway:
    inc = eb.uge(rem, half);
    break;
  case nx::RoundingMode::TowardZero:
    inc = eb.bit(false);
    break;
  case nx::RoundingMode::Up:
    inc = eb.land(eb.lnot(negative), remNonZero);
    break;
  case nx::RoundingMode::Down:
    inc = eb.land(negative, remNonZero);
    break;
  case nx::RoundingMode::Stochastic: {
    // d: the top kd bits of the discarded field (zero-extended on the right
    // when the field is narrower than kd). Large shifts give 0 because rem
    // is below 2^(width - 2). The k random bits sit at the top of a kd-bit
    // number whose lower bits are 100..0.
    int k = static_cast<int>(r.roundingBits());
    int kr = static_cast<int>(r.randomBits);
    if (k > kr) {
      random = eb.bor(eb.shl(random, eb.u32(k - kr)),
                      eb.u32(uint32_t(1) << (k - kr - 1)));
    }
    Value kc = eb.s32(k);
    auto amount = [&](Value v) {
      Value a = eb.smin(eb.smax(v, eb.s32(0)), eb.s32(width - 1));
      return width == 64 ? eb.zext(b.getI64Type(), a) : a;
    };
    Value d =
        eb.select(eb.sge(shift, kc), eb.lshr(rem, amount(eb.sub(shift, kc))),
                  eb.shl(rem, amount(eb.sub(kc, shift))));
    if (width == 64)
      d = eb.trunc(b.getI32Type(), d);
    if (r.variant == nx::StochasticVariant::Compare)
      inc = eb.ult(random, d);
    else
      inc = eb.uge(eb.add(random, d), eb.u32(uint64_t(1) << k));
    break;
  }
  }
  if (width == 64)
    kept = eb.trunc(b.getI32Type(), kept);
  return eb.add(kept, eb.zext(b.getI32Type(), inc));
}

Value emitInUpperHalfOctave(const ElementBuilder &eb, const F32Fields &p) {
  Value width = eb.sub(p.top, p.exp); // floorLog2(sig)
  Value below =
      eb.smin(eb.smax(eb.sub(width, eb.s32(1)), eb.s32(0)), eb.s32(31));
  return eb.land(eb.sgt(width, eb.s32(0)),
                 eb.ne(eb.band(eb.lshr(p.sig, below), eb.u32(1)), eb.u32(0)));
}

F32Fields splitF32(const ElementBuilder &eb, Value x, bool subnormalTop) {
  F32Fields p;
  Value bits = eb.bitcast(eb.builder().getI32Type(), x);
  p.signBit = eb.lshr(bits, eb.u32(31));
  p.negative = eb.ne(p.signBit, eb.u32(0));
  p.abs = eb.band(bits, eb.u32(0x7fffffff));
  p.isNaN = eb.ugt(p.abs, eb.u32(0x7f800000));
  p.isInf = eb.eq(p.abs, eb.u32(0x7f800000));
  p.isZero = eb.eq(p.abs, eb.u32(0));
  Value field = eb.lshr(p.abs, eb.u32(23));
  Value fraction = eb.band(p.abs, eb.u32(0x7fffff));
  Value subnormal = eb.eq(field, eb.u32(0));
  p.sig = eb.select(subnormal, fraction, eb.bor(fraction, eb.u32(0x800000)));
  p.exp = eb.select(subnormal, eb.s32(-149), eb.sub(field, eb.u32(150)));
  // floorLog2. Callers that do not need it below f32's normal range get
  // -127 there (every f32 subnormal is below 2^-126).
  if (!subnormalTop) {
    p.top = eb.sub(field, eb.u32(127));
    return p;
  }
  // An f32 subnormal's leading one is read off the exponent of the fraction
  // converted to f32 (exact below 2^24): targets without a vector
  // count-leading-zeros (AVX2) would expand ctlz into a dozen instructions.
  // A zero fraction gives -150, as 31 - clz(0) - 149 did.
  Value asFloat =
      arith::SIToFPOp::create(eb.builder(), eb.location(), eb.f32(), fraction);
  Value fractionLog2 = eb.sub(
      eb.lshr(eb.bitcast(eb.builder().getI32Type(), asFloat), eb.u32(23)),
      eb.s32(127 + 149));
  p.top = eb.select(subnormal, eb.smax(fractionLog2, eb.s32(-150)),
                    eb.sub(field, eb.u32(127)));
  return p;
}

namespace {

/// The code constant `pos` or `neg` by the sign.
Value bySign(const ElementBuilder &eb, Value negative, uint32_t pos,
             uint32_t neg) {
  if (pos == neg)
    return eb.u32(pos);
  return eb.select(negative, eb.u32(neg), eb.u32(pos));
}

/// The code of a finite value that overflows the format: for
/// non-saturating policies IEEE's rule by the rounding direction (a
/// rounding toward zero gives the largest finite value).
Value emitOverflowCode(const ElementBuilder &eb, const nx::MinifloatFormat &f,
                       Value negative, const nx::Rounding &r) {
  Value big = bySign(eb, negative, f.overflowCode(false), f.overflowCode(true));
  if (f.overflow == nx::OverflowPolicy::Saturate)
    return big;
  Value towardZero;
  switch (r.mode) {
  case nx::RoundingMode::TowardZero:
    towardZero = eb.bit(true);
    break;
  case nx::RoundingMode::Up:
    towardZero = negative;
    break;
  case nx::RoundingMode::Down:
    towardZero = eb.lnot(negative);
    break;
  default:
    return big;
  }
  Value maxCode = eb.bor(eb.select(negative, eb.u32(f.signBit()), eb.u32(0)),
                         eb.u32(f.maxFiniteMagnitude()));
  return eb.select(towardZero, maxCode, big);
}

/// encodeFinite: the exact value (-1)^negative * sig * 2^exp (sig in i32
/// lanes below 2^24 or i64 lanes below 2^62, top = floorLog2 of the value)
/// to a code, with the flush, overflow and zero rules of the format.
Value emitEncodeFinite(const ElementBuilder &eb, const nx::MinifloatFormat &f,
                       Value negative, Value sig, Value exp, Value top,
                       const nx::Rounding &r, Value random, Value zeroCode) {
  OpBuilder &b = eb.builder();
  const int m = static_cast<int>(f.mantissaBits);
  const int emin = f.minNormalExponent();
  const uint32_t signBit = f.signBit();
  const uint32_t maxMag = f.maxFiniteMagnitude();
  Value signCode = eb.select(negative, eb.u32(signBit), eb.u32(0));

  // The step of the binade, the rounded count of steps, and the magnitude
  // code with the carry running into the exponent field.
  Value q = eb.sub(eb.smax(top, eb.s32(emin)), eb.s32(m));
  Value shift = eb.sub(q, exp); // >= 0 for f32 and f64 inputs
  Value rounded = emitRoundShifted(eb, sig, shift, negative, r, random);
  Value exact = getElementTypeOrSelf(sig.getType()).isInteger(64)
                    ? eb.trunc(b.getI32Type(), sig)
                    : sig;
  Value kept = eb.select(eb.eq(shift, eb.u32(0)), exact, rounded);
  Value mag = eb.add(eb.shl(eb.sub(q, eb.s32(emin - m)), eb.u32(m)), kept);

  // Overflow: saturate, or IEEE's rule by the rounding direction.
  Value overflowCode = emitOverflowCode(eb, f, negative, r);
  Value finite =
      eb.select(eb.eq(mag, eb.u32(0)), zeroCode, eb.bor(signCode, mag));
  finite = eb.select(eb.ugt(mag, eb.u32(maxMag)), overflowCode, finite);
  if (!f.subnormals) // flush before rounding
    finite = eb.select(eb.slt(top, eb.s32(emin)), zeroCode, finite);
  return finite;
}

/// The codes of the special inputs, one constant per sign (the library's).
struct SpecialCodes {
  Value nan, inf, zero;
};
SpecialCodes specialCodes(const ElementBuilder &eb,
                          const nx::MinifloatFormat &f, Value negative) {
  float inf = std::numeric_limits<float>::infinity();
  float nan = std::numeric_limits<float>::quiet_NaN();
  nx::Rounding ne;
  return {
      bySign(eb, negative, nx::encode(f, nan, ne), nx::encode(f, -nan, ne)),
      bySign(eb, negative, nx::encode(f, inf, ne), nx::encode(f, -inf, ne)),
      bySign(eb, negative, nx::encode(f, 0.0f, ne), nx::encode(f, -0.0f, ne))};
}

/// What both fast paths read off f32 lanes: sign, |x| bits, the special
/// inputs, and whether |x| is below the format's smallest normal.
struct FastLanes {
  Value negative, abs, isNaN, isInf, small;
};
FastLanes splitFastLanes(const ElementBuilder &eb, const nx::MinifloatFormat &f,
                         Value x) {
  FastLanes p;
  Value bits = eb.bitcast(eb.builder().getI32Type(), x);
  p.negative = eb.slt(bits, eb.s32(0));
  p.abs = eb.band(bits, eb.u32(0x7fffffff));
  p.isNaN = eb.ugt(p.abs, eb.u32(0x7f800000));
  p.isInf = eb.eq(p.abs, eb.u32(0x7f800000));
  p.small = eb.ult(
      p.abs, eb.u32(static_cast<uint32_t>(f.minNormalExponent() + 127) << 23));
  return p;
}

/// The code of a fast path's rounded magnitude: the normal range's f32 bits
/// rebiased to the format (`smallMag` below its smallest normal), with the
/// zero, overflow and special codes.
Value finishFastCode(const ElementBuilder &eb, const nx::MinifloatFormat &f,
                     Value negative, Value isNaN, Value isInf, Value small,
                     Value roundedBits, Value smallMag, Value overflowCode) {
  const int m = static_cast<int>(f.mantissaBits);
  SpecialCodes sp = specialCodes(eb, f, negative);
  Value normal = eb.sub(eb.lshr(roundedBits, eb.u32(23 - m)),
                        eb.u32(uint32_t(127 - f.bias) << m));
  Value mag = eb.select(small, smallMag, normal);
  Value signCode = eb.select(negative, eb.u32(f.signBit()), eb.u32(0));
  Value code = eb.select(eb.eq(mag, eb.u32(0)), sp.zero, eb.bor(signCode, mag));
  // Signed compares: every magnitude but a NaN lane's (which the NaN case
  // overrides) is below 2^31, and AVX2 has no unsigned compare.
  code = eb.select(eb.sgt(mag, eb.u32(f.maxFiniteMagnitude())), overflowCode,
                   code);
  code = eb.select(isInf, sp.inf, code);
  return eb.select(isNaN, sp.nan, code);
}

/// The nearest-even fast path (docs/CPULowering.md, "Fast paths"): for a
/// minifloat whose normal range lies inside f32's normal range, rounding
/// |x| to m mantissa bits is one integer rounding of its f32 bits at bit
/// 23 - m (the carry runs into the exponent field as the format's does),
/// and below the format's smallest normal the rounding to multiples of the
/// quantum 2^(emin - m) is the hardware's own: |x| + 2^(emin - m + 23) has
/// that quantum as its ulp. Both give exactly the library's nearest-even
/// result; neither needs the significand split out.
struct NearestEvenFast {
  Value negative, abs, isNaN, isInf;
  Value small;        ///< |x| below the smallest normal (i1)
  Value roundedBits;  ///< f32 bits of |x| rounded to m bits (normal range)
  Value subnormalSum; ///< |x| + 2^(emin - m + 23) (f32, the small range)
};

bool hasNearestEvenFastPath(const nx::MinifloatFormat &f,
                            const nx::Rounding &r) {
  const int m = static_cast<int>(f.mantissaBits);
  const int emin = f.minNormalExponent();
  return r.mode == nx::RoundingMode::NearestEven && m <= 22 && emin >= -126 &&
         emin - m + 23 <= 127 && f.maxExponent() <= 127;
}

float subnormalMagic(const nx::MinifloatFormat &f) {
  return std::ldexp(1.0f, f.minNormalExponent() -
                              static_cast<int>(f.mantissaBits) + 23);
}

NearestEvenFast splitNearestEven(const ElementBuilder &eb,
                                 const nx::MinifloatFormat &f, Value x) {
  OpBuilder &b = eb.builder();
  const unsigned shift = 23 - f.mantissaBits;
  NearestEvenFast p;
  FastLanes lanes = splitFastLanes(eb, f, x);
  p.negative = lanes.negative;
  p.abs = lanes.abs;
  p.isNaN = lanes.isNaN;
  p.isInf = lanes.isInf;
  p.small = lanes.small;
  // Ties to even: add half - 1, plus the kept significand's lowest bit
  // (with no mantissa bits the kept significand is the implicit 1: odd).
  Value odd = f.mantissaBits == 0
                  ? eb.u32(1)
                  : eb.band(eb.lshr(p.abs, eb.u32(shift)), eb.u32(1));
  Value up = eb.add(eb.add(p.abs, eb.u32((1u << (shift - 1)) - 1)), odd);
  p.roundedBits = eb.band(up, eb.u32(~((1u << shift) - 1)));
  p.subnormalSum =
      arith::AddFOp::create(b, eb.location(), eb.bitcast(b.getF32Type(), p.abs),
                            eb.f32c(subnormalMagic(f)));
  return p;
}

Value emitMinifloatEncodeNearestEven(const ElementBuilder &eb,
                                     const nx::MinifloatFormat &f, Value x) {
  NearestEvenFast p = splitNearestEven(eb, f, x);
  // Small range: the count of quanta is the sum's low bits (up to 2^m, the
  // smallest normal's code); flushed formats keep zero.
  Value small = eb.u32(0);
  if (f.subnormals)
    small = eb.sub(eb.bitcast(eb.builder().getI32Type(), p.subnormalSum),
                   eb.u32(llvm::bit_cast<uint32_t>(subnormalMagic(f))));
  Value overflow =
      bySign(eb, p.negative, f.overflowCode(false), f.overflowCode(true));
  return finishFastCode(eb, f, p.negative, p.isNaN, p.isInf, p.small,
                        p.roundedBits, small, overflow);
}

/// The stochastic fast path: for a minifloat whose normal range lies inside
/// f32's (and whose quantum 2^(emin - m) is a normal f32), the library's
/// rounding of roundShifted increments the truncated magnitude when the top
/// k discarded bits d and the k random bits r satisfy r < d (compare) or
/// r + d >= 2^k (add-truncate). Both are one carry: r < d is
/// d + (2^k - 1 - r) >= 2^k, so with r' = r (add-truncate) or r XOR (2^k - 1)
/// (compare) the result is the truncation of the magnitude plus r' at the k
/// bits below the kept ones; lower discarded bits add less than one unit
/// there and cannot change the carry. On normal-range lanes that is an
/// integer add and mask of the f32 bits at bit 23 - m (the carry runs into
/// the exponent as the format's does); on small lanes it is the integer
/// floor(|x| / quantum * 2^k), exact in f32 (a power-of-two scaling) and
/// converted by truncation, plus r', shifted right by k: the count of
/// quanta. The result is the library's bit for bit (docs/CPULowering.md,
/// "Fast paths").
bool hasStochasticFastPath(const nx::MinifloatFormat &f,
                           const nx::Rounding &r) {
  const int m = static_cast<int>(f.mantissaBits);
  const int emin = f.minNormalExponent();
  const int k = static_cast<int>(r.roundingBits());
  return r.isStochastic() && m <= 22 && emin >= -126 && emin - m >= -126 &&
         m - emin + k <= 127 && f.maxExponent() <= 127 && k <= 23 - m;
}

struct StochasticFast {
  Value negative, isNaN, isInf, small;
  Value roundedBits; ///< f32 bits of |x| rounded (normal range)
  Value smallMag;    ///< code magnitude on small lanes (count of quanta)
};

StochasticFast splitStochastic(const ElementBuilder &eb,
                               const nx::MinifloatFormat &f,
                               const nx::Rounding &r, Value x, Value random) {
  OpBuilder &b = eb.builder();
  Location loc = eb.location();
  Type i32 = b.getI32Type();
  const int m = static_cast<int>(f.mantissaBits);
  const int emin = f.minNormalExponent();
  const unsigned shift = 23 - m;
  const int k = static_cast<int>(r.roundingBits());
  const int kr = static_cast<int>(r.randomBits);
  const uint32_t kMask = (uint32_t(1) << k) - 1;
  if (k > kr) // as emitRoundShifted: the random bits atop 100..0
    random = eb.bor(eb.shl(random, eb.u32(k - kr)),
                    eb.u32(uint32_t(1) << (k - kr - 1)));
  Value carryIn = r.variant == nx::StochasticVariant::Compare
                      ? eb.bxor(random, eb.u32(kMask))
                      : random;

  StochasticFast p;
  FastLanes lanes = splitFastLanes(eb, f, x);
  p.negative = lanes.negative;
  p.isNaN = lanes.isNaN;
  p.isInf = lanes.isInf;
  p.small = lanes.small;
  Value abs = lanes.abs;

  // (NaN lanes may wrap past 2^31 here; the NaN case overrides them.)
  p.roundedBits = eb.band(eb.add(abs, eb.shl(carryIn, eb.u32(shift - k))),
                          eb.u32(~((1u << shift) - 1)));

  if (!f.subnormals) { // flush before rounding
    p.smallMag = eb.u32(0);
    return p;
  }
  // floor(t 2^k) = kept 2^k + d for t = |x| / quantum < 2^m, below 2^23.
  Value scaled = arith::MulFOp::create(b, loc, eb.bitcast(b.getF32Type(), abs),
                                       eb.f32c(std::ldexp(1.0f, m - emin + k)));
  Value keptAndD = arith::FPToSIOp::create(b, loc, eb.type(i32), scaled);
  p.smallMag = eb.lshr(eb.add(keptAndD, carryIn), eb.u32(k));
  return p;
}

Value emitMinifloatEncodeStochastic(const ElementBuilder &eb,
                                    const nx::MinifloatFormat &f,
                                    const nx::Rounding &r, Value x,
                                    Value random) {
  StochasticFast p = splitStochastic(eb, f, r, x, random);
  return finishFastCode(eb, f, p.negative, p.isNaN, p.isInf, p.small,
                        p.roundedBits, p.smallMag,
                        emitOverflowCode(eb, f, p.negative, r));
}

/// The value of a fast path's rounded magnitude `mag` (f32 bits) with the
/// sign of `x`, and the special cases.
Value finishFastValue(const ElementBuilder &eb, const nx::MinifloatFormat &f,
                      Value x, Value negative, Value isNaN, Value isInf,
                      Value mag) {
  OpBuilder &b = eb.builder();
  Type i32 = b.getI32Type();
  SpecialValueBits v = specialValueBits(f);
  Value bits = eb.bitcast(i32, x);
  Value signBit = eb.band(bits, eb.u32(0x80000000u));
  // The special cases in order, later ones overriding. Adjacent cases with
  // the same values share one select (e4m3fn: overflow, infinity and NaN
  // all give NaN; infinity and NaN then are one compare of |x|). The
  // overflow compare is signed, as in finishFastCode.
  struct Case {
    Value mask;
    const uint32_t (&pair)[2];
  };
  auto same = [](const uint32_t(&a)[2], const uint32_t(&b)[2]) {
    return a[0] == b[0] && a[1] == b[1];
  };
  SmallVector<Case, 4> cases = {{eb.eq(mag, eb.u32(0)), v.zero},
                                {eb.sgt(mag, eb.u32(v.maxFinite)), v.overflow}};
  if (same(v.inf, v.nan)) {
    Value abs = eb.band(bits, eb.u32(0x7fffffffu));
    cases.push_back({eb.sgt(abs, eb.u32(0x7f7fffffu)), v.nan});
  } else {
    cases.push_back({isInf, v.inf});
    cases.push_back({isNaN, v.nan});
  }
  // When every case's values are a magnitude and its negation (signed
  // zeros, +-NaN, ...), the selects pick magnitudes and the sign is ORed in
  // once at the end; the zero case then selects nothing.
  auto symmetric = [](const uint32_t(&pair)[2]) {
    return !(pair[0] & 0x80000000u) && pair[1] == (pair[0] | 0x80000000u);
  };
  bool bySignAtEnd =
      llvm::all_of(cases, [&](const Case &c) { return symmetric(c.pair); });
  Value value = bySignAtEnd ? mag : eb.bor(mag, signBit);
  const uint32_t signedZeros[2] = {0, 0x80000000u};
  for (size_t i = 0; i < cases.size(); ++i) {
    Value mask = cases[i].mask;
    bool zeroOnly = i == 0 && same(cases[0].pair, signedZeros);
    while (i + 1 < cases.size() && same(cases[i + 1].pair, cases[i].pair)) {
      mask = eb.lor(mask, cases[++i].mask);
      zeroOnly = false;
    }
    if (zeroOnly) // mag | sign is already the signed zero
      continue;
    const uint32_t(&pair)[2] = cases[i].pair;
    value = eb.select(mask,
                      bySignAtEnd ? eb.u32(pair[0])
                                  : bySign(eb, negative, pair[0], pair[1]),
                      value);
  }
  if (bySignAtEnd)
    value = eb.bor(value, signBit);
  return eb.bitcast(b.getF32Type(), value);
}

Value emitMinifloatQuantizeStochastic(const ElementBuilder &eb,
                                      const nx::MinifloatFormat &f,
                                      const nx::Rounding &r, Value x,
                                      Value random) {
  OpBuilder &b = eb.builder();
  StochasticFast p = splitStochastic(eb, f, r, x, random);
  Value smallValue = arith::MulFOp::create(
      b, eb.location(),
      arith::SIToFPOp::create(b, eb.location(), eb.f32(), p.smallMag),
      eb.f32c(std::ldexp(1.0f, f.minNormalExponent() -
                                   static_cast<int>(f.mantissaBits))));
  Value mag =
      eb.select(p.small, eb.bitcast(b.getI32Type(), smallValue), p.roundedBits);
  return finishFastValue(eb, f, x, p.negative, p.isNaN, p.isInf, mag);
}

Value emitMinifloatEncode(const ElementBuilder &eb,
                          const nx::MinifloatFormat &f, Value x,
                          const nx::Rounding &r, Value random) {
  if (hasNearestEvenFastPath(f, r))
    return emitMinifloatEncodeNearestEven(eb, f, x);
  if (hasStochasticFastPath(f, r))
    return emitMinifloatEncodeStochastic(eb, f, r, x, random);
  // The encoder reads floorLog2 only through max(top, emin) and top < emin:
  // below f32's normal range it needs it only when emin is lower still.
  F32Fields p = splitF32(eb, x, f.minNormalExponent() < -126);
  SpecialCodes sp = specialCodes(eb, f, p.negative);
  Value code = emitEncodeFinite(eb, f, p.negative, p.sig, p.exp, p.top, r,
                                random, sp.zero);
  code = eb.select(p.isZero, sp.zero, code);
  code = eb.select(p.isInf, sp.inf, code);
  return eb.select(p.isNaN, sp.nan, code);
}

/// decode(encode(x)) on the nearest-even fast path, without forming the
/// code.
Value emitMinifloatQuantizeNearestEven(const ElementBuilder &eb,
                                       const nx::MinifloatFormat &f, Value x) {
  OpBuilder &b = eb.builder();
  NearestEvenFast p = splitNearestEven(eb, f, x);
  Value small = eb.u32(0);
  if (f.subnormals)
    small = eb.bitcast(b.getI32Type(),
                       arith::SubFOp::create(b, eb.location(), p.subnormalSum,
                                             eb.f32c(subnormalMagic(f))));
  Value mag = eb.select(p.small, small, p.roundedBits);
  return finishFastValue(eb, f, x, p.negative, p.isNaN, p.isInf, mag);
}

} // namespace

std::pair<Value, Value> emitTwoSum(const ElementBuilder &eb, Value a, Value b) {
  OpBuilder &bld = eb.builder();
  Location loc = eb.location();
  Value s = arith::AddFOp::create(bld, loc, a, b);
  Value bb = arith::SubFOp::create(bld, loc, s, a);
  Value err = arith::AddFOp::create(
      bld, loc,
      arith::SubFOp::create(bld, loc, a,
                            arith::SubFOp::create(bld, loc, s, bb)),
      arith::SubFOp::create(bld, loc, b, bb));
  return {s, err};
}

Value emitPow2(const ElementBuilder &eb, Value p) {
  Value normal = eb.shl(eb.smax(eb.add(p, eb.s32(127)), eb.s32(0)), eb.u32(23));
  Value subnormal =
      eb.shl(eb.u32(1),
             eb.smin(eb.smax(eb.add(p, eb.s32(149)), eb.s32(0)), eb.s32(31)));
  Value bits = eb.select(eb.sge(p, eb.s32(-126)), normal, subnormal);
  return eb.bitcast(eb.builder().getF32Type(), bits);
}

namespace {

Value emitMinifloatDecode(const ElementBuilder &eb,
                          const nx::MinifloatFormat &f, Value code) {
  const int m = static_cast<int>(f.mantissaBits);
  Value neg = eb.ne(eb.band(code, eb.u32(f.signBit())), eb.u32(0));
  Value mag = eb.band(code, eb.u32(f.magnitudeMask()));
  Value field = eb.lshr(mag, eb.u32(m));
  Value mant = eb.band(mag, eb.u32((1u << m) - 1));
  Value isSubnormal = eb.eq(field, eb.u32(0));
  // (2^m + M) * 2^(E - b - m) for normals, M * 2^(emin - m) below.
  Value sig = eb.select(isSubnormal, f.subnormals ? mant : eb.u32(0),
                        eb.bor(mant, eb.u32(1u << m)));
  Value p = eb.sub(eb.smax(field, eb.s32(1)), eb.s32(f.bias + m));
  OpBuilder &b = eb.builder();
  Value value = arith::MulFOp::create(
      b, eb.location(),
      arith::UIToFPOp::create(b, eb.location(), eb.f32(), sig),
      emitPow2(eb, p));
  // FNUZ has no negative zero: without subnormals, a negative subnormal
  // code decodes to +0.
  Value signed_ = neg;
  if (f.specials == nx::SpecialValues::FNUZ && !f.subnormals)
    signed_ = eb.land(neg, eb.lnot(isSubnormal));
  Value bits = eb.bor(eb.bitcast(b.getI32Type(), value),
                      eb.select(signed_, eb.u32(0x80000000u), eb.u32(0)));

  if (f.hasInfinity()) {
    uint32_t infMag = ((1u << f.exponentBits) - 1) << m;
    Value isInf = eb.eq(mag, eb.u32(infMag));
    bits = eb.select(isInf,
                     eb.bor(eb.u32(0x7f800000u),
                            eb.select(neg, eb.u32(0x80000000u), eb.u32(0))),
                     bits);
  }
  if (f.hasNaN()) {
    Value isNaN;
    switch (f.specials) {
    case nx::SpecialValues::IEEE:
      isNaN = eb.ugt(mag, eb.u32(((1u << f.exponentBits) - 1) << m));
      break;
    case nx::SpecialValues::FN:
      isNaN = eb.eq(mag, eb.u32(f.magnitudeMask()));
      break;
    default: // FNUZ: the negative-zero code
      isNaN = eb.eq(eb.band(code, eb.u32(f.signBit() | f.magnitudeMask())),
                    eb.u32(f.signBit()));
      break;
    }
    uint32_t pos = llvm::bit_cast<uint32_t>(nx::decode(f, f.nanCode(false)));
    uint32_t negNaN =
        f.specials == nx::SpecialValues::FNUZ
            ? pos
            : llvm::bit_cast<uint32_t>(nx::decode(f, f.nanCode(true)));
    bits = eb.select(isNaN, bySign(eb, neg, pos, negNaN), bits);
  }
  return eb.bitcast(b.getF32Type(), bits);
}

/// The code of magnitude `mag` (i32; `tooBig`: beyond every 32-bit range)
/// with the sign, by the format's overflow rule and encoding.
Value integerCode(const ElementBuilder &eb, const nx::IntegerFormat &f,
                  Value negative, Value mag, Value tooBig) {
  const unsigned B = f.bits;
  const uint32_t mask = B == 32 ? 0xffffffffu : (1u << B) - 1;
  const uint32_t low = 1u << (B - 1); // the sign bit, 2^(B-1)
  if (f.overflow == nx::IntegerOverflow::Wrap) {
    if (f.encoding == nx::IntegerEncoding::SignMagnitude) {
      Value m = eb.band(mag, eb.u32(low - 1));
      Value withSign = eb.land(negative, eb.ne(m, eb.u32(0)));
      return eb.select(withSign, eb.bor(m, eb.u32(low)), m);
    }
    return eb.band(eb.select(negative, eb.sub(eb.u32(0), mag), mag),
                   eb.u32(mask));
  }
  // Clamp the magnitude to the limit of its sign.
  uint32_t posLimit = static_cast<uint32_t>(f.maxInteger());
  uint32_t negLimit = static_cast<uint32_t>(-f.minInteger());
  Value limit = eb.select(negative, eb.u32(negLimit), eb.u32(posLimit));
  Value over = eb.ugt(mag, limit);
  if (tooBig)
    over = eb.lor(tooBig, over);
  Value m = eb.select(over, limit, mag);
  if (f.encoding == nx::IntegerEncoding::SignMagnitude)
    return eb.select(eb.land(negative, eb.ne(m, eb.u32(0))),
                     eb.bor(m, eb.u32(low)), m);
  return eb.band(eb.select(negative, eb.sub(eb.u32(0), m), m), eb.u32(mask));
}

/// The codes of zero, NaN (0) and the infinities, over `code`.
Value integerSpecials(const ElementBuilder &eb, const nx::IntegerFormat &f,
                      Value code, Value negative, Value isZeroOrNaN,
                      Value isInf) {
  nx::Rounding ne;
  float inf = std::numeric_limits<float>::infinity();
  Value infCode =
      bySign(eb, negative, nx::encode(f, inf, ne), nx::encode(f, -inf, ne));
  code = eb.select(isZeroOrNaN, eb.u32(0), code);
  return eb.select(isInf, infCode, code);
}

/// The integer fast path (saturating formats of at most 24 bits with
/// F >= 0): t = |x| * 2^F is exact in f32 (or beyond every limit), so
/// kept = trunc(t) and the fraction t - kept are exact, and every rounding
/// mode's increment follows from the fraction: nearest from its compare with
/// 1/2, directed from its sign of zero, stochastic from d = trunc(fraction *
/// 2^k), the top k discarded bits (docs/CPULowering.md, "Fast paths").
bool hasIntegerFastPath(const nx::IntegerFormat &f, const nx::Rounding &r) {
  return f.overflow == nx::IntegerOverflow::Saturate && f.bits <= 24 &&
         f.fractionBits >= 0 && f.fractionBits <= 100 &&
         (!r.isStochastic() || r.roundingBits() <= 24);
}

Value emitIntegerEncodeFast(const ElementBuilder &eb,
                            const nx::IntegerFormat &f, Value x,
                            const nx::Rounding &r, Value random) {
  OpBuilder &b = eb.builder();
  Location loc = eb.location();
  Type i32 = b.getI32Type();
  Value bits = eb.bitcast(i32, x);
  Value negative = eb.slt(bits, eb.s32(0));
  Value abs = eb.band(bits, eb.u32(0x7fffffff));
  Value isNaN = eb.ugt(abs, eb.u32(0x7f800000));
  Value isInf = eb.eq(abs, eb.u32(0x7f800000));
  Value isZero = eb.eq(abs, eb.u32(0));

  // t capped at 2^30 (beyond every limit; keeps the conversion defined).
  Value t = arith::MulFOp::create(b, loc, eb.bitcast(b.getF32Type(), abs),
                                  eb.f32c(std::ldexp(1.0f, f.fractionBits)));
  t = arith::MinNumFOp::create(b, loc, t, eb.f32c(std::ldexp(1.0f, 30)));
  Value kept = arith::FPToSIOp::create(b, loc, eb.type(i32), t);
  Value fraction = arith::SubFOp::create(
      b, loc, t, arith::SIToFPOp::create(b, loc, eb.f32(), kept));
  auto fcmp = [&](arith::CmpFPredicate p, float v) -> Value {
    return arith::CmpFOp::create(b, loc, p, fraction, eb.f32c(v));
  };
  Value inc;
  switch (r.mode) {
  case nx::RoundingMode::NearestEven: {
    Value odd = eb.ne(eb.band(kept, eb.u32(1)), eb.u32(0));
    inc = eb.lor(fcmp(arith::CmpFPredicate::OGT, 0.5f),
                 eb.land(fcmp(arith::CmpFPredicate::OEQ, 0.5f), odd));
    break;
  }
  case nx::RoundingMode::NearestAway:
    inc = fcmp(arith::CmpFPredicate::OGE, 0.5f);
    break;
  case nx::RoundingMode::TowardZero:
    inc = eb.bit(false);
    break;
  case nx::RoundingMode::Up:
    inc = eb.land(eb.lnot(negative), fcmp(arith::CmpFPredicate::ONE, 0.0f));
    break;
  case nx::RoundingMode::Down:
    inc = eb.land(negative, fcmp(arith::CmpFPredicate::ONE, 0.0f));
    break;
  case nx::RoundingMode::Stochastic: {
    const int k = static_cast<int>(r.roundingBits());
    const int kr = static_cast<int>(r.randomBits);
    if (k > kr) // as emitRoundShifted: the random bits atop 100..0
      random = eb.bor(eb.shl(random, eb.u32(k - kr)),
                      eb.u32(uint32_t(1) << (k - kr - 1)));
    Value d = arith::FPToSIOp::create(
        b, loc, eb.type(i32),
        arith::MulFOp::create(b, loc, fraction, eb.f32c(std::ldexp(1.0f, k))));
    inc = r.variant == nx::StochasticVariant::Compare
              ? eb.ult(random, d)
              : eb.uge(eb.add(random, d), eb.u32(uint64_t(1) << k));
    break;
  }
  }
  Value mag = eb.add(kept, eb.zext(i32, inc));
  Value code = integerCode(eb, f, negative, mag, Value());
  return integerSpecials(eb, f, code, negative, eb.lor(isZero, isNaN), isInf);
}

/// The integer quantize without codes, for the fast path's formats and the
/// modes whose rounding of t = x * 2^F the hardware has (nearest-even,
/// toward zero, up, down): t is exact (or infinite, which saturates), so
/// round(t) clamped to [min, max] is the integer the library encodes, and
/// times 2^-F (exact: |v| < 2^24, 2^-F normal) the value it decodes. NaN
/// and zeros give +0 as the library's code 0 does (docs/CPULowering.md,
/// "Fast paths").
static bool hasIntegerQuantizeFastPath(const nx::IntegerFormat &f,
                                       const nx::Rounding &r) {
  return hasIntegerFastPath(f, r) &&
         (r.mode == nx::RoundingMode::NearestEven ||
          r.mode == nx::RoundingMode::TowardZero ||
          r.mode == nx::RoundingMode::Up || r.mode == nx::RoundingMode::Down);
}

static Value emitIntegerQuantizeFast(const ElementBuilder &eb,
                                     const nx::IntegerFormat &f, Value x,
                                     const nx::Rounding &r) {
  OpBuilder &b = eb.builder();
  Location loc = eb.location();
  Value t = arith::MulFOp::create(b, loc, x,
                                  eb.f32c(std::ldexp(1.0f, f.fractionBits)));
  Value v;
  switch (r.mode) {
  case nx::RoundingMode::NearestEven:
    v = math::RoundEvenOp::create(b, loc, t);
    break;
  case nx::RoundingMode::TowardZero:
    v = math::TruncOp::create(b, loc, t);
    break;
  case nx::RoundingMode::Up:
    v = math::CeilOp::create(b, loc, t);
    break;
  case nx::RoundingMode::Down:
    v = math::FloorOp::create(b, loc, t);
    break;
  default:
    llvm_unreachable("no fast integer quantize for this mode");
  }
  auto fcmp = [&](arith::CmpFPredicate p, Value lhs, Value rhs) -> Value {
    return arith::CmpFOp::create(b, loc, p, lhs, rhs);
  };
  // Compare-and-select clamps (one min/max each; a NaN passes through).
  Value hi = eb.f32c(static_cast<float>(f.maxInteger()));
  Value lo = eb.f32c(static_cast<float>(f.minInteger()));
  v = eb.select(fcmp(arith::CmpFPredicate::OGT, v, hi), hi, v);
  v = eb.select(fcmp(arith::CmpFPredicate::OLT, v, lo), lo, v);
  // -0 + +0 = +0; NaN to +0.
  v = arith::AddFOp::create(b, loc, v, eb.f32c(0.0f));
  v = eb.select(fcmp(arith::CmpFPredicate::UNO, v, v), eb.f32c(0.0f), v);
  return arith::MulFOp::create(b, loc, v,
                               eb.f32c(std::ldexp(1.0f, -f.fractionBits)));
}

Value emitIntegerEncode(const ElementBuilder &eb, const nx::IntegerFormat &f,
                        Value x, const nx::Rounding &r, Value random) {
  if (hasIntegerFastPath(f, r))
    return emitIntegerEncodeFast(eb, f, x, r, random);
  F32Fields p = splitF32(eb, x);

  // |x| * 2^F: rounded when bits are discarded, else shifted left exactly.
  Value shift = eb.sub(eb.s32(-f.fractionBits), p.exp);
  Value rounded = emitRoundShifted(eb, p.sig, shift, p.negative, r, random);
  Value left =
      eb.smin(eb.smax(eb.sub(eb.s32(0), shift), eb.s32(0)), eb.s32(40));
  // Bits of sig << left: beyond 32 the value is out of every 32-bit range,
  // and its low 32 bits are 0 once left >= 32.
  Value bitLength = eb.sub(eb.s32(32), eb.ctlz(p.sig));
  Value wide = eb.sgt(eb.add(left, bitLength), eb.s32(32));
  Value shifted = eb.select(eb.sge(left, eb.s32(32)), eb.u32(0),
                            eb.shl(p.sig, eb.smin(left, eb.s32(31))));
  Value rounding = eb.sgt(shift, eb.s32(0));
  Value mag = eb.select(rounding, rounded, shifted);
  Value tooBig = eb.land(eb.lnot(rounding), wide);
  Value code = integerCode(eb, f, p.negative, mag, tooBig);
  return integerSpecials(eb, f, code, p.negative, eb.lor(p.isZero, p.isNaN),
                         p.isInf);
}

Value emitIntegerDecode(const ElementBuilder &eb, const nx::IntegerFormat &f,
                        Value code) {
  OpBuilder &b = eb.builder();
  Location loc = eb.location();
  const unsigned B = f.bits;
  Value c = eb.band(code, eb.u32(B == 32 ? 0xffffffffu : (1u << B) - 1));
  Value v;
  bool isUnsigned = false;
  switch (f.encoding) {
  case nx::IntegerEncoding::TwosComplement: {
    Value amount = eb.u32(32 - B);
    v = arith::ShRSIOp::create(b, loc, eb.shl(c, amount), amount);
    break;
  }
  case nx::IntegerEncoding::SignMagnitude: {
    Value m = eb.band(c, eb.u32((1u << (B - 1)) - 1));
    v = eb.select(eb.ne(eb.lshr(c, eb.u32(B - 1)), eb.u32(0)),
                  eb.sub(eb.u32(0), m), m);
    break;
  }
  case nx::IntegerEncoding::Unsigned:
    v = c;
    isUnsigned = true;
    break;
  }
  // Exact in f64 (|v| < 2^32, 2^-F a power of two), then one rounding.
  Value wide = isUnsigned ? Value(arith::UIToFPOp::create(b, loc, eb.f64(), v))
                          : Value(arith::SIToFPOp::create(b, loc, eb.f64(), v));
  Value scaled = arith::MulFOp::create(
      b, loc, wide, eb.f64c(std::ldexp(1.0, -f.fractionBits)));
  return arith::TruncFOp::create(b, loc, eb.f32(), scaled);
}

} // namespace

Value emitEncodeExact(const ElementBuilder &eb, const nx::MinifloatFormat &f,
                      Value hi, Value lo, const nx::Rounding &r) {
  OpBuilder &b = eb.builder();
  Type i64 = b.getI64Type();
  Value bits = eb.bitcast(i64, hi);
  Value negative = eb.ne(eb.lshr(bits, eb.u64(63)), eb.u64(0));
  Value abs = eb.band(bits, eb.u64(0x7fffffffffffffffull));
  Value isNaN = eb.ugt(abs, eb.u64(0x7ff0000000000000ull));
  Value isInf = eb.eq(abs, eb.u64(0x7ff0000000000000ull));
  Value isZero = eb.eq(abs, eb.u64(0));
  Value field = eb.lshr(abs, eb.u64(52));
  Value fraction = eb.band(abs, eb.u64((uint64_t(1) << 52) - 1));
  Value subnormal = eb.eq(field, eb.u64(0));
  Value sig = eb.select(subnormal, fraction,
                        eb.bor(fraction, eb.u64(uint64_t(1) << 52)));
  Value exp =
      eb.sub(eb.trunc(b.getI32Type(), eb.select(subnormal, eb.u64(1), field)),
             eb.s32(1075));
  // lo != 0: two guard bits and a sticky unit on lo's side.
  Value loBits = eb.bitcast(i64, lo);
  Value loNonZero =
      eb.ne(eb.band(loBits, eb.u64(0x7fffffffffffffffull)), eb.u64(0));
  Value sameSign =
      eb.eq(eb.lshr(loBits, eb.u64(63)), eb.lshr(bits, eb.u64(63)));
  Value proxy = eb.add(eb.shl(sig, eb.u64(2)),
                       eb.select(sameSign, eb.u64(1), eb.u64(~uint64_t(0))));
  sig = eb.select(loNonZero, proxy, sig);
  exp = eb.select(loNonZero, eb.sub(exp, eb.s32(2)), exp);
  Value top =
      eb.add(exp, eb.sub(eb.s32(63), eb.trunc(b.getI32Type(), eb.ctlz(sig))));
  SpecialCodes sp = specialCodes(eb, f, negative);
  Value code =
      emitEncodeFinite(eb, f, negative, sig, exp, top, r, Value(), sp.zero);
  code = eb.select(isZero, sp.zero, code);
  code = eb.select(isInf, sp.inf, code);
  return eb.select(isNaN, sp.nan, code);
}

Value emitEncode(const ElementBuilder &eb, const nx::ElementFormat &f, Value x,
                 const nx::Rounding &r, Value random) {
  if (const nx::MinifloatFormat *mf = f.minifloat())
    return emitMinifloatEncode(eb, *mf, x, r, random);
  return emitIntegerEncode(eb, *f.integer(), x, r, random);
}

Value emitQuantize(const ElementBuilder &eb, const nx::ElementFormat &f,
                   Value x, const nx::Rounding &r, Value random) {
  const nx::MinifloatFormat *mf = f.minifloat();
  if (mf && hasNearestEvenFastPath(*mf, r))
    return emitMinifloatQuantizeNearestEven(eb, *mf, x);
  if (mf && hasStochasticFastPath(*mf, r))
    return emitMinifloatQuantizeStochastic(eb, *mf, r, x, random);
  const nx::IntegerFormat *intf = f.integer();
  if (intf && hasIntegerQuantizeFastPath(*intf, r))
    return emitIntegerQuantizeFast(eb, *intf, x, r);
  return emitDecode(eb, f, emitEncode(eb, f, x, r, random));
}

Value emitDecode(const ElementBuilder &eb, const nx::ElementFormat &f,
                 Value code) {
  if (const nx::MinifloatFormat *mf = f.minifloat())
    return emitMinifloatDecode(eb, *mf, code);
  return emitIntegerDecode(eb, *f.integer(), code);
}

SpecialValueBits specialValueBits(const nx::MinifloatFormat &f) {
  nx::Rounding ne;
  auto valueOf = [&](uint32_t code) {
    return llvm::bit_cast<uint32_t>(nx::decode(f, code));
  };
  auto of = [&](float v) { return valueOf(nx::encode(f, v, ne)); };
  float inf = std::numeric_limits<float>::infinity();
  float nan = std::numeric_limits<float>::quiet_NaN();
  return {{of(0.0f), of(-0.0f)},
          {of(inf), of(-inf)},
          {of(nan), of(-nan)},
          {valueOf(f.overflowCode(false)), valueOf(f.overflowCode(true))},
          valueOf(f.maxFiniteMagnitude())};
}

} // namespace qtrain::lowering
