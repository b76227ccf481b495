//===- Layers.h - Forward and backward of the layers of a network ---------===//
//
// Each layer builds its forward pass (keeping what its backward needs) and
// its backward pass in tensor-level upstream MLIR (StepBuilder). The
// contractions take the forms docs/TrainingSteps.md fixes:
//
//   linear   forward  Y = X W            linalg.matmul
//            data     dX = dY W^T        linalg.matmul (transposed B maps)
//            weight   dW = X^T dY        linalg.matmul (transposed A maps)
//   conv     forward  linalg.conv_2d_nchw_fchw on the padded input
//            data     linalg.generic "conv2d backward data" (below)
//            weight   linalg.generic "conv2d backward weight" (below)
//
//===----------------------------------------------------------------------===//

#ifndef QTRAIN_LIB_MODELS_LAYERS_H
#define QTRAIN_LIB_MODELS_LAYERS_H

#include "StepBuilder.h"

#include <memory>
#include <string>

namespace qtrain::models {

/// A trained parameter of a layer.
struct ParamSpec {
  std::string name; ///< e.g. "weight", "bias"
  Shape shape;
  std::string init; ///< "kaiming_uniform" or "zeros"
  int64_t fanIn = 0;
  /// The layer the parameter belongs to when not the Layer's own name (a
  /// block's inner layers).
  std::string layer = {};
};

class Layer {
public:
  explicit Layer(std::string name) : name(std::move(name)) {}
  virtual ~Layer();
  const std::string &getName() const { return name; }

  /// The parameters, in argument order.
  virtual llvm::SmallVector<ParamSpec> params() const { return {}; }
  /// The output shape for an input shape, or an error saying why the input
  /// does not fit.
  virtual llvm::Expected<Shape> outputShape(const Shape &in) const = 0;
  /// Y from X, keeping what backward needs.
  virtual mlir::Value forward(StepBuilder &sb, mlir::Value x,
                              llvm::ArrayRef<mlir::Value> params) = 0;
  /// dX from dY (null when `needInputGrad` is false); appends the
  /// gradients of params() to `grads`, in order.
  virtual mlir::Value backward(StepBuilder &sb, mlir::Value dy,
                               llvm::ArrayRef<mlir::Value> params,
                               llvm::SmallVectorImpl<mlir::Value> &grads,
                               bool needInputGrad) = 0;

private:
  std::string name;
};

/// Y = X W + b, X [N, in], W [in, out].
std::unique_ptr<Layer> makeLinear(std::string name, int64_t in, int64_t out);
/// max(x, 0) (NaN stays NaN); its gradient is dY where x > 0.
std::unique_ptr<Layer> makeRelu(std::string name);
/// Stride 1, square kernel, zero padding on every side, with a bias.
std::unique_ptr<Layer> makeConv2d(std::string name, int64_t inChannels,
                                  int64_t outChannels, int64_t kernel,
                                  int64_t padding);
/// 2x2 max pool with stride 2 (even heights and widths only); the gradient
/// goes to every input equal to its window's maximum.
std::unique_ptr<Layer> makeMaxPool2(std::string name);
/// [N, C, H, W] to [N, C*H*W].
std::unique_ptr<Layer> makeFlatten(std::string name);
/// relu(conv2(relu(conv1(x))) + x), both convolutions 3x3 with padding 1
/// and `channels` filters.
std::unique_ptr<Layer> makeResidualBlock(std::string name, int64_t channels);

} // namespace qtrain::models

#endif // QTRAIN_LIB_MODELS_LAYERS_H
