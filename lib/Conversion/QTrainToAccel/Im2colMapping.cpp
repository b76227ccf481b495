//===- Im2colMapping.cpp - Convolution taps as strided LOADs
//---------------===//
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

FailureOr<Im2col> analyze(tensor::GenerateOp op, Value &source) {
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
    return cannotMap(op) << "'" << kIm2colAttr
                         << "' needs kind, strides (2), padding (4) and "
                            "dilations (2)";
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
    return cannotMap(op) << "a tap gather reads one static rank-4 f32 tensor "
                            "into a static rank-6 f32 tensor";
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
      return cannotMap(op) << "strides must be positive";
  }
  g.outputSteppingKind = k == ConvKind::BackwardData;
  g.sourceStepping =
      !g.outputSteppingKind || (g.stride[0] == 1 && g.stride[1] == 1);
  ArrayRef<int64_t> shape = type.getShape();
  if (shape[g.dimOf[N]] != g.sourceShape[0] ||
      shape[g.dimOf[Ch]] != g.sourceShape[1])
    return cannotMap(op) << "the gather's batch and channel extents differ "
                            "from its source's";
  return g;
}

} // namespace

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

  ArrayRef<int64_t> shape = op.getType().getShape();
  std::array<int64_t, 7> suffix; // elements of dimensions [d, 6)
  suffix[6] = 1;
  for (int d = 5; d >= 0; --d)
    suffix[d] = suffix[d + 1] * shape[d];
  const std::array<int64_t, 4> &src = g.sourceShape;
  const std::array<int64_t, 4> srcStride = {src[1] * src[2] * src[3],
                                            src[2] * src[3], src[3], 1};
  const int64_t cap = emitter.accHalfEntries();
  forEachContiguousBox(shape, cap, [&](const Box &box) {
    ArrayRef<int64_t> lo = box.lo, hi = box.hi;
    auto extent = [&](Role r) { return hi[g.dimOf[r]] - lo[g.dimOf[r]]; };
    // z walks the longer of the tile's batch and channel ranges; the
    // other is enumerated with the kernel taps.
    Role zRole = extent(N) >= extent(Ch) ? N : Ch;
    Role outer = zRole == N ? Ch : N;

    struct Load {
      int64_t outer, kh, kw;
      SpatialRun h, w;
    };
    SmallVector<Load> loads;
    bool needsFill = false;
    for (int64_t o = lo[g.dimOf[outer]]; o < hi[g.dimOf[outer]]; ++o)
      for (int64_t kh = lo[g.dimOf[Kh]]; kh < hi[g.dimOf[Kh]]; ++kh)
        for (int64_t kw = lo[g.dimOf[Kw]]; kw < hi[g.dimOf[Kw]]; ++kw) {
          SpatialRun h = planRun(g.sourceStepping, g.stride[0], g.offset(0, kh),
                                 lo[g.dimOf[Uh]], hi[g.dimOf[Uh]], src[2]);
          SpatialRun w = planRun(g.sourceStepping, g.stride[1], g.offset(1, kw),
                                 lo[g.dimOf[Uw]], hi[g.dimOf[Uw]], src[3]);
          needsFill |= !h.coversRange || !w.coversRange;
          if (h.size > 0 && w.size > 0)
            loads.push_back({o, kh, kw, h, w});
        }

    unsigned half = emitter.nextAccHalf();
    uint64_t base = half * cap;
    Resource acc{Resource::Acc, half};
    if (needsFill)
      emitFill(emitter, half, base, {1, 1, box.count}, 0);
    // ACC entry of out position `at` (by role) within the tile.
    auto entryOf = [&](const std::array<int64_t, 6> &at) {
      int64_t e = 0;
      for (unsigned r = 0; r < 6; ++r)
        e += (at[r] - lo[g.dimOf[r]]) * suffix[g.dimOf[r] + 1];
      return base + e;
    };
    auto chipStride = [&](Role r) { return suffix[g.dimOf[r] + 1]; };
    int64_t zSrcStride = zRole == N ? srcStride[0] : srcStride[1];
    for (const Load &l : loads) {
      TransferStrides t;
      t.dramZ = zSrcStride;
      t.dramY = srcStride[2] * l.h.srcStep;
      t.dramX = srcStride[3] * l.w.srcStep;
      t.chipZ = chipStride(zRole);
      t.chipY = chipStride(Uh) * l.h.chipStep;
      t.chipX = chipStride(Uw) * l.w.chipStep;
      t.padYLo = l.h.padLo, t.padYHi = l.h.padHi;
      t.padXLo = l.w.padLo, t.padXHi = l.w.padHi;
      unsigned td = emitter.useTransfer(t);
      for (int64_t z0 = lo[g.dimOf[zRole]]; z0 < hi[g.dimOf[zRole]];
           z0 += kMaxTransferZ) {
        int64_t nz = std::min(kMaxTransferZ, hi[g.dimOf[zRole]] - z0);
        std::array<int64_t, 6> at;
        at[zRole] = z0;
        at[outer] = l.outer;
        at[Kh] = l.kh;
        at[Kw] = l.kw;
        at[Uh] = l.h.chipFirst;
        at[Uw] = l.w.chipFirst;
        // Source element (n, ch, vh, vw) of the first element, or the
        // buffer itself when every position is a pad.
        uint64_t address = sourceAddress;
        if (l.h.elements() > 0 && l.w.elements() > 0)
          address +=
              4 * (at[N] * srcStride[0] + at[Ch] * srcStride[1] +
                   l.h.srcFirst * srcStride[2] + l.w.srcFirst * srcStride[3]);
        emitter.emitQueued(
            rawLoad(td, address, entryOf(at), {nz, l.h.size, l.w.size}),
            {{{Resource::Dram, *sourceBuffer}, false}, {acc, true}});
      }
    }
    storeRaw(emitter, base, half, result, box.start, box.count);
  });
  return success();
}

} // namespace qtrain::accel
