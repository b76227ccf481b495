//===- ElementFormat.cpp - Minifloat or integer element format ------------===//

#include "qtrain/Numerics/ElementFormat.h"

#include <cmath>

using namespace llvm;

namespace qtrain::numerics {

Error ElementFormat::verify() const {
  return std::visit([](const auto &f) { return f.verify(); }, format);
}

unsigned ElementFormat::bitWidth() const {
  if (const MinifloatFormat *f = minifloat())
    return f->bitWidth();
  return integer()->bits;
}

float ElementFormat::maxValue() const {
  if (const MinifloatFormat *f = minifloat())
    return f->maxFinite();
  return integer()->maxValue();
}

int ElementFormat::maxExponent() const {
  if (const MinifloatFormat *f = minifloat())
    return f->maxExponent();
  return integer()->maxExponent();
}

uint32_t ElementFormat::encode(float x, const Rounding &r,
                               uint32_t random) const {
  return std::visit(
      [&](const auto &f) { return numerics::encode(f, x, r, random); }, format);
}

float ElementFormat::decode(uint32_t code) const {
  return std::visit([&](const auto &f) { return numerics::decode(f, code); },
                    format);
}

} // namespace qtrain::numerics
