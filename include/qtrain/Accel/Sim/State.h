//===- State.h - The accelerator's architectural state ----------*- C++ -*-===//
//
// The memories and data registers of docs/Accelerator.md ("Architectural
// state"): DRAM, the two scratchpads (codes, sidecars and slot states), the
// accumulator memory (entry states, values and GEMM accumulation states),
// and the seed, statistics and shared-threshold registers. Plain data with
// bit-level accessors; the instructions that change it are in lib/Accel/Sim.
//
//===----------------------------------------------------------------------===//

#ifndef QTRAIN_ACCEL_SIM_STATE_H
#define QTRAIN_ACCEL_SIM_STATE_H

#include "qtrain/Accel/ISA.h"
#include "qtrain/Accel/Machine.h"
#include "qtrain/Numerics/Accumulation.h"
#include "qtrain/Numerics/Statistics.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/Support/Error.h"

#include <array>
#include <cstdint>
#include <memory>
#include <vector>

namespace qtrain::accel::sim {

//===----------------------------------------------------------------------===//
// DRAM
//===----------------------------------------------------------------------===//

/// Byte-addressed, little-endian, zero where no image was placed. Bit `i` is
/// bit `i % 8` of byte `i / 8`. The memory is allocated zeroed and lazily by
/// the operating system, so an untouched gigabyte costs nothing.
class Dram {
public:
  static llvm::Expected<Dram> create(uint64_t bytes);

  uint64_t size() const { return bytes; }
  uint8_t *data() { return memory.get(); }
  const uint8_t *data() const { return memory.get(); }

  /// Bits [bit, bit + width) as an integer, bit `bit` the least significant
  /// (width <= 64); the range must lie inside DRAM.
  uint64_t readBits(uint64_t bit, unsigned width) const;
  void writeBits(uint64_t bit, unsigned width, uint64_t value);
  uint32_t read32(uint64_t byte) const;
  void write32(uint64_t byte, uint32_t value);
  uint64_t read64(uint64_t byte) const;
  void write64(uint64_t byte, uint64_t value);

private:
  struct Free {
    void operator()(uint8_t *p) const;
  };
  uint64_t bytes = 0;
  std::unique_ptr<uint8_t, Free> memory;
};

//===----------------------------------------------------------------------===//
// Scratchpads
//===----------------------------------------------------------------------===//

/// A slot's state, kept by the model and charged nothing.
enum class SlotState : uint8_t { Invalid, Data, Pad };

/// SP_IN or SP_WGT: `rows` rows of `rowBytes` code bytes and a 16-byte
/// sidecar each. Slot states are kept per 4-bit unit of a row (the narrowest
/// lane), so rows written with different lane widths stay well defined: a
/// lane whose units differ in state reads as Invalid.
class Scratchpad {
public:
  static constexpr unsigned kSidecarBytes = 16;
  static constexpr unsigned kUnitBits = 4;

  Scratchpad(uint64_t rows, uint64_t rowBytes);

  uint64_t getRows() const { return rows; }
  uint64_t getRowBytes() const { return rowBytes; }

  /// The bits of lane `lane` of width `width` (4, 8, 16, 32 or 64) in `row`.
  uint64_t readLane(uint64_t row, uint64_t lane, unsigned width) const;
  void writeLane(uint64_t row, uint64_t lane, unsigned width, uint64_t bits);

  SlotState laneState(uint64_t row, uint64_t lane, unsigned width) const;
  void setLaneState(uint64_t row, uint64_t lane, unsigned width, SlotState s);

  uint8_t *sidecar(uint64_t row) { return &sidecars[row * kSidecarBytes]; }
  const uint8_t *sidecar(uint64_t row) const {
    return &sidecars[row * kSidecarBytes];
  }
  /// Sidecar bytes [8, 12): the whole-tensor scale in force when the row
  /// was written.
  float tensorScale(uint64_t row) const;
  /// Sidecar bytes [12, 14): entry + 16 (version % 4096).
  uint16_t formatTag(uint64_t row) const;

