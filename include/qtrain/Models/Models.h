//===- Models.h - Training steps of real networks in upstream MLIR -*- C++ -*-//
//
// Builders of training steps (docs/TrainingSteps.md): one module per network
// with
//
//   func.func @train_step(%x, %labels, %lr, params..., velocities...)
//       -> (params'..., velocities'..., %loss)
//   func.func @predict(%x, params...) -> %logits
//
// written in func, linalg, tensor, arith and math on tensors, without any
// qtrain op: the passes decide the precision. Contractions are linalg named
// ops (matmul and its transposed forms, conv_2d_nchw_fchw) and the two
// documented generic forms of the backward convolutions; every op carries a
// location naming its layer (loc("fc1")), and every argument a `qtrain.role`.
//
//===----------------------------------------------------------------------===//

#ifndef QTRAIN_MODELS_MODELS_H
#define QTRAIN_MODELS_MODELS_H

#include "qtrain/Dialect/QTrain/IR/StepAttributes.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"

#include "llvm/Support/Error.h"

#include <cstdint>
#include <string>
#include <vector>

namespace mlir {
class DialectRegistry;
class MLIRContext;
} // namespace mlir

namespace qtrain::models {

/// Names shared by the builders, the passes and the runner.
inline constexpr llvm::StringLiteral kTrainStep = "train_step";
inline constexpr llvm::StringLiteral kPredict = "predict";
/// The argument and result attributes (qtrain.role, qtrain.layer, ...).
using qtrain::kFanInAttr;
using qtrain::kInitAttr;
using qtrain::kLayerAttr;
using qtrain::kRoleAttr;
using qtrain::kUpdatesAttr;

enum class Loss { CrossEntropy, MeanSquaredError };

/// What every training step shares: the batch, the classes, the loss and
/// the optimizer (SGD with momentum and weight decay, PyTorch's form:
/// g' = g + wd * w, v' = momentum * v + g', w' = w - lr * v').
struct StepOptions {
  int64_t batch = 64;
  int64_t classes = 10;
  Loss loss = Loss::CrossEntropy;
  /// 0: plain SGD, and the step has no velocity arguments.
  double momentum = 0.9;
  double weightDecay = 0.0;
};

/// A multi-layer perceptron: fc1 .. fcN with ReLU between them.
struct MlpOptions {
  StepOptions step;
  int64_t inputs = 784;
  /// Hidden layer sizes (may be empty: a linear classifier).
  std::vector<int64_t> hidden = {256, 128};
};

/// The convolutional networks take NCHW images.
struct ConvNetOptions {
  StepOptions step;
  int64_t channels = 1, height = 28, width = 28;
};

/// The dialects the built modules use.
void registerModelDialects(mlir::DialectRegistry &registry);

/// fc1 .. fcN.
llvm::Expected<mlir::OwningOpRef<mlir::ModuleOp>>
buildMlp(mlir::MLIRContext &context, const MlpOptions &options);

/// LeNet-style: conv1 (6 filters 5x5, padding 2) relu pool, conv2 (16
/// filters 5x5) relu pool, fc1 (120) relu, fc2 (classes). Pools are 2x2
/// max pools with stride 2.
llvm::Expected<mlir::OwningOpRef<mlir::ModuleOp>>
buildLeNet(mlir::MLIRContext &context, const ConvNetOptions &options);

/// A small residual CNN: stem (8 filters 3x3, padding 1) relu pool, res1
/// (two 3x3 convolutions with a skip connection, relu after the sum) pool,
/// fc (classes).
llvm::Expected<mlir::OwningOpRef<mlir::ModuleOp>>
buildResNet(mlir::MLIRContext &context, const ConvNetOptions &options);

} // namespace qtrain::models

#endif // QTRAIN_MODELS_MODELS_H
