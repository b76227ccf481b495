//===- CpuLoweringBench.cpp - Throughput of the CPU lowering --------------===//
//
// Quantize throughput of the code qtrain-to-llvm generates (JIT-compiled for
// this machine), printed in the same run beside the machine's ceiling (a
// memcpy of the same buffers, bytes read + written) and beside the numerics
// library's own speed on the same input. 64M f32 elements by default.
//
//   qtrain-cpu-bench [--elements=N] [--vector-width=W] [--benchmark_min_time=1x]
//
//===----------------------------------------------------------------------===//

#include "BenchCommon.h"

#include "qtrain/ExecutionEngine/Jit.h"
#include "qtrain/Numerics/Presets.h"

#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/raw_ostream.h"

#include <cstring>

using namespace qtrain;
namespace nx = qtrain::numerics;

namespace {

struct Memref1D {
  void *allocated;
  void *aligned;
  int64_t offset;
  int64_t size;
  int64_t stride;
};

template <typename T> Memref1D view(T *data, int64_t n) {
  return {data, data, 0, n, 1};
}

using UnaryFn = void(Memref1D *in, Memref1D *out, int64_t seed);

/// The benchmarked ops, one function each: (name, output element type, op).
struct Kernel {
  const char *name;
  const char *outType;
  const char *op;
  size_t outBytes;
};

const Kernel kKernels[] = {
    {"e4m3fn_nearest_even", "f32",
     "qtrain.quantize %t {format = #qtrain.fp<e4m3fn>} : tensor<?xf32>", 4},
    {"e4m3fn_stochastic_k3", "f32",
     "qtrain.quantize %t seed(%seed) {format = #qtrain.fp<e4m3fn>, rounding = "
     "#qtrain.rounding<stochastic, bits = 3>} : tensor<?xf32>",
     4},
    {"e4m3fn_encode_nearest_even", "f8E4M3FN",
     "qtrain.encode %t {format = #qtrain.fp<e4m3fn>} : tensor<?xf32> -> "
     "tensor<?xf8E4M3FN>",
     1},
};

std::string moduleText() {
  std::string s;
  llvm::raw_string_ostream os(s);
  for (const Kernel &k : kKernels)
    os << llvm::formatv(R"(
func.func @{0}(%in: memref<?xf32>, %out: memref<?x{1}>, %seed: i64)
    attributes {{llvm.emit_c_interface} {
  %t = bufferization.to_tensor %in restrict : memref<?xf32> to tensor<?xf32>
  %r = {2}
  bufferization.materialize_in_destination %r in restrict writable %out
      : (tensor<?x{1}>, memref<?x{1}>) -> ()
  return
}
)",
                        k.name, k.outType, k.op);
  return s;
}

} // namespace

int main(int argc, char **argv) {
  benchmark::Initialize(&argc, argv);
  size_t n = bench::elementsOption(argc, argv, size_t(1) << 26);
  JitOptions options;
  for (int i = 1; i < argc; ++i)
    if (std::strncmp(argv[i], "--vector-width=", 15) == 0)
      options.vectorWidth = std::strtoll(argv[i] + 15, nullptr, 10);

  auto ctx = createJitContext();
  auto engine = compileForHost(*ctx, moduleText(), options);
  if (!engine) {
    llvm::errs() << "qtrain-cpu-bench: " << llvm::toString(engine.takeError())
                 << "\n";
    return 1;
  }
  llvm::outs() << llvm::formatv("{0} f32 elements, vector width {1}; bytes/s "
                                "count input read + output written\n",
                                n, options.vectorWidth);
  llvm::outs().flush();

  bench::registerCopyBandwidth(n);
  for (const Kernel &k : kKernels) {
    auto fn = lookupCInterface<UnaryFn>(**engine, k.name);
    if (!fn) {
      llvm::errs() << llvm::toString(fn.takeError()) << "\n";
      return 1;
    }
    UnaryFn *f = *fn;
    size_t outBytes = k.outBytes;
    benchmark::RegisterBenchmark(
        (std::string("lowering ") + k.name).c_str(),
        [f, n, outBytes](benchmark::State &state) {
          const std::vector<float> &in = bench::normalInput(n);
          std::vector<uint8_t> out(n * outBytes);
          Memref1D inD = view(const_cast<float *>(in.data()), n);
          Memref1D outD = view(out.data(), n);
          for (auto _ : state) {
            f(&inD, &outD, 7);
            benchmark::DoNotOptimize(out.data());
            benchmark::ClobberMemory();
          }
          bench::reportBytes(state, n, 4 + outBytes);
        })
        ->Unit(benchmark::kMillisecond);
  }

  // The library on the same input, single-threaded.
  auto library = [n](const char *name, nx::Rounding r) {
    benchmark::RegisterBenchmark(
        name, [n, r](benchmark::State &state) {
          nx::MinifloatFormat f = *nx::lookupMinifloat("e4m3fn");
          const std::vector<float> &in = bench::normalInput(n);
          std::vector<float> out(n);
          for (auto _ : state) {
            nx::quantize(f, in, out, r);
            benchmark::DoNotOptimize(out.data());
          }
          bench::reportBytes(state, n);
        })
        ->Unit(benchmark::kMillisecond);
  };
  library("library e4m3fn_nearest_even", nx::Rounding());
  library("library e4m3fn_stochastic_k3", nx::Rounding::stochastic(3));

  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