  /// The row's code bytes (for tests and dumps).
  llvm::ArrayRef<uint8_t> rowCodes(uint64_t row) const {
    return llvm::ArrayRef<uint8_t>(codes).slice(row * rowBytes, rowBytes);
  }

private:
  uint64_t rows, rowBytes;
  std::vector<uint8_t> codes;
  std::vector<uint8_t> sidecars;
  std::vector<SlotState> units; ///< rows x (2 rowBytes) 4-bit units.
};

/// The format tag of entry `entry` at configuration version `version`.
inline uint16_t formatTag(unsigned entry, uint32_t version) {
  return static_cast<uint16_t>(entry + 16 * (version % 4096));
}

//===----------------------------------------------------------------------===//
// Accumulator memory
//===----------------------------------------------------------------------===//

enum class AccState : uint8_t { Empty, Value, Accumulating };

/// `entries` ACC entries: each empty, a 32-bit value, or the accumulation
/// state of one GEMM output under accumulation entry `accumEntry` at
/// configuration version `accumVersion`. Parallel arrays, so a contiguous
/// run of outputs is an ArrayRef of states (the shared E-DGA threshold
/// reads all of a GEMM's states in row-major order).
struct AccMemory {
  explicit AccMemory(uint64_t entries);

  uint64_t size() const { return state.size(); }
  void setValue(uint64_t e, uint32_t bits) {
    state[e] = AccState::Value;
    value[e] = bits;
  }
  float getFloat(uint64_t e) const;

  std::vector<AccState> state;
  std::vector<uint32_t> value;
  std::vector<numerics::AccumulatorState> accum;
  std::vector<uint8_t> accumEntry;
  std::vector<uint32_t> accumVersion;
};

//===----------------------------------------------------------------------===//
// Data registers
//===----------------------------------------------------------------------===//

struct SeedRegister {
  uint64_t value = 0;
  bool written = false;
};

/// SR[r]: all zero after a reset and initially.
struct StatsRegister {
  static constexpr size_t kExponentBins = 280;
  static constexpr size_t kMedianBins = numerics::median_histogram::kBins;

  numerics::AmaxStatistic amax;
  numerics::ZeroSettingCounts zeroSetting;
  /// floorLog2 = -149 .. 127, zeros, infinities, NaNs
  /// (qtrain.exponent_histogram's order).
  std::array<uint64_t, kExponentBins> exponentHistogram{};
  /// median_histogram::binOf's order.
  std::array<uint64_t, kMedianBins> medianHistogram{};
  /// The median selection the register's LOADs gathered (their
  /// median_pass, the same for all until a reset; MedianPass::None before
  /// the first) and its state.
  uint64_t medianPass = 0;
  numerics::RadixSelect radix;
  numerics::ApproxMedianSelect approxMedian;

  void reset() { *this = StatsRegister(); }
};

/// STH[t]: a shared E-DGA threshold and the (accumulation entry, version)
/// of the GEMM that set it; with partial GEMMs (a contraction whose outputs
/// are spread over several GEMMs), the k step's sum of |P_O| so far.
struct ThresholdRegister {
  double value = 0;
  bool tagged = false;
  unsigned accumEntry = 0;
  uint32_t accumVersion = 0;
  double pendingSum = 0;      ///< f64 sum of |P_O|, GEMM after GEMM.
  uint64_t pendingCount = 0;  ///< Outputs added to pendingSum.
  bool pendingClosed = false; ///< Whether a group closed in the k step.
};

//===----------------------------------------------------------------------===//
// Everything
//===----------------------------------------------------------------------===//

struct ArchState {
  static llvm::Expected<std::unique_ptr<ArchState>>
  create(const MachineDescription &machine);

  Dram dram;
  Scratchpad inputSp, weightSp;
  AccMemory acc;
  std::array<SeedRegister, kSeedRegisters> seeds;
  std::array<StatsRegister, kStatsRegisters> stats;
  std::array<ThresholdRegister, kThresholdRegisters> thresholds;

private:
  ArchState(Dram dram, const MachineDescription &machine);
};

} // namespace qtrain::accel::sim

#endif // QTRAIN_ACCEL_SIM_STATE_H
