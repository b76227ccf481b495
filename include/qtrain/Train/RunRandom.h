//===- RunRandom.h - Every random choice of a run from one seed -*- C++ -*-===//
//
// A run's random numbers are counter-based: each is a pure function of the
// run's seed, the stream (initialisation, shuffling, stochastic-rounding
// seeds), the stream's key (parameter, epoch, step) and the index. A resumed
// run therefore needs no generator state, only its position (epoch, step).
//
//===----------------------------------------------------------------------===//

#ifndef QTRAIN_TRAIN_RUNRANDOM_H
#define QTRAIN_TRAIN_RUNRANDOM_H

#include <cstdint>
#include <vector>

namespace qtrain::train {

enum class RunStream : uint64_t {
  Init = 1,    // key: the parameter's argument index
  Shuffle = 2, // key: the epoch
  Rounding = 3 // key: the global step
};

/// The seed of one stream of a run (SplitMix64 of the three).
uint64_t streamSeed(uint64_t runSeed, RunStream stream, uint64_t key);

/// A 32-bit number of `stream`/`key` at `index`.
uint32_t streamBits(uint64_t runSeed, RunStream stream, uint64_t key,
                    uint64_t index);

/// A uniform float in [-1, 1) (24 random bits).
float streamSymmetricUnit(uint64_t runSeed, RunStream stream, uint64_t key,
                          uint64_t index);

/// The stochastic-rounding seed of step `globalStep` (the step's i64
/// argument; its quantize sites add n * 2^40): 32 bits of the rounding
/// stream.
int64_t roundingSeed(uint64_t runSeed, uint64_t globalStep);

/// The order of `count` examples in `epoch` (Fisher-Yates).
std::vector<int64_t> shuffledOrder(uint64_t runSeed, uint64_t epoch,
                                   int64_t count);

} // namespace qtrain::train

#endif // QTRAIN_TRAIN_RUNRANDOM_H
