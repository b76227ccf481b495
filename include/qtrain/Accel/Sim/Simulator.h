//===- Simulator.h - The accelerator's functional model ---------*- C++ -*-===//
//
// The functional model of docs/Accelerator.md: executes a decoded program
// one instruction at a time in program order (configuration at dispatch,
// queued instructions with the token and race checks), calling the numerics
// library for every datapath step, and times it with the cycle and energy
// model. Any error names the instruction index and mnemonic; the model
// never crashes or asserts on a program.
//
//   auto sim = cantFail(Simulator::create(getDefaultMachine()));
//   cantFail(sim->writeDram(0x0, input));
//   if (Error e = sim->run(cantFail(decodeStream(bytes)))) ...
//   sim->readDram(0x20000, output);
//
//===----------------------------------------------------------------------===//

#ifndef QTRAIN_ACCEL_SIM_SIMULATOR_H
#define QTRAIN_ACCEL_SIM_SIMULATOR_H

#include "qtrain/Accel/ISA.h"
#include "qtrain/Accel/Machine.h"
#include "qtrain/Accel/Sim/Counters.h"
#include "qtrain/Accel/Sim/State.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/Support/Error.h"

#include <memory>

namespace qtrain::accel::sim {

class Executor;

class Simulator {
public:
  /// A machine in its initial state (DRAM zero, every slot invalid, every
  /// ACC entry empty, registers zero); an error when DRAM cannot be
  /// allocated.
  static llvm::Expected<std::unique_ptr<Simulator>>
  create(const MachineDescription &machine);
  ~Simulator();

  const MachineDescription &getMachine() const;

  /// Places a memory image: `bytes` at DRAM byte `address` (an error when
  /// the range is outside DRAM).
  llvm::Error writeDram(uint64_t address, llvm::ArrayRef<uint8_t> bytes);
  /// Reads DRAM bytes [address, address + out.size()).
  llvm::Error readDram(uint64_t address,
                       llvm::MutableArrayRef<uint8_t> out) const;

  /// Executes a decoded program (decodeStream: it ends with its only
  /// `finish`). The first error stops the model: `instruction N (mnemonic):
  /// ...`. A simulator runs one program.
  llvm::Error run(llvm::ArrayRef<Instruction> program);

  const Counters &getCounters() const;
  const ArchState &getState() const;

private:
  explicit Simulator(std::unique_ptr<Executor> executor);
  std::unique_ptr<Executor> executor;
};

} // namespace qtrain::accel::sim

#endif // QTRAIN_ACCEL_SIM_SIMULATOR_H
