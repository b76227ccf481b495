//===- TokenPlanner.cpp - Dependency tokens between the queues ------------===//

#include "TokenPlanner.h"

#include "qtrain/Dialect/Accel/IR/AccelOps.h"

#include "mlir/IR/Builders.h"

#include <algorithm>

using namespace mlir;

namespace qtrain::accel {

namespace {

constexpr unsigned kLoad = 0, kCompute = 1, kStore = 2;

unsigned queueOf(const Instruction &inst) {
  Queue queue = lookupOpcode(inst.info().opcode)->queue;
  assert(queue != Queue::Dispatch && "configuration is not queued");
  return static_cast<unsigned>(queue);
}

/// The FIFOs: load->compute, compute->load, compute->store, store->compute.
unsigned fifoIndex(unsigned from, unsigned to) {
  if (from == kLoad)
    return 0;
  if (from == kStore)
    return 3;
  return to == kLoad ? 1 : 2;
}

} // namespace

Operation *TokenPlanner::emit(Instruction inst, ArrayRef<Access> accesses,
                              CreateFn create) {
  unsigned q = queueOf(inst);
  Needs need;
  auto require = [&](unsigned queue, uint32_t index) {
    if (queue != q)
      need[queue] = std::max(need[queue].value_or(0), index);
  };
  for (const Access &access : accesses) {
    auto it = resources.find(access.resource);
    if (it == resources.end())
      continue;
    const ResourceState &state = it->second;
    if (state.writer)
      require(state.writer->queue, state.writer->index);
    if (access.write)
      for (unsigned other = 0; other < 3; ++other)
        if (state.readers[other])
          require(other, *state.readers[other]);
  }
  return emitWithNeeds(inst, need, accesses, create);
}

Operation *TokenPlanner::emitWithNeeds(Instruction inst, Needs need,
                                       ArrayRef<Access> accesses,
                                       CreateFn create) {
  unsigned q = queueOf(inst);
  auto clockNow = [&] {
    std::array<uint32_t, 3> clock = {0, 0, 0};
    if (!queues[q].empty())
      clock = queues[q].back().clock;
    clock[q] = queues[q].size();
    return clock;
  };
  std::array<uint32_t, 3> clock = clockNow();

  // The far end of the pipeline: through a nop on the compute queue.
  if (q != kCompute) {
    unsigned far = q == kLoad ? kStore : kLoad;
    if (need[far] && clock[far] <= *need[far]) {
      Needs bridge;
      bridge[far] = need[far];
      Instruction vectorNop(InstructionKind::Vector);
      vectorNop.set("op", VectorOp::Nop);
      emitWithNeeds(vectorNop, bridge, {}, create);
      need[kCompute] = queues[kCompute].size() - 1;
      clock = clockNow();
    }
    need[far].reset();
  }

  for (unsigned side = 0; side < 3; ++side) {
    if (side == q || !need[side] || clock[side] > *need[side])
      continue;
    uint32_t index = *need[side];
    unsigned fifo = fifoIndex(side, q);
    assert((!lastPusher[fifo] || *lastPusher[fifo] < index) &&
           "a later pusher's token was popped by an earlier instruction");
    Emitted &source = queues[side][index];
    source.op->setAttr(q > side ? "push_next" : "push_prev",
                       UnitAttr::get(source.op->getContext()));
    lastPusher[fifo] = index;
    inst.set(side < q ? "pop_prev" : "pop_next", 1);
    for (unsigned k = 0; k < 3; ++k)
      clock[k] = std::max(clock[k], source.clock[k]);
    clock[side] = std::max(clock[side], index + 1);
  }

  Operation *op = create(inst);
  uint32_t self = queues[q].size();
  queues[q].push_back({op, clock});
  for (const Access &access : accesses) {
    ResourceState &state = resources[access.resource];
    if (access.write) {
      state.writer = Position{q, self};
      state.readers = {};
    } else {
      state.readers[q] = self;
    }
  }
  return op;
}

} // namespace qtrain::accel
