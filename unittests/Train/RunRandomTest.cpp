//===- RunRandomTest.cpp - A run's random streams
//---------------------------===//

#include "qtrain/Train/RunRandom.h"

#include "gtest/gtest.h"

#include <algorithm>
#include <numeric>

using namespace qtrain::train;

TEST(RunRandom, ShuffleIsAPermutationFixedBySeedAndEpoch) {
  std::vector<int64_t> a = shuffledOrder(7, 3, 1000);
  std::vector<int64_t> sorted = a;
  std::sort(sorted.begin(), sorted.end());
  std::vector<int64_t> identity(1000);
  std::iota(identity.begin(), identity.end(), 0);
  EXPECT_EQ(sorted, identity);
  EXPECT_EQ(a, shuffledOrder(7, 3, 1000));
  EXPECT_NE(a, shuffledOrder(7, 4, 1000));
  EXPECT_NE(a, shuffledOrder(8, 3, 1000));
  EXPECT_NE(a, identity);
  EXPECT_TRUE(shuffledOrder(1, 0, 0).empty());
  EXPECT_EQ(shuffledOrder(1, 0, 1), std::vector<int64_t>{0});
}

// Each position receives each example about equally often over epochs (a
// biased shuffle, e.g. swapping with any index, fails this).
TEST(RunRandom, ShuffleIsUniform) {
  constexpr int n = 4, epochs = 40000;
  int counts[n][n] = {};
  for (int e = 0; e < epochs; ++e) {
    std::vector<int64_t> order = shuffledOrder(1, e, n);
    for (int p = 0; p < n; ++p)
      ++counts[p][order[p]];
  }
  for (int p = 0; p < n; ++p)
    for (int x = 0; x < n; ++x)
      EXPECT_NEAR(counts[p][x], epochs / n, 0.04 * epochs / n)
          << "position " << p << " example " << x;
}

TEST(RunRandom, SymmetricUnitCoversItsRange) {
  double sum = 0, lo = 1, hi = -1;
  constexpr int n = 100000;
  for (int i = 0; i < n; ++i) {
    float u = streamSymmetricUnit(3, RunStream::Init, 5, i);
    ASSERT_GE(u, -1.0f);
    ASSERT_LT(u, 1.0f);
    sum += u;
    lo = std::min<double>(lo, u);
    hi = std::max<double>(hi, u);
  }
  EXPECT_NEAR(sum / n, 0.0, 0.01);
  EXPECT_LT(lo, -0.999);
  EXPECT_GT(hi, 0.999);
}

TEST(RunRandom, StreamsAreIndependentOfEachOther) {
  EXPECT_NE(streamSeed(1, RunStream::Init, 0),
            streamSeed(1, RunStream::Shuffle, 0));
  EXPECT_NE(streamSeed(1, RunStream::Rounding, 5),
            streamSeed(1, RunStream::Rounding, 6));
  EXPECT_NE(streamSeed(1, RunStream::Init, 2),
            streamSeed(2, RunStream::Init, 2));
  EXPECT_EQ(streamBits(9, RunStream::Rounding, 4, 0),
            streamBits(9, RunStream::Rounding, 4, 0));
}
