//===- Accumulation.h - Low-precision dot products and GEMM -----*- C++ -*-===//
//
// The reference for every contraction: products rounded to a product format,
// summed in an accumulator format (rounded after every add) with optional
// grouping (static groups, ideal or efficient dynamic group accumulation),
// and groups added into an outer accumulator. docs/Numerics.md
// ("Accumulation") states the algorithm exactly as implemented here.
//
//===----------------------------------------------------------------------===//

#ifndef QTRAIN_NUMERICS_ACCUMULATION_H
#define QTRAIN_NUMERICS_ACCUMULATION_H

#include "qtrain/Numerics/Integer.h"
#include "qtrain/Numerics/Minifloat.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/Support/Error.h"

#include <optional>

namespace qtrain::numerics {

enum class Grouping : uint8_t {
  None,         ///< One running sum in the accumulator format.
  Static,       ///< A group closes every `groupSize` products (SGA).
  IdealDGA,     ///< Threshold sqrt(3 P_O^2 / (2 n)) from the error model.
  EfficientDGA, ///< Threshold 2^-c |P_O| (a shift), per output or shared.
};

/// Which group count n enters the ideal-DGA threshold sqrt(3 P_O^2 / (2 n)).
/// docs/Numerics.md ("Ideal DGA: which n") derives the rule and compares the
/// three.
enum class DgaCount : uint8_t {
  /// T is computed when a group closes, with n = 1 (the count after the
  /// reset, the published pseudo-code's order), and held until the next
  /// close.
  AfterReset,
  /// T is computed when a group closes, with n = the number of products of
  /// the group just closed, and held until the next close.
  ClosedGroup,
  /// T is re-evaluated before every product with n = the number of products
  /// in the open group, as the error model says: the product enters iff
  /// n * P_G^2 < 1.5 * P_O^2 (T0 decides while P_O is zero).
  Running,
};

struct AccumulationSpec {
  /// Products are exact (f64) when unset, else rounded to this format.
  std::optional<MinifloatFormat> product;
  /// The group (or only) accumulator P_G.
  MinifloatFormat accumulator; // f32 by default
  /// The outer accumulator P_O; the accumulator format when unset.
  std::optional<MinifloatFormat> outer;
  /// A fixed-point group accumulator (MLS): P_G is an integer of this
  /// format's bits times 2^-fractionBits; each product is rounded (in
  /// `rounding`) to that grid and added exactly, a sum out of range
  /// saturates or wraps as the format says, and the group's sum goes into
  /// P_O (outerFormat()) when the group closes. Static grouping only; two's
  /// complement of at most 32 bits. `accumulator` is then only the default
  /// outer format.
  std::optional<IntegerFormat> fixedPoint;
  Grouping grouping = Grouping::None;
  unsigned groupSize = 16;               ///< Static.
  double initialThreshold = 1.0;         ///< DGA: T0.
  DgaCount dgaCount = DgaCount::Running; ///< IdealDGA.
  /// EfficientDGA: T = 2^-c |P_O|. The default 4 is the best c of the study
  /// in `qtrain-numerics dga` (docs/Numerics.md, "Choosing c").
  int shiftC = 4;
  bool sharedThreshold = false; ///< EfficientDGA: one T per GEMM.
  /// Rounding of every add (and of products); deterministic modes only.
  RoundingMode rounding = RoundingMode::NearestEven;

  bool operator==(const AccumulationSpec &o) const {
    return product == o.product && accumulator == o.accumulator &&
           outer == o.outer && fixedPoint == o.fixedPoint &&
           grouping == o.grouping && groupSize == o.groupSize &&
           initialThreshold == o.initialThreshold && dgaCount == o.dgaCount &&
           shiftC == o.shiftC && sharedThreshold == o.sharedThreshold &&
           rounding == o.rounding;
  }
  bool operator!=(const AccumulationSpec &o) const { return !(*this == o); }

