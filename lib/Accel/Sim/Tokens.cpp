//===- Tokens.cpp - Token FIFOs, vector clocks and the race check ---------===//
//
// docs/Accelerator.md, "Functional semantics". The race check is a vector
// clock algorithm: queue q's clock holds, per queue r, how many of r's
// instructions happen before q's current one (its own count for r = q);
// popping a token joins the pusher's clock into the popper's. An earlier
// access by queue r at clock c is ordered before the current access iff
// c <= clock[r].
//
//===----------------------------------------------------------------------===//

#include "qtrain/Accel/Sim/Tokens.h"

#include "llvm/ADT/Twine.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/raw_ostream.h"

using namespace llvm;

namespace qtrain::accel::sim {

StringRef fifoName(FifoId f) {
  switch (f) {
  case FifoId::LoadToCompute:
    return "load-to-compute";
  case FifoId::ComputeToLoad:
    return "compute-to-load";
  case FifoId::ComputeToStore:
    return "compute-to-store";
  case FifoId::StoreToCompute:
    return "store-to-compute";
  }
  llvm_unreachable("unknown FIFO");
}

StringRef fifoSourceQueue(FifoId f) {
  switch (f) {
  case FifoId::LoadToCompute:
    return "load";
  case FifoId::ComputeToLoad:
  case FifoId::ComputeToStore:
    return "compute";
  case FifoId::StoreToCompute:
    return "store";
  }
  llvm_unreachable("unknown FIFO");
}

std::optional<FifoId> popFifo(Queue queue, bool prev) {
  switch (queue) {
  case Queue::Load:
    return prev ? std::nullopt : std::optional(FifoId::ComputeToLoad);
  case Queue::Compute:
    return prev ? FifoId::LoadToCompute : FifoId::StoreToCompute;
  case Queue::Store:
    return prev ? std::optional(FifoId::ComputeToStore) : std::nullopt;
  case Queue::Dispatch:
    break;
  }
  return std::nullopt;
}

std::optional<FifoId> pushFifo(Queue queue, bool prev) {
  switch (queue) {
  case Queue::Load:
    return prev ? std::nullopt : std::optional(FifoId::LoadToCompute);
  case Queue::Compute:
    return prev ? FifoId::ComputeToLoad : FifoId::ComputeToStore;
  case Queue::Store:
    return prev ? std::optional(FifoId::StoreToCompute) : std::nullopt;
  case Queue::Dispatch:
    break;
  }
  return std::nullopt;
}

std::string describeLocation(LocationKind kind, uint64_t index) {
  std::string s;
  raw_string_ostream os(s);
  switch (kind) {
  case LocationKind::InputSpRow:
    os << "SP_IN row " << index;
    break;
  case LocationKind::WeightSpRow:
    os << "SP_WGT row " << index;
    break;
  case LocationKind::AccEntry:
    os << "ACC entry " << index;
    break;
  case LocationKind::DramWord:
    os << "DRAM word 0x" << format_hex_no_prefix(index * 4, 1);
    break;
  case LocationKind::Seed:
    os << "SEED[" << index << "]";
    break;
  case LocationKind::Stats:
    os << "SR[" << index << "]";
    break;
  case LocationKind::Threshold:
    os << "STH[" << index << "]";
    break;
  }
  return s;
}

RaceTracker::RaceTracker(const MachineDescription &machine)
    : inputSp(machine.inputSp.rows), weightSp(machine.weightSp.rows),
      acc(machine.acc.entries), seeds(kSeedRegisters), stats(kStatsRegisters),
      thresholds(kThresholdRegisters),
      dramPages((machine.dram.bytes / 4 + kPageWords - 1) / kPageWords) {}

void RaceTracker::begin(size_t index, Queue q, const VectorClock &c) {
  queue = static_cast<unsigned>(q);
  clock = c;
  std::vector<size_t> &list = instructions[queue];
  if (list.size() < clock[queue])
    list.resize(clock[queue]);
  list[clock[queue] - 1] = index;
}

RaceTracker::Record &RaceTracker::record(LocationKind kind, uint64_t index) {
  switch (kind) {
  case LocationKind::InputSpRow:
    return inputSp[index];
  case LocationKind::WeightSpRow:
    return weightSp[index];
  case LocationKind::AccEntry:
    return acc[index];
  case LocationKind::Seed:
    return seeds[index];
  case LocationKind::Stats:
    return stats[index];
  case LocationKind::Threshold:
    return thresholds[index];
  case LocationKind::DramWord: {
    std::unique_ptr<Record[]> &page = dramPages[index / kPageWords];
    if (!page)
      page.reset(new Record[kPageWords]());
    return page[index % kPageWords];
  }
  }
  llvm_unreachable("unknown location kind");
}

std::optional<Conflict> RaceTracker::checkWriter(const Record &r) const {
  if (!r.write)
    return std::nullopt;
  unsigned wq = r.write & 3;
  uint32_t wc = r.write >> 2;
  if (wq != queue && wc > clock[wq])
    return Conflict{indexOf(wq, wc), /*otherWrote=*/true};
  return std::nullopt;
}

std::optional<Conflict> RaceTracker::read(LocationKind kind, uint64_t index) {
  Record &r = record(kind, index);
  if (std::optional<Conflict> c = checkWriter(r))
    return c;
  r.read[queue] = clock[queue];
  return std::nullopt;
}

std::optional<Conflict> RaceTracker::write(LocationKind kind, uint64_t index) {
  Record &r = record(kind, index);
  if (std::optional<Conflict> c = checkWriter(r))
    return c;
  for (unsigned q = 0; q < kNumQueues; ++q)
    if (q != queue && r.read[q] > clock[q])
      return Conflict{indexOf(q, r.read[q]), /*otherWrote=*/false};
  r.write = clock[queue] << 2 | queue;
  return std::nullopt;
}

} // namespace qtrain::accel::sim
