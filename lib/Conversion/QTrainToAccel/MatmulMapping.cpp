//===- MatmulMapping.cpp - qtrain.matmul as tiled GEMMs -------------------===//
//
// docs/Accelerator.md, "The compiler side", Contractions: output tiles
// Mt x Nt, reduction tiles Kt, each operand tile LOADed (with its
// quantize fused) into a scratchpad half, GEMMs accumulating the K-tiles
// of an output tile in increasing order into an ACC half, a STORE of the
// finished tile. Halves alternate, so loads of the next step overlap the
// current GEMM; the token planner orders the rest.
//
//===----------------------------------------------------------------------===//

#include "Mapping.h"

#include "qtrain/Accel/Layout.h"

#include "mlir/IR/BuiltinTypes.h"

#include "llvm/Support/MathExtras.h"

#include <numeric>

using namespace mlir;

namespace qtrain::accel {

namespace {

/// The block level of a format (the one level that is not whole-tensor).
const numerics::ScaleLevel *blockLevelOf(const numerics::ScaledFormat &f) {
  for (const numerics::ScaleLevel &level : f.levels)
    if (!level.isWholeTensor())
      return &level;
  return nullptr;
}

/// One GEMM operand: how its K-vectors are read from DRAM and laid out.
struct OperandPlan {
  ConvertedTensor tensor;
  int64_t strideY = 0, strideX = 0; ///< DRAM elements per step of y, x.
  int64_t extentY = 0, extentX = 0; ///< Rows (M or N) and K.
  int64_t batchStride = 0;          ///< DRAM elements per batch (rank 3).
  int64_t blockY = 1, blockX = 1;   ///< Block extents along y and x.
  bool hasBlock = false;
  LaneLayout lanes;
  FormatPlacement placement;
  unsigned formatEntry = 0;
  bool stochastic = false;
  SmallVector<Access, 2> reads; ///< Seed or random data, whole-tensor scale.
  /// Read from a quantize's encoded form, as a tap gather's matrix or as a
  /// view (then `tensor` is the quantize's and y the K-vectors along matrix
  /// dimension yDim).
  mlir::tensor::GenerateOp gather;
  std::optional<EncodedView> view;
  EncodedForm form; ///< With `gather` or `view`.
  unsigned yDim = 0;
};

/// Plans an operand read from the encoded form of `source`: its lanes, no
/// block alignment (each paired lane carries its scale; codes have no
/// blocks).
FailureOr<OperandPlan> planEncodedOperand(ProgramEmitter &emitter, MatmulOp op,
                                          Value value, unsigned yDim,
                                          QuantizeOp source,
                                          const ScratchpadDesc &sp) {
  FailureOr<ConvertedTensor> tensor =
      analyzeTensor(emitter, source.getResult(), op);
  if (failed(tensor))
    return failure();
  OperandPlan plan;
  plan.tensor = *tensor;
  // A whole-tensor scale comes back from where the quantize stored it.
  plan.tensor.storedScale = emitter.lookupEncodedScale(source.getResult());
  plan.yDim = yDim;
  auto shape = cast<RankedTensorType>(value.getType()).getShape();
  plan.extentY = shape[yDim];
  plan.extentX = shape[1 - yDim];
  plan.form = encodedForm(tensor->format, sp.rowBytes);
  plan.lanes = plan.form.lanes;
  plan.placement.layout = plan.form.spLayout;
  return plan;
}

/// Plans an operand stored as a rank-2 tensor (or a batch of them, batch
/// first), whose y (output rows or columns) is trailing dimension `yDim`
/// and x (the reduction) the other.
FailureOr<OperandPlan> planOperand(ProgramEmitter &emitter, MatmulOp op,
                                   Value value, unsigned yDim,
                                   const ScratchpadDesc &sp) {
  if (tensor::GenerateOp gather = directGatherOf(value)) {
    FailureOr<OperandPlan> plan = planEncodedOperand(
        emitter, op, value, yDim, directGatherSource(gather), sp);
    if (succeeded(plan))
      plan->gather = gather;
    return plan;
  }
  // A view whose source's encoded form was not written (a view op of the
  // chain has other users, so it was mapped) reads the view's f32 values.
  std::optional<EncodedView> view = encodedViewOf(value);
  if (view && emitter.lookupEncoded(QuantizeOp(view->source).getResult())) {
    FailureOr<OperandPlan> plan =
        planEncodedOperand(emitter, op, value, yDim, view->source, sp);
    if (succeeded(plan))
      plan->view = std::move(view);
    return plan;
  }
  FailureOr<ConvertedTensor> tensor = analyzeTensor(emitter, value, op);
  if (failed(tensor))
    return failure();
  OperandPlan plan;
  plan.tensor = *tensor;
  auto shape = cast<RankedTensorType>(value.getType()).getShape();
  size_t rank = shape.size();
  unsigned lead = rank - 2;
  unsigned xDim = 1 - yDim;
  plan.extentY = shape[lead + yDim];
  plan.extentX = shape[lead + xDim];
  int64_t rowStride[2] = {shape[rank - 1], 1};
  plan.strideY = rowStride[yDim];
  plan.strideX = rowStride[xDim];
  plan.batchStride = rank == 3 ? shape[1] * shape[2] : 0;

  const numerics::ScaledFormat &format = plan.tensor.format;
  const numerics::ScaleLevel *block = blockLevelOf(format);
  if (block) {
    plan.hasBlock = true;
    if (rank == 3 && shape[0] > 1 && numerics::blockSize(*block, 3, 0) != 1)
      return cannotMap(op) << "blocks spanning the batch dimension are not "
                              "mapped yet";
    auto extent = [&](unsigned d) {
      int64_t b = numerics::blockSize(*block, rank, lead + d);
      return b < 0 || b > shape[lead + d] ? shape[lead + d] : b;
    };
    plan.blockY = extent(yDim);
    plan.blockX = extent(xDim);
  }
  // Plain lanes when every scale group of a K-vector's rows lies in one
  // block: blocks along K of whole groups, or one block over all of K.
  const numerics::ScaleFormat *scale = block ? &block->format : nullptr;
  plan.lanes = laneLayout(format.element, scale, /*paired=*/false, sp.rowBytes);
  bool plain = !block || plan.blockX >= plan.extentX ||
               plan.blockX % plan.lanes.groupLanes == 0;
  if (!plain)
    plan.lanes =
        laneLayout(format.element, scale, /*paired=*/true, sp.rowBytes);
  plan.placement.layout = plain ? SpLayout::Plain : SpLayout::Paired;
  plan.placement.blockZ = 1;
  plan.placement.blockY = plan.blockY;
  plan.placement.blockX = plan.blockX;
  return plan;
}

/// Configures an operand's conversion (configureConversion).
LogicalResult configureOperand(ProgramEmitter &emitter, MatmulOp op,
                               OperandPlan &plan) {
  FailureOr<ConversionPlan> conversion =
      configureConversion(emitter, op, plan.tensor, plan.placement);
  if (failed(conversion))
    return failure();
  plan.formatEntry = conversion->formatEntry;
  plan.stochastic = conversion->stochastic;
  plan.reads = conversion->reads;
  return success();
}

/// Rounds `tile` down to a multiple of `block`, unless it covers `extent`;
/// a tile below one block takes one block when that is within `limit`, and
/// 0 means no tile fits.
int64_t alignToBlocks(int64_t tile, int64_t block, int64_t extent,
                      int64_t limit) {
  if (tile >= extent)
    return extent;
  int64_t aligned = tile / block * block;
  if (aligned == 0 && block <= limit)
    return block;
  return aligned;
}

/// The LOAD of rows [y0, y0 + ny) and K-range [k0, k0 + nk) of an operand
/// into scratchpad rows from `row`, one K-vector every `rowsPerVector`.
LogicalResult loadOperandTile(ProgramEmitter &emitter, const OperandPlan &plan,
                              uint64_t dst, Resource::Kind spKind,
                              unsigned half, uint64_t row,
                              uint64_t rowsPerVector, int64_t batch, int64_t y0,
                              int64_t ny, int64_t k0, int64_t nk) {
  if (plan.gather || plan.view) {
    EncodedTile tile;
    tile.yDim = plan.yDim;
    tile.dst = dst;
    tile.scratchpad = {spKind, half};
    tile.formatEntry = plan.formatEntry;
    tile.form = plan.form;
    tile.firstSlot = row * plan.lanes.lanesPerRow;
    tile.slotsPerVector = rowsPerVector * plan.lanes.lanesPerRow;
    tile.y0 = y0, tile.ny = ny, tile.k0 = k0, tile.nk = nk;
    tile.reads = plan.reads;
    if (plan.view)
      return loadEncodedViewTile(emitter, QuantizeOp(plan.view->source),
                                 *plan.view, tile);
    return loadGatherTile(emitter, plan.gather, tile);
  }
  TransferStrides strides;
  strides.dramY = plan.strideY;
  strides.dramX = plan.strideX;
  strides.chipY = rowsPerVector * plan.lanes.lanesPerRow;
  strides.chipX = 1;
  unsigned td = emitter.useTransfer(strides);
  int64_t origin =
      batch * plan.batchStride + y0 * plan.strideY + k0 * plan.strideX;
  SmallVector<Access> accesses = {{{Resource::Dram, plan.tensor.buffer}, false},
                                  {{spKind, half}, true}};
  if (plan.stochastic)
    emitter.useStream(origin, plan.strideY, plan.strideX);
  accesses.append(plan.reads.begin(), plan.reads.end());
  Instruction load(InstructionKind::Load);
  load.set("dst", dst);
  load.set("format", plan.formatEntry);
  load.set("td", td);
  load.set("layout", DramLayout::F32);
  load.set("dram_addr",
           emitter.getBuffer(plan.tensor.buffer).address + 4 * origin);
  load.set("chip_row", row);
  load.set("size_z", 1);
  load.set("size_y", ny);
  load.set("size_x", nk);
  emitter.emitQueued(load, accesses);
  return success();
}

/// A shared E-DGA contraction whose outputs one GEMM or the ACC cannot
/// hold (docs/Accelerator.md, GEMM): for each k, parts of the outputs in
/// row-major order (whole rows, or pieces of one row when a row does not
/// fit), each a partial GEMM of one product per output between a LOAD of
/// its states (after the first k) and a STORE of them (before the last,
/// which finishes and stores the values). Operands are loaded one element
/// per K-vector: from f32 without blocks, or from an encoded form.
LogicalResult emitSharedInParts(ProgramEmitter &emitter, MatmulOp op,
                                const OperandPlan &a, const OperandPlan &b,
                                unsigned accum, uint64_t mode, unsigned result,
                                int64_t M, int64_t N, int64_t K) {
  const MachineDescription &machine = emitter.getMachine();
  int64_t halfIn = machine.inputSp.rows / 2, halfW = machine.weightSp.rows / 2;
  int64_t halfAcc = emitter.accHalfEntries();
  // A part: `rows` whole rows, or `cols` outputs of one row.
  int64_t cols = std::min({N, int64_t(4095), halfAcc, halfW});
  int64_t rows =
      cols < N ? 1 : std::min({M, int64_t(4095), halfAcc / N, halfIn});
  constexpr int64_t kImageBytes = 32; // a state image
  MLIRContext *ctx = op.getContext();
  FailureOr<unsigned> spill = emitter.allocateBytes(
      emitter.getBuffer(result).name + ".states", "intermediate", {M, N, 8},
      IntegerType::get(ctx, 32), M * N * kImageBytes);
  if (failed(spill))
    return failure();
  uint64_t spillAddress = emitter.getBuffer(*spill).address;
  uint64_t resultAddress = emitter.getBuffer(result).address;
  TransferStrides rowMajor;
  rowMajor.dramY = N;
  rowMajor.dramX = 1;
  rowMajor.chipY = cols; // a part's row (one row when cols < N)
  rowMajor.chipX = 1;
  for (int64_t kk = 0; kk < K; ++kk)
    for (int64_t i0 = 0; i0 < M; i0 += rows)
      for (int64_t j0 = 0; j0 < N; j0 += cols) {
        int64_t m = std::min(rows, M - i0), n = std::min(cols, N - j0);
        unsigned accHalf = emitter.nextAccHalf();
        uint64_t accBase = accHalf * halfAcc;
        uint64_t first = i0 * N + j0; // the part's first output, row-major
        uint64_t states = spillAddress + kImageBytes * first;
        if (kk > 0) {
          Instruction load = rawLoad(emitter.useTransfer(rowMajor), states,
                                     accBase, {1, m, n});
          load.set("states", 1);
          emitter.emitQueued(load, {{{Resource::Dram, *spill}, false},
                                    {{Resource::Acc, accHalf}, true}});
        }
        unsigned spHalf = emitter.nextSpHalf();
        if (failed(loadOperandTile(emitter, a, LoadDst::SpInput,
                                   Resource::SpInput, spHalf, spHalf * halfIn,
                                   /*rowsPerVector=*/1, 0, i0, m, kk, 1)) ||
            failed(loadOperandTile(emitter, b, LoadDst::SpWeight,
                                   Resource::SpWeight, spHalf, spHalf * halfW,
                                   /*rowsPerVector=*/1, 0, j0, n, kk, 1)))
          return failure();
        Instruction gemm(InstructionKind::Gemm);
        gemm.set("format_a", a.formatEntry);
        gemm.set("format_b", b.formatEntry);
        gemm.set("accum", accum);
        gemm.set("mode", mode);
        gemm.set("init", kk == 0);
        gemm.set("finish", kk + 1 == K);
        gemm.set("partial", 1);
        gemm.set("begin", first == 0);
        gemm.set("a_row", spHalf * halfIn);
        gemm.set("a_rows_per_vector", 1);
        gemm.set("b_row", spHalf * halfW);
        gemm.set("b_rows_per_vector", 1);
        gemm.set("acc_entry", accBase);
        gemm.set("m", m);
        gemm.set("n", n);
        gemm.set("k", 1);
        emitter.emitQueued(gemm, {{{Resource::SpInput, spHalf}, false},
                                  {{Resource::SpWeight, spHalf}, false},
                                  {{Resource::Acc, accHalf}, true},
                                  {{Resource::Threshold, 0}, true}});
        bool last = kk + 1 == K;
        Instruction store =
            last ? rawStore(emitter.useTransfer(rowMajor),
                            resultAddress + 4 * first, accBase, {1, m, n})
                 : rawStore(emitter.useTransfer(rowMajor), states, accBase,
                            {1, m, n});
        if (!last)
          store.set("states", 1);
        emitter.emitQueued(store,
                           {{{Resource::Acc, accHalf}, false},
                            {{Resource::Dram, last ? result : *spill}, true}});
      }
  return success();
}

} // namespace

LogicalResult mapMatmul(ProgramEmitter &emitter, MatmulOp op,
                        const TileOptions &options) {
  auto resultType = cast<RankedTensorType>(op.getType());
  int64_t batches = resultType.getRank() == 3 ? resultType.getShape()[0] : 1;
  const MachineDescription &machine = emitter.getMachine();
  numerics::AccumulationSpec spec;
  if (auto attr = op.getAccumulationAttr())
    spec = attr.getSpec();
  bool shared =
      spec.grouping == numerics::Grouping::EfficientDGA && spec.sharedThreshold;
  if (shared && batches > 1)
    return cannotMap(op) << "a batched matmul with a shared E-DGA threshold "
                            "is not mapped yet";

  // A is M x K (K x M stored when transposed); B holds W's columns: y = j.
  FailureOr<OperandPlan> a = planOperand(
      emitter, op, op.getLhs(), op.getTransposeA() ? 1 : 0, machine.inputSp);
  if (failed(a))
    return failure();
  FailureOr<OperandPlan> b = planOperand(
      emitter, op, op.getRhs(), op.getTransposeB() ? 0 : 1, machine.weightSp);
  if (failed(b))
    return failure();
  int64_t M = a->extentY, N = b->extentY, K = a->extentX;
  if (M == 0 || N == 0)
    return success(); // an empty result: nothing to compute or store
  if (K == 0)
    return cannotMap(op) << "a matmul with an empty reduction is not mapped "
                            "yet (its result is all zeros)";

  // Tiles (docs/Accelerator.md, Contractions, step 2).
  int64_t halfIn = machine.inputSp.rows / 2, halfW = machine.weightSp.rows / 2;
  int64_t halfAcc = emitter.accHalfEntries();
  if (halfIn == 0 || halfW == 0 || halfAcc == 0)
    return cannotMap(op) << "the machine's scratchpads and ACC must have at "
                            "least two rows / entries (double buffering)";
  int64_t la = a->lanes.lanesPerRow, lb = b->lanes.lanesPerRow;
  // K-tiles hold whole blocks of both operands: a multiple of every block
  // length along K, or all of K (a block that spans K, or lengths whose
  // least common multiple exceeds it).
  int64_t blockK = 1;
  for (const OperandPlan *plan : {&*a, &*b})
    if (plan->hasBlock)
      blockK = std::lcm(blockK, std::min(plan->blockX, K));
  blockK = std::min(blockK, K);
  int64_t kt = std::min(
      {K, int64_t(65535), 255 * la, 255 * lb, halfIn * la, halfW * lb});
  // The fewest rows and columns a tile may have: a whole block along them
  // (all of them for a shared E-DGA contraction, which has one output
  // tile). Their K-vectors must fit a scratchpad half.
  int64_t mMin = shared ? M : a->hasBlock ? std::min(a->blockY, M) : 1;
  int64_t nMin = shared ? N : b->hasBlock ? std::min(b->blockY, N) : 1;
  if (mMin <= halfIn && nMin <= halfW)
    kt = std::min({kt, halfIn / mMin * la, halfW / nMin * lb});
  int64_t ktLimit = kt;
  if (options.k > 0)
    kt = std::min(kt, options.k);
  kt = alignToBlocks(kt, blockK, K, ktLimit);
  if (kt == 0)
    return cannotMap(op) << "a block of " << blockK
                         << " elements along the reduction does not fit a "
                            "scratchpad tile";
  int64_t rowsA = llvm::divideCeil(kt, la), rowsB = llvm::divideCeil(kt, lb);
  int64_t mt = std::min({M, int64_t(4095), halfIn / rowsA});
  int64_t nt = std::min({N, int64_t(4095), halfW / rowsB});
  // A shared E-DGA contraction that one GEMM cannot hold runs in parts.
  bool inParts = shared && (mt < M || nt < N || M * N > 2 * halfAcc);
  if (inParts) {
    // One element per K-vector: a LOAD converting from f32 needs whole
    // blocks, a LOAD from an encoded form does not (pairs carry their
    // block's scale).
    if (a->hasBlock || b->hasBlock)
      return cannotMap(op) << "a shared E-DGA contraction whose " << M << " x "
                           << N << " outputs exceed one GEMM or the ACC ("
                           << 2 * halfAcc
                           << " entries) is mapped one k step at a time, "
                              "which block-scaled operands converted from f32 "
                              "do not allow yet";
  } else if (!shared) {
    int64_t mtLimit = mt, ntLimit = nt;
    if (options.m > 0)
      mt = std::min(mt, options.m);
    if (options.n > 0)
      nt = std::min(nt, options.n);
    // Whole blocks along the rows and columns first (one block when the
    // requested tile is smaller), then the output tile within an ACC half,
    // shrinking the side that can shrink in whole blocks.
    int64_t stepM = a->hasBlock ? std::min(a->blockY, M) : 1;
    int64_t stepN = b->hasBlock ? std::min(b->blockY, N) : 1;
    mt = alignToBlocks(mt, stepM, M, mtLimit);
    nt = alignToBlocks(nt, stepN, N, ntLimit);
    while (mt > 0 && nt > 0 && mt * nt > halfAcc) {
      int64_t fitM = halfAcc / nt / stepM * stepM;
      int64_t fitN = halfAcc / mt / stepN * stepN;
      if (fitM == 0 && fitN == 0) {
        // Neither side alone can shrink enough: halve the larger side that
        // is still above one block, in whole blocks, and try again.
        bool shrinkM = mt > stepM && (mt >= nt || nt <= stepN);
        if (!shrinkM && nt <= stepN)
          break; // one block of each does not fit
        int64_t &side = shrinkM ? mt : nt;
        int64_t step = shrinkM ? stepM : stepN;
        side = std::max(step, side / 2 / step * step);
        continue;
      }
      if (mt >= nt ? fitM > 0 : fitN == 0)
        mt = fitM;
      else
        nt = fitN;
    }
    if (mt == 0 || nt == 0 || mt * nt > halfAcc)
      return cannotMap(op) << "the operands' blocks along the output rows or "
                              "columns do not fit an ACC half";
  }

  if (failed(configureOperand(emitter, op, *a)) ||
      failed(configureOperand(emitter, op, *b)))
    return failure();
  FailureOr<unsigned> accum = emitter.useAccumulation(spec);
  if (failed(accum))
    return failure();
  uint64_t modeA = neededGemmMode(a->tensor.format.element);
  uint64_t modeB = neededGemmMode(b->tensor.format.element);
  if (modeA == kNoGemmMode || modeB == kNoGemmMode)
    return cannotMap(op) << "an operand's significand is wider than the f32 "
                            "multiplier's 24 bits";
  uint64_t mode = std::max(modeA, modeB);
  std::optional<unsigned> result = emitter.lookupBuffer(op.getResult());
  assert(result && "the caller allocates the result");
  uint64_t resultAddress = emitter.getBuffer(*result).address;
  if (inParts)
    return emitSharedInParts(emitter, op, *a, *b, *accum, mode, *result, M, N,
                             K);

  // With one K-tile an operand's tile changes only with its own output
  // side (and the batch): A's with i0, B's with j0. Its scratchpad tile is
  // then a run of whole output tiles (as many as a half holds), loaded
  // once; the GEMMs of the output tiles inside it read their K-vectors
  // there (a convolution's filter across all its output tiles, a tap
  // gather in fewer and larger LOADs). The next run goes to the other
  // half, so loads still overlap GEMMs.
  bool oneKTile = kt >= K;
  struct Resident {
    int64_t run = 0; ///< Output rows or columns per scratchpad tile.
    std::optional<std::pair<int64_t, int64_t>> tile; ///< (batch, first)
    unsigned half = 1;
  };
  auto runOf = [&](int64_t tile, int64_t extent, int64_t halfRows,
                   int64_t rowsPerVector) {
    if (!oneKTile)
      return tile;
    int64_t fit = std::min(extent, halfRows / rowsPerVector);
    return std::max(tile, fit / tile * tile);
  };
  Resident residentA{runOf(mt, M, halfIn, rowsA)},
      residentB{runOf(nt, N, halfW, rowsB)};
  // Where the output tile at y0 finds its K-vectors (the half and the row
  // offset in it), and the range of y to load there first, if any.
  struct Placement {
    unsigned half;
    int64_t rowOffset;
    std::optional<std::pair<int64_t, int64_t>> load; ///< (first, count)
  };
  auto place = [&](Resident &r, int64_t batch, int64_t y0, int64_t ny,
                   int64_t extent, int64_t rowsPerVector, unsigned spHalf) {
    if (!oneKTile)
      return Placement{spHalf, 0, std::make_pair(y0, ny)};
    int64_t first = y0 / r.run * r.run;
    std::pair<int64_t, int64_t> key{batch, first};
    Placement p{r.half, (y0 - first) * rowsPerVector, std::nullopt};
    if (r.tile == key)
      return p;
    r.tile = key;
    p.half = r.half ^= 1;
    p.load = std::make_pair(first, std::min(r.run, extent - first));
    return p;
  };
  for (int64_t batch = 0; batch < batches; ++batch)
    for (int64_t i0 = 0; i0 < M; i0 += mt) {
      int64_t m = std::min(mt, M - i0);
      for (int64_t j0 = 0; j0 < N; j0 += nt) {
        int64_t n = std::min(nt, N - j0);
        unsigned accHalf = shared ? 0 : emitter.nextAccHalf();
        uint64_t accBase = accHalf * halfAcc;
        for (int64_t k0 = 0; k0 < K; k0 += kt) {
          int64_t k = std::min(kt, K - k0);
          unsigned spHalf = emitter.nextSpHalf();
          Placement pa = place(residentA, batch, i0, m, M, rowsA, spHalf);
          Placement pb = place(residentB, batch, j0, n, N, rowsB, spHalf);
          unsigned halfA = pa.half, halfB = pb.half;
          if ((pa.load && failed(loadOperandTile(
                              emitter, *a, LoadDst::SpInput, Resource::SpInput,
                              halfA, halfA * halfIn, rowsA, batch,
                              pa.load->first, pa.load->second, k0, k))) ||
              (pb.load && failed(loadOperandTile(
                              emitter, *b, LoadDst::SpWeight,
                              Resource::SpWeight, halfB, halfB * halfW, rowsB,
                              batch, pb.load->first, pb.load->second, k0, k))))
            return failure();
          Instruction gemm(InstructionKind::Gemm);
          gemm.set("format_a", a->formatEntry);
          gemm.set("format_b", b->formatEntry);
          gemm.set("accum", *accum);
          gemm.set("mode", mode);
          gemm.set("init", k0 == 0);
          gemm.set("finish", k0 + k == K);
          gemm.set("a_row", halfA * halfIn + pa.rowOffset);
          gemm.set("a_rows_per_vector", rowsA);
          gemm.set("b_row", halfB * halfW + pb.rowOffset);
          gemm.set("b_rows_per_vector", rowsB);
          gemm.set("acc_entry", accBase);
          gemm.set("m", m);
          gemm.set("n", n);
          gemm.set("k", k);
          SmallVector<Access> accesses = {{{Resource::SpInput, halfA}, false},
                                          {{Resource::SpWeight, halfB}, false},
                                          {{Resource::Acc, accHalf}, true}};
          if (shared) // one tile that may span both ACC halves
            accesses.append(
                {{{Resource::Acc, 1}, true}, {{Resource::Threshold, 0}, true}});
          emitter.emitQueued(gemm, accesses);
        }
        TransferStrides strides;
        strides.dramY = N;
        strides.dramX = 1;
        strides.chipY = n;
        strides.chipX = 1;
        Instruction store =
            rawStore(emitter.useTransfer(strides),
                     resultAddress + 4 * (batch * M * N + i0 * N + j0), accBase,
                     {1, m, n});
        SmallVector<Access> storeAccesses = {{{Resource::Acc, accHalf}, false},
                                             {{Resource::Dram, *result}, true}};
        if (shared)
          storeAccesses.push_back({{Resource::Acc, 1}, false});
        emitter.emitQueued(store, storeAccesses);
      }
    }
  return success();
}

} // namespace qtrain::accel
