//===- RecipeTrainingTest.cpp - Each bundled recipe trains the MLP --------===//
//
// The generated MLP step (16-32-4, batch 8, SGD momentum 0.9, lr 0.05),
// quantized by a bundled recipe (qtrain-quantize) and lowered to the CPU
// (qtrain-to-llvm), runs 30 steps over a fixed synthetic data set of four
// separable classes, threading every result that updates an argument
// (qtrain.updates: parameters, velocities, amax histories) into the next
// step. The loss must fall: the mean of the last 5 steps'
// losses below 60% of the first 5 steps'. A recipe with a wrong error
// format (every E rounded to a 2-bit integer, so every gradient is zero)
// must not pass the same check.
//
//===----------------------------------------------------------------------===//

#include "qtrain/ExecutionEngine/Jit.h"
#include "qtrain/Train/StepCall.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

#include "qtrain/Models/Models.h"
#include "qtrain/Pipelines/Pipelines.h"
#include "qtrain/Recipes/Recipe.h"

#include "mlir/Pass/PassManager.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/raw_ostream.h"

#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <random>

using namespace mlir;
using namespace qtrain;
using namespace qtrain::models;
using qtrain::train::HostTensor;

namespace {

constexpr int kSteps = 30;
constexpr int kWindow = 5;
constexpr double kRequiredDrop = 0.6;

/// A training step to run: the MLP 16-32-4 unless a test gives another
/// network (its examples hold `features` values).
using ModelFactory =
    std::function<llvm::Expected<OwningOpRef<ModuleOp>>(MLIRContext &)>;
struct Model {
  ModelFactory build;
  int features;
};

StepOptions testStep() {
  StepOptions s;
  s.batch = 8;
  s.classes = 4;
  s.momentum = 0.9;
  return s;
}

Model mlp() {
  return {[](MLIRContext &ctx) {
            MlpOptions o;
            o.inputs = 16;
            o.hidden = {32};
            o.step = testStep();
            return buildMlp(ctx, o);
          },
          16};
}

/// The losses of kSteps steps of `model` quantized by `recipe`, or an
/// error (a recipe the passes cannot apply). With `modes`, also each step's
/// precision modes (qtrain-dynamic-precision's "precision_mode" results).
llvm::Expected<std::vector<float>>
train(llvm::StringRef recipe,
      std::vector<std::vector<int64_t>> *modes = nullptr,
      const Model &model = mlp()) {
  auto ctx = createJitContext();
  auto built = model.build(*ctx);
  if (!built)
    return built.takeError();
  const int features = model.features;
  OwningOpRef<ModuleOp> module = std::move(*built);

  // The recipe must apply everywhere: a remark (a contraction left in f32,
  // roles not resolved) fails the run, and a recipe other than fp32 must
  // quantize something.
  std::string diagnostics;
  {
    llvm::raw_string_ostream os(diagnostics);
    ScopedDiagnosticHandler handler(ctx.get(), [&](Diagnostic &d) {
      os << d << "\n";
      return success();
    });
    PassManager pm(ctx.get());
    buildQTrainQuantizePipeline(pm, recipe);
    if (failed(pm.run(*module)) || !diagnostics.empty())
      return llvm::createStringError(diagnostics);
  }
  int quantizeOps = 0;
  module->walk([&](Operation *op) {
    quantizeOps += op->getName().getStringRef() == "qtrain.quantize";
  });
  if (recipe != "fp32" && quantizeOps == 0)
    return llvm::createStringError("the recipe quantized nothing");
  auto fn = module->lookupSymbol<func::FuncOp>(kTrainStep);
  FunctionType type = qtrain::train::prepareCall(*module, kTrainStep);
  // Arguments: data, labels, lr, parameters, velocities (and a seed when
  // the recipe rounds stochastically).
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> unit(-1.0f, 1.0f);
  std::vector<HostTensor> args;
  int seedArg = -1;
  for (unsigned i = 0; i < type.getNumInputs(); ++i) {
    HostTensor t = HostTensor::zeros(type.getInput(i));
    auto role = fn.getArgAttrOfType<StringAttr>(i, kRoleAttr).getValue();
    if (role == "weight") {
      auto fanIn = fn.getArgAttrOfType<IntegerAttr>(i, kFanInAttr).getInt();
      bool bias =
          fn.getArgAttrOfType<StringAttr>(i, kInitAttr).getValue() == "zeros";
      for (auto &v : t.f32)
        v = bias ? 0.0f : unit(rng) * std::sqrt(6.0f / fanIn);
    } else if (role == "hyperparameter") {
      t.f32[0] = 0.05f;
    } else if (role == "seed") {
      seedArg = i;
    }
    args.push_back(std::move(t));
  }
  // State: result j is the next value of argument updates[j].
  std::vector<int64_t> updates(type.getNumResults(), -1);
  unsigned lossResult = 0;
  std::vector<unsigned> modeResults;
  for (unsigned j = 0; j < type.getNumResults(); ++j) {
    if (auto role = fn.getResultAttrOfType<StringAttr>(j, kRoleAttr))
      if (role.getValue() == "precision_mode")
        modeResults.push_back(j);
    if (auto a = fn.getResultAttrOfType<IntegerAttr>(j, kUpdatesAttr))
      updates[j] = a.getInt();
    if (auto role = fn.getResultAttrOfType<StringAttr>(j, kRoleAttr))
      if (role.getValue() == "loss")
        lossResult = j;
  }
  // Lowering replaces the func ops: their attributes are read above.
  auto engine = jitCompile(*module);
  if (!engine)
    return engine.takeError();
  // Four classes around the corners of a 16-dimensional cube.
  std::vector<std::vector<float>> centres(4, std::vector<float>(features));
  for (auto &c : centres)
    for (auto &v : c)
      v = unit(rng) > 0 ? 1.0f : -1.0f;
  std::vector<float> losses;
  for (int s = 0; s < kSteps; ++s) {
    for (int b = 0; b < 8; ++b) {
      int label = (s * 8 + b) % 4;
      args[1].i32[b] = label;
      for (int j = 0; j < features; ++j)
        args[0].f32[b * features + j] = centres[label][j] + 0.5f * unit(rng);
    }
    if (seedArg >= 0)
      args[seedArg].scalar = s; // a new stream every step
    auto out = qtrain::train::callTensors(**engine, kTrainStep, type, args);
    if (!out)
      return out.takeError();
    // Thread the parameters, velocities and amax histories into the next
    // step.
    for (size_t j = 0; j < out->size(); ++j)
      if (updates[j] >= 0)
        args[updates[j]] = std::move((*out)[j]);
    losses.push_back((*out)[lossResult].f32[0]);
    if (modes) {
      modes->emplace_back();
      for (unsigned j : modeResults) // threaded above: read the argument
        modes->back().push_back(args[updates[j]].i64[0]);
    }
  }
  return losses;
}

double mean(const std::vector<float> &v, size_t from, size_t n) {
  double s = 0;
  for (size_t i = from; i < from + n; ++i)
    s += v[i];
  return s / n;
}

bool lossFalls(const std::vector<float> &losses, std::string &summary) {
  double first = mean(losses, 0, kWindow);
  double last = mean(losses, losses.size() - kWindow, kWindow);
  summary = "first " + std::to_string(first) + ", last " + std::to_string(last);
  return std::isfinite(last) && last < kRequiredDrop * first;
}

// (The bundled abfp8 warms up in f32 for 100 steps, longer than these 30:
// RecipeTrainingAdaptiveBias covers its quantized phase.)
/// The bundled recipes' names, and each as a test name.
std::vector<std::string> bundledRecipeParams() {
  std::vector<std::string> names;
  for (llvm::StringRef n : recipes::bundledRecipeNames())
    names.push_back(n.str());
  return names;
}
std::string recipeParamName(const ::testing::TestParamInfo<std::string> &info) {
  std::string name = info.param;
  for (char &c : name)
    if (!std::isalnum(static_cast<unsigned char>(c)))
      c = '_';
  return name;
}

class RecipeTraining : public ::testing::TestWithParam<std::string> {};

TEST_P(RecipeTraining, LossFalls) {
  auto losses = train(GetParam());
  if (!losses) {
    std::string why = llvm::toString(losses.takeError());
    // Recipes that need passes this build lacks are reported, not hidden.
    if (why.find("not implemented yet") != std::string::npos)
      GTEST_SKIP() << why;
    FAIL() << why;
  }
  std::string summary;
  EXPECT_TRUE(lossFalls(*losses, summary)) << GetParam() << ": " << summary;
  std::cout << GetParam() << ": " << summary << "\n";
}

INSTANTIATE_TEST_SUITE_P(Bundled, RecipeTraining,
                         ::testing::ValuesIn(bundledRecipeParams()),
                         recipeParamName);

/// Writes `json` to a temporary recipe file, trains with it, removes it.
llvm::Expected<std::vector<float>>
trainWithRecipeText(llvm::StringRef json,
                    std::vector<std::vector<int64_t>> *modes = nullptr) {
  llvm::SmallString<128> path;
  if (auto ec = llvm::sys::fs::createTemporaryFile("recipe", "json", path))
    return llvm::errorCodeToError(ec);
  {
    std::error_code ec;
    llvm::raw_fd_ostream os(path, ec);
    if (ec)
      return llvm::errorCodeToError(ec);
    os << json;
  }
  auto losses = train(path, modes);
  llvm::sys::fs::remove(path);
  return losses;
}

// Dynamic precision moves the modes as its rule says. With a period of 2
// steps and low = 0.99 every period's mean ZSE is below `low`, so every
// controlled (layer, role) steps one rung down (FB16 -> FB12) at the end of
// step 2 (index 1) and stays on the last rung. With low = 0 and high =
// 1e-6, a (layer, role) whose tensors lose any element to zero climbs to
// FB24.
TEST(RecipeTrainingDynamicPrecision, ModesFollowTheZeroSettingError) {
  auto recipe = [](const char *low, const char *high) {
    return std::string(R"({"recipe": "dyn", "comment": "test", "roles": {)"
                       R"("W": {"format": "#qtrain.scaled<fb16>"},)"
                       R"("A": {"format": "#qtrain.scaled<fb16>"},)"
                       R"("E": {"format": "#qtrain.scaled<fb16>"}},)"
                       R"("dynamic_precision": {"period": 2, "low": )") +
           low + R"(, "high": )" + high +
           R"(, "ladder": ["#qtrain.scaled<fb24>", "#qtrain.scaled<fb16>", )"
           R"("#qtrain.scaled<fb12>"], "roles": ["W", "A", "E"]}})";
  };
  std::vector<std::vector<int64_t>> modes;
  auto down = trainWithRecipeText(recipe("0.99", "1.0"), &modes);
  ASSERT_TRUE(static_cast<bool>(down)) << llvm::toString(down.takeError());
  ASSERT_EQ(modes.size(), size_t(kSteps));
  ASSERT_FALSE(modes[0].empty());
  for (int64_t m : modes[0])
    EXPECT_EQ(m, 0) << "before the first period ends";
  for (int64_t m : modes[1])
    EXPECT_EQ(m, 1) << "FB16 -> FB12 at the end of the first period";
  for (int64_t m : modes.back())
    EXPECT_EQ(m, 1) << "FB12 is the last rung";
  std::string summary;
  EXPECT_TRUE(lossFalls(*down, summary)) << summary;

  modes.clear();
  auto up = trainWithRecipeText(recipe("0.0", "0.000001"), &modes);
  ASSERT_TRUE(static_cast<bool>(up)) << llvm::toString(up.takeError());
  int climbed = 0;
  for (int64_t m : modes.back()) {
    EXPECT_GE(m, -1);
    climbed += m == -1; // FB24
  }
  EXPECT_GT(climbed, 0) << "no (layer, role) with flushed elements climbed";
}

// Adaptive bias past its warm-up (the bundled abfp8 warms up for 100 steps,
// longer than the test): 5 f32 steps that gather the medians, then E5M2 with
// the frozen per-role biases. The loss must fall, the warm-up must be f32
// training bit for bit, and later steps must differ from it (the
// quantization is on).
TEST(RecipeTrainingAdaptiveBias, TrainsPastTheWarmup) {
  std::string rule = R"({"format": "#qtrain.fp<e5m2, specials = none, )"
                     R"(subnormals = false, overflow = saturate>", )"
                     R"("scaling": {"kind": "adaptive_bias", )"
                     R"("warmup_steps": 5}})";
  std::string json = R"({"recipe": "abfp8-short", "comment": "test", )"
                     R"("roles": {"W": )" +
                     rule + R"(, "A": )" + rule + R"(, "E": )" + rule +
                     R"(, "G": )" + rule + "}}";
  auto adaptive = trainWithRecipeText(json);
  ASSERT_TRUE(static_cast<bool>(adaptive))
      << llvm::toString(adaptive.takeError());
  auto f32 = train("fp32");
  ASSERT_TRUE(static_cast<bool>(f32)) << llvm::toString(f32.takeError());
  std::string summary;
  EXPECT_TRUE(lossFalls(*adaptive, summary)) << summary;
  std::cout << "abfp8, 5 warm-up steps: " << summary << "\n";
  for (int s = 0; s < 5; ++s)
    EXPECT_EQ((*adaptive)[s], (*f32)[s]) << "warm-up step " << s;
  int differ = 0;
  for (int s = 6; s < kSteps; ++s)
    differ += (*adaptive)[s] != (*f32)[s];
  EXPECT_GT(differ, 0) << "no step after the warm-up was quantized";
}

