//===- Network.cpp - A network's training step and prediction -------------===//
//
// Assembles @train_step and @predict from a list of layers: the forward
// pass, the loss and its gradient, the backward pass in reverse, and the
// SGD update (docs/TrainingSteps.md).
//
//===----------------------------------------------------------------------===//

#include "Network.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Verifier.h"

#include "llvm/Support/FormatVariadic.h"

using namespace mlir;

namespace qtrain::models {
namespace {

using utils::IteratorType;
constexpr IteratorType kPar = IteratorType::parallel;
constexpr IteratorType kRed = IteratorType::reduction;

/// One parameter of the network, with its layer.
struct NetParam {
  std::string layer;
  ParamSpec spec;
  std::string qualifiedName() const { return layer + "." + spec.name; }
};

/// The loss (a 0-d tensor, the batch mean) and its gradient with respect to
/// the logits.
struct LossAndGrad {
  Value loss, grad;
};

/// Whether column `j` (linalg.index 1) is the row's label (i32).
Value isLabel(ImplicitLocOpBuilder &b, Value label) {
  Value j = linalg::IndexOp::create(b, 1);
  Value ji = arith::IndexCastOp::create(b, b.getI32Type(), j);
  return arith::CmpIOp::create(b, arith::CmpIPredicate::eq, ji, label);
}

/// Softmax cross-entropy with integer labels: with m the row's max and
/// s = sum_j exp(z_j - m), loss_b = m + log(s) - z_label, and
/// dZ = (exp(z - m) / s - onehot) / N.
LossAndGrad softmaxCrossEntropy(StepBuilder &sb, Value logits, Value labels) {
  Shape s = StepBuilder::shapeOf(logits);
  int64_t n = s[0];
  AffineMap all = sb.identity(2), row = sb.project(2, {0}),
            none = sb.project(2, {});
  Value max = sb.generic(
      {n}, ValueRange{logits}, {all, row}, {kPar, kRed},
      [&](ImplicitLocOpBuilder &ib, ValueRange a) -> Value {
        return arith::MaximumFOp::create(ib, a[1], a[0]);
      },
      -std::numeric_limits<double>::infinity());
  auto shifted = [&](ImplicitLocOpBuilder &ib, Value z, Value m) -> Value {
    return math::ExpOp::create(ib, sb.sub(z, m));
  };
  Value sum = sb.generic(
      {n}, ValueRange{logits, max}, {all, row, row}, {kPar, kRed},
      [&](ImplicitLocOpBuilder &ib, ValueRange a) {
        return sb.add(a[2], shifted(ib, a[0], a[1]));
      },
      0.0);
  Value total = sb.generic(
      {}, ValueRange{logits, max, sum, labels}, {all, row, row, row, none},
      {kRed, kRed},
      [&](ImplicitLocOpBuilder &ib, ValueRange a) -> Value {
        Value lse = sb.add(a[1], math::LogOp::create(ib, a[2]));
        return arith::SelectOp::create(ib, isLabel(ib, a[3]),
                                       sb.add(a[4], sb.sub(lse, a[0])), a[4]);
      },
      0.0);
  Value invN = sb.constant(1.0 / static_cast<double>(n));
  Value loss = sb.map(total, [&](ImplicitLocOpBuilder &, ValueRange a) {
    return sb.mul(a[0], invN);
  });
  Value grad = sb.generic(
      s, ValueRange{logits, max, sum, labels}, {all, row, row, row, all},
      {kPar, kPar}, [&](ImplicitLocOpBuilder &ib, ValueRange a) -> Value {
        Value p = arith::DivFOp::create(ib, shifted(ib, a[0], a[1]), a[2]);
        Value onehot = arith::SelectOp::create(
            ib, isLabel(ib, a[3]), sb.constant(1.0), sb.constant(0.0));
        return sb.mul(sb.sub(p, onehot), invN);
      });
  return {loss, grad};
}

/// Mean squared error against one-hot targets: loss = sum (z - t)^2 / (2N),
/// dZ = (z - t) / N.
LossAndGrad meanSquaredError(StepBuilder &sb, Value logits, Value labels) {
  Shape s = StepBuilder::shapeOf(logits);
  AffineMap all = sb.identity(2), row = sb.project(2, {0}),
            none = sb.project(2, {});
  Value invN = sb.constant(1.0 / static_cast<double>(s[0]));
  auto diff = [&](ImplicitLocOpBuilder &ib, Value z, Value label) -> Value {
    Value t = arith::SelectOp::create(ib, isLabel(ib, label), sb.constant(1.0),
                                      sb.constant(0.0));
    return sb.sub(z, t);
  };
  Value total = sb.generic(
      {}, ValueRange{logits, labels}, {all, row, none}, {kRed, kRed},
      [&](ImplicitLocOpBuilder &ib, ValueRange a) {
        Value d = diff(ib, a[0], a[1]);
        return sb.add(a[2], sb.mul(d, d));
      },
      0.0);
  Value half = sb.constant(0.5 / static_cast<double>(s[0]));
  Value loss = sb.map(total, [&](ImplicitLocOpBuilder &, ValueRange a) {
    return sb.mul(a[0], half);
  });
  Value grad =
      sb.generic(s, ValueRange{logits, labels}, {all, row, all}, {kPar, kPar},
                 [&](ImplicitLocOpBuilder &ib, ValueRange a) {
                   return sb.mul(diff(ib, a[0], a[1]), invN);
                 });
  return {loss, grad};
}

DictionaryAttr argAttrs(Builder &b, StringRef role, const NetParam *param) {
  SmallVector<NamedAttribute> attrs = {
      b.getNamedAttr(kRoleAttr, b.getStringAttr(role))};
  if (param) {
    attrs.push_back(b.getNamedAttr(kLayerAttr, b.getStringAttr(param->layer)));
    if (role == "weight") {
      attrs.push_back(
          b.getNamedAttr(kInitAttr, b.getStringAttr(param->spec.init)));
      attrs.push_back(
          b.getNamedAttr(kFanInAttr, b.getI64IntegerAttr(param->spec.fanIn)));
    }
  }
  return b.getDictionaryAttr(attrs);
}

class NetworkBuilder {
public:
  NetworkBuilder(MLIRContext &ctx, const Network &net)
      : ctx(ctx), net(net), b(UnknownLoc::get(&ctx), &ctx), sb(b) {}

