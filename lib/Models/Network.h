//===- Network.h - A network's training step and prediction ---------------===//

#ifndef QTRAIN_LIB_MODELS_NETWORK_H
#define QTRAIN_LIB_MODELS_NETWORK_H

#include "Layers.h"

#include "qtrain/Models/Models.h"

#include <memory>
#include <vector>

namespace qtrain::models {

/// Layers in forward order, the per-example input shape and the step's
/// options.
struct Network {
  StepOptions step;
  Shape inputShape;
  std::vector<std::unique_ptr<Layer>> layers;
};

/// @train_step and @predict of `network` (errors: options or shapes that
/// do not fit).
llvm::Expected<mlir::OwningOpRef<mlir::ModuleOp>>
buildNetwork(mlir::MLIRContext &context, const Network &network);

} // namespace qtrain::models

#endif // QTRAIN_LIB_MODELS_NETWORK_H
