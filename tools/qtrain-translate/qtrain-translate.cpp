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

#include "qtrain/Target/Accel/AccelTranslation.h"

#include "mlir/Tools/mlir-translate/MlirTranslateMain.h"

int main(int argc, char **argv) {
  qtrain::accel::registerAccelTranslations();
  return mlir::failed(mlir::mlirTranslateMain(
             argc, argv, "qtrain accelerator translations"))
             ? 1
             : 0;
}