  llvm::Expected<OwningOpRef<ModuleOp>> build() {
    const StepOptions &o = net.step;
    if (o.batch < 1)
      return err(llvm::formatv("batch must be at least 1, got {0}", o.batch));
    if (o.classes < 2)
      return err(
          llvm::formatv("classes must be at least 2, got {0}", o.classes));
    if (!(o.momentum >= 0.0 && o.momentum < 1.0))
      return err(
          llvm::formatv("momentum must be in [0, 1), got {0}", o.momentum));
    if (!(o.weightDecay >= 0.0))
      return err(
          llvm::formatv("weight decay must be >= 0, got {0}", o.weightDecay));
    for (int64_t d : net.inputShape)
      if (d < 1)
        return err("every input dimension must be at least 1");
    // Shapes through the network.
    Shape shape = {o.batch};
    shape.append(net.inputShape.begin(), net.inputShape.end());
    inputShape = shape;
    for (const auto &layer : net.layers) {
      auto next = layer->outputShape(shape);
      if (!next)
        return next.takeError();
      shape = *next;
      for (ParamSpec &p : layer->params())
        params.push_back({p.layer.empty() ? layer->getName() : p.layer, p});
    }
    if (shape != Shape{o.batch, o.classes})
      return err(llvm::formatv("the last layer gives {0}x{1} logits per batch "
                               "row; expected {2}",
                               shape.size() == 2 ? shape[1] : -1, shape.size(),
                               o.classes));

    module = ModuleOp::create(b.getLoc());
    b.setInsertionPointToEnd(module->getBody());
    buildTrainStep();
    buildPredict();
    if (failed(verify(*module)))
      return err("internal error: the built module does not verify");
    return std::move(module);
  }

private:
  llvm::Error err(const llvm::Twine &msg) {
    return llvm::createStringError(msg.str());
  }

