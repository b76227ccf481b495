//===- qtrain-train.cpp - Train a network through the compiler ------------===//
//
//   qtrain-train mlp --recipe=fp32,fp8-hybrid --epochs=1
//   qtrain-train lenet --recipe=mxfp8 --epochs=5 --seed=2 --out=runs
//   qtrain-train step.mlir --recipe=my-recipe.json --resume
//   qtrain-train --plot-only=a.csv,b.csv --plot-labels=fp32,mxfp8 -o c.png
//
// Applies each recipe's passes (qtrain-quantize) and qtrain-to-llvm to the
// training step, JIT-compiles it once and trains it on Fashion-MNIST.
// docs/Runner.md is the user's guide.
//
//===----------------------------------------------------------------------===//

#include "qtrain/Train/Checkpoint.h"
#include "qtrain/Train/CompiledStep.h"
#include "qtrain/Train/Dataset.h"
#include "qtrain/Train/Plot.h"
#include "qtrain/Train/Trainer.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/WithColor.h"
#include "llvm/Support/xxhash.h"

#ifdef __GLIBC__
#include <malloc.h>
#endif

using namespace llvm;
using namespace qtrain::train;
namespace json = llvm::json;

namespace {
cl::OptionCategory category("qtrain-train options");

cl::opt<std::string> input(cl::Positional,
                           cl::desc("<model: mlp | lenet | "
                                    "resnet, or a .mlir "
                                    "training step>"),
                           cl::cat(category));
cl::list<std::string> recipes(
    "recipe",
    cl::desc("Recipes to train with, one run each: bundled names (fp32, "
             "mxfp8, ...) or JSON files (default fp32)"),
    cl::CommaSeparated, cl::cat(category));
cl::opt<int64_t> epochs("epochs", cl::desc("Epochs"), cl::init(1),
                        cl::cat(category));
cl::opt<int64_t> batch("batch", cl::desc("Examples per step (models only)"),
                       cl::init(64), cl::cat(category));
cl::opt<double> lr("lr", cl::desc("Learning rate"), cl::init(0.05),
                   cl::cat(category));
cl::opt<LrSchedule> schedule(
    "lr-schedule", cl::desc("Learning-rate schedule"),
    cl::values(clEnumValN(LrSchedule::Constant, "constant", "lr throughout"),
               clEnumValN(LrSchedule::Step, "step",
                          "lr * gamma every --lr-step-epochs epochs"),
               clEnumValN(LrSchedule::Cosine, "cosine",
                          "cosine decay to 0 over the run, per step")),
    cl::init(LrSchedule::Constant), cl::cat(category));
cl::opt<int64_t> lrStepEpochs("lr-step-epochs",
                              cl::desc("Epochs per step of --lr-schedule=step"),
                              cl::init(1), cl::cat(category));
cl::opt<double> lrGamma("lr-gamma",
                        cl::desc("Factor per step of --lr-schedule=step"),
                        cl::init(0.1), cl::cat(category));
cl::opt<double> momentum("momentum", cl::desc("SGD momentum (models only)"),
                         cl::init(0.9), cl::cat(category));
cl::opt<double> weightDecay("weight-decay",
                            cl::desc("SGD weight decay (models only)"),
                            cl::init(0.0), cl::cat(category));
cl::list<int64_t> hidden("hidden",
                         cl::desc("mlp: hidden layer sizes (default 256,128)"),
                         cl::CommaSeparated, cl::cat(category));
cl::opt<qtrain::models::Loss>
    loss("loss", cl::desc("Loss (models only)"),
         cl::values(clEnumValN(qtrain::models::Loss::CrossEntropy,
                               "cross-entropy", "softmax cross-entropy"),
                    clEnumValN(qtrain::models::Loss::MeanSquaredError, "mse",
                               "mean squared error, one-hot targets")),
         cl::init(qtrain::models::Loss::CrossEntropy), cl::cat(category));
cl::opt<uint64_t> seed("seed",
                       cl::desc("Seeds every random choice: initialisation, "
                                "shuffling, stochastic rounding"),
                       cl::init(1), cl::cat(category));
cl::opt<std::string> dataDir("data",
                             cl::desc("Directory of the gzip IDX files"),
                             cl::init(kDefaultDataDir.str()),
                             cl::cat(category));
cl::opt<int64_t> trainLimit("train-limit",
                            cl::desc("Train on the first N examples (0: all)"),
                            cl::init(0), cl::cat(category));
cl::opt<int64_t> testLimit("test-limit",
                           cl::desc("Test on the first N examples (0: all)"),
                           cl::init(0), cl::cat(category));
cl::opt<std::string> outDir("out",
                            cl::desc("Directory for CSVs, checkpoints and "
                                     "plots"),
                            cl::init("qtrain-runs"), cl::cat(category));
cl::opt<bool> resume("resume",
                     cl::desc("Continue each run from its checkpoint in "
                              "--out"),
                     cl::cat(category));
cl::opt<int64_t> checkpointEvery(
    "checkpoint-every",
    cl::desc("Also checkpoint every N steps (default: each epoch's end)"),
    cl::init(0), cl::cat(category));
cl::opt<int64_t> stopAfter("stop-after-steps",
                           cl::desc("Stop (and checkpoint) after N steps of "
                                    "the run"),
                           cl::init(0), cl::cat(category));
cl::opt<std::string> target("target",
                            cl::desc("Where the step runs: cpu (JIT) or "
                                     "accel (the functional model)"),
                            cl::init("cpu"), cl::cat(category));
cl::opt<std::string>
    accelMachine("accel-machine",
                 cl::desc("The accelerator's machine description (JSON, "
                          "docs/Accelerator.md) for --target=accel; default: "
                          "the bundled one"),
                 cl::cat(category));
cl::opt<std::string> targetCpu("target-cpu",
                               cl::desc("LLVM CPU for the JIT (default: "
                                        "this machine; e.g. x86-64-v3)"),
                               cl::cat(category));
cl::opt<std::string>
    targetFeatures("target-features",
                   cl::desc("Feature changes for the JIT (+avx512f)"),
                   cl::cat(category));
cl::opt<int64_t> tileElements(
    "tile-elements",
    cl::desc("Elements per parallel tile of the CPU code (0: one thread)"),
    cl::init(qtrain::QTrainToVectorOptions().tileElements), cl::cat(category));
cl::opt<ProgressStyle> progressStyle(
    "progress", cl::desc("Progress output"),
    cl::values(clEnumValN(ProgressStyle::Auto, "auto",
                          "a bar on a terminal, else lines"),
               clEnumValN(ProgressStyle::Bar, "bar", "a bar"),
               clEnumValN(ProgressStyle::Lines, "lines", "plain lines"),
               clEnumValN(ProgressStyle::Quiet, "quiet", "the summary only")),
    cl::init(ProgressStyle::Auto), cl::cat(category));
cl::opt<int64_t> logEvery("log-every",
                          cl::desc("With plain lines: a line every N steps"),
                          cl::init(0), cl::cat(category));
cl::opt<bool> plot("plot", cl::desc("Draw the curves with gnuplot"),
                   cl::init(true), cl::cat(category));
cl::list<std::string> plotOnly("plot-only",
                               cl::desc("Only draw these CSVs (with -o)"),
                               cl::CommaSeparated, cl::cat(category));
cl::list<std::string> plotLabels("plot-labels",
                                 cl::desc("Labels of --plot-only's CSVs"),
                                 cl::CommaSeparated, cl::cat(category));
cl::opt<std::string> plotOutput("o", cl::desc("--plot-only's PNG"),
                                cl::cat(category));
cl::opt<std::string>
    describe("describe-checkpoint",
             cl::desc("Print a checkpoint's position, history and a hash "
                      "of each tensor, then exit"),
             cl::cat(category));
cl::opt<std::string> angleReference(
    "gradient-angle-vs",
    cl::desc("After every epoch, the angle between each parameter's "
             "gradient and the one this recipe computes from the same "
             "state and batch (e.g. the same formats with f32 "
             "accumulation); written to <run>-angles.csv"),
    cl::cat(category));
cl::opt<bool> dumpQuantized("dump-quantized",
                            cl::desc("Write each run's quantized step to "
                                     "--out"),
                            cl::cat(category));

int fail(const Twine &msg) {
  WithColor::error(errs(), "qtrain-train") << msg << "\n";
  return 1;
}

std::string stem(StringRef path) { return sys::path::stem(path).str(); }

int describeCheckpoint(StringRef path) {
  auto c = readCheckpoint(path);
  if (!c)
    return fail(toString(c.takeError()));
  const RunPosition &p = c->position;
  outs() << "position: epoch " << p.epoch << " step " << p.stepInEpoch
         << " global_step " << p.globalStep
         << format(" epoch_loss_sum %.17g\n", p.epochLossSum);
  for (const EpochRecord &r : c->history) {
    outs() << "epoch " << r.epoch
           << format(": lr %.9g train_loss %.9g test_loss %.9g "
                     "test_accuracy %.4f modes",
                     r.learningRate, r.trainLoss, r.testLoss, r.testAccuracy);
    for (int64_t m : r.modes)
      outs() << " " << m;
    outs() << "\n";
  }
  for (const CheckpointTensor &t : c->tensors) {
    const HostTensor &h = t.value;
    ArrayRef<uint8_t> bytes(static_cast<const uint8_t *>(h.data()), h.bytes());
    outs() << "argument " << t.argument << " " << t.role
           << (t.layer.empty() ? "" : " " + t.layer) << " ["
           << join(map_range(h.shape, [](int64_t d) { return itostr(d); }), "x")
           << "] " << format_hex(xxh3_64bits(bytes), 18) << "\n";
  }
  return 0;
}

} // namespace

