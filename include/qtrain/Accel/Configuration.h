//===- Configuration.h - Numerics objects as configuration words -*- C++
//-*-===//
//
// The mapping between the numerics library's objects and the accelerator's
// configuration (docs/Accelerator.md, "Configuration" and "Scratchpads"):
// a ScaledFormat and its placement as the three words of a format entry, a
// Rounding as a rounding entry, an AccumulationSpec as an accumulation
// entry (the lane widths and multiplier mode a format implies are in
// Layout.h). The compiler writes configuration with it; the functional model reads the
// same fields back, so the field meanings live in this one place.
//
//===----------------------------------------------------------------------===//

#ifndef QTRAIN_ACCEL_CONFIGURATION_H
#define QTRAIN_ACCEL_CONFIGURATION_H

#include "qtrain/Accel/ISA.h"
#include "qtrain/Numerics/Accumulation.h"
#include "qtrain/Numerics/ScaledFormat.h"

#include "llvm/Support/Error.h"

#include <array>

namespace qtrain::accel {

/// Where a format entry's blocks and scales are, besides the format itself.
struct FormatPlacement {
  unsigned roundingEntry = 0;
  uint64_t layout = SpLayout::Plain;
  /// The block level's extents in the coordinates of the transfers and
  /// views that convert with the entry (not the tensor's).
  int64_t blockZ = 1, blockY = 1, blockX = 1;
  /// The ACC entry holding the whole-tensor level's scale.
  unsigned scaleEntry = 0;
};

/// The `cfg.element`, `cfg.tensor_level` and `cfg.block_level` words of
/// format entry `entry`. The format may have at most one whole-tensor level
/// (an empty block shape) followed by at most one block level whose rule is
/// shared_exponent or amax_to_max; otherwise, or when a value does not fit
/// its field, an error saying what cannot be configured.
llvm::Expected<std::array<Instruction, 3>>
configureFormat(unsigned entry, const numerics::ScaledFormat &format,
                const FormatPlacement &placement);

/// The `cfg.rounding` word of rounding entry `entry`, its seed read from
/// SEED[seedReg]. Fields the mode or source does not read are zero. A data
/// source also needs a `cfg.rounding_data` word (its companion tensor's
/// address), which the caller writes.
llvm::Expected<Instruction>
configureRounding(unsigned entry, const numerics::Rounding &rounding,
                  unsigned seedReg);

/// The `cfg.accum` and `cfg.accum_grouping` words of accumulation entry
/// `entry`. Fields the grouping does not read are zero.
llvm::Expected<std::array<Instruction, 2>>
configureAccumulation(unsigned entry, const numerics::AccumulationSpec &spec);

} // namespace qtrain::accel

#endif // QTRAIN_ACCEL_CONFIGURATION_H
