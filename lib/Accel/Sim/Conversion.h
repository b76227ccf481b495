//===- Conversion.h - The converter shared by LOAD, STORE, quantize -*- C++
//-*-//
//
// Private to lib/Accel/Sim. docs/Accelerator.md, "Conversion": f32 values to
// element codes and block scales (and back to values) for the elements of a
// transfer or a view, with their blocks and stream indices, every step a
// call of the numerics library (blockScale, encodeScale, ElementFormat::
// encode/decode, RandomStream). LOAD, STORE and VECTOR `quantize` call it.
//
//===----------------------------------------------------------------------===//

#ifndef QTRAIN_LIB_ACCEL_SIM_CONVERSION_H
#define QTRAIN_LIB_ACCEL_SIM_CONVERSION_H

#include "qtrain/Accel/Sim/Config.h"
#include "qtrain/Accel/Sim/CostModel.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <vector>

namespace qtrain::accel::sim {

class Executor;

/// The converter's inputs besides the elements.
struct ConversionSetup {
  const FormatConfig *format = nullptr;
  /// T = toScaleFormat(tensor level format, ACC[scale_entry]); 1.0f
  /// without a tensor level.
  float tensorScale = 1.0f;
  /// The element rounding with the seed of SEED[seed_reg] filled in.
  numerics::Rounding rounding;
  /// A data source's companion tensor.
  llvm::ArrayRef<float> randomData;
};

struct ConvertedElements {
  std::vector<uint32_t> codes;
  /// value_e = RN(decode(code_e) * total_e) (when asked for).
  std::vector<float> values;
  /// Per block: s_B and its code (encodeScale for a power-of-two format,
  /// the f32 bits otherwise). Empty without a block level.
  std::vector<float> blockScales;
  std::vector<uint32_t> blockScaleCodes;
};

/// Converts elements `x` (in lexicographic order of their positions); with
/// a block level, element e belongs to block blockOf[e] < numBlocks; with
/// stochastic rounding its random number is the stream's at
/// streamIndex[e].
void convert(const ConversionSetup &setup, llvm::ArrayRef<float> x,
             llvm::ArrayRef<uint32_t> blockOf, size_t numBlocks,
             llvm::ArrayRef<uint64_t> streamIndex, bool wantValues,
             ConvertedElements &out);

/// The f32 value of a block scale code: decodeScale of the code's low
/// `bits` bits for a power-of-two format, the bits as an f32 otherwise.
float blockScaleValue(const numerics::ScaleFormat &f, uint64_t code);

/// The product of an element's scales in level order, as encodeScaled and
/// decodeScaled form it: RN(RN(1 * T) * s).
float totalScale(const FormatConfig &f, float tensorScale, float blockScale);

/// RN(decode(code) * total), the code's bits above the element's width
/// ignored.
float decodeElement(const numerics::ElementFormat &element, uint64_t code,
                    float total);

/// The tensor-level scale T of a conversion: toScaleFormat of the f32 in
/// ACC[scale_entry], which must hold a value (race-checked, counted).
llvm::Expected<float> readTensorScale(Executor &ex, const FormatConfig &f);

/// A data source's companion tensor must be 4-byte aligned and inside DRAM
/// (checked before an instruction starts).
llvm::Error checkDataSource(Executor &ex, const RoundingConfig &r);

/// The element rounding of `r` with SEED[seed_reg] filled in, or a data
/// source's companion tensor read from DRAM (the elements the stream
/// indices use, race-checked). `formatEntry` names the format in errors.
llvm::Error prepareRounding(Executor &ex, const RoundingConfig &r,
                            unsigned formatEntry,
                            llvm::ArrayRef<uint64_t> streamIndex,
                            ConversionSetup &setup);

/// Energy of converting one element (pJ): two 32-bit adds, a multiply or
/// an 8-bit add per scale level, and a stochastic rounding's add and
/// generator.
double conversionEnergy(const EnergyModel &em, const FormatConfig &f,
                        const numerics::Rounding &r);

} // namespace qtrain::accel::sim

#endif // QTRAIN_LIB_ACCEL_SIM_CONVERSION_H
