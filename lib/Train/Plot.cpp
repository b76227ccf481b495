//===- Plot.cpp - Training curves drawn by gnuplot ------------------------===//

#include "qtrain/Train/Plot.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/Twine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FileUtilities.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/raw_ostream.h"

using llvm::Twine;

namespace qtrain::train {
namespace {
/// A gnuplot string literal.
std::string quoted(llvm::StringRef s) {
  std::string out = "'";
  for (char c : s)
    out += c == '\'' ? std::string("''") : std::string(1, c);
  return out + "'";
}
} // namespace

llvm::Error plotCurves(llvm::ArrayRef<PlotRun> runs, llvm::StringRef png,
                       llvm::StringRef title) {
  auto gnuplot = llvm::sys::findProgramByName("gnuplot");
  if (!gnuplot)
    return llvm::createStringError(
        "gnuplot not found (Debian's gnuplot-nox; "
        "./scripts/setup.sh installs it): no plot drawn");
  llvm::SmallString<128> script;
  int fd;
  if (std::error_code ec =
          llvm::sys::fs::createTemporaryFile("qtrain-plot", "gp", fd, script))
    return llvm::createStringError("cannot create a gnuplot script: " +
                                   ec.message());
  llvm::FileRemover remover(script);
  {
    llvm::raw_fd_ostream os(fd, /*shouldClose=*/true);
    // CSV columns: epoch, steps, learning_rate, train_loss, test_loss,
    // test_accuracy, epoch_seconds, steps_per_second.
    os << "set terminal pngcairo size 1200,450 noenhanced\n"
       << "set output " << quoted(png) << "\n"
       << "set datafile separator ','\n"
       << "set key autotitle columnhead\n"
       << "set multiplot layout 1,2 title " << quoted(title) << "\n"
       << "set grid\nset xlabel 'epoch'\nset key top right\n"
       << "set ylabel 'loss (dashed: train)'\n";
    auto plotColumns = [&](std::initializer_list<int> columns) {
      os << "plot ";
      for (size_t r = 0; r < runs.size(); ++r)
        for (int c : columns) {
          bool dashed = c == 4;
          os << (r || c != *columns.begin() ? ", " : "")
             << quoted(runs[r].csvPath) << " using 1:" << c
             << " with linespoints lc " << r + 1 << " dt " << (dashed ? 2 : 1)
             << " title " << (dashed ? "''" : quoted(runs[r].label));
        }
      os << "\n";
    };
    plotColumns({5, 4});
    os << "set ylabel 'test accuracy (%)'\nset key bottom right\n";
    plotColumns({6});
    os << "unset multiplot\n";
  }
  // gnuplot's warnings (a one-epoch run's empty x range) are kept out of
  // the run's output; its messages are shown when it fails.
  llvm::SmallString<128> log;
  if (std::error_code ec =
          llvm::sys::fs::createTemporaryFile("qtrain-plot", "log", log))
    return llvm::createStringError("cannot create a log file: " + ec.message());
  llvm::FileRemover logRemover(log);
  std::string message;
  llvm::StringRef argv[] = {*gnuplot, script};
  std::optional<llvm::StringRef> redirects[] = {
      std::nullopt, llvm::StringRef(log), llvm::StringRef(log)};
  int rc = llvm::sys::ExecuteAndWait(*gnuplot, argv, std::nullopt, redirects, 0,
                                     0, &message);
  if (rc != 0) {
    auto output = llvm::MemoryBuffer::getFile(log);
    return llvm::createStringError(
        "gnuplot failed (exit " + Twine(rc) + ")" +
        (message.empty() ? "" : ": " + message) +
        (output ? "\n" + (*output)->getBuffer() : ""));
  }
  return llvm::Error::success();
}

} // namespace qtrain::train
