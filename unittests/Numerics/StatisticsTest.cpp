//===- StatisticsTest.cpp - Tensor statistics -----------------------------===//

#include "qtrain/Numerics/Statistics.h"
#include "qtrain/Numerics/Presets.h"

#include "gtest/gtest.h"

#include "llvm/ADT/bit.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <vector>

using namespace llvm;
using namespace qtrain::numerics;

namespace {

TEST(Statistics, Amax) {
  EXPECT_EQ(amax({}), 0.0f);
  EXPECT_EQ(amax({1.0f, -3.0f, 2.0f}), 3.0f);
  EXPECT_TRUE(std::isinf(amax({1.0f, -INFINITY})));
  EXPECT_TRUE(std::isnan(amax({INFINITY, NAN})));
}

TEST(Statistics, ExactMedianIsTheLowerMedianOfAbs) {
  EXPECT_EQ(medianAbs({}), 0.0f);
  EXPECT_EQ(medianAbs({-5.0f, 1.0f, 3.0f}), 3.0f);
  EXPECT_EQ(medianAbs({4.0f, -1.0f, 2.0f, 3.0f}), 2.0f);
  EXPECT_EQ(medianAbs({NAN, 7.0f}), 7.0f);
}

TEST(Statistics, ApproximateMedianIsCloseOnRealisticData) {
  std::mt19937_64 rng(8);
  std::normal_distribution<float> d(0, 0.01f);
  std::vector<float> x(100000);
  for (float &v : x)
    v = d(rng);
  float exact = medianAbs(x);
  float approx = medianAbsApprox(x);
  // Two 20-bin passes: the final bin is 1/400 of the range wide.
  float range = amax(x);
  EXPECT_NEAR(approx, exact, range / 400);
  EXPECT_EQ(medianAbsApprox({}), 0.0f);
  EXPECT_EQ(medianAbsApprox({2.0f, 2.0f, 2.0f}), 2.0f);
}

/// Values with every kind of |x| a median meets: NaN, infinities, zeros of
/// both signs, subnormals, duplicates, normals over a wide range.
std::vector<float> medianInputs(std::mt19937_64 &rng, size_t n) {
  std::vector<float> x(n);
  std::uniform_int_distribution<int> pick(0, 19);
  std::normal_distribution<float> normal(0, 1);
  for (float &v : x) {
    switch (pick(rng)) {
    case 0:
      v = NAN;
      break;
    case 1:
      v = pick(rng) % 2 ? INFINITY : -INFINITY;
      break;
    case 2:
      v = pick(rng) % 2 ? 0.0f : -0.0f;
      break;
    case 3:
      v = 1e-41f * static_cast<float>(pick(rng));
      break;
    case 4:
      v = 0.5f; // duplicates
      break;
    default:
      v = normal(rng) * std::exp2(static_cast<float>(pick(rng) - 10));
    }
  }
  return x;
}

/// Runs a pass-based median over `x` in chunks of `chunk` elements.
template <typename Select>
float byPasses(Select select, ArrayRef<float> x, size_t chunk,
               bool excludeZeros) {
  while (!select.done()) {
    for (size_t i = 0; i < x.size(); i += chunk)
      select.add(x.slice(i, std::min(chunk, x.size() - i)));
    EXPECT_TRUE(select.step(excludeZeros));
  }
  return select.value();
}

TEST(Statistics, RadixSelectGivesTheExactMedian) {
  std::mt19937_64 rng(21);
  for (size_t n : {0, 1, 2, 3, 7, 64, 1000, 4097}) {
    std::vector<float> x = medianInputs(rng, n);
    for (bool excludeZeros : {false, true}) {
      float want = medianAbs(x, excludeZeros);
      float got = byPasses(RadixSelect(), x, 100, excludeZeros);
      EXPECT_EQ(bit_cast<uint32_t>(got), bit_cast<uint32_t>(want))
          << n << " elements, excludeZeros " << excludeZeros;
    }
  }
  // Only NaN and zeros: nothing left without the zeros.
  EXPECT_EQ(byPasses(RadixSelect(), {NAN, 0.0f, -0.0f}, 2, true), 0.0f);
  EXPECT_TRUE(std::isinf(
      byPasses(RadixSelect(), {INFINITY, -INFINITY, 1.0f}, 1, false)));
}

TEST(Statistics, MedianSelectionRefusesPassesOverOtherData) {
  // The first pass fixes the rank (of 4 elements: the second); a second
  // pass over one element cannot hold it.
  RadixSelect radix;
  radix.add({1.0f, 2.0f, 3.0f, 4.0f});
  EXPECT_TRUE(radix.step(false));
  radix.add({8.0f});
  EXPECT_FALSE(radix.step(false));
  ApproxMedianSelect approx(4);
  approx.add({1.0f, 2.0f, 3.0f, 4.0f});
  EXPECT_TRUE(approx.step(false));
  approx.add({});
  EXPECT_FALSE(approx.step(false));
}

TEST(Statistics, ApproximateMedianByPassesDoesNotDependOnChunks) {
  std::mt19937_64 rng(22);
  for (size_t n : {0, 1, 5, 1000, 4097}) {
    std::vector<float> x = medianInputs(rng, n);
    for (bool excludeZeros : {false, true}) {
      float whole = medianAbsApprox(x, 20, excludeZeros);
      float chunked = byPasses(ApproxMedianSelect(20), x, 77, excludeZeros);
      EXPECT_EQ(bit_cast<uint32_t>(chunked), bit_cast<uint32_t>(whole));
    }
  }
  // Zeros excluded: the range starts at the smallest non-zero |x|.
  EXPECT_EQ(medianAbsApprox({0.0f, 0.0f, 0.0f, 3.0f}, 20, true), 3.0f);
  EXPECT_EQ(medianAbsApprox({0.0f, -0.0f}, 20, true), 0.0f);
}

TEST(Statistics, ZeroSettingError) {
  ElementFormat fp8 = *lookupMinifloat("e4m3fn"); // min subnormal 2^-9
  std::vector<float> x = {0.0f, 1.0f, 1e-4f, -1e-5f, 0.5f, NAN};
  // Two of the four non-zero, non-NaN elements flush.
  EXPECT_DOUBLE_EQ(zeroSettingError(x, fp8, Rounding()), 2.0 / 4);
  EXPECT_DOUBLE_EQ(zeroSettingError(x, fp8, Rounding(), ZseDenominator::All),
                   2.0 / 6);
  EXPECT_EQ(zeroSettingError({}, fp8, Rounding()), 0.0);
  EXPECT_EQ(zeroSettingError({0.0f, -0.0f}, fp8, Rounding()), 0.0);
  // A ReLU output: the same values with as many zeros again halve the
  // all-elements statistic but leave the default unchanged.
  std::vector<float> relu = x;
  relu.resize(12, 0.0f);
  EXPECT_DOUBLE_EQ(zeroSettingError(relu, fp8, Rounding()), 2.0 / 4);
  EXPECT_DOUBLE_EQ(zeroSettingError(relu, fp8, Rounding(), ZseDenominator::All),
                   2.0 / 12);
}

TEST(Statistics, ZeroSettingErrorOfAScaledFormat) {
  // One FB12 block [1, 24, 3, 3] with max 1: steps of 1/8 (truncation), so
  // 0.1 and 0.01 flush, 0.5 and 1 do not.
  const ScaledPreset *fb12 = lookupScaled("fb12");
  std::vector<float> x(216, 0.0f);
  x[0] = 1.0f;
  x[1] = 0.1f;
  x[2] = 0.01f;
  x[3] = 0.5f;
  Expected<double> z =
      zeroSettingError(fb12->format, {1, 24, 3, 3}, x, fb12->rounding);
  ASSERT_TRUE(bool(z));
  EXPECT_DOUBLE_EQ(*z, 2.0 / 4);
  z = zeroSettingError(fb12->format, {1, 24, 3, 3}, x, fb12->rounding,
                       ZseDenominator::All);
  EXPECT_DOUBLE_EQ(*z, 2.0 / 216);
  const ScaledPreset *mx = lookupScaled("mxfp8_e4m3");
  ScaledFormat blocks2d = mx->format;
  blocks2d.levels[0].blockShape = {4, 4};
  EXPECT_EQ(
      toString(zeroSettingError(blocks2d, {24},
                                ArrayRef<float>(x).take_front(24), mx->rounding)
                   .takeError()),
      "block shape has 2 dimensions but the tensor only 1");
}

TEST(Statistics, ExponentHistogram) {
  ExponentHistogram h =
      exponentHistogram({1.0f, 1.5f, 0.25f, 0.0f, -INFINITY, NAN,
                         std::numeric_limits<float>::denorm_min()});
  EXPECT_EQ(h.at(0), 2u);
  EXPECT_EQ(h.at(-2), 1u);
  EXPECT_EQ(h.at(-149), 1u);
  EXPECT_EQ(h.zeros, 1u);
  EXPECT_EQ(h.infinities, 1u);
  EXPECT_EQ(h.nans, 1u);
}

TEST(Statistics, ApproximateMedianNeverLosesAValueAtABinEdge) {
  // Values placed exactly on the pass-2 bin edges lo + j * width (as f32),
  // where a recomputed edge may disagree with floor((v - lo) / width): the
  // result must stay within the final bin around the exact median's bin,
  // i.e. within one pass-3 bin width (plus rounding) of the exact median.
  std::mt19937_64 rng(11);
  unsigned checked = 0;
  for (int trial = 0; trial < 2000; ++trial) {
    std::uniform_real_distribution<double> lo(1e-3, 10), span(1e-3, 100);
    double l = lo(rng), w = span(rng) / 20;
    std::vector<float> x = {static_cast<float>(l),
                            static_cast<float>(l + 20 * w)};
    std::uniform_int_distribution<int> edge(1, 19), count(1, 30);
    int n = count(rng);
    for (int i = 0; i < n; ++i)
      x.push_back(static_cast<float>(l + edge(rng) * w));
    float exact = medianAbs(x);
    float approx = medianAbsApprox(x);
    double range =
        static_cast<double>(amax(x)) - *std::min_element(x.begin(), x.end());
    ASSERT_LE(std::fabs(double(approx) - exact),
              range / 400 * 1.01 + 1e-6 * exact)
        << "trial " << trial;
    ++checked;
  }
  EXPECT_EQ(checked, 2000u);
}

TEST(Statistics, NonzeroMedianGivesReLUErrorsTheirBias) {
  // A ReLU layer's errors: two thirds exact zeros, the rest ~1e-6. Counting
  // the zeros makes the median 0 and the scale 1 (bias 15), which flushes
  // every error to zero; the non-zero median moves the bias near 35.
  std::mt19937_64 rng(4);
  std::normal_distribution<float> d(0, 1e-6f);
  std::vector<float> x(3000);
  for (float &v : x)
    v = rng() % 3 ? 0.0f : d(rng);
  EXPECT_EQ(medianAbs(x), 0.0f);
  float nonzero = medianAbs(x, /*excludeZeros=*/true);
  EXPECT_GT(nonzero, 1e-7f);

  const ScaledPreset *abfp8 = lookupScaled("abfp8_e5m2");
  ASSERT_TRUE(abfp8->format.levels[0].excludeZeros); // the preset's default
  ScaledFormat counting = abfp8->format;
  counting.levels[0].excludeZeros = false;
  auto flushed = [&](const ScaledFormat &f, float &scale) {
    Expected<ScaledTensor> t = encodeScaled(f, {3000}, x, abfp8->rounding);
    EXPECT_TRUE(bool(t));
    scale = t->scales[0].values[0];
    std::vector<float> q(x.size());
    EXPECT_FALSE(errorToBool(decodeScaled(f, {3000}, *t, q)));
    unsigned n = 0;
    for (size_t i = 0; i < x.size(); ++i)
      n += x[i] != 0 && q[i] == 0;
    return n;
  };
  float countingScale, nonzeroScale;
  unsigned lostCounting = flushed(counting, countingScale);
  unsigned lostNonzero = flushed(abfp8->format, nonzeroScale);
  unsigned errors =
      std::count_if(x.begin(), x.end(), [](float v) { return v != 0; });
  std::printf("  ReLU errors: %u non-zero; scale %g flushes %u, scale %g "
              "flushes %u\n",
              errors, countingScale, lostCounting, nonzeroScale, lostNonzero);
  EXPECT_EQ(countingScale, 1.0f);
  EXPECT_EQ(lostCounting, errors); // every error lost
  EXPECT_LT(lostNonzero, errors / 50);
  // Effective bias 15 - log2(scale) + medianExponent (docs/Numerics.md).
  int bias = 15 - static_cast<int>(std::log2(nonzeroScale)) + 1;
  EXPECT_GE(bias, 31);
  EXPECT_LE(bias, 38);
}

TEST(Statistics, MedianHistogramGivesTheExactMediansScaleAcrossTensors) {
  namespace mh = median_histogram;
  // Every half octave's representative rounds to the power of two nearest
  // to every value of that half octave (subnormal exponents included).
  ScaleLevel level;
  level.format = ScaleFormat::f32();
  level.rule = ScaleRule::MedianLookup;
  unsigned checked = 0;
  for (size_t b = 0; b < mh::kHalfOctaves; ++b) {
    int e = static_cast<int>(b / 2) + mh::kMinExponent;
    if (e == mh::kMinExponent && b % 2)
      continue; // 2^-149 is the only f32 of its octave: no upper half
    // The smallest and the largest f32 of the half octave.
    float low = b % 2 ? std::ldexp(1.5f, e) : std::ldexp(1.0f, e);
    float high =
        std::nextafter(b % 2 ? std::ldexp(2.0f, e) : std::ldexp(1.5f, e), 0.0f);
    if (e == mh::kMinExponent)
      high = low;
    ASSERT_EQ(mh::binOf(low), b);
    ASSERT_EQ(mh::binOf(high), b);
    std::vector<uint64_t> h(mh::kBins, 0);
    h[b] = 1;
    float rep = medianLookupValue(h, false);
    ASSERT_EQ(scaleFromMedian(level, rep), scaleFromMedian(level, low))
        << "half octave " << b;
    ASSERT_EQ(scaleFromMedian(level, rep), scaleFromMedian(level, high))
        << "half octave " << b;
    ++checked;
  }
  EXPECT_EQ(checked, mh::kHalfOctaves - 1);
  // Tensors of one role added one by one: the scale equals the exact
  // median's over all of them, with and without zeros.
  std::mt19937_64 rng(6);
  for (int trial = 0; trial < 200; ++trial) {
    std::vector<float> all;
    std::vector<uint64_t> h(mh::kBins, 0);
    for (int t = 0; t < 3; ++t) {
      std::vector<float> x(rng() % 200);
      for (float &v : x) {
        uint64_t r = rng() % 10;
        v = r == 0   ? 0.0f
            : r == 1 ? bit_cast<float>(static_cast<uint32_t>(rng()))
                     : std::ldexp(std::normal_distribution<float>()(rng),
                                  static_cast<int>(rng() % 40) - 20);
      }
      addToMedianHistogram(h, x);
      all.insert(all.end(), x.begin(), x.end());
    }
    for (bool nonzero : {false, true}) {
      level.excludeZeros = nonzero;
      float exact = scaleFromMedian(level, medianAbs(all, nonzero));
      ASSERT_EQ(frozenMedianScale(level, h), exact) << trial << " " << nonzero;
    }
  }
}

TEST(Statistics, BiasPhases) {
  EXPECT_EQ(biasPhase(0, 3), BiasPhase::WarmUp);
  EXPECT_EQ(biasPhase(2, 3), BiasPhase::WarmUp);
  EXPECT_EQ(biasPhase(3, 3), BiasPhase::Freeze);
  EXPECT_EQ(biasPhase(4, 3), BiasPhase::Frozen);
  EXPECT_EQ(biasPhase(0, 0), BiasPhase::Freeze);
}

/// Values of every class for the mergeable statistics: normal values of
/// many magnitudes, both zeros, subnormals, the largest finite values,
/// infinities and NaN (each special with probability `specialRate`).
std::vector<float> mixedValues(size_t n, std::mt19937_64 &rng,
                               double specialRate) {
  std::uniform_real_distribution<double> u(0, 1);
  std::vector<float> v(n);
  for (float &x : v) {
    float sign = u(rng) < 0.5 ? -1.0f : 1.0f;
    if (u(rng) >= specialRate) {
      x = sign * std::ldexp(float(u(rng)), int(rng() % 40) - 30);
      continue;
    }
    switch (rng() % 6) {
    case 0:
      x = NAN;
      break;
    case 1:
      x = sign * INFINITY;
      break;
    case 2:
      x = sign * 0.0f;
      break;
    case 3:
      x = sign * std::numeric_limits<float>::denorm_min() *
          float(1 + rng() % 100);
      break;
    case 4:
      x = sign * std::numeric_limits<float>::max();
      break;
    default:
      x = sign * 1e-3f;
    }
  }
  return v;
}

bool sameAmax(const AmaxStatistic &a, const AmaxStatistic &b) {
  return bit_cast<uint32_t>(a.maxFinite) == bit_cast<uint32_t>(b.maxFinite) &&
         a.anyNaN == b.anyNaN && a.anyInf == b.anyInf;
}

// Statistics gathered in pieces (tile by tile, in any order) and merged are
// the whole tensor's: the accelerator's statistics registers rely on it.
TEST(Statistics, MergedAmaxStatisticsEqualTheWhole) {
  std::mt19937_64 rng(31);
  for (int trial = 0; trial < 300; ++trial) {
    double rate = trial % 3 == 0 ? 0.0 : trial % 3 == 1 ? 0.01 : 0.3;
    std::vector<float> x = mixedValues(rng() % 200, rng, rate);
    AmaxStatistic whole;
    for (float v : x)
      whole.add(v);
    AmaxStatistic bulk;
    bulk.add(x);
    ASSERT_TRUE(sameAmax(whole, bulk)) << trial;
    // numerics::amax is the statistic's amax().
    float a = amax(x);
    ASSERT_EQ(bit_cast<uint32_t>(a), bit_cast<uint32_t>(whole.amax())) << trial;
    // Split at random points; merge the pieces in a random order.
    std::vector<size_t> cuts = {0, x.size()};
    for (int c = rng() % 5; c > 0; --c)
      cuts.push_back(x.empty() ? 0 : rng() % (x.size() + 1));
    std::sort(cuts.begin(), cuts.end());
    std::vector<AmaxStatistic> pieces;
    for (size_t c = 0; c + 1 < cuts.size(); ++c) {
      AmaxStatistic p;
      p.add(ArrayRef<float>(x).slice(cuts[c], cuts[c + 1] - cuts[c]));
      pieces.push_back(p);
    }
    std::shuffle(pieces.begin(), pieces.end(), rng);
    AmaxStatistic merged;
    for (const AmaxStatistic &p : pieces)
      merged.merge(p);
    ASSERT_TRUE(sameAmax(whole, merged)) << trial;
    // The block statistic: NaN for a block with a non-finite element when
    // the scale format has a NaN scale, else the finite maximum.
    bool nonFinite = whole.anyNaN || whole.anyInf;
    for (ScaleFormat f : {ScaleFormat::f32(), ScaleFormat::e8m0(),
                          ScaleFormat::powerOfTwo(3, 7, false)}) {
      float b = merged.blockStatistic(f);
      if (nonFinite && f.canHoldNaN())
        ASSERT_TRUE(std::isnan(b)) << trial;
      else
        ASSERT_EQ(bit_cast<uint32_t>(b), bit_cast<uint32_t>(whole.maxFinite))
            << trial;
    }
  }
  AmaxStatistic s;
  EXPECT_EQ(s.amax(), 0.0f);
  s.add({-2.0f, INFINITY, 1.0f});
  EXPECT_EQ(s.maxFinite, 2.0f);
  EXPECT_EQ(s.amax(), INFINITY);
  EXPECT_EQ(s.blockStatistic(ScaleFormat::powerOfTwo(3, 7, false)), 2.0f);
  s.add(NAN);
  EXPECT_TRUE(std::isnan(s.amax()));
}

TEST(Statistics, MergedZeroSettingCountsEqualTheWhole) {
  std::mt19937_64 rng(32);
  ElementFormat fp8 = *lookupMinifloat("e4m3fn");
  for (int trial = 0; trial < 200; ++trial) {
    std::vector<float> x = mixedValues(rng() % 150, rng, 0.2);
    ZeroSettingCounts whole;
    for (float v : x)
      whole.add(v, fp8.quantize(v, Rounding()));
    EXPECT_EQ(whole.elements, x.size());
    for (ZseDenominator d : {ZseDenominator::NonZero, ZseDenominator::All})
      ASSERT_EQ(whole.ratio(d), zeroSettingError(x, fp8, Rounding(), d))
          << trial;
    size_t cut = x.empty() ? 0 : rng() % (x.size() + 1);
    ZeroSettingCounts head, tail;
    for (size_t i = 0; i < x.size(); ++i)
      (i < cut ? head : tail).add(x[i], fp8.quantize(x[i], Rounding()));
    tail.merge(head);
    ASSERT_EQ(tail.candidates, whole.candidates) << trial;
    ASSERT_EQ(tail.flushed, whole.flushed) << trial;
    ASSERT_EQ(tail.elements, whole.elements) << trial;
  }
  // The counts by hand: 0 and NaN are no candidates; 1e-4 flushes.
  ZeroSettingCounts c;
  c.add(0.0f, 0.0f);
  c.add(NAN, NAN);
  c.add(1e-4f, 0.0f);
  c.add(1.0f, 1.0f);
  EXPECT_EQ(c.elements, 4u);
  EXPECT_EQ(c.candidates, 2u);
  EXPECT_EQ(c.flushed, 1u);
  EXPECT_EQ(c.ratio(ZseDenominator::NonZero), 0.5);
  EXPECT_EQ(c.ratio(ZseDenominator::All), 0.25);
  EXPECT_EQ(ZeroSettingCounts().ratio(ZseDenominator::NonZero), 0.0);
}

} // namespace
