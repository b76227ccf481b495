//===- Statistics.h - Tensor statistics for scaling and control -*- C++ -*-===//
//
// The statistics that scale rules and precision control read: amax, the
// exact and the three-pass approximate median of |x|, the zero-setting error
// and the exponent histogram. docs/Numerics.md ("Statistics").
//
//===----------------------------------------------------------------------===//

#ifndef QTRAIN_NUMERICS_STATISTICS_H
#define QTRAIN_NUMERICS_STATISTICS_H

#include "qtrain/Numerics/ScaledFormat.h"

#include "llvm/ADT/ArrayRef.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

namespace qtrain::numerics {

/// The amax of a tensor as a mergeable summary: the largest finite |x| and
/// whether a NaN or an infinity was seen. Elements can be added in any order
/// and summaries of parts merged in any order: the result is the whole
/// tensor's (every field is a maximum or an or).
struct AmaxStatistic {
  float maxFinite = 0.0f; ///< max |x| over the finite elements; 0 if none.
  bool anyNaN = false;
  bool anyInf = false;

  void add(float x) {
    float a = std::fabs(x);
    if (a <= std::numeric_limits<float>::max()) // finite: one branch
      maxFinite = std::max(maxFinite, a);
    else if (std::isnan(x))
      anyNaN = true;
    else
      anyInf = true;
  }
  void add(llvm::ArrayRef<float> x) {
    for (float v : x)
      add(v);
  }
  void merge(const AmaxStatistic &o) {
    maxFinite = std::max(maxFinite, o.maxFinite);
    anyNaN |= o.anyNaN;
    anyInf |= o.anyInf;
  }
  /// The tensor statistic of numerics::amax: NaN if a NaN was seen, else
  /// +inf if an infinity was, else maxFinite.
  float amax() const {
    if (anyNaN)
      return std::numeric_limits<float>::quiet_NaN();
    return anyInf ? std::numeric_limits<float>::infinity() : maxFinite;
  }
  /// The statistic an amax rule reads for one block (encodeScaled,
  /// blockScale): NaN when an element is not finite and `scaleFormat` has a
  /// NaN scale, else maxFinite (non-finite elements then do not count).
  float blockStatistic(const ScaleFormat &scaleFormat) const {
    if ((anyNaN || anyInf) && scaleFormat.canHoldNaN())
      return std::numeric_limits<float>::quiet_NaN();
    return maxFinite;
  }
};

/// max |x| over the finite elements; NaN if any element is NaN, +inf if any
/// is infinite and none is NaN; 0 for an empty tensor
/// (AmaxStatistic::amax() of all elements).
float amax(llvm::ArrayRef<float> x);

/// The lower median of |x| (element of rank floor((n-1)/2) in increasing
/// order), NaN elements (and with `excludeZeros` zeros of either sign)
/// excluded; 0 when no element is left.
float medianAbs(llvm::ArrayRef<float> x, bool excludeZeros = false);

/// The hardware approximation of the median of |x| (adaptive-bias FP8): pass
/// 1 finds min and max of |x|, pass 2 counts `bins` equal bins over
/// [min, max] and picks the one where the cumulative count reaches
/// floor((n-1)/2) + 1, pass 3 splits that bin into `bins` again, counting
/// exactly the values pass 2 put in it; the result is the centre of the
/// final bin (min when all values are equal). NaN and infinite elements are
/// excluded; 0 when none is left. docs/Numerics.md ("Statistics") has the
/// arithmetic.
float medianAbsApprox(llvm::ArrayRef<float> x, unsigned bins = 20,
                      bool excludeZeros = false);

/// A median of |x| found in passes over the data, as a machine with
/// bounded state finds it (the accelerator's statistics registers): each
/// pass adds every element (`add`, over any number of chunks), then `step`
/// decides from the counts what the next pass counts. Zeros are counted
/// in every pass and also tallied apart, so that `step(excludeZeros)`
/// decides between the median of all values and of the non-zero ones
/// after the data were read. NaNs never count.
///
/// RadixSelect gives medianAbs exactly: non-negative floats order as
/// their bit patterns, so the lower median's bits are chosen a digit at a
/// time, most significant first (4 passes: a 7-bit digit, then three 8-bit
/// ones), each pass counting the next digit of the elements whose leading
/// digits equal those chosen.
///
/// ApproxMedianSelect gives medianAbsApprox: its pass 1 (min and max of
/// the finite |x|), pass 2 (counts in `bins` bins) and pass 3 (the picked
/// bin split again). It may be done after its first step (no element, or
/// all equal).
///
/// Once done, passes and steps change nothing, so a machine can run a
/// fixed number of them. `step` returns false, changing nothing, when the
/// counts do not hold the rank the first step fixed: the passes read
/// different data, or the steps disagreed about zeros (a program's error,
/// which a machine reports).
class RadixSelect {
public:
  static constexpr unsigned kPasses = 4;
  static constexpr unsigned kBins = 256;

