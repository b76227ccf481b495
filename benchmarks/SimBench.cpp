//===- SimBench.cpp - Simulated MACs per second of the functional model ---===//
//
// Issue 10's speed targets for qtrain-sim, on one core: at least 100 M
// simulated MAC/s with FP8 operands and f32 accumulation, at least 20 M
// MAC/s with FP12 efficient DGA. Each iteration runs one program on a fresh
// model: two LOADs of 64 x 1024 E4M3 operands (per-element conversion), then
// K-tiled GEMMs of 64 x 64 x 1024 repeated `repeats` times (4M MACs each),
// and a STORE. The `MAC/s` counter is the GEMM MACs over the whole run's
// time, loads and set-up included; `numerics::gemm` on the same decoded
// operands is printed beside it (the library's own loop, the ceiling of a
// model that calls it per MAC).
//
//   qtrain-sim-bench [--benchmark_min_time=1s]
//
//===----------------------------------------------------------------------===//

#include "qtrain/Accel/Configuration.h"
#include "qtrain/Accel/ISA.h"
#include "qtrain/Accel/Machine.h"
#include "qtrain/Accel/Sim/Simulator.h"
#include "qtrain/Numerics/Accumulation.h"
#include "qtrain/Numerics/Presets.h"

#include "llvm/ADT/bit.h"
#include "llvm/Support/raw_ostream.h"

#include "benchmark/benchmark.h"

#include <random>
#include <vector>

using namespace llvm;
using namespace qtrain;
using namespace qtrain::accel;
using namespace qtrain::numerics;

namespace {

constexpr int64_t kM = 64, kN = 64, kK = 1024, kTile = 256;

std::vector<float> operand(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> d(0.0f, 1.0f);
  std::vector<float> v(n);
  for (float &x : v)
    x = d(rng);
  return v;
}

std::vector<uint8_t> bytesOf(ArrayRef<float> v) {
  std::vector<uint8_t> b(4 * v.size());
  for (size_t i = 0; i < v.size(); ++i)
    for (unsigned k = 0; k < 4; ++k)
      b[4 * i + k] = static_cast<uint8_t>(bit_cast<uint32_t>(v[i]) >> (8 * k));
  return b;
}

/// The program: E4M3 operands in 8-bit lanes (16 rows of 64 per K-vector),
/// `repeats` passes of K-tiled GEMMs into the same outputs.
std::vector<Instruction> program(const AccumulationSpec &spec, int repeats) {
  std::string text;
  raw_string_ostream os(text);
  auto print = [&](ArrayRef<Instruction> insts) {
    for (const Instruction &i : insts) {
      printInstruction(os, i);
      os << "\n";
    }
  };
  print(cantFail(configureRounding(0, Rounding(), 0)));
  print(cantFail(configureAccumulation(0, spec)));
  print(cantFail(configureFormat(
      0, ScaledFormat{*lookupMinifloat("e4m3fn"), {}}, FormatPlacement())));
  os << "cfg.td_dram td=0 dram_stride_y=" << kK << " dram_stride_x=1\n"
     << "cfg.td_chip td=0 chip_stride_y=" << kK << " chip_stride_x=1\n"
     << "cfg.td_dram td=1 dram_stride_y=1 dram_stride_x=" << kN << "\n"
     << "cfg.td_chip td=1 chip_stride_y=" << kK << " chip_stride_x=1\n"
     << "cfg.td_dram td=2 dram_stride_y=" << kN << " dram_stride_x=1\n"
     << "cfg.td_chip td=2 chip_stride_y=" << kN << " chip_stride_x=1\n"
     << "load dst=sp_input format=0 td=0 layout=f32 dram_addr=0 chip_row=0 "
        "size_z=1 size_y="
     << kM << " size_x=" << kK << "\n"
     << "load push_next dst=sp_weight format=0 td=1 layout=f32 "
        "dram_addr=0x100000 chip_row=0 size_z=1 size_y="
     << kN << " size_x=" << kK << "\n";
  int tiles = kK / kTile;
  for (int r = 0; r < repeats; ++r)
    for (int t = 0; t < tiles; ++t) {
      bool first = r == 0 && t == 0, last = r == repeats - 1 && t == tiles - 1;
      os << "gemm" << (first ? " pop_prev init" : "")
         << (t == 0 && r > 0 ? " init" : "") << (last ? " push_next" : "")
         << (t == tiles - 1 ? " finish" : "")
         << " format_a=0 format_b=0 accum=0 mode=m4 a_row=" << t * kTile / 64
         << " a_rows_per_vector=16 b_row=" << t * kTile / 64
         << " b_rows_per_vector=16 acc_entry=0 m=" << kM << " n=" << kN
         << " k=" << kTile << "\n";
    }
  os << "store pop_prev format=0 td=2 layout=raw32 dram_addr=0x200000 "
        "acc_entry=0 size_z=1 size_y="
     << kM << " size_x=" << kN << "\nfinish\n";
  return cantFail(parseAssembly(text));
}

void simulate(benchmark::State &state, AccumulationSpec spec, int repeats) {
  std::vector<uint8_t> a = bytesOf(operand(kM * kK, 1));
  std::vector<uint8_t> w = bytesOf(operand(kK * kN, 2));
  std::vector<Instruction> prog = program(spec, repeats);
  MachineDescription m = getDefaultMachine();
  m.dram.bytes = 4 << 20;
  uint64_t macs = 0;
  for (auto _ : state) {
    std::unique_ptr<sim::Simulator> s = cantFail(sim::Simulator::create(m));
    cantFail(s->writeDram(0, a));
    cantFail(s->writeDram(0x100000, w));
    if (Error e = s->run(prog)) {
      state.SkipWithError(toString(std::move(e)).c_str());
      return;
    }
    macs += s->getCounters().macs[GemmMode::M4];
  }
  state.counters["MAC/s"] = benchmark::Counter(static_cast<double>(macs),
                                               benchmark::Counter::kIsRate);
}

/// numerics::gemm on E4M3 values: the library's own loop.
void library(benchmark::State &state, AccumulationSpec spec) {
  MinifloatFormat e4m3 = *lookupMinifloat("e4m3fn");
  std::vector<float> a = operand(kM * kK, 1), w = operand(kK * kN, 2);
  quantize(e4m3, a, a, Rounding());
  quantize(e4m3, w, w, Rounding());
  std::vector<float> c(kM * kN);
  for (auto _ : state) {
    cantFail(gemm(a, w, c, kM, kN, kK, spec));
    benchmark::DoNotOptimize(c.data());
  }
  state.counters["MAC/s"] =
      benchmark::Counter(static_cast<double>(state.iterations()) * kM * kN * kK,
                         benchmark::Counter::kIsRate);
}

AccumulationSpec fp12EfficientDga() {
  AccumulationSpec s;
  s.accumulator = MinifloatFormat::standard(5, 6);
  s.outer = MinifloatFormat();
  s.grouping = numerics::Grouping::EfficientDGA;
  s.shiftC = 4;
  return s;
}

} // namespace

BENCHMARK_CAPTURE(simulate, fp8_f32_accumulation, AccumulationSpec(), 4)
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(library, fp8_f32_accumulation, AccumulationSpec())
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(simulate, fp8_fp12_efficient_dga, fp12EfficientDga(), 4)
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(library, fp8_fp12_efficient_dga, fp12EfficientDga())
    ->Unit(benchmark::kMillisecond);

BENCHMARK_MAIN();