// The convolutional networks train under every bundled recipe too: every
// convolution form (forward, and the two backward generics) becomes a
// quantized qtrain.conv2d in the recipe's formats, is decomposed and
// lowered, and the loss falls. LeNet runs every recipe, the residual CNN
// the block-scaled one (MXFP8).
Model convNet(bool residual) {
  return {[residual](MLIRContext &ctx) {
            ConvNetOptions o;
            o.step = testStep();
            o.channels = 1;
            o.height = o.width = 12;
            return residual ? buildResNet(ctx, o) : buildLeNet(ctx, o);
          },
          144};
}

class RecipeTrainingLeNet : public ::testing::TestWithParam<std::string> {};

TEST_P(RecipeTrainingLeNet, LossFalls) {
  auto losses = train(GetParam(), nullptr, convNet(false));
  ASSERT_TRUE(static_cast<bool>(losses)) << llvm::toString(losses.takeError());
  std::string summary;
  EXPECT_TRUE(lossFalls(*losses, summary)) << GetParam() << ": " << summary;
  std::cout << "lenet " << GetParam() << ": " << summary << "\n";
}

// flexblock-dynamic is left out: its step (every mode of every layer and
// role compiled) takes over a minute here, and flexblock covers its
// formats; the results sweep trains LeNet under it (docs/RESULTS.md).
INSTANTIATE_TEST_SUITE_P(Bundled, RecipeTrainingLeNet, ::testing::ValuesIn([] {
                           std::vector<std::string> names =
                               bundledRecipeParams();
                           llvm::erase(names, "flexblock-dynamic");
                           return names;
                         }()),
                         recipeParamName);

TEST(RecipeTrainingConvNets, ResNetTrainsWithMxfp8) {
  auto losses = train("mxfp8", nullptr, convNet(true));
  ASSERT_TRUE(static_cast<bool>(losses)) << llvm::toString(losses.takeError());
  std::string summary;
  EXPECT_TRUE(lossFalls(*losses, summary)) << "resnet: " << summary;
  std::cout << "resnet mxfp8: " << summary << "\n";
}

// The check must be able to fail: errors rounded to a 2-bit integer are all
// zero, so nothing learns.
TEST(RecipeTrainingSelfTest, WrongErrorFormatDoesNotTrain) {
  auto losses = trainWithRecipeText(
      R"({"recipe": "broken", "comment": "test: zero errors",
          "roles": {"E": {"format": "#qtrain.int<s2>"}}})");
  ASSERT_TRUE(static_cast<bool>(losses)) << llvm::toString(losses.takeError());
  std::string summary;
  EXPECT_FALSE(lossFalls(*losses, summary)) << summary;
}

} // namespace