  const MinifloatFormat &outerFormat() const {
    return outer ? *outer : accumulator;
  }
  llvm::Error verify() const;
};

/// The sum of a and b (values of f32 precision or exact f64 products),
/// correctly rounded to `f` in mode `mode`.
float addRounded(const MinifloatFormat &f, double a, double b,
                 RoundingMode mode);

/// addRounded for one format and mode, with the common case computed in a
/// few f64 operations: in nearest-even, when the f64 sum s lies in f's
/// normal range and rounds to at most f's largest finite value, and s is
/// not a midpoint of f left by an inexact f64 sum, the result is s rounded
/// to f's precision by Veltkamp's split (docs/Numerics.md, "Fast rounding
/// of sums"). Every other sum takes addRounded. The same bits as addRounded
/// for every input.
class RoundedAdder {
public:
  RoundedAdder(const MinifloatFormat &f, RoundingMode mode);
  float operator()(double a, double b) const;

private:
  MinifloatFormat format;
  RoundingMode mode;
  /// Where the split applies (an empty range when it does not: other modes,
  /// more than 23 mantissa bits, values beyond f32's normal range), and its
  /// constant 2^(52 - m) + 1.
  double minNormal = 1, maxFinite = 0, split = 0;
};

/// The state of one output's accumulation (docs/Numerics.md, "Grouping, per
/// output"). Plain data: a functional model keeps one per output between
/// instructions; only an AccumulationUnit of the same spec reads or writes it.
struct AccumulatorState {
  float outer = 0;      ///< P_O.
  float group = 0;      ///< P_G of a float group accumulator.
  unsigned count = 0;   ///< n: products in the open group.
  double threshold = 0; ///< T: the output's own DGA threshold.
  double fixed = 0;     ///< P_G of a fixed-point accumulator, N * 2^-F exactly.
};

/// One contraction's accumulation, step by step: the one definition that
/// gemm, dot (and so conv2d) are loops over, exposed so that a functional
/// model can run an output's products through it in its own order of
/// instructions and get gemm's bits. For each output: `s = start()`, then for
/// k = 0, 1, ...: `add(s, product(a_k, b_k), sharedT)`; the result is
/// `finish(s)`. With a shared E-DGA threshold (usesSharedThreshold()) all
/// outputs advance over k in lockstep, sharedT starts at
/// initialSharedThreshold(), and after each k step in which any add returned
/// true it becomes sharedThreshold(all states, row-major); otherwise sharedT
/// is not read.
///
/// The members are defined in the library (built with -ffp-contract=off):
/// call them, do not copy them into code compiled with other flags.
class AccumulationUnit {
public:
  /// `spec` must verify (gemm and dot check; other callers call verify()).
  explicit AccumulationUnit(const AccumulationSpec &spec)
      : spec(spec), addToGroup(spec.accumulator, spec.rounding),
        addToOuter(spec.outerFormat(), spec.rounding),
        f32NearestEven(spec.grouping == Grouping::None && !spec.product &&
                       spec.accumulator == MinifloatFormat() &&
                       spec.rounding == RoundingMode::NearestEven) {}

  const AccumulationSpec &getSpec() const { return spec; }

  /// The state before the first product: P_O = P_G = 0, n = 0, T = T0.
  AccumulatorState start() const;
  /// The product of two f32 operands: exact in f64 (a NaN product is the
  /// positive quiet NaN), or rounded once to the product format.
  double product(float a, float b) const;
  /// Adds one product to `state`; `sharedT` is the shared E-DGA threshold
  /// (not read by other groupings). Returns true when a group closed (static
  /// groups and DGA; never for no grouping).
  bool add(AccumulatorState &state, double p, double sharedT) const;
  /// The output's value: P_G without grouping, else O(P_O + P_G).
  float finish(const AccumulatorState &state) const;

