//===- GenericMapping.cpp - linalg.generic and fill on the vector unit ----===//
//
// docs/Accelerator.md, "The compiler side", Other ops: a linalg.generic of
// at most three loops runs on the vector unit, one VECTOR per op of its
// body over ACC views, tile by tile along its first loop: LOADs of the
// inputs' tiles (raw 32 bits, so values and NaN payloads arrive unchanged),
// the body, a copy into the output's tile, a STORE. An indexing map is a
// view: loop d's stride is the stride of the tensor dimension the map
// sends it to, 0 when it does not (broadcast). A reduction runs the body
// once per reduced position in lexicographic order, on the slice of the
// iteration space at that position, and copies the yielded value into the
// output before the next position: the scalar loop's order, for any body.
//
//===----------------------------------------------------------------------===//

#include "Mapping.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/BuiltinTypes.h"

#include "llvm/ADT/SmallBitVector.h"
#include "llvm/ADT/TypeSwitch.h"
#include "llvm/ADT/bit.h"

using namespace mlir;

namespace qtrain::accel {

/// The 32 bits of a constant of type f32, i32, i1 or index.
std::optional<uint32_t> constantBits(mlir::Value v) {
  auto c = v.getDefiningOp<arith::ConstantOp>();
  if (!c)
    return std::nullopt;
  if (auto f = dyn_cast<FloatAttr>(c.getValue())) {
    if (!f.getType().isF32())
      return std::nullopt;
    return llvm::bit_cast<uint32_t>(f.getValue().convertToFloat());
  }
  if (auto i = dyn_cast<IntegerAttr>(c.getValue())) {
    Type t = i.getType();
    // An i1 true is 1, as the vector unit's compares write it (not -1: a
    // `xori %c, %true` must give 0 for a true %c).
    if (t.isInteger(1) || t.isInteger(32) || t.isIndex())
      return static_cast<uint32_t>(i.getValue().getZExtValue());
  }
  return std::nullopt;
}

/// The VECTOR operation of a binary arith op, if it has one.
std::optional<uint64_t> binaryOpcode(Operation *op) {
  return llvm::TypeSwitch<Operation *, std::optional<uint64_t>>(op)
      .Case([](arith::AddFOp) { return VectorOp::AddF; })
      .Case([](arith::SubFOp) { return VectorOp::SubF; })
      .Case([](arith::MulFOp) { return VectorOp::MulF; })
      .Case([](arith::DivFOp) { return VectorOp::DivF; })
      .Case([](arith::MaximumFOp) { return VectorOp::MaximumF; })
      .Case([](arith::MinimumFOp) { return VectorOp::MinimumF; })
      .Case([](arith::AddIOp) { return VectorOp::AddI; })
      .Case([](arith::SubIOp) { return VectorOp::SubI; })
      .Case([](arith::MulIOp) { return VectorOp::MulI; })
      .Case([](arith::RemUIOp) { return VectorOp::RemUI; })
      .Case([](arith::AndIOp) { return VectorOp::AndI; })
      .Case([](arith::OrIOp) { return VectorOp::OrI; })
      .Case([](arith::XOrIOp) { return VectorOp::XOrI; })
      .Case([](arith::CmpFOp) { return VectorOp::CmpF; })
      .Case([](arith::CmpIOp) { return VectorOp::CmpI; })
      .Default([](Operation *) { return std::nullopt; });
}

/// The VECTOR operation of a unary op, if it has one.
std::optional<uint64_t> unaryOpcode(Operation *op) {
  return llvm::TypeSwitch<Operation *, std::optional<uint64_t>>(op)
      .Case([](arith::NegFOp) { return VectorOp::NegF; })
      .Case([](math::AbsFOp) { return VectorOp::AbsF; })
      .Case([](math::SqrtOp) { return VectorOp::Sqrt; })
      .Case([](math::ExpOp) { return VectorOp::Exp; })
      .Case([](math::LogOp) { return VectorOp::Log; })
      .Case([](arith::SIToFPOp) { return VectorOp::SIToFP; })
      .Default([](Operation *) { return std::nullopt; });
}

namespace {

using Dims = std::array<int64_t, 3>;

int64_t product(const Dims &d) { return d[0] * d[1] * d[2]; }

/// Row-major strides of a shape padded to three dimensions.
Dims rowMajor(const Dims &shape) { return {shape[1] * shape[2], shape[2], 1}; }

/// An ACC view: entry of position (0, 0, 0) and strides over the loops
/// (padded to three, leading loops of extent 1).
struct View {
  int64_t base = 0;
  Dims strides = {0, 0, 0};
};

/// A body value: a view, or an immediate (a constant's 32 bits).
struct Value32 {
  std::optional<View> view;
  uint32_t imm = 0;
};

/// One operand tensor's tile: its shape padded to three dimensions, where
/// it lives in the ACC and how the loops index it.
struct TileRegion {
  Dims shape = {1, 1, 1};
  int64_t base = 0;
  View view;
};

class GenericMapper {
public:
  GenericMapper(ProgramEmitter &emitter, linalg::GenericOp op)
      : emitter(emitter), op(op) {}