  void add(llvm::ArrayRef<float> x);
  [[nodiscard]] bool step(bool excludeZeros);
  bool done() const { return digits == kPasses; }
  /// The lower median once done (0 when no element counted).
  float value() const;

private:
  /// The bit offset of the digit the next pass counts.
  unsigned shift() const { return 24 - 8 * digits; }
  uint32_t prefix = 0; ///< The digits chosen, right-aligned.
  unsigned digits = 0; ///< How many.
  uint64_t rank = 0;   ///< 0-based rank still to find among the matches.
  bool empty = false;  ///< The first step found no element.
  uint64_t zeros = 0;  ///< Zeros of the current pass.
  std::array<uint64_t, kBins> counts{};
};

class ApproxMedianSelect {
public:
  static constexpr unsigned kPasses = 3;

  explicit ApproxMedianSelect(unsigned bins = 20) : bins(bins) {}
  /// The bins of passes 2 and 3; set before the first step.
  unsigned binCount() const { return bins; }
  void setBins(unsigned b) { bins = b; }
  /// The steps taken (kPasses once done).
  unsigned steps() const { return passes; }
  void add(llvm::ArrayRef<float> x);
  [[nodiscard]] bool step(bool excludeZeros);
  bool done() const { return passes == kPasses; }
  /// The approximate median once done (0 when no element counted).
  float value() const { return result; }

private:
  unsigned binOf(double v, double from, double w) const;
  unsigned bins;
  unsigned passes = 0;
  // Pass 1: the range of all finite |x| and of the non-zero ones.
  float min = std::numeric_limits<float>::infinity(), minNonZero = min;
  float max = 0;
  uint64_t finite = 0, zeros = 0;
  // Passes 2 and 3.
  double lo = 0, width = 0, lo2 = 0, width2 = 0;
  unsigned pick = 0;
  uint64_t rank = 0, below = 0;
  std::vector<uint64_t> counts;
  float result = 0;
};

/// What the zero-setting error divides by: the elements that could flush
/// (non-zero and not NaN; the default, so that a tensor's sparsity does not
/// move the statistic) or all elements.
enum class ZseDenominator : uint8_t { NonZero, All };

/// The counts of the zero-setting error, mergeable like AmaxStatistic: each
/// element adds its input x and its quantized value.
struct ZeroSettingCounts {
  uint64_t candidates = 0; ///< Inputs that could flush: non-zero, not NaN.
  uint64_t flushed = 0;    ///< Candidates whose quantized value is +-0.
  uint64_t elements = 0;   ///< All inputs.

