//===- Layers.cpp - Forward and backward of the layers of a network -------===//

#include "Layers.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

#include "llvm/Support/FormatVariadic.h"

using namespace mlir;

namespace qtrain::models {

Layer::~Layer() = default;

namespace {

using utils::IteratorType;
constexpr IteratorType kPar = IteratorType::parallel;
constexpr IteratorType kRed = IteratorType::reduction;

llvm::Error shapeError(const Layer &layer, const llvm::Twine &why) {
  return llvm::createStringError(
      llvm::formatv("layer '{0}': {1}", layer.getName(), why).str());
}

std::string shapeText(const Shape &s) {
  std::string text;
  llvm::raw_string_ostream os(text);
  llvm::interleave(s, os, "x");
  return text;
}

//===----------------------------------------------------------------------===//
// Linear
//===----------------------------------------------------------------------===//

class Linear : public Layer {
public:
  Linear(std::string name, int64_t in, int64_t out)
      : Layer(std::move(name)), in(in), out(out) {}

  llvm::SmallVector<ParamSpec> params() const override {
    return {{"weight", {in, out}, "kaiming_uniform", in},
            {"bias", {out}, "zeros", in}};
  }
  llvm::Expected<Shape> outputShape(const Shape &s) const override {
    if (s.size() != 2 || s[1] != in)
      return shapeError(*this, llvm::formatv("expects [N, {0}] inputs, got {1}",
                                             in, shapeText(s)));
    return Shape{s[0], out};
  }
  Value forward(StepBuilder &sb, Value x, ArrayRef<Value> p) override {
    input = x;
    Value y = sb.matmul(x, p[0]);
    return sb.mapAlong(y, p[1], 1, [&](ImplicitLocOpBuilder &, ValueRange a) {
      return sb.add(a[0], a[1]);
    });
  }
  Value backward(StepBuilder &sb, Value dy, ArrayRef<Value> p,
                 SmallVectorImpl<Value> &grads, bool needInputGrad) override {
    grads.push_back(sb.matmul(input, dy, /*transposeA=*/true));
    grads.push_back(sb.sumAllBut(dy, 1));
    return needInputGrad ? sb.matmul(dy, p[0], false, /*transposeB=*/true)
                         : Value();
  }

private:
  int64_t in, out;
  Value input;
};

//===----------------------------------------------------------------------===//
// ReLU
//===----------------------------------------------------------------------===//

class Relu : public Layer {
public:
  using Layer::Layer;
  llvm::Expected<Shape> outputShape(const Shape &s) const override { return s; }
  Value forward(StepBuilder &sb, Value x, ArrayRef<Value>) override {
    input = x;
    return sb.map(x, [&](ImplicitLocOpBuilder &b, ValueRange a) -> Value {
      return arith::MaximumFOp::create(b, a[0], sb.constant(0.0));
    });
  }
  Value backward(StepBuilder &sb, Value dy, ArrayRef<Value>,
                 SmallVectorImpl<Value> &, bool) override {
    return sb.map(ValueRange{input, dy},
                  [&](ImplicitLocOpBuilder &b, ValueRange a) -> Value {
                    Value positive = arith::CmpFOp::create(
                        b, arith::CmpFPredicate::OGT, a[0], sb.constant(0.0));
                    return arith::SelectOp::create(b, positive, a[1],
                                                   sb.constant(0.0));
                  });
  }

private:
  Value input;
};

//===----------------------------------------------------------------------===//
// Conv2d
//===----------------------------------------------------------------------===//

/// x zero-padded by `pad` on both sides of its two trailing dimensions.
Value padSpatial(StepBuilder &sb, Value x, int64_t pad) {
  if (pad == 0)
    return x;
  ImplicitLocOpBuilder &b = sb.builder();
  Shape s = StepBuilder::shapeOf(x);
  Shape padded = {s[0], s[1], s[2] + 2 * pad, s[3] + 2 * pad};
  SmallVector<OpFoldResult> lo = {b.getIndexAttr(0), b.getIndexAttr(0),
                                  b.getIndexAttr(pad), b.getIndexAttr(pad)};
  return tensor::PadOp::create(b, sb.f32(padded), x, lo, lo, sb.constant(0.0))
      .getResult();
}

class Conv2d : public Layer {
public:
  Conv2d(std::string name, int64_t in, int64_t out, int64_t k, int64_t pad)
      : Layer(std::move(name)), in(in), out(out), k(k), pad(pad) {}

