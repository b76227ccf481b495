//===- CompiledStep.h - A training step compiled for a run ------*- C++ -*-===//
//
// Builds (or reads) a training-step module, applies a recipe's passes
// (qtrain-quantize), JIT-compiles @train_step and @predict once, and binds
// their arguments: which one takes the examples, the labels, the learning
// rate and the stochastic-rounding seed, which are state threaded from step
// to step (the results' `qtrain.updates`), and which train_step argument
// each of predict's state arguments reads. docs/Runner.md describes the
// conventions.
//
//===----------------------------------------------------------------------===//

#ifndef QTRAIN_TRAIN_COMPILEDSTEP_H
#define QTRAIN_TRAIN_COMPILEDSTEP_H

#include "qtrain/ExecutionEngine/Jit.h"
#include "qtrain/Models/Models.h"
#include "qtrain/Train/AccelStep.h"
#include "qtrain/Train/StepCall.h"

#include "llvm/Support/Error.h"

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace qtrain::train {

/// Where the step comes from: a model name that qtrain-model knows (built
/// with `step`, `hidden` and the data's image shape) or a `.mlir` file
/// (which fixes its own batch, optimizer and shapes). A model name always
/// means the model, even when a file or folder of that name exists (write
/// `./mlp` for such a file); anything else is a file.
struct StepSource {
  std::string modelOrFile;
  models::StepOptions step;
  std::vector<int64_t> hidden; // mlp only; empty: the model's default
  int64_t channels = 1, height = 28, width = 28;

  bool isFile() const;
  /// An error when the source is neither a model name nor a regular file.
  llvm::Error verify() const;
};

/// One argument of @train_step as the runner sees it.
struct StepArgument {
  std::string role, tensorRole, layer, init;
  int64_t fanIn = 0;
  mlir::Type type;
  /// The result that carries this argument's next value, if any.
  std::optional<unsigned> updatedBy;
};

/// Where @train_step runs: the CPU (JIT), or the accelerator's functional
/// model (@predict stays on the CPU, bit for bit the same function).
struct StepTarget {
  bool accel = false;
  /// The accelerator's machine description (empty: the bundled default).
  std::string machine;
};

class CompiledStep {
public:
  /// Builds or parses the step, applies `recipe` (a bundled name or a file)
  /// and compiles. Diagnostics (with locations) go to stderr; the error
  /// says what failed.
  static llvm::Expected<std::unique_ptr<CompiledStep>>
  create(const StepSource &source, llvm::StringRef recipe,
         const JitOptions &jit, const StepTarget &target = {});

  /// The accelerator's step when the target is the accelerator.
  const AccelStep *accelStep() const { return accel_.get(); }

  int64_t batch() const { return batch_; }
  int64_t features() const { return features_; }
  int64_t classes() const { return classes_; }
  const std::vector<StepArgument> &arguments() const { return args_; }
  /// Seconds spent in the passes and the JIT.
  double compileSeconds() const { return compileSeconds_; }
  /// The quantized module as text (before lowering), for --dump.
  const std::string &quantizedModule() const { return quantizedText_; }

  /// The initial arguments: parameters by their `qtrain.init` from the
  /// run's seed, every other state at zero.
  std::vector<HostTensor> initialArguments(uint64_t runSeed) const;

  /// One step on `args` (examples, labels, lr and seed already set):
  /// threads every updated argument in place; returns the loss.
  llvm::Expected<float> step(std::vector<HostTensor> &args);

  /// The logits of `examples` ([batch, features]) with the parameters and
  /// state of `trainArgs`.
  llvm::Expected<std::vector<float>>
  predict(const std::vector<HostTensor> &trainArgs,
          const std::vector<float> &examples);

  unsigned inputArgument() const { return input_; }
  unsigned labelArgument() const { return label_; }
  unsigned learningRateArgument() const { return lr_; }
  std::optional<unsigned> seedArgument() const { return seed_; }
  /// The arguments a checkpoint holds: every one a result updates.
  std::vector<unsigned> stateArguments() const;
  /// The precision modes (qtrain-dynamic-precision), as arguments.
  std::vector<unsigned> modeArguments() const;

private:
  CompiledStep() = default;
  llvm::Error bind(mlir::ModuleOp module);

  std::unique_ptr<mlir::MLIRContext> context_;
  std::unique_ptr<mlir::ExecutionEngine> engine_;
  std::unique_ptr<AccelStep> accel_;
  mlir::FunctionType trainType_, predictType_;
  std::vector<StepArgument> args_;
  std::vector<std::optional<unsigned>> resultUpdates_;
  unsigned lossResult_ = 0;
  unsigned input_ = 0, label_ = 1, lr_ = 2;
  std::optional<unsigned> seed_;
  /// For each predict argument: the train_step argument it reads (the
  /// examples for the input).
  std::vector<unsigned> predictSources_;
  int64_t batch_ = 0, features_ = 0, classes_ = 0;
  double compileSeconds_ = 0;
  std::string quantizedText_;
};

} // namespace qtrain::train

#endif // QTRAIN_TRAIN_COMPILEDSTEP_H
