//===- CostModel.h - The cycle and energy model -----------------*- C++ -*-===//
//
// docs/Accelerator.md, "Cycle model" and "Energy model": the latency of each
// instruction, the dispatch / start / end times of the concurrent machine,
// and the per-operation energies with their scaling in bit width. Results of
// a program never depend on this file.
//
//===----------------------------------------------------------------------===//

#ifndef QTRAIN_ACCEL_SIM_COSTMODEL_H
#define QTRAIN_ACCEL_SIM_COSTMODEL_H

#include "qtrain/Accel/Machine.h"
#include "qtrain/Numerics/Accumulation.h"
#include "qtrain/Numerics/ElementFormat.h"

#include <array>
#include <cstdint>
#include <vector>

namespace qtrain::accel::sim {

/// ceil(a / b) for b > 0.
inline uint64_t ceilDiv(uint64_t a, uint64_t b) { return (a + b - 1) / b; }

//===----------------------------------------------------------------------===//
// Latencies
//===----------------------------------------------------------------------===//

/// LOAD, STORE: dram.latency_cycles + max(traffic / dram.bytes_per_cycle,
/// positions / convert.elements_per_cycle).
uint64_t transferLatency(const MachineDescription &m, uint64_t trafficBytes,
                         uint64_t positions);
/// REG_LOAD, REG_STORE: dram.latency_cycles + bytes / dram.bytes_per_cycle.
uint64_t registerTransferLatency(const MachineDescription &m, uint64_t bytes);
/// GEMM: gemm.latency_cycles + max(ceil(m / M) ceil(n / N) ceil(k / K(mode))
/// P, bytesA / input_sp.read_bytes_per_cycle, bytesB /
/// weight_sp.read_bytes_per_cycle).
uint64_t gemmLatency(const MachineDescription &machine, uint64_t m, uint64_t n,
                     uint64_t k, uint64_t mode, uint64_t bytesA,
                     uint64_t bytesB);

//===----------------------------------------------------------------------===//
// Energy
//===----------------------------------------------------------------------===//

/// The energy model's constants and their width scaling (pJ).
class EnergyModel {
public:
  explicit EnergyModel(const MachineDescription &machine);

  /// A `w`-bit integer add: linear through (8, int_add_8) and (32,
  /// int_add_32).
  double intAdd(double w) const;
  /// A float add of significand width `p`: linear through (11, fp_add_16)
  /// and (24, fp_add_32).
  double fpAdd(double p) const;
  /// A `pa x pb` integer multiply: a + b pa pb through (8, int_mul_8) and
  /// (32, int_mul_32).
  double intMul(double pa, double pb) const;
  /// A float multiply of significands `pa`, `pb`: a + b pa pb through (11,
  /// fp_mul_16) and (24, fp_mul_32).
  double fpMul(double pa, double pb) const;
  /// One 64-bit access of an SRAM of `bytes` bytes: linear in log2(bytes)
  /// through 8 KiB, 32 KiB and 1 MiB, extrapolated with the nearest segment.
  double sram64(double bytes) const;
  /// `bits` of DRAM traffic.
  double dram(double bits) const { return bits / 64 * e.dram64b; }

  /// One MAC of operands in these formats: the float formula on the
  /// significands unless both are integers (then the integer formula on the
  /// magnitude bits), plus an 8-bit integer add per operand with a block
  /// level.
  double multiply(const numerics::ElementFormat &a, bool aBlock,
                  const numerics::ElementFormat &b, bool bBlock) const;

  const EnergyDesc &constants() const { return e; }
  double inputSp64 = 0, weightSp64 = 0, acc64 = 0, histogram64 = 0;

private:
  EnergyDesc e;
};

/// The ACC bits of one output's accumulation state under `spec`: bw(acc)
/// without grouping; bw(acc) + bw(outer) + 16 for grouped float
/// accumulation, plus bw(acc) for a DGA threshold; fixed_bits + bw(outer) +
/// 16 for fixed-point groups.
unsigned accumulationStateBits(const numerics::AccumulationSpec &spec);

//===----------------------------------------------------------------------===//
// Timeline
//===----------------------------------------------------------------------===//

/// Dispatch, start and end times of the concurrent machine, computed in
/// program order (every pop's push and every queue-full wait's pop come
/// earlier in program order).
struct Timeline {
  uint64_t dispatchCycle = 0;          ///< `d`: the next word's dispatch cycle.
  std::array<uint64_t, 3> queueFree{}; ///< End (with push stalls) of the
                                       ///< queue's last instruction.
  std::array<std::vector<uint64_t>, 3> starts; ///< Per queue, in order.
  /// Per queue, the ends (with push stalls) of its instructions, in order
  /// (the load and store queues keep up to dram.outstanding_transfers in
  /// flight), and the end of its last transfer's data phase.
  std::array<std::vector<uint64_t>, 3> ends;
  std::array<uint64_t, 3> dataFree{};
  uint64_t lastEnd = 0;
};

} // namespace qtrain::accel::sim

#endif // QTRAIN_ACCEL_SIM_COSTMODEL_H