  LogicalResult map();

private:
  LogicalResult check();
  /// The tile of operand `operand` when the loops cover `tile` positions
  /// (per view dimension).
  TileRegion region(OpOperand &operand, const Dims &tile, int64_t &next);
  /// The transfer descriptor and DRAM address that move tile `r` of
  /// `operand`'s tensor (in `buffer`) when the loops start at `origin`.
  std::pair<unsigned, uint64_t> tileTransfer(OpOperand &operand,
                                             unsigned buffer,
                                             const TileRegion &r,
                                             const Dims &origin);
  void loadTile(OpOperand &operand, const TileRegion &r, const Dims &origin,
                unsigned half);
  void storeTile(const TileRegion &r, const Dims &origin, unsigned half);
  /// One VECTOR per body op over views of `sizes`, then the yielded value
  /// copied to `out`. With `accumulator`, that op (the reduction's last)
  /// and the copy are left to the caller, and `accumulated` receives the
  /// value the accumulator combines with the output.
  LogicalResult evaluateBody(const Dims &sizes, const Dims &origin,
                             const DenseMap<mlir::Value, View> &args,
                             const View &out, unsigned half,
                             std::vector<int64_t> &temps,
                             Operation *accumulator = nullptr,
                             std::optional<View> *accumulated = nullptr);
  void vector(uint64_t opcode, const Dims &sizes, const View &dst,
              const Value32 &src1, const Value32 &src2, uint64_t aux, bool swap,
              unsigned half);

