//===- Rounding.cpp - The shared rounding step ----------------------------===//
//
// See docs/Numerics.md, "Rounding".
//
//===----------------------------------------------------------------------===//

#include "qtrain/Numerics/Rounding.h"

#include "qtrain/Numerics/RandomStream.h"

#include "llvm/ADT/StringSwitch.h"

using namespace llvm;

namespace qtrain::numerics {

Error Rounding::verify() const {
  if (mode != RoundingMode::Stochastic)
    return Error::success();
  if (randomBits < 1 || randomBits > 24)
    return createStringError("stochastic rounding needs 1 to 24 random bits, "
                             "got %u",
                             randomBits);
  return source.verify(randomBits);
}

bool roundsTowardZero(const Rounding &r, bool negative) {
  switch (r.mode) {
  case RoundingMode::TowardZero:
    return true;
  case RoundingMode::Up:
    return negative;
  case RoundingMode::Down:
    return !negative;
  default:
    return false;
  }
}

uint64_t roundShifted(uint64_t sig, int shift, bool negative,
                      const Rounding &r, uint32_t random) {
  assert(shift >= 1 && "nothing to round");
  // Split sig into the kept integer and the discarded field of `shift` bits.
  // For shift >= 64 everything is discarded and sig < 2^63 lies below half.
  uint64_t kept = shift < 64 ? sig >> shift : 0;
  uint64_t rem = shift < 64 ? sig & ((uint64_t(1) << shift) - 1) : sig;
  if (rem == 0)
    return kept;
  bool aboveHalf = false, isHalf = false;
  if (shift < 64) {
    uint64_t half = uint64_t(1) << (shift - 1);
    aboveHalf = rem > half;
    isHalf = rem == half;
  }
  switch (r.mode) {
  case RoundingMode::NearestEven:
    return kept + (aboveHalf || (isHalf && (kept & 1)));
  case RoundingMode::NearestAway:
    return kept + (aboveHalf || isHalf);
  case RoundingMode::TowardZero:
    return kept;
  case RoundingMode::Up:
    return kept + !negative;
  case RoundingMode::Down:
    return kept + negative;
  case RoundingMode::Stochastic: {
    // d: the top k bits of the discarded field (zero-extended when the field
    // is narrower than k). Lower discarded bits never matter.
    int k = static_cast<int>(r.randomBits);
    uint64_t d;
    if (shift >= k)
      d = shift - k < 64 ? rem >> (shift - k) : 0;
    else
      d = rem << (k - shift);
    bool up = r.variant == StochasticVariant::Compare
                  ? random < d
                  : uint64_t(random) + d >= (uint64_t(1) << k);
    return kept + up;
  }
  }
  llvm_unreachable("unknown rounding mode");
}

StringRef stringifyRoundingMode(RoundingMode m) {
  switch (m) {
  case RoundingMode::NearestEven:
    return "nearest_even";
  case RoundingMode::TowardZero:
    return "toward_zero";
  case RoundingMode::NearestAway:
    return "nearest_away";
  case RoundingMode::Up:
    return "up";
  case RoundingMode::Down:
    return "down";
  case RoundingMode::Stochastic:
    return "stochastic";
  }
  llvm_unreachable("unknown rounding mode");
}

std::optional<RoundingMode> parseRoundingMode(StringRef s) {
  return StringSwitch<std::optional<RoundingMode>>(s)
      .Case("nearest_even", RoundingMode::NearestEven)
      .Case("toward_zero", RoundingMode::TowardZero)
      .Case("nearest_away", RoundingMode::NearestAway)
      .Case("up", RoundingMode::Up)
      .Case("down", RoundingMode::Down)
      .Case("stochastic", RoundingMode::Stochastic)
      .Default(std::nullopt);
}

StringRef stringifyRandomSourceKind(RandomSourceKind k) {
  switch (k) {
  case RandomSourceKind::Counter:
    return "counter";
  case RandomSourceKind::Lfsr:
    return "lfsr";
  case RandomSourceKind::LfsrPlateau:
    return "lfsr_plateau";
  case RandomSourceKind::Data:
    return "data";
  }
  llvm_unreachable("unknown random source");
}

std::optional<RandomSourceKind> parseRandomSourceKind(StringRef s) {
  return StringSwitch<std::optional<RandomSourceKind>>(s)
      .Case("counter", RandomSourceKind::Counter)
      .Case("lfsr", RandomSourceKind::Lfsr)
      .Case("lfsr_plateau", RandomSourceKind::LfsrPlateau)
      .Case("data", RandomSourceKind::Data)
      .Default(std::nullopt);
}

StringRef stringifyStochasticVariant(StochasticVariant v) {
  return v == StochasticVariant::Compare ? "compare" : "add_truncate";
}

std::optional<StochasticVariant> parseStochasticVariant(StringRef s) {
  return StringSwitch<std::optional<StochasticVariant>>(s)
      .Case("compare", StochasticVariant::Compare)
      .Case("add_truncate", StochasticVariant::AddTruncate)
      .Default(std::nullopt);
}

} // namespace qtrain::numerics
