//===- Checkpoint.h - A run's whole state on disk ---------------*- C++ -*-===//
//
// A checkpoint holds every argument of the training step that a result
// updates (parameters, optimizer state and all recipe state: amax
// histories, adaptive-bias statistics and frozen scales, precision modes,
// step counters), the run's position (epoch, step; the random streams are
// counter-based, so the position is their position too), the metrics of
// the finished epochs and the configuration the run started with. Format
// (docs/Runner.md): gzip of "QTRAINCK", a little-endian u64 length, that
// many bytes of JSON, then each tensor's raw little-endian bytes in the
// order the JSON lists them.
//
//===----------------------------------------------------------------------===//

#ifndef QTRAIN_TRAIN_CHECKPOINT_H
#define QTRAIN_TRAIN_CHECKPOINT_H

#include "qtrain/Train/StepCall.h"

#include "llvm/Support/Error.h"
#include "llvm/Support/JSON.h"

#include <string>
#include <vector>

namespace qtrain::train {

/// The metrics of one finished epoch (one CSV row).
struct EpochRecord {
  int64_t epoch = 0, steps = 0;
  double learningRate = 0, trainLoss = 0, testLoss = 0, testAccuracy = 0;
  double epochSeconds = 0, stepsPerSecond = 0;
  /// The precision modes at the epoch's end (dynamic precision), in the
  /// order of CompiledStep::modeArguments.
  std::vector<int64_t> modes;
  /// With a gradient-angle reference: the angle (degrees) per parameter.
  std::vector<double> angles;
};

/// Where a run is: `epoch` (0-based) is in progress and its first
/// `stepInEpoch` steps are done.
struct RunPosition {
  int64_t epoch = 0, stepInEpoch = 0, globalStep = 0;
  double epochLossSum = 0, epochSeconds = 0;
};

struct CheckpointTensor {
  unsigned argument = 0;
  std::string role, layer;
  HostTensor value;
};

struct Checkpoint {
  /// The run's configuration (CLI options, the recipe, the step's source):
  /// a resumed run must be started with the same.
  llvm::json::Object config;
  RunPosition position;
  std::vector<EpochRecord> history;
  std::vector<CheckpointTensor> tensors;
};

llvm::Error writeCheckpoint(llvm::StringRef path, const Checkpoint &c);

/// Reads and checks a checkpoint: a truncated or corrupt file, an unknown
/// version or sizes that disagree are errors naming the file.
llvm::Expected<Checkpoint> readCheckpoint(llvm::StringRef path);

} // namespace qtrain::train

#endif // QTRAIN_TRAIN_CHECKPOINT_H
