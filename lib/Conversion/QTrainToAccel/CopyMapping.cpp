//===- CopyMapping.cpp - Data movement through the ACC
//---------------------===//
//
// Tensors whose elements move unchanged, in tiles that are contiguous boxes
// of the row-major result (so each tile is one STORE): a linalg.generic
// whose body only yields its input through a permutation map (a transpose,
// such as the swaps qtrain-decompose makes of a convolution's operands and
// result) and a static tensor.extract_slice (a crop) are one strided raw
// LOAD per tile. The im2col gathers use the same tiles.
//
//===----------------------------------------------------------------------===//

#include "Mapping.h"

#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/BuiltinTypes.h"

#include <functional>

using namespace mlir;

namespace qtrain::accel {

void forEachContiguousBox(ArrayRef<int64_t> shape, int64_t cap,
                          function_ref<void(const Box &)> fn,
                          unsigned maxVarying) {
  size_t rank = shape.size();
  // Elements of dimensions [d, rank) (a std::vector: GCC 12 misreads a
  // SmallVector filled by its constructor as maybe uninitialized).
  std::vector<int64_t> suffix(rank + 1, 1);
  for (int d = static_cast<int>(rank) - 1; d >= 0; --d)
    suffix[d] = suffix[d + 1] * shape[d];
  if (suffix[0] == 0)
    return;
  unsigned split = rank > maxVarying ? rank - maxVarying : 0;
  while (split < rank && suffix[split + 1] > cap)
    ++split;
  if (split == rank) // only when cap < 1
    return;
  const int64_t len = std::min(shape[split], cap / suffix[split + 1]);
  const int64_t prefixCount = suffix[0] / suffix[split];
  Box box;
  box.lo.assign(rank, 0);
  box.hi.assign(shape.begin(), shape.end());
  for (int64_t p = 0; p < prefixCount; ++p) {
    int64_t rest = p;
    for (int d = static_cast<int>(split) - 1; d >= 0; --d) {
      box.lo[d] = rest % shape[d];
      box.hi[d] = box.lo[d] + 1;
      rest /= shape[d];
    }
    for (int64_t c0 = 0; c0 < shape[split]; c0 += len) {
      box.lo[split] = c0;
      box.hi[split] = std::min(shape[split], c0 + len);
      box.start = 0;
      box.count = 1;
      for (size_t d = 0; d < rank; ++d) {
        box.start += box.lo[d] * suffix[d + 1];
        box.count *= box.hi[d] - box.lo[d];
      }
      fn(box);
    }
  }
}

void forEachRangeBox(ArrayRef<int64_t> shape, int64_t first, int64_t count,
                     function_ref<void(const Box &)> fn) {
  size_t rank = shape.size();
  // Elements of dimensions [d, rank) (a std::vector: GCC 12 misreads a
  // SmallVector filled by its constructor as maybe uninitialized).
  std::vector<int64_t> suffix(rank + 1, 1);
  for (int d = static_cast<int>(rank) - 1; d >= 0; --d)
    suffix[d] = suffix[d + 1] * shape[d];
  Box box;
  box.lo.assign(rank, 0);
  box.hi.assign(shape.begin(), shape.end());
  // Elements [a, b) of the sub-tensor at dimension d, the indices before it
  // fixed in box.lo / box.hi, `base` its first element.
  std::function<void(size_t, int64_t, int64_t, int64_t)> split =
      [&](size_t d, int64_t a, int64_t b, int64_t base) {
        if (a >= b)
          return;
        int64_t inner = suffix[d + 1];
        auto emit = [&](int64_t lo, int64_t hi) {
          box.lo[d] = lo, box.hi[d] = hi;
          for (size_t t = d + 1; t < rank; ++t)
            box.lo[t] = 0, box.hi[t] = shape[t];
          box.start = base + lo * inner;
          box.count = (hi - lo) * inner;
          fn(box);
        };
        auto within = [&](int64_t i, int64_t lo, int64_t hi) {
          box.lo[d] = i, box.hi[d] = i + 1;
          split(d + 1, lo, hi, base + i * inner);
        };
        if (a % inner == 0 && b % inner == 0)
          return emit(a / inner, b / inner);
        int64_t ia = a / inner, ib = (b - 1) / inner;
        if (ia == ib)
          return within(ia, a - ia * inner, b - ia * inner);
        if (a % inner)
          within(ia++, a % inner, inner);
        if (b / inner > ia)
          emit(ia, b / inner);
        if (b % inner)
          within(b / inner, 0, b % inner);
      };
  if (rank == 0) {
    if (count > 0) {
      box.start = 0, box.count = 1;
      fn(box);
    }
    return;
  }
  split(0, first, first + count, 0);
}

bool isPermutationCopy(linalg::GenericOp op) {
  if (op.getNumDpsInputs() != 1 || op.getNumDpsInits() != 1 ||
      op.getNumLoops() > 3 || op.getNumReductionLoops() != 0)
    return false;
  Block &body = op.getRegion().front();
  auto yield = cast<linalg::YieldOp>(body.getTerminator());
  if (body.getOperations().size() != 1 ||
      yield.getOperand(0) != body.getArgument(0))
    return false;
  auto inType = dyn_cast<RankedTensorType>(op.getDpsInputs()[0].getType());
  auto outType = dyn_cast<RankedTensorType>(op.getResult(0).getType());
  if (!inType || !outType || !inType.hasStaticShape() ||
      !outType.hasStaticShape() ||
      inType.getElementType() != outType.getElementType() ||
      dramElementBits(inType.getElementType()) != 32)
    return false;
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  return maps[0].isPermutation() && maps[1].isIdentity();
}

namespace {

/// Copies a tensor of `shape` into `result` (row-major) from `source`,
/// whose element for index (i...) is at `offset + sum i_j strides_j`:
/// box by box, a strided raw LOAD into the ACC and a contiguous STORE.
void emitStridedCopy(ProgramEmitter &emitter, unsigned source,
                     ArrayRef<int64_t> strides, int64_t offset, unsigned result,
                     ArrayRef<int64_t> shape) {
  size_t rank = shape.size();
  uint64_t address = emitter.getBuffer(source).address;
  // At most three dimensions vary within a box: a transfer's three.
  forEachContiguousBox(
      shape, emitter.accHalfEntries(),
      [&](const Box &box) {
        // The box's last three dimensions (those before are single indices).
        std::array<int64_t, 3> size = {1, 1, 1}, dram = {0, 0, 0};
        int64_t first = offset;
        for (size_t d = 0; d < rank; ++d) {
          first += box.lo[d] * strides[d];
          if (d + 3 >= rank) {
            size[d + 3 - rank] = box.hi[d] - box.lo[d];
            dram[d + 3 - rank] = strides[d];
          }
        }
        unsigned half = emitter.nextAccHalf();
        uint64_t base = half * emitter.accHalfEntries();
        TransferStrides t;
        t.dramZ = dram[0], t.dramY = dram[1], t.dramX = dram[2];
        t.chipZ = size[1] * size[2], t.chipY = size[2], t.chipX = 1;
        unsigned td = emitter.useTransfer(t);
        for (int64_t z0 = 0; z0 < size[0]; z0 += kMaxTransferZ) {
          int64_t nz = std::min(kMaxTransferZ, size[0] - z0);
          emitter.emitQueued(rawLoad(td, address + 4 * (first + z0 * dram[0]),
                                     base + z0 * t.chipZ,
                                     {nz, size[1], size[2]}),
                             {{{Resource::Dram, source}, false},
                              {{Resource::Acc, half}, true}});
        }
        storeRaw(emitter, base, half, result, box.start, box.count);
      },
      /*maxVarying=*/3);
}

/// Row-major element strides of `shape`.
SmallVector<int64_t> rowMajorStrides(ArrayRef<int64_t> shape) {
  SmallVector<int64_t> strides(shape.size(), 1);
  for (int d = static_cast<int>(shape.size()) - 2; d >= 0; --d)
    strides[d] = strides[d + 1] * shape[d + 1];
  return strides;
}

} // namespace

LogicalResult mapPermutationCopy(ProgramEmitter &emitter,
                                 linalg::GenericOp op) {
  Value input = op.getDpsInputs()[0];
  std::optional<unsigned> source = emitter.lookupBuffer(input);
  if (!source)
    return cannotMap(op) << "an input is not in DRAM (computed by an op the "
                            "conversion did not map)";
  ArrayRef<int64_t> shape =
      cast<RankedTensorType>(op.getResult(0).getType()).getShape();
  // DRAM stride of each loop (= result dimension) in the input.
  SmallVector<int64_t> inStride =
      rowMajorStrides(cast<RankedTensorType>(input.getType()).getShape());
  SmallVector<int64_t> loopStride(shape.size(), 0);
  AffineMap map = op.getIndexingMapsArray()[0];
  for (unsigned r = 0; r < shape.size(); ++r)
    loopStride[map.getDimPosition(r)] = inStride[r];
  emitStridedCopy(emitter, *source, loopStride, 0,
                  *emitter.lookupBuffer(op.getResult(0)), shape);
  return success();
}

LogicalResult mapExtractSlice(ProgramEmitter &emitter,
                              tensor::ExtractSliceOp op) {
  RankedTensorType sourceType = op.getSourceType();
  auto resultType = cast<RankedTensorType>(op.getType());
  if (!sourceType.hasStaticShape() ||
      ShapedType::isDynamicShape(op.getStaticOffsets()) ||
      ShapedType::isDynamicShape(op.getStaticSizes()) ||
      ShapedType::isDynamicShape(op.getStaticStrides()) ||
      dramElementBits(sourceType.getElementType()) != 32)
    return cannotMap(op) << "only static slices of 32-bit tensors";
  if (resultType.getRank() != sourceType.getRank())
    return cannotMap(op) << "rank-reducing slices are not mapped yet";
  std::optional<unsigned> source = emitter.lookupBuffer(op.getSource());
  if (!source)
    return cannotMap(op) << "its source is not in DRAM (computed by an op "
                            "the conversion did not map)";
  SmallVector<int64_t> rowStride = rowMajorStrides(sourceType.getShape());
  SmallVector<int64_t> strides;
  int64_t offset = 0;
  for (auto [d, o, s] :
       llvm::enumerate(op.getStaticOffsets(), op.getStaticStrides())) {
    offset += o * rowStride[d];
    strides.push_back(s * rowStride[d]);
  }
  emitStridedCopy(emitter, *source, strides, offset,
                  *emitter.lookupBuffer(op.getResult()), resultType.getShape());
  return success();
}

namespace {

/// Calls `body(first, count, half, entry)` for consecutive chunks of
/// `units` units of `unitEntries` ACC entries each, as many per ACC half
/// as fit, halves alternating.
void forEachAccChunk(
    ProgramEmitter &emitter, int64_t units, int64_t unitEntries,
    llvm::function_ref<void(int64_t, int64_t, unsigned, uint64_t)> body) {
  int64_t budget = emitter.accHalfEntries() / unitEntries;
  for (int64_t first = 0; first < units; first += budget) {
    unsigned half = emitter.nextAccHalf();
    body(first, std::min(budget, units - first), half,
         half * emitter.accHalfEntries());
  }
}

int64_t wordsOf(ProgramEmitter &emitter, unsigned buffer) {
  return llvm::divideCeil(emitter.getBuffer(buffer).bytes, 4);
}

} // namespace

LogicalResult copyWords(ProgramEmitter &emitter, unsigned source,
                        unsigned target, uint64_t targetFirst) {
  forEachAccChunk(
      emitter, wordsOf(emitter, source), 1,
      [&](int64_t first, int64_t count, unsigned half, uint64_t entry) {
        loadRaw(emitter, source, first, entry, count, {Resource::Acc, half});
        storeRaw(emitter, entry, half, target, targetFirst + first, count);
      });
  return success();
}

LogicalResult mapConcat(ProgramEmitter &emitter, tensor::ConcatOp op) {
  auto type = cast<RankedTensorType>(op.getType());
  uint64_t dim = op.getDim();
  if (!type.hasStaticShape() || dramElementBits(type.getElementType()) != 32)
    return cannotMap(op) << "only static concatenations of 32-bit tensors";
  if (llvm::any_of(type.getShape().take_front(dim),
                   [](int64_t extent) { return extent != 1; }))
    return cannotMap(op) << "a concatenation along dimension " << dim
                         << " after a dimension of extent above 1 (its "
                            "operands are not contiguous in the result)";
  unsigned result = *emitter.lookupBuffer(op.getResult());
  uint64_t first = 0;
  for (Value input : op.getInputs()) {
    std::optional<unsigned> source = emitter.lookupBuffer(input);
    if (!source)
      return cannotMap(op) << "an operand is not in DRAM (computed by an op "
                              "the conversion did not map)";
    if (failed(copyWords(emitter, *source, result, first)))
      return failure();
    first += cast<RankedTensorType>(input.getType()).getNumElements();
  }
  return success();
}

LogicalResult fillWords(ProgramEmitter &emitter, unsigned buffer,
                        uint32_t bits) {
  forEachAccChunk(
      emitter, wordsOf(emitter, buffer), 1,
      [&](int64_t first, int64_t count, unsigned half, uint64_t entry) {
        emitFill(emitter, half, entry, {1, 1, count}, bits);
        storeRaw(emitter, entry, half, buffer, first, count);
      });
  return success();
}

LogicalResult fillI64(ProgramEmitter &emitter, unsigned buffer,
                      uint64_t value) {
  forEachAccChunk(
      emitter, wordsOf(emitter, buffer) / 2, 2,
      [&](int64_t first, int64_t count, unsigned half, uint64_t entry) {
        // The low words at even entries, the high words at odd ones.
        for (unsigned word = 0; word < 2; ++word)
          emitFill(emitter, half, entry + word, {1, 1, count}, {0, 0, 2},
                   static_cast<uint32_t>(value >> (32 * word)));
        storeRaw(emitter, entry, half, buffer, 2 * first, 2 * count);
      });
  return success();
}

} // namespace qtrain::accel
