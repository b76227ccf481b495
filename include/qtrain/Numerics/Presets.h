//===- Presets.h - Named number formats -------------------------*- C++ -*-===//
//
// One table of named element formats (OCP FP8/FP6/FP4, bf16, f16, tf32 and the
// seeds' accumulator and element formats) and scaled formats (MX, FlexBlock,
// MLS, per-tensor scaled FP8). Names are what the dialect prints.
//
//===----------------------------------------------------------------------===//

#ifndef QTRAIN_NUMERICS_PRESETS_H
#define QTRAIN_NUMERICS_PRESETS_H

#include "qtrain/Numerics/Minifloat.h"
#include "qtrain/Numerics/ScaledFormat.h"

#include <optional>

namespace qtrain::numerics {

struct MinifloatPreset {
  llvm::StringRef name;
  MinifloatFormat format;
  llvm::StringRef description;
};

/// Every named minifloat, in a stable order.
llvm::ArrayRef<MinifloatPreset> minifloatPresets();
std::optional<MinifloatFormat> lookupMinifloat(llvm::StringRef name);
/// The preset name of `f`, or "" when it has none.
llvm::StringRef minifloatPresetName(const MinifloatFormat &f);

struct ScaledPreset {
  llvm::StringRef name;
  ScaledFormat format;
  /// The element rounding the technique specifies (FlexBlock truncates).
  Rounding rounding;
  llvm::StringRef description;
};

/// Every named scaled format, in a stable order.
llvm::ArrayRef<ScaledPreset> scaledPresets();
const ScaledPreset *lookupScaled(llvm::StringRef name);
/// The preset name of `f`, or "" when it has none.
llvm::StringRef scaledPresetName(const ScaledFormat &f);

/// The adaptive-bias FP8 element format of Hassani Sadi et al.: E5M2 with the
/// given bias, every code finite, subnormals flushed, saturating.
MinifloatFormat adaptiveBiasE5M2(int bias);

} // namespace qtrain::numerics

#endif // QTRAIN_NUMERICS_PRESETS_H
