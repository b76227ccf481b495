//===- Im2colMapping.cpp - Convolution taps as strided LOADs ------------===//
//
// docs/Accelerator.md, "The compiler side", Convolutions: qtrain-decompose
// turns each qtrain.conv2d into reshapes, swaps and one matmul, and gathers
// the taps in a tensor.generate marked with the convolution's geometry
// (kIm2colAttr). Its value at out position (ch, kh, kw, n, uh, uw) (in the
// kind's dimension order) is the source's element (n, ch, vh, vw), or +0
// when the tap lies outside the image, where per spatial dimension
//
//   forward, backward_weight:  v = u s - p + k d     (x, source stepping)
//   backward_data:             u = v s - p + k d     (dy, output stepping)
//
// (backward_data with s = 1 is source stepping too: v = u + p - k d). The
// matrix is written in tiles of an ACC half (forEachContiguousBox): for each
// (ch or n, kh, kw) of a tile, one raw LOAD walks (n or ch, uh, uw); the taps
// outside the image at either end are the LOAD's pads, and where they cannot be
// (output stepping leaves every s-th position, or a pad count beyond the field)
// the tile is zero-filled first. A STORE writes the tile.
//
// A gather of a quantize with an encoded form (hasEncodedForm) that needs no
// fill is not written at all: loadGatherTile plans the same per-tap LOADs
// from the encoded form straight into a matmul's scratchpad tile.
//
//===----------------------------------------------------------------------===//

#include "Mapping.h"

#include "qtrain/Dialect/QTrain/IR/StepAttributes.h"

#include "mlir/IR/BuiltinTypes.h"

#include "llvm/Support/MathExtras.h"

using namespace mlir;

namespace qtrain::accel {

namespace {

/// The roles of the six dimensions of a tap gather.
enum Role { Ch, Kh, Kw, N, Uh, Uw };

/// Largest pad count a transfer descriptor holds.
constexpr int64_t kMaxPad = 255;

/// One spatial dimension of a LOAD: the out positions it walks and the
/// source elements they read.
struct SpatialRun {
  int64_t size = 0;             ///< Positions, pads included.
  int64_t padLo = 0, padHi = 0; ///< Pads at either end.
  int64_t chipFirst = 0;        ///< Out coordinate of position 0.
  int64_t chipStep = 1;         ///< Out coordinate per position.
  int64_t srcFirst = 0;         ///< Source coordinate of the first element.
  int64_t srcStep = 1;          ///< Source coordinate per element.
  bool coversRange = true;      ///< Every out position of the range written.

