//===- RunRandom.cpp - Every random choice of a run from one seed ---------===//

#include "qtrain/Train/RunRandom.h"

#include "qtrain/Numerics/RandomStream.h"

#include <numeric>
#include <utility>

namespace qtrain::train {
namespace {
uint64_t splitMix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}
} // namespace

uint64_t streamSeed(uint64_t runSeed, RunStream stream, uint64_t key) {
  return splitMix64(splitMix64(runSeed) ^
                    splitMix64((uint64_t(stream) << 56) ^ key));
}

uint32_t streamBits(uint64_t runSeed, RunStream stream, uint64_t key,
                    uint64_t index) {
  return numerics::counterHash(streamSeed(runSeed, stream, key), index);
}

float streamSymmetricUnit(uint64_t runSeed, RunStream stream, uint64_t key,
                          uint64_t index) {
  uint32_t bits = streamBits(runSeed, stream, key, index) >> 8;
  return float(bits) * 0x1p-23f - 1.0f;
}

int64_t roundingSeed(uint64_t runSeed, uint64_t globalStep) {
  return int64_t(streamBits(runSeed, RunStream::Rounding, globalStep, 0));
}

std::vector<int64_t> shuffledOrder(uint64_t runSeed, uint64_t epoch,
                                   int64_t count) {
  std::vector<int64_t> order(count);
  std::iota(order.begin(), order.end(), 0);
  uint64_t seed = streamSeed(runSeed, RunStream::Shuffle, epoch);
  for (int64_t i = count - 1; i > 0; --i) {
    uint64_t r = uint64_t(numerics::counterHash(seed, 2 * i)) << 32 |
                 numerics::counterHash(seed, 2 * i + 1);
    std::swap(order[i], order[r % uint64_t(i + 1)]);
  }
  return order;
}

} // namespace qtrain::train
