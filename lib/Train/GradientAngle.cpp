//===- GradientAngle.cpp - Weight-gradient angles between two steps -------===//

#include "qtrain/Train/GradientAngle.h"

#include "qtrain/Numerics/Accumulation.h"

#include <cmath>
#include <map>
#include <tuple>

namespace qtrain::train {
namespace {

using Key = std::tuple<std::string, std::string, std::string, unsigned>;

/// Each argument's key: (role, tensor role, layer, rank among the
/// arguments of the same three).
std::vector<Key> argumentKeys(const CompiledStep &step) {
  std::map<std::tuple<std::string, std::string, std::string>, unsigned> seen;
  std::vector<Key> keys;
  for (const StepArgument &a : step.arguments()) {
    unsigned k = seen[{a.role, a.tensorRole, a.layer}]++;
    keys.emplace_back(a.role, a.tensorRole, a.layer, k);
  }
  return keys;
}

bool sameKind(const HostTensor &a, const HostTensor &b) {
  return a.shape == b.shape && a.isInt == b.isInt && a.isI64 == b.isI64 &&
         a.isScalar == b.isScalar;
}

/// A copy that owns its elements (an adopted buffer may be written by the
/// compiled code in place).
HostTensor deepCopy(const HostTensor &t) {
  HostTensor c = t;
  if (!t.external)
    return c;
  c.external.reset();
  size_t n = t.count();
  if (t.isI64)
    c.i64.assign(t.values<int64_t>(), t.values<int64_t>() + n);
  else if (t.isInt)
    c.i32.assign(t.values<int32_t>(), t.values<int32_t>() + n);
  else
    c.f32.assign(t.values<float>(), t.values<float>() + n);
  return c;
}

/// The update direction of every parameter after one step of `step` on
/// `args` (velocities zeroed first).
llvm::Expected<std::vector<std::vector<double>>>
updateDirections(CompiledStep &step, std::vector<HostTensor> args) {
  const auto &as = step.arguments();
  // Velocity of the k-th parameter of a layer: the k-th optimizer state of
  // the layer (TrainingSteps.md's order).
  std::map<std::string, std::vector<unsigned>> params, velocities;
  for (unsigned i = 0; i < as.size(); ++i) {
    if (as[i].role == "weight")
      params[as[i].layer].push_back(i);
    if (as[i].role == "optimizer_state")
      velocities[as[i].layer].push_back(i);
  }
  for (auto &[layer, vs] : velocities)
    for (unsigned v : vs)
      std::fill(args[v].f32.begin(), args[v].f32.end(), 0.0f);
  std::vector<HostTensor> before = args;
  float lr = args[step.learningRateArgument()].f32[0];
  auto loss = step.step(args);
  if (!loss)
    return loss.takeError();
  std::vector<std::vector<double>> out;
  for (unsigned i = 0; i < as.size(); ++i) {
    if (as[i].role != "weight")
      continue;
    const auto &ps = params[as[i].layer];
    size_t k = std::find(ps.begin(), ps.end(), i) - ps.begin();
    const auto &vs = velocities[as[i].layer];
    size_t n = args[i].count();
    std::vector<double> d(n);
    if (k < vs.size()) {
      const float *v = args[vs[k]].values<float>();
      for (size_t e = 0; e < n; ++e)
        d[e] = v[e];
    } else {
      const float *w1 = args[i].values<float>();
      const float *w0 = before[i].values<float>();
      for (size_t e = 0; e < n; ++e)
        d[e] = -(double(w1[e]) - double(w0[e])) / lr;
    }
    out.push_back(std::move(d));
  }
  return out;
}

} // namespace

std::vector<std::string> parameterNames(const CompiledStep &step) {
  std::map<std::string, unsigned> seen;
  std::vector<std::string> names;
  for (const StepArgument &a : step.arguments()) {
    if (a.role != "weight")
      continue;
    std::string name = (a.layer.empty() ? "param" : a.layer) + "." +
                       (a.init == "zeros" ? "bias" : "weight");
    unsigned k = seen[name]++;
    names.push_back(k ? name + "." + std::to_string(k) : name);
  }
  return names;
}

llvm::Expected<std::vector<double>>
gradientAngles(CompiledStep &step, CompiledStep &reference,
               const std::vector<HostTensor> &args) {
  std::vector<HostTensor> mine;
  for (const HostTensor &t : args)
    mine.push_back(deepCopy(t));
  // The reference's arguments: its own zeros, then whatever it shares.
  std::vector<HostTensor> theirs = reference.initialArguments(0);
  std::map<Key, unsigned> myIndex;
  std::vector<Key> myKeys = argumentKeys(step);
  for (unsigned i = 0; i < myKeys.size(); ++i)
    myIndex[myKeys[i]] = i;
  std::vector<Key> theirKeys = argumentKeys(reference);
  for (unsigned j = 0; j < theirKeys.size(); ++j) {
    auto it = myIndex.find(theirKeys[j]);
    // (The steps live in different contexts: compare shapes, not types.)
    if (it != myIndex.end() && sameKind(mine[it->second], theirs[j]))
      theirs[j] = mine[it->second];
  }
  auto place = [&](unsigned mineAt, unsigned theirsAt) {
    theirs[theirsAt] = mine[mineAt];
  };
  place(step.inputArgument(), reference.inputArgument());
  place(step.labelArgument(), reference.labelArgument());
  place(step.learningRateArgument(), reference.learningRateArgument());
  if (step.seedArgument() && reference.seedArgument())
    place(*step.seedArgument(), *reference.seedArgument());

  auto a = updateDirections(step, mine);
  if (!a)
    return a.takeError();
  auto b = updateDirections(reference, theirs);
  if (!b)
    return b.takeError();
  if (a->size() != b->size())
    return llvm::createStringError(
        llvm::inconvertibleErrorCode(),
        "the reference step has another number of parameters");
  std::vector<double> angles;
  for (size_t p = 0; p < a->size(); ++p) {
    if ((*a)[p].size() != (*b)[p].size())
      return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                     "parameter " + std::to_string(p) +
                                         " differs in size between the steps");
    angles.push_back(numerics::vectorAngle((*a)[p], (*b)[p]) * 180.0 / M_PI);
  }
  return angles;
}

} // namespace qtrain::train
