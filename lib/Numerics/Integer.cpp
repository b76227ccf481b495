//===- Integer.cpp - Integer and fixed-point formats ----------------------===//
//
// See docs/Numerics.md, "Integers and fixed point".
//
//===----------------------------------------------------------------------===//

#include "qtrain/Numerics/Integer.h"

#include "Detail.h"

#include "llvm/Support/MathExtras.h"

#include <cmath>

using namespace llvm;

namespace qtrain::numerics {

Error IntegerFormat::verify() const {
  if (bits < 2 || bits > 32)
    return createStringError("integer bits must be in [2, 32], got %u", bits);
  if (fractionBits < -64 || fractionBits > 64)
    return createStringError("fraction bits must be in [-64, 64], got %d",
                             fractionBits);
  return Error::success();
}

int64_t IntegerFormat::minInteger() const {
  switch (encoding) {
  case IntegerEncoding::TwosComplement:
    return -(int64_t(1) << (bits - 1));
  case IntegerEncoding::SignMagnitude:
    return -((int64_t(1) << (bits - 1)) - 1);
  case IntegerEncoding::Unsigned:
    return 0;
  }
  llvm_unreachable("unknown integer encoding");
}

int64_t IntegerFormat::maxInteger() const {
  return encoding == IntegerEncoding::Unsigned ? (int64_t(1) << bits) - 1
                                               : (int64_t(1) << (bits - 1)) - 1;
}

float IntegerFormat::maxValue() const {
  return static_cast<float>(
      std::ldexp(static_cast<double>(maxInteger()), -fractionBits));
}

int IntegerFormat::maxExponent() const {
  return static_cast<int>(Log2_64(static_cast<uint64_t>(maxInteger()))) -
         fractionBits;
}

namespace {
uint32_t integerToCode(const IntegerFormat &f, int64_t v) {
  uint64_t mask = (uint64_t(1) << f.bits) - 1;
  if (f.encoding == IntegerEncoding::SignMagnitude && v < 0)
    return static_cast<uint32_t>((uint64_t(1) << (f.bits - 1)) |
                                 static_cast<uint64_t>(-v));
  return static_cast<uint32_t>(static_cast<uint64_t>(v) & mask);
}
} // namespace

uint32_t encode(const IntegerFormat &f, float x, const Rounding &r,
                uint32_t random) {
  detail::F32Parts p = detail::decompose(x);
  switch (p.kind) {
  case detail::F32Parts::NaN:
  case detail::F32Parts::Zero:
    return 0;
  case detail::F32Parts::Infinity:
    return integerToCode(f, p.negative ? f.minInteger() : f.maxInteger());
  case detail::F32Parts::Finite:
    break;
  }
  // The integer part of |x| * 2^fractionBits: `mag` exactly, or only its low
  // 64 bits (`huge`) when it does not fit.
  int shift = -(p.exp + f.fractionBits);
  uint64_t mag;
  bool huge = false;
  if (shift > 0) {
    mag = roundShifted(p.sig, shift, p.negative, r, random);
  } else {
    int left = -shift;
    mag = left < 64 ? p.sig << left : 0;
    huge = left + 64 - countl_zero(p.sig) > 62;
  }

  if (f.overflow == IntegerOverflow::Wrap) {
    if (f.encoding == IntegerEncoding::SignMagnitude) {
      uint64_t m = mag & ((uint64_t(1) << (f.bits - 1)) - 1);
      return integerToCode(f, p.negative ? -static_cast<int64_t>(m)
                                         : static_cast<int64_t>(m));
    }
    uint64_t v = p.negative ? uint64_t(0) - mag : mag; // modulo 2^64
    return static_cast<uint32_t>(v & ((uint64_t(1) << f.bits) - 1));
  }
  if (huge)
    return integerToCode(f, p.negative ? f.minInteger() : f.maxInteger());
  int64_t v =
      p.negative ? -static_cast<int64_t>(mag) : static_cast<int64_t>(mag);
  return integerToCode(f, std::clamp(v, f.minInteger(), f.maxInteger()));
}

int64_t codeToInteger(const IntegerFormat &f, uint32_t code) {
  uint64_t c = code & ((uint64_t(1) << f.bits) - 1);
  switch (f.encoding) {
  case IntegerEncoding::TwosComplement:
    return SignExtend64(c, f.bits);
  case IntegerEncoding::SignMagnitude: {
    int64_t m = static_cast<int64_t>(c & ((uint64_t(1) << (f.bits - 1)) - 1));
    return (c >> (f.bits - 1)) ? -m : m;
  }
  case IntegerEncoding::Unsigned:
    return static_cast<int64_t>(c);
  }
  llvm_unreachable("unknown integer encoding");
}

float decode(const IntegerFormat &f, uint32_t code) {
  // Exact in double (|v| < 2^32), then one rounding to f32.
  return static_cast<float>(
      std::ldexp(static_cast<double>(codeToInteger(f, code)), -f.fractionBits));
}

void encode(const IntegerFormat &f, ArrayRef<float> in,
            MutableArrayRef<uint32_t> out, const Rounding &r,
            uint64_t firstIndex, ArrayRef<float> randomData) {
  assert(in.size() == out.size() && "size mismatch");
  detail::forEachChunk(in.size(), r, firstIndex, randomData,
                       [&](size_t begin, size_t end, const uint32_t *randoms) {
                         for (size_t i = begin; i < end; ++i)
                           out[i] = encode(f, in[i], r,
                                           randoms ? randoms[i - begin] : 0);
                       });
}

void quantize(const IntegerFormat &f, ArrayRef<float> in,
              MutableArrayRef<float> out, const Rounding &r,
              uint64_t firstIndex, ArrayRef<float> randomData) {
  assert(in.size() == out.size() && "size mismatch");
  detail::forEachChunk(in.size(), r, firstIndex, randomData,
                       [&](size_t begin, size_t end, const uint32_t *randoms) {
                         for (size_t i = begin; i < end; ++i)
                           out[i] = quantize(f, in[i], r,
                                             randoms ? randoms[i - begin] : 0);
                       });
}

namespace {
using detail::EnumName;
const EnumName<IntegerEncoding> kIntegerEncodingNames[] = {
    {IntegerEncoding::TwosComplement, "twos_complement"},
    {IntegerEncoding::SignMagnitude, "sign_magnitude"},
    {IntegerEncoding::Unsigned, "unsigned"},
};
} // namespace

StringRef stringifyIntegerEncoding(IntegerEncoding e) {
  return detail::nameOf(kIntegerEncodingNames, e);
}

std::optional<IntegerEncoding> parseIntegerEncoding(StringRef s) {
  return detail::valueOf(kIntegerEncodingNames, s);
}

namespace {
using detail::EnumName;
const EnumName<IntegerOverflow> kIntegerOverflowNames[] = {
    {IntegerOverflow::Saturate, "saturate"},
    {IntegerOverflow::Wrap, "wrap"},
};
} // namespace

StringRef stringifyIntegerOverflow(IntegerOverflow o) {
  return detail::nameOf(kIntegerOverflowNames, o);
}

std::optional<IntegerOverflow> parseIntegerOverflow(StringRef s) {
  return detail::valueOf(kIntegerOverflowNames, s);
}

} // namespace qtrain::numerics
