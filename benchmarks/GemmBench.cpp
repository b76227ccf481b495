//===- GemmBench.cpp - qtrain.matmul beside OpenBLAS sgemm ----------------===//
//
// 1024 x 1024 x 1024 GEMMs of the CPU lowering (JIT-compiled for each
// target CPU, as qtrain-cpu-bench; parallel row tiles) in one run beside
// OpenBLAS's sgemm (Debian's libopenblas, its own threads): the lowering's
// plain f32 matmul, block- format operands (FlexBlock's 4-bit sign-magnitude
// element with one E8M0 exponent per 216 elements of a row: the fb12 preset's
// [24, 3, 3] blocks need a convolution weight's shape) with f32 accumulation,
// and FP8 (e4m3fn) operands with FP12 (1-5-6) accumulation under static groups
// of 16 and under efficient DGA (c = 4). Operands are quantized before the
// timed region; times are wall-clock.
//
//   qtrain-gemm-bench [--size=N] [--targets=host,x86-64-v3]
//                     [--gemm-rows=R] [--gemm-vectors=V]
//                     [--emulated-rows=R] [--emulated-vectors=V]
//                     [--benchmark_min_time=SECONDS]
//
// A closing table gives each GEMM's time as a multiple of sgemm's.
//
//===----------------------------------------------------------------------===//

#include "BenchCommon.h"
#include "BenchTargets.h"

#include "qtrain/ExecutionEngine/Jit.h"
#include "qtrain/Numerics/Presets.h"

#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/raw_ostream.h"

#include <cblas.h>

using namespace qtrain;
namespace nx = qtrain::numerics;

namespace {

using GemmFn = void(Memref1D *a, Memref1D *b, Memref1D *c);

struct Variant {
  const char *name;
  const char *accumulation; ///< attribute text, or "" for the default
  const char *operands;     ///< the quantization of both operands
};

const Variant kVariants[] = {
    {"f32 operands, f32 accumulation", "", "f32"},
    {"FlexBlock-4 operands, f32 accumulation", "", "fb4row"},
    {"e4m3fn operands, FP12 static groups of 16",
     "#qtrain.accum<#qtrain.fp<fp12_dga>, static, group = 16>", "e4m3fn"},
    {"e4m3fn operands, FP12 E-DGA c = 4",
     "#qtrain.accum<#qtrain.fp<fp12_dga>, efficient_dga, c = 4>", "e4m3fn"},
    {"scaled e4m3fn operands, FP12 E-DGA c = 4",
     "#qtrain.accum<#qtrain.fp<fp12_dga>, efficient_dga, c = 4>",
     "e4m3fn-scaled"},
};

std::string moduleText(int64_t n) {
  std::string s;
  llvm::raw_string_ostream os(s);
  std::string t = llvm::formatv("tensor<{0}x{0}xf32>", n).str();
  std::string flat = llvm::formatv("tensor<{0}xf32>", n * n).str();
  for (size_t i = 0; i < std::size(kVariants); ++i) {
    std::string attrs =
        *kVariants[i].accumulation
            ? std::string(" {accumulation = ") + kVariants[i].accumulation + "}"
            : "";
    auto in = [&](const char *name, const char *arg) {
      return llvm::formatv("  %{0}f = bufferization.to_tensor %{1} restrict : "
                           "memref<?xf32> to "
                           "tensor<?xf32>\n  %{0}s = tensor.cast %{0}f : "
                           "tensor<?xf32> to {2}\n"
                           "  %{0} = tensor.expand_shape %{0}s [[0, 1]] "
                           "output_shape [{3}, {3}] "
                           ": {2} into {4}\n",
                           name, arg, flat, n, t)
          .str();
    };
    os << llvm::formatv("func.func @gemm{0}(%a: memref<?xf32>, %b: "
                        "memref<?xf32>, %c: memref<?xf32>) attributes "
                        "{{llvm.emit_c_interface} {{\n",
                        i);
    os << in("x", "a") << in("y", "b");
    os << llvm::formatv("  %z = qtrain.matmul %x, %y{0} : {1}, {1} -> {1}\n"
                        "  %zc = tensor.collapse_shape %z [[0, 1]] : {1} into "
                        "{2}\n  %zd = tensor.cast %zc : {2} to tensor<?xf32>\n"
                        "  bufferization.materialize_in_destination %zd in "
                        "restrict writable %c : (tensor<?xf32>, memref<?xf32>) "
                        "-> ()\n  return\n}\n",
                        attrs, t, flat);
  }
  return s;
}

/// A random operand quantized as the variant says.
std::vector<float> operand(int64_t n, const char *kind, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> d(0.2f, 1.0f);
  std::vector<float> v(n * n);
  for (float &x : v)
    x = d(rng);
  std::string k = kind;
  if (k == "e4m3fn" || k == "e4m3fn-scaled") {
    nx::quantize(*nx::lookupMinifloat("e4m3fn"), v, v, nx::Rounding());
    // As a tensor quantized with an f32 (current-amax) scale: values of up
    // to 24 significant bits.
    if (k == "e4m3fn-scaled")
      for (float &x : v)
        x /= 0.37f;
  } else if (k == "fb4row") {
    nx::ScaledFormat f = nx::lookupScaled("fb12")->format;
    f.levels[0].blockShape = {216};
    std::vector<float> q(v.size());
    if (llvm::Error e = nx::quantizeScaled(
            f, {n * n / 216, 216},
            llvm::ArrayRef<float>(v).take_front(n * n / 216 * 216),
            llvm::MutableArrayRef<float>(q).take_front(n * n / 216 * 216),
            nx::lookupScaled("fb12")->rounding))
      llvm::report_fatal_error(std::move(e));
    v = q;
  }
  return v;
}

} // namespace