int main(int argc, char **argv) {
  InitLLVM init(argc, argv);
#ifdef __GLIBC__
  // The compiled step allocates and frees the same large buffers every
  // step. glibc serves blocks above its mmap threshold with fresh mappings
  // (a page fault and a zeroed page per 4 KiB, every step) and trims freed
  // heap back to the system; keeping them in the heap recycles them.
  mallopt(M_MMAP_THRESHOLD, 1 << 30);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
#endif
  cl::HideUnrelatedOptions(category);
  cl::ParseCommandLineOptions(argc, argv,
                              "qtrain-train: train a network on "
                              "Fashion-MNIST through the qtrain compiler\n");
  if (!describe.empty())
    return describeCheckpoint(describe);
  if (!plotOnly.empty()) {
    if (plotOutput.empty())
      return fail("--plot-only needs -o <png>");
    if (!plotLabels.empty() && plotLabels.size() != plotOnly.size())
      return fail("--plot-labels needs one label per CSV");
    std::vector<PlotRun> runs;
    for (size_t i = 0; i < plotOnly.size(); ++i) {
      if (!sys::fs::exists(plotOnly[i]))
        return fail(plotOnly[i] + ": no such file");
      runs.push_back({plotLabels.empty() ? stem(plotOnly[i]) : plotLabels[i],
                      plotOnly[i]});
    }
    if (auto err = plotCurves(runs, plotOutput, stem(plotOutput)))
      return fail(toString(std::move(err)));
    return 0;
  }
  if (input.empty())
    return fail("no model or training step given (mlp, lenet, resnet or a "
                ".mlir file)");
  if (target != "cpu" && target != "accel")
    return fail("unknown --target '" + target + "' (cpu or accel)");
  if (epochs < 1 || batch < 1 || trainLimit < 0 || testLimit < 0 ||
      checkpointEvery < 0 || stopAfter < 0 || lrStepEpochs < 1)
    return fail("--epochs, --batch and --lr-step-epochs must be positive, "
                "--train-limit, --test-limit, --checkpoint-every and "
                "--stop-after not negative");
  if (!(lr > 0) || !std::isfinite(lr))
    return fail("--lr must be a positive number");
  if (recipes.empty())
    recipes.push_back("fp32");

  StepSource source;
  source.modelOrFile = input;
  source.step.batch = batch;
  source.step.momentum = momentum;
  source.step.weightDecay = weightDecay;
  source.step.loss = loss;
  source.hidden.assign(hidden.begin(), hidden.end());
  std::string sourceHash;
  if (Error e = source.verify())
    return fail(toString(std::move(e)));
  if (source.isFile()) {
    std::pair<StringRef, unsigned> modelOptions[] = {
        {"batch", batch.getNumOccurrences()},
        {"momentum", momentum.getNumOccurrences()},
        {"weight-decay", weightDecay.getNumOccurrences()},
        {"hidden", hidden.getNumOccurrences()},
        {"loss", loss.getNumOccurrences()}};
    for (auto [name, occurrences] : modelOptions)
      if (occurrences)
        return fail("--" + name + " is for models; the training step file " +
                    input + " fixes its own");
    auto buffer = MemoryBuffer::getFile(input);
    if (!buffer)
      return fail(input + ": " + buffer.getError().message());
    sourceHash = utohexstr(xxh3_64bits((*buffer)->getBuffer()));
  }

  auto trainSet = readIdxSplit(dataDir, "train", trainLimit);
  if (!trainSet)
    return fail(toString(trainSet.takeError()));
  auto testSet = readIdxSplit(dataDir, "t10k", testLimit);
  if (!testSet)
    return fail(toString(testSet.takeError()));
  source.height = trainSet->rows;
  source.width = trainSet->cols;

  if (std::error_code ec = sys::fs::create_directories(outDir))
    return fail(outDir + ": " + ec.message());

  qtrain::JitOptions jit;
  jit.lowering.targetCpu = targetCpu;
  jit.lowering.targetFeatures = targetFeatures;
  jit.lowering.tileElements = tileElements;

  struct Finished {
    std::string recipe;
    RunResult result;
  };
  std::vector<Finished> finished;
  std::vector<PlotRun> plotRuns;
  std::string modelStem = source.isFile() ? stem(input) : input.getValue();
  for (const std::string &recipe : recipes) {
    std::string recipeStem = stem(recipe);
    std::string tag = modelStem + "-" + recipeStem + "-s" + utostr(seed);
    auto path = [&](StringRef suffix) {
      SmallString<256> p(outDir);
      sys::path::append(p, tag + suffix);
      return p.str().str();
    };
    StepTarget stepTarget;
    stepTarget.accel = target == "accel";
    stepTarget.machine = accelMachine;
    auto step = CompiledStep::create(source, recipe, jit, stepTarget);
    if (!step)
      return fail(toString(step.takeError()));
    if (const AccelStep *accel = (*step)->accelStep();
        accel && progressStyle != ProgressStyle::Quiet) {
      outs() << "[" << recipeStem << "] train_step on the accelerator ("
             << accel->machine().name << "): ";
      if (accel->programs())
        outs() << accel->instructions() << " instructions, "
               << accel->dramBytes() << " bytes of DRAM\n";
      else
        outs() << "one program per outcome of the conditions its state "
                  "decides, compiled when a step first needs it\n";
    }
    if (progressStyle != ProgressStyle::Quiet)
      outs() << "[" << recipeStem << "] compiled " << modelStem << " in "
             << format("%.1f s", (*step)->compileSeconds()) << " (batch "
             << (*step)->batch() << ", " << (*step)->stateArguments().size()
             << " state tensors)\n";
    if (dumpQuantized) {
      std::error_code ec;
      raw_fd_ostream os(path("-quantized.mlir"), ec);
      if (ec)
        return fail(path("-quantized.mlir") + ": " + ec.message());
      os << (*step)->quantizedModule() << "\n";
    }

    json::Object config{
        {"source", input.getValue()},
        {"source_hash", sourceHash},
        {"recipe", recipe},
        {"batch", (*step)->batch()},
        {"momentum", momentum.getValue()},
        {"weight_decay", weightDecay.getValue()},
        {"hidden",
         json::Array(std::vector<int64_t>(hidden.begin(), hidden.end()))},
        {"loss", int64_t(loss.getValue())},
        {"seed", int64_t(seed.getValue())},
        {"lr", lr.getValue()},
        {"lr_schedule", schedule == LrSchedule::Constant ? "constant"
                        : schedule == LrSchedule::Step   ? "step"
                                                         : "cosine"},
        {"lr_step_epochs", lrStepEpochs.getValue()},
        {"lr_gamma", lrGamma.getValue()},
        {"epochs", epochs.getValue()},
        {"train_limit", trainLimit.getValue()},
        {"test_limit", testLimit.getValue()},
        {"gradient_angle_vs", angleReference.getValue()}};

    TrainOptions options;
    options.epochs = epochs;
    options.learningRate = lr;
    options.schedule = schedule;
    options.lrStepEpochs = lrStepEpochs;
    options.lrGamma = lrGamma;
    options.seed = seed;
    options.checkpointPath = path(".ckpt");
    options.checkpointEvery = checkpointEvery;
    options.stopAfter = stopAfter;
    options.progress = progressStyle;
    options.logEvery = logEvery;
    options.csvPath = path(".csv");
    options.modesCsvPath = path("-modes.csv");
    options.label = recipeStem;

    std::unique_ptr<CompiledStep> reference;
    if (!angleReference.empty()) {
      auto r = CompiledStep::create(source, angleReference, jit);
      if (!r)
        return fail("--gradient-angle-vs: " + toString(r.takeError()));
      reference = std::move(*r);
      options.angleReference = reference.get();
      options.anglesCsvPath = path("-angles.csv");
    }

    std::optional<Checkpoint> checkpoint;
    if (resume) {
      auto c = readCheckpoint(options.checkpointPath);
      if (!c)
        return fail(toString(c.takeError()) + " (--resume reads the "
                                              "checkpoint of the same run "
                                              "in --out)");
      checkpoint = std::move(*c);
    }
    auto result = train(**step, *trainSet, *testSet, options, config,
                        checkpoint ? &*checkpoint : nullptr);
    if (!result)
      return fail("[" + recipeStem + "] " + toString(result.takeError()));
    if (result->stopped) {
      outs() << "[" << recipeStem << "] stopped after step " << stopAfter
             << "; checkpoint " << options.checkpointPath << "\n";
      continue;
    }
    if (const AccelStep *accel = (*step)->accelStep();
        accel && accel->steps()) {
      double perStep = double(accel->cycles()) / accel->steps();
      outs() << "[" << recipeStem << "] accelerator model: "
             << format("%.0f cycles per step (%.3f ms at %.2f GHz), ", perStep,
                       perStep / (accel->machine().clockGhz * 1e6),
                       accel->machine().clockGhz)
             << format("%.1f MACs per cycle, %.3f uJ per step, ",
                       double(accel->macs()) / accel->cycles(),
                       accel->energyPicojoules() / accel->steps() / 1e6)
             // One per outcome of the decisions the state made (abfp8's
             // phases, flexblock-dynamic's mode combinations).
             << accel->programs()
             << (accel->programs() == 1 ? " program\n" : " programs\n");
    }
    plotRuns.push_back({recipeStem, options.csvPath});
    finished.push_back({recipeStem, std::move(*result)});
  }

  if (plot && !plotRuns.empty()) {
    std::string png = outDir + "/" + modelStem + "-s" + utostr(seed) + ".png";
    if (auto err =
            plotCurves(plotRuns, png, modelStem + ", seed " + utostr(seed)))
      WithColor::warning(errs(), "qtrain-train")
          << toString(std::move(err)) << "\n";
    else if (progressStyle != ProgressStyle::Quiet)
      outs() << "curves: " << png << "\n";
  }
  if (finished.size() > 1) {
    outs() << "comparison (step time relative to " << finished[0].recipe
           << "):\n";
    for (const Finished &f : finished) {
      const EpochRecord &last = f.result.history.back();
      outs() << format("  %-16s test_accuracy %6.2f%%  test_loss %.4f  "
                       "%8.1f steps/s  %5.2fx\n",
                       f.recipe.c_str(), last.testAccuracy, last.testLoss,
                       f.result.stepsPerSecond,
                       finished[0].result.stepsPerSecond /
                           f.result.stepsPerSecond);
    }
  }
  for (const Finished &f : finished) {
    const EpochRecord &last = f.result.history.back();
    int64_t steps = 0;
    for (const EpochRecord &r : f.result.history)
      steps += r.steps;
    outs() << "summary: runner=qtrain model=" << modelStem
           << " recipe=" << f.recipe << " seed=" << seed
           << " epochs=" << f.result.history.size() << " steps=" << steps
           << format(" test_accuracy=%.2f test_loss=%.4f "
                     "steps_per_second=%.1f\n",
                     last.testAccuracy, last.testLoss, f.result.stepsPerSecond);
  }
  return 0;
}
