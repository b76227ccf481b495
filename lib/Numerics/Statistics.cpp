//===- Statistics.cpp - Tensor statistics for scaling and control ---------===//
//
// See docs/Numerics.md, "Statistics".
//
//===----------------------------------------------------------------------===//

#include "qtrain/Numerics/Statistics.h"

#include "Detail.h"

#include "llvm/ADT/bit.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

using namespace llvm;

namespace qtrain::numerics {

int floorLog2(float x) {
  detail::F32Parts p = detail::decompose(x);
  assert(p.kind == detail::F32Parts::Finite && "finite non-zero only");
  return p.exp + 63 - countl_zero(p.sig);
}

float amax(ArrayRef<float> x) {
  AmaxStatistic s;
  s.add(x);
  return s.amax();
}

namespace {
std::vector<float> absNonNaN(ArrayRef<float> x, bool finiteOnly,
                             bool excludeZeros) {
  std::vector<float> a;
  a.reserve(x.size());
  for (float v : x)
    if (!std::isnan(v) && (!finiteOnly || std::isfinite(v)) &&
        (!excludeZeros || v != 0))
      a.push_back(std::fabs(v));
  return a;
}
} // namespace

float medianAbs(ArrayRef<float> x, bool excludeZeros) {
  std::vector<float> a = absNonNaN(x, /*finiteOnly=*/false, excludeZeros);
  if (a.empty())
    return 0.0f;
  auto mid = a.begin() + (a.size() - 1) / 2;
  std::nth_element(a.begin(), mid, a.end());
  return *mid;
}

float medianAbsApprox(ArrayRef<float> x, unsigned bins, bool excludeZeros) {
  assert(bins >= 1 && "need at least one bin");
  ApproxMedianSelect select(bins);
  while (!select.done()) {
    select.add(x);
    [[maybe_unused]] bool counted = select.step(excludeZeros);
    assert(counted && "every pass reads the same values");
  }
  return select.value();
}

void RadixSelect::add(ArrayRef<float> x) {
  if (done())
    return;
  for (float v : x) {
    if (std::isnan(v))
      continue;
    uint32_t b = bit_cast<uint32_t>(v) & 0x7fffffffu;
    if (digits > 0 && (b >> (shift() + 8)) != prefix)
      continue;
    zeros += b == 0;
    ++counts[(b >> shift()) & 0xffu];
  }
}

bool RadixSelect::step(bool excludeZeros) {
  if (done())
    return true;
  if (excludeZeros && prefix == 0) // the zeros are in digit 0's count
    counts[0] -= zeros;
  if (digits == 0) {
    uint64_t n = 0;
    for (uint64_t c : counts)
      n += c;
    if (n == 0) {
      empty = true;
      digits = kPasses;
      return true;
    }
    rank = (n - 1) / 2;
  }
  unsigned d = 0;
  while (d < kBins && rank >= counts[d])
    rank -= counts[d++];
  if (d == kBins)
    return false; // the passes did not count the same elements
  prefix = (prefix << 8) | d;
  ++digits;
  counts.fill(0);
  zeros = 0;
  return true;
}

float RadixSelect::value() const {
  assert(done() && "digits still to choose");
  return empty ? 0.0f : bit_cast<float>(prefix);
}

// The arithmetic is medianAbsApprox's definition (docs/Numerics.md,
// "Statistics"): the bin of v in [from, from + bins * w), clamped to the
// first and last bin; pass 3 keeps exactly the values pass 2 put in the
// picked bin (by this same index, never by comparing with recomputed
// edges), so the running count always reaches the rank.
unsigned ApproxMedianSelect::binOf(double v, double from, double w) const {
  double q = std::max((v - from) / w, 0.0);
  return static_cast<unsigned>(std::min<double>(q, bins - 1));
}

void ApproxMedianSelect::add(ArrayRef<float> x) {
  if (done())
    return;
  for (float v : x) {
    if (!std::isfinite(v))
      continue;
    float a = std::fabs(v);
    if (passes == 0) {
      ++finite;
      zeros += a == 0;
      min = std::min(min, a);
      if (a != 0)
        minNonZero = std::min(minNonZero, a);
      max = std::max(max, a);
    } else if (passes == 1) {
      zeros += a == 0;
      ++counts[binOf(a, lo, width)];
    } else if (binOf(a, lo, width) == pick) {
      zeros += a == 0;
      ++counts[binOf(a, lo2, width2)];
    }
  }
}

bool ApproxMedianSelect::step(bool excludeZeros) {
  if (done())
    return true;
  auto finish = [&](float value) {
    result = value;
    passes = kPasses;
    return true;
  };
  if (passes == 0) {
    uint64_t n = finite - (excludeZeros ? zeros : 0);
    if (n == 0)
      return finish(0.0f);
    rank = (n - 1) / 2 + 1; // 1-based rank of the lower median
    lo = excludeZeros ? minNonZero : min;
    width = (static_cast<double>(max) - lo) / bins;
    if (width == 0)
      return finish(static_cast<float>(lo));
    counts.assign(bins, 0);
    zeros = 0;
    passes = 1;
    return true;
  }
  // A zero, when counted, is in the first bin (below every bin's start).
  if (excludeZeros)
    counts[0] -= zeros;
  unsigned b = 0;
  while (b < bins && below + counts[b] < rank)
    below += counts[b++];
  if (b == bins)
    return false; // the passes did not count the same values
  if (passes == 1) {
    pick = b;
    lo2 = lo + pick * width;
    width2 = width / bins;
    counts.assign(bins, 0);
    zeros = 0;
    passes = 2;
    return true;
  }
  return finish(static_cast<float>(lo2 + (b + 0.5) * width2));
}

double zeroSettingError(ArrayRef<float> x, const ElementFormat &f,
                        const Rounding &r, ZseDenominator denominator) {
  assert(!r.isStochastic() && "zero-setting error uses deterministic modes");
  ZeroSettingCounts counts;
  for (float v : x) // a non-candidate's (zero, NaN) value is not read
    counts.add(v, v == 0 || std::isnan(v) ? 0.0f : f.quantize(v, r));
  return counts.ratio(denominator);
}

Expected<double> zeroSettingError(const ScaledFormat &f,
                                  ArrayRef<int64_t> shape, ArrayRef<float> x,
                                  const Rounding &r,
                                  ZseDenominator denominator) {
  assert(!r.isStochastic() && "zero-setting error uses deterministic modes");
  std::vector<float> q(x.size());
  if (Error e = quantizeScaled(f, shape, x, q, r))
    return std::move(e);
  ZeroSettingCounts counts;
  for (size_t i = 0; i < x.size(); ++i)
    counts.add(x[i], q[i]);
  return counts.ratio(denominator);
}

ExponentHistogram exponentHistogram(ArrayRef<float> x) {
  ExponentHistogram h;
  for (float v : x) {
    if (std::isnan(v))
      ++h.nans;
    else if (std::isinf(v))
      ++h.infinities;
    else if (v == 0)
      ++h.zeros;
    else
      ++h.at(floorLog2(v));
  }
  return h;
}

bool inUpperHalfOctave(float x) {
  detail::F32Parts p = detail::decompose(x);
  assert(p.kind == detail::F32Parts::Finite && "finite non-zero only");
  int width = 63 - countl_zero(p.sig); // floorLog2(sig)
  return width > 0 && ((p.sig >> (width - 1)) & 1);
}

size_t median_histogram::binOf(float x) {
  if (std::isnan(x))
    return kNaNs;
  if (std::isinf(x))
    return kInfinities;
  if (x == 0)
    return kZeros;
  return 2 * static_cast<size_t>(floorLog2(x) - kMinExponent) +
         inUpperHalfOctave(x);
}

void addToMedianHistogram(MutableArrayRef<uint64_t> histogram,
                          ArrayRef<float> x) {
  assert(histogram.size() == median_histogram::kBins && "histogram size");
  for (float v : x)
    ++histogram[median_histogram::binOf(v)];
}

float medianLookupValue(ArrayRef<uint64_t> histogram, bool excludeZeros) {
  using namespace median_histogram;
  assert(histogram.size() == kBins && "histogram size");
  uint64_t zeros = excludeZeros ? 0 : histogram[kZeros];
  uint64_t n = zeros + histogram[kInfinities];
  for (size_t b = 0; b < kHalfOctaves; ++b)
    n += histogram[b];
  if (n == 0)
    return 0.0f;
  // The lower median's 0-based rank, in increasing order: zeros, the half
  // octaves, infinities.
  uint64_t rank = (n - 1) / 2;
  if (rank < zeros)
    return 0.0f;
  uint64_t before = zeros;
  for (size_t b = 0; b < kHalfOctaves; ++b) {
    before += histogram[b];
    if (rank < before) {
      int e = static_cast<int>(b / 2) + kMinExponent;
      return static_cast<float>(std::ldexp(b % 2 ? 1.75 : 1.25, e));
    }
  }
  return std::numeric_limits<float>::infinity();
}

BiasPhase biasPhase(uint64_t step, uint64_t warmupSteps) {
  if (step < warmupSteps)
    return BiasPhase::WarmUp;
  return step == warmupSteps ? BiasPhase::Freeze : BiasPhase::Frozen;
}

float frozenMedianScale(const ScaleLevel &level, ArrayRef<uint64_t> histogram) {
  return scaleFromMedian(level,
                         medianLookupValue(histogram, level.excludeZeros));
}

} // namespace qtrain::numerics
