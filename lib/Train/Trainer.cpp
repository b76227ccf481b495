//===- Trainer.cpp - The training loop of qtrain-train --------------------===//

#include "qtrain/Train/Trainer.h"

#include "qtrain/Train/GradientAngle.h"
#include "qtrain/Train/RunRandom.h"

#include "llvm/ADT/Twine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/raw_ostream.h"

#include <chrono>
#include <cmath>
#include <cstring>
#include <limits>

using llvm::Twine;
namespace json = llvm::json;

namespace qtrain::train {
namespace {

using Clock = std::chrono::steady_clock;

/// Keys of the configuration that a resumed run may change.
bool mayChangeOnResume(llvm::StringRef key, const json::Object &config) {
  if (key == "epochs")
    return config.getString("lr_schedule") != "cosine";
  return false;
}

llvm::Error checkSameConfig(const json::Object &saved,
                            const json::Object &now) {
  std::string diff;
  auto note = [&](llvm::StringRef key, const json::Value *a,
                  const json::Value *b) {
    auto show = [](const json::Value *v) {
      if (!v)
        return std::string("(none)");
      std::string s;
      llvm::raw_string_ostream os(s);
      if (v->kind() == json::Value::Number && !v->getAsInteger())
        os << llvm::format("%g", *v->getAsNumber());
      else
        os << *v;
      return s;
    };
    diff +=
        ("\n  " + key + ": checkpoint " + show(a) + ", now " + show(b)).str();
  };
  for (const auto &kv : saved) {
    const json::Value *other = now.get(kv.first);
    if ((!other || *other != kv.second) && !mayChangeOnResume(kv.first, now))
      note(kv.first, &kv.second, other);
  }
  for (const auto &kv : now)
    if (!saved.get(kv.first))
      note(kv.first, nullptr, &kv.second);
  if (!diff.empty())
    return llvm::createStringError(
        "the checkpoint was written by a run of another "
        "configuration:" +
        diff);
  return llvm::Error::success();
}

class Progress {
public:
  Progress(const TrainOptions &options) : options_(options) {
    style_ = options.progress;
    if (style_ == ProgressStyle::Auto)
      style_ = llvm::sys::Process::StandardOutIsDisplayed()
                   ? ProgressStyle::Bar
                   : ProgressStyle::Lines;
  }

  /// `accuracy`: the last finished epoch's test accuracy (NaN before the
  /// first), shown beside the running loss.
  void step(int64_t epoch, int64_t done, int64_t total, double loss,
            double stepsPerSecond, double accuracy) {
    if (style_ == ProgressStyle::Lines && options_.logEvery > 0 &&
        done % options_.logEvery == 0) {
      llvm::outs() << prefix() << "epoch " << epoch + 1 << "/"
                   << options_.epochs << " step " << done << "/" << total
                   << llvm::format(" loss %.4f %.1f steps/s\n", loss,
                                   stepsPerSecond);
      llvm::outs().flush();
    }
    if (style_ != ProgressStyle::Bar)
      return;
    auto now = Clock::now();
    if (done != total && now - lastDraw_ < std::chrono::milliseconds(100))
      return;
    lastDraw_ = now;
    constexpr int kWidth = 30;
    int filled = total ? int(kWidth * done / total) : kWidth;
    std::string bar(filled, '#');
    bar.resize(kWidth, '.');
    llvm::outs() << "\r" << prefix() << "epoch " << epoch + 1 << "/"
                 << options_.epochs << " [" << bar << "] " << done << "/"
                 << total << llvm::format(" loss %.4f", loss);
    if (!std::isnan(accuracy))
      llvm::outs() << llvm::format(" test_accuracy %.2f%%", accuracy);
    llvm::outs() << llvm::format(" %.1f steps/s", stepsPerSecond);
    llvm::outs().flush();
    drawn_ = true;
  }

