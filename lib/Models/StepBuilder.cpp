//===- StepBuilder.cpp - Tensor-level building blocks of training steps ---===//

#include "StepBuilder.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;

namespace qtrain::models {

void StepBuilder::setLayer(StringRef name) {
  b.setLoc(NameLoc::get(b.getStringAttr(name)));
}

RankedTensorType StepBuilder::f32(ArrayRef<int64_t> shape) const {
  return RankedTensorType::get(shape, b.getF32Type());
}

Shape StepBuilder::shapeOf(Value v) {
  return Shape(llvm::cast<RankedTensorType>(v.getType()).getShape());
}

Value StepBuilder::constant(double v) {
  return arith::ConstantOp::create(b, b.getF32FloatAttr(static_cast<float>(v)));
}

Value StepBuilder::filled(ArrayRef<int64_t> shape, double value) {
  Value empty = tensor::EmptyOp::create(b, shape, b.getF32Type());
  return linalg::FillOp::create(b, ValueRange{constant(value)},
                                ValueRange{empty})
      .getResult(0);
}

Value StepBuilder::generic(ArrayRef<int64_t> outShape, ValueRange inputs,
                           ArrayRef<AffineMap> maps,
                           ArrayRef<utils::IteratorType> iterators, BodyFn body,
                           std::optional<double> init) {
  Value out = init
                  ? filled(outShape, *init)
                  : Value(tensor::EmptyOp::create(b, outShape, b.getF32Type()));
  auto op = linalg::GenericOp::create(
      b, b.getLoc(), TypeRange{f32(outShape)}, inputs, ValueRange{out}, maps,
      iterators, [&](OpBuilder &nb, Location, ValueRange args) {
        // The body is built with `b` itself (so the scalar helpers work),
        // positioned in the new block.
        OpBuilder::InsertionGuard guard(b);
        b.setInsertionPoint(nb.getInsertionBlock(), nb.getInsertionPoint());
        Value result = body(b, args);
        linalg::YieldOp::create(b, ValueRange{result});
      });
  return op.getResult(0);
}

Value StepBuilder::map(ValueRange inputs, BodyFn body) {
  Shape shape = shapeOf(inputs.front());
  SmallVector<AffineMap> maps(inputs.size() + 1, identity(shape.size()));
  SmallVector<utils::IteratorType> its(shape.size(),
                                       utils::IteratorType::parallel);
  return generic(shape, inputs, maps, its, body);
}

Value StepBuilder::mapAlong(Value x, Value v, unsigned axis, BodyFn body) {
  Shape shape = shapeOf(x);
  unsigned n = shape.size();
  SmallVector<utils::IteratorType> its(n, utils::IteratorType::parallel);
  return generic(shape, ValueRange{x, v},
                 {identity(n), project(n, {axis}), identity(n)}, its, body);
}

Value StepBuilder::mapScalar(Value x, Value s, BodyFn body) {
  Shape shape = shapeOf(x);
  unsigned n = shape.size();
  SmallVector<utils::IteratorType> its(n, utils::IteratorType::parallel);
  return generic(shape, ValueRange{x, s},
                 {identity(n), project(n, {}), identity(n)}, its, body);
}

Value StepBuilder::sumAllBut(Value x, unsigned axis) {
  Shape shape = shapeOf(x);
  unsigned n = shape.size();
  SmallVector<utils::IteratorType> its(n, utils::IteratorType::reduction);
  its[axis] = utils::IteratorType::parallel;
  return generic(
      {shape[axis]}, ValueRange{x}, {identity(n), project(n, {axis})}, its,
      [&](ImplicitLocOpBuilder &, ValueRange a) { return add(a[1], a[0]); },
      0.0);
}

Value StepBuilder::matmul(Value a, Value bm, bool transposeA, bool transposeB) {
  Shape sa = shapeOf(a), sb = shapeOf(bm);
  int64_t m = transposeA ? sa[1] : sa[0];
  int64_t n = transposeB ? sb[0] : sb[1];
  Value out = filled({m, n}, 0.0);
  SmallVector<Value, 2> ins = {a, bm}, outs = {out};
  Location loc = b.getLoc();
  if (transposeA && transposeB)
    llvm_unreachable("no step transposes both operands");
  if (transposeA)
    return linalg::MatmulTransposeAOp::create(b, loc, ins, outs).getResult(0);
  if (transposeB)
    return linalg::MatmulTransposeBOp::create(b, loc, ins, outs).getResult(0);
  return linalg::MatmulOp::create(b, loc, ins, outs).getResult(0);
}

Value StepBuilder::add(Value x, Value y) {
  return arith::AddFOp::create(b, x, y);
}
Value StepBuilder::sub(Value x, Value y) {
  return arith::SubFOp::create(b, x, y);
}
Value StepBuilder::mul(Value x, Value y) {
  return arith::MulFOp::create(b, x, y);
}

AffineMap StepBuilder::identity(unsigned dims) const {
  return AffineMap::getMultiDimIdentityMap(dims, b.getContext());
}

AffineMap StepBuilder::project(unsigned dims,
                               ArrayRef<unsigned> results) const {
  SmallVector<AffineExpr> exprs;
  for (unsigned r : results)
    exprs.push_back(b.getAffineDimExpr(r));
  return map(dims, exprs);
}

AffineMap StepBuilder::map(unsigned dims, ArrayRef<AffineExpr> results) const {
  return AffineMap::get(dims, 0, results, b.getContext());
}

} // namespace qtrain::models
