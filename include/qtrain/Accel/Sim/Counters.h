//===- Counters.h - What the functional model counts ------------*- C++ -*-===//
//
// The counters `qtrain-sim` prints (docs/Accelerator.md, "Energy model",
// last paragraph): instructions by mnemonic, MACs by mode, GEMM products by
// grouping and group closes, bytes by memory level, token waits and busy
// cycles per queue, total cycles and time, energy by event class, average
// power.
//
//===----------------------------------------------------------------------===//

#ifndef QTRAIN_ACCEL_SIM_COUNTERS_H
#define QTRAIN_ACCEL_SIM_COUNTERS_H

#include "qtrain/Accel/ISA.h"
#include "qtrain/Accel/Machine.h"

#include "llvm/Support/JSON.h"
#include "llvm/Support/raw_ostream.h"

#include <array>
#include <cstdint>

namespace qtrain::accel::sim {

inline constexpr unsigned kNumInstructionKinds = 0
#define QTRAIN_ACCEL_INSTRUCTION(NAME, OPCODE, FORM, MNEMONIC, SUMMARY) +1
#include "qtrain/Accel/Instructions.def"
    ;

/// The event classes of the energy model's table.
enum class EnergyClass : uint8_t {
  Dram,
  ScratchpadWrite,
  ScratchpadRead,
  Acc,
  Multiply,
  Accumulate,
  Conversion,
  Statistics,
  Vector,
};
inline constexpr unsigned kNumEnergyClasses = 9;
llvm::StringRef energyClassName(EnergyClass c);

struct QueueCounters {
  uint64_t instructions = 0;
  uint64_t busyCycles = 0;      ///< Sum of the latencies.
  uint64_t tokenWaits = 0;      ///< Instructions that waited for a token.
  uint64_t tokenWaitCycles = 0; ///< Cycles they waited.
};

struct Counters {
  std::array<uint64_t, kNumInstructionKinds> instructions{};
  std::array<uint64_t, 4> macs{};     ///< By GemmMode.
  std::array<uint64_t, 4> products{}; ///< By Grouping.
  /// Groups closed: adds that closed a group (static groups, DGA) plus the
  /// final close of every grouped output at `finish`.
  uint64_t groupCloses = 0;

  /// Traffic in bits (lanes of 4-bit codes make half bytes).
  uint64_t dramReadBits = 0, dramWriteBits = 0;
  std::array<uint64_t, 2> spReadBits{}, spWriteBits{}; ///< SP_IN, SP_WGT.
  uint64_t accReadBits = 0, accWriteBits = 0;

  std::array<QueueCounters, 3> queues; ///< load, compute, store
  uint64_t cycles = 0;

  std::array<double, kNumEnergyClasses> energyPj{};
  void addEnergy(EnergyClass c, double pj) {
    energyPj[static_cast<unsigned>(c)] += pj;
  }
  double totalEnergyPj() const;
};

/// The counters as text, one `name: value` line each.
void printCounters(llvm::raw_ostream &os, const Counters &c,
                   const MachineDescription &machine);
/// The same as a JSON object.
llvm::json::Value countersToJSON(const Counters &c,
                                 const MachineDescription &machine);

} // namespace qtrain::accel::sim

#endif // QTRAIN_ACCEL_SIM_COUNTERS_H
