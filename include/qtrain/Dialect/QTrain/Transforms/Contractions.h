//===- Contractions.h - The GEMMs of a training step and their roles -*- C++
//-*-//
//
// What qtrain's recipe passes share: which upstream ops are the
// contractions of a training step (docs/TrainingSteps.md fixes the forms),
// the attributes qtrain-infer-roles leaves on them, and the layer an op
// belongs to.
//
//===----------------------------------------------------------------------===//

#ifndef QTRAIN_DIALECT_QTRAIN_TRANSFORMS_CONTRACTIONS_H
#define QTRAIN_DIALECT_QTRAIN_TRANSFORMS_CONTRACTIONS_H

#include "qtrain/Dialect/QTrain/IR/QTrainAttrs.h"
#include "qtrain/Dialect/QTrain/IR/StepAttributes.h"

#include "mlir/IR/Location.h"
#include "mlir/IR/Operation.h"
#include "mlir/IR/Value.h"

#include <optional>
#include <string>

namespace qtrain {

/// The contraction forms of a training step.
enum class ContractionForm {
  /// linalg.matmul or linalg.batch_matmul with the plain, transposed-A or
  /// transposed-B maps, or the linalg.generic with those maps (loops m, n,
  /// k and a multiply-accumulate body).
  Matmul,
  /// linalg.conv_2d_nchw_fchw, unit strides and dilations.
  ConvForward,
  /// The linalg.generic "conv2d backward data" form (docs/TrainingSteps.md).
  ConvBackwardData,
  /// The linalg.generic "conv2d backward weight" form.
  ConvBackwardWeight,
};

/// A matched contraction: two operands, one zero-initialised output.
struct Contraction {
  mlir::Operation *op = nullptr;
  ContractionForm form = ContractionForm::Matmul;
  mlir::Value lhs, rhs, init;
  /// Which of the linalg op's two inputs is `lhs` (the other is `rhs`): 1
  /// for the backward-weight form, whose first input is the gradient.
  unsigned lhsInput = 0;
  bool transposeA = false, transposeB = false; ///< Matmul only
  /// The operand's dimension that the contraction reduces (a quantize's
  /// `reduction_axis`).
  int64_t lhsReductionAxis = 0, rhsReductionAxis = 0;
};

/// `op` as a contraction of a supported form, or nullopt.
std::optional<Contraction> matchContraction(mlir::Operation *op);

/// Whether `v` is a linalg.fill of +0.0 (or a constant of zeros).
bool isZeroTensor(mlir::Value v);

/// The layer a location names: a NameLoc's name, or the first one inside a
/// fused or call-site location; empty when there is none.
std::string layerOf(mlir::Location loc);

/// Whether `fn` (a func.func) is a training step: one of its results is
/// marked qtrain.role = "loss" (qtrain-infer-roles marks the one it finds).
/// The state the recipe passes add to a function that is not (a
/// prediction) is read-only: arguments without results, no statistics.
bool isTrainingStep(mlir::Operation *fn);

} // namespace qtrain

#endif // QTRAIN_DIALECT_QTRAIN_TRANSFORMS_CONTRACTIONS_H
