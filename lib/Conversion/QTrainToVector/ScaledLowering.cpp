//===- ScaledLowering.cpp - Block- and tensor-scaled formats --------------===//
//
// quantize, encode and decode of scaled formats (docs/Numerics.md, Scaled
// formats). Covered: any number of whole-tensor levels followed by one level
// of any block shape (MX, FlexBlock, MLS, per-tensor FP8, BFP, adaptive-bias
// FP8), with the shared_exponent, amax_to_max, given and (first level)
// median_lookup rules. The tensor is walked block
// by block of the last level: a pass over the block's elements reduces the
// amax of its residuals, the block's scale follows, and a second pass
// encodes the elements (the block is still in cache). Trailing dimensions
// that every block covers are merged first, so a FlexBlock [c, 3, 3] block
// of a [N, C, 3, 3] tensor is one contiguous run of c * 9 elements.
//
// A quantize of a matrix whose blocks run down its columns (an operand
// reduced along axis 0) with deterministic rounding quantizes the transpose
// instead, whose blocks are rows, and transposes back.
//
// median_lookup (adaptive-bias FP8) is lowered for a first, whole-tensor
// level (the exact median of |x| by radix selection).
//
// LFSR random sources need blocks that are contiguous runs of the row-major
// order (MX, FlexBlock, MLS, per-tensor): the blocks are walked in order and
// chunks are cut at the LFSR rows, so the lanes advance in stream order.
//
// Not yet lowered (the pattern fails with the reason): median_lookup on
// blocks or after another level, two levels with blocks smaller than the
// tensor, and LFSR sources with 2-D blocks.
//
//===----------------------------------------------------------------------===//

#include "ElementCodegen.h"
#include "LoopCodegen.h"
#include "RandomCodegen.h"
#include "ScaleCodegen.h"

#include "qtrain/Conversion/QTrainToVector/QTrainToVector.h"
#include "qtrain/Dialect/QTrain/IR/QTrainOps.h"

#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/TypeUtilities.h"
#include "mlir/Transforms/DialectConversion.h"

#include <limits>

using namespace mlir;
namespace nx = qtrain::numerics;

