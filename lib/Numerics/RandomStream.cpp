//===- RandomStream.cpp - Reproducible random bits for rounding -----------===//
//
// See docs/Numerics.md, "Random streams".
//
//===----------------------------------------------------------------------===//

#include "qtrain/Numerics/RandomStream.h"

#include "llvm/ADT/bit.h"

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
      0,          0,          0x3,        0x6,        0xC,
      0x14,       0x30,       0x60,       0xB8,       0x110,
      0x240,      0x500,      0x829,      0x100D,     0x2015,
      0x6000,     0xD008,     0x12000,    0x20400,    0x40023,
      0x90000,    0x140000,   0x300000,   0x420000,   0xE10000,
      0x1200000,  0x2000023,  0x4000013,  0x9000000,  0x14000000,
      0x20000029, 0x48000000, 0x80200003};
  assert(width >= 2 && width <= 32 && "LFSR width out of range");
  return kTaps[width];
}

uint32_t lfsrLaneSeed(uint64_t seed, unsigned lane, unsigned width) {
  uint64_t period = (uint64_t(1) << width) - 1;
  return static_cast<uint32_t>(counterHash(seed, lane) % period) + 1;
}

Error RandomSource::verify(unsigned randomBits) const {
  switch (kind) {
  case RandomSourceKind::Counter:
    return Error::success();
  case RandomSourceKind::Lfsr:
  case RandomSourceKind::LfsrPlateau:
    if (lfsrWidth < 2 || lfsrWidth > 32)
      return createStringError("LFSR width must be in [2, 32], got %u",
                               lfsrWidth);
    if (lfsrWidth < randomBits)
      return createStringError(
          "LFSR width %u is narrower than the %u random bits it must supply",
          lfsrWidth, randomBits);
    if (lfsrWidth < 32 && (lfsrTaps >> lfsrWidth) != 0)
      return createStringError("LFSR taps 0x%x do not fit in %u bits",
                               lfsrTaps, lfsrWidth);
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
    seekLfsr(0);
  }
}

void RandomStream::seekLfsr(uint64_t step) {
  const RandomSource &src = rounding.source;
  if (laneState.empty() || step < laneStep) {
    laneState.resize(src.lfsrLanes);
    for (unsigned l = 0; l < src.lfsrLanes; ++l)
      laneState[l] = lfsrLaneSeed(src.seed, l, src.lfsrWidth);
    laneStep = 0;
  }
  for (; laneStep < step; ++laneStep)
    for (uint32_t &s : laneState)
      s = lfsrStep(s, taps);
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
    assert(!data.empty() && "data random source without data");
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
      if (step != laneStep)
        seekLfsr(step);
      uint32_t s = laneState[index % lanes];
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
