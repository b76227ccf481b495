//===- GradientCheckTest.cpp - Generated backward vs finite differences ---===//
//
// Every bundled network's @train_step, JIT-compiled through the f32 path
// (qtrain-to-llvm) with momentum 0, weight decay 0 and lr = 1, gives the
// gradient g = w - w' of every parameter. It must match central finite
// differences of the step's loss, fd = (L(w + h) - L(w - h)) / 2h, within
// |fd - g| <= 2e-3 + 5e-2 |fd| (docs/TrainingSteps.md explains the
// tolerance: f32 rounding of the loss divided by 2h, and the h^2
// truncation term). ReLU and max pooling have kinks: when one lies within
// h of the point, fd at that h is off, so an entry is checked at h = 1e-3
// and, if it misses, again at h = 2.5e-4 (a wrong gradient misses at
// both). A second test checks that the comparison fails on a wrong
// gradient, and a third the SGD update with momentum and weight decay.
//
//===----------------------------------------------------------------------===//

#include "qtrain/ExecutionEngine/Jit.h"
#include "qtrain/Train/StepCall.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

#include "qtrain/Models/Models.h"

#include "mlir/IR/BuiltinAttributes.h"

#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <random>

using namespace mlir;
using namespace qtrain;
using namespace qtrain::models;
using qtrain::train::HostTensor;

namespace {

constexpr double kSteps[] = {1e-3, 2.5e-4};
constexpr double kAbsTolerance = 2e-3;
constexpr double kRelTolerance = 5e-2;
constexpr int kEntriesPerParameter = 4;

using Builder = std::function<llvm::Expected<OwningOpRef<ModuleOp>>(
    MLIRContext &, const StepOptions &)>;

struct Case {
  const char *name;
  Builder build;
};
void PrintTo(const Case &c, std::ostream *os) { *os << c.name; }

/// A compiled @train_step and its arguments.
class Step {
public:
  Step(const Builder &build, const StepOptions &options, unsigned seed) {
    context = createJitContext();
    auto built = build(*context, options);
    if (!built) {
      error = llvm::toString(built.takeError());
      return;
    }
    module = std::move(*built);
    type = qtrain::train::prepareCall(*module, kTrainStep);
    auto fn = module->lookupSymbol<func::FuncOp>(kTrainStep);
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> unit(-1.0f, 1.0f);
    for (unsigned i = 0; i < type.getNumInputs(); ++i) {
      HostTensor t = HostTensor::zeros(type.getInput(i));
      auto role = fn.getArgAttrOfType<StringAttr>(i, kRoleAttr).getValue();
      if (role == "label") {
        std::uniform_int_distribution<int32_t> label(0, options.classes - 1);
        for (auto &v : t.i32)
          v = label(rng);
      } else if (role == "hyperparameter") {
        t.f32[0] = 1.0f; // lr
      } else if (role == "weight") {
        auto fanIn = fn.getArgAttrOfType<IntegerAttr>(i, kFanInAttr);
        float bound = std::sqrt(6.0f / fanIn.getInt());
        auto init = fn.getArgAttrOfType<StringAttr>(i, kInitAttr).getValue();
        for (auto &v : t.f32) // biases small but non-zero
          v = unit(rng) * (init == "zeros" ? 0.1f : bound);
        parameters.push_back(i);
      } else if (role == "optimizer_state") {
        for (auto &v : t.f32)
          v = unit(rng) * 0.1f;
      } else {
        for (auto &v : t.f32)
          v = unit(rng);
      }
      args.push_back(std::move(t));
    }
    auto engine = jitCompile(*module);
    if (!engine) {
      error = llvm::toString(engine.takeError());
      return;
    }
    this->engine = std::move(*engine);
  }

  std::vector<HostTensor> run() {
    auto out = qtrain::train::callTensors(*engine, kTrainStep, type, args);
    if (!out) {
      ADD_FAILURE() << llvm::toString(out.takeError());
      return {};
    }
    return std::move(*out);
  }
  float loss() {
    auto out = run();
    return out.empty() ? NAN : out.back().f32[0];
  }

