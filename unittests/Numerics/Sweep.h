//===- Sweep.h - Input sets that probe every rounding decision --*- C++ -*-===//
//
// Shared by the minifloat tests: the dense sweep around every representable
// value, midpoint and the overflow threshold, special inputs, and random f32.
//
//===----------------------------------------------------------------------===//

#ifndef QTRAIN_UNITTESTS_NUMERICS_SWEEP_H
#define QTRAIN_UNITTESTS_NUMERICS_SWEEP_H

#include "qtrain/Numerics/Minifloat.h"

#include "llvm/ADT/FloatingPointMode.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/bit.h"

#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

namespace qtrain::numerics::test {

/// "0x..." for failure messages.
inline std::string hex(uint32_t v) { return "0x" + llvm::utohexstr(v); }
inline std::string hexBits(float v) { return hex(llvm::bit_cast<uint32_t>(v)); }

/// The f32 values within `ulps` f32 steps of v (both signs of v included).
inline void addNeighbours(std::vector<float> &out, float v, int ulps) {
  for (float s : {v, -v}) {
    uint32_t b = llvm::bit_cast<uint32_t>(s);
    for (int d = -ulps; d <= ulps; ++d) {
      uint32_t n = b + static_cast<uint32_t>(d);
      // Stay within the same sign (b's sign bit) and finite.
      if ((n ^ b) >> 31)
        continue;
      float f = llvm::bit_cast<float>(n);
      if (std::isfinite(f))
        out.push_back(f);
    }
  }
}

/// Positive finite values of the format in increasing order: every one when
/// the format has at most 2^16 magnitudes, else those of codes that are
/// multiples of a stride (plus the largest), each paired with its successor.
inline std::vector<float> positiveGrid(const MinifloatFormat &f) {
  std::vector<float> grid;
  uint32_t stride = std::max<uint32_t>(1, (f.maxFiniteMagnitude() + 1) >> 16);
  for (uint32_t mag = 0; mag <= f.maxFiniteMagnitude(); mag += stride)
    for (uint32_t m : {mag, mag + 1}) {
      if (stride == 1 && m != mag)
        continue;
      float v = decode(f, std::min(m, f.maxFiniteMagnitude()));
      if (grid.empty() || v > grid.back())
        grid.push_back(v);
    }
  float top = decode(f, f.maxFiniteMagnitude());
  if (grid.back() < top)
    grid.push_back(top);
  return grid;
}

/// Inputs within `ulps` of every grid value, every midpoint, the overflow
/// threshold and the flush threshold; plus zeros, infinities and NaNs.
/// Formats wider than 16 bits are sampled (see positiveGrid).
inline std::vector<float> denseSweep(const MinifloatFormat &f, int ulps = 3) {
  std::vector<float> in;
  std::vector<float> grid = positiveGrid(f);
  for (size_t i = 0; i < grid.size(); ++i) {
    addNeighbours(in, grid[i], ulps);
    double next = i + 1 < grid.size()
                      ? grid[i + 1]
                      : static_cast<double>(grid[i]) +
                            (static_cast<double>(grid[i]) - grid[i - 1]);
    float mid = static_cast<float>((grid[i] + next) / 2); // exact here
    addNeighbours(in, mid, ulps);
    if (i + 1 == grid.size())
      addNeighbours(in, static_cast<float>(next), ulps); // past overflow
  }
  addNeighbours(in, f.minNormal() / 2, ulps);
  addNeighbours(in, std::numeric_limits<float>::max(), ulps);
  addNeighbours(in, std::numeric_limits<float>::denorm_min(), ulps);
  for (float s : {0.0f, std::numeric_limits<float>::infinity(),
                  std::numeric_limits<float>::quiet_NaN()}) {
    in.push_back(s);
    in.push_back(-s);
  }
  return in;
}

/// `n` random f32: half uniform bit patterns (every exponent, NaN, Inf,
/// subnormals), half log-uniform within twice the format's range.
inline std::vector<float> randomInputs(const MinifloatFormat &f, size_t n,
                                       uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<float> in;
  in.reserve(n);
  double lo = std::log2(static_cast<double>(f.minPositive())) - 2;
  double hi = std::log2(static_cast<double>(f.maxFinite())) + 2;
  std::uniform_real_distribution<double> expDist(lo, hi);
  for (size_t i = 0; i < n; ++i) {
    if (i % 2 == 0) {
      in.push_back(llvm::bit_cast<float>(static_cast<uint32_t>(rng())));
    } else {
      float v = static_cast<float>(std::exp2(expDist(rng)));
      in.push_back((rng() & 1) ? -v : v);
    }
  }
  return in;
}

/// The APFloat rounding mode of a deterministic qtrain mode.
inline llvm::RoundingMode toAPFloat(qtrain::numerics::RoundingMode m) {
  switch (m) {
  case qtrain::numerics::RoundingMode::NearestEven:
    return llvm::RoundingMode::NearestTiesToEven;
  case qtrain::numerics::RoundingMode::TowardZero:
    return llvm::RoundingMode::TowardZero;
  case qtrain::numerics::RoundingMode::NearestAway:
    return llvm::RoundingMode::NearestTiesToAway;
  case qtrain::numerics::RoundingMode::Up:
    return llvm::RoundingMode::TowardPositive;
  case qtrain::numerics::RoundingMode::Down:
    return llvm::RoundingMode::TowardNegative;
  case qtrain::numerics::RoundingMode::Stochastic:
    break;
  }
  llvm_unreachable("not an IEEE mode");
}

inline const RoundingMode kDeterministicModes[] = {
    RoundingMode::NearestEven, RoundingMode::TowardZero,
    RoundingMode::NearestAway, RoundingMode::Up, RoundingMode::Down};

} // namespace qtrain::numerics::test

#endif // QTRAIN_UNITTESTS_NUMERICS_SWEEP_H
