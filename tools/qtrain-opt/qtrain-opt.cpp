//===- qtrain-opt.cpp - qtrain optimizer driver ---------------------------===//
//
// The qtrain compiler's `opt` tool: every upstream dialect, extension and pass,
// plus qtrain's own as they are added.
//
//===----------------------------------------------------------------------===//

#include "qtrain/Conversion/Passes.h"
#include "qtrain/Dialect/Accel/IR/AccelDialect.h"
#include "qtrain/Dialect/QTrain/IR/QTrainDialect.h"
#include "qtrain/Dialect/QTrain/Transforms/Passes.h"
#include "qtrain/Pipelines/Pipelines.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"

int main(int argc, char **argv) {
  mlir::registerAllPasses();
  qtrain::registerQTrainTransformsPasses();
  qtrain::registerQTrainConversionPasses();
  qtrain::registerQTrainPipelines();

  mlir::DialectRegistry registry;
  mlir::registerAllDialects(registry);
  mlir::registerAllExtensions(registry);
  registry.insert<qtrain::QTrainDialect, qtrain::accel::ir::AccelDialect>();

  return mlir::asMainReturnCode(
      mlir::MlirOptMain(argc, argv, "qtrain optimizer driver\n", registry));
}
