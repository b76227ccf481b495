//===- FastAccumulation.h - Emulated accumulation in f32 lanes --*- C++ -*-===//
//
// The f32 fast path of emulated low-precision accumulation
// (docs/CPULowering.md, "Matmul", "The f32 fast path"): every
// add of a product or of a group into an accumulator of a minifloat format
// is computed as an f32 add (an FMA for products) and rounded to the format
// by a magic-constant add (Veltkamp's split when the products lie on the
// formats' grid), with no branch per product (E-DGA's closes aside when
// its two accumulators differ in format); what could make the result
// differ from the numerics library's (an inexact f32 sum, a value beyond the
// format's largest) is recorded and checked once per register block, whose
// exact-path recomputation then gives the library's bits.
//
//===----------------------------------------------------------------------===//

#ifndef QTRAIN_LIB_CONVERSION_QTRAINTOVECTOR_FASTACCUMULATION_H
#define QTRAIN_LIB_CONVERSION_QTRAINTOVECTOR_FASTACCUMULATION_H

#include "ElementBuilder.h"

#include "qtrain/Numerics/Accumulation.h"

namespace qtrain::lowering {

/// The f32 format (the default accumulator).
bool isF32(const numerics::MinifloatFormat &f);

/// Accumulation that is exactly a chain of f32 FMAs (and f32 adds for
/// closing static groups).
bool isFmaChain(const numerics::AccumulationSpec &s);

/// Accumulation the fast path computes: nearest-even into f32 or into
/// minifloats whose rounding the fast path emits (emitRoundFast), every
/// grouping but ideal DGA and shared thresholds, no product format or
/// fixed-point groups, and not the FMA chains.
bool hasFastPath(const numerics::AccumulationSpec &s);

/// Whether the E-DGA fast path keeps no threshold per output: with one
/// format for both accumulators, a lane that has closed a group has
/// T = 2^-c |P_O|, which the step computes from P_O (exact in f32 when
/// P_O's quantum times 2^-c is at least 2^-149; beyond f32's range it
/// rounds to infinity, which keeps the comparison's outcome). A lane that
/// has not closed yet holds P_O = -0 (no close can leave -0: the first one
/// adds a P_G of |P_G| >= T0 > 0) and compares with T0. Otherwise the step
/// keeps T. docs/CPULowering.md, "E-DGA without a threshold".
bool dgaComparesOuter(const numerics::AccumulationSpec &s);

/// The most significant bits an operand element may have for the fast
/// path's products and sums to be the library's (the derivation is in
/// docs/CPULowering.md): 12 into an f32 accumulator (the products are then
/// exact), (22 - m) / 2 into one of m mantissa bits (Fast2Sum's error then
/// flags every sum whose rounding could differ).
unsigned fastOperandBits(const numerics::AccumulationSpec &s);

/// What one pass over an operand finds: whether every element of the flat
/// f32 tensor is +-0 or has at most `bits` significant bits and an
/// exponent in [-62, 62] (i1; then f32 products of two of them are exact
/// and normal), and the exponent of the lowest set bit over its non-zero
/// elements (i32; 1000 when there are none).
struct OperandCheck {
  mlir::Value fits, lowestBit;
};
OperandCheck emitOperandCheck(mlir::OpBuilder &b, mlir::Location loc,
                              mlir::Value flat, mlir::Value count,
                              int64_t lanes, unsigned bits);

/// Whether both operands fit and every product of theirs is a multiple of
/// the subnormal quantum of each minifloat format in `s` (i1): then every
/// value the accumulation forms is one too, a sum in a format's subnormal
/// range is exact and on its grid, and the rounding may be Veltkamp's
/// split (emitAddFast's `onGrid`).
mlir::Value emitProductsOnGrid(mlir::OpBuilder &b, mlir::Location loc,
                               const OperandCheck &a, const OperandCheck &bm,
                               const numerics::AccumulationSpec &s);

/// What a block's fast sums leave to check at its end: the OR of the bits
/// of their Fast2Sum errors (non-zero where a sum was not exact), and the
/// largest magnitude rounded, as its f32 bits (above the formats' largest
/// finite value the rounding is not the library's). Both i32 lanes.
struct FastCheck {
  mlir::Value errorBits, maxMagnitude;

