//===- CounterMapping.cpp - i64 state counters on the vector unit ---------===//
//
// docs/Accelerator.md, "What the conversion maps today": a training step's
// step counter is a 0-d i64 tensor read, advanced by a constant and
// written back (tensor.from_elements of tensor.extract + constant). The
// vector unit adds i32 words, so the i64 add is two adds and a carry: the
// low word plus the constant's low word, a carry where the sum is below the
// low word (unsigned), the high word plus the constant's high word and the
// carry; wrapping modulo 2^64 as arith.addi does.
//
//===----------------------------------------------------------------------===//

#include "Mapping.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Matchers.h"

using namespace mlir;

namespace qtrain::accel {

namespace {

/// `element` as a counter: a 0-d i64 tensor's element plus a constant
/// (either operand order), the element alone, or a constant alone.
struct Counter {
  Value tensor; ///< The 0-d i64 tensor read, if any.
  uint64_t increment = 0;
};

std::optional<Counter> matchCounter(Value element) {
  auto read = [](Value v) -> Value {
    auto extract = v.getDefiningOp<tensor::ExtractOp>();
    if (!extract || extract.getTensor().getType().getRank() != 0)
      return nullptr;
    return extract.getTensor();
  };
  APInt constant;
  if (matchPattern(element, m_ConstantInt(&constant)))
    return Counter{nullptr, constant.getZExtValue()};
  if (Value tensor = read(element))
    return Counter{tensor, 0};
  auto add = element.getDefiningOp<arith::AddIOp>();
  if (!add)
    return std::nullopt;
  for (auto [a, b] : {std::pair(add.getLhs(), add.getRhs()),
                      std::pair(add.getRhs(), add.getLhs())})
    if (Value tensor = read(a);
        tensor && matchPattern(b, m_ConstantInt(&constant)))
      return Counter{tensor, constant.getZExtValue()};
  return std::nullopt;
}

/// One VECTOR on single ACC entries: dst = op(src1, src2 or imm).
void wordOp(ProgramEmitter &emitter, uint64_t op, uint64_t aux, uint64_t dst,
            uint64_t src1, std::optional<uint64_t> src2,
            std::optional<uint32_t> imm, Resource acc) {
  Instruction v = scalarVector(emitter, op, aux, dst, src1);
  if (src2)
    v.set("src2_entry", *src2);
  if (imm) {
    v.set("src2_imm", 1);
    v.set("imm", *imm);
  }
  emitter.emitQueued(v, {{acc, true}});
}

} // namespace

bool isCounterPart(Operation *op) {
  auto feedsCounters = [](Value v) {
    return !v.use_empty() && llvm::all_of(v.getUsers(), [](Operation *user) {
      auto elements = dyn_cast<tensor::FromElementsOp>(user);
      return elements && elements.getType().getRank() == 0 &&
             matchCounter(elements.getElements()[0]);
    });
  };
  if (auto extract = dyn_cast<tensor::ExtractOp>(op)) {
    Value element = extract.getResult();
    if (!element.getType().isInteger(64))
      return false;
    return llvm::all_of(element.getUsers(), [&](Operation *user) {
      if (auto add = dyn_cast<arith::AddIOp>(user))
        return feedsCounters(add.getResult());
      return feedsCounters(element);
    });
  }
  if (auto add = dyn_cast<arith::AddIOp>(op))
    return add.getType().isInteger(64) && feedsCounters(add.getResult());
  return false;
}

LogicalResult mapCounter(ProgramEmitter &emitter, tensor::FromElementsOp op) {
  auto type = op.getType();
  std::optional<Counter> counter;
  if (type.getRank() == 0 && type.getElementType().isInteger(64))
    counter = matchCounter(op.getElements()[0]);
  if (!counter)
    return cannotMap(op) << "only 0-d i64 counters (a 0-d i64 tensor's "
                            "element plus a constant, or a constant) are "
                            "mapped";
  unsigned result = *emitter.lookupBuffer(op.getResult());
  if (!counter->tensor)
    return fillI64(emitter, result, counter->increment);
  std::optional<unsigned> source = emitter.lookupBuffer(counter->tensor);
  if (!source)
    return cannotMap(op) << "its counter is not in DRAM (computed by an op "
                            "the conversion did not map)";
  uint32_t incLo = static_cast<uint32_t>(counter->increment);
  uint32_t incHi = static_cast<uint32_t>(counter->increment >> 32);
  unsigned half = emitter.nextAccHalf();
  uint64_t e = half * emitter.accHalfEntries();
  Resource acc{Resource::Acc, half};
  // e: low word, e + 1: high word; e + 2: new low, e + 3: new high,
  // e + 4: the carry.
  loadRaw(emitter, *source, 0, e, 2, acc);
  wordOp(emitter, VectorOp::AddI, 0, e + 2, e, std::nullopt, incLo, acc);
  wordOp(emitter, VectorOp::CmpI, CmpIPredicate::ULT, e + 4, e + 2, e,
         std::nullopt, acc);
  wordOp(emitter, VectorOp::AddI, 0, e + 3, e + 1, std::nullopt, incHi, acc);
  wordOp(emitter, VectorOp::AddI, 0, e + 3, e + 3, e + 4, std::nullopt, acc);
  storeRaw(emitter, e + 2, half, result, 0, 2);
  return success();
}

} // namespace qtrain::accel
