//===- BenchTargets.h - The CPUs a benchmark compiles for -------*- C++ -*-===//
//
// `--targets=` for the benchmark programs that JIT-compile the lowering:
// each target's code is compiled and measured in one run, and its CPU,
// features and ISA-dependent options are printed first.
//
//===----------------------------------------------------------------------===//

#ifndef QTRAIN_BENCHMARKS_BENCHTARGETS_H
#define QTRAIN_BENCHMARKS_BENCHTARGETS_H

#include "qtrain/Conversion/QTrainToVector/CpuTarget.h"
#include "qtrain/ExecutionEngine/Jit.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <cstdlib>
#include <string>
#include <vector>

namespace qtrain::bench {

/// One code generation target of a benchmark run.
struct BenchTarget {
  std::string label;  ///< as given: "host", "x86-64-v3", "znver3:-fma"
  JitOptions options; ///< the lowering's options for it, resolved
  CpuTarget cpu;
};

/// The targets of `--targets=T1,T2` (each an LLVM CPU name or "host",
/// optionally ":+feature;-feature"). By default the host, and on a host
/// with AVX-512 also x86-64-v3 (AVX2 + FMA, the code an AVX2 machine
/// gets), so one run measures both ISAs. `--vector-width=`,
/// `--tile-elements=`, `--gemm-tile-bytes=`, `--gemm-rows=`, `--gemm-vectors=`,
/// `--emulated-rows=` and `--emulated-vectors=` apply to all. Prints one header
/// line per target; exits with a message on a bad one.
inline std::vector<BenchTarget> targetsOption(int argc, char **argv) {
  QTrainToVectorOptions base;
  std::string list;
  for (int i = 1; i < argc; ++i) {
    llvm::StringRef a(argv[i]);
    auto value = [&](llvm::StringRef key, int64_t &field) {
      if (a.consume_front(key))
        field = std::strtoll(a.str().c_str(), nullptr, 10);
    };
    if (a.consume_front("--targets="))
      list = a.str();
    value("--vector-width=", base.vectorWidth);
    value("--tile-elements=", base.tileElements);
    value("--gemm-tile-bytes=", base.gemmTileBytes);
    value("--gemm-rows=", base.gemmRows);
    value("--gemm-vectors=", base.gemmVectors);
    value("--emulated-rows=", base.emulatedRows);
    value("--emulated-vectors=", base.emulatedVectors);
  }
  if (list.empty()) {
    auto host = resolveCpuTarget("host", "");
    bool avx512 = host && host->vectorBits == 512;
    if (!host)
      llvm::consumeError(host.takeError());
    list = avx512 ? "host,x86-64-v3" : "host";
  }
  std::vector<BenchTarget> targets;
  llvm::SmallVector<llvm::StringRef> items;
  llvm::StringRef(list).split(items, ',', -1, false);
  for (llvm::StringRef item : items) {
    auto [cpu, features] = item.split(':');
    BenchTarget t;
    t.label = item.str();
    t.options.lowering = base;
    t.options.lowering.targetCpu = cpu.str();
    t.options.lowering.targetFeatures = features.str();
    std::replace(t.options.lowering.targetFeatures.begin(),
                 t.options.lowering.targetFeatures.end(), ';', ',');
    auto resolved = resolveLoweringOptions(t.options.lowering);
    auto cpuTarget = resolveCpuTarget(t.options.lowering.targetCpu,
                                      t.options.lowering.targetFeatures);
    if (!resolved || !cpuTarget) {
      llvm::errs() << "bad --targets item '" << item << "': "
                   << (resolved ? llvm::toString(cpuTarget.takeError())
                                : llvm::toString(resolved.takeError()))
                   << "\n";
      std::exit(2);
    }
    t.options.lowering = *resolved;
    t.cpu = *cpuTarget;
    llvm::outs() << llvm::formatv(
        "target [{0}]: {1}; vector width {2}, GEMM register blocks {3} x {4} "
        "(f32 chains) and {5} x {6} (emulated accumulation), parallel tiles "
        "of {7} elements\n",
        t.label, t.cpu.describe(), t.options.lowering.vectorWidth,
        t.options.lowering.gemmRows, t.options.lowering.gemmVectors,
        t.options.lowering.emulatedRows, t.options.lowering.emulatedVectors,
        t.options.lowering.tileElements);
    targets.push_back(std::move(t));
  }
  llvm::outs().flush();
  return targets;
}

} // namespace qtrain::bench

#endif // QTRAIN_BENCHMARKS_BENCHTARGETS_H
