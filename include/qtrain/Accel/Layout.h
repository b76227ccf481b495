//===- Layout.h - Scratchpad lanes and multiplier modes ---------*- C++ -*-===//
//
// The rules of docs/Accelerator.md ("Scratchpads", "GEMM") that map a format
// to scratchpad lanes and a multiplier mode: the code width cw(F), the block
// scale width sb(F), the lane width w(F), lanes per row L(F), the scale
// group G(F) and need(F). The functional model and the compiler's conversion
// pass both use them.
//
//===----------------------------------------------------------------------===//

#ifndef QTRAIN_ACCEL_LAYOUT_H
#define QTRAIN_ACCEL_LAYOUT_H

#include "qtrain/Numerics/ElementFormat.h"
#include "qtrain/Numerics/ScaleFormat.h"

#include <cstdint>

namespace qtrain::accel {

/// cw(F): the smallest of 4, 8, 16, 32 that is at least the element's bit
/// width.
unsigned codeWidth(const numerics::ElementFormat &element);

/// sb(F): 8 for a power-of-two block scale, 32 for an f32 one, 0 without a
/// block level (`blockScale` null).
unsigned blockScaleWidth(const numerics::ScaleFormat *blockScale);

/// How a format occupies scratchpad rows.
struct LaneLayout {
  unsigned codeBits = 0;  ///< cw(F).
  unsigned scaleBits = 0; ///< sb(F).
  unsigned laneBits = 0;  ///< w(F): cw, or pw for the paired layout.
  bool paired = false;
  unsigned lanesPerRow = 0; ///< L(F) = 8 row_bytes / w(F).
  /// G(F): lanes per sidecar scale group of a plain layout with a block
  /// level (L / 8 for power-of-two scales, L / 2 for f32 scales); 0
  /// otherwise.
  unsigned groupLanes = 0;
};

/// The lanes of `element` with an optional block level of scale format
/// `blockScale` in rows of `rowBytes` code bytes. `paired` requires a block
/// level (the caller checks).
LaneLayout laneLayout(const numerics::ElementFormat &element,
                      const numerics::ScaleFormat *blockScale, bool paired,
                      uint64_t rowBytes);

/// The significand a multiplier must hold: m + 1 bits for a minifloat,
/// magnitude bits (bits - 1) for a signed integer, bits for an unsigned one.
unsigned significandBits(const numerics::ElementFormat &element);

/// Returned by neededGemmMode for a significand wider than 24 bits (a
/// 26- to 32-bit integer), which no multiplier mode holds.
inline constexpr uint64_t kNoGemmMode = 4;

/// need(F) as a GemmMode value (GemmMode::M4 .. GemmMode::F32): the
/// narrowest multiplier that holds the significand (4, 8, 16, 24 bits), or
/// kNoGemmMode.
uint64_t neededGemmMode(const numerics::ElementFormat &element);

} // namespace qtrain::accel

#endif // QTRAIN_ACCEL_LAYOUT_H