  /// Whether the spec is E-DGA with one threshold for the whole contraction.
  bool usesSharedThreshold() const {
    return spec.grouping == Grouping::EfficientDGA && spec.sharedThreshold;
  }
  /// The shared threshold before the first close: T0.
  double initialSharedThreshold() const { return spec.initialThreshold; }
  /// The shared E-DGA threshold after a k step in which a group closed:
  /// ldexp(sum of |P_O| over `states` in order, in f64, / states.size(), -c).
  /// `states` are all outputs of the contraction, row-major; not empty.
  double sharedThreshold(llvm::ArrayRef<AccumulatorState> states) const;
  /// The same from the sum's parts: ldexp(sum / count, -c), where `sum` is
  /// the f64 sum of |P_O| over the outputs in row-major order, added one
  /// by one from 0 (a functional model that holds the outputs in parts adds
  /// them part after part, in the same order, and gets the same bits).
  double sharedThresholdFromSum(double sum, uint64_t count) const;

private:
  AccumulationSpec spec;
  /// addRounded to the group's and the outer format.
  RoundedAdder addToGroup, addToOuter;
  /// IEEE binary32 accumulation in nearest-even without grouping or product
  /// rounding: an add of an f32-representable product is the host's float
  /// add (correctly rounded, IEEE zero signs, overflow to infinity), the
  /// same bits as addRounded, which the other products still take.
  bool f32NearestEven;
};

/// dot(a, b) under `spec`; an error when the spec does not verify or the
/// lengths differ.
llvm::Expected<float> dot(llvm::ArrayRef<float> a, llvm::ArrayRef<float> b,
                          const AccumulationSpec &spec);

/// C[m x n] = A[m x k] * B[k x n], all row-major, every output accumulated as
/// dot() does over k in increasing order. With a shared E-DGA threshold all
/// outputs advance over k in lockstep. An error (and `c` untouched) when the
/// spec does not verify or the sizes disagree with m, n and k.
llvm::Error gemm(llvm::ArrayRef<float> a, llvm::ArrayRef<float> b,
                 llvm::MutableArrayRef<float> c, int64_t m, int64_t n,
                 int64_t k, const AccumulationSpec &spec);

/// A reference for error studies: sum(a[i] * b[i]) with the products exact
/// in double and Neumaier's compensated summation. Not always the correctly
/// rounded sum: its error is at most about u |sum| + n u^2 sum |a[i] b[i]|
/// (u = 2^-53), far below the errors it is used to measure.
double exactDot(llvm::ArrayRef<float> a, llvm::ArrayRef<float> b);

/// The angle in radians between two vectors (the DGA paper's error metric
/// for weight gradients, tan(theta) = sqrt((|a| |b| / <a, b>)^2 - 1)),
/// computed with Kahan's stable form 2 atan(|a/|a| - b/|b|| / |a/|a| +
/// b/|b||), which stays accurate for tiny angles. 0 when both are zero, pi/2
/// when exactly one is; NaN when an element is NaN.
double vectorAngle(llvm::ArrayRef<double> a, llvm::ArrayRef<double> b);

/// The operands of meanRelativeDotError, one per regime of partial sums.
enum class DotOperands {
  /// a from [0, 1), b from [-0.2, 0.8): the positive mean makes partial sums
  /// grow linearly, the regime where swamping appears. The error is
  /// relative to |exact|.
  PositiveMean,
  /// a and b from [-1, 1): partial sums grow as a random walk. The exact
  /// dot may be near zero, so the error is relative to the products' norm
  /// sqrt(sum (a[i] b[i])^2), the size the sum has on average.
  ZeroMean,
};

/// A reproducible accuracy study: the mean relative error |dot - exact| /
/// scale over `trials` dot products of length `length`, operands drawn
/// uniformly as `operands` says and rounded to `operand` with nearest-even.
llvm::Expected<double>
meanRelativeDotError(const AccumulationSpec &spec,
                     const MinifloatFormat &operand, int length, int trials,
                     uint64_t seed,
                     DotOperands operands = DotOperands::PositiveMean);

/// The grouping of a recipe's "auto" accumulation for `k` products summed
/// into `accumulator` with p = mantissa bits + 1 significant bits
/// (docs/Numerics.md, "Choosing a static group size", derives it): no
/// grouping when the modelled rms relative error of sequential
/// accumulation, 2^-p sqrt(k) / 3, is at most `tolerance` and k <= 2^p (no
/// swamping even when the products share a sign); otherwise static groups
/// of the power of two nearest k^(7/12) / 2^(1/6), the geometric mean of
/// the optima for linearly growing sums, (k^2 / 2)^(1/3), and for
/// random-walk sums, sqrt(k), clamped to [k / 2^p, 2^p] (sqrt(k) when that
/// range is empty), at least 2 and at most k.
struct AutoGrouping {
  Grouping grouping = Grouping::None;
  unsigned groupSize = 0; ///< Static only.
  /// 2^-p sqrt(k) / 3: the modelled error of no grouping.
  double sequentialError = 0;
};
AutoGrouping chooseAutoGrouping(int64_t k, const MinifloatFormat &accumulator,
                                double tolerance);

llvm::StringRef stringifyGrouping(Grouping g);
llvm::StringRef stringifyDgaCount(DgaCount c);
std::optional<DgaCount> parseDgaCount(llvm::StringRef s);
std::optional<Grouping> parseGrouping(llvm::StringRef s);

} // namespace qtrain::numerics

#endif // QTRAIN_NUMERICS_ACCUMULATION_H
