//===- Tokens.h - Token FIFOs, vector clocks and the race check -*- C++ -*-===//
//
// docs/Accelerator.md, "Queues and tokens" and "Functional semantics": the
// four token FIFOs between neighbouring queues, one vector clock per queue
// carried by tokens, and per location the last writer and the last reader of
// each queue, so that two accesses of different queues to one location, one
// a write, must be ordered by happens-before.
//
//===----------------------------------------------------------------------===//

#ifndef QTRAIN_ACCEL_SIM_TOKENS_H
#define QTRAIN_ACCEL_SIM_TOKENS_H

#include "qtrain/Accel/ISA.h"
#include "qtrain/Accel/Machine.h"

#include "llvm/ADT/StringRef.h"

#include <array>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace qtrain::accel::sim {

inline constexpr unsigned kNumQueues = 3; ///< load, compute, store

/// Per queue, the number of its instructions known to have completed.
using VectorClock = std::array<uint32_t, kNumQueues>;

enum class FifoId : uint8_t {
  LoadToCompute,
  ComputeToLoad,
  ComputeToStore,
  StoreToCompute
};
inline constexpr unsigned kNumFifos = 4;

/// "load-to-compute", ...
llvm::StringRef fifoName(FifoId f);
/// The queue a FIFO's tokens come from ("load", "compute", "store").
llvm::StringRef fifoSourceQueue(FifoId f);

/// The FIFO that flag pop_prev (prev) or pop_next (!prev) of an instruction
/// of `queue` pops, or that push_prev / push_next pushes; none where the
/// queue has no such neighbour.
std::optional<FifoId> popFifo(Queue queue, bool prev);
std::optional<FifoId> pushFifo(Queue queue, bool prev);

struct Token {
  VectorClock clock{};   ///< The pusher's queue clock after it completed.
  size_t pusher = 0;     ///< Instruction index.
  uint64_t pushTime = 0; ///< Cycle model.
};

struct TokenFifos {
  std::array<std::deque<Token>, kNumFifos> tokens;
  /// Cycle model: the start cycle of every pop so far, per FIFO.
  std::array<std::vector<uint64_t>, kNumFifos> popStarts;
  std::array<uint64_t, kNumFifos> pushes{};

  std::deque<Token> &operator[](FifoId f) {
    return tokens[static_cast<unsigned>(f)];
  }
};

/// The locations of the race check.
enum class LocationKind : uint8_t {
  InputSpRow,
  WeightSpRow,
  AccEntry,
  DramWord, ///< 4-byte aligned word, by word index (byte address / 4)
  Seed,
  Stats,
  Threshold,
};

/// "SP_IN row 3", "DRAM word 0x100", "SR[1]", ...
std::string describeLocation(LocationKind kind, uint64_t index);

/// Another instruction's access that no token orders before the current one.
struct Conflict {
  size_t other = 0;        ///< Its instruction index.
  bool otherWrote = false; ///< It wrote (else it read).
};

/// Per location, the last writer (queue and clock) and the last reader of
/// each queue. DRAM words are tracked in pages allocated when first touched.
class RaceTracker {
public:
  explicit RaceTracker(const MachineDescription &machine);

  /// Registers instruction `index` as clock `clock[queue]` of its queue;
  /// every access until the next call is by it, seeing `clock`.
  void begin(size_t index, Queue queue, const VectorClock &clock);

  std::optional<Conflict> read(LocationKind kind, uint64_t index);
  std::optional<Conflict> write(LocationKind kind, uint64_t index);

private:
  struct Record {
    uint32_t write = 0; ///< clock << 2 | queue, 0 when never written
    std::array<uint32_t, kNumQueues> read{}; ///< clock of the last reader
  };
  static constexpr unsigned kPageWords = 1024;

  Record &record(LocationKind kind, uint64_t index);
  size_t indexOf(unsigned queue, uint32_t clock) const {
    return instructions[queue][clock - 1];
  }
  std::optional<Conflict> checkWriter(const Record &r) const;

  std::vector<Record> inputSp, weightSp, acc, seeds, stats, thresholds;
  std::vector<std::unique_ptr<Record[]>> dramPages;
  /// Per queue, the instruction index of each clock value (clock c is
  /// instructions[q][c - 1]).
  std::array<std::vector<size_t>, kNumQueues> instructions;
  unsigned queue = 0;
  VectorClock clock{};
};

} // namespace qtrain::accel::sim

#endif // QTRAIN_ACCEL_SIM_TOKENS_H
