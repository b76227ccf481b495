//===- Executor.h - The functional model's machinery ------------*- C++ -*-===//
//
// Private to lib/Accel/Sim. One Executor runs one program: Dispatch.cpp is
// the loop (configuration, queues, tokens, the cycle model, FINISH), and
// each instruction lives in its own file (Transfer.cpp: LOAD and STORE,
// Gemm.cpp, Registers.cpp: REG_LOAD and REG_STORE; VECTOR goes in
// Vector.cpp). An instruction's execute function first does every check
// that configuration and addresses allow (the "known at dispatch" checks),
// then calls start() (which pops its tokens), then executes with
// race-checked accesses and sets cur.latency; Dispatch.cpp pushes its tokens.
//
//===----------------------------------------------------------------------===//

#ifndef QTRAIN_LIB_ACCEL_SIM_EXECUTOR_H
#define QTRAIN_LIB_ACCEL_SIM_EXECUTOR_H

#include "qtrain/Accel/Sim/Config.h"
#include "qtrain/Accel/Sim/CostModel.h"
#include "qtrain/Accel/Sim/Counters.h"
#include "qtrain/Accel/Sim/State.h"
#include "qtrain/Accel/Sim/Tokens.h"

#include "llvm/ADT/Twine.h"

namespace qtrain::accel::sim {

/// The model refuses instructions of more positions than this (a LOAD of
/// 255 x 65535 x 65535 positions is legal in the encoding but not
/// simulable; a transfer keeps some 60 bytes per position, 240 MB at the
/// limit); docs/Accelerator.md, Errors.
inline constexpr uint64_t kMaxPositions = kMaxInstructionPositions;

class Executor {
public:
  Executor(const MachineDescription &machine, std::unique_ptr<ArchState> state);

  llvm::Error run(llvm::ArrayRef<Instruction> program);

  const MachineDescription machine;
  std::unique_ptr<ArchState> state;
  ConfigRegisters config;
  Counters counters;
  EnergyModel energy;
  bool ran = false;

  //===--------------------------------------------------------------------===//
  // For the instructions
  //===--------------------------------------------------------------------===//

  /// The instruction being executed.
  struct Current {
    size_t index = 0;
    const Instruction *inst = nullptr;
    Queue queue = Queue::Dispatch;
    uint64_t dispatch = 0, start = 0;
    uint64_t latency = 0; ///< Set by the instruction.
    bool started = false;
  } cur;

  /// `instruction N (mnemonic): message`.
  llvm::Error fail(const llvm::Twine &message) const;
  /// A configuration error (resolve*) with the instruction prefix.
  llvm::Error prefixed(llvm::Error error) const;

  /// Starts the current instruction: pops the tokens its flags ask for (the
  /// program-order deadlock check), advances its queue's clock and computes
  /// its start cycle. Every queued instruction calls it once, after its
  /// static checks and before touching any state.
  llvm::Error start();

  /// A race-checked access of the current instruction.
  llvm::Error access(LocationKind kind, uint64_t index, bool write);
  /// The DRAM words overlapping bits [bit, bit + bits).
  llvm::Error accessDramBits(uint64_t bit, uint64_t bits, bool write);
  /// The 32 bits of ACC entry `entry`, race-checked; an error unless it
  /// holds a value (not empty, not a GEMM accumulation in progress).
  llvm::Expected<uint32_t> readAccValue(uint64_t entry);

  llvm::Error executeLoad(const Instruction &inst);
  llvm::Error executeStore(const Instruction &inst);
  llvm::Error executeGemm(const Instruction &inst);
  llvm::Error executeVector(const Instruction &inst);
  /// VECTOR select_scale and stats_value (Vector.cpp).
  llvm::Error executeScalar(const Instruction &inst);
  /// VECTOR quantize and stats (Vector.cpp).
  llvm::Error executeConversion(const Instruction &inst);
  llvm::Error executeRegLoad(const Instruction &inst);
  llvm::Error executeRegStore(const Instruction &inst);

  /// Adds statistics of `x` (and, for zero setting, the converted `values`)
  /// to SR[reg] as a non-zero `mask` says, and a pass of the median
  /// selection `medianPass` (MedianPass), after a reset when `reset`;
  /// charges their energy. The caller has checked the mask's requirements.
  llvm::Expected<float> medianSelectStep(StatsRegister &sr, unsigned reg,
                                         bool excludeZeros, uint32_t imm);
  llvm::Error gatherStatistics(unsigned reg, uint64_t mask, bool reset,
                               llvm::ArrayRef<float> x,
                               llvm::ArrayRef<float> values,
                               uint64_t medianPass = 0);

private:
  llvm::Error dispatchQueued(const Instruction &inst);
  llvm::Error finishProgram();
  llvm::Error pushTokens(uint64_t end);

  llvm::ArrayRef<Instruction> program;
  TokenFifos fifos;
  RaceTracker races;
  Timeline timeline;
  std::array<VectorClock, kNumQueues> clocks{};
};

} // namespace qtrain::accel::sim

#endif // QTRAIN_LIB_ACCEL_SIM_EXECUTOR_H
