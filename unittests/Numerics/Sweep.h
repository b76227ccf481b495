//===- Sweep.h - Input sets that probe every rounding decision --*- C++ -*-===//
//
// Shared by the minifloat tests: the dense sweep around every representable
// value, midpoint and the overflow threshold, special inputs, and random f32.
//
//===----------------------------------------------------------------------===//

#ifndef QTRAIN_UNITTESTS_NUMERICS_SWEEP_H
#define QTRAIN_UNITTESTS_NUMERICS_SWEEP_H

#include "qtrain/Numerics/Integer.h"
#include "qtrain/Numerics/Minifloat.h"
#include "qtrain/Numerics/Presets.h"

#include "llvm/ADT/FloatingPointMode.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/bit.h"

#include <cmath>
#include <cstdint>
#include <limits>
#include <ostream>
#include <random>
#include <vector>

namespace qtrain::numerics::test {

/// A format of the parametric corners, named for test output.
struct NamedMinifloat {
  const char *name;
  MinifloatFormat format;
};

/// Test names in gtest and ctest output.
inline void PrintTo(const NamedMinifloat &c, std::ostream *os) {
  *os << c.name;
}

/// Custom minifloats APFloat lacks: custom biases, subnormals off, each
/// overflow policy and special-value encoding, m = 0, e = 1, the DGA and
/// MLS formats, adaptive bias. A function, not a global array: the presets
/// live in another translation unit and are not initialized before this
/// one's globals.
inline std::vector<NamedMinifloat> customMinifloatFormats() {
  using SV = SpecialValues;
  using OP = OverflowPolicy;
  return {
      {"e5m2_bias20_noSub_none_sat", adaptiveBiasE5M2(20)},
      {"e5m2_bias31_noSub_none_sat", adaptiveBiasE5M2(31)},
      {"e4m3_ieee_bias10_inf", {4, 3, 10, SV::IEEE, true, OP::Inf}},
      {"e4m3_ieee_bias3_sat", {4, 3, 3, SV::IEEE, true, OP::Saturate}},
      {"e4m3_ieee_nan", {4, 3, 7, SV::IEEE, true, OP::NaN}},
      {"e4m3fn_sat", {4, 3, 7, SV::FN, true, OP::Saturate}},
      {"e4m3fn_noSub", {4, 3, 7, SV::FN, false, OP::NaN}},
      {"e5m2fnuz_sat", {5, 2, 16, SV::FNUZ, true, OP::Saturate}},
      {"e3m2_fnuz_bias-2", {3, 2, -2, SV::FNUZ, true, OP::NaN}},
      {"e2m0_fn", {2, 0, 1, SV::FN, true, OP::NaN}},
      {"e1m2_none", {1, 2, 0, SV::None, true, OP::Saturate}},
      {"e1m0_none", {1, 0, 0, SV::None, true, OP::Saturate}},
      {"e3m0_none_noSub", {3, 0, 3, SV::None, false, OP::Saturate}},
      {"e6m5_fnuz_bias40", {6, 5, 40, SV::FNUZ, true, OP::NaN}},
      {"e4m3fnuz_noSub", {4, 3, 8, SV::FNUZ, false, OP::NaN}},
      {"e7m8_ieee_bias60_noSub", {7, 8, 60, SV::IEEE, false, OP::Inf}},
      {"e5m10_ieee_noSub_sat", {5, 10, 15, SV::IEEE, false, OP::Saturate}},
      {"fp12_dga", *lookupMinifloat("fp12_dga")},
      {"fp16_dga", *lookupMinifloat("fp16_dga")},
      {"mls_e2m4", *lookupMinifloat("mls_e2m4")},
      {"e8m7_fn_bias128", {8, 7, 128, SV::FN, true, OP::NaN}},
  };
}

/// Integer and fixed-point corners: every encoding, both overflow modes,
/// positive, zero and negative fraction bits, 2 to 24 bits.
inline std::vector<IntegerFormat> integerCorners() {
  return {
      {8, IntegerEncoding::TwosComplement, 0, IntegerOverflow::Saturate},
      {8, IntegerEncoding::TwosComplement, 6, IntegerOverflow::Saturate},
      {8, IntegerEncoding::TwosComplement, 2, IntegerOverflow::Wrap},
      {5, IntegerEncoding::SignMagnitude, 3, IntegerOverflow::Saturate},
      {5, IntegerEncoding::SignMagnitude, 3, IntegerOverflow::Wrap},
      {4, IntegerEncoding::Unsigned, 1, IntegerOverflow::Saturate},
      {4, IntegerEncoding::Unsigned, -2, IntegerOverflow::Wrap},
      {16, IntegerEncoding::TwosComplement, 8, IntegerOverflow::Wrap},
      {24, IntegerEncoding::TwosComplement, 0, IntegerOverflow::Saturate},
      {2, IntegerEncoding::TwosComplement, 0, IntegerOverflow::Saturate},
  };
}

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
