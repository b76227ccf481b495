//===- ElementFormat.h - Minifloat or integer element format ----*- C++ -*-===//
//
// The element format of a scaled format: one of the element kinds, with the
// operations block scaling needs.
//
//===----------------------------------------------------------------------===//

#ifndef QTRAIN_NUMERICS_ELEMENTFORMAT_H
#define QTRAIN_NUMERICS_ELEMENTFORMAT_H

#include "qtrain/Numerics/Integer.h"
#include "qtrain/Numerics/Minifloat.h"

#include <variant>

namespace qtrain::numerics {

class ElementFormat {
public:
  ElementFormat(MinifloatFormat f) : format(f) {}
  ElementFormat(IntegerFormat f) : format(f) {}

  const MinifloatFormat *minifloat() const {
    return std::get_if<MinifloatFormat>(&format);
  }
  const IntegerFormat *integer() const {
    return std::get_if<IntegerFormat>(&format);
  }

  llvm::Error verify() const;
  unsigned bitWidth() const;
  /// The largest finite value.
  float maxValue() const;
  /// emax: exponent of the largest power of two not above maxValue().
  int maxExponent() const;

  uint32_t encode(float x, const Rounding &r, uint32_t random = 0) const;
  float decode(uint32_t code) const;
  float quantize(float x, const Rounding &r, uint32_t random = 0) const {
    return decode(encode(x, r, random));
  }

  bool operator==(const ElementFormat &o) const { return format == o.format; }
  bool operator!=(const ElementFormat &o) const { return !(*this == o); }

private:
  std::variant<MinifloatFormat, IntegerFormat> format;
};

} // namespace qtrain::numerics

#endif // QTRAIN_NUMERICS_ELEMENTFORMAT_H
