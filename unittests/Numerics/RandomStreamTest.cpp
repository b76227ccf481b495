//===- RandomStreamTest.cpp - Random streams for stochastic rounding ------===//

#include "qtrain/Numerics/RandomStream.h"

#include "gtest/gtest.h"

#include <cmath>
#include <vector>

using namespace llvm;
using namespace qtrain::numerics;

namespace {

TEST(RandomStream, DefaultLfsrTapsAreMaximalLength) {
  for (unsigned w = 2; w <= 20; ++w) {
    uint32_t taps = defaultLfsrTaps(w);
    uint32_t start = 1, s = start;
    uint64_t period = 0;
    do {
      s = lfsrStep(s, taps);
      ++period;
      ASSERT_NE(s, 0u);
      ASSERT_LE(period, uint64_t(1) << w);
    } while (s != start);
    EXPECT_EQ(period, (uint64_t(1) << w) - 1) << "width " << w;
  }
}

TEST(RandomStream, CounterIsABijectionOfTheIndex) {
  // For a fixed seed, distinct low-32-bit indices give distinct values; check
  // on a 2^16 window plus the uniformity of the top 3 bits there.
  std::vector<uint32_t> seen;
  unsigned buckets[8] = {};
  for (uint32_t i = 0; i < (1u << 16); ++i) {
    uint32_t v = counterHash(1234, i);
    seen.push_back(v);
    ++buckets[v >> 29];
  }
  llvm::sort(seen);
  EXPECT_EQ(std::unique(seen.begin(), seen.end()), seen.end());
  for (unsigned b : buckets) // Expected 8192 each; 6 sigma is about 500.
    EXPECT_NEAR(b, 8192.0, 500.0);
  EXPECT_NE(counterHash(1, 0), counterHash(2, 0));
}

TEST(RandomStream, FillMatchesElementwiseAndIsReproducible) {
  for (RandomSourceKind kind :
       {RandomSourceKind::Counter, RandomSourceKind::Lfsr,
        RandomSourceKind::LfsrPlateau}) {
    RandomSource src;
    src.kind = kind;
    src.seed = 99;
    src.lfsrWidth = 7;
    src.lfsrLanes = 5;
    Rounding r = Rounding::stochastic(3, src);
    ASSERT_FALSE(errorToBool(r.verify()));
    RandomStream a(r), b(r);
    std::vector<uint32_t> all(1000);
    a.fill(0, all);
    for (uint64_t i : {0, 1, 4, 5, 17, 999, 500, 3}) {
      EXPECT_EQ(b.at(i), all[i]) << stringifyRandomSourceKind(kind).str();
      EXPECT_LT(all[i], 8u);
    }
    // A fill that starts mid-stream agrees with the whole.
    std::vector<uint32_t> tail(300);
    RandomStream c(r);
    c.fill(700, tail);
    EXPECT_TRUE(std::equal(tail.begin(), tail.end(), all.begin() + 700));
  }
}

TEST(RandomStream, LfsrLaneLayout) {
  RandomSource src;
  src.kind = RandomSourceKind::Lfsr;
  src.seed = 7;
  src.lfsrWidth = 8;
  src.lfsrLanes = 4;
  Rounding r = Rounding::stochastic(8, src);
  RandomStream s(r);
  uint32_t taps = defaultLfsrTaps(8);
  for (unsigned lane = 0; lane < 4; ++lane) {
    uint32_t state = lfsrLaneSeed(7, lane, 8);
    for (unsigned step = 0; step < 10; ++step) {
      EXPECT_EQ(s.at(step * 4 + lane), state);
      state = lfsrStep(state, taps);
    }
  }
}

TEST(RandomStream, PlainLfsrNeverGivesZeroPlateauDoes) {
  RandomSource src;
  src.kind = RandomSourceKind::Lfsr;
  src.lfsrWidth = 3;
  src.lfsrLanes = 1;
  unsigned plain[8] = {}, plateau[8] = {};
  RandomStream a(Rounding::stochastic(3, src));
  src.kind = RandomSourceKind::LfsrPlateau;
  RandomStream b(Rounding::stochastic(3, src));
  for (uint64_t i = 0; i < 14 * 100; ++i) {
    ++plain[a.at(i)];
    ++plateau[b.at(i)];
  }
  EXPECT_EQ(plain[0], 0u);
  for (unsigned v = 1; v < 8; ++v)
    EXPECT_EQ(plain[v], 200u);
  // Over two periods each state appears once plain and once inverted:
  // 0 and 7 once, the others twice.
  EXPECT_EQ(plateau[0], 100u);
  EXPECT_EQ(plateau[7], 100u);
  for (unsigned v = 1; v < 7; ++v)
    EXPECT_EQ(plateau[v], 200u);
}

TEST(RandomStream, DataSourceTakesMantissaBits) {
  RandomSource src;
  src.kind = RandomSourceKind::Data;
  src.dataBitOffset = 4;
  std::vector<float> data = {bit_cast<float>(0x3f8000a0u),
                             bit_cast<float>(0x3f800050u)};
  RandomStream s(Rounding::stochastic(4, src), data);
  EXPECT_EQ(s.at(0), 0xau);
  EXPECT_EQ(s.at(1), 0x5u);
  EXPECT_EQ(s.at(2), 0xau); // wraps around the data
}

TEST(RandomStream, VerifyRejectsBadParameters) {
  RandomSource src;
  src.kind = RandomSourceKind::Lfsr;
  src.lfsrWidth = 2;
  EXPECT_EQ(toString(Rounding::stochastic(3, src).verify()),
            "LFSR width 2 is narrower than the 3 random bits it must supply");
  src.lfsrWidth = 40;
  EXPECT_EQ(toString(Rounding::stochastic(3, src).verify()),
            "LFSR width must be in [2, 32], got 40");
  EXPECT_EQ(toString(Rounding::stochastic(0).verify()),
            "stochastic rounding needs 1 to 24 random bits, got 0");
  EXPECT_EQ(toString(Rounding::stochastic(25).verify()),
            "stochastic rounding needs 1 to 24 random bits, got 25");
  src.kind = RandomSourceKind::Data;
  src.dataBitOffset = 30;
  EXPECT_EQ(toString(Rounding::stochastic(3, src).verify()),
            "data bit offset 30 leaves fewer than 3 bits of an f32");
}

/// The period of the LFSR from state 1, or 0 when it reaches zero or does
/// not return to 1 within 2^w steps.
uint64_t bruteForcePeriod(unsigned w, uint32_t taps) {
  uint32_t s = 1;
  for (uint64_t period = 1; period <= (uint64_t(1) << w); ++period) {
    s = lfsrStep(s, taps);
    if (s == 0)
      return 0;
    if (s == 1)
      return period;
  }
  return 0;
}

TEST(RandomStream, MaximalLengthCheckAgreesWithTheBruteForcePeriod) {
  // Every mask of every width up to 11 (1, 2, ... of them maximal).
  for (unsigned w = 2; w <= 11; ++w) {
    unsigned maximal = 0;
    for (uint32_t taps = 1; taps < (1u << w); ++taps) {
      bool brute = bruteForcePeriod(w, taps) == (uint64_t(1) << w) - 1;
      ASSERT_EQ(isMaximalLengthLfsr(w, taps), brute)
          << "width " << w << " taps " << taps;
      maximal += brute;
    }
    EXPECT_GT(maximal, 0u);
    EXPECT_LT(maximal, (1u << w) - 1);
  }
  // The default table, up to 32 bits (the period test above stops at 20).
  for (unsigned w = 2; w <= 32; ++w)
    EXPECT_TRUE(isMaximalLengthLfsr(w, defaultLfsrTaps(w))) << "width " << w;
  // 2^32 - 1 = 3 * 5 * 17 * 257 * 65537: x^32 + 1 is far from primitive.
  EXPECT_FALSE(isMaximalLengthLfsr(32, 0x80000000u));
}

TEST(RandomStream, VerifyRejectsShortPeriodTapsAndAMissingWidth) {
  RandomSource src;
  src.kind = RandomSourceKind::Lfsr;
  EXPECT_EQ(toString(Rounding::stochastic(3, src).verify()),
            "an LFSR source needs its width in bits ('width', 2 to 32)");
  src.lfsrWidth = 4;
  src.lfsrTaps = 0xF; // x^4 + x^3 + x^2 + x + 1: period 5
  EXPECT_EQ(bruteForcePeriod(4, 0xF), 5u);
  EXPECT_EQ(toString(Rounding::stochastic(3, src).verify()),
            "LFSR taps 0xf do not give a maximal-length 4-bit LFSR (period "
            "2^4 - 1): some states repeat sooner or reach zero");
  src.lfsrTaps = 0x4; // no bit w - 1: not invertible, period 3 from state 1
  EXPECT_EQ(bruteForcePeriod(4, 0x4), 3u);
  EXPECT_TRUE(errorToBool(Rounding::stochastic(3, src).verify()));
  src.lfsrTaps = 0xC; // the default mask written out
  EXPECT_FALSE(errorToBool(Rounding::stochastic(3, src).verify()));
}

TEST(RandomStream, SourcesCompareTheFieldsTheirKindReads) {
  RandomSource a, b;
  b.lfsrWidth = 7;
  b.dataBitOffset = 3;
  EXPECT_EQ(a, b); // counter sources read only the seed
  b.seed = 1;
  EXPECT_NE(a, b);
  a.kind = b.kind = RandomSourceKind::Lfsr;
  a.seed = b.seed = 5;
  a.lfsrWidth = b.lfsrWidth = 8;
  a.dataBitOffset = 9;
  EXPECT_EQ(a, b); // LFSRs ignore the data bit offset
  b.lfsrLanes = 4;
  EXPECT_NE(a, b);
  a.kind = b.kind = RandomSourceKind::Data;
  EXPECT_NE(a, b); // offsets 9 and 3
  b.dataBitOffset = 9;
  EXPECT_EQ(a, b); // seeds and LFSR fields do not matter
  a.kind = RandomSourceKind::Counter;
  EXPECT_NE(a, b);
}

TEST(RandomStream, ScalarRoundingUsesOnlyTheLowKRandomBits) {
  // 1 + 5/16 rounded to an integer with k = 4: d = 5.
  Rounding r = Rounding::stochastic(4);
  for (uint32_t random = 0; random < 16; ++random)
    for (uint32_t high : {0u, 16u, 0xfff0u, 0xfffffff0u})
      ASSERT_EQ(roundShifted(21, 4, false, r, random | high),
                roundShifted(21, 4, false, r, random))
          << random << " " << high;
  EXPECT_EQ(roundShifted(21, 4, false, r, 4), 2u);
  EXPECT_EQ(roundShifted(21, 4, false, r, 5), 1u);
}

} // namespace
