//===- JitStressTest.cpp - Many compile/run/free cycles, concurrently -----===//
//
// The parallel runtime's stress test: threads that each compile a module
// with every kind of parallel tile (elementwise quantize, stochastic
// rounding, scaled encode to byte codes, packed f32 GEMM), run it on fresh
// inputs, compare every bit with the numerics library and destroy the
// engine, many times over. ctest also runs two processes of it at once
// (test jit-stress-two-processes), and scripts/sanitize.sh runs it under
// ThreadSanitizer. QTRAIN_STRESS_CYCLES sets the cycles per thread.
//
//===----------------------------------------------------------------------===//

#include "qtrain/ExecutionEngine/Jit.h"
#include "qtrain/Numerics/Accumulation.h"
#include "qtrain/Numerics/Presets.h"

#include "llvm/ADT/bit.h"

#include "gtest/gtest.h"

#include <cstdlib>
#include <random>
#include <thread>
#include <vector>

using namespace qtrain;
namespace nx = qtrain::numerics;

namespace {

constexpr int64_t kElements = 40000; // 20 tiles of 2048
// MX blocks of 32 and 8 elements per row (a masked partial vector at every
// block edge), 8 parallel tiles of 64 blocks: byte-wide masked stores meet
// at tile boundaries.
constexpr int64_t kRows = 256, kCols = 40;
constexpr int64_t kM = 37, kK = 29, kN = 53;

const char *kModule = R"(
func.func @quantize(%in: memref<?xf32>, %out: memref<?xf32>, %seed: i64)
    attributes {llvm.emit_c_interface} {
  %x = bufferization.to_tensor %in restrict : memref<?xf32> to tensor<?xf32>
  %q = qtrain.quantize %x {format = #qtrain.fp<e4m3fn>} : tensor<?xf32>
  bufferization.materialize_in_destination %q in restrict writable %out
      : (tensor<?xf32>, memref<?xf32>) -> ()
  return
}
func.func @stochastic(%in: memref<?xf32>, %out: memref<?xf32>, %seed: i64)
    attributes {llvm.emit_c_interface} {
  %x = bufferization.to_tensor %in restrict : memref<?xf32> to tensor<?xf32>
  %q = qtrain.quantize %x seed(%seed) {format = #qtrain.fp<e5m2>, rounding = #qtrain.rounding<stochastic, bits = 3>} : tensor<?xf32>
  bufferization.materialize_in_destination %q in restrict writable %out
      : (tensor<?xf32>, memref<?xf32>) -> ()
  return
}
func.func @mx(%in: memref<256x40xf32>, %codes: memref<256x40xi8>,
              %scales: memref<256x2xi8>) attributes {llvm.emit_c_interface} {
  %x = bufferization.to_tensor %in restrict : memref<256x40xf32> to tensor<256x40xf32>
  %c, %s = qtrain.encode %x {format = #qtrain.scaled<mxfp8_e4m3>}
      : tensor<256x40xf32> -> tensor<256x40xi8>, tensor<256x2xi8>
  bufferization.materialize_in_destination %c in restrict writable %codes
      : (tensor<256x40xi8>, memref<256x40xi8>) -> ()
  bufferization.materialize_in_destination %s in restrict writable %scales
      : (tensor<256x2xi8>, memref<256x2xi8>) -> ()
  return
}
func.func @gemm(%a: memref<37x29xf32>, %b: memref<29x53xf32>,
                %c: memref<37x53xf32>) attributes {llvm.emit_c_interface} {
  %x = bufferization.to_tensor %a restrict : memref<37x29xf32> to tensor<37x29xf32>
  %y = bufferization.to_tensor %b restrict : memref<29x53xf32> to tensor<29x53xf32>
  %z = qtrain.matmul %x, %y : tensor<37x29xf32>, tensor<29x53xf32> -> tensor<37x53xf32>
  bufferization.materialize_in_destination %z in restrict writable %c
      : (tensor<37x53xf32>, memref<37x53xf32>) -> ()
  return
}
)";

using UnaryFn = void(Memref1D *, Memref1D *, int64_t);
using MxFn = void(Memref<2> *, Memref<2> *, Memref<2> *);
using GemmFn = void(Memref<2> *, Memref<2> *, Memref<2> *);

int cycles() {
  if (const char *s = std::getenv("QTRAIN_STRESS_CYCLES"))
    return std::max(1, std::atoi(s));
  return 25;
}

std::vector<float> normal(size_t n, std::mt19937_64 &rng) {
  std::normal_distribution<float> d(0.0f, 4.0f);
  std::vector<float> v(n);
  for (float &x : v)
    x = d(rng);
  return v;
}

/// One compile/run/compare/free cycle; returns the mismatches.
int64_t cycle(uint64_t seed) {
  auto ctx = createJitContext();
  JitOptions options;
  options.lowering.tileElements = 2048; // many tiles even on small inputs
  auto engine = jitCompile(*ctx, kModule, options);
  if (!engine) {
    ADD_FAILURE() << llvm::toString(engine.takeError());
    return 1;
  }
  std::mt19937_64 rng(seed);
  int64_t bad = 0;

  auto quantize = lookupCInterface<UnaryFn>(**engine, "quantize");
  auto stochastic = lookupCInterface<UnaryFn>(**engine, "stochastic");
  auto mx = lookupCInterface<MxFn>(**engine, "mx");
  auto gemm = lookupCInterface<GemmFn>(**engine, "gemm");
  if (!quantize || !stochastic || !mx || !gemm) {
    ADD_FAILURE() << "missing function";
    llvm::consumeError(quantize.takeError());
    llvm::consumeError(stochastic.takeError());
    llvm::consumeError(mx.takeError());
    llvm::consumeError(gemm.takeError());
    return 1;
  }

  std::vector<float> in = normal(kElements, rng), out(kElements),
                     want(kElements);
  Memref1D inD = memref1D(in.data(), kElements),
           outD = memref1D(out.data(), kElements);
  (**quantize)(&inD, &outD, 0);
  nx::quantize(*nx::lookupMinifloat("e4m3fn"), in, want, nx::Rounding());
  for (int64_t i = 0; i < kElements; ++i)
    bad +=
        llvm::bit_cast<uint32_t>(out[i]) != llvm::bit_cast<uint32_t>(want[i]);

  int64_t opSeed = static_cast<int64_t>(rng());
  (**stochastic)(&inD, &outD, opSeed);
  nx::Rounding sr = nx::Rounding::stochastic(3);
  sr.source.seed = static_cast<uint64_t>(opSeed);
  nx::quantize(*nx::lookupMinifloat("e5m2"), in, want, sr);
  for (int64_t i = 0; i < kElements; ++i)
    bad +=
        llvm::bit_cast<uint32_t>(out[i]) != llvm::bit_cast<uint32_t>(want[i]);

  std::vector<float> block = normal(kRows * kCols, rng);
  std::vector<uint8_t> codes(kRows * kCols), scales(kRows * 2);
  Memref<2> blockD = memrefOf<2>(block.data(), {kRows, kCols}),
            codesD = memrefOf<2>(codes.data(), {kRows, kCols}),
            scalesD = memrefOf<2>(scales.data(), {kRows, 2});
  (**mx)(&blockD, &codesD, &scalesD);
  const nx::ScaledPreset *mxfp8 = nx::lookupScaled("mxfp8_e4m3");
  auto want8 =
      nx::encodeScaled(mxfp8->format, {kRows, kCols}, block, mxfp8->rounding);
  if (!want8) {
    ADD_FAILURE() << llvm::toString(want8.takeError());
    return 1;
  }
  for (int64_t i = 0; i < kRows * kCols; ++i)
    bad += codes[i] != want8->codes[i];
  for (int64_t i = 0; i < kRows * 2; ++i)
    bad += scales[i] != want8->scales[0].codes[i];

  std::vector<float> a = normal(kM * kK, rng), b = normal(kK * kN, rng),
                     c(kM * kN), wantC(kM * kN);
  Memref<2> aD = memrefOf<2>(a.data(), {kM, kK}),
            bD = memrefOf<2>(b.data(), {kK, kN}),
            cD = memrefOf<2>(c.data(), {kM, kN});
  (**gemm)(&aD, &bD, &cD);
  if (llvm::Error e = nx::gemm(a, b, wantC, kM, kN, kK, {})) {
    ADD_FAILURE() << llvm::toString(std::move(e));
    return 1;
  }
  for (int64_t i = 0; i < kM * kN; ++i)
    bad += llvm::bit_cast<uint32_t>(c[i]) != llvm::bit_cast<uint32_t>(wantC[i]);
  return bad; // the engine and its code are freed here
}

TEST(JitStress, CompileRunFreeCyclesOnTwoThreads) {
  int n = cycles();
  std::vector<int64_t> mismatches(2, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < 2; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < n; ++i)
        mismatches[t] += cycle(1000 * t + i + 1);
    });
  for (std::thread &t : threads)
    t.join();
  EXPECT_EQ(mismatches[0], 0);
  EXPECT_EQ(mismatches[1], 0);
}

} // namespace