  func::FuncOp makeFunc(StringRef name, ArrayRef<Type> args,
                        ArrayRef<Type> results) {
    b.setLoc(NameLoc::get(b.getStringAttr(name)));
    auto fn = func::FuncOp::create(b, name, b.getFunctionType(args, results));
    return fn;
  }

  void buildTrainStep() {
    const StepOptions &o = net.step;
    bool momentum = o.momentum != 0.0;
    SmallVector<Type> args = {sb.f32(inputShape),
                              RankedTensorType::get({o.batch}, b.getI32Type()),
                              sb.f32({})};
    SmallVector<Type> results;
    for (const NetParam &p : params)
      args.push_back(sb.f32(p.spec.shape));
    if (momentum)
      for (const NetParam &p : params)
        args.push_back(sb.f32(p.spec.shape));
    results.assign(args.begin() + 3, args.end());
    results.push_back(sb.f32({}));
    func::FuncOp fn = makeFunc(kTrainStep, args, results);

    // Argument and result attributes; argument locations name them.
    fn.setArgAttrs(0, argAttrs(b, "input", nullptr));
    fn.setArgAttrs(1, argAttrs(b, "label", nullptr));
    fn.setArgAttrs(2, argAttrs(b, "hyperparameter", nullptr));
    size_t np = params.size();
    // A result that is an argument's next value says which (qtrain.updates).
    auto updates = [&](DictionaryAttr attrs, unsigned arg) {
      NamedAttrList list(attrs);
      list.set(kUpdatesAttr, b.getI64IntegerAttr(arg));
      return list.getDictionary(b.getContext());
    };
    for (size_t i = 0; i < np; ++i) {
      fn.setArgAttrs(3 + i, argAttrs(b, "weight", &params[i]));
      fn.setResultAttrs(i, updates(argAttrs(b, "weight", &params[i]), 3 + i));
      if (momentum) {
        fn.setArgAttrs(3 + np + i, argAttrs(b, "optimizer_state", &params[i]));
        fn.setResultAttrs(
            np + i,
            updates(argAttrs(b, "optimizer_state", &params[i]), 3 + np + i));
      }
    }
    fn.setResultAttrs(results.size() - 1,
                      b.getDictionaryAttr(
                          b.getNamedAttr(kRoleAttr, b.getStringAttr("loss"))));
    SmallVector<Location> locs = {NameLoc::get(b.getStringAttr("x")),
                                  NameLoc::get(b.getStringAttr("labels")),
                                  NameLoc::get(b.getStringAttr("lr"))};
    for (int pass = 0; pass < (momentum ? 2 : 1); ++pass)
      for (const NetParam &p : params)
        locs.push_back(NameLoc::get(b.getStringAttr(
            pass ? p.qualifiedName() + ".velocity" : p.qualifiedName())));
    Block *entry = fn.addEntryBlock();
    for (auto [arg, loc] : llvm::zip(entry->getArguments(), locs))
      arg.setLoc(loc);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(entry);

    SmallVector<Value> paramValues(entry->getArguments().slice(3, np));
    Value logits = forward(entry->getArgument(0), paramValues);
    sb.setLayer("loss");
    LossAndGrad lg =
        o.loss == Loss::CrossEntropy
            ? softmaxCrossEntropy(sb, logits, entry->getArgument(1))
            : meanSquaredError(sb, logits, entry->getArgument(1));

    // Backward, last layer first; gradients per layer in params() order.
    std::vector<SmallVector<Value>> grads(net.layers.size());
    Value dy = lg.grad;
    size_t firstParam = np;
    for (size_t li = net.layers.size(); li-- > 0;) {
      Layer &layer = *net.layers[li];
      size_t count = layer.params().size();
      firstParam -= count;
      sb.setLayer(layer.getName());
      dy = layer.backward(sb, dy,
                          ArrayRef<Value>(paramValues).slice(firstParam, count),
                          grads[li], /*needInputGrad=*/li != 0);
    }
    SmallVector<Value> flat;
    for (auto &g : grads)
      flat.append(g.begin(), g.end());

    // SGD with momentum and weight decay (PyTorch's form).
    SmallVector<Value> newParams, newVelocities;
    Value lr = entry->getArgument(2);
    for (size_t i = 0; i < np; ++i) {
      sb.setLayer(params[i].layer);
      Value w = paramValues[i], g = flat[i];
      if (o.weightDecay != 0.0) {
        Value wd = sb.constant(o.weightDecay);
        g = sb.map(ValueRange{g, w}, [&](ImplicitLocOpBuilder &, ValueRange a) {
          return sb.add(a[0], sb.mul(wd, a[1]));
        });
      }
      if (momentum) {
        Value mu = sb.constant(o.momentum);
        g = sb.map(ValueRange{entry->getArgument(3 + np + i), g},
                   [&](ImplicitLocOpBuilder &, ValueRange a) {
                     return sb.add(sb.mul(mu, a[0]), a[1]);
                   });
        newVelocities.push_back(g);
      }
      newParams.push_back(sgdStep(w, g, lr));
    }
    SmallVector<Value> ret(newParams);
    ret.append(newVelocities);
    ret.push_back(lg.loss);
    b.setLoc(NameLoc::get(b.getStringAttr(kTrainStep)));
    func::ReturnOp::create(b, ret);
  }

