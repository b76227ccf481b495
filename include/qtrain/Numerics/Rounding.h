//===- Rounding.h - Rounding modes and the shared rounding step -*- C++ -*-===//
//
// Every quantizer in qtrain (minifloat, integer, power-of-two scale) reduces to
// one step: round the non-negative value `sig * 2^-shift` to an integer. This
// file defines the rounding modes and that step; docs/Numerics.md ("Rounding")
// is the normative description.
//
//===----------------------------------------------------------------------===//

#ifndef QTRAIN_NUMERICS_ROUNDING_H
#define QTRAIN_NUMERICS_ROUNDING_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <optional>

namespace qtrain::numerics {

enum class RoundingMode : uint8_t {
  NearestEven, ///< IEEE roundTiesToEven.
  TowardZero,  ///< IEEE roundTowardZero (truncation).
  NearestAway, ///< IEEE roundTiesToAway.
  Up,          ///< IEEE roundTowardPositive.
  Down,        ///< IEEE roundTowardNegative.
  Stochastic,  ///< Round away from zero with probability given by k bits.
};

/// Where the k random bits of stochastic rounding come from. The stream for
/// element i is a pure function of (source parameters, seed, i): see
/// RandomStream.h and docs/Numerics.md ("Random streams").
enum class RandomSourceKind : uint8_t {
  Counter,     ///< Counter-based hash of (seed, i): ideal uniform bits.
  Lfsr,        ///< Galois LFSR of a given width and taps, lane-interleaved.
  LfsrPlateau, ///< The LFSR alternated with its bitwise inverse (ESRU fix).
  Data,        ///< Bits taken from a companion data tensor.
};

/// How the k random bits r are combined with the top k discarded bits d.
enum class StochasticVariant : uint8_t {
  Compare,     ///< Round away from zero iff r < d.
  AddTruncate, ///< Add r below the kept bits and truncate: away iff r + d >=
               ///< 2^k.
};

struct RandomSource {
  RandomSourceKind kind = RandomSourceKind::Counter;
  uint64_t seed = 0;
  /// LFSR width in bits (2..32) and Galois tap mask; 0 taps selects the
  /// documented maximal-length default for the width.
  unsigned lfsrWidth = 0;
  uint32_t lfsrTaps = 0;
  /// Number of independent LFSR lanes; element i uses lane i % lanes.
  unsigned lfsrLanes = 16;
  /// Data source: random bits are (bits(data[i % n]) >> dataBitOffset).
  unsigned dataBitOffset = 0;

  /// Checks the parameters for a stream of `randomBits`-bit numbers.
  llvm::Error verify(unsigned randomBits) const;

  /// Sources compare the fields their kind reads (counter: seed; LFSRs:
  /// seed, width, taps, lanes; data: the bit offset), so sources that differ
  /// only in ignored fields are equal. Taps 0 (the default) and the default
  /// mask written out compare unequal, though their streams are the same.
  bool operator==(const RandomSource &o) const;
  bool operator!=(const RandomSource &o) const { return !(*this == o); }
};

/// A complete rounding rule. For deterministic modes only `mode` matters.
struct Rounding {
  RoundingMode mode = RoundingMode::NearestEven;
  /// k, the number of random bits (1..24), for Stochastic.
  unsigned randomBits = 0;
  /// The number of top discarded bits the rounding reads (k..24); 0 means
  /// k. With more than k, the k random bits are the top bits of a number of
  /// that width whose lower bits are 1 followed by zeros (half a step of
  /// the random number): "8-bit ESRU with a 3-bit PRNG".
  unsigned discardedBits = 0;
  StochasticVariant variant = StochasticVariant::Compare;
  RandomSource source;

  static Rounding nearestEven() { return {}; }
  static Rounding deterministic(RoundingMode m) {
    Rounding r;
    r.mode = m;
    return r;
  }
  static Rounding stochastic(unsigned k, RandomSource src = {},
                             StochasticVariant v = StochasticVariant::Compare) {
    Rounding r;
    r.mode = RoundingMode::Stochastic;
    r.randomBits = k;
    r.variant = v;
    r.source = src;
    return r;
  }
  bool isStochastic() const { return mode == RoundingMode::Stochastic; }
  /// The discarded bits the rounding reads: discardedBits, or k.
  unsigned roundingBits() const {
    return discardedBits ? discardedBits : randomBits;
  }

  /// Checks the parameters (k range, LFSR width/taps/lanes, data offset).
  llvm::Error verify() const;

  /// Equal rules round every input alike (parameters a mode ignores are
  /// ignored).
  bool operator==(const Rounding &o) const {
    if (mode != o.mode)
      return false;
    return !isStochastic() ||
           (randomBits == o.randomBits && roundingBits() == o.roundingBits() &&
            variant == o.variant && source == o.source);
  }
  bool operator!=(const Rounding &o) const { return !(*this == o); }
};

/// Rounds the non-negative value `sig * 2^-shift` (shift >= 1) to an integer
/// according to `r`. `negative` is the sign of the number being rounded (it
/// matters for Up/Down); the low k bits of `random` are the random number of
/// Stochastic (higher bits are ignored). The
/// tie rule of NearestEven looks at the least significant kept bit.
uint64_t roundShifted(uint64_t sig, int shift, bool negative, const Rounding &r,
                      uint32_t random);

/// True when rounding a number of sign `negative` in mode `r` never moves away
/// from zero (the IEEE rule that overflow then yields the largest finite
/// value instead of infinity).
bool roundsTowardZero(const Rounding &r, bool negative);

// Names used by the dialect's textual form and the tools.
llvm::StringRef stringifyRoundingMode(RoundingMode m);
std::optional<RoundingMode> parseRoundingMode(llvm::StringRef s);
llvm::StringRef stringifyRandomSourceKind(RandomSourceKind k);
std::optional<RandomSourceKind> parseRandomSourceKind(llvm::StringRef s);
llvm::StringRef stringifyStochasticVariant(StochasticVariant v);
std::optional<StochasticVariant> parseStochasticVariant(llvm::StringRef s);

} // namespace qtrain::numerics

#endif // QTRAIN_NUMERICS_ROUNDING_H