  llvm::SmallVector<ParamSpec> params() const override {
    return {{"weight", {out, in, k, k}, "kaiming_uniform", in * k * k},
            {"bias", {out}, "zeros", in * k * k}};
  }
  llvm::Expected<Shape> outputShape(const Shape &s) const override {
    if (s.size() != 4 || s[1] != in)
      return shapeError(*this,
                        llvm::formatv("expects [N, {0}, H, W] inputs, got {1}",
                                      in, shapeText(s)));
    int64_t oh = s[2] + 2 * pad - k + 1, ow = s[3] + 2 * pad - k + 1;
    if (oh < 1 || ow < 1)
      return shapeError(*this, llvm::formatv("a {0}x{0} kernel does not fit "
                                             "{1} inputs with padding {2}",
                                             k, shapeText(s), pad));
    return Shape{s[0], out, oh, ow};
  }

  Value forward(StepBuilder &sb, Value x, ArrayRef<Value> p) override {
    ImplicitLocOpBuilder &b = sb.builder();
    inputShape = StepBuilder::shapeOf(x);
    padded = padSpatial(sb, x, pad);
    Shape ys = *outputShape(inputShape);
    auto i64x2 = RankedTensorType::get({2}, b.getI64Type());
    auto ones = DenseIntElementsAttr::get(i64x2, ArrayRef<int64_t>{1, 1});
    Value y = linalg::Conv2DNchwFchwOp::create(
                  b, TypeRange{sb.f32(ys)}, ValueRange{padded, p[0]},
                  ValueRange{sb.filled(ys, 0.0)}, ones, ones)
                  .getResult(0);
    return sb.mapAlong(y, p[1], 1, [&](ImplicitLocOpBuilder &, ValueRange a) {
      return sb.add(a[0], a[1]);
    });
  }

