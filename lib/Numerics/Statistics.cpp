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
  // Pass 1.
  auto [mn, mx] = std::minmax_element(a.begin(), a.end());
  double lo = *mn, hi = *mx;
  // Passes 2 and 3: narrow [lo, hi) to the bin holding the rank-th value.
  // Values equal to hi fall in the last bin. Counts below lo carry over.
  uint64_t below = 0;
  bool hiExclusive = false; // After pass 2, hi is the next bin's start.
  for (int pass = 0; pass < 2; ++pass) {
    double width = (hi - lo) / bins;
    if (width == 0)
      break;
    std::vector<uint64_t> count(bins, 0);
    uint64_t under = 0;
    for (float v : a) {
      if (v < lo) {
        ++under;
        continue;
      }
      if (v > hi || (v == hi && hiExclusive))
        continue;
      unsigned b = std::min<unsigned>(bins - 1,
                                      static_cast<unsigned>((v - lo) / width));
      ++count[b];
    }
    below = under;
    uint64_t cum = below;
    unsigned pick = bins - 1;
    for (unsigned b = 0; b < bins; ++b) {
      cum += count[b];
      if (cum >= rank) {
        pick = b;
        break;
      }
    }
    double newLo = lo + pick * width;
    if (pick != bins - 1) {
      hi = lo + (pick + 1) * width;
      hiExclusive = true;
    }
    lo = newLo;
  }
  return static_cast<float>((lo + hi) / 2);
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