int main(int argc, char **argv) {
  benchmark::Initialize(&argc, argv);
  int64_t n = 1024;
  for (int i = 1; i < argc; ++i)
    if (std::strncmp(argv[i], "--size=", 7) == 0)
      n = std::strtoll(argv[i] + 7, nullptr, 10);
  std::vector<bench::BenchTarget> targets = bench::targetsOption(argc, argv);
  double flops = 2.0 * n * n * n;
  llvm::outs() << llvm::formatv(
      "{0} x {0} x {0} GEMM; flops/s count 2 n^3; OpenBLAS {1} with {2} "
      "threads, {3} kernels\n",
      n, OPENBLAS_VERSION, openblas_get_num_threads(), openblas_get_corename());
  llvm::outs().flush();

  const char *blasName = "OpenBLAS sgemm (f32)";
  benchmark::RegisterBenchmark(
      blasName,
      [n, flops](benchmark::State &state) {
        std::vector<float> a = operand(n, "f32", 1), b = operand(n, "f32", 2),
                           c(n * n);
        for (auto _ : state) {
          cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f,
                      a.data(), n, b.data(), n, 0.0f, c.data(), n);
          benchmark::DoNotOptimize(c.data());
        }
        state.counters["flops/s"] = benchmark::Counter(
            flops, benchmark::Counter::kIsIterationInvariantRate);
      })
      ->Unit(benchmark::kMillisecond)
      ->UseRealTime();

  auto ctx = createJitContext();
  std::vector<std::unique_ptr<mlir::ExecutionEngine>> engines;
  auto nameOf = [](const bench::BenchTarget &t, const Variant &v) {
    return "lowering [" + t.label + "] " + v.name;
  };
  for (const bench::BenchTarget &target : targets) {
    auto engine = jitCompile(*ctx, moduleText(n), target.options);
    if (!engine) {
      llvm::errs() << "qtrain-gemm-bench [" << target.label
                   << "]: " << llvm::toString(engine.takeError()) << "\n";
      return 1;
    }
    for (size_t i = 0; i < std::size(kVariants); ++i) {
      auto fn = lookupCInterface<GemmFn>(**engine, "gemm" + std::to_string(i));
      if (!fn) {
        llvm::errs() << llvm::toString(fn.takeError()) << "\n";
        return 1;
      }
      GemmFn *f = *fn;
      const char *kind = kVariants[i].operands;
      benchmark::RegisterBenchmark(
          nameOf(target, kVariants[i]).c_str(),
          [f, n, kind, flops](benchmark::State &state) {
            std::vector<float> a = operand(n, kind, 1), b = operand(n, kind, 2),
                               c(n * n);
            Memref1D ad = memref1D(a.data(), n * n),
                     bd = memref1D(b.data(), n * n),
                     cd = memref1D(c.data(), n * n);
            for (auto _ : state) {
              f(&ad, &bd, &cd);
              benchmark::DoNotOptimize(c.data());
            }
            state.counters["flops/s"] = benchmark::Counter(
                flops, benchmark::Counter::kIsIterationInvariantRate);
          })
          ->Unit(benchmark::kMillisecond)
          ->UseRealTime();
    }
    engines.push_back(std::move(*engine));
  }
  bench::SummaryReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();

  // The ratios the performance targets are stated in (docs/Performance.md).
  const auto *blas = reporter.find(std::string(blasName) + "/real_time");
  if (blas && blas->seconds > 0) {
    llvm::outs() << llvm::formatv("\ntime / OpenBLAS sgemm ({0:f1} ms):\n",
                                  blas->seconds * 1e3);
    for (const bench::BenchTarget &target : targets)
      for (const Variant &v : kVariants)
        if (const auto *f = reporter.find(nameOf(target, v) + "/real_time"))
          llvm::outs() << llvm::formatv("  [{0}] {1,-44} {2,6:f2}x\n",
                                        target.label, v.name,
                                        f->seconds / blas->seconds);
  }
  return 0;
}