  /// w - lr * v, elementwise with the 0-d lr.
  Value sgdStep(Value w, Value v, Value lr) {
    Shape s = StepBuilder::shapeOf(w);
    unsigned n = s.size();
    SmallVector<IteratorType> its(n, kPar);
    return sb.generic(
        s, ValueRange{w, v, lr},
        {sb.identity(n), sb.identity(n), sb.project(n, {}), sb.identity(n)},
        its, [&](ImplicitLocOpBuilder &, ValueRange a) {
          return sb.sub(a[0], sb.mul(a[2], a[1]));
        });
  }

  Value forward(Value x, ArrayRef<Value> paramValues) {
    size_t first = 0;
    for (const auto &layer : net.layers) {
      size_t count = layer->params().size();
      sb.setLayer(layer->getName());
      x = layer->forward(sb, x, paramValues.slice(first, count));
      first += count;
    }
    return x;
  }

  void buildPredict() {
    SmallVector<Type> args = {sb.f32(inputShape)};
    for (const NetParam &p : params)
      args.push_back(sb.f32(p.spec.shape));
    Shape logits = {net.step.batch, net.step.classes};
    func::FuncOp fn = makeFunc(kPredict, args, {sb.f32(logits)});
    fn.setArgAttrs(0, argAttrs(b, "input", nullptr));
    for (size_t i = 0; i < params.size(); ++i)
      fn.setArgAttrs(1 + i, argAttrs(b, "weight", &params[i]));
    Block *entry = fn.addEntryBlock();
    entry->getArgument(0).setLoc(NameLoc::get(b.getStringAttr("x")));
    for (size_t i = 0; i < params.size(); ++i)
      entry->getArgument(1 + i).setLoc(
          NameLoc::get(b.getStringAttr(params[i].qualifiedName())));
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(entry);
    SmallVector<Value> paramValues(entry->getArguments().drop_front());
    Value y = forward(entry->getArgument(0), paramValues);
    b.setLoc(NameLoc::get(b.getStringAttr(kPredict)));
    func::ReturnOp::create(b, y);
  }

  MLIRContext &ctx;
  const Network &net;
  ImplicitLocOpBuilder b;
  StepBuilder sb;
  OwningOpRef<ModuleOp> module;
  Shape inputShape;
  std::vector<NetParam> params;
};

} // namespace

llvm::Expected<OwningOpRef<ModuleOp>> buildNetwork(MLIRContext &context,
                                                   const Network &network) {
  context.loadDialect<arith::ArithDialect, func::FuncDialect,
                      linalg::LinalgDialect, math::MathDialect,
                      tensor::TensorDialect>();
  return NetworkBuilder(context, network).build();
}

} // namespace qtrain::models
