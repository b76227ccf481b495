//===- qtrain-model.cpp - Write the training step of a network ------------===//
//
//   qtrain-model mlp --hidden=256,128 --batch=64 -o mlp.mlir
//   qtrain-model lenet --input-shape=1,28,28
//   qtrain-model resnet --classes=10 --momentum=0
//
// The module holds @train_step and @predict in upstream MLIR on tensors
// (docs/TrainingSteps.md).
//
//===----------------------------------------------------------------------===//

#include "qtrain/Models/Models.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OperationSupport.h"
#include "mlir/Support/FileUtilities.h"

#include "llvm/ADT/StringSwitch.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/WithColor.h"

using namespace llvm;
using namespace qtrain::models;

namespace {
enum class Model { Mlp, LeNet, ResNet };

cl::opt<std::string> modelName(cl::Positional, cl::Required,
                               cl::desc("<model: mlp | lenet | resnet>"));
cl::opt<std::string> output("o", cl::desc("Output file (default: stdout)"),
                            cl::value_desc("file"), cl::init("-"));
cl::opt<int64_t> batch("batch", cl::desc("Examples per step"), cl::init(64));
cl::opt<int64_t> classes("classes", cl::desc("Number of classes"),
                         cl::init(10));
cl::opt<Loss> loss("loss", cl::desc("Loss function"),
                   cl::values(clEnumValN(Loss::CrossEntropy, "cross-entropy",
                                         "softmax cross-entropy"),
                              clEnumValN(Loss::MeanSquaredError, "mse",
                                         "mean squared error, one-hot "
                                         "targets")),
                   cl::init(Loss::CrossEntropy));
cl::opt<double> momentum("momentum",
                         cl::desc("SGD momentum (0: no velocity state)"),
                         cl::init(0.9));
cl::opt<double> weightDecay("weight-decay", cl::desc("SGD weight decay"),
                            cl::init(0.0));
cl::list<int64_t> hidden("hidden",
                         cl::desc("mlp: hidden layer sizes (default "
                                  "256,128)"),
                         cl::CommaSeparated);
cl::opt<int64_t> inputs("inputs", cl::desc("mlp: input features"),
                        cl::init(784));
cl::list<int64_t> inputShape("input-shape",
                             cl::desc("lenet, resnet: C,H,W of an image "
                                      "(default 1,28,28)"),
                             cl::CommaSeparated);
cl::opt<bool> debugInfo(
    "mlir-print-debuginfo",
    cl::desc("Print the locations, which name the layers that recipes "
             "match (default on; =false for bare IR)"),
    cl::init(true));
} // namespace

int main(int argc, char **argv) {
  InitLLVM init(argc, argv);
  cl::ParseCommandLineOptions(argc, argv,
                              "qtrain-model: write a network's training "
                              "step in upstream MLIR\n");
  auto fail = [&](const Twine &msg) {
    WithColor::error(errs(), "qtrain-model") << msg << "\n";
    return 1;
  };

  std::optional<Model> model = StringSwitch<std::optional<Model>>(modelName)
                                   .Case("mlp", Model::Mlp)
                                   .Case("lenet", Model::LeNet)
                                   .Case("resnet", Model::ResNet)
                                   .Default(std::nullopt);
  if (!model)
    return fail("unknown model '" + modelName +
                "' (expected mlp, lenet or resnet)");

  StepOptions step;
  step.batch = batch;
  step.classes = classes;
  step.loss = loss;
  step.momentum = momentum;
  step.weightDecay = weightDecay;

  mlir::DialectRegistry registry;
  registerModelDialects(registry);
  mlir::MLIRContext context(registry);

  Expected<mlir::OwningOpRef<mlir::ModuleOp>> module =
      createStringError("no model");
  if (model == Model::Mlp) {
    if (!inputShape.empty())
      return fail("--input-shape is for lenet and resnet; mlp takes --inputs");
    MlpOptions o;
    o.step = step;
    o.inputs = inputs;
    if (hidden.getNumOccurrences())
      o.hidden.assign(hidden.begin(), hidden.end());
    module = buildMlp(context, o);
  } else {
    if (hidden.getNumOccurrences())
      return fail("--hidden is for mlp");
    ConvNetOptions o;
    o.step = step;
    if (!inputShape.empty()) {
      if (inputShape.size() != 3)
        return fail("--input-shape takes C,H,W");
      o.channels = inputShape[0];
      o.height = inputShape[1];
      o.width = inputShape[2];
    }
    module = model == Model::LeNet ? buildLeNet(context, o)
                                   : buildResNet(context, o);
  }
  if (!module)
    return fail(toString(module.takeError()));

  std::string error;
  auto out = mlir::openOutputFile(output, &error);
  if (!out)
    return fail(error);
  mlir::OpPrintingFlags flags;
  if (debugInfo)
    flags.enableDebugInfo(/*enable=*/true, /*prettyForm=*/false)
        .useLocalScope();
  (*module)->print(out->os(), flags);
  out->os() << "\n";
  out->keep();
  return 0;
}
