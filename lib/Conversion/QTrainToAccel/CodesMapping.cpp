//===- CodesMapping.cpp - qtrain.encode and qtrain.decode -----------------===//
//
// The storage form in DRAM: element codes in the `codes` layout (right-
// aligned in cw(F) bits, 4-bit codes two per byte) and each block's scale
// in a scale array (one byte per power-of-two scale code, four per f32
// scale), row-major over the block grid as the ops' scale results are
// (docs/Accelerator.md, "DRAM" and "Transfer descriptors"). An encode is a
// raw LOAD into the ACC and a STORE that converts; a decode a LOAD that
// converts back and a raw STORE.
//
//===----------------------------------------------------------------------===//

#include "Mapping.h"

#include "qtrain/Accel/Layout.h"

#include "mlir/IR/BuiltinTypes.h"

using namespace mlir;

namespace qtrain::accel {

namespace {

/// The position of the block level among the format's levels (and so among
/// an encode's scale results or a decode's scale operands).
std::optional<size_t> blockLevelIndex(const numerics::ScaledFormat &format) {
  for (auto [i, level] : llvm::enumerate(format.levels))
    if (!level.isWholeTensor())
      return i;
  return std::nullopt;
}

/// What the mapping supports of an encode's or decode's scales: a
/// whole-tensor level's scale stored as f32, moved raw between DRAM and its
/// ACC entry (a code would need a conversion of the scale itself).
LogicalResult checkTensorScales(Operation *op,
                                const numerics::ScaledFormat &format,
                                TypeRange scaleTypes) {
  for (auto [level, type] : llvm::zip(format.levels, scaleTypes)) {
    Type element = cast<ShapedType>(type).getElementType();
    if (level.isWholeTensor() && !element.isF32())
      return cannotMap(op) << "a whole-tensor scale stored as " << element
                           << " is not mapped yet (only f32)";
  }
  return success();
}

/// A codes transfer of the row tiles: the tensor's shape, its code buffer
/// and, with a block level, its scale buffer.
struct CodesTransfer {
  RowTiles tiles;
  const Buffer *codes = nullptr;
  std::optional<unsigned> scales;
  unsigned codeBits = 0, scaleBytes = 0;
};

FailureOr<CodesTransfer> planCodes(ProgramEmitter &emitter, Operation *op,
                                   ArrayRef<int64_t> shape,
                                   const numerics::ScaledFormat &format,
                                   unsigned codesBuffer,
                                   std::optional<unsigned> scalesBuffer) {
  CodesTransfer t;
  t.codeBits = codeWidth(format.element);
  t.codes = &emitter.getBuffer(codesBuffer);
  t.scales = scalesBuffer;
  // The tensor's codes must be laid out as the transfers write them.
  Type codeType = t.codes->elementType;
  if (dramElementBits(codeType) != t.codeBits)
    return cannotMap(op) << "codes of " << codeType << " do not have the "
                         << t.codeBits << "-bit width of the format's codes";
  FailureOr<RowTiles> tiles = planRowTiles(emitter, op, shape, format,
                                           /*rowAlign=*/t.codeBits < 8 ? 2 : 1);
  if (failed(tiles))
    return failure();
  t.tiles = *tiles;
  if (t.tiles.isVolume())
    return cannotMap(op) << "blocks over three dimensions that do not merge "
                            "into a matrix are not mapped for codes yet";
  // Every tile must start on a byte: 4-bit codes of a tile of an odd number
  // of rows of odd length would not (the row tiles avoid it; a column tile
  // of blocks of odd height cannot).
  if (t.codeBits < 8 && t.tiles.cols % 2 && t.tiles.tileRows % 2 &&
      t.tiles.tileRows < t.tiles.rows)
    return cannotMap(op) << "4-bit codes in tiles of " << t.tiles.tileRows
                         << " rows of " << t.tiles.cols
                         << " elements would not start on a byte";
  if (t.tiles.hasBlock) {
    if (!scalesBuffer)
      return cannotMap(op) << "its block scales are not in DRAM";
    Type scaleType = emitter.getBuffer(*scalesBuffer).elementType;
    t.scaleBytes = scaleType.isF32() ? 4 : 1;
    if (!scaleType.isF32() && scaleType.getIntOrFloatBitWidth() > 8)
      return cannotMap(op) << "scale codes of " << scaleType
                           << " are wider than a byte";
  }
  return t;
}

/// Points the scale-array register at the scales of the tile at (r0, c0):
/// the block grid is row-major, ceil(cols / blockX) blocks per row of
/// blocks.
void useScalesOfTile(ProgramEmitter &emitter, const CodesTransfer &t,
                     int64_t r0, int64_t c0) {
  if (!t.tiles.hasBlock)
    return;
  int64_t perRow = llvm::divideCeil(t.tiles.cols, t.tiles.blockX);
  int64_t first = (r0 / t.tiles.blockY) * perRow + c0 / t.tiles.blockX;
  emitter.useScaleArray(
      emitter.getBuffer(*t.scales).address + first * t.scaleBytes, perRow, 1);
}

/// The transfer descriptor of every tile: rows of `cols` elements in DRAM
/// (in each layout's own element size), of the tile's width in the ACC.
unsigned tileTransfer(ProgramEmitter &emitter, const RowTiles &tiles) {
  return emitter.useTransfer(tiles.strides());
}

} // namespace

LogicalResult mapEncode(ProgramEmitter &emitter, EncodeOp op) {
  if (!op.getGivenScales().empty())
    return cannotMap(op) << "given scales are not mapped yet";
  auto inType = cast<RankedTensorType>(op.getInput().getType());
  if (!inType.getElementType().isF32())
    return cannotMap(op) << "only f32 tensors are mapped";
  std::optional<unsigned> input = emitter.lookupBuffer(op.getInput());
  if (!input)
    return cannotMap(op) << "its operand is not in DRAM (computed by an op "
                            "the conversion did not map)";
  ConvertedTensor tensor;
  tensor.buffer = *input;
  tensor.quantized = true;
  tensor.format = op.getResolvedFormat();
  tensor.rounding = op.getRoundingRule();
  tensor.seed = op.getSeed();
  tensor.randomData = op.getRandomData();
  if (failed(checkTensorScales(op, tensor.format, op.getScales().getTypes())))
    return failure();
  std::optional<unsigned> scales;
  if (std::optional<size_t> block = blockLevelIndex(tensor.format))
    scales = emitter.lookupBuffer(op.getScales()[*block]);
  FailureOr<CodesTransfer> t =
      planCodes(emitter, op, inType.getShape(), tensor.format,
                *emitter.lookupBuffer(op.getCodes()), scales);
  if (failed(t))
    return failure();
  const RowTiles &tiles = t->tiles;
  // An empty tensor's scale tensors are empty too (grid [0, ...]).
  if (tiles.rows == 0)
    return success();
  FailureOr<ConversionPlan> conversion =
      configureConversion(emitter, op, tensor, tiles.placement());
  if (failed(conversion))
    return failure();
  // The whole-tensor scale in storage form: its f32 value, as computed.
  if (auto scale = conversion->tensorScale)
    storeRaw(emitter, scale->first, scale->second.id,
             *emitter.lookupBuffer(op.getScales()[0]), 0, 1);

  int64_t halfAcc = emitter.accHalfEntries();
  unsigned codesBuffer = *emitter.lookupBuffer(op.getCodes());
  uint64_t inAddress = emitter.getBuffer(*input).address;
  tiles.forEachTile([&](const RowTiles::Tile &tile) {
    int64_t first = tile.first;
    std::array<int64_t, 3> shape = tile.shape();
    unsigned half = emitter.nextAccHalf();
    uint64_t entry = half * halfAcc;
    unsigned td = tileTransfer(emitter, tiles);
    emitter.emitQueued(
        rawLoad(td, inAddress + 4 * first, entry, shape),
        {{{Resource::Dram, *input}, false}, {{Resource::Acc, half}, true}});

    if (conversion->stochastic)
      emitter.useStream(first, tiles.cols, 1);
    useScalesOfTile(emitter, *t, tile.r0, tile.c0);
    Instruction store =
        rawStore(td, t->codes->address + first * t->codeBits / 8, entry, shape);
    store.set("layout", DramLayout::Codes);
    store.set("format", conversion->formatEntry);
    SmallVector<Access> accesses = {{{Resource::Acc, half}, false},
                                    {{Resource::Dram, codesBuffer}, true}};
    if (tiles.hasBlock)
      accesses.push_back({{Resource::Dram, *t->scales}, true});
    accesses.append(conversion->reads.begin(), conversion->reads.end());
    emitter.emitQueued(store, accesses);
  });
  return success();
}

LogicalResult mapDecode(ProgramEmitter &emitter, DecodeOp op) {
  std::optional<unsigned> codes = emitter.lookupBuffer(op.getCodes());
  if (!codes)
    return cannotMap(op) << "its codes are not in DRAM (computed by an op "
                            "the conversion did not map)";
  for (Value scale : op.getScales())
    if (!emitter.lookupBuffer(scale))
      return cannotMap(op) << "its scales are not in DRAM (computed by an op "
                              "the conversion did not map)";
  ConvertedTensor tensor;
  tensor.buffer = *codes;
  tensor.quantized = true;
  tensor.format = op.getResolvedFormat();
  tensor.rounding = numerics::Rounding::nearestEven();
  if (failed(checkTensorScales(op, tensor.format, op.getScales().getTypes())))
    return failure();
  std::optional<unsigned> scales;
  if (std::optional<size_t> block = blockLevelIndex(tensor.format))
    scales = emitter.lookupBuffer(op.getScales()[*block]);
  // A whole-tensor scale is read back into its ACC entry, as a given one.
  if (!tensor.format.levels.empty() && tensor.format.levels[0].isWholeTensor())
    tensor.givenScale = op.getScales()[0];
  auto shape = cast<RankedTensorType>(op.getCodes().getType()).getShape();
  FailureOr<CodesTransfer> t =
      planCodes(emitter, op, shape, tensor.format, *codes, scales);
  if (failed(t))
    return failure();
  const RowTiles &tiles = t->tiles;
  if (tiles.rows == 0)
    return success();
  FailureOr<ConversionPlan> conversion =
      configureConversion(emitter, op, tensor, tiles.placement());
  if (failed(conversion))
    return failure();

  int64_t halfAcc = emitter.accHalfEntries();
  unsigned out = *emitter.lookupBuffer(op.getResult());
  uint64_t outAddress = emitter.getBuffer(out).address;
  tiles.forEachTile([&](const RowTiles::Tile &tile) {
    int64_t first = tile.first;
    std::array<int64_t, 3> shape = tile.shape();
    unsigned half = emitter.nextAccHalf();
    uint64_t entry = half * halfAcc;
    unsigned td = tileTransfer(emitter, tiles);
    useScalesOfTile(emitter, *t, tile.r0, tile.c0);
    Instruction load =
        rawLoad(td, t->codes->address + first * t->codeBits / 8, entry, shape);
    load.set("layout", DramLayout::Codes);
    load.set("format", conversion->formatEntry);
    SmallVector<Access> accesses = {{{Resource::Dram, *codes}, false},
                                    {{Resource::Acc, half}, true}};
    if (tiles.hasBlock)
      accesses.push_back({{Resource::Dram, *scales}, false});
    accesses.append(conversion->reads.begin(), conversion->reads.end());
    emitter.emitQueued(load, accesses);
    emitter.emitQueued(
        rawStore(td, outAddress + 4 * first, entry, shape),
        {{{Resource::Acc, half}, false}, {{Resource::Dram, out}, true}});
  });
  return success();
}

} // namespace qtrain::accel
