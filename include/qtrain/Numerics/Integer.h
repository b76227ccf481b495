//===- Integer.h - Integer and fixed-point formats --------------*- C++ -*-===//
//
// A value is code * 2^-fractionBits, the code an integer of `bits` bits in
// two's complement, sign-magnitude or unsigned form. docs/Numerics.md
// ("Integers and fixed point") is the normative description.
//
//===----------------------------------------------------------------------===//

#ifndef QTRAIN_NUMERICS_INTEGER_H
#define QTRAIN_NUMERICS_INTEGER_H

#include "qtrain/Numerics/Rounding.h"

#include "llvm/ADT/ArrayRef.h"

namespace qtrain::numerics {

enum class IntegerEncoding : uint8_t {
  TwosComplement, ///< [-2^(b-1), 2^(b-1) - 1]
  SignMagnitude,  ///< [-(2^(b-1) - 1), 2^(b-1) - 1]; the sign is the top bit.
  Unsigned,       ///< [0, 2^b - 1]
};

enum class IntegerOverflow : uint8_t {
  Saturate, ///< Clamp to the range.
  Wrap,     ///< Keep the low bits (two's complement / unsigned: modulo 2^b;
            ///< sign-magnitude: magnitude modulo 2^(b-1)).
};

struct IntegerFormat {
  unsigned bits = 8;
  IntegerEncoding encoding = IntegerEncoding::TwosComplement;
  int fractionBits = 0;
  IntegerOverflow overflow = IntegerOverflow::Saturate;

  llvm::Error verify() const;

  int64_t minInteger() const;
  int64_t maxInteger() const;
  /// The largest value (maxInteger * 2^-fractionBits, rounded to f32 when
  /// the integer has more than 24 significant bits).
  float maxValue() const;
  /// Exponent of the largest power of two not above maxValue (the emax that
  /// block scale rules align to).
  int maxExponent() const;

  bool operator==(const IntegerFormat &o) const {
    return bits == o.bits && encoding == o.encoding &&
           fractionBits == o.fractionBits && overflow == o.overflow;
  }
  bool operator!=(const IntegerFormat &o) const { return !(*this == o); }
};

/// f32 -> code (the low `bits` bits). NaN encodes as 0; +-infinity as the
/// largest / smallest integer in both overflow modes.
uint32_t encode(const IntegerFormat &f, float x, const Rounding &r,
                uint32_t random = 0);
/// The signed integer a code stands for.
int64_t codeToInteger(const IntegerFormat &f, uint32_t code);
/// Array form of encode: element i uses the stream index firstIndex + i.
void encode(const IntegerFormat &f, llvm::ArrayRef<float> in,
            llvm::MutableArrayRef<uint32_t> out, const Rounding &r,
            uint64_t firstIndex = 0, llvm::ArrayRef<float> randomData = {});
/// code -> f32 (exact up to 24 significant bits, else rounded to nearest).
float decode(const IntegerFormat &f, uint32_t code);
inline float quantize(const IntegerFormat &f, float x, const Rounding &r,
                      uint32_t random = 0) {
  return decode(f, encode(f, x, r, random));
}
void quantize(const IntegerFormat &f, llvm::ArrayRef<float> in,
              llvm::MutableArrayRef<float> out, const Rounding &r,
              uint64_t firstIndex = 0, llvm::ArrayRef<float> randomData = {});

llvm::StringRef stringifyIntegerEncoding(IntegerEncoding e);
std::optional<IntegerEncoding> parseIntegerEncoding(llvm::StringRef s);
llvm::StringRef stringifyIntegerOverflow(IntegerOverflow o);
std::optional<IntegerOverflow> parseIntegerOverflow(llvm::StringRef s);

} // namespace qtrain::numerics

#endif // QTRAIN_NUMERICS_INTEGER_H
