//===- DgaStudy.h - The DGA accuracy study of qtrain-numerics ---*- C++ -*-===//
//
// Reproducible experiments behind the accumulation defaults of
// docs/Numerics.md ("Choosing the DGA count", "Choosing c", "Bits at equal
// angle"): FP8 dot products under grouped low-precision accumulation against
// the exact sums.
//
//===----------------------------------------------------------------------===//

#ifndef QTRAIN_TOOLS_DGASTUDY_H
#define QTRAIN_TOOLS_DGASTUDY_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/Support/raw_ostream.h"

namespace qtrain::tools {

struct DgaStudyOptions {
  llvm::SmallVector<int, 4> lengths;      ///< Dot-product lengths K.
  int trials = 20;                        ///< Dot products per error figure.
  int outputs = 16;                       ///< Outputs of the angle study.
  llvm::SmallVector<int, 4> angleLengths; ///< K of the angle study.
  llvm::SmallVector<double, 4> angles;    ///< Target angles, radians.
};

/// Prints the study; returns the exit code.
int runDgaStudy(const DgaStudyOptions &options, llvm::raw_ostream &os);

} // namespace qtrain::tools

#endif // QTRAIN_TOOLS_DGASTUDY_H
