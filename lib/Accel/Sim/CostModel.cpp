//===- CostModel.cpp - The cycle and energy model -------------------------===//
//
// docs/Accelerator.md, "Cycle model" and "Energy model" (the constants are
// the machine description's `energy` section: Horowitz, ISSCC 2014).
//
//===----------------------------------------------------------------------===//

#include "qtrain/Accel/Sim/CostModel.h"

#include "qtrain/Accel/ISA.h"
#include "qtrain/Accel/Layout.h"

#include <algorithm>
#include <cmath>

using namespace qtrain::numerics;

namespace qtrain::accel::sim {

uint64_t transferLatency(const MachineDescription &m, uint64_t trafficBytes,
                         uint64_t positions) {
  return m.dram.latencyCycles +
         std::max(ceilDiv(trafficBytes, m.dram.bytesPerCycle),
                  ceilDiv(positions, m.convert.elementsPerCycle));
}

uint64_t registerTransferLatency(const MachineDescription &m, uint64_t bytes) {
  return m.dram.latencyCycles + ceilDiv(bytes, m.dram.bytesPerCycle);
}

uint64_t gemmLatency(const MachineDescription &machine, uint64_t m, uint64_t n,
                     uint64_t k, uint64_t mode, uint64_t bytesA,
                     uint64_t bytesB) {
  const auto &g = machine.gemm;
  uint64_t perCycle = mode == GemmMode::M4   ? g.kM4
                      : mode == GemmMode::M8 ? g.kM8
                                             : g.kM16; // f32 too
  uint64_t passes = mode == GemmMode::F32 ? g.f32Passes : 1;
  uint64_t compute =
      ceilDiv(m, g.m) * ceilDiv(n, g.n) * ceilDiv(k, perCycle) * passes;
  return g.latencyCycles +
         std::max({compute, ceilDiv(bytesA, machine.inputSp.readBytesPerCycle),
                   ceilDiv(bytesB, machine.weightSp.readBytesPerCycle)});
}

EnergyModel::EnergyModel(const MachineDescription &machine)
    : e(machine.energy) {
  inputSp64 = sram64(static_cast<double>(machine.inputSp.totalBytes()));
  weightSp64 = sram64(static_cast<double>(machine.weightSp.totalBytes()));
  acc64 =
      sram64(static_cast<double>(machine.acc.entries * machine.acc.entryBytes));
  // The statistics histograms: 280 + 557 counts of 8 bytes.
  histogram64 = sram64(8.0 * (280 + 557));
}

double EnergyModel::intAdd(double w) const {
  return e.intAdd8 + (w - 8) * (e.intAdd32 - e.intAdd8) / 24;
}

double EnergyModel::fpAdd(double p) const {
  return e.fpAdd16 + (p - 11) * (e.fpAdd32 - e.fpAdd16) / 13;
}

double EnergyModel::intMul(double pa, double pb) const {
  double b = (e.intMul32 - e.intMul8) / (32.0 * 32 - 8.0 * 8);
  double a = e.intMul8 - 64 * b;
  return a + b * pa * pb;
}

double EnergyModel::fpMul(double pa, double pb) const {
  double b = (e.fpMul32 - e.fpMul16) / (24.0 * 24 - 11.0 * 11);
  double a = e.fpMul16 - 121 * b;
  return a + b * pa * pb;
}

double EnergyModel::sram64(double bytes) const {
  // Points at log2 of 8 KiB, 32 KiB and 1 MiB.
  double x = std::log2(bytes);
  if (x <= 15)
    return e.sram8KB + (x - 13) * (e.sram32KB - e.sram8KB) / 2;
  return e.sram32KB + (x - 15) * (e.sram1MB - e.sram32KB) / 5;
}

double EnergyModel::multiply(const ElementFormat &a, bool aBlock,
                             const ElementFormat &b, bool bBlock) const {
  double pa = significandBits(a), pb = significandBits(b);
  double mul = a.integer() && b.integer() ? intMul(pa, pb) : fpMul(pa, pb);
  return mul + (aBlock ? e.intAdd8 : 0) + (bBlock ? e.intAdd8 : 0);
}

unsigned accumulationStateBits(const AccumulationSpec &spec) {
  unsigned acc = spec.accumulator.bitWidth();
  unsigned outer = spec.outerFormat().bitWidth();
  if (spec.grouping == numerics::Grouping::None)
    return acc;
  if (spec.fixedPoint)
    return spec.fixedPoint->bits + outer + 16;
  bool dga = spec.grouping == numerics::Grouping::IdealDGA ||
             spec.grouping == numerics::Grouping::EfficientDGA;
  return acc + outer + 16 + (dga ? acc : 0);
}

} // namespace qtrain::accel::sim