namespace qtrain {
namespace {

using namespace lowering;

bool coversWholeTensor(const nx::ScaleLevel &level, RankedTensorType type) {
  for (int64_t d = 0; d < type.getRank(); ++d) {
    int64_t size = nx::blockSize(level, type.getRank(), d);
    if (size != -1 && (type.isDynamicDim(d) || size < type.getDimSize(d)))
      return false;
  }
  return true;
}

/// Whether every block of `level` is one contiguous run of the row-major
/// order (block size 1 in every dimension before the trailing ones it
/// covers whole), so that walking the blocks in order walks the stream in
/// order.
bool blocksAreRuns(const nx::ScaleLevel &level, RankedTensorType type) {
  int64_t rank = type.getRank();
  int64_t m = rank - 1;
  while (m > 0) {
    int64_t size = nx::blockSize(level, rank, m);
    if (!(size == -1 || (!type.isDynamicDim(m) && size >= type.getDimSize(m))))
      break;
    --m;
  }
  for (int64_t d = 0; d < m; ++d)
    if (nx::blockSize(level, rank, d) != 1)
      return false;
  return true;
}

/// Why the lowering does not cover this format and rounding yet, or "".
std::string unsupportedReason(const nx::ScaledFormat &f, RankedTensorType type,
                              const nx::Rounding *r) {
  for (size_t l = 0; l < f.levels.size(); ++l) {
    if (f.levels[l].rule == nx::ScaleRule::MedianLookup &&
        (l != 0 || !coversWholeTensor(f.levels[l], type)))
      return "the median_lookup rule is lowered for a first, whole-tensor "
             "level only";
    if (l + 1 < f.levels.size() && !coversWholeTensor(f.levels[l], type))
      return "only the last scale level may have blocks smaller than the "
             "tensor in the CPU lowering so far";
  }
  if (r && r->isStochastic() &&
      (r->source.kind == nx::RandomSourceKind::Lfsr ||
       r->source.kind == nx::RandomSourceKind::LfsrPlateau) &&
      !blocksAreRuns(f.levels.back(), type))
    return "LFSR random sources need blocks that are contiguous runs of the "
           "row-major order (the LFSR lanes advance in stream order)";
  return "";
}

/// The last level's blocks over a view of the tensor whose trailing
/// dimensions, covered whole by every block, are merged into one: the view's
/// sizes, block sizes (at least 1) and block grid. Blocks are numbered
/// row-major over the grid exactly as in the library.
struct BlockView {
  SmallVector<Value> dims, blocks, grid;
  Value numBlocks;
};

BlockView blockView(OpBuilder &b, Location loc, const nx::ScaleLevel &level,
                    Value tensor) {
  auto type = llvm::cast<RankedTensorType>(tensor.getType());
  int64_t rank = type.getRank();
  auto cst = [&](int64_t v) -> Value {
    return arith::ConstantIndexOp::create(b, loc, v);
  };
  auto dim = [&](int64_t d) -> Value {
    return type.isDynamicDim(d)
               ? Value(tensor::DimOp::create(b, loc, tensor, d))
               : cst(type.getDimSize(d));
  };
  auto covered = [&](int64_t d) {
    int64_t size = nx::blockSize(level, rank, d);
    return size == -1 || (!type.isDynamicDim(d) && size >= type.getDimSize(d));
  };
  BlockView v;
  if (rank == 0) {
    v.dims = {cst(1)};
    v.blocks = {cst(1)};
  } else {
    int64_t m = rank - 1;
    while (m > 0 && covered(m))
      --m;
    Value inner = cst(1); // the merged trailing extent
    for (int64_t d = m + 1; d < rank; ++d)
      inner = arith::MulIOp::create(b, loc, inner, dim(d));
    for (int64_t d = 0; d <= m; ++d) {
      int64_t size = nx::blockSize(level, rank, d);
      Value extent = dim(d);
      Value block = size == -1 ? extent : cst(size);
      if (d == m) {
        extent = arith::MulIOp::create(b, loc, extent, inner);
        block = arith::MulIOp::create(b, loc, block, inner);
      }
      v.dims.push_back(extent);
      v.blocks.push_back(arith::MaxUIOp::create(b, loc, block, cst(1)));
    }
  }
  v.numBlocks = cst(1);
  for (auto [d, s] : llvm::zip(v.dims, v.blocks)) {
    v.grid.push_back(arith::CeilDivUIOp::create(b, loc, d, s));
    v.numBlocks = arith::MulIOp::create(b, loc, v.numBlocks, v.grid.back());
  }
  return v;
}

/// Calls `run(begin, end, acc)` for every contiguous run of block `block`'s
/// elements (flat offsets, in increasing order), threading `acc`.
using RunBody = function_ref<Value(OpBuilder &, Location, Value begin,
                                   Value end, Value acc)>;

Value forEachRunOfBlock(OpBuilder &b, Location loc, const BlockView &v,
                        Value block, Value acc, RunBody run) {
  size_t k = v.dims.size();
  SmallVector<Value> starts(k), ends(k);
  Value rest = block;
  for (size_t j = k; j-- > 0;) {
    Value g = arith::RemUIOp::create(b, loc, rest, v.grid[j]);
    rest = arith::DivUIOp::create(b, loc, rest, v.grid[j]);
    starts[j] = arith::MulIOp::create(b, loc, g, v.blocks[j]);
    ends[j] = arith::MinUIOp::create(
        b, loc, arith::AddIOp::create(b, loc, starts[j], v.blocks[j]),
        v.dims[j]);
  }
  // Nested loops over the outer view dimensions; `linear` is the row-major
  // index of the outer coordinates so far.
  std::function<Value(OpBuilder &, Location, size_t, Value, Value)> nest =
      [&](OpBuilder &nb, Location nloc, size_t j, Value linear,
          Value a) -> Value {
    if (j + 1 == k) {
      Value base = arith::MulIOp::create(nb, nloc, linear, v.dims[j]);
      return run(nb, nloc, arith::AddIOp::create(nb, nloc, base, starts[j]),
                 arith::AddIOp::create(nb, nloc, base, ends[j]), a);
    }
    Value one = arith::ConstantIndexOp::create(nb, nloc, 1);
    auto loop = scf::ForOp::create(
        nb, nloc, starts[j], ends[j], one, ValueRange{a},
        [&](OpBuilder &lb, Location lloc, Value i, ValueRange iter) {
          Value next = arith::AddIOp::create(
              lb, lloc, arith::MulIOp::create(lb, lloc, linear, v.dims[j]), i);
          scf::YieldOp::create(lb, lloc, nest(lb, lloc, j + 1, next, iter[0]));
        });
    return loop.getResult(0);
  };
  return nest(b, loc, 0, arith::ConstantIndexOp::create(b, loc, 0), acc);
}

/// The lanes of vector code over f32 inputs.
int64_t statLanes(int64_t vectorWidth) {
  return std::max<int64_t>(vectorWidth, 1);
}

/// amax over [begin, end) of the residuals RN(x / divisor) (divisor null:
/// x itself): finite |y| only; a non-finite y makes it NaN (+qNaN) when the
/// scale format can hold NaN and is ignored otherwise.
Value emitBlockAmax(OpBuilder &b, Location loc, Value flatIn, Value begin,
                    Value end, Value divisor, bool nanBlocks,
                    int64_t vectorWidth) {
  // On the bits of |y|: for non-negative floats the integer order is the
  // float order, and every NaN's bits exceed infinity's, so one integer max
  // per chunk (two operations with the abs) does what maximumf does in five
  // on x86, and the reduction has no sign-of-zero branches.
  int64_t lanes = statLanes(vectorWidth);
  Type i32 = b.getI32Type();
  ElementBuilder outer(b, loc, lanes);
  const uint32_t infBits = 0x7f800000;
  Value acc = forEachChunk(
      b, loc, begin, end, lanes, Value(), outer.u32(0),
      [&](OpBuilder &nb, Location nloc, Value off, Value mask, Value,
          Value a) -> Value {
        ElementBuilder eb(nb, nloc, lanes);
        Value y = widen(eb, readChunk(eb, flatIn, off, mask));
        if (divisor)
          y = arith::DivFOp::create(nb, nloc, y, eb.splat(divisor));
        Value c = eb.band(eb.bitcast(i32, y), eb.u32(0x7fffffff));
        // With NaN blocks a NaN or infinity is the largest value and becomes
        // +qNaN once, below; without, it counts as 0.
        if (!nanBlocks)
          c = eb.select(eb.uge(c, eb.u32(infBits)), eb.u32(0), c);
        if (mask)
          c = eb.select(mask, c, eb.u32(0));
        return arith::MaxUIOp::create(nb, nloc, a, c);
      });
  if (lanes != 0)
    acc =
        vector::ReductionOp::create(b, loc, vector::CombiningKind::MAXUI, acc);
  ElementBuilder sb(b, loc, 0);
  Value amax = sb.bitcast(b.getF32Type(), acc);
  if (!nanBlocks)
    return amax;
  const float qNaN = std::numeric_limits<float>::quiet_NaN();
  return sb.select(sb.uge(acc, sb.u32(infBits)), sb.f32c(qNaN), amax);
}

/// The scalar scale of a whole-tensor level, or of one block, from its
/// statistic (amax, median or the given scale).
Value levelScale(OpBuilder &b, Location loc, const nx::ScaleLevel &level,
                 const nx::ElementFormat &element, Value amaxOrGiven) {
  ElementBuilder s(b, loc, 0);
  if (level.rule == nx::ScaleRule::Given)
    return emitToScaleFormat(s, level.format, amaxOrGiven);
  if (level.rule == nx::ScaleRule::MedianLookup)
    return emitScaleFromMedian(s, level, amaxOrGiven);
  return emitScaleFromAmax(s, level, element, amaxOrGiven);
}

/// The first element of a given-scale operand (whole-tensor levels take a
/// 0-d tensor or a grid of ones).
Value firstElement(OpBuilder &b, Location loc, Value tensor) {
  auto type = llvm::cast<RankedTensorType>(tensor.getType());
  SmallVector<Value> zeros(type.getRank(),
                           arith::ConstantIndexOp::create(b, loc, 0));
  return tensor::ExtractOp::create(b, loc, tensor, zeros);
}

/// A scale result in storage form: `code` (i32 bits) as the element type.
Value scaleStorage(OpBuilder &b, Location loc, Value code, Type elem) {
  ElementBuilder s(b, loc, 0);
  if (elem.isF32())
    return s.bitcast(elem, code);
  return narrow(s, code, elem);
}

/// What the scaled encoder produces: element codes (or values) and, for
/// encode, each level's scales in storage form.
struct ScaledResults {
  Value elements;
  SmallVector<Value> scales;
};

/// What lowerScaledEncode encodes and how.
struct ScaledEncodeRequest {
  Value input; ///< f32, bf16 or f16 values (widened to f32 on the fly)
  const nx::ScaledFormat &format;
  const nx::Rounding &rounding; ///< of the elements
  Value seed, randomData;
  ValueRange given; ///< the scales of the `given` levels, in level order
  RankedTensorType outType; ///< values for quantize, codes for encode
  TypeRange scaleTypes;     ///< the scale results (empty for quantize)
  bool quantize;
  int64_t vectorWidth, tileElements;
};

/// The whole-tensor levels (all but the last): one scale each, pushed to
/// `results` in storage form for encode. Returns their f32 product (null
/// when there is none); `givenUsed` counts the given scales read.
Value emitTensorLevels(OpBuilder &b, Location loc,
                       const ScaledEncodeRequest &req, const FlatTensor &in,
                       size_t &givenUsed, ScaledResults &results) {
  const nx::ScaledFormat &format = req.format;
  Value total;
  Value c0 = arith::ConstantIndexOp::create(b, loc, 0);
  for (size_t l = 0; l + 1 < format.levels.size(); ++l) {
    const nx::ScaleLevel &level = format.levels[l];
    Value stat =
        level.rule == nx::ScaleRule::Given
            ? firstElement(b, loc, req.given[givenUsed++])
        : level.rule == nx::ScaleRule::MedianLookup // first level: y = x
            ? emitMedianAbs(b, loc, in.flat, in.count, level.excludeZeros)
            : emitBlockAmax(b, loc, in.flat, c0, in.count, total,
                            canHoldNaN(level.format), req.vectorWidth);
    Value s = levelScale(b, loc, level, format.element, stat);
    total = total ? Value(arith::MulFOp::create(b, loc, total, s)) : s;
    if (!req.quantize) {
      auto type = llvm::cast<RankedTensorType>(req.scaleTypes[l]);
      ElementBuilder sb(b, loc, 0);
      Value code = scaleStorage(b, loc, emitScaleCode(sb, level.format, s),
                                type.getElementType());
      results.scales.push_back(
          tensor::SplatOp::create(b, loc, type, code, ValueRange{}));
    }
  }
  return total;
}

/// The last level's flat scale codes as the result `type` (its block grid
/// in the input's rank).
Value reshapeBlockScales(OpBuilder &b, Location loc, Value flat,
                         RankedTensorType type, const nx::ScaleLevel &level,
                         Value input) {
  if (type.getRank() == 0)
    return tensor::CollapseShapeOp::create(b, loc, type, flat,
                                           ArrayRef<ReassociationIndices>{});
  ReassociationIndices all;
  SmallVector<OpFoldResult> sizes;
  // The grid in the tensor's rank: merged dimensions have one block.
  for (int64_t d = 0; d < type.getRank(); ++d) {
    all.push_back(d);
    sizes.push_back(
        type.isDynamicDim(d)
            ? OpFoldResult(arith::CeilDivUIOp::create(
                  b, loc, tensor::DimOp::create(b, loc, input, d),
                  arith::ConstantIndexOp::create(
                      b, loc,
                      std::max<int64_t>(nx::blockSize(level, type.getRank(), d),
                                        1))))
            : OpFoldResult(b.getIndexAttr(type.getDimSize(d))));
  }
  return tensor::ExpandShapeOp::create(
      b, loc, type, flat, ArrayRef<ReassociationIndices>{all}, sizes);
}

/// The blocks [from, to) written into `outAcc` (flat offsets from
/// `outBase`) and `scaleAcc` (block numbers from `blockBase`); returns both
/// (or the elements alone without scale codes).
using BlockRangeFn = llvm::function_ref<SmallVector<Value>(
    OpBuilder &, Location, Value from, Value to, Value outAcc, Value scaleAcc,
    Value outBase, Value blockBase)>;

/// All blocks of `view` in parallel tiles of whole blocks (about
/// `tileElements` elements each, at least one block). The blocks must be
/// row-major runs, so a range of blocks is one range of the flat tensor.
SmallVector<Value> emitBlockTiles(OpBuilder &b, Location loc,
                                  const BlockView &view, int64_t tileElements,
                                  Value out, Value scaleCodes,
                                  BlockRangeFn blockLoop) {
  Value c1 = arith::ConstantIndexOp::create(b, loc, 1);
  size_t k = view.dims.size();
  Value inner = view.dims[k - 1], innerBlock = view.blocks[k - 1];
  Value innerGrid = view.grid[k - 1];
  auto runBegin = [&](OpBuilder &ob, Location ol, Value blk) -> Value {
    Value row = arith::DivUIOp::create(ob, ol, blk, innerGrid);
    Value g = arith::RemUIOp::create(ob, ol, blk, innerGrid);
    return arith::AddIOp::create(ob, ol,
                                 arith::MulIOp::create(ob, ol, row, inner),
                                 arith::MulIOp::create(ob, ol, g, innerBlock));
  };
  auto runEnd = [&](OpBuilder &ob, Location ol, Value blk) -> Value {
    Value row = arith::DivUIOp::create(ob, ol, blk, innerGrid);
    Value g = arith::RemUIOp::create(ob, ol, blk, innerGrid);
    Value e = arith::MinUIOp::create(
        ob, ol,
        arith::MulIOp::create(ob, ol, arith::AddIOp::create(ob, ol, g, c1),
                              innerBlock),
        inner);
    return arith::AddIOp::create(ob, ol,
                                 arith::MulIOp::create(ob, ol, row, inner), e);
  };
  // About tileElements elements per tile, at least one block.
  Value perTile = arith::MaxUIOp::create(
      b, loc,
      arith::DivUIOp::create(
          b, loc, arith::ConstantIndexOp::create(b, loc, tileElements),
          innerBlock),
      c1);
  Value tiles = arith::CeilDivUIOp::create(b, loc, view.numBlocks, perTile);
  SmallVector<Value> shared = {out};
  if (scaleCodes)
    shared.push_back(scaleCodes);
  auto forall = scf::ForallOp::create(b, loc, ArrayRef<OpFoldResult>{tiles},
                                      shared, std::nullopt, nullptr);
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPoint(forall.getTerminator());
    Value t = forall.getInductionVars()[0];
    Value b0 = arith::MulIOp::create(b, loc, t, perTile);
    Value b1 = arith::MinUIOp::create(
        b, loc, arith::AddIOp::create(b, loc, b0, perTile), view.numBlocks);
    Value start = runBegin(b, loc, b0);
    Value end = runEnd(b, loc, arith::SubIOp::create(b, loc, b1, c1));
    auto slice = [&](Value whole, Value offset, Value size) {
      auto type = RankedTensorType::get(
          {ShapedType::kDynamic},
          llvm::cast<RankedTensorType>(whole.getType()).getElementType());
      return tensor::ExtractSliceOp::create(
                 b, loc, type, whole, ArrayRef<OpFoldResult>{offset},
                 ArrayRef<OpFoldResult>{size},
                 ArrayRef<OpFoldResult>{b.getIndexAttr(1)})
          .getResult();
    };
    Value outSize = arith::SubIOp::create(b, loc, end, start);
    Value blockCount = arith::SubIOp::create(b, loc, b1, b0);
    ValueRange args = forall.getRegionIterArgs();
    Value outSlice = slice(args[0], start, outSize);
    Value scaleSlice = scaleCodes ? slice(args[1], b0, blockCount) : Value();
    SmallVector<Value> res =
        blockLoop(b, loc, b0, b1, outSlice, scaleSlice, start, b0);
    b.setInsertionPointToEnd(forall.getTerminator().getBody());
    tensor::ParallelInsertSliceOp::create(
        b, loc, res[0], args[0], ArrayRef<OpFoldResult>{start},
        ArrayRef<OpFoldResult>{outSize},
        ArrayRef<OpFoldResult>{b.getIndexAttr(1)});
    if (scaleCodes)
      tensor::ParallelInsertSliceOp::create(
          b, loc, res[1], args[1], ArrayRef<OpFoldResult>{b0},
          ArrayRef<OpFoldResult>{blockCount},
          ArrayRef<OpFoldResult>{b.getIndexAttr(1)});
  }
  return forall.getResults();
}

/// Encodes `req.input` with `req.format`: the whole-tensor levels, then the
/// last level block by block (in parallel tiles of whole blocks where the
/// blocks are row-major runs).
FailureOr<ScaledResults> lowerScaledEncode(OpBuilder &b, Location loc,
                                           const ScaledEncodeRequest &req) {
  Value input = req.input;
  const nx::ScaledFormat &format = req.format;
  const nx::Rounding &r = req.rounding;
  Value seed = req.seed, randomData = req.randomData;
  ValueRange given = req.given;
  RankedTensorType outType = req.outType;
  TypeRange scaleTypes = req.scaleTypes;
  bool quantize = req.quantize;
  int64_t vectorWidth = req.vectorWidth, tileElements = req.tileElements;
  auto inType = llvm::cast<RankedTensorType>(input.getType());
  FlatTensor in = flatten(b, loc, input);
  Type inElem = getElementTypeOrSelf(input.getType());
  Type outElem = outType.getElementType();
  int64_t lanes = needsScalarAccess(inElem) || needsScalarAccess(outElem)
                      ? 0
                      : std::max<int64_t>(vectorWidth, 1);
  ScaledResults results;
  size_t givenUsed = 0;
  size_t last = format.levels.size() - 1;

  // Whole-tensor levels: one scale each; `total` is their f32 product.
  Value total = emitTensorLevels(b, loc, req, in, givenUsed, results);
  Value c0 = arith::ConstantIndexOp::create(b, loc, 0);

  // The last level, block by block.
  const nx::ScaleLevel &level = format.levels[last];
  BlockView view = blockView(b, loc, level, input);
  Value givenLast, medianLast;
  if (level.rule == nx::ScaleRule::Given)
    givenLast = flatten(b, loc, given[givenUsed++]).flat;
  if (level.rule == nx::ScaleRule::MedianLookup) // a first, whole-tensor level
    medianLast = emitMedianAbs(b, loc, in.flat, in.count, level.excludeZeros);
  Value scaleCodes;
  Type scaleElem;
  if (!quantize) {
    auto type = llvm::cast<RankedTensorType>(scaleTypes[last]);
    scaleElem = type.getElementType();
    int64_t staticBlocks =
        type.hasStaticShape() ? type.getNumElements() : ShapedType::kDynamic;
    scaleCodes = emptyFlat(b, loc, view.numBlocks, staticBlocks, scaleElem);
  }
  Value out = emptyFlat(
      b, loc, in.count,
      llvm::cast<RankedTensorType>(in.flat.getType()).getDimSize(0), outElem);

  std::optional<RandomCodegen> random;
  if (r.isStochastic())
    random.emplace(b, loc, r, seed,
                   randomData ? flatBuffer(b, loc, randomData) : Value(),
                   in.count);
  // LFSR lanes advance in stream order: chunks are cut at their rows.
  int64_t rowLength = random ? random->rowLength() : 0;

  Value c1 = arith::ConstantIndexOp::create(b, loc, 1);
  // The amax of `block` (the statistic of amax rules).
  auto blockAmax = [&](OpBuilder &nb, Location nloc, Value block) -> Value {
    ElementBuilder sb(nb, nloc, 0);
    return forEachRunOfBlock(nb, nloc, view, block, sb.f32c(0.0f),
                             [&](OpBuilder &rb, Location rloc, Value begin,
                                 Value end, Value a) -> Value {
                               Value m = emitBlockAmax(
                                   rb, rloc, in.flat, begin, end, total,
                                   canHoldNaN(level.format), vectorWidth);
                               return arith::MaximumFOp::create(rb, rloc, a, m);
                             });
  };
  // The elements of `block`, x / blockTotal each, written into `acc` (flat
  // offsets from `outBase`).
  auto encodeBlock = [&](OpBuilder &nb, Location nloc, Value block,
                         Value blockTotal, Value acc, Value outBase) -> Value {
    // When blockTotal is a normal power of two (MX, BFP and FlexBlock
    // scales) its reciprocal is exact, and x times it is the same correctly
    // rounded quotient without a vector division.
    auto elements = [&](OpBuilder &ob, Location ol, bool byReciprocal) {
      Value factor = blockTotal;
      if (byReciprocal)
        factor = arith::DivFOp::create(
            ob, ol, arith::ConstantOp::create(ob, ol, ob.getF32FloatAttr(1.0f)),
            blockTotal);
      return forEachRunOfBlock(
          ob, ol, view, block, acc,
          [&](OpBuilder &rb, Location rloc, Value begin, Value end,
              Value runAcc) -> Value {
            return forEachChunkInRows(
                rb, rloc, begin, end, lanes, rowLength, runAcc,
                [&](OpBuilder &cb, Location cloc, Value off, Value mask,
                    Value row, Value a) -> Value {
                  ElementBuilder eb(cb, cloc, lanes);
                  Value x = widen(eb, readChunk(eb, in.flat, off, mask));
                  Value y = byReciprocal ? Value(arith::MulFOp::create(
                                               cb, cloc, x, eb.splat(factor)))
                                         : Value(arith::DivFOp::create(
                                               cb, cloc, x, eb.splat(factor)));
                  Value bits =
                      random ? random->emit(eb, off, row, mask) : Value();
                  Value v =
                      quantize
                          ? Value(arith::MulFOp::create(
                                cb, cloc,
                                emitQuantize(eb, format.element, y, r, bits),
                                eb.splat(blockTotal)))
                          : emitEncode(eb, format.element, y, r, bits);
                  Value local = arith::SubIOp::create(cb, cloc, off, outBase);
                  return writeChunk(eb, narrow(eb, v, outElem), a, local, mask);
                });
          });
    };
    ElementBuilder scalar(nb, nloc, 0);
    Value totalBits = scalar.bitcast(nb.getI32Type(), blockTotal);
    Value field =
        scalar.band(scalar.lshr(totalBits, scalar.u32(23)), scalar.u32(0xff));
    Value powerOfTwo = scalar.land(
        scalar.eq(scalar.band(totalBits, scalar.u32(0x7fffff)), scalar.u32(0)),
        scalar.land(scalar.uge(field, scalar.u32(1)),
                    scalar.ule(field, scalar.u32(254))));
    return scf::IfOp::create(
               nb, nloc, powerOfTwo,
               [&](OpBuilder &tb, Location tl) {
                 scf::YieldOp::create(tb, tl, elements(tb, tl, true));
               },
               [&](OpBuilder &eb2, Location el) {
                 scf::YieldOp::create(eb2, el, elements(eb2, el, false));
               })
        .getResult(0);
  };
  // A block's scale code in storage form at its place in `scaleAcc`.
  auto insertCode = [&](OpBuilder &nb, Location nloc, Value code,
                        Value scaleAcc, Value block, Value blockBase) {
    return tensor::InsertOp::create(
               nb, nloc, scaleStorage(nb, nloc, code, scaleElem), scaleAcc,
               ValueRange{arith::SubIOp::create(nb, nloc, block, blockBase)})
        .getResult();
  };
  // Amax rules on vector code take the scales of `lanes` blocks at a time
  // in vector lanes: the scalar scale code per block (some 40 operations
  // on the chain from a block's amax to its elements) was half of MXFP8's
  // time (docs/Performance.md).
  bool groupScales = lanes > 1 && !givenLast && !medianLast;

  // Blocks [from, to) written into `outAcc` (flat offsets from `outBase`)
  // and `scaleAcc` (block numbers from `blockBase`).
  auto blockLoop = [&](OpBuilder &lb, Location ll, Value from, Value to,
                       Value outAcc, Value scaleAcc, Value outBase,
                       Value blockBase) -> SmallVector<Value> {
    SmallVector<Value> init = {outAcc};
    if (scaleAcc)
      init.push_back(scaleAcc);
    if (groupScales) {
      Value group = arith::ConstantIndexOp::create(lb, ll, lanes);
      Value groupsEnd = wholeStepsEnd(lb, ll, from, to, lanes);
      auto groups = scf::ForOp::create(
          lb, ll, from, groupsEnd, group, init,
          [&](OpBuilder &gb, Location gl, Value first, ValueRange iter) {
            ElementBuilder vb(gb, gl, lanes);
            Value c0g = arith::ConstantIndexOp::create(gb, gl, 0);
            // The group's amaxes at static lanes (a dynamic lane of a
            // vector goes through memory), the scales in vector lanes, then
            // the divisors and codes through a small buffer that the
            // blocks below read one scalar each.
            Value amaxes = vb.f32c(0.0f);
            for (int64_t j = 0; j < lanes; ++j) {
              Value block = arith::AddIOp::create(
                  gb, gl, first, arith::ConstantIndexOp::create(gb, gl, j));
              amaxes = vector::InsertOp::create(
                  gb, gl, blockAmax(gb, gl, block), amaxes, j);
            }
            Value s = emitScaleFromAmax(vb, level, format.element, amaxes);
            Value totals =
                total ? Value(arith::MulFOp::create(gb, gl, s, vb.splat(total)))
                      : s;
            auto spill = [&](Value v) -> Value {
              Value buffer =
                  tensor::EmptyOp::create(gb, gl, ArrayRef<int64_t>{lanes},
                                          getElementTypeOrSelf(v.getType()));
              return writeChunk(vb, v, buffer, c0g, Value());
            };
            Value totalsBuf = spill(totals);
            Value codesBuf = iter.size() > 1
                                 ? spill(emitScaleCode(vb, level.format, s))
                                 : Value();
            auto each = scf::ForOp::create(
                gb, gl, c0g, group, c1, iter,
                [&](OpBuilder &eb2, Location el, Value j, ValueRange it) {
                  Value block = arith::AddIOp::create(eb2, el, first, j);
                  Value blockTotal =
                      tensor::ExtractOp::create(eb2, el, totalsBuf, j);
                  SmallVector<Value> yields = {
                      encodeBlock(eb2, el, block, blockTotal, it[0], outBase)};
                  if (it.size() > 1)
                    yields.push_back(insertCode(
                        eb2, el,
                        tensor::ExtractOp::create(eb2, el, codesBuf, j), it[1],
                        block, blockBase));
                  scf::YieldOp::create(eb2, el, yields);
                });
            scf::YieldOp::create(gb, gl, each.getResults());
          });
      init = groups.getResults();
      from = groupsEnd;
    }
    // One block at a time (every block, or those after the groups).
    auto blocks = scf::ForOp::create(
        lb, ll, from, to, c1, init,
        [&](OpBuilder &nb, Location nloc, Value block, ValueRange iter) {
          Value stat;
          if (givenLast)
            stat = tensor::ExtractOp::create(nb, nloc, givenLast, block);
          else if (medianLast)
            stat = medianLast;
          else
            stat = blockAmax(nb, nloc, block);
          Value s = levelScale(nb, nloc, level, format.element, stat);
          Value blockTotal =
              total ? Value(arith::MulFOp::create(nb, nloc, total, s)) : s;
          SmallVector<Value> yields = {
              encodeBlock(nb, nloc, block, blockTotal, iter[0], outBase)};
          if (iter.size() > 1) {
            ElementBuilder sb(nb, nloc, 0);
            yields.push_back(insertCode(nb, nloc,
                                        emitScaleCode(sb, level.format, s),
                                        iter[1], block, blockBase));
          }
          scf::YieldOp::create(nb, nloc, yields);
        });
    return blocks.getResults();
  };

  SmallVector<Value> done;
  if (tileElements > 0 && !rowLength && blocksAreRuns(level, inType)) {
    done =
        emitBlockTiles(b, loc, view, tileElements, out, scaleCodes, blockLoop);
  } else {
    done = blockLoop(b, loc, c0, view.numBlocks, out, scaleCodes, c0, c0);
  }
  results.elements = unflatten(b, loc, done[0], outType, input);
  if (scaleCodes)
    results.scales.push_back(reshapeBlockScales(
        b, loc, done[1], llvm::cast<RankedTensorType>(scaleTypes[last]), level,
        input));
  return results;
}

/// Decodes codes with stored scales: decode(code) times the f32 product of
/// the element's scales in level order (the divisor the encode used).
Value lowerScaledDecode(OpBuilder &b, Location loc, Value codes,
                        ValueRange scales, const nx::ScaledFormat &format,
                        RankedTensorType outType, int64_t vectorWidth) {
  FlatTensor in = flatten(b, loc, codes);
  Type inElem = getElementTypeOrSelf(codes.getType());
  Type outElem = outType.getElementType();
  int64_t lanes = needsScalarAccess(inElem) || needsScalarAccess(outElem)
                      ? 0
                      : std::max<int64_t>(vectorWidth, 1);
  // A stored scale (f32, or the code of a power-of-two format) as f32.
  auto scaleValue = [&](OpBuilder &sb, Location sloc, const nx::ScaleLevel &lv,
                        Value stored) -> Value {
    ElementBuilder s(sb, sloc, 0);
    Value code = getElementTypeOrSelf(stored.getType()).isF32()
                     ? s.bitcast(sb.getI32Type(), stored)
                     : widen(s, stored);
    return emitScaleValue(s, lv.format, code);
  };
  size_t last = format.levels.size() - 1;
  Value wholeTotal; // the f32 product of the whole-tensor levels' scales
  for (size_t l = 0; l < last; ++l) {
    Value ws =
        scaleValue(b, loc, format.levels[l], firstElement(b, loc, scales[l]));
    wholeTotal =
        wholeTotal ? Value(arith::MulFOp::create(b, loc, wholeTotal, ws)) : ws;
  }
  const nx::ScaleLevel &level = format.levels[last];
  BlockView view = blockView(b, loc, level, codes);
  Value lastScales = flatten(b, loc, scales[last]).flat;
  Value out = emptyFlat(
      b, loc, in.count,
      llvm::cast<RankedTensorType>(in.flat.getType()).getDimSize(0), outElem);
  Value c0 = arith::ConstantIndexOp::create(b, loc, 0);
  Value c1 = arith::ConstantIndexOp::create(b, loc, 1);
  auto blocks = scf::ForOp::create(
      b, loc, c0, view.numBlocks, c1, ValueRange{out},
      [&](OpBuilder &nb, Location nloc, Value block, ValueRange iter) {
        Value s =
            scaleValue(nb, nloc, level,
                       tensor::ExtractOp::create(nb, nloc, lastScales, block));
        Value blockTotal =
            wholeTotal ? Value(arith::MulFOp::create(nb, nloc, wholeTotal, s))
                       : s;
        Value acc = forEachRunOfBlock(
            nb, nloc, view, block, iter[0],
            [&](OpBuilder &rb, Location rloc, Value begin, Value end,
                Value a) -> Value {
              return forEachChunk(
                  rb, rloc, begin, end, lanes, Value(), a,
                  [&](OpBuilder &cb, Location cloc, Value off, Value mask,
                      Value, Value acc2) -> Value {
                    ElementBuilder eb(cb, cloc, lanes);
                    Value code = widen(eb, readChunk(eb, in.flat, off, mask));
                    Value v = arith::MulFOp::create(
                        cb, cloc, emitDecode(eb, format.element, code),
                        eb.splat(blockTotal));
                    return writeChunk(eb, narrow(eb, v, outElem), acc2, off,
                                      mask);
                  });
            });
        scf::YieldOp::create(nb, nloc, acc);
      });
  return unflatten(b, loc, blocks.getResult(0), outType, codes);
}

/// `format` for the transpose of a rank-2 tensor: every level's block
/// shape with its two dimensions swapped.
nx::ScaledFormat transposedFormat(nx::ScaledFormat format) {
  for (nx::ScaleLevel &level : format.levels) {
    if (level.blockShape.empty())
      continue;
    while (level.blockShape.size() < 2)
      level.blockShape.insert(level.blockShape.begin(), 1);
    std::swap(level.blockShape[0], level.blockShape[1]);
  }
  return format;
}

/// Whether a quantize is better done on the transpose: blocks down the
/// columns of a matrix (a GEMM operand reduced along axis 0) are walked as
/// one-element runs, the transpose's blocks are rows. Only when nothing
/// depends on an element's position but its block: deterministic rounding,
/// and no given per-block scales (whose order would change).
bool quantizeTransposed(const nx::ScaledFormat &f, RankedTensorType type,
                        const nx::Rounding &r) {
  if (type.getRank() != 2 || r.isStochastic() ||
      f.levels.back().rule == nx::ScaleRule::Given ||
      blocksAreRuns(f.levels.back(), type))
    return false;
  auto t = RankedTensorType::get({type.getDimSize(1), type.getDimSize(0)},
                                 type.getElementType());
  return blocksAreRuns(transposedFormat(f).levels.back(), t);
}

template <typename Op> struct ScaledPattern : OpConversionPattern<Op> {
  ScaledPattern(MLIRContext *ctx, const QTrainToVectorOptions &options)
      : OpConversionPattern<Op>(ctx), options(options) {}
  QTrainToVectorOptions options;
};

struct ScaledQuantizeLowering : ScaledPattern<QuantizeOp> {
  using ScaledPattern::ScaledPattern;
  LogicalResult matchAndRewrite(QuantizeOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rw) const override {
    nx::ScaledFormat f = op.getResolvedFormat();
    if (f.levels.empty())
      return failure();
    nx::Rounding r = op.getRoundingRule();
    std::string why = unsupportedReason(f, op.getType(), &r);
    if (!why.empty())
      return rw.notifyMatchFailure(op, why);
    // Blocks down a matrix's columns: quantize the transpose (the same
    // blocks as rows, so the same scales and values) and transpose back.
    bool transpose = quantizeTransposed(f, op.getType(), r);
    Value input = adaptor.getInput();
    RankedTensorType outType = op.getType();
    if (transpose) {
      input = transposeTrailing(rw, op.getLoc(), input);
      outType = llvm::cast<RankedTensorType>(input.getType());
      f = transposedFormat(f);
    }
    ScaledEncodeRequest req{input,
                            f,
                            r,
                            seedOrZero(rw, op.getLoc(), adaptor.getSeed()),
                            adaptor.getRandomData(),
                            adaptor.getScales(),
                            outType,
                            {},
                            /*quantize=*/true,
                            options.vectorWidth,
                            options.tileElements};
    FailureOr<ScaledResults> res = lowerScaledEncode(rw, op.getLoc(), req);
    if (failed(res))
      return failure();
    Value result = res->elements;
    if (transpose)
      result = transposeTrailing(rw, op.getLoc(), result);
    rw.replaceOp(op, result);
    return success();
  }
};

struct ScaledEncodeLowering : ScaledPattern<EncodeOp> {
  using ScaledPattern::ScaledPattern;
  LogicalResult matchAndRewrite(EncodeOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rw) const override {
    nx::ScaledFormat f = op.getResolvedFormat();
    if (f.levels.empty())
      return failure();
    nx::Rounding r = op.getRoundingRule();
    auto inType = llvm::cast<RankedTensorType>(op.getInput().getType());
    std::string why = unsupportedReason(f, inType, &r);
    if (!why.empty())
      return rw.notifyMatchFailure(op, why);
    ScaledEncodeRequest req{
        adaptor.getInput(),
        f,
        r,
        seedOrZero(rw, op.getLoc(), adaptor.getSeed()),
        adaptor.getRandomData(),
        adaptor.getGivenScales(),
        llvm::cast<RankedTensorType>(op.getCodes().getType()),
        op.getScales().getTypes(),
        /*quantize=*/false,
        options.vectorWidth,
        options.tileElements};
    FailureOr<ScaledResults> res = lowerScaledEncode(rw, op.getLoc(), req);
    if (failed(res))
      return failure();
    SmallVector<Value> values = {res->elements};
    values.append(res->scales.begin(), res->scales.end());
    rw.replaceOp(op, values);
    return success();
  }
};

struct ScaledDecodeLowering : ScaledPattern<DecodeOp> {
  using ScaledPattern::ScaledPattern;
  LogicalResult matchAndRewrite(DecodeOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rw) const override {
    nx::ScaledFormat f = op.getResolvedFormat();
    if (f.levels.empty())
      return failure();
    auto codesType = llvm::cast<RankedTensorType>(op.getCodes().getType());
    std::string why = unsupportedReason(f, codesType, nullptr);
    if (!why.empty())
      return rw.notifyMatchFailure(op, why);
    rw.replaceOp(op, lowerScaledDecode(rw, op.getLoc(), adaptor.getCodes(),
                                       adaptor.getScales(), f, op.getType(),
                                       options.vectorWidth));
    return success();
  }
};

} // namespace

void populateQTrainScaledToVectorPatterns(
    RewritePatternSet &patterns, const QTrainToVectorOptions &options) {
  patterns
      .add<ScaledQuantizeLowering, ScaledEncodeLowering, ScaledDecodeLowering>(
          patterns.getContext(), options);
}

} // namespace qtrain