  static FastCheck initial(const ElementBuilder &eb);
};

/// One fast sum: the rounded value, and its check terms.
struct FastSum {
  mlir::Value value;     ///< the sum rounded to the format (f32 lanes)
  mlir::Value errorBits; ///< i32 lanes, zero where the f32 sum was exact
  mlir::Value magnitude; ///< |f32 sum|'s bits (i32), null for f32 itself
};

/// acc + x * y (acc + x when y is null) rounded once to f, nearest-even
/// (numerics addRounded), given that x * y is exact in f32, acc is a value
/// of f and x (or x * y) has at most 22 - m significant bits. `onGrid`:
/// the values are on the grid of emitProductsOnGrid (the rounding is then
/// emitRoundOnGrid's). `sum`, when given, is the f32 sum already formed
/// (the same value: RN32(acc + x * y)).
FastSum emitAddFast(const ElementBuilder &eb,
                    const numerics::MinifloatFormat &f, mlir::Value acc,
                    mlir::Value x, mlir::Value y, bool onGrid,
                    mlir::Value sum = {});

/// a + b rounded once to f for two values of f whose f32 sum needs no
/// exactness test: when it is inexact, the smaller operand is below a
/// quarter of the larger one's ulp in f, so the larger one is the result
/// of both the exact and the f32 sum (m <= 10; docs/CPULowering.md, "The
/// f32 fast path"). The FastSum's errorBits is null.
FastSum emitAddOfValues(const ElementBuilder &eb,
                        const numerics::MinifloatFormat &f, mlir::Value a,
                        mlir::Value b, bool onGrid);

/// Whether emitAddOfValues applies to f.
bool addOfValuesNeedsNoTest(const numerics::MinifloatFormat &f);

/// A finite f32 `s` rounded to f, nearest-even, with its sign kept for a
/// zero result; exact below f's largest finite value. Also |s|'s bits.
std::pair<mlir::Value, mlir::Value>
emitRoundFast(const ElementBuilder &eb, const numerics::MinifloatFormat &f,
              mlir::Value s);

/// emitRoundFast for an s whose magnitude, below f's smallest normal, is
/// a multiple of f's quantum: Veltkamp's split, RN(s * K) - RN(RN(s * K) - s)
/// with K = 2^(23 - m) + 1, rounds to m + 1 significant bits, nearest-even
/// (and keeps a zero's sign); three operations.
std::pair<mlir::Value, mlir::Value>
emitRoundOnGrid(const ElementBuilder &eb, const numerics::MinifloatFormat &f,
                mlir::Value s);

/// acc + x * y for operands whose products need not be exact in f32 (the
/// scaled-operand path): s = fma(x, y, acc) is the exact sum rounded once
/// to f32, and rounding s to f gives the exact sum's rounding unless s is
/// itself a midpoint of f's grid (f's midpoints are f32 values, so none
/// lies strictly between the sum and s; docs/CPULowering.md, "Operands of
/// any width"). `midpoint` (i1 lanes) marks those lanes; emitMidpointFix
/// rounds them. acc is a value of f, f not f32; `sum`, when given, is s
/// already formed.
struct MidpointSum {
  mlir::Value acc, x, y; ///< the operands
  mlir::Value sum;       ///< s (f32 lanes)
  mlir::Value value;     ///< s rounded to f
  mlir::Value magnitude; ///< |s|'s bits (i32 lanes)
  mlir::Value midpoint;  ///< s is a midpoint of f's grid (i1 lanes)
};
MidpointSum emitAddMidpointChecked(const ElementBuilder &eb,
                                   const numerics::MinifloatFormat &f,
                                   mlir::Value acc, mlir::Value x,
                                   mlir::Value y, mlir::Value sum = {});

/// The rounding to f of acc + x * y where `ms.midpoint` holds: the
/// neighbour of s on f's grid on the side of the exact sum (its side from
/// an f64 TwoSum), or s's own rounding when the sum is s; `ms.value` in the
/// other lanes.
mlir::Value emitMidpointFix(const ElementBuilder &eb,
                            const numerics::MinifloatFormat &f,
                            const MidpointSum &ms);

/// `check` with `sum`'s terms added, for the lanes of `where` (all when
/// null).
FastCheck addToCheck(const ElementBuilder &eb, const FastCheck &check,
                     const FastSum &sum, mlir::Value where = {});

/// Whether some lane of the check says the block's sums may not be the
/// library's (i1): an inexact f32 sum, or a magnitude above `limit`.
mlir::Value emitCheckFails(const ElementBuilder &eb, const FastCheck &check,
                           float limit);

/// The largest finite value of every format the fast path rounds to in
/// `s` (f32's own for f32).
float fastMagnitudeLimit(const numerics::AccumulationSpec &s);

} // namespace qtrain::lowering

#endif
