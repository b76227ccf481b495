//===- StatisticsMapping.cpp - qtrain statistics on the accelerator -------===//
//
// docs/Accelerator.md, "The compiler side", Other ops: qtrain.amax is a
// statistics pass (LOADs to nowhere) and VECTOR stats_value; qtrain.
// select_scale is VECTOR select_scale on the loaded statistic. Each
// result, a 0-d tensor, is stored to its DRAM buffer. The amax-history
// shift of a decomposed qtrain.delayed_scale is two raw LOADs and a STORE.
//
//===----------------------------------------------------------------------===//

#include "Mapping.h"

#include "qtrain/Dialect/QTrain/IR/StepAttributes.h"
#include "qtrain/Numerics/Statistics.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;

namespace qtrain::accel {

Instruction scalarVector(ProgramEmitter &emitter, uint64_t op, uint64_t aux,
                         uint64_t dst, uint64_t src1) {
  Instruction v(InstructionKind::Vector);
  unsigned view = emitter.useView({1, 1, 1}, {0, 0, 0});
  v.set("op", op);
  v.set("aux", aux);
  for (StringRef f : {"dst_view", "src1_view", "src2_view"})
    v.set(f, view);
  v.set("dst_entry", dst);
  v.set("src1_entry", src1);
  v.set("src2_entry", src1);
  return v;
}

void emitScalarVector(ProgramEmitter &emitter, uint64_t op, uint64_t aux,
                      unsigned format, unsigned statsReg, uint64_t dst,
                      uint64_t src1, llvm::ArrayRef<Access> accesses) {
  Instruction v = scalarVector(emitter, op, aux, dst, src1);
  v.set("format", format);
  v.set("stats_reg", statsReg);
  emitter.emitQueued(v, accesses);
}

namespace {

/// The transfer of `count` consecutive f32 elements.
unsigned rowTransfer(ProgramEmitter &emitter) {
  TransferStrides strides;
  strides.dramX = 1;
  strides.chipX = 1;
  return emitter.useTransfer(strides);
}

/// A one-element STORE of ACC entry `entry` (in ACC half `half`) to `buffer`.
void storeScalar(ProgramEmitter &emitter, uint64_t entry, unsigned half,
                 unsigned buffer) {
  storeRaw(emitter, entry, half, buffer, 0, 1);
}

} // namespace

void loadRaw(ProgramEmitter &emitter, unsigned buffer, uint64_t first,
             uint64_t entry, int64_t count, Resource accResource) {
  emitter.emitQueued(rawLoad(rowTransfer(emitter),
                             emitter.getBuffer(buffer).address + 4 * first,
                             entry, {1, 1, count}),
                     {{{Resource::Dram, buffer}, false}, {accResource, true}});
}

void storeRaw(ProgramEmitter &emitter, uint64_t entry, unsigned half,
              unsigned buffer, uint64_t first, int64_t count) {
  emitter.emitQueued(
      rawStore(rowTransfer(emitter),
               emitter.getBuffer(buffer).address + 4 * first, entry,
               {1, 1, count}),
      {{{Resource::Acc, half}, false}, {{Resource::Dram, buffer}, true}});
}

void emitScalarLoad(ProgramEmitter &emitter, unsigned buffer, uint64_t entry,
                    Resource accResource) {
  loadRaw(emitter, buffer, 0, entry, 1, accResource);
}

LogicalResult mapAmax(ProgramEmitter &emitter, AmaxOp op) {
  FailureOr<ConvertedTensor> input = analyzeTensor(emitter, op.getInput(), op);
  if (failed(input))
    return failure();
  if (!input->format.levels.empty() ||
      op.getInput().getDefiningOp<QuantizeOp>())
    return cannotMap(op) << "the amax of a quantized value is not mapped yet";
  if (op.getInput().getType().getNumElements() == 0)
    return mapFillValue(emitter, op, op.getResult(), 0); // numerics::amax
  // The identity f32 format names the statistics pass.
  FailureOr<ConversionPlan> f32 =
      configureConversion(emitter, op, *input, FormatPlacement());
  if (failed(f32))
    return failure();
  auto [reg, statsResource] = emitStatisticsPass(
      emitter, input->buffer, f32->formatEntry, StatsMask::Amax);
  unsigned half = emitter.nextAccHalf();
  uint64_t entry = half * emitter.accHalfEntries();
  emitScalarVector(emitter, VectorOp::StatsValue, StatsValue::Amax, 0, reg,
                   entry, entry,
                   {{statsResource, false}, {{Resource::Acc, half}, true}});
  storeScalar(emitter, entry, half, *emitter.lookupBuffer(op.getResult()));
  return success();
}

LogicalResult mapZeroSettingError(ProgramEmitter &emitter,
                                  ZeroSettingErrorOp op) {
  ConvertedTensor tensor;
  std::optional<unsigned> input = emitter.lookupBuffer(op.getInput());
  if (!input)
    return cannotMap(op) << "its operand is not in DRAM (computed by an op "
                            "the conversion did not map)";
  tensor.buffer = *input;
  tensor.quantized = true;
  tensor.format = op.getResolvedFormat();
  tensor.rounding = op.getRoundingRule();
  if (tensor.rounding.isStochastic())
    return cannotMap(op) << "the zero-setting error needs a deterministic "
                            "rounding";
  FailureOr<RowTiles> tiles = planRowTiles(
      emitter, op, op.getInput().getType().getShape(), tensor.format);
  if (failed(tiles))
    return failure();
  if (tiles->rows == 0) // no element: the ratio is 0, as the library's
    return mapFillValue(emitter, op, op.getResult(), 0);
  FailureOr<ConversionPlan> conversion =
      configureConversion(emitter, op, tensor, tiles->placement());
  if (failed(conversion))
    return failure();

  // One statistics pass converting every element (LOADs to nowhere with the
  // zero-setting mask), then the ratio the op's denominator names.
  auto [reg, statsResource] = emitter.nextStatsRegister();
  // Nothing lands on chip: the ACC strides only place blocks.
  TransferStrides strides = tiles->strides();
  uint64_t address = emitter.getBuffer(*input).address;
  bool first = true;
  tiles->forEachTile([&](const RowTiles::Tile &tile) {
    Instruction load(InstructionKind::Load);
    load.set("dst", LoadDst::None);
    load.set("format", conversion->formatEntry);
    load.set("td", emitter.useTransfer(strides));
    load.set("layout", DramLayout::F32);
    load.set("stats_reg", reg);
    load.set("stats_mask", StatsMask::ZeroSetting);
    load.set("stats_reset", first);
    load.set("dram_addr", address + 4 * tile.first);
    load.set("size_z", tile.nz);
    load.set("size_y", tile.nr);
    load.set("size_x", tile.nc);
    SmallVector<Access> accesses = {{{Resource::Dram, *input}, false},
                                    {statsResource, true}};
    accesses.append(conversion->reads.begin(), conversion->reads.end());
    emitter.emitQueued(load, accesses);
    first = false;
  });
  unsigned half = emitter.nextAccHalf();
  uint64_t entry = half * emitter.accHalfEntries();
  emitScalarVector(
      emitter, VectorOp::StatsValue,
      op.getAllElements() ? StatsValue::ZseAll : StatsValue::ZseNonZero, 0, reg,
      entry, entry, {{statsResource, false}, {{Resource::Acc, half}, true}});
  storeScalar(emitter, entry, half, *emitter.lookupBuffer(op.getResult()));
  return success();
}

namespace {

/// The f32 input of a statistics op: its buffer and the identity format's
/// entry that names the statistics pass; statistics are of the values as
/// stored, so a quantize result (whose conversion the pass would not
/// apply) is refused.
FailureOr<std::pair<unsigned, unsigned>>
statisticsInput(ProgramEmitter &emitter, Operation *op, Value input) {
  if (input.getDefiningOp<QuantizeOp>())
    return cannotMap(op) << "statistics of a quantized value are not mapped "
                            "yet";
  FailureOr<ConvertedTensor> tensor = analyzeTensor(emitter, input, op);
  if (failed(tensor))
    return failure();
  FailureOr<ConversionPlan> f32 =
      configureConversion(emitter, op, *tensor, FormatPlacement());
  if (failed(f32))
    return failure();
  return std::make_pair(tensor->buffer, f32->formatEntry);
}

/// The buffer of `op`'s histogram operand.
template <typename OpT>
FailureOr<unsigned> histogramBuffer(ProgramEmitter &emitter, OpT op) {
  std::optional<unsigned> buffer = emitter.lookupBuffer(op.getHistogram());
  if (!buffer)
    return cannotMap(op) << "its histogram is not in DRAM (computed by an op "
                            "the conversion did not map)";
  return *buffer;
}

/// REG_LOAD of a histogram `part` from `buffer` into statistics register
/// `reg`, replacing that part.
void loadHistogram(ProgramEmitter &emitter, unsigned buffer, uint64_t part,
                   std::pair<unsigned, Resource> reg) {
  Instruction load(InstructionKind::RegLoad);
  load.set("regfile", RegFile::Stats);
  load.set("reg", reg.first);
  load.set("part", part);
  load.set("from_dram", 1);
  load.set("dram_addr", emitter.getBuffer(buffer).address);
  emitter.emitQueued(load,
                     {{{Resource::Dram, buffer}, false}, {reg.second, true}});
}

/// REG_STORE of statistics register `reg`'s histogram `part` to `buffer`.
void storeHistogram(ProgramEmitter &emitter, unsigned buffer, uint64_t part,
                    std::pair<unsigned, Resource> reg) {
  Instruction store(InstructionKind::RegStore);
  store.set("regfile", RegFile::Stats);
  store.set("reg", reg.first);
  store.set("part", part);
  store.set("dram_addr", emitter.getBuffer(buffer).address);
  emitter.emitQueued(store,
                     {{reg.second, false}, {{Resource::Dram, buffer}, true}});
}

} // namespace

LogicalResult mapMedianHistogram(ProgramEmitter &emitter,
                                 MedianHistogramOp op) {
  FailureOr<unsigned> histogram = histogramBuffer(emitter, op);
  if (failed(histogram))
    return failure();
  unsigned result = *emitter.lookupBuffer(op.getResult());
  if (op.getInput().getType().getNumElements() == 0)
    return copyWords(emitter, *histogram, result); // nothing to add
  FailureOr<std::pair<unsigned, unsigned>> input =
      statisticsInput(emitter, op, op.getInput());
  if (failed(input))
    return failure();
  std::pair<unsigned, Resource> reg = emitter.nextStatsRegister();
  loadHistogram(emitter, *histogram, StatsPart::MedianHistogram, reg);
  emitStatisticsPass(emitter, input->first, input->second,
                     StatsMask::MedianHistogram, reg);
  storeHistogram(emitter, result, StatsPart::MedianHistogram, reg);
  return success();
}

LogicalResult mapExponentHistogram(ProgramEmitter &emitter,
                                   ExponentHistogramOp op) {
  unsigned result = *emitter.lookupBuffer(op.getResult());
  if (op.getInput().getType().getNumElements() == 0)
    return fillWords(emitter, result, 0); // all counts 0
  FailureOr<std::pair<unsigned, unsigned>> input =
      statisticsInput(emitter, op, op.getInput());
  if (failed(input))
    return failure();
  std::pair<unsigned, Resource> reg = emitStatisticsPass(
      emitter, input->first, input->second, StatsMask::ExponentHistogram);
  storeHistogram(emitter, result, StatsPart::ExponentHistogram, reg);
  return success();
}

LogicalResult mapMedian(ProgramEmitter &emitter, MedianOp op) {
  unsigned result = *emitter.lookupBuffer(op.getResult());
  if (op.getInput().getType().getNumElements() == 0)
    return fillWords(emitter, result, 0); // no element: 0
  FailureOr<std::pair<unsigned, unsigned>> input =
      statisticsInput(emitter, op, op.getInput());
  if (failed(input))
    return failure();
  bool approx = op.getApprox();
  uint64_t pass = approx ? MedianPass::Approx : MedianPass::Radix;
  unsigned passes = approx ? numerics::ApproxMedianSelect::kPasses
                           : numerics::RadixSelect::kPasses;
  unsigned half = emitter.nextAccHalf();
  uint64_t entry = half * emitter.accHalfEntries();
  std::optional<std::pair<unsigned, Resource>> reg;
  for (unsigned p = 0; p < passes; ++p) {
    // The first pass resets a fresh register; the others add to it. A
    // selection done early (no element, all equal) ignores the rest.
    reg =
        emitStatisticsPass(emitter, input->first, input->second, 0, reg, pass);
    Instruction step =
        scalarVector(emitter, VectorOp::StatsValue,
                     op.getNonzero() ? StatsValue::SelectStepNonZero
                                     : StatsValue::SelectStep,
                     entry, entry);
    step.set("stats_reg", reg->first);
    step.set("imm", approx ? op.getBins() : 0);
    emitter.emitQueued(step,
                       {{reg->second, true}, {{Resource::Acc, half}, true}});
  }
  storeScalar(emitter, entry, half, result);
  return success();
}

LogicalResult mapHistogramMedian(ProgramEmitter &emitter,
                                 HistogramMedianOp op) {
  FailureOr<unsigned> histogram = histogramBuffer(emitter, op);
  if (failed(histogram))
    return failure();
  std::pair<unsigned, Resource> reg = emitter.nextStatsRegister();
  loadHistogram(emitter, *histogram, StatsPart::MedianHistogram, reg);
  unsigned half = emitter.nextAccHalf();
  uint64_t entry = half * emitter.accHalfEntries();
  emitScalarVector(emitter, VectorOp::StatsValue,
                   op.getNonzero() ? StatsValue::MedianNonZero
                                   : StatsValue::Median,
                   0, reg.first, entry, entry,
                   {{reg.second, false}, {{Resource::Acc, half}, true}});
  storeScalar(emitter, entry, half, *emitter.lookupBuffer(op.getResult()));
  return success();
}

LogicalResult mapSelectScale(ProgramEmitter &emitter, SelectScaleOp op) {
  std::optional<unsigned> statistic = emitter.lookupBuffer(op.getStatistic());
  if (!statistic)
    return cannotMap(op) << "its statistic is not in DRAM";
  // The op's level as a whole-tensor level of a format of its element.
  numerics::ScaleLevel level = op.getLevel().getLevel();
  level.blockShape.clear();
  level.axisBlock = 0;
  numerics::ScaledFormat format{op.getElement().getScaledFormat().element,
                                {level}};
  FailureOr<unsigned> rounding =
      emitter.useRounding(numerics::Rounding::nearestEven(), 0);
  if (failed(rounding))
    return failure();
  FormatPlacement placement;
  placement.roundingEntry = *rounding;
  FailureOr<unsigned> entry = emitter.useFormat(format, placement);
  if (failed(entry))
    return failure();

  unsigned half = emitter.nextAccHalf();
  uint64_t base = half * emitter.accHalfEntries();
  emitScalarLoad(emitter, *statistic, base, {Resource::Acc, half});
  emitScalarVector(emitter, VectorOp::SelectScale, 0, *entry, 0, base + 1, base,
                   {{{Resource::Acc, half}, true}});
  storeScalar(emitter, base + 1, half, *emitter.lookupBuffer(op.getResult()));
  return success();
}

LogicalResult mapHistoryShift(ProgramEmitter &emitter, tensor::GenerateOp op) {
  // qtrain-decompose's window: element i is history[i + 1], the last one
  // the new amax (select(i == N - 1, amax, history[min(i + 1, N - 1)])).
  auto type = cast<RankedTensorType>(op.getType());
  auto yield = cast<tensor::YieldOp>(op.getBody().front().getTerminator());
  auto select = yield.getValue().getDefiningOp<arith::SelectOp>();
  tensor::ExtractOp older =
      select ? select.getFalseValue().getDefiningOp<tensor::ExtractOp>()
             : nullptr;
  tensor::ExtractOp newest =
      select ? select.getTrueValue().getDefiningOp<tensor::ExtractOp>()
             : nullptr;
  if (!op->hasAttr(kHistoryShiftAttr) || !older || !newest ||
      type.getRank() != 1 || !type.hasStaticShape() ||
      !type.getElementType().isF32() ||
      op.getBody().isAncestor(newest->getParentRegion()) ||
      newest.getTensor().getType().getRank() != 0 ||
      older.getTensor().getType() != type)
    return cannotMap(op) << "only the amax-history shift qtrain-decompose "
                            "makes of qtrain.delayed_scale is mapped";
  std::optional<unsigned> history = emitter.lookupBuffer(older.getTensor());
  std::optional<unsigned> amax = emitter.lookupBuffer(newest.getTensor());
  if (!history || !amax)
    return cannotMap(op) << "its history or amax is not in DRAM";
  const int64_t n = type.getDimSize(0);
  if (n > emitter.accHalfEntries())
    return cannotMap(op) << "a history of " << n
                         << " entries is longer than an ACC half ("
                         << emitter.accHalfEntries() << " entries)";
  unsigned half = emitter.nextAccHalf();
  uint64_t entry = half * emitter.accHalfEntries();
  Resource acc{Resource::Acc, half};
  if (n > 1)
    loadRaw(emitter, *history, 1, entry, n - 1, acc);
  loadRaw(emitter, *amax, 0, entry + n - 1, 1, acc);
  storeRaw(emitter, entry, half, *emitter.lookupBuffer(op.getResult()), 0, n);
  return success();
}

} // namespace qtrain::accel
