//===- PoolingMapping.cpp - Max pooling on the vector unit ----------------===//
//
// linalg.pooling_nchw_max: out[n, c, oh, ow] = maximumf(out, x[n, c,
// oh sh + kh dh, ow sw + kw dw]) for every window tap (kh, kw) in
// lexicographic order, as its loops compute it. Tiles are whole (n, c)
// planes: the input planes LOADed raw into an ACC half, the output planes
// initialized (a VECTOR fill of the fill value, or a LOAD of the initial
// tensor), then one VECTOR maximumf per tap whose input view steps by the
// strides (a window tap is a strided view of the plane), and a STORE.
//
//===----------------------------------------------------------------------===//

#include "Mapping.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/BuiltinTypes.h"

#include "llvm/ADT/bit.h"

using namespace mlir;

namespace qtrain::accel {

namespace {

/// The first two entries of an i64 elements attribute (strides, dilations).
std::array<int64_t, 2> pairOf(DenseIntElementsAttr attr) {
  auto values = llvm::to_vector(attr.getValues<int64_t>());
  return {values[0], values[1]};
}

/// The f32 bits a constant linalg.fill writes, if `init` is one.
std::optional<uint32_t> fillBits(Value init) {
  auto fill = init.getDefiningOp<linalg::FillOp>();
  if (!fill)
    return std::nullopt;
  auto constant = fill.getInputs()[0].getDefiningOp<arith::ConstantOp>();
  auto value = constant ? dyn_cast<FloatAttr>(constant.getValue()) : nullptr;
  if (!value || !value.getType().isF32())
    return std::nullopt;
  return llvm::bit_cast<uint32_t>(value.getValue().convertToFloat());
}

} // namespace

bool initializesPooling(OpOperand &use) {
  auto pool = dyn_cast<linalg::PoolingNchwMaxOp>(use.getOwner());
  return pool && pool.isDpsInit(&use) && fillBits(use.get());
}

LogicalResult mapPoolingMax(ProgramEmitter &emitter,
                            linalg::PoolingNchwMaxOp op) {
  Value input = op.getInputs()[0], init = op.getOutputs()[0];
  auto inType = cast<RankedTensorType>(input.getType());
  auto windowType = cast<RankedTensorType>(op.getInputs()[1].getType());
  auto outType = cast<RankedTensorType>(op.getResult(0).getType());
  if (!inType.hasStaticShape() || !outType.hasStaticShape() ||
      !windowType.hasStaticShape() || !inType.getElementType().isF32())
    return cannotMap(op) << "only static f32 pooling is mapped";
  std::optional<unsigned> source = emitter.lookupBuffer(input);
  if (!source)
    return cannotMap(op) << "its input is not in DRAM (computed by an op the "
                            "conversion did not map)";
  std::optional<uint32_t> initBits = fillBits(init);
  std::optional<unsigned> initBuffer = emitter.lookupBuffer(init);
  if (!initBits && !initBuffer)
    return cannotMap(op) << "its output's initial value is not in DRAM";
  unsigned result = *emitter.lookupBuffer(op.getResult(0));

  ArrayRef<int64_t> in = inType.getShape(), out = outType.getShape();
  auto [sh, sw] = pairOf(op.getStrides());
  auto [dh, dw] = pairOf(op.getDilations());
  int64_t kh = windowType.getDimSize(0), kw = windowType.getDimSize(1);
  int64_t planes = in[0] * in[1], inPlane = in[2] * in[3],
          outPlane = out[2] * out[3];
  int64_t budget = emitter.accHalfEntries();
  int64_t perTile = std::min<int64_t>(
      planes, budget / std::max<int64_t>(1, inPlane + outPlane));
  if (planes == 0 || outPlane == 0)
    return success();
  if (perTile < 1)
    return cannotMap(op) << "an input and an output plane need "
                         << inPlane + outPlane
                         << " ACC entries, an ACC half has " << budget;

  for (int64_t p0 = 0; p0 < planes; p0 += perTile) {
    int64_t p = std::min(perTile, planes - p0);
    unsigned half = emitter.nextAccHalf();
    uint64_t base = half * budget, outBase = base + p * inPlane;
    Resource acc{Resource::Acc, half};
    loadRaw(emitter, *source, p0 * inPlane, base, p * inPlane, acc);
    std::array<int64_t, 3> outShape = {p, out[2], out[3]};
    if (initBits)
      emitFill(emitter, half, outBase, outShape, *initBits);
    else
      loadRaw(emitter, *initBuffer, p0 * outPlane, outBase, p * outPlane, acc);
    unsigned outView = emitter.useView(outShape, {outPlane, out[3], 1});
    unsigned tapView = emitter.useView(outShape, {inPlane, sh * in[3], sw});
    for (int64_t i = 0; i < kh; ++i)
      for (int64_t j = 0; j < kw; ++j) {
        Instruction v(InstructionKind::Vector);
        v.set("op", VectorOp::MaximumF);
        v.set("dst_view", outView);
        v.set("dst_entry", outBase);
        v.set("src1_view", outView);
        v.set("src1_entry", outBase);
        v.set("src2_view", tapView);
        v.set("src2_entry", base + i * dh * in[3] + j * dw);
        emitter.emitQueued(v, {{acc, true}});
      }
    storeRaw(emitter, outBase, half, result, p0 * outPlane, p * outPlane);
  }
  return success();
}

} // namespace qtrain::accel
