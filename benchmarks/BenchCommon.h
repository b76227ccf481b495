//===- BenchCommon.h - Inputs and the machine's ceiling for benchmarks ----===//
//
// Shared by the benchmark programs: the input tensor (normal f32 values),
// the bytes-per-second accounting, and the ceilings every quantizer is
// printed beside: a memcpy of the same buffers (bytes read + written) on one
// thread, and the same copy split over every hardware thread, as the
// generated code's parallel tiles are.
//
//===----------------------------------------------------------------------===//

#ifndef QTRAIN_BENCHMARKS_BENCHCOMMON_H
#define QTRAIN_BENCHMARKS_BENCHCOMMON_H

#include "benchmark/benchmark.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <map>
#include <random>
#include <string>
#include <thread>
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

/// The name of the copy ceiling on `threads` threads.
inline std::string copyBandwidthName(unsigned threads) {
  return threads == 1 ? "copy_bandwidth (memcpy ceiling)"
                      : "copy_bandwidth, " + std::to_string(threads) +
                            " threads (parallel memcpy ceiling)";
}

/// The hardware threads the parallel copy uses (those the generated code's
/// OpenMP tiles run on by default).
inline unsigned copyThreads() {
  return std::max(1u, std::thread::hardware_concurrency());
}

/// The ceilings: memcpy of `n` f32 (read n * 4 bytes, write n * 4 bytes) on
/// one thread, and split into one contiguous part per hardware thread.
inline void registerCopyBandwidth(size_t n) {
  for (unsigned threads : {1u, copyThreads()}) {
    benchmark::RegisterBenchmark(
        copyBandwidthName(threads).c_str(),
        [n, threads](benchmark::State &state) {
          const std::vector<float> &in = normalInput(n);
          std::vector<float> out(n);
          auto part = [&](unsigned t) {
            size_t b = n * t / threads, e = n * (t + 1) / threads;
            std::memcpy(out.data() + b, in.data() + b, (e - b) * sizeof(float));
          };
          for (auto _ : state) {
            std::vector<std::thread> workers;
            for (unsigned t = 1; t < threads; ++t)
              workers.emplace_back(part, t);
            part(0);
            for (std::thread &w : workers)
              w.join();
            benchmark::DoNotOptimize(out.data());
            benchmark::ClobberMemory();
          }
          reportBytes(state, n);
        })
        ->Unit(benchmark::kMillisecond)
        ->UseRealTime();
    if (threads == copyThreads())
      break; // a one-thread machine: one ceiling
  }
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
