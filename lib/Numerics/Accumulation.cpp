//===- Accumulation.cpp - Low-precision dot products and GEMM -------------===//
//
// See docs/Numerics.md, "Accumulation".
//
//===----------------------------------------------------------------------===//

#include "qtrain/Numerics/Accumulation.h"

#include "Detail.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <vector>

using namespace llvm;

namespace qtrain::numerics {

Error AccumulationSpec::verify() const {
  if (product)
    if (Error e = product->verify())
      return e;
  if (Error e = accumulator.verify())
    return e;
  if (outer)
    if (Error e = outer->verify())
      return e;
  if (rounding == RoundingMode::Stochastic)
    return createStringError("accumulation rounds with a deterministic mode");
  if (fixedPoint) {
    if (Error e = fixedPoint->verify())
      return e;
    if (grouping != Grouping::Static)
      return createStringError("a fixed-point group accumulator needs static "
                               "groups: its sum goes into the outer float "
                               "accumulator when a group closes");
    if (fixedPoint->encoding != IntegerEncoding::TwosComplement)
      return createStringError("a fixed-point group accumulator is a two's "
                               "complement integer");
    if (accumulator != MinifloatFormat())
      return createStringError("with a fixed-point group accumulator the "
                               "float accumulator is unused: give the outer "
                               "format as 'outer'");
  }
  if (grouping == Grouping::Static && groupSize < 1)
    return createStringError("static group size must be at least 1");
  if ((grouping == Grouping::IdealDGA || grouping == Grouping::EfficientDGA) &&
      !(initialThreshold >= 0 && std::isfinite(initialThreshold)))
    return createStringError("initial threshold must be finite and >= 0");
  if (grouping == Grouping::EfficientDGA && (shiftC < -31 || shiftC > 31))
    return createStringError("E-DGA shift c must be in [-31, 31], got %d",
                             shiftC);
  return Error::success();
}

float addRounded(const MinifloatFormat &f, double a, double b,
                 RoundingMode mode) {
  // TwoSum: s + err == a + b exactly.
  double s = a + b;
  double bb = s - a;
  double err = (a - (s - bb)) + (b - bb);
  // A NaN sum is the positive quiet NaN: the sign of a NaN from hardware
  // arithmetic is not specified, so results must not depend on it.
  if (std::isnan(s))
    return decode(f, encodeExact(f, std::numeric_limits<double>::quiet_NaN(), 0,
                                 Rounding::deterministic(mode)));
  if (s == 0 && err == 0) {
    // IEEE 754 zero signs: x + y == 0 exactly is -0 when both are -0, or
    // when rounding down and the operands are not both +0; else +0.
    bool bothNegative = std::signbit(a) && std::signbit(b);
    bool bothPositiveZero =
        a == 0 && b == 0 && !std::signbit(a) && !std::signbit(b);
    s = bothNegative || (mode == RoundingMode::Down && !bothPositiveZero) ? -0.0
                                                                          : 0.0;
  }
  return decode(f, encodeExact(f, s, err, Rounding::deterministic(mode)));
}

RoundedAdder::RoundedAdder(const MinifloatFormat &f, RoundingMode mode)
    : format(f), mode(mode) {
  float lo = f.minNormal(), hi = f.maxFinite();
  if (mode != RoundingMode::NearestEven || f.mantissaBits > 23 ||
      !(lo >= std::numeric_limits<float>::min()) || !std::isfinite(hi))
    return;
  minNormal = lo;
  maxFinite = hi;
  split = std::ldexp(1.0, 52 - static_cast<int>(f.mantissaBits)) + 1;
}

float RoundedAdder::operator()(double a, double b) const {
  double s = a + b;
  double magnitude = std::fabs(s);
  if (magnitude >= minNormal && magnitude <= maxFinite) {
    // Veltkamp's split: s rounded to m + 1 significant bits, nearest-even
    // (s * split is below 2^(128 + 29), far from f64's overflow); at most
    // maxFinite, a value of f, since rounding is monotone.
    double g = s * split;
    double r = g - (g - s);
    // TwoSum's error: the exact sum is s + err. Rounding s is rounding the
    // exact sum unless s is one of f's midpoints (they are f64 values, so
    // none lies strictly between the two); s - r is exact.
    double bb = s - a;
    double err = (a - (s - bb)) + (b - bb);
    if (err == 0 ||
        2 * std::fabs(s - r) !=
            std::ldexp(1.0,
                       std::ilogb(s) - static_cast<int>(format.mantissaBits)))
      return static_cast<float>(r);
  }
  return addRounded(format, a, b, mode);
}

namespace {

/// x rounded to an integer in `mode` (x an f64; exact).
double roundToInteger(double x, RoundingMode mode) {
  switch (mode) {
  case RoundingMode::NearestEven:
    return std::nearbyint(x); // the default environment: ties to even
  case RoundingMode::NearestAway:
    return std::round(x);
  case RoundingMode::TowardZero:
    return std::trunc(x);
  case RoundingMode::Up:
    return std::ceil(x);
  case RoundingMode::Down:
    return std::floor(x);
  case RoundingMode::Stochastic:
    break;
  }
  llvm_unreachable("accumulation rounds deterministically");
}

/// One product into a fixed-point group sum (both as exact f64 values):
/// the product rounded to the grid 2^-F, added as integers, then saturated
/// or wrapped to the format's range. NaN products make the sum NaN; an
/// infinite one saturates (or, wrapping, makes it NaN).
double addFixed(const IntegerFormat &f, double sum, double p,
                RoundingMode mode) {
  double unit = std::ldexp(1.0, f.fractionBits);
  double q = roundToInteger(p * unit, mode);
  double n = sum * unit;
  double lo = static_cast<double>(f.minInteger());
  double hi = static_cast<double>(f.maxInteger());
  if (f.overflow == IntegerOverflow::Saturate) {
    n = n + q;
    if (!std::isnan(n))
      n = std::min(std::max(n, lo), hi);
  } else {
    // Two's complement wrap: (n + q) mod 2^b, into [lo, hi].
    double modulus = std::ldexp(1.0, f.bits);
    n = std::fmod(n + std::fmod(q, modulus), modulus);
    if (n > hi)
      n -= modulus;
    else if (n < lo)
      n += modulus;
  }
  return n / unit;
}

/// The open group's sum P_G, exactly.
double groupSum(const AccumulationSpec &spec, const AccumulatorState &acc) {
  return spec.fixedPoint ? acc.fixed : acc.group;
}

/// Whether the next product joins the open group (else the group closes).
bool entersGroup(const AccumulationSpec &spec, const AccumulatorState &acc,
                 double t) {
  if (spec.grouping == Grouping::IdealDGA &&
      spec.dgaCount == DgaCount::Running) {
    // While P_O is zero (no close yet, or groups that cancel) the model's
    // threshold is 0: T0 decides instead.
    if (acc.outer == 0)
      return std::fabs(acc.group) < spec.initialThreshold;
    // |P_G| < sqrt(3 P_O^2 / (2 n)) as n * P_G^2 < 1.5 * P_O^2, with n
    // the open group's count; every step is an IEEE f64 operation, so the
    // lowering reproduces it.
    double pg = acc.group, po = acc.outer;
    return static_cast<double>(acc.count) * (pg * pg) < 1.5 * (po * po);
  }
  return std::fabs(acc.group) < t;
}

/// P_O = O(P_O + P_G), `addToOuter` rounding to O.
void closeGroup(const AccumulationSpec &spec, const RoundedAdder &addToOuter,
                AccumulatorState &acc) {
  acc.outer = addToOuter(acc.outer, groupSum(spec, acc));
}

} // namespace

AccumulatorState AccumulationUnit::start() const {
  AccumulatorState s;
  s.threshold = spec.initialThreshold;
  return s;
}

// gemm's loop inlines product and add, as it did when they were private to
// this file; other files call the out-of-line definitions. (GCC warns that an
// always_inline function with external linkage might not be inlinable: within
// this file it is.)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wattributes"
#define QTRAIN_INLINE_STEP __attribute__((always_inline))

QTRAIN_INLINE_STEP double AccumulationUnit::product(float a, float b) const {
  double p = static_cast<double>(a) * b; // exact: 24 + 24 bits
  if (std::isnan(p)) // NaN operands, 0 * inf: the positive quiet NaN
    p = std::numeric_limits<double>::quiet_NaN();
  if (!spec.product)
    return p;
  return decode(
      *spec.product,
      encodeExact(*spec.product, p, 0, Rounding::deterministic(spec.rounding)));
}

QTRAIN_INLINE_STEP bool AccumulationUnit::add(AccumulatorState &acc, double p,
                                              double sharedT) const {
  switch (spec.grouping) {
  case Grouping::None:
    if (f32NearestEven) {
      float pf = static_cast<float>(p);
      if (static_cast<double>(pf) == p) { // p exact in f32: one float add
        float s = acc.group + pf;
        // addRounded's NaN: the positive quiet NaN, whatever the hardware's.
        acc.group = std::isnan(s) ? std::numeric_limits<float>::quiet_NaN() : s;
        return false;
      }
    }
    acc.group = addToGroup(acc.group, p);
    return false;
  case Grouping::Static:
    if (spec.fixedPoint)
      acc.fixed = addFixed(*spec.fixedPoint, acc.fixed, p, spec.rounding);
    else
      acc.group = addToGroup(acc.group, p);
    if (++acc.count == spec.groupSize) {
      closeGroup(spec, addToOuter, acc);
      acc.group = 0;
      acc.fixed = 0;
      acc.count = 0;
      return true;
    }
    return false;
  case Grouping::IdealDGA:
  case Grouping::EfficientDGA: {
    double t = usesSharedThreshold() ? sharedT : acc.threshold;
    if (entersGroup(spec, acc, t)) {
      acc.group = addToGroup(acc.group, p);
      ++acc.count;
      return false;
    }
    unsigned closedCount = acc.count;
    closeGroup(spec, addToOuter, acc);
    acc.group = addToGroup(0.0, p);
    acc.count = 1;
    double po = acc.outer;
    double n = spec.dgaCount == DgaCount::AfterReset
                   ? acc.count
                   : std::max(closedCount, 1u);
    acc.threshold = spec.grouping == Grouping::IdealDGA
                        ? std::sqrt(3 * po * po / (2.0 * n))
                        : std::ldexp(std::fabs(po), -spec.shiftC);
    return true;
  }
  }
  llvm_unreachable("unknown grouping");
}

#undef QTRAIN_INLINE_STEP
#pragma GCC diagnostic pop

float AccumulationUnit::finish(const AccumulatorState &acc) const {
  if (spec.grouping == Grouping::None)
    return acc.group;
  return addToOuter(acc.outer, groupSum(spec, acc));
}

double
AccumulationUnit::sharedThreshold(ArrayRef<AccumulatorState> states) const {
  double sum = 0;
  for (const AccumulatorState &s : states)
    sum += std::fabs(s.outer);
  return sharedThresholdFromSum(sum, states.size());
}

double AccumulationUnit::sharedThresholdFromSum(double sum,
                                                uint64_t count) const {
  return std::ldexp(sum / count, -spec.shiftC);
}

Error gemm(ArrayRef<float> a, ArrayRef<float> b, MutableArrayRef<float> c,
           int64_t m, int64_t n, int64_t k, const AccumulationSpec &spec) {
  if (Error e = spec.verify())
    return e;
  if (m < 0 || n < 0 || k < 0 || a.size() != size_t(m * k) ||
      b.size() != size_t(k * n) || c.size() != size_t(m * n))
    return createStringError(
        "gemm of %lldx%lldx%lld needs %lld, %lld and %lld elements, got %zu, "
        "%zu and %zu",
        (long long)m, (long long)n, (long long)k, (long long)(m * k),
        (long long)(k * n), (long long)(m * n), a.size(), b.size(), c.size());
  const AccumulationUnit unit(spec);
  std::vector<AccumulatorState> acc(m * n, unit.start());
  double sharedT = unit.initialSharedThreshold();
  for (int64_t kk = 0; kk < k; ++kk) {
    bool closed = false;
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j)
        closed |= unit.add(acc[i * n + j],
                           unit.product(a[i * k + kk], b[kk * n + j]), sharedT);
    if (closed && unit.usesSharedThreshold())
      sharedT = unit.sharedThreshold(acc);
  }
  for (int64_t i = 0; i < m * n; ++i)
    c[i] = unit.finish(acc[i]);
  return Error::success();
}