  int64_t elements() const { return size - padLo - padHi; }
};

/// The run of out range [u0, u1) for one kernel tap, with the out
/// coordinate u and the source coordinate v (of extent `srcExtent`) related
/// by v = u s + off (source stepping) or u = v s + off.
SpatialRun planRun(bool sourceStepping, int64_t s, int64_t off, int64_t u0,
                   int64_t u1, int64_t srcExtent) {
  SpatialRun run;
  if (sourceStepping) {
    // Valid u: 0 <= u s + off < srcExtent.
    int64_t a = std::clamp(llvm::divideCeilSigned(-off, s), u0, u1);
    int64_t b =
        std::clamp(llvm::divideFloorSigned(srcExtent - 1 - off, s) + 1, a, u1);
    run.srcStep = s;
    run.srcFirst = a * s + off;
    if (a - u0 <= kMaxPad && u1 - b <= kMaxPad) {
      run.size = u1 - u0;
      run.padLo = a - u0;
      run.padHi = u1 - b;
      run.chipFirst = u0;
    } else {
      run.size = b - a;
      run.chipFirst = a;
      run.coversRange = false;
    }
    return run;
  }
  // Valid v: 0 <= v < srcExtent and u0 <= v s + off < u1.
  int64_t a = std::max<int64_t>(0, llvm::divideCeilSigned(u0 - off, s));
  int64_t b = std::max(
      a, std::min(srcExtent, llvm::divideFloorSigned(u1 - 1 - off, s) + 1));
  run.size = b - a;
  run.chipFirst = a * s + off;
  run.chipStep = s;
  run.srcFirst = a;
  // Distinct positions: they cover the range exactly when as many.
  run.coversRange = run.size == u1 - u0;
  return run;
}

/// A tap gather's geometry, checked against the IR.
struct Im2col {
  std::array<unsigned, 6> dimOf;      ///< Out dimension of each Role.
  std::array<int64_t, 4> sourceShape; ///< [N, Ch, SH, SW].
  bool sourceStepping = true;
  std::array<int64_t, 2> stride, padLo, dilation;
  /// Offset of a spatial relation for kernel tap k along dimension i.
  int64_t offset(unsigned i, int64_t k) const {
    int64_t off = k * dilation[i] - padLo[i];
    // backward_data with stride 1, as source stepping: v = u - off.
    return sourceStepping && outputSteppingKind ? -off : off;
  }
  bool outputSteppingKind = false; ///< backward_data.
};

/// The gather's geometry and the one tensor it reads; with `diagnose`
/// false a gather that is not mapped fails without a diagnostic.
FailureOr<Im2col> analyze(tensor::GenerateOp op, Value &source,
                          bool diagnose = true) {
  auto fail = [&](const Twine &reason) -> FailureOr<Im2col> {
    if (diagnose)
      cannotMap(op) << reason;
    return failure();
  };
  auto geometry = op->getAttrOfType<DictionaryAttr>(kIm2colAttr);
  auto kind = geometry ? geometry.getAs<ConvKindAttr>("kind") : nullptr;
  auto strides =
      geometry ? geometry.getAs<DenseI64ArrayAttr>("strides") : nullptr;
  auto padding =
      geometry ? geometry.getAs<DenseI64ArrayAttr>("padding") : nullptr;
  auto dilations =
      geometry ? geometry.getAs<DenseI64ArrayAttr>("dilations") : nullptr;
  if (!kind || !strides || strides.size() != 2 || !padding ||
      padding.size() != 4 || !dilations || dilations.size() != 2)
    return fail("'" + Twine(kIm2colAttr) +
                "' needs kind, strides (2), padding (4) and dilations (2)");
  // The one tensor the body reads.
  source = Value();
  bool oneSource = true;
  op.getBody().walk([&](tensor::ExtractOp extract) {
    if (source && source != extract.getTensor())
      oneSource = false;
    source = extract.getTensor();
  });
  auto type = cast<RankedTensorType>(op.getType());
  auto sourceType =
      source ? dyn_cast<RankedTensorType>(source.getType()) : nullptr;
  if (!oneSource || !sourceType || sourceType.getRank() != 4 ||
      type.getRank() != 6 || !type.hasStaticShape() ||
      !sourceType.hasStaticShape() || !type.getElementType().isF32() ||
      !sourceType.getElementType().isF32())
    return fail("a tap gather reads one static rank-4 f32 tensor into a "
                "static rank-6 f32 tensor");
  Im2col g;
  ConvKind k = kind.getValue();
  g.dimOf = k == ConvKind::BackwardWeight
                ? std::array<unsigned, 6>{3, 4, 5, 0, 1, 2}
                : std::array<unsigned, 6>{0, 1, 2, 3, 4, 5};
  llvm::copy(sourceType.getShape(), g.sourceShape.begin());
  for (unsigned i = 0; i < 2; ++i) {
    g.stride[i] = strides[i];
    g.dilation[i] = dilations[i];
    g.padLo[i] = padding[2 * i];
    if (g.stride[i] < 1)
      return fail("strides must be positive");
  }
  g.outputSteppingKind = k == ConvKind::BackwardData;
  g.sourceStepping =
      !g.outputSteppingKind || (g.stride[0] == 1 && g.stride[1] == 1);
  ArrayRef<int64_t> shape = type.getShape();
  if (shape[g.dimOf[N]] != g.sourceShape[0] ||
      shape[g.dimOf[Ch]] != g.sourceShape[1])
    return fail("the gather's batch and channel extents differ from its "
                "source's");
  return g;
}

/// One LOAD of a box of the gather: its strides (DRAM in source elements,
/// chip in the caller's positions), the source element of its first element
/// (none when every position is a pad), the chip position of its first
/// position relative to the box's first, and its (z, y, x) shape.
struct TapLoad {
  TransferStrides strides;
  std::optional<int64_t> sourceOffset;
  int64_t chipOffset = 0;
  std::array<int64_t, 3> shape;
};

/// The LOADs of the gather's box [lo, hi) (out coordinates) whose chip
/// positions step by `coeff` per out dimension: for each (ch or n, kh, kw)
/// one LOAD walking (n or ch, uh, uw), z the longer of the box's batch and
/// channel ranges (split at the z field's limit). Returns whether some
/// position of the box is left unwritten (it needs a zero fill first).
bool planBoxLoads(const Im2col &g, ArrayRef<int64_t> lo, ArrayRef<int64_t> hi,
                  const std::array<int64_t, 6> &coeff,
                  SmallVectorImpl<TapLoad> &loads) {
  auto extent = [&](Role r) { return hi[g.dimOf[r]] - lo[g.dimOf[r]]; };
  Role zRole = extent(N) >= extent(Ch) ? N : Ch;
  Role outer = zRole == N ? Ch : N;
  const std::array<int64_t, 4> &src = g.sourceShape;
  const std::array<int64_t, 4> srcStride = {src[1] * src[2] * src[3],
                                            src[2] * src[3], src[3], 1};
  auto chipStride = [&](Role r) { return coeff[g.dimOf[r]]; };
  bool needsFill = false;
  for (int64_t o = lo[g.dimOf[outer]]; o < hi[g.dimOf[outer]]; ++o)
    for (int64_t kh = lo[g.dimOf[Kh]]; kh < hi[g.dimOf[Kh]]; ++kh)
      for (int64_t kw = lo[g.dimOf[Kw]]; kw < hi[g.dimOf[Kw]]; ++kw) {
        SpatialRun h = planRun(g.sourceStepping, g.stride[0], g.offset(0, kh),
                               lo[g.dimOf[Uh]], hi[g.dimOf[Uh]], src[2]);
        SpatialRun w = planRun(g.sourceStepping, g.stride[1], g.offset(1, kw),
                               lo[g.dimOf[Uw]], hi[g.dimOf[Uw]], src[3]);
        needsFill |= !h.coversRange || !w.coversRange;
        if (h.size == 0 || w.size == 0)
          continue;
        TransferStrides t;
        t.dramZ = zRole == N ? srcStride[0] : srcStride[1];
        t.dramY = srcStride[2] * h.srcStep;
        t.dramX = srcStride[3] * w.srcStep;
        t.chipZ = chipStride(zRole);
        t.chipY = chipStride(Uh) * h.chipStep;
        t.chipX = chipStride(Uw) * w.chipStep;
        t.padYLo = h.padLo, t.padYHi = h.padHi;
        t.padXLo = w.padLo, t.padXHi = w.padHi;
        for (int64_t z0 = lo[g.dimOf[zRole]]; z0 < hi[g.dimOf[zRole]];
             z0 += kMaxTransferZ) {
          std::array<int64_t, 6> at; // out coordinates by role
          at[zRole] = z0;
          at[outer] = o;
          at[Kh] = kh;
          at[Kw] = kw;
          at[Uh] = h.chipFirst;
          at[Uw] = w.chipFirst;
          TapLoad load;
          load.strides = t;
          for (unsigned r = 0; r < 6; ++r)
            load.chipOffset += (at[r] - lo[g.dimOf[r]]) * coeff[g.dimOf[r]];
          if (h.elements() > 0 && w.elements() > 0)
            load.sourceOffset = at[N] * srcStride[0] + at[Ch] * srcStride[1] +
                                h.srcFirst * srcStride[2] +
                                w.srcFirst * srcStride[3];
          load.shape = {std::min(kMaxTransferZ, hi[g.dimOf[zRole]] - z0),
                        h.size, w.size};
          loads.push_back(load);
        }
      }
  return needsFill;
}

/// Whether every LOAD of the gather writes all its positions: then no zero
/// fill is needed for any box (a box's pads are at most the whole range's).
bool coversWithoutFill(const Im2col &g, ArrayRef<int64_t> shape) {
  for (int64_t kh = 0; kh < shape[g.dimOf[Kh]]; ++kh)
    for (int64_t kw = 0; kw < shape[g.dimOf[Kw]]; ++kw) {
      SpatialRun h = planRun(g.sourceStepping, g.stride[0], g.offset(0, kh), 0,
                             shape[g.dimOf[Uh]], g.sourceShape[2]);
      SpatialRun w = planRun(g.sourceStepping, g.stride[1], g.offset(1, kw), 0,
                             shape[g.dimOf[Uw]], g.sourceShape[3]);
      if (!h.coversRange || !w.coversRange)
        return false;
    }
  return true;
}

/// Whether `value` is a collapse of a gather into its matrix (out
/// dimensions [0, 3) and [3, 6) merged) used only as matmul operands.
bool isGatherMatrix(Value value) {
  auto collapse = value.getDefiningOp<tensor::CollapseShapeOp>();
  if (!collapse)
    return false;
  SmallVector<ReassociationIndices> groups = collapse.getReassociationIndices();
  if (groups.size() != 2 || groups[0] != ReassociationIndices{0, 1, 2} ||
      groups[1] != ReassociationIndices{3, 4, 5})
    return false;
  return llvm::all_of(value.getUsers(), [](Operation *user) {
    auto matmul = dyn_cast<MatmulOp>(user);
    return matmul && matmul.getType().getRank() == 2;
  });
}

} // namespace

QuantizeOp directGatherSource(tensor::GenerateOp op) {
  if (!op->hasAttr(kIm2colAttr))
    return nullptr;
  Value source;
  FailureOr<Im2col> g = analyze(op, source, /*diagnose=*/false);
  if (failed(g) || !g->sourceStepping ||
      !coversWithoutFill(*g, op.getType().getShape()))
    return nullptr;
  auto quantize = source.getDefiningOp<QuantizeOp>();
  if (!hasEncodedForm(quantize))
    return nullptr;
  for (OpOperand &use : op->getUses())
    if (!isGatherMatrix(use.getOwner()->getResult(0)))
      return nullptr;
  return quantize;
}

tensor::GenerateOp directGatherOf(Value operand) {
  auto collapse = operand.getDefiningOp<tensor::CollapseShapeOp>();
  if (!collapse)
    return nullptr;
  auto generate = collapse.getSrc().getDefiningOp<tensor::GenerateOp>();
  if (!generate || !directGatherSource(generate))
    return nullptr;
  return generate;
}

LogicalResult loadGatherTile(ProgramEmitter &emitter, tensor::GenerateOp op,
                             const EncodedTile &tile) {
  Value source;
  FailureOr<Im2col> gather = analyze(op, source);
  if (failed(gather))
    return failure();
  std::optional<unsigned> encoded = emitter.lookupEncoded(source);
  if (!encoded)
    return cannotMap(op) << "the encoded form of its source was not written";

  // Matrix [rows, cols] = out dimensions [0, 3) and [3, 6) merged; the
  // tile's y (K-vectors) is one of them, its x (lanes) the other.
  ArrayRef<int64_t> shape = op.getType().getShape();
  std::array<ArrayRef<int64_t>, 2> group = {shape.take_front(3),
                                            shape.drop_front(3)};
  unsigned yGroup = tile.yDim, xGroup = 1 - tile.yDim;
  // Slot of out position d: (y(d) - y0) S + (x(d) - k0), S the slots per
  // K-vector.
  std::array<int64_t, 6> coeff;
  for (unsigned gi = 0; gi < 2; ++gi) {
    int64_t inner = gi == yGroup ? tile.slotsPerVector : 1;
    for (int d = 2; d >= 0; --d) {
      coeff[3 * gi + d] = inner;
      inner *= group[gi][d];
    }
  }
  SmallVector<Box> xBoxes;
  forEachRangeBox(group[xGroup], tile.k0, tile.nk,
                  [&](const Box &box) { xBoxes.push_back(box); });
  LogicalResult result = success();
  forEachRangeBox(group[yGroup], tile.y0, tile.ny, [&](const Box &yBox) {
    for (const Box &xBox : xBoxes) {
      SmallVector<int64_t, 6> lo(6), hi(6);
      for (unsigned d = 0; d < 3; ++d) {
        lo[3 * yGroup + d] = yBox.lo[d], hi[3 * yGroup + d] = yBox.hi[d];
        lo[3 * xGroup + d] = xBox.lo[d], hi[3 * xGroup + d] = xBox.hi[d];
      }
      int64_t first = tile.firstSlot +
                      (yBox.start - tile.y0) * tile.slotsPerVector +
                      (xBox.start - tile.k0);
      SmallVector<TapLoad> loads;
      if (planBoxLoads(*gather, lo, hi, coeff, loads)) {
        // directGatherSource checked that no LOAD leaves a gap.
        result = cannotMap(op) << "a tap gather into a scratchpad leaves "
                                  "positions unwritten";
        return;
      }
      for (const TapLoad &l : loads)
        emitEncodedLoad(emitter, tile, *encoded, l.strides,
                        l.sourceOffset.value_or(0), first + l.chipOffset,
                        l.shape);
    }
  });
  return result;
}

LogicalResult mapIm2col(ProgramEmitter &emitter, tensor::GenerateOp op) {
  Value source;
  FailureOr<Im2col> gather = analyze(op, source);
  if (failed(gather))
    return failure();
  const Im2col &g = *gather;
  std::optional<unsigned> sourceBuffer = emitter.lookupBuffer(source);
  if (!sourceBuffer)
    return cannotMap(op) << "its source is not in DRAM (computed by an op "
                            "the conversion did not map)";
  unsigned result = *emitter.lookupBuffer(op.getResult());
  uint64_t sourceAddress = emitter.getBuffer(*sourceBuffer).address;

  // ACC entries of a tile are row-major in the out dimensions.
  ArrayRef<int64_t> shape = op.getType().getShape();
  std::array<int64_t, 6> coeff;
  coeff[5] = 1;
  for (int d = 4; d >= 0; --d)
    coeff[d] = coeff[d + 1] * shape[d + 1];
  const int64_t cap = emitter.accHalfEntries();
  forEachContiguousBox(shape, cap, [&](const Box &box) {
    SmallVector<TapLoad> loads;
    bool needsFill = planBoxLoads(g, box.lo, box.hi, coeff, loads);
    unsigned half = emitter.nextAccHalf();
    uint64_t base = half * cap;
    Resource acc{Resource::Acc, half};
    if (needsFill)
      emitFill(emitter, half, base, {1, 1, box.count}, 0);
    for (const TapLoad &l : loads)
      emitter.emitQueued(
          rawLoad(emitter.useTransfer(l.strides),
                  sourceAddress + 4 * l.sourceOffset.value_or(0),
                  base + l.chipOffset, l.shape),
          {{{Resource::Dram, *sourceBuffer}, false}, {acc, true}});
    storeRaw(emitter, base, half, result, box.start, box.count);
  });
  return success();
}

} // namespace qtrain::accel
