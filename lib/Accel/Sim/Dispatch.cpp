//===- Dispatch.cpp - Program order, queues, tokens and the cycle model ---===//
//
// docs/Accelerator.md, "Dispatch and configuration", "Queues and tokens",
// "Functional semantics", "FINISH" and "Cycle model". The program runs one
// instruction at a time in program order; the token FIFOs are counted in
// that order (a pop of an empty FIFO is a token that never arrives), the
// vector clocks carried by tokens order the accesses of different queues,
// and the cycle model times the same order as a concurrent machine.
//
//===----------------------------------------------------------------------===//

#include "Executor.h"

#include "qtrain/Accel/Sim/Simulator.h"

using namespace llvm;

namespace qtrain::accel::sim {

namespace {
/// The instructions that move data between DRAM and the machine: their
/// latency is dram.latency_cycles plus a data phase (CostModel.cpp).
bool isTransfer(InstructionKind kind) {
  return kind == InstructionKind::Load || kind == InstructionKind::Store ||
         kind == InstructionKind::RegLoad || kind == InstructionKind::RegStore;
}
} // namespace

Executor::Executor(const MachineDescription &machine,
                   std::unique_ptr<ArchState> state)
    : machine(machine), state(std::move(state)), energy(machine),
      races(machine) {}

Error Executor::fail(const Twine &message) const {
  return createStringError(inconvertibleErrorCode(),
                           "instruction " + Twine(cur.index) + " (" +
                               cur.inst->mnemonic() + "): " + message);
}

Error Executor::prefixed(Error error) const {
  return fail(toString(std::move(error)));
}

Error Executor::access(LocationKind kind, uint64_t index, bool write) {
  std::optional<Conflict> c =
      write ? races.write(kind, index) : races.read(kind, index);
  if (!c)
    return Error::success();
  return fail(Twine(write ? "writes " : "reads ") +
              describeLocation(kind, index) + ", which instruction " +
              Twine(c->other) + " (" + program[c->other].mnemonic() + ") " +
              (c->otherWrote ? "writes" : "reads") +
              ", and no token orders them");
}

Error Executor::accessDramBits(uint64_t bit, uint64_t bits, bool write) {
  if (bits == 0)
    return Error::success();
  for (uint64_t w = bit / 32, last = (bit + bits - 1) / 32; w <= last; ++w)
    if (Error e = access(LocationKind::DramWord, w, write))
      return e;
  return Error::success();
}

Expected<uint32_t> Executor::readAccValue(uint64_t entry) {
  if (Error e = access(LocationKind::AccEntry, entry, /*write=*/false))
    return std::move(e);
  const AccMemory &acc = state->acc;
  if (acc.state[entry] == AccState::Empty)
    return fail("reads ACC entry " + Twine(entry) + ", which is empty");
  if (acc.state[entry] == AccState::Accumulating)
    return fail("reads ACC entry " + Twine(entry) +
                ", which holds a GEMM accumulation not finished");
  return acc.value[entry];
}

Error Executor::start() {
  unsigned q = static_cast<unsigned>(cur.queue);
  const Instruction &inst = *cur.inst;
  uint64_t ready = std::max(cur.dispatch + 1, timeline.queueFree[q]);
  uint64_t startCycle = ready;
  SmallVector<FifoId, 2> popped;
  for (bool prev : {true, false}) {
    if (!inst.get(prev ? "pop_prev" : "pop_next"))
      continue;
    std::optional<FifoId> f = popFifo(cur.queue, prev);
    if (!f) // the encoding fixes the flag to 0
      continue;
    std::deque<Token> &fifo = fifos[*f];
    if (fifo.empty())
      return fail("waits for a token from the " + fifoSourceQueue(*f) +
                  " queue that no earlier instruction pushed");
    const Token &t = fifo.front();
    for (unsigned r = 0; r < kNumQueues; ++r)
      clocks[q][r] = std::max(clocks[q][r], t.clock[r]);
    startCycle = std::max(startCycle, t.pushTime);
    fifo.pop_front();
    popped.push_back(*f);
  }
  for (FifoId f : popped)
    fifos.popStarts[static_cast<unsigned>(f)].push_back(startCycle);
  if (startCycle > ready) {
    ++counters.queues[q].tokenWaits;
    counters.queues[q].tokenWaitCycles += startCycle - ready;
  }
  ++clocks[q][q];
  races.begin(cur.index, cur.queue, clocks[q]);
  timeline.starts[q].push_back(startCycle);
  cur.start = startCycle;
  cur.started = true;
  return Error::success();
}

Error Executor::pushTokens(uint64_t end) {
  unsigned q = static_cast<unsigned>(cur.queue);
  const Instruction &inst = *cur.inst;
  uint64_t depth = machine.queues.tokenDepth;
  uint64_t freeAt = end;
  for (bool prev : {true, false}) {
    if (!inst.get(prev ? "push_prev" : "push_next"))
      continue;
    std::optional<FifoId> f = pushFifo(cur.queue, prev);
    if (!f)
      continue;
    unsigned fi = static_cast<unsigned>(*f);
    if (fifos[*f].size() >= depth)
      return fail("the " + fifoName(*f) +
                  " token FIFO would exceed its depth of " + Twine(depth));
    // The push waits for the pop that makes room (earlier in program order:
    // fewer than `depth` tokens are held now).
    uint64_t k = fifos.pushes[fi]++;
    uint64_t pushTime = end;
    if (k >= depth)
      pushTime = std::max(pushTime, fifos.popStarts[fi][k - depth]);
    fifos[*f].push_back(Token{clocks[q], cur.index, pushTime});
    freeAt = std::max(freeAt, pushTime);
  }
  // The next instruction of the queue starts after this one ends, or, for
  // DRAM transfers with several in flight, after the one `outstanding`
  // places before it ends (and a cycle after this one starts).
  std::vector<uint64_t> &ends = timeline.ends[q];
  ends.push_back(freeAt);
  uint64_t outstanding =
      isTransfer(inst.kind) ? machine.dram.outstandingTransfers : uint64_t(1);
  timeline.queueFree[q] =
      outstanding <= 1
          ? freeAt
          : std::max(cur.start + 1, ends.size() >= outstanding
                                        ? ends[ends.size() - outstanding]
                                        : uint64_t(0));
  timeline.lastEnd = std::max(timeline.lastEnd, freeAt);
  return Error::success();
}

Error Executor::dispatchQueued(const Instruction &inst) {
  unsigned q = static_cast<unsigned>(cur.queue);
  const std::vector<uint64_t> &starts = timeline.starts[q];
  uint64_t depth = machine.queues.instructionDepth;
  uint64_t disp = timeline.dispatchCycle;
  if (starts.size() >= depth)
    disp = std::max(disp, starts[starts.size() - depth]);
  timeline.dispatchCycle = disp + 1;
  cur.dispatch = disp;
  cur.started = false;
  cur.latency = 0;

  Error err = Error::success();
  switch (inst.kind) {
  case InstructionKind::Load:
    err = executeLoad(inst);
    break;
  case InstructionKind::Store:
    err = executeStore(inst);
    break;
  case InstructionKind::Gemm:
    err = executeGemm(inst);
    break;
  case InstructionKind::Vector:
    err = executeVector(inst);
    break;
  case InstructionKind::RegLoad:
    err = executeRegLoad(inst);
    break;
  case InstructionKind::RegStore:
    err = executeRegStore(inst);
    break;
  default:
    llvm_unreachable("not a queued instruction");
  }
  if (err)
    return err;
  assert(cur.started && "a queued instruction must call start()");
  ++counters.queues[q].instructions;
  counters.queues[q].busyCycles += cur.latency;
  uint64_t end = cur.start + cur.latency;
  if (isTransfer(inst.kind)) {
    // A transfer's data phase follows its latency and the queue's previous
    // data phase (one DRAM channel per queue; docs/Accelerator.md, "Cycle
    // model"). With one transfer in flight it starts at start + latency.
    uint64_t latency = machine.dram.latencyCycles;
    assert(cur.latency >= latency && "a transfer's latency includes DRAM's");
    uint64_t dataStart = std::max(cur.start + latency, timeline.dataFree[q]);
    end = dataStart + (cur.latency - latency);
    timeline.dataFree[q] = end;
  }
  return pushTokens(end);
}

Error Executor::finishProgram() {
  // The earliest-pushed token left in any FIFO.
  const Token *left = nullptr;
  FifoId where = FifoId::LoadToCompute;
  for (unsigned f = 0; f < kNumFifos; ++f)
    for (const Token &t : fifos.tokens[f])
      if (!left || t.pusher < left->pusher) {
        left = &t;
        where = static_cast<FifoId>(f);
      }
  if (left)
    return fail("a token pushed by instruction " + Twine(left->pusher) + " (" +
                program[left->pusher].mnemonic() + ") is left in the " +
                fifoName(where) + " token FIFO");
  uint64_t finishDispatch = timeline.dispatchCycle++;
  counters.cycles = std::max(timeline.lastEnd, finishDispatch + 1);
  return Error::success();
}

Error Executor::run(ArrayRef<Instruction> prog) {
  if (ran)
    return createStringError("a simulator runs one program");
  ran = true;
  program = prog;
  // What decodeStream guarantees, for programs built in memory.
  if (program.empty())
    return createStringError("the stream is empty: no finish");
  for (size_t i = 0; i < program.size(); ++i) {
    if (Error e = verifyFields(program[i]))
      return createStringError(inconvertibleErrorCode(),
                               "instruction " + Twine(i) + " (" +
                                   program[i].mnemonic() +
                                   "): " + toString(std::move(e)));
    if (program[i].kind == InstructionKind::Finish && i + 1 != program.size())
      return createStringError(
          inconvertibleErrorCode(),
          "instruction " + Twine(i + 1) + " (" + program[i + 1].mnemonic() +
              "): follows finish (instruction " + Twine(i) + ")");
  }
  if (program.back().kind != InstructionKind::Finish)
    return createStringError(inconvertibleErrorCode(),
                             "the stream ends after instruction " +
                                 Twine(program.size() - 1) + " without finish");

  for (size_t i = 0; i < program.size(); ++i) {
    const Instruction &inst = program[i];
    cur.index = i;
    cur.inst = &inst;
    cur.queue = lookupOpcode(inst.info().opcode)->queue;
    ++counters.instructions[static_cast<unsigned>(inst.kind)];
    if (inst.kind == InstructionKind::Finish)
      return finishProgram();
    if (cur.queue == Queue::Dispatch) {
      config.write(inst);
      ++timeline.dispatchCycle;
      continue;
    }
    if (Error e = dispatchQueued(inst))
      return e;
  }
  llvm_unreachable("the program ends with finish");
}

//===----------------------------------------------------------------------===//
// Simulator
//===----------------------------------------------------------------------===//

Simulator::Simulator(std::unique_ptr<Executor> executor)
    : executor(std::move(executor)) {}
Simulator::~Simulator() = default;

Expected<std::unique_ptr<Simulator>>
Simulator::create(const MachineDescription &machine) {
  Expected<std::unique_ptr<ArchState>> state = ArchState::create(machine);
  if (!state)
    return state.takeError();
  return std::unique_ptr<Simulator>(
      new Simulator(std::make_unique<Executor>(machine, std::move(*state))));
}

const MachineDescription &Simulator::getMachine() const {
  return executor->machine;
}

Error Simulator::writeDram(uint64_t address, ArrayRef<uint8_t> bytes) {
  Dram &dram = executor->state->dram;
  if (address > dram.size() || bytes.size() > dram.size() - address)
    return createStringError(
        "a DRAM image of %zu bytes at 0x%llx does not fit in %llu bytes of "
        "DRAM",
        bytes.size(), static_cast<unsigned long long>(address),
        static_cast<unsigned long long>(dram.size()));
  std::copy(bytes.begin(), bytes.end(), dram.data() + address);
  return Error::success();
}

Error Simulator::readDram(uint64_t address,
                          MutableArrayRef<uint8_t> out) const {
  const Dram &dram = executor->state->dram;
  if (address > dram.size() || out.size() > dram.size() - address)
    return createStringError(
        "%zu DRAM bytes at 0x%llx are outside %llu bytes of DRAM", out.size(),
        static_cast<unsigned long long>(address),
        static_cast<unsigned long long>(dram.size()));
  std::copy(dram.data() + address, dram.data() + address + out.size(),
            out.begin());
  return Error::success();
}

Error Simulator::run(ArrayRef<Instruction> program) {
  return executor->run(program);
}

const Counters &Simulator::getCounters() const { return executor->counters; }
const ArchState &Simulator::getState() const { return *executor->state; }

} // namespace qtrain::accel::sim
