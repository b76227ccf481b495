//===- StatisticsTest.cpp - Tensor statistics -----------------------------===//

#include "qtrain/Numerics/Presets.h"
#include "qtrain/Numerics/Statistics.h"

#include "gtest/gtest.h"

#include <cmath>
#include <random>

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

TEST(Statistics, ZeroSettingError) {
  ElementFormat fp8 = *lookupMinifloat("e4m3fn"); // min subnormal 2^-9
  std::vector<float> x = {0.0f, 1.0f, 1e-4f, -1e-5f, 0.5f};
  EXPECT_DOUBLE_EQ(zeroSettingError(x, fp8, Rounding()), 2.0 / 5);
  EXPECT_EQ(zeroSettingError({}, fp8, Rounding()), 0.0);
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
  Expected<double> z = zeroSettingError(fb12->format, {1, 24, 3, 3}, x,
                                        fb12->rounding);
  ASSERT_TRUE(bool(z));
  EXPECT_DOUBLE_EQ(*z, 2.0 / 216);
  EXPECT_EQ(toString(zeroSettingError(fb12->format, {24}, ArrayRef<float>(x).take_front(24),
                                      fb12->rounding)
                         .takeError()),
            "block shape has 3 dimensions but the tensor only 1");
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
    double range = static_cast<double>(amax(x)) - *std::min_element(x.begin(), x.end());
    ASSERT_LE(std::fabs(double(approx) - exact), range / 400 * 1.01 + 1e-6 * exact)
        << "trial " << trial;
    ++checked;
  }
  EXPECT_EQ(checked, 2000u);
}

} // namespace