  void epoch(const EpochRecord &r) {
    if (style_ == ProgressStyle::Quiet)
      return;
    if (drawn_)
      llvm::outs() << "\r\x1b[K";
    drawn_ = false;
    llvm::outs() << prefix() << "epoch " << r.epoch << "/" << options_.epochs
                 << llvm::format(": train_loss %.4f test_loss %.4f "
                                 "test_accuracy %.2f%% %.1f steps/s "
                                 "(%.1f s)\n",
                                 r.trainLoss, r.testLoss, r.testAccuracy,
                                 r.stepsPerSecond, r.epochSeconds);
    llvm::outs().flush();
  }

private:
  std::string prefix() const {
    return options_.label.empty() ? "" : "[" + options_.label + "] ";
  }
  const TrainOptions &options_;
  ProgressStyle style_;
  Clock::time_point lastDraw_;
  bool drawn_ = false;
};

llvm::Error writeCsv(const TrainOptions &options,
                     const std::vector<EpochRecord> &history,
                     const CompiledStep &step) {
  auto open = [](const std::string &path,
                 std::unique_ptr<llvm::raw_fd_ostream> &os) -> llvm::Error {
    std::error_code ec;
    os = std::make_unique<llvm::raw_fd_ostream>(path, ec);
    if (ec)
      return llvm::createStringError(path + ": " + ec.message());
    return llvm::Error::success();
  };
  if (!options.csvPath.empty()) {
    std::unique_ptr<llvm::raw_fd_ostream> os;
    if (auto err = open(options.csvPath, os))
      return err;
    *os << "epoch,steps,learning_rate,train_loss,test_loss,test_accuracy,"
           "epoch_seconds,steps_per_second\n";
    for (const EpochRecord &r : history)
      *os << r.epoch << "," << r.steps
          << llvm::format(",%.9g,%.9g,%.9g,%.4f,%.3f,%.2f\n", r.learningRate,
                          r.trainLoss, r.testLoss, r.testAccuracy,
                          r.epochSeconds, r.stepsPerSecond);
  }
  std::vector<unsigned> modes = step.modeArguments();
  if (!options.modesCsvPath.empty() && !modes.empty()) {
    std::unique_ptr<llvm::raw_fd_ostream> os;
    if (auto err = open(options.modesCsvPath, os))
      return err;
    *os << "epoch";
    for (unsigned i : modes)
      *os << "," << step.arguments()[i].layer << "."
          << step.arguments()[i].tensorRole;
    *os << "\n";
    for (const EpochRecord &r : history) {
      *os << r.epoch;
      for (int64_t m : r.modes)
        *os << "," << m;
      *os << "\n";
    }
  }
  if (!options.anglesCsvPath.empty() && options.angleReference) {
    std::unique_ptr<llvm::raw_fd_ostream> os;
    if (auto err = open(options.anglesCsvPath, os))
      return err;
    *os << "epoch";
    for (const std::string &name : parameterNames(step))
      *os << "," << name;
    *os << "\n";
    for (const EpochRecord &r : history) {
      *os << r.epoch;
      for (double a : r.angles)
        *os << llvm::format(",%.6g", a);
      *os << "\n";
    }
  }
  return llvm::Error::success();
}

} // namespace

double learningRateAt(const TrainOptions &options, int64_t epoch,
                      int64_t globalStep, int64_t stepsPerEpoch) {
  switch (options.schedule) {
  case LrSchedule::Constant:
    return options.learningRate;
  case LrSchedule::Step:
    return options.learningRate *
           std::pow(options.lrGamma,
                    double(epoch / std::max<int64_t>(1, options.lrStepEpochs)));
  case LrSchedule::Cosine: {
    double total = double(stepsPerEpoch * options.epochs);
    return options.learningRate * 0.5 *
           (1.0 + std::cos(M_PI * double(globalStep) / total));
  }
  }
  return options.learningRate;
}

llvm::Expected<Evaluation> evaluate(CompiledStep &step,
                                    const std::vector<HostTensor> &args,
                                    const Dataset &data) {
  const int64_t batch = step.batch(), features = step.features(),
                classes = step.classes();
  Evaluation e;
  if (data.count == 0)
    return e;
  double lossSum = 0;
  int64_t correct = 0;
  std::vector<float> examples(batch * features);
  for (int64_t first = 0; first < data.count; first += batch) {
    int64_t n = std::min(batch, data.count - first);
    std::fill(examples.begin(), examples.end(), 0.0f);
    std::memcpy(examples.data(), &data.images[first * features],
                n * features * sizeof(float));
    auto logits = step.predict(args, examples);
    if (!logits)
      return logits.takeError();
    for (int64_t b = 0; b < n; ++b) {
      const float *z = &(*logits)[b * classes];
      int64_t best = 0;
      double top = z[0];
      for (int64_t c = 1; c < classes; ++c)
        if (z[c] > top) {
          top = z[c];
          best = c;
        }
      double sum = 0;
      for (int64_t c = 0; c < classes; ++c)
        sum += std::exp(double(z[c]) - top);
      int32_t label = data.labels[first + b];
      lossSum += top + std::log(sum) - double(z[label]);
      correct += best == label;
    }
  }
  e.loss = lossSum / double(data.count);
  e.accuracy = 100.0 * double(correct) / double(data.count);
  return e;
}

llvm::Expected<RunResult> train(CompiledStep &step, const Dataset &trainSet,
                                const Dataset &testSet,
                                const TrainOptions &options,
                                const json::Object &config,
                                const Checkpoint *resume) {
  const int64_t batch = step.batch(), features = step.features();
  if (trainSet.features() != features || testSet.features() != features)
    return llvm::createStringError("the step takes " + Twine(features) +
                                   " values per example, the data has " +
                                   Twine(trainSet.features()));
  const int64_t stepsPerEpoch = trainSet.count / batch;
  if (stepsPerEpoch == 0)
    return llvm::createStringError(
        "the training set (" + Twine(trainSet.count) +
        " examples) holds no full batch of " + Twine(batch));

  std::vector<HostTensor> args = step.initialArguments(options.seed);
  Checkpoint state;
  state.config = config;
  if (resume) {
    if (auto err = checkSameConfig(resume->config, config))
      return std::move(err);
    std::vector<unsigned> wanted = step.stateArguments();
    if (resume->tensors.size() != wanted.size())
      return llvm::createStringError("the checkpoint holds " +
                                     Twine(resume->tensors.size()) +
                                     " tensors, the step has " +
                                     Twine(wanted.size()) + " state arguments");
    for (size_t k = 0; k < wanted.size(); ++k) {
      const CheckpointTensor &t = resume->tensors[k];
      HostTensor &into = args[wanted[k]];
      if (t.argument != wanted[k] || t.value.shape != into.shape ||
          t.value.isInt != into.isInt || t.value.isI64 != into.isI64 ||
          t.value.isScalar != into.isScalar)
        return llvm::createStringError(
            "checkpoint tensor " + Twine(k) + " (argument " +
            Twine(t.argument) + ") does not match the step's state argument " +
            Twine(wanted[k]));
      into = t.value;
    }
    state.position = resume->position;
    state.history = resume->history;
  }

  auto saveCheckpoint = [&]() -> llvm::Error {
    if (options.checkpointPath.empty())
      return llvm::Error::success();
    state.tensors.clear();
    for (unsigned i : step.stateArguments())
      state.tensors.push_back(
          {i, step.arguments()[i].role, step.arguments()[i].layer, args[i]});
    llvm::Error err = writeCheckpoint(options.checkpointPath, state);
    state.tensors.clear();
    return err;
  };

  Progress progress(options);
  RunResult result;
  double secondsThisProcess = 0;
  int64_t stepsThisProcess = 0;
  RunPosition &pos = state.position;
  std::vector<unsigned> modes = step.modeArguments();
  while (pos.epoch < options.epochs) {
    std::vector<int64_t> order =
        shuffledOrder(options.seed, pos.epoch, trainSet.count);
    const double lrEpochStart = learningRateAt(
        options, pos.epoch, pos.epoch * stepsPerEpoch, stepsPerEpoch);
    for (; pos.stepInEpoch < stepsPerEpoch; ++pos.stepInEpoch) {
      auto start = Clock::now();
      HostTensor &x = args[step.inputArgument()];
      HostTensor &y = args[step.labelArgument()];
      for (int64_t b = 0; b < batch; ++b) {
        int64_t e = order[pos.stepInEpoch * batch + b];
        std::memcpy(&x.f32[b * features], &trainSet.images[e * features],
                    features * sizeof(float));
        y.i32[b] = trainSet.labels[e];
      }
      args[step.learningRateArgument()].f32[0] = float(
          learningRateAt(options, pos.epoch, pos.globalStep, stepsPerEpoch));
      if (auto s = step.seedArgument())
        args[*s].scalar = roundingSeed(options.seed, pos.globalStep);
      auto loss = step.step(args);
      if (!loss)
        return loss.takeError();
      if (!std::isfinite(*loss))
        return llvm::createStringError(
            "the loss is " + Twine(std::to_string(*loss)) + " at step " +
            Twine(pos.globalStep) + " (epoch " + Twine(pos.epoch + 1) +
            "): training diverged");
      double seconds =
          std::chrono::duration<double>(Clock::now() - start).count();
      pos.epochLossSum += *loss;
      pos.epochSeconds += seconds;
      ++pos.globalStep;
      secondsThisProcess += seconds;
      ++stepsThisProcess;
      progress.step(pos.epoch, pos.stepInEpoch + 1, stepsPerEpoch,
                    pos.epochLossSum / double(pos.stepInEpoch + 1),
                    (pos.stepInEpoch + 1) / pos.epochSeconds,
                    state.history.empty()
                        ? std::numeric_limits<double>::quiet_NaN()
                        : state.history.back().testAccuracy);
      bool stop = options.stopAfter > 0 && pos.globalStep >= options.stopAfter;
      bool periodic = options.checkpointEvery > 0 &&
                      pos.globalStep % options.checkpointEvery == 0;
      if (stop || periodic) {
        ++pos.stepInEpoch; // this step is done
        llvm::Error err = saveCheckpoint();
        --pos.stepInEpoch;
        if (err)
          return std::move(err);
      }
      if (stop) {
        ++pos.stepInEpoch;
        result.stopped = true;
        break;
      }
    }
    if (result.stopped && pos.stepInEpoch < stepsPerEpoch)
      break;
    auto eval = evaluate(step, args, testSet);
    if (!eval)
      return eval.takeError();
    EpochRecord r;
    r.epoch = pos.epoch + 1;
    r.steps = stepsPerEpoch;
    r.learningRate = lrEpochStart;
    r.trainLoss = pos.epochLossSum / double(stepsPerEpoch);
    r.testLoss = eval->loss;
    r.testAccuracy = eval->accuracy;
    r.epochSeconds = pos.epochSeconds;
    r.stepsPerSecond = double(stepsPerEpoch) / pos.epochSeconds;
    for (unsigned i : modes)
      r.modes.push_back(args[i].values<int64_t>()[0]);
    if (options.angleReference) {
      std::vector<HostTensor> probe = args;
      HostTensor &x = probe[step.inputArgument()];
      HostTensor &y = probe[step.labelArgument()];
      std::memcpy(x.f32.data(), trainSet.images.data(),
                  batch * features * sizeof(float));
      std::copy(trainSet.labels.begin(), trainSet.labels.begin() + batch,
                y.i32.begin());
      if (auto s = step.seedArgument())
        probe[*s].scalar = roundingSeed(options.seed, pos.globalStep);
      auto angles = gradientAngles(step, *options.angleReference, probe);
      if (!angles)
        return angles.takeError();
      r.angles = std::move(*angles);
    }
    progress.epoch(r);
    state.history.push_back(r);
    pos.epoch += 1;
    pos.stepInEpoch = 0;
    pos.epochLossSum = 0;
    pos.epochSeconds = 0;
    if (auto err = writeCsv(options, state.history, step))
      return std::move(err);
    if (auto err = saveCheckpoint())
      return std::move(err);
    if (result.stopped)
      break;
  }
  result.history = state.history;
  // A resumed run that had nothing left to do reports its history's speed.
  double historySeconds = 0;
  int64_t historySteps = 0;
  for (const EpochRecord &r : state.history) {
    historySeconds += r.epochSeconds;
    historySteps += r.steps;
  }
  result.stepsPerSecond = secondsThisProcess > 0
                              ? stepsThisProcess / secondsThisProcess
                          : historySeconds > 0 ? historySteps / historySeconds
                                               : 0;
  return result;
}

} // namespace qtrain::train
