//===- ScalarMapping.cpp - Scalar code between 0-d tensors ----------------===//
//
// docs/Accelerator.md, "Scalars". A training step keeps its control state
// in 0-d tensors and updates it with scalar code: tensor.extract of a 0-d
// tensor, arith ops on the elements, tensor.from_elements back (the step
// counter; flexblock-dynamic's zero-setting-error sums, streaks and modes,
// which errors the step measures decide). A scalar lives in DRAM as a 0-d
// tensor does: an extract is a view of its tensor's buffer; every other op
// loads its operands raw into one ACC half (constants as fills), computes
// with single-entry VECTORs and stores its result, straight into the 0-d
// tensor it only feeds when there is one.
//
// f32, i32 and i1 values are one 32-bit word (an i1 is 1 or 0, as the
// compares write it); an i64 is two, low word first as in DRAM, and its
// ops are word ops that wrap modulo 2^64 as arith's do:
//   addi     lo = a.lo + b.lo, c = lo <u a.lo, hi = a.hi + b.hi + c
//   subi     lo = a.lo - b.lo, c = a.lo <u b.lo, hi = a.hi - b.hi - c
//   cmpi     eq: both words equal; ne: either differs; an order P:
//            a.hi P' b.hi or (a.hi == b.hi and a.lo Pu b.lo), P' being P
//            without equality (signed for the signed predicates) and Pu
//            being P unsigned
//   min/max  a compare, then a select of each word
//   andi, ori, xori, select       each word
//   extsi, extui, trunci          the low word; the high word the sign
//            (0 or -1: the sign compare's 1 times -1), 0, or dropped
//
//===----------------------------------------------------------------------===//

#include "Mapping.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Matchers.h"

using namespace mlir;

namespace qtrain::accel {

namespace {

using Pred = arith::CmpIPredicate;

/// 32-bit words of a scalar of type `t`; 0 for a type the mapping does not
/// take.
unsigned wordsOf(Type t) {
  if (t.isF32() || t.isInteger(32) || t.isInteger(1))
    return 1;
  return t.isInteger(64) ? 2 : 0;
}

bool isZeroD(Type t) {
  auto tensor = dyn_cast<RankedTensorType>(t);
  return tensor && tensor.getRank() == 0;
}

/// The words of `v` (low first) when it is a constant.
std::optional<SmallVector<uint32_t, 2>> constantWords(Value v) {
  APInt i64;
  if (v.getType().isInteger(64) && matchPattern(v, m_ConstantInt(&i64)))
    return SmallVector<uint32_t, 2>{
        static_cast<uint32_t>(i64.getZExtValue()),
        static_cast<uint32_t>(i64.getZExtValue() >> 32)};
  if (std::optional<uint32_t> bits = constantBits(v))
    return SmallVector<uint32_t, 2>{*bits};
  return std::nullopt;
}

/// The single-entry VECTORs of one scalar op, in one ACC half whose entries
/// are handed out in order.
class ScalarCode {
public:
  explicit ScalarCode(ProgramEmitter &emitter)
      : emitter(emitter), half(emitter.nextAccHalf()),
        next(half * emitter.accHalfEntries()) {}

  /// `n` unused entries; the first one.
  uint64_t fresh(unsigned n = 1) {
    uint64_t e = next;
    next += n;
    return e;
  }

  /// `v`'s words in fresh entries, filled for a constant, loaded from its
  /// buffer otherwise; failure when it has none.
  FailureOr<uint64_t> place(Value v) {
    unsigned n = wordsOf(v.getType());
    uint64_t e = fresh(n);
    if (std::optional<SmallVector<uint32_t, 2>> words = constantWords(v)) {
      for (auto [i, w] : llvm::enumerate(*words))
        fill(e + i, w);
      return e;
    }
    std::optional<unsigned> buffer = emitter.lookupBuffer(v);
    if (!buffer)
      return failure();
    loadRaw(emitter, *buffer, 0, e, n, acc());
    return e;
  }