  std::string error;
  std::unique_ptr<MLIRContext> context;
  OwningOpRef<ModuleOp> module;
  FunctionType type;
  std::unique_ptr<ExecutionEngine> engine;
  std::vector<HostTensor> args;
  std::vector<unsigned> parameters; ///< argument indices of the weights
};

/// One checked entry.
struct Mismatch {
  unsigned argument;
  int64_t index;
  double analytic, numeric;
};

/// Compares `gradients` (one per parameter) with central differences at a
/// few entries of each parameter.
std::vector<Mismatch> compare(Step &step,
                              const std::vector<std::vector<float>> &gradients,
                              unsigned seed, int *checked,
                              int *significant = nullptr) {
  std::vector<Mismatch> bad;
  std::mt19937 rng(seed);
  for (size_t p = 0; p < step.parameters.size(); ++p) {
    HostTensor &w = step.args[step.parameters[p]];
    std::uniform_int_distribution<int64_t> pick(0, w.count() - 1);
    for (int e = 0; e < kEntriesPerParameter; ++e) {
      int64_t i = pick(rng);
      double analytic = gradients[p][i], numeric = 0.0;
      bool matches = false;
      for (double h : kSteps) {
        float saved = w.f32[i];
        float plus = saved + static_cast<float>(h);
        float minus = saved - static_cast<float>(h);
        w.f32[i] = plus;
        double up = step.loss();
        w.f32[i] = minus;
        double down = step.loss();
        w.f32[i] = saved;
        // Over the perturbation f32 actually made.
        numeric = (up - down) / (double(plus) - double(minus));
        matches = std::fabs(numeric - analytic) <=
                  kAbsTolerance + kRelTolerance * std::fabs(numeric);
        if (matches)
          break;
      }
      ++*checked;
      if (significant && std::fabs(numeric) > 10 * kAbsTolerance)
        ++*significant;
      if (!matches)
        bad.push_back({step.parameters[p], i, analytic, numeric});
    }
  }
  return bad;
}

/// g = (w - w') / lr for every parameter (momentum 0, weight decay 0).
std::vector<std::vector<float>> analyticGradients(Step &step) {
  std::vector<HostTensor> out = step.run();
  std::vector<std::vector<float>> g;
  for (size_t p = 0; p < step.parameters.size(); ++p) {
    const HostTensor &w = step.args[step.parameters[p]];
    std::vector<float> gp(w.count());
    for (int64_t i = 0; i < w.count(); ++i)
      gp[i] = w.f32[i] - out[p].f32[i];
    g.push_back(std::move(gp));
  }
  return g;
}

StepOptions plainSgd(Loss loss = Loss::CrossEntropy) {
  StepOptions o;
  o.batch = 3;
  o.classes = 4;
  o.loss = loss;
  o.momentum = 0.0;
  o.weightDecay = 0.0;
  return o;
}

Builder mlp() {
  return [](MLIRContext &ctx, const StepOptions &step) {
    MlpOptions o;
    o.step = step;
    o.inputs = 6;
    o.hidden = {5, 7};
    return buildMlp(ctx, o);
  };
}
Builder convNet(bool residual, int64_t c, int64_t h, int64_t w) {
  return [=](MLIRContext &ctx, const StepOptions &step) {
    ConvNetOptions o;
    o.step = step;
    o.channels = c;
    o.height = h;
    o.width = w;
    return residual ? buildResNet(ctx, o) : buildLeNet(ctx, o);
  };
}

class GradientCheck : public ::testing::TestWithParam<Case> {};

TEST_P(GradientCheck, MatchesCentralDifferences) {
  for (Loss loss : {Loss::CrossEntropy, Loss::MeanSquaredError}) {
    Step step(GetParam().build, plainSgd(loss), /*seed=*/7);
    ASSERT_EQ(step.error, "");
    auto g = analyticGradients(step);
    int checked = 0;
    int significant = 0;
    auto bad = compare(step, g, /*seed=*/11, &checked, &significant);
    // The absolute allowance must not carry the check: most entries are far
    // above it, so a match is a match of values, not of two small numbers.
    EXPECT_GE(significant * 2, checked)
        << significant << " of " << checked << " entries above "
        << 10 * kAbsTolerance;
    for (const Mismatch &m : bad)
      ADD_FAILURE() << GetParam().name << " loss "
                    << (loss == Loss::CrossEntropy ? "ce" : "mse")
                    << ": argument " << m.argument << " entry " << m.index
                    << ": backward " << m.analytic << ", finite differences "
                    << m.numeric;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Models, GradientCheck,
    ::testing::Values(Case{"mlp", mlp()},
                      Case{"lenet", convNet(false, 1, 12, 12)},
                      Case{"resnet", convNet(true, 2, 8, 8)}),
    [](const auto &info) { return std::string(info.param.name); });

// The comparison must be able to fail: a gradient off by 20% in one
// parameter (as a wrong scale in the backward would be) is reported.
TEST(GradientCheckSelfTest, ReportsAWrongGradient) {
  Step step(mlp(), plainSgd(), /*seed=*/7);
  ASSERT_EQ(step.error, "");
  auto g = analyticGradients(step);
  for (float &v : g[0])
    v *= 1.2f;
  int checked = 0;
  auto bad = compare(step, g, /*seed=*/11, &checked);
  ASSERT_FALSE(bad.empty());
  for (const Mismatch &m : bad)
    EXPECT_EQ(m.argument, step.parameters[0]);
}

// SGD with momentum and weight decay, PyTorch's form:
// v' = mu v + g + wd w, w' = w - lr v'.
TEST(TrainStep, SgdWithMomentumAndWeightDecay) {
  StepOptions o = plainSgd();
  Step plain(mlp(), o, /*seed=*/3);
  ASSERT_EQ(plain.error, "");
  auto g = analyticGradients(plain);

  o.momentum = 0.9;
  o.weightDecay = 0.01;
  Step step(mlp(), o, /*seed=*/3);
  ASSERT_EQ(step.error, "");
  const float lr = 0.25f;
  step.args[2].f32[0] = lr;
  // Same data and parameters as `plain` (same seed, same draws), then the
  // velocities.
  for (size_t p = 0; p < plain.parameters.size(); ++p)
    step.args[step.parameters[p]] = plain.args[plain.parameters[p]];
  std::vector<HostTensor> out = step.run();
  size_t np = step.parameters.size();
  ASSERT_EQ(out.size(), 2 * np + 1);
  for (size_t p = 0; p < np; ++p) {
    const HostTensor &w = step.args[step.parameters[p]];
    const HostTensor &v = step.args[step.parameters[p] + np];
    for (int64_t i = 0; i < w.count(); ++i) {
      float vNew = 0.9f * v.f32[i] + (g[p][i] + 0.01f * w.f32[i]);
      EXPECT_NEAR(out[np + p].f32[i], vNew, 1e-5f) << "velocity " << p;
      EXPECT_NEAR(out[p].f32[i], w.f32[i] - lr * vNew, 1e-5f)
          << "parameter " << p;
    }
  }
}

// Max pooling routes a window's gradient to one maximum on ties (quantized
// activations tie often). With conv1's weights zero its outputs are its
// bias everywhere: every pooling window is a four-way tie, and shifting the
// bias keeps it one, so the loss is smooth in the bias and central
// differences give its gradient. Routing to every tied input would give
// four times that.
TEST(GradientCheckTies, MaxPoolRoutesEachWindowOnce) {
  Step step(convNet(false, 1, 12, 12), plainSgd(), /*seed=*/5);
  ASSERT_EQ(step.error, "");
  HostTensor &weight = step.args[step.parameters[0]];
  HostTensor &bias = step.args[step.parameters[1]];
  for (float &v : weight.f32)
    v = 0.0f;
  for (float &v : bias.f32)
    v = 0.5f;
  auto g = analyticGradients(step);
  for (int64_t i = 0; i < bias.count(); ++i) {
    const float h = 1e-3f;
    bias.f32[i] = 0.5f + h;
    double up = step.loss();
    bias.f32[i] = 0.5f - h;
    double down = step.loss();
    bias.f32[i] = 0.5f;
    double numeric = (up - down) / (2.0 * h);
    EXPECT_NEAR(g[1][i], numeric,
                kAbsTolerance + kRelTolerance * std::fabs(numeric))
        << "conv1 bias " << i;
  }
}

TEST(TrainStep, BadOptionsAreErrors) {
  auto ctx = createJitContext();
  StepOptions o = plainSgd();
  o.batch = 0;
  MlpOptions m;
  m.step = o;
  auto r = buildMlp(*ctx, m);
  ASSERT_FALSE(r);
  EXPECT_EQ(llvm::toString(r.takeError()), "batch must be at least 1, got 0");
  ConvNetOptions c;
  c.height = 9; // the first pool needs an even height
  auto l = buildLeNet(*ctx, c);
  ASSERT_FALSE(l);
  EXPECT_NE(llvm::toString(l.takeError()).find("layer 'pool1'"),
            std::string::npos);
}

} // namespace
