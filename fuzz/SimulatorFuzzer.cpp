//===- SimulatorFuzzer.cpp - libFuzzer target of the functional model -----===//
//
// docs/Accelerator.md, "Errors" and "Fuzzing": the model never crashes,
// asserts, hangs or leaks on a program; a bad one is an llvm::Error. The
// input is
//
//   program words (up to and including the first word whose opcode is
//   finish) | machine byte | DRAM data
//
// The program is decoded with decodeStream (a decoding error ends the run)
// and run on a small machine derived from the bundled default (1 MiB of
// DRAM, 512 scratchpad rows, 1024 ACC entries), varied by the machine byte
// (row width, FIFO and queue depths, rates, smaller memories). The DRAM data
// is repeated over the whole DRAM, so LOADs see varied bits: NaNs, infinities,
// subnormals. Programs whose work is large (positions of transfers and views,
// MACs of GEMMs) are skipped so that every run stays fast; the model's own
// limit (kMaxPositions per instruction) is far too high for fuzzing.
//
//===----------------------------------------------------------------------===//

#include "qtrain/Accel/ISA.h"
#include "qtrain/Accel/Machine.h"
#include "qtrain/Accel/Sim/Counters.h"
#include "qtrain/Accel/Sim/Simulator.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

using namespace llvm;
using namespace qtrain::accel;

namespace {

/// At most this many instructions per program.
constexpr size_t kMaxInstructions = 1024;
/// At most this much work per program: positions of LOADs, STOREs and
/// VECTORs, MACs of GEMMs (at most about 0.1 s of the model under ASan and
/// UBSan, far less for most inputs).
constexpr uint64_t kMaxWork = uint64_t(1) << 17;

/// The machine for `variant` (the machine byte; 0 without one).
MachineDescription makeMachine(uint8_t variant) {
  MachineDescription m = getDefaultMachine();
  m.name = "fuzz";
  m.dram.bytes = 1 << 20;
  m.inputSp.rows = m.weightSp.rows = 512;
  m.acc.entries = 1024;
  static const uint64_t rowBytes[] = {64, 32, 128, 64};
  m.inputSp.rowBytes = rowBytes[variant & 3];
  m.weightSp.rowBytes = rowBytes[(variant >> 1) & 3];
  if (variant & 8) {
    m.queues.tokenDepth = 2;
    m.queues.instructionDepth = 3;
  }
  if (variant & 16) { // odd rates: every ceilDiv of the cost model
    m.gemm.m = 3;
    m.gemm.n = 5;
    m.gemm.kM4 = 7;
    m.gemm.kM8 = 3;
    m.gemm.kM16 = 2;
    m.vector.lanes = 7;
    m.convert.elementsPerCycle = 5;
    m.dram.burstBytes = 4;
    m.dram.bytesPerCycle = 3;
    m.inputSp.readBytesPerCycle = m.weightSp.readBytesPerCycle = 1;
  }
  if (variant & 32) { // small memories: the bounds checks
    m.inputSp.rows = 7;
    m.weightSp.rows = 33;
    m.acc.entries = 19;
    m.dram.bytes = 4096;
  }
  return m;
}

/// Whether `program` is cheap enough to run: an upper bound of its work.
bool isCheap(ArrayRef<Instruction> program) {
  uint64_t work = 0, vectors = 0, largestView = 0;
  for (const Instruction &inst : program) {
    switch (inst.kind) {
    case InstructionKind::Load:
    case InstructionKind::Store:
      work += inst.get("size_z") * inst.get("size_y") * inst.get("size_x");
      break;
    case InstructionKind::Gemm:
      work += inst.get("m") * inst.get("n") * inst.get("k");
      break;
    case InstructionKind::ConfigView:
      largestView =
          std::max(largestView, inst.get("size_z") * inst.get("size_y") *
                                    inst.get("size_x"));
      break;
    case InstructionKind::Vector:
      ++vectors;
      break;
    default:
      break;
    }
    if (work > kMaxWork)
      return false;
  }
  // Every VECTOR runs over a view written by some cfg.view.
  return largestView <= kMaxWork && work + vectors * largestView <= kMaxWork;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  ArrayRef<uint8_t> bytes(data, size);
  // The program: whole words up to the first with the finish opcode.
  size_t programBytes = bytes.size() - bytes.size() % kWordBytes;
  for (size_t at = 0; at + kWordBytes <= bytes.size(); at += kWordBytes)
    if ((bytes[at] & 0xF) == static_cast<unsigned>(Opcode::Finish)) {
      programBytes = at + kWordBytes;
      break;
    }
  if (programBytes / kWordBytes > kMaxInstructions)
    return 0;
  Expected<std::vector<Instruction>> program =
      decodeStream(bytes.take_front(programBytes));
  if (!program) {
    consumeError(program.takeError());
    return 0;
  }
  if (!isCheap(*program))
    return 0;

  ArrayRef<uint8_t> tail = bytes.drop_front(programBytes);
  uint8_t variant = tail.empty() ? 0 : tail.front();
  ArrayRef<uint8_t> dram = tail.drop_front(tail.empty() ? 0 : 1);

  static const std::vector<MachineDescription> machines = [] {
    std::vector<MachineDescription> all;
    for (unsigned v = 0; v < 64; ++v)
      all.push_back(makeMachine(v));
    return all;
  }();
  const MachineDescription &machine = machines[variant & 63];
  Expected<std::unique_ptr<sim::Simulator>> sim =
      sim::Simulator::create(machine);
  if (!sim) // a machine of the table always fits
    __builtin_trap();
  if (!dram.empty()) {
    std::vector<uint8_t> image(machine.dram.bytes);
    for (size_t i = 0; i < image.size(); i += dram.size())
      std::copy_n(dram.begin(), std::min(dram.size(), image.size() - i),
                  image.begin() + i);
    if (Error e = (*sim)->writeDram(0, image))
      __builtin_trap();
  }
  if (Error e = (*sim)->run(*program))
    consumeError(std::move(e));
  // What qtrain-sim prints after a run (also after an error): the counters
  // and the cost model's figures.
  std::string text;
  raw_string_ostream os(text);
  sim::printCounters(os, (*sim)->getCounters(), machine);
  (void)sim::countersToJSON((*sim)->getCounters(), machine);
  return 0;
}
