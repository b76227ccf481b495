//===- PassBench.cpp - Compile time of the recipe passes ------------------===//
//
// qtrain-pass-bench [--recipe=NAME] [--layers=L1,L2,...] [--repeats=N]
//
// Builds MLP training steps deep enough to hold about 100, 1,000 and 10,000
// ops (16-wide layers: the op count, not the tensor sizes, is what the
// passes scale with), runs qtrain-decompose and the qtrain-quantize
// pipeline on a fresh copy of each (best of N), and prints the time per op
// and how far the growth is from linear. Target (issue 8): 1,000 ops in
// under 1 s, linear growth.
//
//===----------------------------------------------------------------------===//

#include "qtrain/Dialect/QTrain/IR/QTrainDialect.h"
#include "qtrain/Dialect/QTrain/Transforms/Passes.h"
#include "qtrain/Models/Models.h"
#include "qtrain/Pipelines/Pipelines.h"

#include "mlir/IR/MLIRContext.h"
#include "mlir/Pass/PassManager.h"

#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <chrono>

using namespace mlir;

static llvm::cl::opt<std::string>
    recipe("recipe", llvm::cl::desc("Recipe the passes apply"),
           llvm::cl::init("fp8-hybrid"));
static llvm::cl::list<int64_t>
    depths("layers",
           llvm::cl::desc("Hidden layers of the MLPs (default 0,10,115: "
                          "about 100, 1,000 and 10,000 ops)"),
           llvm::cl::CommaSeparated);
static llvm::cl::opt<int> repeats("repeats",
                                  llvm::cl::desc("Runs per size (best kept)"),
                                  llvm::cl::init(3));

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  llvm::cl::ParseCommandLineOptions(argc, argv, "qtrain pass benchmark\n");
  std::vector<int64_t> layers(depths.begin(), depths.end());
  if (layers.empty())
    layers = {0, 10, 115};

  DialectRegistry registry;
  qtrain::models::registerModelDialects(registry);
  registry.insert<qtrain::QTrainDialect>();
  MLIRContext context(registry);
  context.loadAllAvailableDialects();
  context.disableMultithreading(); // one core: the figure per op

  llvm::outs() << "qtrain-decompose + qtrain-quantize{recipe=" << recipe
               << "} on MLP training steps (16-wide layers), best of "
               << repeats << ", one thread\n";
  llvm::outs() << llvm::format("%8s %10s %12s %12s %14s\n", "layers", "ops",
                               "time [ms]", "us per op", "vs smallest");
  double firstPerOp = 0;
  for (int64_t depth : layers) {
    qtrain::models::MlpOptions o;
    o.inputs = 16;
    o.hidden.assign(depth, 16);
    o.step.batch = 8;
    o.step.classes = 4;
    auto built = qtrain::models::buildMlp(context, o);
    if (!built) {
      llvm::errs() << llvm::toString(built.takeError()) << "\n";
      return 1;
    }
    int64_t ops = 0;
    (*built)->walk([&](Operation *) { ++ops; });
    double best = 1e30;
    for (int r = 0; r < repeats; ++r) {
      OwningOpRef<ModuleOp> copy = (*built)->clone();
      PassManager pm(&context);
      pm.addPass(qtrain::createQTrainDecomposePass());
      qtrain::buildQTrainQuantizePipeline(pm, recipe);
      auto start = std::chrono::steady_clock::now();
      if (failed(pm.run(*copy))) {
        llvm::errs() << "the passes failed\n";
        return 1;
      }
      std::chrono::duration<double> t =
          std::chrono::steady_clock::now() - start;
      best = std::min(best, t.count());
    }
    double perOp = best / ops * 1e6;
    if (firstPerOp == 0)
      firstPerOp = perOp;
    llvm::outs() << llvm::format("%8lld %10lld %12.1f %12.2f %13.2fx\n",
                                 (long long)depth, (long long)ops, best * 1e3,
                                 perOp, perOp / firstPerOp);
  }
  llvm::outs() << "(time per op growing with size means worse than linear; "
                  "the target is 1,000 ops in under 1 s)\n";
  return 0;
}
