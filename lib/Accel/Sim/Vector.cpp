//===- Vector.cpp - VECTOR ------------------------------------------------===//
//
// docs/Accelerator.md, "VECTOR". Only `nop` (which carries tokens between
// the load and store queues, views ignored) is implemented; every other
// operation is an error until the vector unit is written. The pieces it
// needs exist: views (Config.h, resolveView), ACC entries and their states
// (State.h), the converter for `quantize` (Conversion.h: convert over view
// positions with their blocks and stream indices), gatherStatistics for
// `stats`, access() for the race check of every entry read and written, and
// the Vector energy class.
//
//===----------------------------------------------------------------------===//

#include "Executor.h"

using namespace llvm;

namespace qtrain::accel::sim {

Error Executor::executeVector(const Instruction &inst) {
  uint64_t op = inst.get("op");
  if (op != VectorOp::Nop) {
    const EnumCaseInfo *c = lookupEnumCase("VectorOp", op);
    return fail("VECTOR " + (c ? c->text : StringRef("?")) +
                " is not implemented yet in the functional model (only nop "
                "is)");
  }
  if (Error e = start())
    return e;
  cur.latency = machine.vector.latencyCycles;
  return Error::success();
}

} // namespace qtrain::accel::sim