  void add(float x, float quantized) {
    ++elements;
    if (x == 0 || std::isnan(x))
      return;
    ++candidates;
    flushed += quantized == 0;
  }
  void merge(const ZeroSettingCounts &o) {
    candidates += o.candidates;
    flushed += o.flushed;
    elements += o.elements;
  }
  /// flushed / (candidates, or elements with ZseDenominator::All) in f64; 0
  /// when the denominator is 0.
  double ratio(ZseDenominator denominator) const {
    uint64_t n = denominator == ZseDenominator::All ? elements : candidates;
    return n ? static_cast<double>(flushed) / n : 0.0;
  }
};

/// Zero-setting error: the number of elements that are non-zero (and not
/// NaN) but quantize to zero under `f` and `r` (deterministic modes only),
/// divided as `denominator` says; 0 when the denominator is 0
/// (ZeroSettingCounts of every element, ratio(denominator)).
double zeroSettingError(llvm::ArrayRef<float> x, const ElementFormat &f,
                        const Rounding &r,
                        ZseDenominator denominator = ZseDenominator::NonZero);

/// The same for a scaled format over a tensor of `shape` (scales computed by
/// each level's rule, blocks resolved for the innermost reduction axis).
llvm::Expected<double>
zeroSettingError(const ScaledFormat &f, llvm::ArrayRef<int64_t> shape,
                 llvm::ArrayRef<float> x, const Rounding &r,
                 ZseDenominator denominator = ZseDenominator::NonZero);

/// Histogram of floor(log2|x|) over f32's range.
struct ExponentHistogram {
  static constexpr int kMinExponent = -149;
  static constexpr int kMaxExponent = 127;
  std::array<uint64_t, kMaxExponent - kMinExponent + 1> counts{};
  uint64_t zeros = 0, infinities = 0, nans = 0;

  uint64_t &at(int exponent) { return counts[exponent - kMinExponent]; }
  uint64_t at(int exponent) const { return counts[exponent - kMinExponent]; }
};
ExponentHistogram exponentHistogram(llvm::ArrayRef<float> x);

/// A streaming, mergeable median of |x| for adaptive-bias FP8: counts of
/// half octaves [2^e, 1.5 * 2^e) and [1.5 * 2^e, 2^(e+1)) for e in
/// -149..127, then zeros, infinities and NaNs. Tensors of one role (all
/// layers, many steps) add into one histogram; adding two histograms is
/// adding counts. The half octave holding the median decides the power of
/// two nearest to it, so medianLookupValue gives a value whose
/// median_lookup scale equals the exact median's (docs/Numerics.md,
/// "Adaptive bias across tensors and steps").
namespace median_histogram {
constexpr int kMinExponent = -149, kMaxExponent = 127;
constexpr size_t kHalfOctaves = 2 * (kMaxExponent - kMinExponent + 1);
constexpr size_t kZeros = kHalfOctaves, kInfinities = kHalfOctaves + 1,
                 kNaNs = kHalfOctaves + 2, kBins = kHalfOctaves + 3;
/// The bin of one value.
size_t binOf(float x);
} // namespace median_histogram

/// Adds the counts of `x` to `histogram` (kBins counts).
void addToMedianHistogram(llvm::MutableArrayRef<uint64_t> histogram,
                          llvm::ArrayRef<float> x);

/// A representative of the half octave holding the lower median of the
/// counted values (NaNs never, zeros unless `excludeZeros`, infinities as
/// the largest): 1.25 * 2^e or 1.75 * 2^e rounded to f32, 0 for a zero
/// median or no counted value, +inf for an infinite median. Its nearest
/// power of two is the exact median's, so scaleFromMedian gives the same
/// scale.
float medianLookupValue(llvm::ArrayRef<uint64_t> histogram, bool excludeZeros);

/// Where a step of an adaptive-bias schedule stands: during `warmupSteps`
/// steps the role stays f32 and its tensors add to the role's histogram; the
/// step numbered `warmupSteps` freezes the scale (frozenMedianScale), which
/// every later step reuses. The state (step counter, histogram, frozen
/// scale) belongs to the caller, so it can be checkpointed.
enum class BiasPhase { WarmUp, Freeze, Frozen };
BiasPhase biasPhase(uint64_t step, uint64_t warmupSteps);

/// The scale a median_lookup level freezes at from a role's histogram.
float frozenMedianScale(const ScaleLevel &level,
                        llvm::ArrayRef<uint64_t> histogram);

/// floor(log2 |x|) for finite non-zero x (exact, subnormals included).
int floorLog2(float x);

/// For finite non-zero x: |x| >= 1.5 * 2^floorLog2(x), i.e. the power of two
/// nearest to |x| (in linear distance, 1.5 * 2^j going up) is
/// 2^(floorLog2(x) + 1) (the bit below the leading one is set).
bool inUpperHalfOctave(float x);

} // namespace qtrain::numerics

#endif // QTRAIN_NUMERICS_STATISTICS_H
