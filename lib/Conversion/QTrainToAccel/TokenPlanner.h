//===- TokenPlanner.h - Dependency tokens between the queues ----*- C++ -*-===//
//
// Inserts the tokens of docs/Accelerator.md ("Queues and tokens") while a
// program is emitted in program order. Each queued instruction declares the
// resources it reads and writes; an access that conflicts with an earlier
// one by another queue (at least one a write) and is not already ordered
// after it gets a token: the earlier instruction pushes toward this one's
// queue and this one pops. Load and store queues are not neighbours, so a
// dependence between them goes through a `vector nop` on the compute
// queue. Happens-before is tracked with one vector clock per instruction.
//
// Tokens are paired as they are created, so the k-th push of a FIFO always
// matches its k-th pop, no pop precedes its push in program order, and no
// token is left over at the end: the two rules of "Functional semantics".
//
//===----------------------------------------------------------------------===//

#ifndef QTRAIN_LIB_CONVERSION_QTRAINTOACCEL_TOKENPLANNER_H
#define QTRAIN_LIB_CONVERSION_QTRAINTOACCEL_TOKENPLANNER_H

#include "qtrain/Accel/ISA.h"

#include "mlir/IR/Operation.h"

#include "llvm/ADT/STLFunctionalExtras.h"

#include <array>
#include <map>
#include <optional>
#include <vector>

namespace qtrain::accel {

/// A memory or register the planner orders accesses to. Coarse regions
/// (a scratchpad half, a DRAM buffer) over-approximate the model's
/// locations, which only adds tokens.
struct Resource {
  enum Kind : uint8_t { SpInput, SpWeight, Acc, Dram, Seed, Stats, Threshold };
  Kind kind;
  int64_t id;
  bool operator<(const Resource &o) const {
    return kind != o.kind ? kind < o.kind : id < o.id;
  }
};

struct Access {
  Resource resource;
  bool write;
};

class TokenPlanner {
public:
  /// Creates the op of an instruction at the end of the program.
  using CreateFn = llvm::function_ref<mlir::Operation *(const Instruction &)>;

  /// Emits `inst` (a queued instruction) with the pops its accesses need,
  /// setting push flags on the earlier instructions it depends on, and
  /// emitting a `vector nop` bridge first when it depends on the other end
  /// of the pipeline.
  mlir::Operation *emit(Instruction inst, llvm::ArrayRef<Access> accesses,
                        CreateFn create);

private:
  struct Emitted {
    mlir::Operation *op;
    /// Instructions of each queue known complete before this one starts.
    std::array<uint32_t, 3> clock;
  };
  struct Position {
    unsigned queue;
    uint32_t index;
  };
  struct ResourceState {
    std::optional<Position> writer;
    std::array<std::optional<uint32_t>, 3> readers;
  };

  /// `need[q]`: the last instruction of queue q that must complete first.
  using Needs = std::array<std::optional<uint32_t>, 3>;
  mlir::Operation *emitWithNeeds(Instruction inst, Needs need,
                                 llvm::ArrayRef<Access> accesses,
                                 CreateFn create);

  std::array<std::vector<Emitted>, 3> queues;
  /// The last pusher into each FIFO, indexed by fifoIndex(from, to).
  std::array<std::optional<uint32_t>, 4> lastPusher;
  std::map<Resource, ResourceState> resources;
};

} // namespace qtrain::accel

#endif // QTRAIN_LIB_CONVERSION_QTRAINTOACCEL_TOKENPLANNER_H
