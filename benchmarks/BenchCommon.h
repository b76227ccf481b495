//===- BenchCommon.h - Inputs and the machine's ceiling for benchmarks ----===//
//
// Shared by the benchmark programs: the input tensor (normal f32 values),
// the bytes-per-second accounting, and the ceiling every quantizer is
// printed beside, a memcpy of the same buffers (bytes read + written).
//
//===----------------------------------------------------------------------===//

#ifndef QTRAIN_BENCHMARKS_BENCHCOMMON_H
#define QTRAIN_BENCHMARKS_BENCHCOMMON_H

#include "benchmark/benchmark.h"

#include <cstdlib>
#include <cstring>
#include <map>
#include <random>
#include <string>
#include <vector>

namespace qtrain::bench {

/// `n` normally distributed f32 values (seed 1), built once per size.
inline const std::vector<float> &normalInput(size_t n) {
  static std::vector<float> in;
  if (in.size() != n) {
    in.resize(n);
    std::mt19937 rng(1);
    std::normal_distribution<float> d(0.0f, 1.0f);
    for (float &x : in)
      x = d(rng);
  }
  return in;
}

/// Reports `bytesPerElement` bytes moved (read + written) per element.
inline void reportBytes(benchmark::State &state, size_t elements,
                        size_t bytesPerElement = 8) {
  state.SetBytesProcessed(int64_t(state.iterations()) * elements *
                          bytesPerElement);
  state.SetItemsProcessed(int64_t(state.iterations()) * elements);
}

/// The ceiling: memcpy of `n` f32 (read n * 4 bytes, write n * 4 bytes).
inline void registerCopyBandwidth(size_t n) {
  benchmark::RegisterBenchmark("copy_bandwidth (memcpy ceiling)",
                               [n](benchmark::State &state) {
                                 const std::vector<float> &in = normalInput(n);
                                 std::vector<float> out(n);
                                 for (auto _ : state) {
                                   std::memcpy(out.data(), in.data(),
                                               n * sizeof(float));
                                   benchmark::DoNotOptimize(out.data());
                                   benchmark::ClobberMemory();
                                 }
                                 reportBytes(state, n);
                               })
      ->Unit(benchmark::kMillisecond)
      ->UseRealTime();
}

/// Reads `--elements=N` out of argv (benchmark::Initialize leaves it).
inline size_t elementsOption(int argc, char **argv, size_t fallback) {
  for (int i = 1; i < argc; ++i)
    if (std::strncmp(argv[i], "--elements=", 11) == 0)
      return std::strtoull(argv[i] + 11, nullptr, 10);
  return fallback;
}

/// The console output, plus each run's wall time per iteration and
/// bytes/s kept by name for a closing summary of ratios.
class SummaryReporter : public benchmark::ConsoleReporter {
public:
  struct Figures {
    double seconds = 0;     ///< wall time per iteration
    double bytesPerSec = 0; ///< 0 when not counted
  };
  void ReportRuns(const std::vector<Run> &runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const Run &run : runs) {
      if (run.run_type != Run::RT_Iteration || run.error_occurred)
        continue;
      Figures f;
      f.seconds = run.real_accumulated_time / double(run.iterations);
      auto it = run.counters.find("bytes_per_second");
      if (it != run.counters.end())
        f.bytesPerSec = it->second.value;
      figures[run.benchmark_name()] = f;
    }
  }
  const Figures *find(const std::string &name) const {
    auto it = figures.find(name);
    return it == figures.end() ? nullptr : &it->second;
  }

private:
  std::map<std::string, Figures> figures;
};

} // namespace qtrain::bench

#endif // QTRAIN_BENCHMARKS_BENCHCOMMON_H