Expected<float> dot(ArrayRef<float> a, ArrayRef<float> b,
                    const AccumulationSpec &spec) {
  if (a.size() != b.size())
    return createStringError("dot of vectors of lengths %zu and %zu", a.size(),
                             b.size());
  float c;
  if (Error e = gemm(a, b, MutableArrayRef<float>(c), 1, 1, a.size(), spec))
    return std::move(e);
  return c;
}

namespace {
using detail::EnumName;
const EnumName<Grouping> kGroupingNames[] = {
    {Grouping::None, "none"},
    {Grouping::Static, "static"},
    {Grouping::IdealDGA, "ideal_dga"},
    {Grouping::EfficientDGA, "efficient_dga"},
};
} // namespace

StringRef stringifyGrouping(Grouping g) {
  return detail::nameOf(kGroupingNames, g);
}

double exactDot(ArrayRef<float> a, ArrayRef<float> b) {
  assert(a.size() == b.size() && "length mismatch");
  double sum = 0, comp = 0; // Neumaier
  for (size_t i = 0; i < a.size(); ++i) {
    double p = static_cast<double>(a[i]) * b[i];
    double s = sum + p;
    comp += std::fabs(sum) >= std::fabs(p) ? (sum - s) + p : (p - s) + sum;
    sum = s;
  }
  return sum + comp;
}

