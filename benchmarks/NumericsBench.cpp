//===- NumericsBench.cpp - Throughput of the numerics library -------------===//
//
// Quantize throughput of the reference library for representative formats
// and rounding modes, printed beside the machine's own ceiling: a memcpy of
// the same buffers (bytes read + written per second). The library is the
// definition, not the fast path; the CPU lowering is measured against the
// same ceiling.
//
//   qtrain-numerics-bench [--benchmark_min_time=0.2] [--elements=N]
//
//===----------------------------------------------------------------------===//

#include "BenchCommon.h"

#include "qtrain/Numerics/Presets.h"

#include "benchmark/benchmark.h"

#include <cstring>
#include <random>
#include <vector>

using namespace qtrain;
using namespace qtrain::numerics;

namespace {

size_t gElements = size_t(1) << 24; // 64 MiB of f32: far beyond the caches

const std::vector<float> &input() { return bench::normalInput(gElements); }
void reportBytes(benchmark::State &state) {
  bench::reportBytes(state, gElements);
}

void quantizeMinifloat(benchmark::State &state, const char *preset,
                       Rounding r) {
  MinifloatFormat f = *lookupMinifloat(preset);
  const std::vector<float> &in = input();
  std::vector<float> out(in.size());
  for (auto _ : state) {
    quantize(f, in, out, r);
    benchmark::DoNotOptimize(out.data());
  }
  reportBytes(state);
}

void quantizeScaledPreset(benchmark::State &state, const char *preset,
                          llvm::ArrayRef<int64_t> shape) {
  const ScaledPreset *p = lookupScaled(preset);
  const std::vector<float> &in = input();
  std::vector<float> out(in.size());
  for (auto _ : state) {
    if (llvm::Error e = quantizeScaled(p->format, shape, in, out, p->rounding))
      state.SkipWithError(llvm::toString(std::move(e)).c_str());
    benchmark::DoNotOptimize(out.data());
  }
  reportBytes(state);
}

} // namespace

int main(int argc, char **argv) {
  benchmark::Initialize(&argc, argv);
  gElements = bench::elementsOption(argc, argv, gElements);
  if (gElements % (24 * 9) != 0) // whole FlexBlock blocks in the 4-D shape
    gElements -= gElements % (24 * 9);
  int64_t n = static_cast<int64_t>(gElements);

  bench::registerCopyBandwidth(gElements);
  auto mf = [](const char *name, const char *preset, Rounding r) {
    benchmark::RegisterBenchmark(
        name, [=](benchmark::State &s) { quantizeMinifloat(s, preset, r); })
        ->Unit(benchmark::kMillisecond)
        ->UseRealTime();
  };
  mf("e4m3fn nearest_even", "e4m3fn", Rounding());
  mf("e4m3fn toward_zero", "e4m3fn",
     Rounding::deterministic(RoundingMode::TowardZero));
  mf("e4m3fn stochastic k=3 counter", "e4m3fn", Rounding::stochastic(3));
  RandomSource lfsr;
  lfsr.kind = RandomSourceKind::LfsrPlateau;
  lfsr.lfsrWidth = 3;
  mf("e4m3fn stochastic k=3 lfsr_plateau", "e4m3fn",
     Rounding::stochastic(3, lfsr));
  mf("e5m2 nearest_even", "e5m2", Rounding());
  mf("bf16 nearest_even", "bf16", Rounding());
  mf("fp12_dga nearest_even", "fp12_dga", Rounding());
  auto sc = [](const char *name, const char *preset,
               std::vector<int64_t> shape) {
    benchmark::RegisterBenchmark(
        name,
        [=](benchmark::State &s) { quantizeScaledPreset(s, preset, shape); })
        ->Unit(benchmark::kMillisecond)
        ->UseRealTime();
  };
  sc("mxfp8_e4m3 (blocks of 32)", "mxfp8_e4m3", {n / 32, 32});
  sc("fb12 ([1,24,3,3] blocks)", "fb12", {n / (24 * 9), 24, 3, 3});
  sc("fp8_e4m3_tensor (per-tensor f32 scale)", "fp8_e4m3_tensor", {n});

  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
