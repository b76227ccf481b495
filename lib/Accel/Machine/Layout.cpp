//===- Layout.cpp - Scratchpad lanes and multiplier modes -----------------===//
//
// docs/Accelerator.md, "Scratchpads" and "GEMM" (need(F)).
//
//===----------------------------------------------------------------------===//

#include "qtrain/Accel/Layout.h"

#include "qtrain/Accel/ISA.h"

namespace qtrain::accel {

using namespace numerics;

namespace {
/// The smallest of `widths` that is at least `bits` (the last one if none).
template <size_t N>
unsigned smallestAtLeast(unsigned bits, const unsigned (&widths)[N]) {
  for (unsigned w : widths)
    if (w >= bits)
      return w;
  return widths[N - 1];
}
} // namespace

unsigned codeWidth(const ElementFormat &element) {
  static const unsigned kWidths[] = {4, 8, 16, 32};
  return smallestAtLeast(element.bitWidth(), kWidths);
}

unsigned blockScaleWidth(const ScaleFormat *blockScale) {
  if (!blockScale)
    return 0;
  return blockScale->kind == numerics::ScaleKind::PowerOfTwo ? 8 : 32;
}

LaneLayout laneLayout(const ElementFormat &element,
                      const ScaleFormat *blockScale, bool paired,
                      uint64_t rowBytes) {
  static const unsigned kPairWidths[] = {8, 16, 32, 64};
  LaneLayout l;
  l.codeBits = codeWidth(element);
  l.scaleBits = blockScaleWidth(blockScale);
  l.paired = paired;
  l.laneBits = paired ? smallestAtLeast(l.codeBits + l.scaleBits, kPairWidths)
                      : l.codeBits;
  l.lanesPerRow = static_cast<unsigned>(8 * rowBytes / l.laneBits);
  if (!paired && blockScale)
    l.groupLanes = blockScale->kind == numerics::ScaleKind::PowerOfTwo
                       ? l.lanesPerRow / 8
                       : l.lanesPerRow / 2;
  return l;
}

unsigned significandBits(const ElementFormat &element) {
  if (const MinifloatFormat *f = element.minifloat())
    return f->mantissaBits + 1;
  const IntegerFormat *i = element.integer();
  return i->encoding == IntegerEncoding::Unsigned ? i->bits : i->bits - 1;
}

uint64_t neededGemmMode(const ElementFormat &element) {
  unsigned bits = significandBits(element);
  if (bits <= 4)
    return GemmMode::M4;
  if (bits <= 8)
    return GemmMode::M8;
  if (bits <= 16)
    return GemmMode::M16;
  if (bits <= 24)
    return GemmMode::F32;
  return kNoGemmMode;
}

} // namespace qtrain::accel