  /// dst = op(a, b).
  void binary(uint64_t op, uint64_t aux, uint64_t dst, uint64_t a, uint64_t b) {
    Instruction v = scalarVector(emitter, op, aux, dst, a);
    v.set("src2_entry", b);
    emit(v);
  }
  /// dst = op(a, imm).
  void binaryImm(uint64_t op, uint64_t aux, uint64_t dst, uint64_t a,
                 uint32_t imm) {
    Instruction v = scalarVector(emitter, op, aux, dst, a);
    v.set("src2_imm", 1);
    v.set("imm", imm);
    emit(v);
  }
  /// dst = op(a) (Copy included).
  void unary(uint64_t op, uint64_t dst, uint64_t a) {
    emit(scalarVector(emitter, op, 0, dst, a));
  }
  /// dst = cond ? t : dst.
  void select(uint64_t dst, uint64_t cond, uint64_t t) {
    binary(VectorOp::Select, 0, dst, cond, t);
  }
  void fill(uint64_t dst, uint32_t bits) {
    emitFill(emitter, half, dst, {1, 1, 1}, bits);
  }
  void store(uint64_t e, unsigned buffer, unsigned words) {
    storeRaw(emitter, e, half, buffer, 0, words);
  }

private:
  Resource acc() const { return {Resource::Acc, half}; }
  void emit(const Instruction &v) { emitter.emitQueued(v, {{acc(), true}}); }

