//===- CompiledStep.cpp - A training step compiled for a run --------------===//

#include "qtrain/Train/CompiledStep.h"

#include "qtrain/Dialect/QTrain/IR/StepAttributes.h"
#include "qtrain/Pipelines/Pipelines.h"
#include "qtrain/Train/RunRandom.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

#include <chrono>
#include <cmath>
#include <map>
#include <tuple>

using namespace mlir;
using llvm::createStringError;
using llvm::Error;
using llvm::Expected;
using llvm::Twine;

namespace qtrain::train {
namespace {

std::string stringAttr(DictionaryAttr attrs, llvm::StringRef name) {
  if (!attrs)
    return "";
  if (auto s = attrs.getAs<StringAttr>(name))
    return s.str();
  return "";
}

Expected<OwningOpRef<ModuleOp>> buildNamedModel(MLIRContext &context,
                                                const StepSource &source) {
  llvm::StringRef name = source.modelOrFile;
  if (name == "mlp") {
    models::MlpOptions o;
    o.step = source.step;
    o.inputs = source.channels * source.height * source.width;
    if (!source.hidden.empty())
      o.hidden = source.hidden;
    return models::buildMlp(context, o);
  }
  if (!source.hidden.empty())
    return llvm::createStringError("--hidden is for mlp");
  models::ConvNetOptions o;
  o.step = source.step;
  o.channels = source.channels;
  o.height = source.height;
  o.width = source.width;
  return name == "lenet" ? models::buildLeNet(context, o)
                         : models::buildResNet(context, o);
}

} // namespace

bool StepSource::isFile() const {
  return !llvm::is_contained({"mlp", "lenet", "resnet"},
                             llvm::StringRef(modelOrFile));
}

Error StepSource::verify() const {
  if (isFile() && !llvm::sys::fs::is_regular_file(modelOrFile))
    return llvm::createStringError(
        "'" + modelOrFile +
        "' is neither a model (mlp, lenet, resnet) nor a .mlir file");
  return Error::success();
}

Expected<std::unique_ptr<CompiledStep>>
CompiledStep::create(const StepSource &source, llvm::StringRef recipe,
                     const JitOptions &jit, const StepTarget &target) {
  auto start = std::chrono::steady_clock::now();
  std::unique_ptr<CompiledStep> step(new CompiledStep());
  step->context_ = createJitContext();
  MLIRContext &context = *step->context_;
  // Every diagnostic (remarks of the passes included) goes to stderr with
  // its location.
  llvm::SourceMgr sourceMgr;
  SourceMgrDiagnosticHandler handler(sourceMgr, &context, llvm::errs());

  OwningOpRef<ModuleOp> module;
  if (Error e = source.verify())
    return std::move(e);
  if (source.isFile()) {
    module = parseSourceFile<ModuleOp>(source.modelOrFile, sourceMgr,
                                       ParserConfig(&context));
    if (!module)
      return llvm::createStringError("cannot read the training step " +
                                     source.modelOrFile);
  } else {
    auto built = buildNamedModel(context, source);
    if (!built)
      return built.takeError();
    module = std::move(*built);
  }

  PassManager pm(&context);
  buildQTrainQuantizePipeline(pm, recipe);
  if (failed(pm.run(*module)))
    return llvm::createStringError("the recipe '" + recipe +
                                   "' does not apply to " + source.modelOrFile +
                                   " (diagnostics above)");
  {
    llvm::raw_string_ostream os(step->quantizedText_);
    OpPrintingFlags flags;
    flags.enableDebugInfo(/*enable=*/true, /*prettyForm=*/false);
    module->print(os, flags);
  }
  if (auto err = step->bind(*module))
    return std::move(err);
  if (target.accel) {
    auto accel = AccelStep::create(*module, models::kTrainStep, target.machine);
    if (!accel)
      return accel.takeError();
    step->accel_ = std::move(*accel);
  }
  auto engine = jitCompile(*module, jit);
  if (!engine)
    return engine.takeError();
  step->engine_ = std::move(*engine);
  step->compileSeconds_ =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  return step;
}

llvm::Error CompiledStep::bind(ModuleOp module) {
  auto train = module.lookupSymbol<func::FuncOp>(models::kTrainStep);
  auto predict = module.lookupSymbol<func::FuncOp>(models::kPredict);
  if (!train || !predict)
    return llvm::createStringError("the module needs @train_step and @predict "
                                   "(docs/TrainingSteps.md)");
  trainType_ = prepareCall(module, models::kTrainStep);
  predictType_ = prepareCall(module, models::kPredict);

  auto where = [&](func::FuncOp fn, unsigned i, bool result) {
    return (Twine("@") + fn.getName() + (result ? " result " : " argument ") +
            Twine(i))
        .str();
  };
  for (unsigned i = 0; i < trainType_.getNumInputs(); ++i) {
    StepArgument a;
    a.type = trainType_.getInput(i);
    if (!isHostType(a.type))
      return llvm::createStringError(
          where(train, i, false) +
          " is not a static tensor of f32, i32 or i64, or an i64");
    DictionaryAttr attrs = train.getArgAttrDict(i);
    a.role = stringAttr(attrs, kRoleAttr);
    a.tensorRole = stringAttr(attrs, "qtrain.tensor_role");
    a.layer = stringAttr(attrs, kLayerAttr);
    a.init = stringAttr(attrs, kInitAttr);
    if (auto f = train.getArgAttrOfType<IntegerAttr>(i, kFanInAttr))
      a.fanIn = f.getInt();
    args_.push_back(std::move(a));
  }
  // The examples, labels and learning rate: by role, else by position (the
  // order of docs/TrainingSteps.md).
  auto find = [&](llvm::StringRef role, unsigned fallback) {
    for (unsigned i = 0; i < args_.size(); ++i)
      if (args_[i].role == role)
        return i;
    return fallback;
  };
  input_ = find("input", 0);
  label_ = find("label", 1);
  lr_ = find("hyperparameter", 2);
  if (args_.size() < 3)
    return llvm::createStringError(
        "@train_step takes at least the examples, the labels and "
        "the learning rate");
  auto inputType = llvm::dyn_cast<RankedTensorType>(args_[input_].type);
  auto labelType = llvm::dyn_cast<RankedTensorType>(args_[label_].type);
  auto lrType = llvm::dyn_cast<RankedTensorType>(args_[lr_].type);
  if (!inputType || !inputType.getElementType().isF32() ||
      inputType.getRank() < 2)
    return llvm::createStringError(
        where(train, input_, false) +
        " (the examples) must be a tensor<N x ... x f32>");
  if (!labelType || labelType.getRank() != 1 ||
      !labelType.getElementType().isInteger(32) ||
      labelType.getDimSize(0) != inputType.getDimSize(0))
    return llvm::createStringError(
        where(train, label_, false) +
        " (the labels) must be a tensor<N x i32> with N the batch");
  if (!lrType || lrType.getRank() != 0 || !lrType.getElementType().isF32())
    return llvm::createStringError(
        where(train, lr_, false) +
        " (the learning rate) must be a tensor<f32>");
  batch_ = inputType.getDimSize(0);
  features_ = inputType.getNumElements() / batch_;
  for (unsigned i = 0; i < args_.size(); ++i)
    if (args_[i].role == "seed") {
      if (!args_[i].type.isInteger(64))
        return llvm::createStringError(where(train, i, false) +
                                       " (the seed) must be an i64");
      seed_ = i;
    }

  // Results: the loss and each argument's next value.
  resultUpdates_.assign(trainType_.getNumResults(), std::nullopt);
  std::optional<unsigned> loss;
  for (unsigned j = 0; j < trainType_.getNumResults(); ++j) {
    if (auto u = train.getResultAttrOfType<IntegerAttr>(j, kUpdatesAttr)) {
      int64_t i = u.getInt();
      if (i < 0 || i >= int64_t(args_.size()) ||
          args_[i].type != trainType_.getResult(j) || args_[i].updatedBy)
        return llvm::createStringError(
            where(train, j, true) + " updates argument " + Twine(i) +
            ", which does not exist, has another type or is "
            "updated twice");
      resultUpdates_[j] = i;
      args_[i].updatedBy = j;
      continue;
    }
    auto role = train.getResultAttrOfType<StringAttr>(j, kRoleAttr);
    if (role && role.getValue() == "loss") {
      auto t = llvm::dyn_cast<RankedTensorType>(trainType_.getResult(j));
      if (!t || t.getRank() != 0 || !t.getElementType().isF32())
        return llvm::createStringError(where(train, j, true) +
                                       " (the loss) must be a "
                                       "tensor<f32>");
      loss = j;
      continue;
    }
    return llvm::createStringError(
        where(train, j, true) +
        " is neither the loss (qtrain.role = \"loss\") nor an "
        "argument's next value (qtrain.updates): the runner cannot "
        "thread it");
  }
  if (!loss)
    return llvm::createStringError(
        "@train_step has no result marked qtrain.role = \"loss\"");
  lossResult_ = *loss;
  for (unsigned i = 0; i < args_.size(); ++i) {
    const StepArgument &a = args_[i];
    if (a.role == "weight" && !a.updatedBy)
      return llvm::createStringError(where(train, i, false) +
                                     " is a weight that no result updates");
    if (a.role == "weight" && a.init != "zeros" && a.init != "kaiming_uniform")
      return llvm::createStringError(
          where(train, i, false) + " has qtrain.init = \"" + a.init +
          "\" (the runner knows \"kaiming_uniform\" and \"zeros\")");
    if (a.role == "weight" && a.init == "kaiming_uniform" && a.fanIn <= 0)
      return llvm::createStringError(
          where(train, i, false) +
          " needs a positive qtrain.fan_in for kaiming_uniform");
  }

  // Predict: the examples, then state read from train_step's arguments with
  // the same (role, tensor role, layer), the k-th such predict argument
  // reading the k-th such train_step argument.
  auto key = [](const std::string &role, const std::string &tensorRole,
                const std::string &layer) {
    return std::make_tuple(role, tensorRole, layer);
  };
  std::map<std::tuple<std::string, std::string, std::string>,
           std::vector<unsigned>>
      byKey;
  for (unsigned i = 0; i < args_.size(); ++i)
    if (i != input_ && i != label_ && i != lr_)
      byKey[key(args_[i].role, args_[i].tensorRole, args_[i].layer)].push_back(
          i);
  std::map<std::tuple<std::string, std::string, std::string>, unsigned> used;
  for (unsigned i = 0; i < predictType_.getNumInputs(); ++i) {
    DictionaryAttr attrs = predict.getArgAttrDict(i);
    std::string role = stringAttr(attrs, kRoleAttr);
    if (i == 0) { // the examples, by the convention of TrainingSteps.md
      if (predictType_.getInput(i) != args_[input_].type)
        return llvm::createStringError(
            where(predict, i, false) +
            " (the examples) differs in type from @train_step's");
      predictSources_.push_back(input_);
      continue;
    }
    auto k = key(role, stringAttr(attrs, "qtrain.tensor_role"),
                 stringAttr(attrs, kLayerAttr));
    unsigned n = used[k]++;
    auto it = byKey.find(k);
    if (it == byKey.end() || n >= it->second.size() ||
        args_[it->second[n]].type != predictType_.getInput(i))
      return llvm::createStringError(
          where(predict, i, false) + " (role \"" + role +
          "\") matches no @train_step argument of the same role, "
          "layer and type");
    predictSources_.push_back(it->second[n]);
  }
  if (predictType_.getNumResults() != 1)
    return llvm::createStringError("@predict must return the logits only");
  auto logits = llvm::dyn_cast<RankedTensorType>(predictType_.getResult(0));
  if (!logits || logits.getRank() != 2 || logits.getDimSize(0) != batch_ ||
      !logits.getElementType().isF32())
    return llvm::createStringError(
        "@predict must return tensor<batch x classes x f32>");
  classes_ = logits.getDimSize(1);
  return llvm::Error::success();
}

std::vector<HostTensor> CompiledStep::initialArguments(uint64_t runSeed) const {
  std::vector<HostTensor> out;
  for (unsigned i = 0; i < args_.size(); ++i) {
    HostTensor t = HostTensor::zeros(args_[i].type);
    const StepArgument &a = args_[i];
    if (a.role == "weight" && a.init == "kaiming_uniform") {
      // He et al.'s uniform initialisation for ReLU networks (PyTorch's
      // kaiming_uniform_ with nonlinearity='relu'): U(-b, b), b =
      // sqrt(6 / fan_in).
      float bound = std::sqrt(6.0f / float(a.fanIn));
      for (size_t e = 0; e < t.f32.size(); ++e)
        t.f32[e] = bound * streamSymmetricUnit(runSeed, RunStream::Init, i, e);
    }
    out.push_back(std::move(t));
  }
  return out;
}

Expected<float> CompiledStep::step(std::vector<HostTensor> &args) {
  if (accel_) {
    auto out = accel_->run(args, trainType_.getResults());
    if (!out)
      return out.takeError();
    for (unsigned j = 0; j < resultUpdates_.size(); ++j)
      if (resultUpdates_[j])
        args[*resultUpdates_[j]] = std::move((*out)[j]);
    return (*out)[lossResult_].f32[0];
  }
  // Each updated argument receives its next value in place.
  std::vector<HostTensor *> into(resultUpdates_.size(), nullptr);
  for (unsigned j = 0; j < resultUpdates_.size(); ++j)
    if (resultUpdates_[j])
      into[j] = &args[*resultUpdates_[j]];
  auto out = callTensors(*engine_, models::kTrainStep, trainType_, args, into);
  if (!out)
    return out.takeError();
  return (*out)[lossResult_].f32[0];
}

Expected<std::vector<float>>
CompiledStep::predict(const std::vector<HostTensor> &trainArgs,
                      const std::vector<float> &examples) {
  std::vector<HostTensor> args;
  for (unsigned source : predictSources_)
    args.push_back(trainArgs[source]);
  args[0].f32 = examples;
  auto out = callTensors(*engine_, models::kPredict, predictType_, args);
  if (!out)
    return out.takeError();
  return std::move((*out)[0].f32);
}

std::vector<unsigned> CompiledStep::stateArguments() const {
  std::vector<unsigned> state;
  for (unsigned i = 0; i < args_.size(); ++i)
    if (args_[i].updatedBy)
      state.push_back(i);
  return state;
}

std::vector<unsigned> CompiledStep::modeArguments() const {
  std::vector<unsigned> modes;
  for (unsigned i = 0; i < args_.size(); ++i)
    if (args_[i].role == "precision_mode" && args_[i].updatedBy)
      modes.push_back(i);
  return modes;
}

} // namespace qtrain::train
