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

#include <array>

namespace qtrain::numerics {

/// max |x| over the finite elements; NaN if any element is NaN, +inf if any
/// is infinite and none is NaN; 0 for an empty tensor.
float amax(llvm::ArrayRef<float> x);

/// The lower median of |x| (element of rank floor((n-1)/2) in increasing
/// order), NaN elements excluded; 0 for an empty tensor (or all NaN).
float medianAbs(llvm::ArrayRef<float> x);

/// The hardware approximation of the median of |x| (adaptive-bias FP8): pass
/// 1 finds min and max of |x|, pass 2 counts `bins` equal bins over
/// [min, max] and picks the one where the cumulative count reaches
/// floor((n-1)/2) + 1, pass 3 splits that bin into `bins` again, counting
/// exactly the values pass 2 put in it; the result is the centre of the
/// final bin (min when all values are equal). NaN and infinite elements are
/// excluded; 0 when none is left. docs/Numerics.md ("Statistics") has the
/// arithmetic.
float medianAbsApprox(llvm::ArrayRef<float> x, unsigned bins = 20);

/// Zero-setting error: the fraction of all elements that are non-zero but
/// quantize to zero under `f` and `r` (deterministic modes only).
double zeroSettingError(llvm::ArrayRef<float> x, const ElementFormat &f,
                        const Rounding &r);

/// The same for a scaled format over a tensor of `shape` (scales computed by
/// each level's rule): the fraction of all elements that are non-zero but
/// quantize to zero.
llvm::Expected<double> zeroSettingError(const ScaledFormat &f,
                                        llvm::ArrayRef<int64_t> shape,
                                        llvm::ArrayRef<float> x,
                                        const Rounding &r);

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

/// floor(log2 |x|) for finite non-zero x (exact, subnormals included).
int floorLog2(float x);

} // namespace qtrain::numerics

#endif // QTRAIN_NUMERICS_STATISTICS_H