  Value backward(StepBuilder &sb, Value dy, ArrayRef<Value> p,
                 SmallVectorImpl<Value> &grads, bool needInputGrad) override {
    ImplicitLocOpBuilder &b = sb.builder();
    auto mac = [&](ImplicitLocOpBuilder &, ValueRange a) {
      return sb.add(a[2], sb.mul(a[0], a[1]));
    };
    auto d = [&](unsigned i) { return b.getAffineDimExpr(i); };
    // conv2d backward weight, loops (f, c, kh, kw, n, oh, ow):
    //   dW[f, c, kh, kw] += dY[n, f, oh, ow] * Xpad[n, c, oh + kh, ow + kw]
    grads.push_back(
        sb.generic({out, in, k, k}, ValueRange{dy, padded},
                   {sb.map(7, {d(4), d(0), d(5), d(6)}),
                    sb.map(7, {d(4), d(1), d(5) + d(2), d(6) + d(3)}),
                    sb.project(7, {0, 1, 2, 3})},
                   {kPar, kPar, kPar, kPar, kRed, kRed, kRed}, mac, 0.0));
    grads.push_back(sb.sumAllBut(dy, 1));
    if (!needInputGrad)
      return Value();
    // conv2d backward data, loops (n, c, h, w, f, kh, kw) over the padded
    // input's positions:
    //   dXpad[n, c, h, w] += dYpad[n, f, h + K-1 - kh, w + K-1 - kw]
    //                        * W[f, c, kh, kw]
    // with dYpad = dY zero-padded by K-1; dX is dXpad without the forward
    // padding.
    Value dyPadded = padSpatial(sb, dy, k - 1);
    Shape ps = StepBuilder::shapeOf(padded);
    Value dxPadded = sb.generic(
        ps, ValueRange{dyPadded, p[0]},
        {sb.map(7, {d(0), d(4), d(2) + (k - 1) - d(5), d(3) + (k - 1) - d(6)}),
         sb.map(7, {d(4), d(1), d(5), d(6)}), sb.project(7, {0, 1, 2, 3})},
        {kPar, kPar, kPar, kPar, kRed, kRed, kRed}, mac, 0.0);
    if (pad == 0)
      return dxPadded;
    SmallVector<int64_t> offsets = {0, 0, pad, pad};
    SmallVector<int64_t> strides = {1, 1, 1, 1};
    return tensor::ExtractSliceOp::create(
               b, sb.f32(inputShape), dxPadded, ValueRange{}, ValueRange{},
               ValueRange{}, offsets, inputShape, strides)
        .getResult();
  }

private:
  int64_t in, out, k, pad;
  Shape inputShape;
  Value padded;
};

//===----------------------------------------------------------------------===//
// MaxPool2
//===----------------------------------------------------------------------===//

class MaxPool2 : public Layer {
public:
  using Layer::Layer;
  llvm::Expected<Shape> outputShape(const Shape &s) const override {
    if (s.size() != 4 || s[2] % 2 || s[3] % 2)
      return shapeError(*this, llvm::formatv("expects [N, C, H, W] inputs with "
                                             "even H and W, got {0}",
                                             shapeText(s)));
    return Shape{s[0], s[1], s[2] / 2, s[3] / 2};
  }
  Value forward(StepBuilder &sb, Value x, ArrayRef<Value>) override {
    ImplicitLocOpBuilder &b = sb.builder();
    input = x;
    Shape ys = *outputShape(StepBuilder::shapeOf(x));
    auto i64x2 = RankedTensorType::get({2}, b.getI64Type());
    Value window =
        tensor::EmptyOp::create(b, ArrayRef<int64_t>{2, 2}, b.getF32Type());
    NamedAttribute attrs[] = {
        b.getNamedAttr("strides", DenseIntElementsAttr::get(
                                      i64x2, ArrayRef<int64_t>{2, 2})),
        b.getNamedAttr("dilations", DenseIntElementsAttr::get(
                                        i64x2, ArrayRef<int64_t>{1, 1}))};
    output =
        linalg::PoolingNchwMaxOp::create(
            b, TypeRange{sb.f32(ys)}, ValueRange{x, window},
            ValueRange{sb.filled(ys, -std::numeric_limits<double>::infinity())},
            attrs)
            .getResult(0);
    return output;
  }
  /// The gradient goes to the first input (in row-major window order) equal
  /// to its window's maximum, as PyTorch routes it: ties (likely once the
  /// inputs are quantized to a coarse grid) do not multiply it.
  Value backward(StepBuilder &sb, Value dy, ArrayRef<Value>,
                 SmallVectorImpl<Value> &, bool) override {
    ImplicitLocOpBuilder &b = sb.builder();
    auto d = [&](unsigned i) { return b.getAffineDimExpr(i); };
    AffineMap window =
        sb.map(4, {d(0), d(1), d(2).floorDiv(2), d(3).floorDiv(2)});
    // The window's first three inputs, (0, 0), (0, 1) and (1, 0).
    auto corner = [&](int64_t r, int64_t c) {
      return sb.map(
          4, {d(0), d(1), d(2).floorDiv(2) * 2 + r, d(3).floorDiv(2) * 2 + c});
    };
    return sb.generic(
        StepBuilder::shapeOf(input),
        ValueRange{input, output, dy, input, input, input},
        {sb.identity(4), window, window, corner(0, 0), corner(0, 1),
         corner(1, 0), sb.identity(4)},
        {kPar, kPar, kPar, kPar},
        [&](ImplicitLocOpBuilder &ib, ValueRange a) -> Value {
          auto eq = [&](Value x, Value y) -> Value {
            return arith::CmpFOp::create(ib, arith::CmpFPredicate::OEQ, x, y);
          };
          // This input's place in its window: 2 * (h mod 2) + (w mod 2).
          auto parity = [&](unsigned dim) -> Value {
            Value i = linalg::IndexOp::create(ib, dim);
            Value two = arith::ConstantIndexOp::create(ib, 2);
            return arith::RemUIOp::create(ib, i, two);
          };
          Value place = arith::AddIOp::create(
              ib,
              arith::MulIOp::create(ib, parity(2),
                                    arith::ConstantIndexOp::create(ib, 2)),
              parity(3));
          // A maximum at an earlier place of the window takes the gradient.
          Value earlier = arith::ConstantIntOp::create(ib, 0, 1);
          for (int64_t k = 0; k < 3; ++k) {
            Value before =
                arith::CmpIOp::create(ib, arith::CmpIPredicate::ugt, place,
                                      arith::ConstantIndexOp::create(ib, k));
            earlier = arith::OrIOp::create(
                ib, earlier,
                arith::AndIOp::create(ib, before, eq(a[3 + k], a[1])));
          }
          Value first = arith::AndIOp::create(
              ib, eq(a[0], a[1]),
              arith::XOrIOp::create(ib, earlier,
                                    arith::ConstantIntOp::create(ib, 1, 1)));
          return arith::SelectOp::create(ib, first, a[2], sb.constant(0.0));
        });
  }

private:
  Value input, output;
};

//===----------------------------------------------------------------------===//
// Flatten
//===----------------------------------------------------------------------===//

class Flatten : public Layer {
public:
  using Layer::Layer;
  llvm::Expected<Shape> outputShape(const Shape &s) const override {
    if (s.size() < 2)
      return shapeError(*this, "expects inputs of rank 2 or more");
    int64_t n = 1;
    for (int64_t v : ArrayRef<int64_t>(s).drop_front())
      n *= v;
    return Shape{s[0], n};
  }
  Value forward(StepBuilder &sb, Value x, ArrayRef<Value>) override {
    inputShape = StepBuilder::shapeOf(x);
    return tensor::CollapseShapeOp::create(sb.builder(), x, reassociation())
        .getResult();
  }
  Value backward(StepBuilder &sb, Value dy, ArrayRef<Value>,
                 SmallVectorImpl<Value> &, bool) override {
    return tensor::ExpandShapeOp::create(sb.builder(), sb.f32(inputShape), dy,
                                         reassociation())
        .getResult();
  }

private:
  SmallVector<ReassociationIndices> reassociation() const {
    ReassociationIndices rest;
    for (int64_t i = 1; i < static_cast<int64_t>(inputShape.size()); ++i)
      rest.push_back(i);
    return {{0}, rest};
  }
  Shape inputShape;
};

//===----------------------------------------------------------------------===//
// Residual block
//===----------------------------------------------------------------------===//

class ResidualBlock : public Layer {
public:
  ResidualBlock(std::string name, int64_t channels)
      : Layer(name), conv1(name + ".conv1", channels, channels, 3, 1),
        conv2(name + ".conv2", channels, channels, 3, 1),
        relu1(name + ".conv1"), relu2(name) {}