double vectorAngle(ArrayRef<double> a, ArrayRef<double> b) {
  assert(a.size() == b.size() && "length mismatch");
  double na = 0, nb = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    na += a[i] * a[i];
    nb += b[i] * b[i];
  }
  na = std::sqrt(na);
  nb = std::sqrt(nb);
  if (std::isnan(na) || std::isnan(nb))
    return std::numeric_limits<double>::quiet_NaN();
  if (na == 0 || nb == 0)
    return na == nb ? 0.0 : std::acos(0.0);
  double diff = 0, sum = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    double u = a[i] / na, v = b[i] / nb;
    diff += (u - v) * (u - v);
    sum += (u + v) * (u + v);
  }
  return 2 * std::atan2(std::sqrt(diff), std::sqrt(sum));
}

Expected<double> meanRelativeDotError(const AccumulationSpec &spec,
                                      const MinifloatFormat &operand,
                                      int length, int trials, uint64_t seed,
                                      DotOperands operands) {
  if (Error e = spec.verify())
    return std::move(e);
  const bool zeroMean = operands == DotOperands::ZeroMean;
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> d(0.0f, 1.0f);
  std::vector<float> a(length), b(length);
  double total = 0;
  for (int t = 0; t < trials; ++t) {
    double norm2 = 0;
    for (int i = 0; i < length; ++i) {
      float x = d(rng), y = d(rng);
      a[i] = quantize(operand, zeroMean ? 2 * x - 1 : x, Rounding());
      b[i] = quantize(operand, zeroMean ? 2 * y - 1 : y - 0.2f, Rounding());
      double p = double(a[i]) * b[i];
      norm2 += p * p;
    }
    double exact = exactDot(a, b);
    double scale = zeroMean ? std::sqrt(norm2) : std::fabs(exact);
    total += std::fabs(cantFail(dot(a, b, spec)) - exact) / scale;
  }
  return total / trials;
}

