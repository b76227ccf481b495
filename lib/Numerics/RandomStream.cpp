//===- RandomStream.cpp - Reproducible random bits for rounding -----------===//
//
// See docs/Numerics.md, "Random streams".
//
//===----------------------------------------------------------------------===//

#include "qtrain/Numerics/RandomStream.h"

#include "llvm/ADT/bit.h"
#include "llvm/Support/ErrorHandling.h"

#include <cstring>

using namespace llvm;

namespace qtrain::numerics {

uint32_t mix32(uint32_t x) {
  x ^= x >> 16;
  x *= 0x7feb352du;
  x ^= x >> 15;
  x *= 0x846ca68bu;
  x ^= x >> 16;
  return x;
}

uint32_t counterHash(uint64_t seed, uint64_t index) {
  uint32_t k0 = mix32(static_cast<uint32_t>(seed) ^ 0x9e3779b9u);
  uint32_t k1 = mix32(static_cast<uint32_t>(seed >> 32) ^ 0x85ebca6bu);
  uint32_t x = mix32(static_cast<uint32_t>(index) ^ k0);
  return mix32(x ^ k1 ^ static_cast<uint32_t>(index >> 32));
}

uint32_t defaultLfsrTaps(unsigned width) {
  // Maximal-length Galois tap masks, one per width 2..32 (period 2^w - 1;
  // unittests/Numerics/RandomStreamTest.cpp checks the period up to 2^20).
  static const uint32_t kTaps[33] = {
      0,          0,          0x3,       0x6,       0xC,       0x14,
      0x30,       0x60,       0xB8,      0x110,     0x240,     0x500,
      0x829,      0x100D,     0x2015,    0x6000,    0xD008,    0x12000,
      0x20400,    0x40023,    0x90000,   0x140000,  0x300000,  0x420000,
      0xE10000,   0x1200000,  0x2000023, 0x4000013, 0x9000000, 0x14000000,
      0x20000029, 0x48000000, 0x80200003};
  assert(width >= 2 && width <= 32 && "LFSR width out of range");
  return kTaps[width];
}

uint32_t lfsrLaneSeed(uint64_t seed, unsigned lane, unsigned width) {
  uint64_t period = (uint64_t(1) << width) - 1;
  return static_cast<uint32_t>(counterHash(seed, lane) % period) + 1;
}

bool RandomSource::operator==(const RandomSource &o) const {
  if (kind != o.kind)
    return false;
  switch (kind) {
  case RandomSourceKind::Counter:
    return seed == o.seed;
  case RandomSourceKind::Lfsr:
  case RandomSourceKind::LfsrPlateau:
    return seed == o.seed && lfsrWidth == o.lfsrWidth &&
           lfsrTaps == o.lfsrTaps && lfsrLanes == o.lfsrLanes;
  case RandomSourceKind::Data:
    return dataBitOffset == o.dataBitOffset;
  }
  llvm_unreachable("unknown random source");
}

namespace {
/// A linear map on GF(2)^w as its columns: column j is the image of bit j.
using Gf2Matrix = SmallVector<uint32_t, 32>;

uint32_t apply(const Gf2Matrix &a, uint32_t v) {
  uint32_t r = 0;
  for (unsigned j = 0; v; ++j, v >>= 1)
    if (v & 1)
      r ^= a[j];
  return r;
}

Gf2Matrix multiply(const Gf2Matrix &a, const Gf2Matrix &b) {
  Gf2Matrix c(b.size());
  for (size_t j = 0; j < b.size(); ++j)
    c[j] = apply(a, b[j]);
  return c;
}

Gf2Matrix power(Gf2Matrix a, uint64_t n) {
  Gf2Matrix r(a.size());
  for (size_t j = 0; j < r.size(); ++j)
    r[j] = 1u << j;
  for (; n; n >>= 1, a = multiply(a, a))
    if (n & 1)
      r = multiply(r, a);
  return r;
}

bool isIdentity(const Gf2Matrix &a) {
  for (size_t j = 0; j < a.size(); ++j)
    if (a[j] != (1u << j))
      return false;
  return true;
}
} // namespace

bool isMaximalLengthLfsr(unsigned width, uint32_t taps) {
  assert(width >= 2 && width <= 32 && "LFSR width out of range");
  // The step is the linear map A; every non-zero state has period 2^w - 1
  // iff A has order 2^w - 1 in GL(w, 2): A^(2^w-1) = I and A^((2^w-1)/q) != I
  // for every prime q dividing 2^w - 1.
  Gf2Matrix a(width);
  for (unsigned j = 0; j < width; ++j)
    a[j] = lfsrStep(1u << j, taps);
  uint64_t order = (uint64_t(1) << width) - 1;
  if (!isIdentity(power(a, order)))
    return false;
  uint64_t rest = order;
  for (uint64_t q = 2; q * q <= rest; ++q) {
    if (rest % q)
      continue;
    if (isIdentity(power(a, order / q)))
      return false;
    while (rest % q == 0)
      rest /= q;
  }
  return rest == 1 || !isIdentity(power(a, order / rest));
}

Error RandomSource::verify(unsigned randomBits) const {
  switch (kind) {
  case RandomSourceKind::Counter:
    return Error::success();
  case RandomSourceKind::Lfsr:
  case RandomSourceKind::LfsrPlateau:
    if (lfsrWidth == 0)
      return createStringError("an LFSR source needs its width in bits "
                               "('width', 2 to 32)");
    if (lfsrWidth < 2 || lfsrWidth > 32)
      return createStringError("LFSR width must be in [2, 32], got %u",
                               lfsrWidth);
    if (lfsrWidth < randomBits)
      return createStringError(
          "LFSR width %u is narrower than the %u random bits it must supply",
          lfsrWidth, randomBits);
    if (lfsrWidth < 32 && (lfsrTaps >> lfsrWidth) != 0)
      return createStringError("LFSR taps 0x%x do not fit in %u bits", lfsrTaps,
                               lfsrWidth);
    if (lfsrTaps && !isMaximalLengthLfsr(lfsrWidth, lfsrTaps))
      return createStringError(
          "LFSR taps 0x%x do not give a maximal-length %u-bit LFSR (period "
          "2^%u - 1): some states repeat sooner or reach zero",
          lfsrTaps, lfsrWidth, lfsrWidth);
    if (lfsrLanes < 1 || lfsrLanes > 4096)
      return createStringError("LFSR lanes must be in [1, 4096], got %u",
                               lfsrLanes);
    return Error::success();
  case RandomSourceKind::Data:
    if (dataBitOffset + randomBits > 32)
      return createStringError(
          "data bit offset %u leaves fewer than %u bits of an f32",
          dataBitOffset, randomBits);
    return Error::success();
  }
  llvm_unreachable("unknown random source");
}

RandomStream::RandomStream(const Rounding &rounding, ArrayRef<float> data)
    : rounding(rounding), data(data) {
  unsigned k = rounding.randomBits;
  mask = k >= 32 ? ~0u : (1u << k) - 1;
  const RandomSource &src = rounding.source;
  if (src.kind == RandomSourceKind::Lfsr ||
      src.kind == RandomSourceKind::LfsrPlateau) {
    taps = src.lfsrTaps ? src.lfsrTaps : defaultLfsrTaps(src.lfsrWidth);
    laneState.resize(src.lfsrLanes);
    laneStep.assign(src.lfsrLanes, 0);
    for (unsigned l = 0; l < src.lfsrLanes; ++l)
      laneState[l] = lfsrLaneSeed(src.seed, l, src.lfsrWidth);
  }
  // The same message as the CPU lowering's run-time check. Callers that can
  // return an error (encodeScaled) check first.
  if (rounding.isStochastic() && src.kind == RandomSourceKind::Data &&
      data.empty())
    report_fatal_error("qtrain: the random data of a data source is empty");
}

void RandomStream::seekLane(unsigned lane, uint64_t step) {
  const RandomSource &src = rounding.source;
  uint32_t s = laneState[lane];
  uint64_t from = laneStep[lane];
  if (step < from) {
    s = lfsrLaneSeed(src.seed, lane, src.lfsrWidth);
    from = 0;
  }
  uint64_t distance = step - from;
  // Stepping costs a few operations a step, a jump about w per set bit of
  // the distance: equal states either way (the step is linear over GF(2)).
  if (distance <= 64) {
    for (; distance; --distance)
      s = lfsrStep(s, taps);
  } else {
    if (jumps.empty()) {
      Gf2Matrix a(src.lfsrWidth);
      for (unsigned j = 0; j < src.lfsrWidth; ++j)
        a[j] = lfsrStep(1u << j, taps);
      jumps.push_back(a);
      for (unsigned i = 1; i < 64; ++i)
        jumps.push_back(multiply(jumps.back(), jumps.back()));
    }
    for (unsigned i = 0; distance; ++i, distance >>= 1)
      if (distance & 1)
        s = apply(jumps[i], s);
  }
  laneState[lane] = s;
  laneStep[lane] = step;
}

void RandomStream::fill(uint64_t start, MutableArrayRef<uint32_t> out) {
  const RandomSource &src = rounding.source;
  switch (src.kind) {
  case RandomSourceKind::Counter: {
    unsigned drop = 32 - rounding.randomBits;
    for (size_t i = 0; i < out.size(); ++i)
      out[i] = counterHash(src.seed, start + i) >> drop;
    return;
  }
  case RandomSourceKind::Data: {
    for (size_t i = 0; i < out.size(); ++i) {
      uint32_t bits = bit_cast<uint32_t>(data[(start + i) % data.size()]);
      out[i] = (bits >> src.dataBitOffset) & mask;
    }
    return;
  }
  case RandomSourceKind::Lfsr:
  case RandomSourceKind::LfsrPlateau: {
    bool plateau = src.kind == RandomSourceKind::LfsrPlateau;
    unsigned lanes = src.lfsrLanes;
    for (size_t i = 0; i < out.size(); ++i) {
      uint64_t index = start + i;
      uint64_t step = index / lanes;
      unsigned lane = index % lanes;
      if (step != laneStep[lane])
        seekLane(lane, step);
      uint32_t s = laneState[lane];
      if (plateau && (step & 1))
        s = ~s;
      out[i] = s & mask;
    }
    return;
  }
  }
}

uint32_t RandomStream::at(uint64_t index) {
  uint32_t r = 0;
  fill(index, MutableArrayRef<uint32_t>(r));
  return r;
}

} // namespace qtrain::numerics
