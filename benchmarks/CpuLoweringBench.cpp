//===- CpuLoweringBench.cpp - Throughput of the CPU lowering --------------===//
//
// Quantize throughput of the code qtrain-to-llvm generates (JIT-compiled for
// each target CPU), printed in the same run beside the machine's ceiling (a
// memcpy of the same buffers, bytes read + written) and beside the numerics
// library's own speed on the same input. 64M f32 elements by default.
//
//   qtrain-cpu-bench [--elements=N] [--targets=host,x86-64-v3]
//                    [--vector-width=W] [--tile-elements=T]
//                    [--benchmark_min_time=5x]
//
// Each target's code is compiled and measured in the same run (by default
// the host and, on an AVX-512 host, x86-64-v3 = AVX2 code too); a closing
// table gives each kernel's bandwidth as a share of memcpy's (one thread)
// and of the same copy split over every hardware thread. Times are
// wall-clock (parallel tiles run on OpenMP threads).
//
//===----------------------------------------------------------------------===//

#include "BenchCommon.h"
#include "BenchTargets.h"

#include "qtrain/ExecutionEngine/Jit.h"
#include "qtrain/Numerics/Presets.h"

#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/raw_ostream.h"

#include <cstring>

using namespace qtrain;
namespace nx = qtrain::numerics;

