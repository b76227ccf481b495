//===- StepAttributes.h - Discardable attributes of training steps -*- C++ -*-//
//
// The names of the attributes that training-step builders, qtrain's recipe
// passes and runners exchange (docs/TrainingSteps.md, docs/Passes.md).
// Header only, no dependencies, so that libraries without the dialect
// (lib/Models) share the one spelling.
//
//===----------------------------------------------------------------------===//

#ifndef QTRAIN_DIALECT_QTRAIN_IR_STEPATTRIBUTES_H
#define QTRAIN_DIALECT_QTRAIN_IR_STEPATTRIBUTES_H

#include "llvm/ADT/StringRef.h"

namespace qtrain {

/// Arguments and results: "input", "label", "hyperparameter", "weight"
/// (every trained parameter), "optimizer_state", "seed", "amax_history",
/// "loss". On quantize ops made by qtrain-assign-precision: the tensor role
/// ("W", "A", "E", "G").
inline constexpr llvm::StringLiteral kRoleAttr = "qtrain.role";
/// The layer (a location name) an argument, result or quantize belongs to.
inline constexpr llvm::StringLiteral kLayerAttr = "qtrain.layer";
/// Parameters: how a runner initialises them ("kaiming_uniform" with
/// `qtrain.fan_in`, or "zeros").
inline constexpr llvm::StringLiteral kInitAttr = "qtrain.init";
inline constexpr llvm::StringLiteral kFanInAttr = "qtrain.fan_in";
/// Results that are the next value of an argument (state threaded from
/// step to step): the argument's index.
inline constexpr llvm::StringLiteral kUpdatesAttr = "qtrain.updates";
/// Contractions (set by qtrain-infer-roles) and the quantize ops of their
/// operands: which GEMM of the step (#qtrain.conv_kind<...>).
inline constexpr llvm::StringLiteral kGemmAttr = "qtrain.gemm";
/// Contractions: the roles of the two inputs, in operand order ("A", "W",
/// "E").
inline constexpr llvm::StringLiteral kOperandRolesAttr = "qtrain.operand_roles";
/// The tensor.generate qtrain-decompose makes of qtrain.delayed_scale's
/// window (the history without its oldest entry, the new amax appended),
/// for targets that map the shift as a whole.
inline constexpr llvm::StringLiteral kHistoryShiftAttr = "qtrain.history_shift";
/// The tensor.generate qtrain-decompose makes of a convolution's taps (the
/// im2col matrix of the input or, for backward_data, of the output
/// gradient, at full rank): the convolution's kind, strides, padding and
/// dilations, for targets that map the gather as a whole.
inline constexpr llvm::StringLiteral kIm2colAttr = "qtrain.im2col";

} // namespace qtrain

#endif // QTRAIN_DIALECT_QTRAIN_IR_STEPATTRIBUTES_H
