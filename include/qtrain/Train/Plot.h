//===- Plot.h - Training curves drawn by gnuplot ----------------*- C++ -*-===//

#ifndef QTRAIN_TRAIN_PLOT_H
#define QTRAIN_TRAIN_PLOT_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/Support/Error.h"

#include <string>

namespace qtrain::train {

/// One line of a plot: a per-epoch CSV of qtrain-train and its label.
struct PlotRun {
  std::string label, csvPath;
};

/// Draws `png`: test loss, train loss and test accuracy against epoch, one
/// line per run, with gnuplot (an error when gnuplot is missing or fails).
llvm::Error plotCurves(llvm::ArrayRef<PlotRun> runs, llvm::StringRef png,
                       llvm::StringRef title);

} // namespace qtrain::train

#endif // QTRAIN_TRAIN_PLOT_H
