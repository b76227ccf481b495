//===- GradientAngle.h - Weight-gradient angles between two steps -*- C++
//-*-===//
//
// The DGA paper's error metric in a training run: the angle between the
// weight gradients that two compilations of a step (two recipes, e.g. FP12
// accumulation and the same operands accumulated in f32) compute from the
// same parameters, batch and stochastic-rounding seed.
//
//===----------------------------------------------------------------------===//

#ifndef QTRAIN_TRAIN_GRADIENTANGLE_H
#define QTRAIN_TRAIN_GRADIENTANGLE_H

#include "qtrain/Train/CompiledStep.h"

#include <string>
#include <vector>

namespace qtrain::train {

/// The names of `step`'s parameters (arguments with role "weight", in
/// argument order): "<layer>.weight" for a kaiming_uniform parameter,
/// "<layer>.bias" for a zeros one (with ".<k>" when a layer repeats one).
std::vector<std::string> parameterNames(const CompiledStep &step);

/// Per parameter of `step`, the angle in degrees between the gradient that
/// `step` and the one `reference` computes, one step each from `args`
/// (which neither call changes). Each side's gradient is the update
/// direction SGD applies: with velocities, the new velocity of a zero
/// velocity (gradient plus weight decay); without, -(w' - w) / lr.
/// `reference` takes `args`' inputs, parameters and velocities and every
/// other argument it shares with `step` (same role, tensor role, layer and
/// rank among those); its own state starts at zero.
llvm::Expected<std::vector<double>>
gradientAngles(CompiledStep &step, CompiledStep &reference,
               const std::vector<HostTensor> &args);

} // namespace qtrain::train

#endif // QTRAIN_TRAIN_GRADIENTANGLE_H
