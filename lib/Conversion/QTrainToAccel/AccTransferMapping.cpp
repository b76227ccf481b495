//===- AccTransferMapping.cpp - Tensors through the accumulator memory ----===//
//
// A tensor that is not a contraction operand reaches DRAM through the ACC:
// LOADs from f32 with the tensor's format (the fused quantize: the ACC gets
// the quantized values, docs/Accelerator.md, LOAD) and STOREs of the raw
// 32 bits. The operand analysis the contractions share is here too.
//
//===----------------------------------------------------------------------===//

#include "Mapping.h"

#include "mlir/IR/BuiltinTypes.h"

#include <numeric>

using namespace mlir;

namespace qtrain::accel {

namespace {

/// A raw32 transfer's fields shared by LOAD and STORE.
Instruction rawTransfer(InstructionKind kind, unsigned td, uint64_t dramAddr,
                        const std::array<int64_t, 3> &shape) {
  Instruction inst(kind);
  inst.set("td", td);
  inst.set("layout", DramLayout::Raw32);
  inst.set("dram_addr", dramAddr);
  inst.set("size_z", shape[0]);
  inst.set("size_y", shape[1]);
  inst.set("size_x", shape[2]);
  return inst;
}

} // namespace

Instruction rawLoad(unsigned td, uint64_t dramAddr, uint64_t entry,
                    const std::array<int64_t, 3> &shape) {
  Instruction load = rawTransfer(InstructionKind::Load, td, dramAddr, shape);
  load.set("dst", LoadDst::Acc);
  load.set("chip_row", entry);
  return load;
}

Instruction rawStore(unsigned td, uint64_t dramAddr, uint64_t entry,
                     const std::array<int64_t, 3> &shape) {
  Instruction store = rawTransfer(InstructionKind::Store, td, dramAddr, shape);
  store.set("acc_entry", entry);
  return store;
}

InFlightDiagnostic cannotMap(Operation *op) {
  return op->emitError() << "cannot map '" << op->getName()
                         << "' to the accelerator: ";
}

FailureOr<ConvertedTensor> analyzeTensor(ProgramEmitter &emitter, Value value,
                                         Operation *user) {
  ConvertedTensor tensor;
  Value source = value;
  auto quantize = value.getDefiningOp<QuantizeOp>();
  if (quantize) {
    source = quantize.getInput();
    tensor.quantized = true;
    tensor.format = quantize.getResolvedFormat();
    tensor.rounding = quantize.getRoundingRule();
    tensor.seed = quantize.getSeed();
    tensor.randomData = quantize.getRandomData();
    // A given scale is mapped for the whole-tensor level only.
    auto scales = quantize.getScales();
    const auto &levels = tensor.format.levels;
    bool givenTensorLevel = !levels.empty() && levels.front().isWholeTensor() &&
                            levels.front().rule == numerics::ScaleRule::Given;
    if (scales.size() > (givenTensorLevel ? 1u : 0u))
      return cannotMap(quantize) << "given block scales are not mapped yet";
    if (givenTensorLevel) {
      tensor.givenScale = scales.front();
      if (!emitter.lookupBuffer(tensor.givenScale))
        return cannotMap(quantize) << "its given scale is not in DRAM";
    }
  } else {
    // f32 values pass through the identity format (e8m23, IEEE specials).
    tensor.format = numerics::ScaledFormat{numerics::MinifloatFormat(), {}};
    tensor.rounding = numerics::Rounding::nearestEven();
  }
  auto type = dyn_cast<RankedTensorType>(source.getType());
  if (!type || !type.getElementType().isF32())
    return cannotMap(quantize ? quantize.getOperation() : user)
           << "only f32 tensors are mapped";
  std::optional<unsigned> buffer = emitter.lookupBuffer(source);
  if (!buffer)
    return cannotMap(user) << "its operand is not in DRAM (computed by an "
                              "op the conversion did not map)";
  tensor.buffer = *buffer;
  tensor.shape.assign(type.getShape().begin(), type.getShape().end());
  return tensor;
}

std::pair<unsigned, Resource>
emitStatisticsPass(ProgramEmitter &emitter, unsigned buffer,
                   unsigned formatEntry, uint64_t mask,
                   std::optional<std::pair<unsigned, Resource>> into,
                   uint64_t medianPass) {
  // The whole tensor in row tiles a LOAD can walk, the first resetting the
  // register.
  const Buffer &in = emitter.getBuffer(buffer);
  int64_t elements = 1;
  for (int64_t d : in.shape)
    elements *= d;
  int64_t cols = in.shape.empty() ? 1 : in.shape.back();
  if (cols > 65535 || cols == 0)
    cols = 1;
  int64_t rows = elements / std::max<int64_t>(cols, 1);
  int64_t tileRows = std::min<int64_t>(
      65535, static_cast<int64_t>(kMaxInstructionPositions) / cols);
  auto [reg, statsResource] = into ? *into : emitter.nextStatsRegister();
  TransferStrides strides;
  strides.dramY = cols;
  strides.dramX = 1;
  for (int64_t r0 = 0; r0 < rows; r0 += tileRows) {
    Instruction load(InstructionKind::Load);
    load.set("dst", LoadDst::None);
    load.set("format", formatEntry);
    load.set("td", emitter.useTransfer(strides));
    load.set("layout", DramLayout::F32);
    load.set("stats_reg", reg);
    load.set("stats_mask", mask);
    load.set("median_pass", medianPass);
    load.set("stats_reset", r0 == 0 && !into);
    load.set("dram_addr", in.address + 4 * r0 * cols);
    load.set("size_z", 1);
    load.set("size_y", std::min(tileRows, rows - r0));
    load.set("size_x", cols);
    emitter.emitQueued(
        load, {{{Resource::Dram, buffer}, false}, {statsResource, true}});
  }
  return {reg, statsResource};
}

FailureOr<ConversionPlan> configureConversion(ProgramEmitter &emitter,
                                              Operation *op,
                                              const ConvertedTensor &tensor,
                                              FormatPlacement placement) {
  ConversionPlan plan;
  std::optional<unsigned> dataBuffer;
  if (tensor.rounding.isStochastic()) {
    plan.stochastic = true;
    if (tensor.rounding.source.kind == numerics::RandomSourceKind::Data) {
      dataBuffer = emitter.lookupBuffer(tensor.randomData);
      if (!dataBuffer)
        return cannotMap(op) << "its random data is not in DRAM (computed by "
                                "an op the conversion did not map)";
      plan.reads.push_back({{Resource::Dram, *dataBuffer}, false});
    } else {
      FailureOr<unsigned> reg = emitter.useSeed(tensor.seed);
      if (failed(reg))
        return failure();
      plan.seedReg = *reg;
      plan.reads.push_back({{Resource::Seed, *reg}, false});
    }
  }
  FailureOr<unsigned> rounding = emitter.useRounding(
      tensor.rounding, plan.seedReg.value_or(0), dataBuffer);
  if (failed(rounding))
    return failure();
  placement.roundingEntry = *rounding;

  const auto &levels = tensor.format.levels;
  const numerics::ScaleLevel *tensorLevel =
      !levels.empty() && levels.front().isWholeTensor() ? &levels.front()
                                                        : nullptr;
  std::optional<std::pair<uint64_t, Resource>> scalar;
  if (tensorLevel) {
    scalar = emitter.nextScalarEntry();
    placement.scaleEntry = scalar->first;
  }
  FailureOr<unsigned> format = emitter.useFormat(tensor.format, placement);
  if (failed(format))
    return failure();
  plan.formatEntry = *format;
  if (!tensorLevel)
    return plan;

  auto [entry, scalarResource] = *scalar;
  plan.tensorScale = scalar;
  if (tensor.givenScale) {
    unsigned buffer = *emitter.lookupBuffer(tensor.givenScale);
    emitScalarLoad(emitter, buffer, entry, scalarResource);
  } else if (tensor.storedScale) {
    emitScalarLoad(emitter, *tensor.storedScale, entry, scalarResource);
  } else {
    auto [reg, statsResource] = emitStatisticsPass(
        emitter, tensor.buffer, plan.formatEntry,
        tensorLevel->rule == numerics::ScaleRule::MedianLookup
            ? StatsMask::MedianHistogram
            : StatsMask::Amax);
    emitScalarVector(emitter, VectorOp::SelectScale, SelectScaleAux::FromStats,
                     plan.formatEntry, reg, entry, entry,
                     {{statsResource, false}, {scalarResource, true}});
  }
  plan.reads.push_back({scalarResource, false});
  return plan;
}

namespace {

/// Tiles of whole blocks of a volume's [planes, rows, cols]: whole rows
/// where a block's planes and rows of them fit an ACC half (then whole
/// planes where a block's planes of them fit), else a block's planes and
/// rows by whole blocks of columns.
FailureOr<RowTiles> planVolumeTiles(Operation *op, RowTiles t,
                                    int64_t halfAcc) {
  // Transfer fields: size_z up to 255, size_y and size_x up to 65535.
  constexpr int64_t kMaxY = 65535;
  auto alignDown = [](int64_t v, int64_t a) { return v / a * a; };
  if (t.blockZ > kMaxTransferZ || t.blockZ * t.blockY * t.blockX > halfAcc)
    return cannotMap(op) << "a block of " << t.blockZ << " x " << t.blockY
                         << " x " << t.blockX
                         << " elements does not fit an ACC half";
  if (t.cols <= kMaxY && t.blockZ * t.blockY * t.cols <= halfAcc) {
    t.tileCols = t.cols;
    if (t.rows <= kMaxY && t.blockZ * t.rows * t.cols <= halfAcc) {
      t.tileRows = t.rows;
      int64_t planes =
          std::min<int64_t>(kMaxTransferZ, halfAcc / (t.rows * t.cols));
      t.tilePlanes =
          planes >= t.planes ? t.planes : alignDown(planes, t.blockZ);
    } else {
      t.tilePlanes = t.blockZ;
      t.tileRows = alignDown(halfAcc / (t.blockZ * t.cols), t.blockY);
    }
  } else {
    t.tilePlanes = t.blockZ;
    t.tileRows = t.blockY;
    t.tileCols = alignDown(halfAcc / (t.blockZ * t.blockY), t.blockX);
  }
  return t;
}

} // namespace

FailureOr<RowTiles> planRowTiles(ProgramEmitter &emitter, Operation *op,
                                 ArrayRef<int64_t> shape,
                                 const numerics::ScaledFormat &format,
                                 int64_t rowAlign) {
  RowTiles t;
  int64_t elements = 1;
  for (int64_t d : shape)
    elements *= d;
  if (elements == 0)
    return t;

  // A rank-2 view [rows, cols] of the row-major tensor: the last dimension
  // is x; blocks may span y and x only.
  t.cols = shape.empty() ? 1 : shape.back();
  t.rows = elements / t.cols;
  size_t rank = shape.size();
  for (const numerics::ScaleLevel &level : format.levels) {
    if (level.isWholeTensor())
      continue; // the whole-tensor level: configureConversion
    t.hasBlock = true;
    SmallVector<int64_t> extent(rank);
    for (size_t d = 0; d < rank; ++d) {
      int64_t b = numerics::blockSize(level, rank, d);
      extent[d] = b < 0 || b > shape[d] ? shape[d] : b;
    }
    // Merge neighbouring dimensions (d, d + 1) while more than two are
    // left, where the blocks stay whole runs of the merged one: when they
    // cover d + 1 whole (extent e_d S_{d+1}: a FlexBlock [c, 3, 3] block's
    // 3 x 3), or are one element along d and tile d + 1 (extent e_{d+1}:
    // an MLS channel group's spatial dimensions). The last pair is merged
    // first while its rows fit an ACC half, else the first pair.
    SmallVector<int64_t> dims(shape.begin(), shape.end());
    auto mergeable = [&](size_t d) {
      return extent[d + 1] == dims[d + 1] ||
             (extent[d] == 1 && dims[d + 1] % extent[d + 1] == 0);
    };
    auto merge = [&](size_t d) {
      int64_t e = extent[d + 1] == dims[d + 1] ? extent[d] * dims[d + 1]
                                               : extent[d + 1];
      dims[d] *= dims[d + 1];
      extent[d] = e;
      dims.erase(dims.begin() + d + 1);
      extent.erase(extent.begin() + d + 1);
    };
    int64_t halfAcc = emitter.accHalfEntries();
    while (dims.size() > 2) {
      size_t last = dims.size() - 2;
      if (mergeable(last) && dims[last] * dims[last + 1] <= halfAcc)
        merge(last);
      else if (mergeable(0))
        merge(0);
      else if (mergeable(last))
        merge(last);
      else
        break;
    }
    // What does not merge into a matrix is a volume: [planes, rows, cols],
    // behind at most one leading dimension the blocks do not span.
    if (dims.size() == 4 && extent[0] == 1) {
      t.volumes = dims[0];
      dims.erase(dims.begin());
      extent.erase(extent.begin());
    }
    if (dims.size() > 3)
      return cannotMap(op) << "blocks spanning dimensions that do not "
                              "merge into three are not mapped yet";
    if (dims.size() == 3) {
      t.planes = dims[0];
      t.blockZ = extent[0];
      dims.erase(dims.begin());
      extent.erase(extent.begin());
    }
    t.cols = dims.empty() ? 1 : dims.back();
    t.rows = elements / t.volumes / t.planes / t.cols;
    t.blockX = dims.empty() ? 1 : extent.back();
    t.blockY = dims.size() == 2 ? extent[0] : 1;
  }
  int64_t halfAcc = emitter.accHalfEntries();
  if (t.isVolume())
    return planVolumeTiles(op, t, halfAcc);
  if (t.cols > 65535 || t.cols > halfAcc) {
    if (t.hasBlock)
      return cannotMap(op) << "rows of " << t.cols
                           << " elements do not fit an ACC half";
    // Unblocked: any row-major chunking is the same conversion.
    t.rows = elements;
    t.cols = 1;
  }
  t.tileRows = std::min<int64_t>({t.rows, 65535, halfAcc / t.cols});
  // Tiles start at block boundaries, and at rowAlign rows when cols is odd.
  int64_t align = t.hasBlock ? t.blockY : 1;
  if (t.cols % 2 && rowAlign > 1)
    align = std::lcm(align, rowAlign);
  t.tileCols = t.cols;
  if (t.tileRows < t.rows)
    t.tileRows = t.tileRows / align * align;
  if (t.tileRows == 0 && t.hasBlock) {
    // Blocks of many rows (a column-blocked operand): tiles of one row of
    // blocks and as many whole blocks of columns as fit.
    int64_t colAlign = t.blockX;
    if (rowAlign > 1)
      colAlign = std::lcm(colAlign, rowAlign);
    t.tileRows = t.blockY;
    t.tileCols = halfAcc / t.blockY / colAlign * colAlign;
    if (t.tileCols == 0)
      return cannotMap(op) << "a block of " << t.blockY << " x " << t.blockX
                           << " elements does not fit an ACC half";
    return t;
  }
  if (t.tileRows == 0)
    return cannotMap(op) << "a block of " << align
                         << " rows does not fit an ACC half";
  return t;
}

LogicalResult mapThroughAcc(ProgramEmitter &emitter, Operation *op,
                            const ConvertedTensor &source,
                            std::optional<unsigned> target,
                            std::optional<unsigned> encoded,
                            std::optional<unsigned> *storedScale) {
  const Buffer &in = emitter.getBuffer(source.buffer);
  // Blocks are relative to the tensor's own shape, which may be a view of
  // a buffer shaped otherwise.
  FailureOr<RowTiles> plan =
      planRowTiles(emitter, op, source.shape.empty() ? in.shape : source.shape,
                   source.format);
  if (failed(plan))
    return failure();
  if (plan->rows == 0)
    return success();
  int64_t cols = plan->cols;
  int64_t halfAcc = emitter.accHalfEntries();

  // The encoded form needs a format entry with its lane layout; the f32
  // store converts the same way through it. (Only the layouts and the bits
  // per element are used here, which do not depend on the row size.)
  std::optional<EncodedForm> form;
  if (encoded)
    form = encodedForm(source.format, emitter.getMachine().inputSp.rowBytes);
  FormatPlacement placement = plan->placement();
  if (form)
    placement.layout = form->spLayout;
  FailureOr<ConversionPlan> conversion =
      configureConversion(emitter, op, source, placement);
  if (failed(conversion))
    return failure();
  bool stochastic = conversion->stochastic;

  TransferStrides strides = plan->strides();
  uint64_t inAddress = in.address;
  plan->forEachTile([&](const RowTiles::Tile &tile) {
    int64_t first = tile.first;
    unsigned half = emitter.nextAccHalf();
    uint64_t entry = half * halfAcc;
    unsigned td = emitter.useTransfer(strides);
    if (stochastic)
      emitter.useStream(first, cols, 1, strides.dramZ);
    // With an encoded form the LOAD is raw and each STORE converts the
    // tile's original values (one conversion per form, both equal to
    // encodeScaled's); otherwise the LOAD converts and the STORE copies.
    bool convertOnLoad = source.quantized && !encoded;
    Instruction load = rawLoad(td, inAddress + 4 * first, entry, tile.shape());
    load.set("format", conversion->formatEntry);
    // A tensor that is not quantized moves unchanged (NaN payloads too).
    if (convertOnLoad)
      load.set("layout", DramLayout::F32);
    SmallVector<Access> accesses = {{{Resource::Dram, source.buffer}, false},
                                    {{Resource::Acc, half}, true}};
    if (convertOnLoad)
      accesses.append(conversion->reads.begin(), conversion->reads.end());
    emitter.emitQueued(load, accesses);

    auto store = [&](unsigned buffer, uint64_t layout, unsigned bits) {
      Instruction s =
          rawStore(td, emitter.getBuffer(buffer).address + first * bits / 8,
                   entry, tile.shape());
      SmallVector<Access> storeAccesses = {{{Resource::Acc, half}, false},
                                           {{Resource::Dram, buffer}, true}};
      if (layout != DramLayout::Raw32) {
        s.set("layout", layout);
        s.set("format", conversion->formatEntry);
        storeAccesses.append(conversion->reads.begin(),
                             conversion->reads.end());
      }
      emitter.emitQueued(s, storeAccesses);
    };
    if (target)
      store(*target, encoded ? DramLayout::F32 : DramLayout::Raw32, 32);
    if (encoded)
      store(*encoded, form->dramLayout, form->lanes.laneBits);
  });
  // Codes (and pairs' block scales) do not hold the whole-tensor scale a
  // later LOAD of them needs in its format entry's ACC entry: it goes to
  // DRAM.
  if (encoded && conversion->tensorScale) {
    auto [entry, resource] = *conversion->tensorScale;
    FailureOr<unsigned> buffer = emitter.allocateBytes(
        emitter.getBuffer(*encoded).name + ".scale", "intermediate", {},
        Float32Type::get(op->getContext()), 4);
    if (failed(buffer))
      return failure();
    storeRaw(emitter, entry, resource.id, *buffer, 0, 1);
    if (storedScale)
      *storedScale = *buffer;
  }
  return success();
}

} // namespace qtrain::accel
