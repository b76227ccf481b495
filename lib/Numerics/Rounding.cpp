//===- Rounding.cpp - The shared rounding step ----------------------------===//
//
// See docs/Numerics.md, "Rounding".
//
//===----------------------------------------------------------------------===//

#include "qtrain/Numerics/Rounding.h"

#include "Detail.h"

using namespace llvm;

namespace qtrain::numerics {

Error Rounding::verify() const {
  if (mode != RoundingMode::Stochastic)
    return Error::success();
  if (randomBits < 1 || randomBits > 24)
    return createStringError("stochastic rounding needs 1 to 24 random bits, "
                             "got %u",
                             randomBits);
  if (discardedBits != 0 && (discardedBits < randomBits || discardedBits > 24))
    return createStringError("stochastic rounding reads %u to 24 discarded "
                             "bits (at least its random bits), got %u",
                             randomBits, discardedBits);
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

uint64_t roundShifted(uint64_t sig, int shift, bool negative, const Rounding &r,
                      uint32_t random) {
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
    // Only the low k bits of `random` are the random number (a caller's
    // wider value is not an error: the bits above k are ignored). The
    // rounding reads kd >= k discarded bits; the random number is placed
    // at the top of a kd-bit number whose lower kd - k bits are 100..0.
    int k = static_cast<int>(r.randomBits);
    int kd = static_cast<int>(r.roundingBits());
    random &= k >= 32 ? ~0u : (1u << k) - 1;
    uint64_t placed = uint64_t(random) << (kd - k);
    if (kd > k)
      placed |= uint64_t(1) << (kd - k - 1);
    uint64_t d;
    if (shift >= kd)
      d = shift - kd < 64 ? rem >> (shift - kd) : 0;
    else
      d = rem << (kd - shift);
    bool up = r.variant == StochasticVariant::Compare
                  ? placed < d
                  : placed + d >= (uint64_t(1) << kd);
    return kept + up;
  }
  }
  llvm_unreachable("unknown rounding mode");
}

namespace {
using detail::EnumName;
const EnumName<RoundingMode> kRoundingModeNames[] = {
    {RoundingMode::NearestEven, "nearest_even"},
    {RoundingMode::TowardZero, "toward_zero"},
    {RoundingMode::NearestAway, "nearest_away"},
    {RoundingMode::Up, "up"},
    {RoundingMode::Down, "down"},
    {RoundingMode::Stochastic, "stochastic"},
};
} // namespace

StringRef stringifyRoundingMode(RoundingMode m) {
  return detail::nameOf(kRoundingModeNames, m);
}

std::optional<RoundingMode> parseRoundingMode(StringRef s) {
  return detail::valueOf(kRoundingModeNames, s);
}

namespace {
using detail::EnumName;
const EnumName<RandomSourceKind> kRandomSourceKindNames[] = {
    {RandomSourceKind::Counter, "counter"},
    {RandomSourceKind::Lfsr, "lfsr"},
    {RandomSourceKind::LfsrPlateau, "lfsr_plateau"},
    {RandomSourceKind::Data, "data"},
};
} // namespace

StringRef stringifyRandomSourceKind(RandomSourceKind k) {
  return detail::nameOf(kRandomSourceKindNames, k);
}

std::optional<RandomSourceKind> parseRandomSourceKind(StringRef s) {
  return detail::valueOf(kRandomSourceKindNames, s);
}

namespace {
using detail::EnumName;
const EnumName<StochasticVariant> kStochasticVariantNames[] = {
    {StochasticVariant::Compare, "compare"},
    {StochasticVariant::AddTruncate, "add_truncate"},
};
} // namespace

StringRef stringifyStochasticVariant(StochasticVariant v) {
  return detail::nameOf(kStochasticVariantNames, v);
}

std::optional<StochasticVariant> parseStochasticVariant(StringRef s) {
  return detail::valueOf(kStochasticVariantNames, s);
}

} // namespace qtrain::numerics
