//===- QTrainPlugin.cpp - qtrain as a plugin of upstream mlir-opt ---------===//
//
// libQTrainPlugin.so loads into an upstream `mlir-opt` built from the same
// LLVM/MLIR (Debian's /usr/lib/llvm-22/bin/mlir-opt):
//
//   mlir-opt --load-dialect-plugin=libQTrainPlugin.so \
//            --load-pass-plugin=libQTrainPlugin.so \
//            --pass-pipeline='builtin.module(qtrain-quantize{recipe=mxfp8})'
//
// The dialect plugin registers the qtrain dialect; the pass plugin registers
// qtrain's passes and the named pipelines (qtrain-quantize, qtrain-to-llvm).
// The dialect plugin registers the passes too, so either flag alone is
// enough; registration happens once however often the library is named.
//
//===----------------------------------------------------------------------===//

#include "qtrain/Conversion/Passes.h"
#include "qtrain/Dialect/Accel/IR/AccelDialect.h"
#include "qtrain/Dialect/QTrain/IR/QTrainDialect.h"
#include "qtrain/Dialect/QTrain/Transforms/Passes.h"
#include "qtrain/Pipelines/Pipelines.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/Tools/Plugins/DialectPlugin.h"
#include "mlir/Tools/Plugins/PassPlugin.h"

#include "llvm/Config/llvm-config.h"
#include "llvm/Support/Compiler.h"

#include <mutex>

namespace {

/// Passes and pipelines go into process-wide registries: registering a
/// pipeline twice is an error in builds with assertions, so the two entry
/// points share one registration.
void registerQTrainPassesOnce() {
  static std::once_flag once;
  std::call_once(once, [] {
    qtrain::registerQTrainTransformsPasses();
    qtrain::registerQTrainConversionPasses();
    qtrain::registerQTrainPipelines();
  });
}

} // namespace

extern "C" LLVM_ATTRIBUTE_WEAK LLVM_ALWAYS_EXPORT mlir::DialectPluginLibraryInfo
mlirGetDialectPluginInfo() {
  return {
      MLIR_PLUGIN_API_VERSION, "QTrain", LLVM_VERSION_STRING,
      [](mlir::DialectRegistry *registry) {
        registry
            ->insert<qtrain::QTrainDialect, qtrain::accel::ir::AccelDialect>();
        registerQTrainPassesOnce();
      }};
}

extern "C" LLVM_ATTRIBUTE_WEAK LLVM_ALWAYS_EXPORT mlir::PassPluginLibraryInfo
mlirGetPassPluginInfo() {
  return {MLIR_PLUGIN_API_VERSION, "QTrainPasses", LLVM_VERSION_STRING,
          [] { registerQTrainPassesOnce(); }};
}
