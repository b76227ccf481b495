//===- qtrain-translate.cpp - accel IR <-> assembly and binary ------------===//
//
//   qtrain-translate --accel-to-asm IN.mlir        canonical text assembly
//   qtrain-translate --accel-to-binary IN.mlir -o OUT.bin
//   qtrain-translate --asm-to-accel IN.s           an accel.program
//   qtrain-translate --binary-to-accel IN.bin
//
// mlir-translate's driver: `-o`, `--split-input-file` and the diagnostic
// options work as there.
//
//===----------------------------------------------------------------------===//

#include "qtrain/Dialect/QTrain/IR/QTrainDialect.h"
#include "qtrain/Target/Accel/AccelTranslation.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/InitAllDialects.h"

#include "mlir/Tools/mlir-translate/MlirTranslateMain.h"

int main(int argc, char **argv) {
  // Modules may keep functions the conversion did not map (a training
  // step's @predict): every upstream dialect and qtrain's parse.
  qtrain::accel::registerAccelTranslations([](mlir::DialectRegistry &r) {
    mlir::registerAllDialects(r);
    r.insert<qtrain::QTrainDialect>();
  });
  return mlir::failed(mlir::mlirTranslateMain(
             argc, argv, "qtrain accelerator translations"))
             ? 1
             : 0;
}