  ProgramEmitter &emitter;
  linalg::GenericOp op;
  unsigned loops = 0, pad = 0;
  Dims extents = {1, 1, 1};
  std::vector<bool> reduced; ///< Per view dimension.
  /// The current tile's loop extents and origin in the iteration space.
  Dims extentsOfTile = {1, 1, 1}, tileOrigin = {0, 0, 0};
};

LogicalResult GenericMapper::check() {
  if (op.getNumDpsInits() != 1)
    return cannotMap(op) << "generics with several outputs are not mapped "
                            "yet";
  loops = op.getNumLoops();
  if (loops > 3)
    return cannotMap(op) << "more than three loops (" << loops
                         << ") do not fit the vector unit's 3-D views";
  pad = 3 - loops;
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  reduced.assign(3, false);
  for (unsigned d = 0; d < loops; ++d) {
    if (ShapedType::isDynamic(ranges[d]))
      return cannotMap(op) << "dynamic shapes";
    extents[pad + d] = ranges[d];
    reduced[pad + d] =
        op.getIteratorTypesArray()[d] == utils::IteratorType::reduction;
  }
  for (OpOperand &operand : op->getOpOperands()) {
    auto type = dyn_cast<RankedTensorType>(operand.get().getType());
    if (!type)
      return cannotMap(op) << "scalar operands are not mapped yet";
    Type e = type.getElementType();
    if (!e.isF32() && !e.isInteger(32) && !e.isInteger(1))
      return cannotMap(op) << "only f32, i32 and i1 tensors are mapped, not "
                           << type;
    // Each result a distinct loop or a constant index (an offset); at most
    // three loops per operand, the transfers' dimensions.
    AffineMap map = op.getMatchingIndexingMap(&operand);
    llvm::SmallBitVector seen(map.getNumDims());
    unsigned walked = 0;
    for (auto [j, result] : llvm::enumerate(map.getResults())) {
      if (auto dim = dyn_cast<AffineDimExpr>(result)) {
        if (seen.test(dim.getPosition()))
          return cannotMap(op) << "indexing map " << AffineMapAttr::get(map)
                               << " repeats a loop";
        seen.set(dim.getPosition());
        ++walked;
        continue;
      }
      auto constant = dyn_cast<AffineConstantExpr>(result);
      if (!constant || constant.getValue() < 0 ||
          constant.getValue() >= type.getDimSize(j))
        return cannotMap(op) << "indexing map " << AffineMapAttr::get(map)
                             << " is not a projected permutation with "
                                "constant indices";
    }
    if (walked > 3)
      return cannotMap(op) << "operands walked along more than three loops "
                              "are not mapped yet";
    if (!op.isDpsInit(&operand) && !emitter.lookupBuffer(operand.get()))
      return cannotMap(op) << "an input is not in DRAM (computed by an op "
                              "the conversion did not map)";
  }
  return success();
}

/// The dimensions of an operand that loops walk (the others are constant
/// indices), in its order, with the loop of each.
static SmallVector<std::pair<unsigned, unsigned>, 3> walkedDims(AffineMap map) {
  SmallVector<std::pair<unsigned, unsigned>, 3> walked;
  for (auto [j, result] : llvm::enumerate(map.getResults()))
    if (auto dim = dyn_cast<AffineDimExpr>(result))
      walked.push_back({static_cast<unsigned>(j), dim.getPosition()});
  return walked;
}

TileRegion GenericMapper::region(OpOperand &operand, const Dims &tile,
                                 int64_t &next) {
  TileRegion r;
  auto walked = walkedDims(op.getMatchingIndexingMap(&operand));
  unsigned rpad = 3 - walked.size();
  for (auto [i, jd] : llvm::enumerate(walked))
    r.shape[rpad + i] = tile[pad + jd.second];
  r.base = next;
  next += product(r.shape);
  Dims strides = rowMajor(r.shape);
  r.view.base = r.base;
  for (auto [i, jd] : llvm::enumerate(walked))
    r.view.strides[pad + jd.second] = strides[rpad + i];
  return r;
}

std::pair<unsigned, uint64_t> GenericMapper::tileTransfer(OpOperand &operand,
                                                          unsigned buffer,
                                                          const TileRegion &r,
                                                          const Dims &origin) {
  auto type = cast<RankedTensorType>(operand.get().getType());
  AffineMap map = op.getMatchingIndexingMap(&operand);
  // Row-major strides of the whole tensor; constant indices are offsets.
  unsigned rank = type.getRank();
  SmallVector<int64_t> full(rank, 1);
  for (int j = static_cast<int>(rank) - 2; j >= 0; --j)
    full[j] = full[j + 1] * type.getDimSize(j + 1);
  int64_t first = 0;
  for (auto [j, result] : llvm::enumerate(map.getResults())) {
    int64_t index =
        isa<AffineDimExpr>(result)
            ? origin[pad + cast<AffineDimExpr>(result).getPosition()]
            : cast<AffineConstantExpr>(result).getValue();
    first += index * full[j];
  }
  auto walked = walkedDims(map);
  unsigned rpad = 3 - walked.size();
  Dims dramStrides = {0, 0, 0}, extent = {1, 1, 1};
  for (auto [i, jd] : llvm::enumerate(walked)) {
    dramStrides[rpad + i] = full[jd.first];
    extent[rpad + i] = type.getDimSize(jd.first);
  }
  // Unwalked leading slots (extent 1) step as a row-major padding would.
  for (int k = static_cast<int>(rpad) - 1; k >= 0; --k)
    dramStrides[k] = k == 2 ? 1 : dramStrides[k + 1] * extent[k + 1];
  Dims chip = rowMajor(r.shape);
  TransferStrides strides;
  strides.dramZ = dramStrides[0];
  strides.dramY = dramStrides[1];
  strides.dramX = dramStrides[2];
  strides.chipZ = chip[0];
  strides.chipY = chip[1];
  strides.chipX = chip[2];
  return {emitter.useTransfer(strides),
          emitter.getBuffer(buffer).address + 4 * first};
}

void GenericMapper::loadTile(OpOperand &operand, const TileRegion &r,
                             const Dims &origin, unsigned half) {
  unsigned buffer = *emitter.lookupBuffer(operand.get());
  auto [td, dramAddr] = tileTransfer(operand, buffer, r, origin);
  emitter.emitQueued(
      rawLoad(td, dramAddr, r.base, r.shape),
      {{{Resource::Dram, buffer}, false}, {{Resource::Acc, half}, true}});
}

void GenericMapper::storeTile(const TileRegion &r, const Dims &origin,
                              unsigned half) {
  unsigned buffer = *emitter.lookupBuffer(op->getResult(0));
  auto [td, dramAddr] =
      tileTransfer(op.getDpsInitsMutable()[0], buffer, r, origin);
  emitter.emitQueued(
      rawStore(td, dramAddr, r.base, r.shape),
      {{{Resource::Acc, half}, false}, {{Resource::Dram, buffer}, true}});
}

void GenericMapper::vector(uint64_t opcode, const Dims &sizes, const View &dst,
                           const Value32 &src1, const Value32 &src2,
                           uint64_t aux, bool swap, unsigned half) {
  Instruction v(InstructionKind::Vector);
  v.set("op", opcode);
  v.set("aux", aux);
  v.set("swap", swap);
  unsigned dstView = emitter.useView(sizes, dst.strides);
  v.set("dst_view", dstView);
  v.set("dst_entry", dst.base);
  auto place = [&](const Value32 &s, StringRef viewField,
                   StringRef entryField) {
    if (s.view) {
      v.set(viewField, emitter.useView(sizes, s.view->strides));
      v.set(entryField, s.view->base);
    } else {
      v.set(viewField, dstView);
      v.set(entryField, dst.base);
    }
  };
  place(src1, "src1_view", "src1_entry");
  if (src2.view) {
    place(src2, "src2_view", "src2_entry");
  } else {
    v.set("src2_view", dstView);
    v.set("src2_entry", dst.base);
    v.set("src2_imm", 1);
    v.set("imm", src2.imm);
  }
  emitter.emitQueued(v, {{{Resource::Acc, half}, true}});
}

bool isMappedType(Type t) {
  return t.isF32() || t.isInteger(32) || t.isInteger(1) || t.isIndex();
}

LogicalResult
GenericMapper::evaluateBody(const Dims &sizes, const Dims &origin,
                            const DenseMap<mlir::Value, View> &args,
                            const View &out, unsigned half,
                            std::vector<int64_t> &temps, Operation *accumulator,
                            std::optional<View> *accumulated) {
  Block &body = op.getRegion().front();
  DenseMap<mlir::Value, Value32> values;
  for (auto [value, view] : args)
    values[value] = Value32{view, 0};
  auto lookup = [&](mlir::Value v) -> FailureOr<Value32> {
    auto it = values.find(v);
    if (it != values.end())
      return it->second;
    if (std::optional<uint32_t> bits = constantBits(v))
      return Value32{std::nullopt, *bits};
    return cannotMap(op) << "a value from outside the body that is not a "
                            "constant";
  };
  // Temporaries hold one evaluation: the tile, or a reduction's slice.
  Dims tempStrides = rowMajor(sizes);
  unsigned next = 0;
  for (Operation &inner : body.without_terminator()) {
    if (inner.getNumResults() != 1 ||
        !isMappedType(inner.getResult(0).getType()))
      return cannotMap(&inner) << "only f32, i32, i1 and index values are "
                                  "mapped";
    if (isa<arith::ConstantOp>(inner))
      continue; // an immediate where it is used
    if (&inner == accumulator) {
      BlockArgument outArg = body.getArgument(op.getNumDpsInputs());
      mlir::Value other = inner.getOperand(0) == outArg ? inner.getOperand(1)
                                                        : inner.getOperand(0);
      FailureOr<Value32> e = lookup(other);
      if (failed(e))
        return failure();
      *accumulated = e->view;
      return success();
    }
    if (isa<arith::IndexCastOp>(inner)) {
      FailureOr<Value32> in = lookup(inner.getOperand(0));
      if (failed(in))
        return failure();
      values[inner.getResult(0)] = *in; // index and i32 are both 32 bits
      continue;
    }
    View dst;
    dst.base = temps[next++];
    dst.strides = tempStrides;
    if (auto index = dyn_cast<linalg::IndexOp>(inner)) {
      unsigned v = pad + index.getDim();
      vector(VectorOp::Index, sizes, dst, Value32{dst, 0},
             Value32{std::nullopt,
                     static_cast<uint32_t>(origin[v] + tileOrigin[v])},
             /*aux=*/v, false, half);
    } else if (auto select = dyn_cast<arith::SelectOp>(inner)) {
      FailureOr<Value32> c = lookup(select.getCondition());
      FailureOr<Value32> t = lookup(select.getTrueValue());
      FailureOr<Value32> f = lookup(select.getFalseValue());
      if (failed(c) || failed(t) || failed(f))
        return failure();
      if (!c->view)
        return cannotMap(&inner) << "a select on a constant condition";
      // dst := false value; dst = cond ? true value : dst.
      if (f->view)
        vector(VectorOp::Copy, sizes, dst, *f, *f, 0, false, half);
      else
        vector(VectorOp::Fill, sizes, dst, Value32{dst, 0}, *f, 0, false, half);
      vector(VectorOp::Select, sizes, dst, *c, *t, 0, false, half);
    } else if (std::optional<uint64_t> opcode = binaryOpcode(&inner)) {
      FailureOr<Value32> a = lookup(inner.getOperand(0));
      FailureOr<Value32> b = lookup(inner.getOperand(1));
      if (failed(a) || failed(b))
        return failure();
      uint64_t aux = 0;
      if (auto cmp = dyn_cast<arith::CmpFOp>(inner))
        aux = static_cast<uint64_t>(cmp.getPredicate());
      if (auto cmp = dyn_cast<arith::CmpIOp>(inner))
        aux = static_cast<uint64_t>(cmp.getPredicate());
      if (!a->view && !b->view)
        return cannotMap(&inner) << "an op on two constants (fold it first)";
      if (a->view)
        vector(*opcode, sizes, dst, *a, *b, aux, false, half);
      else
        vector(*opcode, sizes, dst, *b, *a, aux, /*swap=*/true, half);
    } else if (std::optional<uint64_t> opcode = unaryOpcode(&inner)) {
      FailureOr<Value32> a = lookup(inner.getOperand(0));
      if (failed(a))
        return failure();
      if (!a->view)
        return cannotMap(&inner) << "an op on a constant (fold it first)";
      vector(*opcode, sizes, dst, *a, *a, 0, false, half);
    } else {
      return cannotMap(&inner) << "the vector unit has no such operation";
    }
    values[inner.getResult(0)] = Value32{dst, 0};
  }
  auto yield = cast<linalg::YieldOp>(body.getTerminator());
  FailureOr<Value32> y = lookup(yield.getOperand(0));
  if (failed(y))
    return failure();
  if (y->view)
    vector(VectorOp::Copy, sizes, out, *y, *y, 0, false, half);
  else
    vector(VectorOp::Fill, sizes, out, Value32{out, 0}, *y, 0, false, half);
  return success();
}

LogicalResult GenericMapper::map() {
  if (failed(check()))
    return failure();
  Block &body = op.getRegion().front();
  unsigned numInputs = op.getNumDpsInputs();
  OpOperand &init = op.getDpsInitsMutable()[0];
  BlockArgument outArg = body.getArgument(numInputs);
  bool anyReduced = llvm::is_contained(reduced, true);
  unsigned numTemps = 0;
  for (Operation &inner : body.without_terminator())
    numTemps += !isa<arith::ConstantOp, arith::IndexCastOp>(inner);

  // A reduction whose body ends in `out = op(out, e)` (or `op(e, out)`),
  // out used nowhere else and e not a constant, is one accumulating VECTOR
  // after the rest of the body ran on the whole tile: the accumulation
  // visits positions in lexicographic order, as the loops do.
  Operation *accumulator = nullptr;
  bool outSecond = false;
  if (anyReduced && outArg.hasOneUse()) {
    auto yield = cast<linalg::YieldOp>(body.getTerminator());
    Operation *last = yield.getOperand(0).getDefiningOp();
    bool accumulable = last && last->getBlock() == &body && last->hasOneUse() &&
                       isa<arith::AddFOp, arith::MulFOp, arith::MaximumFOp,
                           arith::MinimumFOp, arith::AddIOp, arith::MulIOp,
                           arith::AndIOp, arith::OrIOp, arith::XOrIOp>(last);
    if (accumulable) {
      mlir::Value a = last->getOperand(0), b = last->getOperand(1);
      mlir::Value other = a == outArg ? b : a;
      if ((a == outArg) != (b == outArg) && !constantBits(other)) {
        accumulator = last;
        outSecond = b == outArg;
      }
    }
  }

  if (accumulator)
    --numTemps; // the accumulating VECTOR writes the output itself

  // The shape one evaluation of the body covers: the tile, or for a
  // reduction run position by position, the tile's slice at one position.
  auto evaluationShape = [&](Dims tile) {
    if (anyReduced && !accumulator)
      for (unsigned v = 0; v < 3; ++v)
        if (reduced[v])
          tile[v] = 1;
    return tile;
  };
  // The ACC entries a tile covering `tile` loop positions needs: the used
  // inputs' tiles, the output's tile, a temporary per body op.
  auto footprint = [&](const Dims &tile) {
    int64_t next = 0;
    for (OpOperand *in : op.getDpsInputOperands())
      if (!body.getArgument(in->getOperandNumber()).use_empty())
        (void)region(*in, tile, next);
    (void)region(init, tile, next);
    return next + numTemps * product(evaluationShape(tile));
  };
  int64_t budget = emitter.accHalfEntries();
  // Tiles along the first loop, the others whole; where one iteration of
  // it does not fit, one iteration of it by a range of the next loop (and
  // so on).
  Dims tileExtents = extents;
  unsigned split = pad;
  auto largest = [&](unsigned v) {
    Dims d = tileExtents;
    d[v] = 0;
    int64_t fixed = footprint(d);
    d[v] = 1;
    int64_t perIteration = footprint(d) - fixed;
    int64_t t = perIteration > 0 ? (budget - fixed) / perIteration : extents[v];
    return std::min(t, extents[v]);
  };
  if (loops > 0) {
    int64_t t = largest(split);
    while (t < 1 && split + 1 < 3) {
      tileExtents[split] = 1;
      ++split;
      t = largest(split);
    }
    if (t < 1) {
      Dims one = tileExtents;
      one[split] = 1;
      return cannotMap(op) << "a tile of one iteration of its first "
                           << (split == pad
                                   ? std::string("loop")
                                   : std::to_string(split - pad + 1) + " loops")
                           << " needs " << footprint(one)
                           << " ACC entries, an ACC half has " << budget;
    }
    tileExtents[split] = t;
  }

  auto fill = init.get().getDefiningOp<linalg::FillOp>();
  std::optional<uint32_t> fillBits =
      fill ? constantBits(fill.getInputs()[0]) : std::nullopt;
  if (!outArg.use_empty() && !fillBits && !emitter.lookupBuffer(init.get()))
    return cannotMap(op) << "its output's initial value is not in DRAM";

  unsigned half = 0;
  TileRegion out;
  int64_t outEnd = 0;
  auto initializeOut = [&](const Dims &origin) {
    if (outArg.use_empty())
      return;
    if (fillBits) {
      View whole{out.base, rowMajor(out.shape)};
      vector(VectorOp::Fill, out.shape, whole, Value32{whole, 0},
             Value32{std::nullopt, *fillBits}, 0, false, half);
    } else {
      loadTile(init, out, origin, half);
    }
  };
  // Tile origins, row-major (dimensions before the loops have extent 1).
  // Tiles that differ only along reduced loops accumulate into one output
  // tile kept in an ACC half across them: one initialization, one store,
  // the tiles in row-major order of their reduced origins, which visits
  // every output's reduced positions in the loops' order (a tile fixes the
  // loops before its split loop and covers those after it whole).
  auto groupOf = [&](Dims o) {
    for (unsigned v = 0; v < 3; ++v)
      if (reduced[v])
        o[v] = 0;
    return o;
  };
  SmallVector<Dims> origins;
  for (int64_t a = 0; a < extents[0]; a += tileExtents[0])
    for (int64_t b = 0; b < extents[1]; b += tileExtents[1])
      for (int64_t c = 0; c < extents[2]; c += tileExtents[2])
        origins.push_back({a, b, c});
  std::stable_sort(
      origins.begin(), origins.end(),
      [&](const Dims &x, const Dims &y) { return groupOf(x) < groupOf(y); });
  for (size_t i = 0; i < origins.size(); ++i) {
    const Dims &origin = origins[i];
    Dims group = groupOf(origin);
    bool firstOfGroup = i == 0 || groupOf(origins[i - 1]) != group;
    bool lastOfGroup =
        i + 1 == origins.size() || groupOf(origins[i + 1]) != group;
    extentsOfTile = tileExtents;
    for (unsigned v = 0; v < 3; ++v)
      extentsOfTile[v] = std::min(tileExtents[v], extents[v] - origin[v]);
    tileOrigin = origin;
    if (firstOfGroup) {
      half = emitter.nextAccHalf();
      outEnd = half * budget;
      out = region(init, extentsOfTile, outEnd);
      initializeOut(group);
    }
    int64_t next = outEnd;
    DenseMap<mlir::Value, View> args;
    for (OpOperand *in : op.getDpsInputOperands()) {
      BlockArgument arg = body.getArgument(in->getOperandNumber());
      if (arg.use_empty())
        continue;
      TileRegion r = region(*in, extentsOfTile, next);
      loadTile(*in, r, origin, half);
      args[arg] = r.view;
    }
    if (!outArg.use_empty())
      args[outArg] = out.view;
    std::vector<int64_t> temps;
    for (unsigned i = 0; i < numTemps; ++i) {
      temps.push_back(next);
      next += product(evaluationShape(extentsOfTile));
    }

    if (!anyReduced) {
      if (failed(evaluateBody(extentsOfTile, {0, 0, 0}, args, out.view, half,
                              temps)))
        return failure();
    } else if (accumulator) {
      std::optional<View> e;
      if (failed(evaluateBody(extentsOfTile, {0, 0, 0}, args, out.view, half,
                              temps, accumulator, &e)))
        return failure();
      Instruction v(InstructionKind::Vector);
      unsigned outView = emitter.useView(extentsOfTile, out.view.strides);
      v.set("op", *binaryOpcode(accumulator));
      v.set("accumulate", 1);
      v.set("swap", outSecond);
      v.set("dst_view", outView);
      v.set("dst_entry", out.view.base);
      v.set("src1_view", emitter.useView(extentsOfTile, e->strides));
      v.set("src1_entry", e->base);
      v.set("src2_view", outView);
      v.set("src2_entry", out.view.base);
      emitter.emitQueued(v, {{{Resource::Acc, half}, true}});
    } else {
      // Every reduced position in lexicographic order, on its slice.
      Dims sizes = extentsOfTile, position = {0, 0, 0};
      for (unsigned v = 0; v < 3; ++v)
        if (reduced[v])
          sizes[v] = 1;
      while (true) {
        DenseMap<mlir::Value, View> slice;
        for (auto [value, view] : args) {
          View moved = view;
          for (unsigned v = 0; v < 3; ++v)
            moved.base += position[v] * view.strides[v];
          slice[value] = moved;
        }
        if (failed(evaluateBody(sizes, position, slice, out.view, half, temps)))
          return failure();
        int v = 2;
        for (; v >= 0; --v) {
          if (!reduced[v])
            continue;
          if (++position[v] < extentsOfTile[v])
            break;
          position[v] = 0;
        }
        if (v < 0)
          break;
      }
    }
    if (lastOfGroup)
      storeTile(out, group, half);
  }
  return success();
}

} // namespace

LogicalResult mapGeneric(ProgramEmitter &emitter, linalg::GenericOp op) {
  if (isPermutationCopy(op))
    return mapPermutationCopy(emitter, op);
  return GenericMapper(emitter, op).map();
}

LogicalResult mapFill(ProgramEmitter &emitter, linalg::FillOp op) {
  std::optional<uint32_t> bits = constantBits(op.getInputs()[0]);
  if (!bits)
    return cannotMap(op) << "the fill value is not a constant";
  return mapFillValue(emitter, op, op.getResult(0), *bits);
}

LogicalResult mapSplatConstant(ProgramEmitter &emitter, arith::ConstantOp op) {
  auto splat = dyn_cast<SplatElementsAttr>(op.getValue());
  if (!splat)
    return cannotMap(op) << "only splat tensor constants are mapped";
  Type elem = splat.getElementType();
  uint32_t bits = 0;
  if (elem.isF32())
    bits = llvm::bit_cast<uint32_t>(splat.getSplatValue<float>());
  else if (elem.isInteger(32) || elem.isInteger(1)) // i1: a word of 1 or 0
    bits = static_cast<uint32_t>(splat.getSplatValue<APInt>().getZExtValue());
  else if (elem.isInteger(64))
    return fillI64(emitter, *emitter.lookupBuffer(op.getResult()),
                   splat.getSplatValue<APInt>().getZExtValue());
  else
    return cannotMap(op) << "only f32, i32, i64 and i1 tensors of rank up to 3";
  return mapFillValue(emitter, op, op.getResult(), bits);
}

void emitFill(ProgramEmitter &emitter, unsigned half, uint64_t base,
              const std::array<int64_t, 3> &shape, uint32_t bits) {
  emitFill(emitter, half, base, shape, rowMajor(shape), bits);
}

void emitFill(ProgramEmitter &emitter, unsigned half, uint64_t base,
              const std::array<int64_t, 3> &shape,
              const std::array<int64_t, 3> &strides, uint32_t bits) {
  Instruction v(InstructionKind::Vector);
  v.set("op", VectorOp::Fill);
  unsigned view = emitter.useView(shape, strides);
  for (StringRef f : {"dst_view", "src1_view", "src2_view"})
    v.set(f, view);
  for (StringRef f : {"dst_entry", "src1_entry", "src2_entry"})
    v.set(f, base);
  v.set("src2_imm", 1);
  v.set("imm", bits);
  emitter.emitQueued(v, {{{Resource::Acc, half}, true}});
}

LogicalResult mapFillValue(ProgramEmitter &emitter, Operation *op,
                           mlir::Value result, uint32_t bits) {
  auto type = dyn_cast<RankedTensorType>(result.getType());
  if (!type || !type.hasStaticShape() ||
      !(type.getElementType().isF32() || type.getElementType().isInteger(32) ||
        type.getElementType().isInteger(1)))
    return cannotMap(op) << "only static f32, i32 and i1 tensors";
  // The buffer is contiguous: fill it as rows of the last dimension, as
  // many per ACC half as fit.
  int64_t budget = emitter.accHalfEntries();
  int64_t perRow = type.getRank() ? type.getShape().back() : 1;
  int64_t rows = perRow ? type.getNumElements() / perRow : 0;
  if (perRow > budget)
    return cannotMap(op) << "rows of " << perRow
                         << " elements do not fit an ACC half";
  unsigned buffer = *emitter.lookupBuffer(result);
  int64_t rowsPerTile =
      std::max<int64_t>(1, budget / std::max<int64_t>(perRow, 1));
  for (int64_t y0 = 0; y0 < rows; y0 += rowsPerTile) {
    Dims tile = {1, std::min(rowsPerTile, rows - y0), perRow};
    unsigned half = emitter.nextAccHalf();
    int64_t base = half * budget;
    Dims strides = rowMajor(tile);
    emitFill(emitter, half, base, tile, bits);
    TransferStrides transfer;
    transfer.dramZ = tile[1] * perRow;
    transfer.dramY = perRow;
    transfer.dramX = 1;
    transfer.chipZ = strides[0];
    transfer.chipY = strides[1];
    transfer.chipX = 1;
    emitter.emitQueued(
        rawStore(emitter.useTransfer(transfer),
                 emitter.getBuffer(buffer).address + 4 * y0 * perRow, base,
                 tile),
        {{{Resource::Acc, half}, false}, {{Resource::Dram, buffer}, true}});
  }
  return success();
}

} // namespace qtrain::accel
