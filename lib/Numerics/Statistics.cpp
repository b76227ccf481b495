//===- Statistics.cpp - Tensor statistics for scaling and control ---------===//
//
// See docs/Numerics.md, "Statistics".
//
//===----------------------------------------------------------------------===//

#include "qtrain/Numerics/Statistics.h"

#include "Detail.h"

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
  float m = 0.0f;
  bool inf = false;
  for (float v : x) {
    if (std::isnan(v))
      return std::numeric_limits<float>::quiet_NaN();
    if (std::isinf(v))
      inf = true;
    else
      m = std::max(m, std::fabs(v));
  }
  return inf ? std::numeric_limits<float>::infinity() : m;
}

namespace {
std::vector<float> absNonNaN(ArrayRef<float> x, bool finiteOnly) {
  std::vector<float> a;
  a.reserve(x.size());
  for (float v : x)
    if (!std::isnan(v) && (!finiteOnly || std::isfinite(v)))
      a.push_back(std::fabs(v));
  return a;
}
} // namespace

float medianAbs(ArrayRef<float> x) {
  std::vector<float> a = absNonNaN(x, /*finiteOnly=*/false);
  if (a.empty())
    return 0.0f;
  auto mid = a.begin() + (a.size() - 1) / 2;
  std::nth_element(a.begin(), mid, a.end());
  return *mid;
}

float medianAbsApprox(ArrayRef<float> x, unsigned bins) {
  assert(bins >= 1 && "need at least one bin");
  std::vector<float> a = absNonNaN(x, /*finiteOnly=*/true);
  if (a.empty())
    return 0.0f;
  uint64_t rank = (a.size() - 1) / 2 + 1; // 1-based rank of the lower median
  // Pass 1: the range.
  auto [mn, mx] = std::minmax_element(a.begin(), a.end());
  double lo = *mn, width = (static_cast<double>(*mx) - lo) / bins;
  if (width == 0)
    return *mn;
  // The bin of v in [lo, lo + bins * width), clamped to the first and last
  // bin. Pass 3 keeps exactly the values pass 2 put in the picked bin (by
  // this same index, never by comparing with recomputed edges), so the
  // running count always reaches the rank.
  auto binOf = [&](double v, double from, double w) {
    double q = std::max((v - from) / w, 0.0);
    return static_cast<unsigned>(std::min<double>(q, bins - 1));
  };
  // The first bin at which `below` plus the running count reaches the rank.
  auto pickBin = [&](const std::vector<uint64_t> &count, uint64_t &below) {
    for (unsigned b = 0; b < bins; ++b) {
      if (below + count[b] >= rank)
        return b;
      below += count[b];
    }
    llvm_unreachable("the counts hold the rank-th value");
  };
  // Pass 2.
  std::vector<uint64_t> count(bins, 0);
  for (float v : a)
    ++count[binOf(v, lo, width)];
  uint64_t below = 0;
  unsigned pick = pickBin(count, below);
  // Pass 3: the picked bin split into `bins` again.
  double lo2 = lo + pick * width, width2 = width / bins;
  std::fill(count.begin(), count.end(), 0);
  for (float v : a)
    if (binOf(v, lo, width) == pick)
      ++count[binOf(v, lo2, width2)];
  unsigned pick2 = pickBin(count, below);
  return static_cast<float>(lo2 + (pick2 + 0.5) * width2);
}

double zeroSettingError(ArrayRef<float> x, const ElementFormat &f,
                        const Rounding &r) {
  assert(!r.isStochastic() && "zero-setting error uses deterministic modes");
  if (x.empty())
    return 0.0;
  uint64_t flushed = 0;
  for (float v : x)
    if (v != 0 && !std::isnan(v) && f.quantize(v, r) == 0)
      ++flushed;
  return static_cast<double>(flushed) / x.size();
}

Expected<double> zeroSettingError(const ScaledFormat &f,
                                  ArrayRef<int64_t> shape, ArrayRef<float> x,
                                  const Rounding &r) {
  assert(!r.isStochastic() && "zero-setting error uses deterministic modes");
  if (x.empty())
    return 0.0;
  std::vector<float> q(x.size());
  if (Error e = quantizeScaled(f, shape, x, q, r))
    return std::move(e);
  uint64_t flushed = 0;
  for (size_t i = 0; i < x.size(); ++i)
    if (x[i] != 0 && !std::isnan(x[i]) && q[i] == 0)
      ++flushed;
  return static_cast<double>(flushed) / x.size();
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

} // namespace qtrain::numerics
