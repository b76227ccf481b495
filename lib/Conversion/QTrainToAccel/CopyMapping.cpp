//===- CopyMapping.cpp - Data movement through the ACC
//---------------------===//
//
// Tensors whose elements move unchanged, in tiles that are contiguous boxes
// of the row-major result (so each tile is one STORE): a linalg.generic
// whose body only yields its input through a permutation map (a transpose,
// such as the swaps qtrain-decompose makes of a convolution's operands and
// result) is one strided raw LOAD per tile. The im2col gathers use the
// same tiles.
//
//===----------------------------------------------------------------------===//

#include "Mapping.h"

#include "mlir/IR/BuiltinTypes.h"

using namespace mlir;

namespace qtrain::accel {

void forEachContiguousBox(ArrayRef<int64_t> shape, int64_t cap,
                          function_ref<void(const Box &)> fn) {
  size_t rank = shape.size();
  SmallVector<int64_t> suffix(rank + 1, 1); // elements of dimensions [d, rank)
  for (int d = static_cast<int>(rank) - 1; d >= 0; --d)
    suffix[d] = suffix[d + 1] * shape[d];
  if (suffix[0] == 0)
    return;
  unsigned split = 0;
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

LogicalResult mapPermutationCopy(ProgramEmitter &emitter,
                                 linalg::GenericOp op) {
  Value input = op.getDpsInputs()[0];
  std::optional<unsigned> source = emitter.lookupBuffer(input);
  if (!source)
    return cannotMap(op) << "an input is not in DRAM (computed by an op the "
                            "conversion did not map)";
  unsigned result = *emitter.lookupBuffer(op.getResult(0));
  ArrayRef<int64_t> inShape =
      cast<RankedTensorType>(input.getType()).getShape();
  ArrayRef<int64_t> shape =
      cast<RankedTensorType>(op.getResult(0).getType()).getShape();
  size_t rank = shape.size();
  // DRAM stride of each loop (= result dimension) in the input.
  SmallVector<int64_t> inStride(rank, 0), loopStride(rank, 0);
  for (int d = static_cast<int>(rank) - 1, s = 1; d >= 0; --d) {
    inStride[d] = s;
    s *= inShape[d];
  }
  AffineMap map = op.getIndexingMapsArray()[0];
  for (unsigned r = 0; r < rank; ++r)
    loopStride[map.getDimPosition(r)] = inStride[r];
  uint64_t address = emitter.getBuffer(*source).address;

  // Boxes are at most 3-D: padded with leading unit dimensions.
  auto padded = [&](ArrayRef<int64_t> v, int64_t fill) {
    std::array<int64_t, 3> out = {fill, fill, fill};
    for (size_t i = 0; i < rank; ++i)
      out[3 - rank + i] = v[i];
    return out;
  };
  std::array<int64_t, 3> dramStride = padded(loopStride, 0);
  forEachContiguousBox(shape, emitter.accHalfEntries(), [&](const Box &box) {
    unsigned half = emitter.nextAccHalf();
    uint64_t base = half * emitter.accHalfEntries();
    std::array<int64_t, 3> lo = padded(box.lo, 0), hi = padded(box.hi, 1);
    std::array<int64_t, 3> size = {hi[0] - lo[0], hi[1] - lo[1], hi[2] - lo[2]};
    TransferStrides t;
    t.dramZ = dramStride[0], t.dramY = dramStride[1], t.dramX = dramStride[2];
    t.chipZ = size[1] * size[2], t.chipY = size[2], t.chipX = 1;
    unsigned td = emitter.useTransfer(t);
    for (int64_t z0 = 0; z0 < size[0]; z0 += kMaxTransferZ) {
      int64_t nz = std::min(kMaxTransferZ, size[0] - z0);
      int64_t first = (lo[0] + z0) * dramStride[0] + lo[1] * dramStride[1] +
                      lo[2] * dramStride[2];
      emitter.emitQueued(
          rawLoad(td, address + 4 * first, base + z0 * t.chipZ,
                  {nz, size[1], size[2]}),
          {{{Resource::Dram, *source}, false}, {{Resource::Acc, half}, true}});
    }
    storeRaw(emitter, base, half, result, box.start, box.count);
  });
  return success();
}

} // namespace qtrain::accel
