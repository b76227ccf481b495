//===- AccelStep.h - A training step on the accelerator ---------*- C++ -*-===//
//
// @train_step compiled for the qtrain accelerator (qtrain-decompose and
// convert-qtrain-to-accel) and run on its functional model, one fresh
// machine per step: the step's arguments are written to DRAM where the
// program's manifest (accel.buffers) places them, the results read back.
// The results are bit for bit the CPU lowering's (the differential tests),
// so a run on either target gives the same losses; the model adds the
// cycle and energy counts of docs/Accelerator.md.
//
//===----------------------------------------------------------------------===//

#ifndef QTRAIN_TRAIN_ACCELSTEP_H
#define QTRAIN_TRAIN_ACCELSTEP_H

#include "qtrain/Accel/ISA.h"
#include "qtrain/Accel/Machine.h"
#include "qtrain/Train/StepCall.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"

#include "llvm/Support/Error.h"

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace qtrain::train {

class AccelStep {
public:
  /// Compiles `function` of a copy of `module` (a quantized training step)
  /// for the machine in `machinePath` (empty: the bundled default). A step
  /// whose control flow depends on its 0-d integer state arguments (the
  /// warm-up of adaptive-bias FP8) is compiled per outcome of those
  /// conditions when a step first meets it (qtrain-specialize-control);
  /// the others now. Diagnostics go to the context's handler; the error
  /// says what failed.
  static llvm::Expected<std::unique_ptr<AccelStep>>
  create(mlir::ModuleOp module, llvm::StringRef function,
         llvm::StringRef machinePath);

  /// Runs the program on `args`; returns the results, typed as
  /// `resultTypes` (the function's).
  llvm::Expected<std::vector<HostTensor>>
  run(llvm::ArrayRef<HostTensor> args, llvm::ArrayRef<mlir::Type> resultTypes);

  const accel::MachineDescription &machine() const { return machine_; }
  /// Of the program compiled first (0 before one is).
  size_t instructions() const;
  uint64_t dramBytes() const;
  /// Programs compiled so far (one per outcome of the state conditions).
  size_t programs() const { return programs_.size(); }
  /// Sums over the steps run.
  uint64_t steps() const { return steps_; }
  uint64_t cycles() const { return cycles_; }
  uint64_t macs() const { return macs_; }
  double energyPicojoules() const { return energyPj_; }

private:
  AccelStep() = default;

  struct Region {
    uint64_t address = 0, bytes = 0;
  };
  struct Program {
    std::vector<accel::Instruction> instructions;
    /// By argument and result index.
    std::vector<Region> inputs, outputs;
    uint64_t dramEnd = 0;
  };
  /// Compiles the step specialized for `state` (empty: as it is).
  llvm::Expected<Program> compile(const std::map<unsigned, int64_t> &state);
  /// The key of the program `args` need: the outcomes of the conditions
  /// their state arguments decide.
  std::string keyOf(llvm::ArrayRef<HostTensor> args,
                    std::map<unsigned, int64_t> &state);

  accel::MachineDescription machine_;
  std::string machinePath_, function_;
  mlir::OwningOpRef<mlir::ModuleOp> module_;
  /// The function's 0-d integer tensor arguments.
  std::vector<unsigned> stateArgs_;
  std::map<std::string, Program> programs_;
  std::string firstKey_;
  uint64_t steps_ = 0, cycles_ = 0, macs_ = 0;
  double energyPj_ = 0;
};

} // namespace qtrain::train

#endif // QTRAIN_TRAIN_ACCELSTEP_H