  ProgramEmitter &emitter;
  unsigned half;
  uint64_t next;
};

/// `p` on the unsigned order (eq and ne unchanged).
Pred unsignedOf(Pred p) {
  switch (p) {
  case Pred::slt:
    return Pred::ult;
  case Pred::sle:
    return Pred::ule;
  case Pred::sgt:
    return Pred::ugt;
  case Pred::sge:
    return Pred::uge;
  default:
    return p;
  }
}

/// `p` without equality (an order predicate).
Pred strictOf(Pred p) {
  switch (p) {
  case Pred::sle:
    return Pred::slt;
  case Pred::sge:
    return Pred::sgt;
  case Pred::ule:
    return Pred::ult;
  case Pred::uge:
    return Pred::ugt;
  default:
    return p;
  }
}

/// dst (one word) = a p b, on `words`-word integers at a and b.
void compare(ScalarCode &code, Pred p, unsigned words, uint64_t dst, uint64_t a,
             uint64_t b) {
  auto cmp = [&](Pred q, uint64_t d, uint64_t x, uint64_t y) {
    code.binary(VectorOp::CmpI, static_cast<uint64_t>(q), d, x, y);
  };
  if (words == 1)
    return cmp(p, dst, a, b);
  if (p == Pred::eq || p == Pred::ne) {
    uint64_t high = code.fresh();
    cmp(p, dst, a, b);
    cmp(p, high, a + 1, b + 1);
    return code.binary(p == Pred::eq ? VectorOp::AndI : VectorOp::OrI, 0, dst,
                       dst, high);
  }
  uint64_t highOrder = code.fresh(), highEqual = code.fresh();
  cmp(strictOf(p), highOrder, a + 1, b + 1);
  cmp(Pred::eq, highEqual, a + 1, b + 1);
  cmp(unsignedOf(p), dst, a, b);
  code.binary(VectorOp::AndI, 0, dst, dst, highEqual);
  code.binary(VectorOp::OrI, 0, dst, dst, highOrder);
}

/// The VECTORs of arith op `op` from operand entries `in` into result
/// entries from `out`.
LogicalResult emitOp(ScalarCode &code, Operation *op, ArrayRef<uint64_t> in,
                     uint64_t out) {
  Type operandType = op->getOperand(op->getNumOperands() - 1).getType();
  unsigned words = wordsOf(operandType);
  unsigned resultWords = wordsOf(op->getResult(0).getType());
  bool i1 = operandType.isInteger(1);
  auto perWord = [&](uint64_t opcode) {
    for (unsigned w = 0; w < words; ++w)
      code.binary(opcode, 0, out + w, in[0] + w, in[1] + w);
  };
  if (isa<arith::SelectOp>(op)) {
    for (unsigned w = 0; w < words; ++w) {
      code.unary(VectorOp::Copy, out + w, in[2] + w);
      code.select(out + w, in[0], in[1] + w);
    }
    return success();
  }
  if (isa<arith::MinSIOp, arith::MaxSIOp, arith::MinUIOp, arith::MaxUIOp>(op) &&
      !i1) {
    bool isMin = isa<arith::MinSIOp, arith::MinUIOp>(op);
    Pred less = isa<arith::MinSIOp, arith::MaxSIOp>(op) ? Pred::slt : Pred::ult;
    uint64_t aLess = code.fresh();
    compare(code, less, words, aLess, in[0], in[1]);
    // min: a < b ? a : b; max: a < b ? b : a.
    uint64_t otherwise = isMin ? in[1] : in[0], chosen = isMin ? in[0] : in[1];
    for (unsigned w = 0; w < words; ++w) {
      code.unary(VectorOp::Copy, out + w, otherwise + w);
      code.select(out + w, aLess, chosen + w);
    }
    return success();
  }
  if (auto cmp = dyn_cast<arith::CmpIOp>(op)) {
    // An i1 word is 1 for true, so only equality reads it as arith does.
    if (i1 && cmp.getPredicate() != Pred::eq && cmp.getPredicate() != Pred::ne)
      return cannotMap(op) << "an i1 order compare (i1 words are 1 or 0)";
    compare(code, cmp.getPredicate(), words, out, in[0], in[1]);
    return success();
  }
  if (isa<arith::ExtSIOp, arith::ExtUIOp>(op)) {
    bool sign = isa<arith::ExtSIOp>(op);
    if (sign && i1) // true is -1
      code.binaryImm(VectorOp::MulI, 0, out, in[0], 0xffffffffu);
    else
      code.unary(VectorOp::Copy, out, in[0]);
    if (resultWords == 2) {
      if (!sign)
        code.fill(out + 1, 0);
      else if (i1)
        code.unary(VectorOp::Copy, out + 1, out);
      else {
        code.binaryImm(VectorOp::CmpI, static_cast<uint64_t>(Pred::slt),
                       out + 1, in[0], 0);
        code.binaryImm(VectorOp::MulI, 0, out + 1, out + 1, 0xffffffffu);
      }
    }
    return success();
  }
  if (isa<arith::TruncIOp>(op)) {
    if (op->getResult(0).getType().isInteger(1))
      code.binaryImm(VectorOp::AndI, 0, out, in[0], 1);
    else
      code.unary(VectorOp::Copy, out, in[0]);
    return success();
  }
  if (isa<arith::SIToFPOp>(op) && !operandType.isInteger(32))
    return cannotMap(op) << "sitofp from " << operandType << " (only from i32)";
  if (words == 2) {
    if (isa<arith::AndIOp>(op))
      return perWord(VectorOp::AndI), success();
    if (isa<arith::OrIOp>(op))
      return perWord(VectorOp::OrI), success();
    if (isa<arith::XOrIOp>(op))
      return perWord(VectorOp::XOrI), success();
    if (isa<arith::AddIOp, arith::SubIOp>(op)) {
      bool add = isa<arith::AddIOp>(op);
      uint64_t opcode = add ? VectorOp::AddI : VectorOp::SubI;
      uint64_t carry = code.fresh();
      code.binary(opcode, 0, out, in[0], in[1]);
      if (add)
        code.binary(VectorOp::CmpI, static_cast<uint64_t>(Pred::ult), carry,
                    out, in[0]);
      else
        code.binary(VectorOp::CmpI, static_cast<uint64_t>(Pred::ult), carry,
                    in[0], in[1]);
      code.binary(opcode, 0, out + 1, in[0] + 1, in[1] + 1);
      code.binary(opcode, 0, out + 1, out + 1, carry);
      return success();
    }
    return cannotMap(op) << "i64 " << op->getName()
                         << " is not mapped (the vector unit computes 32-bit "
                            "words: i64 add, sub, compares, min, max, select "
                            "and bitwise ops are word sequences)";
  }
  if (i1 && !isa<arith::AndIOp, arith::OrIOp, arith::XOrIOp>(op))
    return cannotMap(op) << "i1 " << op->getName()
                         << " is not mapped (i1 words are 1 or 0: andi, ori, "
                            "xori, eq/ne compares and select are)";
  if (std::optional<uint64_t> opcode = binaryOpcode(op)) {
    uint64_t aux = 0;
    if (auto cmp = dyn_cast<arith::CmpFOp>(op))
      aux = static_cast<uint64_t>(cmp.getPredicate());
    code.binary(*opcode, aux, out, in[0], in[1]);
    return success();
  }
  if (std::optional<uint64_t> opcode = unaryOpcode(op)) {
    code.unary(*opcode, out, in[0]);
    return success();
  }
  return cannotMap(op) << "the vector unit has no such operation";
}

/// A 0-d from_elements: its element's buffer reused (no result buffer yet),
/// copied (the result has one, a function result's), or a constant filled.
LogicalResult mapFromElements(ProgramEmitter &emitter,
                              tensor::FromElementsOp op) {
  Value element = op.getElements()[0], result = op.getResult();
  std::optional<unsigned> target = emitter.lookupBuffer(result);
  if (constantWords(element)) { // filled, then stored
    ScalarCode code(emitter);
    code.store(*code.place(element), *target, wordsOf(element.getType()));
    return success();
  }
  std::optional<unsigned> source = emitter.lookupBuffer(element);
  if (!source)
    return cannotMap(op) << "its element is not in DRAM (computed by an op "
                            "the conversion did not map)";
  if (!target) {
    emitter.alias(result, *source);
    return success();
  }
  if (*target == *source)
    return success(); // the element's op stored it here
  return copyWords(emitter, *source, *target);
}

} // namespace

bool isScalarOp(Operation *op) {
  if (auto extract = dyn_cast<tensor::ExtractOp>(op))
    return isZeroD(extract.getTensor().getType()) && wordsOf(extract.getType());
  if (auto elements = dyn_cast<tensor::FromElementsOp>(op))
    return isZeroD(elements.getType()) &&
           wordsOf(elements.getElements()[0].getType());
  if (!isa<arith::ArithDialect, math::MathDialect>(op->getDialect()) ||
      isa<arith::ConstantOp>(op) || op->getNumRegions() ||
      op->getNumResults() != 1)
    return false;
  auto scalar = [](Value v) { return wordsOf(v.getType()) != 0; };
  return llvm::all_of(op->getOperands(), scalar) && scalar(op->getResult(0));
}

Value scalarDestination(Operation *op) {
  if (isa<tensor::ExtractOp>(op))
    return nullptr;
  if (auto elements = dyn_cast<tensor::FromElementsOp>(op))
    return constantWords(elements.getElements()[0]) ? elements.getResult()
                                                    : nullptr;
  Value result = op->getResult(0);
  if (result.hasOneUse())
    if (auto elements = dyn_cast<tensor::FromElementsOp>(*result.user_begin());
        elements && isZeroD(elements.getType()))
      return elements.getResult();
  return result;
}

LogicalResult mapScalar(ProgramEmitter &emitter, Operation *op) {
  if (auto extract = dyn_cast<tensor::ExtractOp>(op)) {
    std::optional<unsigned> buffer = emitter.lookupBuffer(extract.getTensor());
    if (!buffer)
      return cannotMap(op) << "its tensor is not in DRAM";
    emitter.alias(extract.getResult(), *buffer);
    return success();
  }
  if (auto elements = dyn_cast<tensor::FromElementsOp>(op))
    return mapFromElements(emitter, elements);
  Value result = op->getResult(0);
  unsigned buffer = *emitter.lookupBuffer(scalarDestination(op));
  emitter.alias(result, buffer);
  ScalarCode code(emitter);
  SmallVector<uint64_t, 3> in;
  for (auto [i, operand] : llvm::enumerate(op->getOperands())) {
    FailureOr<uint64_t> entry = code.place(operand);
    if (failed(entry))
      return cannotMap(op) << "operand #" << i
                           << " is not in DRAM (computed by an op the "
                              "conversion did not map)";
    in.push_back(*entry);
  }
  unsigned words = wordsOf(result.getType());
  uint64_t out = code.fresh(words);
  if (failed(emitOp(code, op, in, out)))
    return failure();
  code.store(out, buffer, words);
  return success();
}

} // namespace qtrain::accel
