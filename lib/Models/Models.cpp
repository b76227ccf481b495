//===- Models.cpp - The bundled networks ----------------------------------===//

#include "Network.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/DialectRegistry.h"

#include "llvm/Support/FormatVariadic.h"

using namespace mlir;

namespace qtrain::models {

void registerModelDialects(DialectRegistry &registry) {
  registry.insert<arith::ArithDialect, func::FuncDialect, linalg::LinalgDialect,
                  math::MathDialect, tensor::TensorDialect>();
}

llvm::Expected<OwningOpRef<ModuleOp>> buildMlp(MLIRContext &context,
                                               const MlpOptions &options) {
  Network net;
  net.step = options.step;
  net.inputShape = {options.inputs};
  int64_t in = options.inputs;
  std::vector<int64_t> sizes = options.hidden;
  sizes.push_back(options.step.classes);
  for (size_t i = 0; i < sizes.size(); ++i) {
    if (sizes[i] < 1)
      return llvm::createStringError(
          llvm::formatv("layer sizes must be at least 1, got {0}", sizes[i])
              .str());
    std::string name = "fc" + std::to_string(i + 1);
    net.layers.push_back(makeLinear(name, in, sizes[i]));
    if (i + 1 < sizes.size())
      net.layers.push_back(makeRelu(name));
    in = sizes[i];
  }
  return buildNetwork(context, net);
}

llvm::Expected<OwningOpRef<ModuleOp>>
buildLeNet(MLIRContext &context, const ConvNetOptions &options) {
  Network net;
  net.step = options.step;
  net.inputShape = {options.channels, options.height, options.width};
  // conv1 keeps the size (5x5, padding 2); conv2 takes 4 off; each pool
  // halves.
  int64_t h = (options.height / 2 - 4) / 2, w = (options.width / 2 - 4) / 2;
  net.layers.push_back(makeConv2d("conv1", options.channels, 6, 5, 2));
  net.layers.push_back(makeRelu("conv1"));
  net.layers.push_back(makeMaxPool2("pool1"));
  net.layers.push_back(makeConv2d("conv2", 6, 16, 5, 0));
  net.layers.push_back(makeRelu("conv2"));
  net.layers.push_back(makeMaxPool2("pool2"));
  net.layers.push_back(makeFlatten("flatten"));
  net.layers.push_back(makeLinear(
      "fc1", 16 * std::max<int64_t>(h, 1) * std::max<int64_t>(w, 1), 120));
  net.layers.push_back(makeRelu("fc1"));
  net.layers.push_back(makeLinear("fc2", 120, options.step.classes));
  return buildNetwork(context, net);
}

llvm::Expected<OwningOpRef<ModuleOp>>
buildResNet(MLIRContext &context, const ConvNetOptions &options) {
  Network net;
  net.step = options.step;
  net.inputShape = {options.channels, options.height, options.width};
  constexpr int64_t kWidth = 8;
  net.layers.push_back(makeConv2d("stem", options.channels, kWidth, 3, 1));
  net.layers.push_back(makeRelu("stem"));
  net.layers.push_back(makeMaxPool2("pool1"));
  net.layers.push_back(makeResidualBlock("res1", kWidth));
  net.layers.push_back(makeMaxPool2("pool2"));
  net.layers.push_back(makeFlatten("flatten"));
  net.layers.push_back(
      makeLinear("fc", kWidth * (options.height / 4) * (options.width / 4),
                 options.step.classes));
  return buildNetwork(context, net);
}

} // namespace qtrain::models
