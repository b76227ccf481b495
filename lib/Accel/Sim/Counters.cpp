//===- Counters.cpp - Printing what the functional model counted ----------===//

#include "qtrain/Accel/Sim/Counters.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/Format.h"

#include <numeric>

using namespace llvm;

namespace qtrain::accel::sim {

StringRef energyClassName(EnergyClass c) {
  switch (c) {
  case EnergyClass::Dram:
    return "dram";
  case EnergyClass::ScratchpadWrite:
    return "scratchpad_write";
  case EnergyClass::ScratchpadRead:
    return "scratchpad_read";
  case EnergyClass::Acc:
    return "acc";
  case EnergyClass::Multiply:
    return "multiply";
  case EnergyClass::Accumulate:
    return "accumulate";
  case EnergyClass::Conversion:
    return "conversion";
  case EnergyClass::Statistics:
    return "statistics";
  case EnergyClass::Vector:
    return "vector";
  }
  llvm_unreachable("unknown energy class");
}

double Counters::totalEnergyPj() const {
  return std::accumulate(energyPj.begin(), energyPj.end(), 0.0);
}

namespace {

/// The counters as (key, value) rows in print order; integers stay exact.
struct Row {
  std::string key;
  bool isInteger;
  uint64_t integer;
  double number;
};

std::vector<Row> rowsOf(const Counters &c, const MachineDescription &m) {
  std::vector<Row> rows;
  auto integer = [&](std::string key, uint64_t v) {
    rows.push_back({std::move(key), true, v, 0});
  };
  auto number = [&](std::string key, double v) {
    rows.push_back({std::move(key), false, 0, v});
  };
  // Bytes of bit counts: whole bytes, or halves for 4-bit lanes.
  auto bytes = [&](std::string key, uint64_t bits) {
    if (bits % 8 == 0)
      integer(std::move(key), bits / 8);
    else
      number(std::move(key), bits / 8.0);
  };

  uint64_t total = 0;
  for (uint64_t n : c.instructions)
    total += n;
  integer("instructions", total);
  for (const InstructionInfo &info : getInstructions())
    if (uint64_t n = c.instructions[static_cast<unsigned>(info.kind)])
      integer(("instructions." + info.mnemonic).str(), n);
  for (const EnumCaseInfo &mode : getEnumCases("GemmMode"))
    integer(("macs." + mode.text).str(), c.macs[mode.value]);
  for (const EnumCaseInfo &g : getEnumCases("Grouping"))
    integer(("products." + g.text).str(), c.products[g.value]);
  integer("group_closes", c.groupCloses);
  bytes("bytes.dram.read", c.dramReadBits);
  bytes("bytes.dram.write", c.dramWriteBits);
  bytes("bytes.sp_in.read", c.spReadBits[0]);
  bytes("bytes.sp_in.write", c.spWriteBits[0]);
  bytes("bytes.sp_wgt.read", c.spReadBits[1]);
  bytes("bytes.sp_wgt.write", c.spWriteBits[1]);
  bytes("bytes.acc.read", c.accReadBits);
  bytes("bytes.acc.write", c.accWriteBits);
  static const char *const kQueues[] = {"load", "compute", "store"};
  for (unsigned q = 0; q < 3; ++q) {
    std::string prefix = std::string("queue.") + kQueues[q] + ".";
    integer(prefix + "instructions", c.queues[q].instructions);
    integer(prefix + "busy_cycles", c.queues[q].busyCycles);
    integer(prefix + "token_waits", c.queues[q].tokenWaits);
    integer(prefix + "token_wait_cycles", c.queues[q].tokenWaitCycles);
  }
  integer("cycles", c.cycles);
  double ns = c.cycles / m.clockGhz;
  number("time_ns", ns);
  for (unsigned e = 0; e < kNumEnergyClasses; ++e)
    number(("energy_pj." + energyClassName(static_cast<EnergyClass>(e))).str(),
           c.energyPj[e]);
  number("energy_pj.total", c.totalEnergyPj());
  // pJ / ns = mW.
  number("power_mw", ns > 0 ? c.totalEnergyPj() / ns : 0.0);
  return rows;
}

} // namespace

void printCounters(raw_ostream &os, const Counters &c,
                   const MachineDescription &m) {
  os << "machine: " << m.name << "\n";
  for (const Row &r : rowsOf(c, m)) {
    os << r.key << ": ";
    if (r.isInteger)
      os << r.integer;
    else
      os << format("%.6g", r.number);
    os << "\n";
  }
}

json::Value countersToJSON(const Counters &c, const MachineDescription &m) {
  json::Object o;
  o["machine"] = m.name;
  for (const Row &r : rowsOf(c, m)) {
    if (r.isInteger)
      o[r.key] = static_cast<int64_t>(r.integer);
    else
      o[r.key] = r.number;
  }
  return json::Value(std::move(o));
}

} // namespace qtrain::accel::sim
