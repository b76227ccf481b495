//===- Trainer.h - The training loop of qtrain-train ------------*- C++ -*-===//
//
// Trains a compiled step on a data set: seeded shuffling, mini-batches (the
// last partial batch of an epoch is dropped), a learning-rate schedule, test
// loss and accuracy after every epoch, progress, a per-epoch CSV and
// checkpoints that a resumed run continues from bit for bit.
//
//===----------------------------------------------------------------------===//

#ifndef QTRAIN_TRAIN_TRAINER_H
#define QTRAIN_TRAIN_TRAINER_H

#include "qtrain/Train/Checkpoint.h"
#include "qtrain/Train/CompiledStep.h"
#include "qtrain/Train/Dataset.h"

#include "llvm/Support/JSON.h"

#include <string>
#include <vector>

namespace qtrain::train {

enum class LrSchedule {
  Constant, // lr
  Step,     // lr * gamma^floor(epoch / stepEpochs)
  Cosine    // lr * (1 + cos(pi * step / steps)) / 2 over the whole run
};

enum class ProgressStyle {
  Auto,  // a bar on a terminal, else lines
  Bar,   // a bar redrawn in place
  Lines, // one line per epoch (and every `logEvery` steps)
  Quiet  // nothing but errors
};

struct TrainOptions {
  int64_t epochs = 1;
  double learningRate = 0.05;
  LrSchedule schedule = LrSchedule::Constant;
  int64_t lrStepEpochs = 1;
  double lrGamma = 0.1;
  uint64_t seed = 1;
  /// Where to keep the checkpoint (empty: none); written at every epoch's
  /// end, every `checkpointEvery` steps (0: only then) and when stopping.
  std::string checkpointPath;
  int64_t checkpointEvery = 0;
  /// Stop after this many steps of the whole run (0: run every epoch).
  int64_t stopAfter = 0;
  ProgressStyle progress = ProgressStyle::Auto;
  int64_t logEvery = 0;
  /// The per-epoch CSV (empty: none) and the precision-mode trace.
  std::string csvPath, modesCsvPath;
  /// A short name of the run for the progress output.
  std::string label;
  /// After every epoch, the angle between the weight gradients of the step
  /// and of `angleReference` (another recipe's compilation of the same
  /// step) on the training set's first batch (GradientAngle.h), into the
  /// history and `anglesCsvPath`.
  CompiledStep *angleReference = nullptr;
  std::string anglesCsvPath;
};

struct RunResult {
  std::vector<EpochRecord> history;
  /// Training steps per second over the epochs run in this process.
  double stepsPerSecond = 0;
  /// True when --stop-after ended the run early.
  bool stopped = false;
};

/// The learning rate of `globalStep` (in `epoch`) of a run of
/// `stepsPerEpoch * options.epochs` steps.
double learningRateAt(const TrainOptions &options, int64_t epoch,
                      int64_t globalStep, int64_t stepsPerEpoch);

/// Trains from the start, or from `resume`, whose configuration must equal
/// `config` (the keys that a resumed run may change are listed in
/// docs/Runner.md).
llvm::Expected<RunResult> train(CompiledStep &step, const Dataset &trainSet,
                                const Dataset &testSet,
                                const TrainOptions &options,
                                const llvm::json::Object &config,
                                const Checkpoint *resume = nullptr);

/// The mean softmax cross-entropy and the accuracy (percent) of the logits
/// of @predict over `data` (the last batch padded).
struct Evaluation {
  double loss = 0, accuracy = 0;
};
llvm::Expected<Evaluation> evaluate(CompiledStep &step,
                                    const std::vector<HostTensor> &args,
                                    const Dataset &data);

} // namespace qtrain::train

#endif // QTRAIN_TRAIN_TRAINER_H
