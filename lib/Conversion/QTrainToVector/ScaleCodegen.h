//===- ScaleCodegen.h - Scale rules as arith code ---------------*- C++ -*-===//
//
// The scale rules of the numerics library (docs/Numerics.md, Scale formats
// and Scale rules) on scalar f32 values: one scale per block.
//
//===----------------------------------------------------------------------===//

#ifndef QTRAIN_LIB_CONVERSION_QTRAINTOVECTOR_SCALECODEGEN_H
#define QTRAIN_LIB_CONVERSION_QTRAINTOVECTOR_SCALECODEGEN_H

#include "ElementBuilder.h"

#include "qtrain/Numerics/ScaledFormat.h"

namespace qtrain::lowering {

/// scaleFromAmax: `amax` is the block's largest finite |residual|, or NaN
/// when the block holds a non-finite residual and the format can hold NaN.
mlir::Value emitScaleFromAmax(const ElementBuilder &eb,
                              const numerics::ScaleLevel &level,
                              const numerics::ElementFormat &element,
                              mlir::Value amax);

/// scaleFromMedian: the power of two nearest the median (1.5 * 2^j goes
/// up), stored at the element exponent medianExponent.
mlir::Value emitScaleFromMedian(const ElementBuilder &eb,
                                const numerics::ScaleLevel &level,
                                mlir::Value median);

/// toScaleFormat: a given scale moved onto the scale format's grid.
mlir::Value emitToScaleFormat(const ElementBuilder &eb,
                              const numerics::ScaleFormat &f,
                              mlir::Value scale);

/// The stored code of a scale value of the format (f32: its bits; power of
/// two: encodeScale with nearest-even, exact for values on the grid).
mlir::Value emitScaleCode(const ElementBuilder &eb,
                          const numerics::ScaleFormat &f, mlir::Value scale);

/// The inverse of emitScaleCode: the f32 value of a stored code (f32 bits,
/// or decodeScale of a power-of-two code).
mlir::Value emitScaleValue(const ElementBuilder &eb,
                           const numerics::ScaleFormat &f, mlir::Value code);

/// Whether the scale format can hold NaN (f32, or a power-of-two format
/// with a NaN code).
bool canHoldNaN(const numerics::ScaleFormat &f);

} // namespace qtrain::lowering

#endif // QTRAIN_LIB_CONVERSION_QTRAINTOVECTOR_SCALECODEGEN_H