namespace {

using UnaryFn = void(Memref1D *in, Memref1D *out, int64_t seed);

/// A benchmarked op on a flat buffer of `elements` f32 viewed as `shape`.
struct Kernel {
  std::string name;
  std::vector<int64_t> shape;
  std::string outType; ///< element type of the result
  std::string attrs;   ///< the op's attribute dictionary
  bool encode;         ///< encode (codes out) rather than quantize
  size_t outBytes;
  int64_t elements() const {
    int64_t n = 1;
    for (int64_t d : shape)
      n *= d;
    return n;
  }
};

std::vector<Kernel> kernels(int64_t n) {
  const char *e4m3 = "format = #qtrain.fp<e4m3fn>";
  int64_t fbRow = 96 * 9; // FlexBlock: [N, 96, 3, 3] (4 blocks of 24 channels)
  return {
      {"e4m3fn_nearest_even", {n}, "f32", e4m3, false, 4},
      {"e4m3fn_stochastic_k3",
       {n},
       "f32",
       std::string(e4m3) +
           ", rounding = #qtrain.rounding<stochastic, bits = 3>",
       false,
       4},
      {"e4m3fn_encode_nearest_even", {n}, "f8E4M3FN", e4m3, true, 1},
      {"mxfp8_e4m3 [n/1024, 1024]",
       {n / 1024, 1024},
       "f32",
       "format = #qtrain.scaled<mxfp8_e4m3>",
       false,
       4},
      {"fb12 [N, 96, 3, 3]",
       {n / fbRow, 96, 3, 3},
       "f32",
       "format = #qtrain.scaled<fb12>",
       false,
       4},
  };
}

std::string dims(llvm::ArrayRef<int64_t> shape) {
  std::string s;
  for (int64_t d : shape)
    s += std::to_string(d) + "x";
  return s;
}

std::string moduleText(llvm::ArrayRef<Kernel> ks) {
  std::string s;
  llvm::raw_string_ostream os(s);
  for (size_t i = 0; i < ks.size(); ++i) {
    const Kernel &k = ks[i];
    std::string in = "tensor<" + dims(k.shape) + "f32>";
    std::string out = "tensor<" + dims(k.shape) + k.outType + ">";
    std::string flatIn = "tensor<" + std::to_string(k.elements()) + "xf32>";
    std::string flatOut =
        "tensor<" + std::to_string(k.elements()) + "x" + k.outType + ">";
    std::string assoc;
    for (size_t d = 0; d < k.shape.size(); ++d)
      assoc += (d ? ", " : "") + std::to_string(d);
    std::string outShape;
    for (size_t d = 0; d < k.shape.size(); ++d)
      outShape += (d ? ", " : "") + std::to_string(k.shape[d]);
    bool stochastic = k.attrs.find("stochastic") != std::string::npos;
    std::string op =
        k.encode ? llvm::formatv("%r = qtrain.encode %t {{{0}} : {1} -> {2}",
                                 k.attrs, in, out)
                       .str()
                 : llvm::formatv("%r = qtrain.quantize %t{0} {{{1}} : {2}",
                                 stochastic ? " seed(%seed)" : "", k.attrs, in)
                       .str();
    os << llvm::formatv(R"(
func.func @k{0}(%in: memref<?xf32>, %out: memref<?x{1}>, %seed: i64)
    attributes {{llvm.emit_c_interface} {{
  %a = bufferization.to_tensor %in restrict : memref<?xf32> to tensor<?xf32>
  %b = tensor.cast %a : tensor<?xf32> to {2}
  %t = tensor.expand_shape %b [[{3}]] output_shape [{4}] : {2} into {5}
  {6}
  %c = tensor.collapse_shape %r [[{3}]] : {7} into {8}
  %d = tensor.cast %c : {8} to tensor<?x{1}>
  bufferization.materialize_in_destination %d in restrict writable %out
      : (tensor<?x{1}>, memref<?x{1}>) -> ()
  return
}
)",
                        i, k.outType, flatIn, assoc, outShape, in, op, out,
                        flatOut);
  }
  return s;
}

} // namespace

int main(int argc, char **argv) {
  benchmark::Initialize(&argc, argv);
  size_t n = bench::elementsOption(argc, argv, size_t(1) << 26);
  std::vector<bench::BenchTarget> targets = bench::targetsOption(argc, argv);
  llvm::outs() << llvm::formatv(
      "{0} f32 elements; wall-clock times; bytes/s count input read + output "
      "written\n",
      n);
  llvm::outs().flush();

  auto ctx = createJitContext();
  std::vector<Kernel> ks = kernels(static_cast<int64_t>(n));
  // Engines live until the benchmarks have run.
  std::vector<std::unique_ptr<mlir::ExecutionEngine>> engines;
  bench::registerCopyBandwidth(n);
  for (const bench::BenchTarget &target : targets) {
    auto engine = jitCompile(*ctx, moduleText(ks), target.options);
    if (!engine) {
      llvm::errs() << "qtrain-cpu-bench [" << target.label
                   << "]: " << llvm::toString(engine.takeError()) << "\n";
      return 1;
    }
    for (size_t i = 0; i < ks.size(); ++i) {
      const Kernel &k = ks[i];
      auto fn = lookupCInterface<UnaryFn>(**engine, "k" + std::to_string(i));
      if (!fn) {
        llvm::errs() << llvm::toString(fn.takeError()) << "\n";
        return 1;
      }
      UnaryFn *f = *fn;
      size_t outBytes = k.outBytes;
      int64_t m = k.elements();
      benchmark::RegisterBenchmark(
          ("lowering [" + target.label + "] " + k.name).c_str(),
          [f, n, m, outBytes](benchmark::State &state) {
            const std::vector<float> &in = bench::normalInput(n);
            std::vector<uint8_t> out(m * outBytes);
            Memref1D inD = memref1D(in.data(), m);
            Memref1D outD = memref1D(out.data(), m);
            for (auto _ : state) {
              f(&inD, &outD, 7);
              benchmark::DoNotOptimize(out.data());
              benchmark::ClobberMemory();
            }
            bench::reportBytes(state, m, 4 + outBytes);
          })
          ->Unit(benchmark::kMillisecond)
          ->UseRealTime();
    }
    engines.push_back(std::move(*engine));
  }

  // The library on the same input, single-threaded.
  auto library = [n](const char *name, nx::Rounding r) {
    benchmark::RegisterBenchmark(name,
                                 [n, r](benchmark::State &state) {
                                   nx::MinifloatFormat f =
                                       *nx::lookupMinifloat("e4m3fn");
                                   const std::vector<float> &in =
                                       bench::normalInput(n);
                                   std::vector<float> out(n);
                                   for (auto _ : state) {
                                     nx::quantize(f, in, out, r);
                                     benchmark::DoNotOptimize(out.data());
                                   }
                                   bench::reportBytes(state, n);
                                 })
        ->Unit(benchmark::kMillisecond)
        ->UseRealTime();
  };
  library("library e4m3fn_nearest_even", nx::Rounding());
  library("library e4m3fn_stochastic_k3", nx::Rounding::stochastic(3));
  auto libraryScaled = [n](const char *name, const char *preset,
                           std::vector<int64_t> shape) {
    benchmark::RegisterBenchmark(
        name,
        [n, preset, shape](benchmark::State &state) {
          const nx::ScaledPreset *p = nx::lookupScaled(preset);
          int64_t m = 1;
          for (int64_t d : shape)
            m *= d;
          const std::vector<float> &all = bench::normalInput(n);
          llvm::ArrayRef<float> in(all.data(), m);
          std::vector<float> out(m);
          for (auto _ : state) {
            if (llvm::Error e =
                    nx::quantizeScaled(p->format, shape, in, out, p->rounding))
              state.SkipWithError(llvm::toString(std::move(e)).c_str());
            benchmark::DoNotOptimize(out.data());
          }
          bench::reportBytes(state, m);
        })
        ->Unit(benchmark::kMillisecond)
        ->UseRealTime();
  };
  for (const Kernel &k : ks)
    if (k.attrs.find("scaled<") != std::string::npos) {
      std::string preset = k.attrs.substr(k.attrs.find('<') + 1);
      preset = preset.substr(0, preset.find('>'));
      libraryScaled(strdup(("library " + k.name).c_str()),
                    strdup(preset.c_str()), k.shape);
    }

  bench::SummaryReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();

  // The ratios the performance targets are stated in (docs/Performance.md):
  // of the one-thread memcpy, and of the copy on every hardware thread (the
  // code's tiles run on all of them).
  const bench::SummaryReporter::Figures *copy =
      reporter.find(bench::copyBandwidthName(1) + "/real_time");
  const bench::SummaryReporter::Figures *parallel = reporter.find(
      bench::copyBandwidthName(bench::copyThreads()) + "/real_time");
  if (copy && copy->bytesPerSec > 0 && parallel && parallel->bytesPerSec > 0) {
    llvm::outs() << llvm::formatv(
        "\nof the memcpy ceiling ({0:f2} GB/s, 1 thread) and of the parallel "
        "copy ({1:f2} GB/s, {2} threads):\n",
        copy->bytesPerSec / 1e9, parallel->bytesPerSec / 1e9,
        bench::copyThreads());
    for (const bench::BenchTarget &target : targets)
      for (const Kernel &k : ks)
        if (const auto *f = reporter.find("lowering [" + target.label + "] " +
                                          k.name + "/real_time"))
          llvm::outs() << llvm::formatv(
              "  [{0}] {1,-34} {2,4:f0}%  {3,4:f0}%\n", target.label, k.name,
              100 * f->bytesPerSec / copy->bytesPerSec,
              100 * f->bytesPerSec / parallel->bytesPerSec);
  }
  return 0;
}
