//===- Config.h - Configuration registers and what they mean ----*- C++ -*-===//
//
// The configuration registers of docs/Accelerator.md ("Registers",
// "Configuration"): format, rounding and accumulation table entries, transfer
// descriptors, views, the stream and scale-array registers, each with a
// version. `cfg.*` words are stored as written (at dispatch); an instruction
// that uses an entry resolves it into the numerics library's objects, with
// every check of the Errors table's "any use of an entry or register" row.
// Resolution errors are worded without the instruction prefix ("uses format
// entry 3, which does not verify: ..."); the executor adds it.
//
//===----------------------------------------------------------------------===//

#ifndef QTRAIN_ACCEL_SIM_CONFIG_H
#define QTRAIN_ACCEL_SIM_CONFIG_H

#include "qtrain/Accel/ISA.h"
#include "qtrain/Accel/Layout.h"
#include "qtrain/Numerics/Accumulation.h"
#include "qtrain/Numerics/ScaledFormat.h"

#include "llvm/Support/Error.h"

#include <array>
#include <optional>

namespace qtrain::accel::sim {

/// A register or table entry made of `N` parts, each written by one `cfg.*`
/// encoding. The version counts the writes of any part.
template <unsigned N> struct ConfigEntry {
  uint32_t version = 0;
  std::array<std::optional<Instruction>, N> parts;
};

struct ConfigRegisters {
  std::array<ConfigEntry<3>, kFormatEntries>
      formats; ///< element, tensor, block
  std::array<ConfigEntry<2>, kRoundingEntries> roundings; ///< rounding, data
  std::array<ConfigEntry<2>, kAccumEntries> accums;       ///< accum, grouping
  std::array<ConfigEntry<2>, kTransferDescriptors> transfers; ///< dram, chip
  std::array<ConfigEntry<1>, kViewRegisters> views;
  ConfigEntry<1> stream;
  ConfigEntry<1> scales;

  /// Executes a `cfg.*` instruction (its fields are legal: decoded).
  void write(const Instruction &inst);
};

/// A verified format entry (docs/Accelerator.md, "Format entries").
struct FormatConfig {
  unsigned entry = 0;
  uint32_t version = 0;
  /// Levels in the order tensor, block; the block level's blockShape is
  /// {block_z, block_y, block_x}.
  numerics::ScaledFormat format;
  bool hasTensorLevel = false, hasBlockLevel = false;
  uint64_t scaleEntry = 0; ///< ACC entry of the tensor level's scale.
  std::array<uint64_t, 3> block{1, 1, 1}; ///< block_z, block_y, block_x.
  bool paired = false;
  unsigned roundingEntry = 0;

  explicit FormatConfig(numerics::ElementFormat element)
      : format{element, {}} {}

  const numerics::ElementFormat &element() const { return format.element; }
  const numerics::ScaleLevel *tensorLevel() const {
    return hasTensorLevel ? &format.levels.front() : nullptr;
  }
  const numerics::ScaleLevel *blockLevel() const {
    return hasBlockLevel ? &format.levels.back() : nullptr;
  }
  uint16_t tag() const;
  LaneLayout lanes(uint64_t rowBytes) const;
};

/// A verified rounding entry: the library's Rounding (seed 0: the caller
/// sets SEED[seedReg]) and, for a data source, its companion tensor.
struct RoundingConfig {
  numerics::Rounding rounding;
  unsigned seedReg = 0;
  uint64_t dataAddr = 0, dataCount = 0;
  bool isDataSource() const {
    return rounding.isStochastic() &&
           rounding.source.kind == numerics::RandomSourceKind::Data;
  }
};

struct TransferConfig {
  std::array<int64_t, 3> dramStride{};  ///< z, y, x, in DRAM elements.
  std::array<uint64_t, 3> chipStride{}; ///< z, y, x, in slots or entries.
  uint64_t padYLo = 0, padYHi = 0, padXLo = 0, padXHi = 0;
};

struct StreamConfig {
  uint64_t indexBase = 0;
  std::array<uint64_t, 3> indexStride{}; ///< z, y, x.
};

/// A view register: position (z, y, x) is ACC entry base + z stride_z +
/// y stride_y + x stride_x.
struct ViewConfig {
  std::array<uint64_t, 3> size{};   ///< z, y, x.
  std::array<uint64_t, 3> stride{}; ///< z, y, x.
};

struct ScaleArrayConfig {
  uint64_t addr = 0;
  std::array<uint64_t, 3> stride{}; ///< z, y, x, in scales.
};

llvm::Expected<FormatConfig> resolveFormat(const ConfigRegisters &c,
                                           unsigned entry);
llvm::Expected<RoundingConfig> resolveRounding(const ConfigRegisters &c,
                                               unsigned entry);
llvm::Expected<numerics::AccumulationSpec>
resolveAccumulation(const ConfigRegisters &c, unsigned entry);
llvm::Expected<TransferConfig> resolveTransfer(const ConfigRegisters &c,
                                               unsigned td);
llvm::Expected<ViewConfig> resolveView(const ConfigRegisters &c, unsigned view);
llvm::Expected<StreamConfig> resolveStream(const ConfigRegisters &c);
llvm::Expected<ScaleArrayConfig> resolveScaleArray(const ConfigRegisters &c);

} // namespace qtrain::accel::sim

#endif // QTRAIN_ACCEL_SIM_CONFIG_H
