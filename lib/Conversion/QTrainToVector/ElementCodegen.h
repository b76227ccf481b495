//===- ElementCodegen.h - Element encoders as arith code --------*- C++ -*-===//
//
// The numerics library's element rules (docs/Numerics.md: roundShifted,
// minifloat and integer encode/decode) emitted as integer bit operations on
// scalars or vectors. Each function mirrors the library function of the same
// name step by step; the differential test checks every bit.
//
//===----------------------------------------------------------------------===//

#ifndef QTRAIN_LIB_CONVERSION_QTRAINTOVECTOR_ELEMENTCODEGEN_H
#define QTRAIN_LIB_CONVERSION_QTRAINTOVECTOR_ELEMENTCODEGEN_H

#include "ElementBuilder.h"

#include "qtrain/Numerics/ElementFormat.h"
#include "qtrain/Numerics/Rounding.h"

namespace qtrain::lowering {

/// roundShifted for `sig` in i32 lanes (below 2^24) or i64 lanes (below
/// 2^62) and i32 `shift` >= 1 (any larger value is handled exactly);
/// `negative` is i1, `random` the k random bits (i32; ignored unless
/// stochastic). Returns the rounded integer (i32; it fits).
mlir::Value emitRoundShifted(const ElementBuilder &eb, mlir::Value sig,
                             mlir::Value shift, mlir::Value negative,
                             const numerics::Rounding &r, mlir::Value random);

/// The fields of f32 lanes: sign (i32 0/1 and i1), |x| bits, the exact
/// significand and exponent of a finite non-zero x (x = sig * 2^exp), and
/// floorLog2 |x| (`top`), with the special-input masks.
struct F32Fields {
  mlir::Value negative, signBit, abs, sig, exp, top;
  mlir::Value isNaN, isInf, isZero;
};
/// `subnormalTop = false` leaves `top` at -127 for f32 subnormals (cheaper
/// where the caller only compares it with an exponent of at least -126).
F32Fields splitF32(const ElementBuilder &eb, mlir::Value x,
                   bool subnormalTop = true);

/// numerics::inUpperHalfOctave on split finite non-zero lanes (i1): the bit
/// below the leading one of the significand is set.
mlir::Value emitInUpperHalfOctave(const ElementBuilder &eb, const F32Fields &p);

/// Knuth's TwoSum on float lanes (f32 or f64): s = RN(a + b) and its
/// rounding error a + b - s, exact for finite sums (six operations).
std::pair<mlir::Value, mlir::Value> emitTwoSum(const ElementBuilder &eb,
                                               mlir::Value a, mlir::Value b);

/// 2^p as an f32 for i32 p in [-149, 127] (subnormal powers included).
mlir::Value emitPow2(const ElementBuilder &eb, mlir::Value p);

/// f32 -> i32 code of an element format (the code right-aligned).
mlir::Value emitEncode(const ElementBuilder &eb,
                       const numerics::ElementFormat &f, mlir::Value x,
                       const numerics::Rounding &r, mlir::Value random);

/// quantize: emitDecode(emitEncode(...)), or the same bits computed
/// directly on the f32 lanes where a fast path exists (nearest-even
/// minifloats inside f32's normal range; docs/CPULowering.md).
mlir::Value emitQuantize(const ElementBuilder &eb,
                         const numerics::ElementFormat &f, mlir::Value x,
                         const numerics::Rounding &r, mlir::Value random);

/// encodeExact: the exact real hi + lo (f64 lanes, lo the TwoSum remainder
/// of hi or 0) correctly rounded to a minifloat (deterministic modes).
mlir::Value emitEncodeExact(const ElementBuilder &eb,
                            const numerics::MinifloatFormat &f, mlir::Value hi,
                            mlir::Value lo, const numerics::Rounding &r);

/// The values (f32 bits, [0] positive, [1] negative) of the zero, infinite,
/// NaN and overflowing results of rounding to f, as the library decodes
/// them, and f's largest finite magnitude: the value side of the fast paths.
struct SpecialValueBits {
  uint32_t zero[2], inf[2], nan[2], overflow[2], maxFinite;
};
SpecialValueBits specialValueBits(const numerics::MinifloatFormat &f);

/// i32 code (bits above the format's width are ignored) -> f32.
mlir::Value emitDecode(const ElementBuilder &eb,
                       const numerics::ElementFormat &f, mlir::Value code);

} // namespace qtrain::lowering

#endif // QTRAIN_LIB_CONVERSION_QTRAINTOVECTOR_ELEMENTCODEGEN_H
