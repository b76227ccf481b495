//===- Registers.cpp - REG_LOAD and REG_STORE -----------------------------===//
//
// docs/Accelerator.md, "REG_LOAD" and "REG_STORE": seeds from DRAM or an
// immediate, statistics histograms from and to DRAM as little-endian u64
// counts.
//
//===----------------------------------------------------------------------===//

#include "Executor.h"

#include "llvm/Support/Format.h"

using namespace llvm;

namespace qtrain::accel::sim {

namespace {

std::string hex(uint64_t v) {
  std::string s;
  raw_string_ostream(s) << "0x" << format_hex_no_prefix(v, 1);
  return s;
}

/// The histogram `part` of a statistics register.
MutableArrayRef<uint64_t> histogramOf(StatsRegister &r, uint64_t part) {
  if (part == StatsPart::ExponentHistogram)
    return r.exponentHistogram;
  return r.medianHistogram;
}

} // namespace

Error Executor::executeRegLoad(const Instruction &inst) {
  const uint64_t regfile = inst.get("regfile"), reg = inst.get("reg");
  const uint64_t part = inst.get("part"), addr = inst.get("dram_addr");
  const bool fromDram = inst.get("from_dram");
  const uint64_t imm = inst.get("imm");
  uint64_t bytes = 0;
  if (regfile == RegFile::Seed) {
    if (part != StatsPart::None)
      return fail("a seed register has no histogram part (part must be "
                  "none)");
    bytes = fromDram ? 8 : 0;
  } else {
    if (reg >= kStatsRegisters)
      return fail("statistics register " + Twine(reg) + " is above " +
                  Twine(kStatsRegisters - 1));
    if (part == StatsPart::None)
      return fail("a statistics register is loaded one histogram at a time "
                  "(part must be exponent_histogram or median_histogram)");
    if (!fromDram)
      return fail("a statistics register is loaded from DRAM (from_dram "
                  "must be set)");
    if (imm)
      return fail("imm must be 0 for a statistics register");
    bytes = 8 * histogramOf(state->stats[reg], part).size();
  }
  if (bytes && addr + bytes > machine.dram.bytes)
    return fail(Twine(bytes) + " bytes at " + hex(addr) +
                " are outside DRAM (" + hex(machine.dram.bytes) + " bytes)");

  if (Error e = start())
    return e;
  if (Error e = accessDramBits(8 * addr, 8 * bytes, /*write=*/false))
    return e;
  const Dram &dram = state->dram;
  if (regfile == RegFile::Seed) {
    if (Error e = access(LocationKind::Seed, reg, /*write=*/true))
      return e;
    SeedRegister &seed = state->seeds[reg];
    seed.value = (fromDram ? dram.read64(addr) : 0) + imm; // modulo 2^64
    seed.written = true;
  } else {
    if (Error e = access(LocationKind::Stats, reg, /*write=*/true))
      return e;
    MutableArrayRef<uint64_t> h = histogramOf(state->stats[reg], part);
    for (size_t i = 0; i < h.size(); ++i)
      h[i] = dram.read64(addr + 8 * i);
  }
  counters.dramReadBits += 8 * bytes;
  counters.addEnergy(EnergyClass::Dram, energy.dram(8.0 * bytes));
  cur.latency = registerTransferLatency(machine, bytes);
  return Error::success();
}

Error Executor::executeRegStore(const Instruction &inst) {
  // The encoding fixes regfile = stats, reg <= 3 and a histogram part.
  const uint64_t reg = inst.get("reg"), part = inst.get("part");
  const uint64_t addr = inst.get("dram_addr");
  const uint64_t bytes = 8 * histogramOf(state->stats[reg], part).size();
  if (addr + bytes > machine.dram.bytes)
    return fail(Twine(bytes) + " bytes at " + hex(addr) +
                " are outside DRAM (" + hex(machine.dram.bytes) + " bytes)");

  if (Error e = start())
    return e;
  if (Error e = access(LocationKind::Stats, reg, /*write=*/false))
    return e;
  if (Error e = accessDramBits(8 * addr, 8 * bytes, /*write=*/true))
    return e;
  MutableArrayRef<uint64_t> h = histogramOf(state->stats[reg], part);
  for (size_t i = 0; i < h.size(); ++i)
    state->dram.write64(addr + 8 * i, h[i]);
  counters.dramWriteBits += 8 * bytes;
  counters.addEnergy(EnergyClass::Dram, energy.dram(8.0 * bytes));
  cur.latency = registerTransferLatency(machine, bytes);
  return Error::success();
}

} // namespace qtrain::accel::sim