AutoGrouping chooseAutoGrouping(int64_t k, const MinifloatFormat &accumulator,
                                double tolerance) {
  // docs/Numerics.md, "Choosing a static group size", derives each step.
  AutoGrouping choice;
  const int p = static_cast<int>(accumulator.mantissaBits) + 1;
  const double kk = static_cast<double>(std::max<int64_t>(k, 0));
  choice.sequentialError = std::ldexp(1.0, -p) * std::sqrt(kk) / 3.0;
  const double swamp = std::ldexp(1.0, std::min(p, 62)); // products per sum
  if (k <= 2 || (choice.sequentialError <= tolerance && kk <= swamp))
    return choice;
  // In log2: between the optima for linearly growing sums, (K^2 / 2)^(1/3),
  // and for random-walk sums, sqrt(K), their geometric mean K^(7/12) /
  // 2^(1/6), whose modelled error is within 1.25x of each regime's optimum
  // up to K = 65536. Kept where neither the groups nor the outer sum of
  // K / Ng group sums swamp ([log2 K - p, p]); sqrt(K) when both cannot be
  // avoided. Rounded to the nearest integer, ties up (exact for powers of
  // two: K = 256 is a tie, 4.5).
  const double log2k = std::log2(kk), swampBits = std::min(p, 62);
  double size = (7.0 * log2k - 2.0) / 12.0;
  const double lo = log2k - swampBits, hi = swampBits;
  size = lo <= hi ? std::clamp(size, lo, hi) : log2k / 2.0;
  int64_t pow2 = int64_t(1) << std::clamp<long>(std::lround(size), 1, 30);
  choice.grouping = Grouping::Static;
  choice.groupSize = static_cast<unsigned>(std::min<int64_t>(pow2, k));
  return choice;
}

namespace {
using detail::EnumName;
const EnumName<DgaCount> kDgaCountNames[] = {
    {DgaCount::AfterReset, "after_reset"},
    {DgaCount::ClosedGroup, "closed_group"},
    {DgaCount::Running, "running"},
};
} // namespace

StringRef stringifyDgaCount(DgaCount c) {
  return detail::nameOf(kDgaCountNames, c);
}

std::optional<DgaCount> parseDgaCount(StringRef s) {
  return detail::valueOf(kDgaCountNames, s);
}

std::optional<Grouping> parseGrouping(StringRef s) {
  return detail::valueOf(kGroupingNames, s);
}

} // namespace qtrain::numerics
