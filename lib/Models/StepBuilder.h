//===- StepBuilder.h - Tensor-level building blocks of training steps -----===//
//
// Small builders over linalg/tensor/arith/math on f32 tensors of static
// shapes, each at the current layer's location: the vocabulary the layers
// (Layers.h) write forward and backward passes in.
//
//===----------------------------------------------------------------------===//

#ifndef QTRAIN_LIB_MODELS_STEPBUILDER_H
#define QTRAIN_LIB_MODELS_STEPBUILDER_H

#include "mlir/Dialect/Utils/StructuredOpsUtils.h"
#include "mlir/IR/AffineMap.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/ImplicitLocOpBuilder.h"

#include "llvm/Support/Error.h"

namespace qtrain::models {

using Shape = llvm::SmallVector<int64_t, 4>;

/// The body of a linalg.generic: the scalar arguments (inputs, then the
/// output's current value) to the yielded value. The builder passed is the
/// StepBuilder's own, positioned in the body, so its scalar helpers apply.
using BodyFn = llvm::function_ref<mlir::Value(mlir::ImplicitLocOpBuilder &,
                                              mlir::ValueRange)>;

class StepBuilder {
public:
  explicit StepBuilder(mlir::ImplicitLocOpBuilder &b) : b(b) {}

  mlir::ImplicitLocOpBuilder &builder() { return b; }
  /// Following ops carry loc(name).
  void setLayer(llvm::StringRef name);

  mlir::RankedTensorType f32(llvm::ArrayRef<int64_t> shape) const;
  static Shape shapeOf(mlir::Value v);
  mlir::Value constant(double v);

  /// A tensor of `shape` filled with `value`.
  mlir::Value filled(llvm::ArrayRef<int64_t> shape, double value);

  /// A linalg.generic with one f32 output of `outShape` (initialised to
  /// `init`, or left uninitialised when the body ignores it) over an
  /// iteration space of `dims` dimensions. `maps` holds one map per input
  /// and the output's last.
  mlir::Value generic(llvm::ArrayRef<int64_t> outShape, mlir::ValueRange inputs,
                      llvm::ArrayRef<mlir::AffineMap> maps,
                      llvm::ArrayRef<mlir::utils::IteratorType> iterators,
                      BodyFn body, std::optional<double> init = std::nullopt);

  /// Elementwise over inputs of one shape (identity maps).
  mlir::Value map(mlir::ValueRange inputs, BodyFn body);
  /// Elementwise `x` with a value broadcast along `axis` of x (a rank-1
  /// tensor of x's size there): body(x, v).
  mlir::Value mapAlong(mlir::Value x, mlir::Value v, unsigned axis,
                       BodyFn body);
  /// Elementwise `x` with a 0-d tensor `s`: body(x, s).
  mlir::Value mapScalar(mlir::Value x, mlir::Value s, BodyFn body);
  /// The sum of x over every axis but `axis` (a rank-1 result).
  mlir::Value sumAllBut(mlir::Value x, unsigned axis);

  /// C = op(A) x op(B) as linalg.matmul (transposed forms via its
  /// indexing maps).
  mlir::Value matmul(mlir::Value a, mlir::Value bm, bool transposeA = false,
                     bool transposeB = false);

  // Scalar helpers for bodies.
  mlir::Value add(mlir::Value x, mlir::Value y);
  mlir::Value sub(mlir::Value x, mlir::Value y);
  mlir::Value mul(mlir::Value x, mlir::Value y);

  mlir::AffineMap identity(unsigned dims) const;
  /// The map from `dims` loop dimensions to the listed ones.
  mlir::AffineMap project(unsigned dims,
                          llvm::ArrayRef<unsigned> results) const;
  mlir::AffineMap map(unsigned dims,
                      llvm::ArrayRef<mlir::AffineExpr> results) const;

private:
  mlir::ImplicitLocOpBuilder &b;
};

} // namespace qtrain::models

#endif // QTRAIN_LIB_MODELS_STEPBUILDER_H