  llvm::SmallVector<ParamSpec> params() const override {
    llvm::SmallVector<ParamSpec> all;
    for (const Conv2d *c : {&conv1, &conv2})
      for (ParamSpec p : c->params()) {
        p.layer = c->getName();
        all.push_back(p);
      }
    return all;
  }
  llvm::Expected<Shape> outputShape(const Shape &s) const override {
    return conv1.outputShape(s);
  }
  Value forward(StepBuilder &sb, Value x, ArrayRef<Value> p) override {
    sb.setLayer(conv1.getName());
    Value h = relu1.forward(sb, conv1.forward(sb, x, p.take_front(2)), {});
    sb.setLayer(conv2.getName());
    Value o = conv2.forward(sb, h, p.drop_front(2));
    sb.setLayer(getName());
    Value sum =
        sb.map(ValueRange{o, x}, [&](ImplicitLocOpBuilder &, ValueRange a) {
          return sb.add(a[0], a[1]);
        });
    return relu2.forward(sb, sum, {});
  }
  Value backward(StepBuilder &sb, Value dy, ArrayRef<Value> p,
                 SmallVectorImpl<Value> &grads, bool needInputGrad) override {
    Value dSum = relu2.backward(sb, dy, {}, grads, true);
    SmallVector<Value> g2;
    sb.setLayer(conv2.getName());
    Value dh = conv2.backward(sb, dSum, p.drop_front(2), g2, true);
    sb.setLayer(conv1.getName());
    dh = relu1.backward(sb, dh, {}, grads, true);
    Value dx = conv1.backward(sb, dh, p.take_front(2), grads, needInputGrad);
    grads.append(g2.begin(), g2.end());
    sb.setLayer(getName());
    if (!needInputGrad)
      return Value();
    return sb.map(ValueRange{dx, dSum},
                  [&](ImplicitLocOpBuilder &, ValueRange a) {
                    return sb.add(a[0], a[1]);
                  });
  }

private:
  Conv2d conv1, conv2;
  Relu relu1, relu2;
};

} // namespace

std::unique_ptr<Layer> makeLinear(std::string name, int64_t in, int64_t out) {
  return std::make_unique<Linear>(std::move(name), in, out);
}
std::unique_ptr<Layer> makeRelu(std::string name) {
  return std::make_unique<Relu>(std::move(name));
}
std::unique_ptr<Layer> makeConv2d(std::string name, int64_t inChannels,
                                  int64_t outChannels, int64_t kernel,
                                  int64_t padding) {
  return std::make_unique<Conv2d>(std::move(name), inChannels, outChannels,
                                  kernel, padding);
}
std::unique_ptr<Layer> makeMaxPool2(std::string name) {
  return std::make_unique<MaxPool2>(std::move(name));
}
std::unique_ptr<Layer> makeFlatten(std::string name) {
  return std::make_unique<Flatten>(std::move(name));
}
std::unique_ptr<Layer> makeResidualBlock(std::string name, int64_t channels) {
  return std::make_unique<ResidualBlock>(std::move(name), channels);
}

} // namespace qtrain::models
