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

using namespace mlir;

namespace qtrain::accel {

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
    if (!quantize.getScales().empty())
      return cannotMap(quantize) << "given scales are not mapped yet";
    if (quantize.getRandomData())
      return cannotMap(quantize) << "the data random source is not mapped yet";
    source = quantize.getInput();
    tensor.format = quantize.getResolvedFormat();
    tensor.rounding = quantize.getRoundingRule();
    tensor.seed = quantize.getSeed();
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
  return tensor;
}

LogicalResult mapThroughAcc(ProgramEmitter &emitter, Operation *op,
                            const ConvertedTensor &source, unsigned target) {
  const MachineDescription &machine = emitter.getMachine();
  const Buffer &in = emitter.getBuffer(source.buffer);
  int64_t elements = 1;
  for (int64_t d : in.shape)
    elements *= d;
  if (elements == 0)
    return success();

  // A rank-2 view [rows, cols] of the row-major tensor: the last dimension
  // is x; blocks may span y and x only.
  int64_t cols = in.shape.empty() ? 1 : in.shape.back();
  int64_t rows = elements / cols;
  int64_t blockY = 1, blockX = 1;
  bool hasBlock = false;
  size_t rank = in.shape.size();
  for (const numerics::ScaleLevel &level : source.format.levels) {
    if (level.blockShape.empty() && level.axisBlock == 0)
      return cannotMap(op) << "formats with a whole-tensor scale level are "
                              "not mapped yet (they need the vector unit's "
                              "select_scale)";
    hasBlock = true;
    for (size_t d = 0; d + 2 < rank; ++d)
      if (numerics::blockSize(level, rank, d) != 1)
        return cannotMap(op) << "blocks spanning more than the last two "
                                "dimensions are not mapped yet";
    auto extent = [&](size_t d, int64_t size) {
      int64_t b = numerics::blockSize(level, rank, d);
      return b < 0 || b > size ? size : b;
    };
    blockX = extent(rank - 1, cols);
    blockY = rank >= 2 ? extent(rank - 2, in.shape[rank - 2]) : 1;
  }
  if (rank > 2 && blockY > 1)
    return cannotMap(op) << "blocks spanning rows of a tensor of rank above "
                            "2 are not mapped yet";
  int64_t halfAcc = machine.acc.entries / 2;
  if (cols > 65535 || cols > halfAcc) {
    if (hasBlock)
      return cannotMap(op) << "rows of " << cols
                           << " elements do not fit an ACC half";
    // Unblocked: any row-major chunking is the same conversion.
    rows = elements;
    cols = 1;
  }
  int64_t tileRows = std::min<int64_t>({rows, 65535, halfAcc / cols});
  if (tileRows < rows && hasBlock)
    tileRows = tileRows / blockY * blockY;
  if (tileRows == 0)
    return cannotMap(op) << "a block of " << blockY
                         << " rows does not fit an ACC half";

  unsigned seedReg = 0;
  bool stochastic = source.rounding.mode == numerics::RoundingMode::Stochastic;
  if (stochastic) {
    FailureOr<unsigned> reg = emitter.useSeed(source.seed);
    if (failed(reg))
      return failure();
    seedReg = *reg;
  }
  FailureOr<unsigned> rounding = emitter.useRounding(source.rounding, seedReg);
  if (failed(rounding))
    return failure();
  FormatPlacement placement;
  placement.roundingEntry = *rounding;
  placement.blockY = blockY;
  placement.blockX = blockX;
  FailureOr<unsigned> format = emitter.useFormat(source.format, placement);
  if (failed(format))
    return failure();

  TransferStrides strides;
  strides.dramY = cols;
  strides.dramX = 1;
  strides.chipY = cols;
  strides.chipX = 1;
  uint64_t inAddress = in.address;
  uint64_t outAddress = emitter.getBuffer(target).address;
  for (int64_t r0 = 0; r0 < rows; r0 += tileRows) {
    int64_t nr = std::min(tileRows, rows - r0);
    unsigned half = emitter.nextAccHalf();
    uint64_t entry = half * halfAcc;
    unsigned td = emitter.useTransfer(strides);
    if (stochastic)
      emitter.useStream(r0 * cols, cols, 1);
    Instruction load(InstructionKind::Load);
    load.set("dst", LoadDst::Acc);
    load.set("format", *format);
    load.set("td", td);
    load.set("layout", DramLayout::F32);
    load.set("dram_addr", inAddress + 4 * r0 * cols);
    load.set("chip_row", entry);
    load.set("size_z", 1);
    load.set("size_y", nr);
    load.set("size_x", cols);
    SmallVector<Access> accesses = {{{Resource::Dram, source.buffer}, false},
                                    {{Resource::Acc, half}, true}};
    if (stochastic)
      accesses.push_back({{Resource::Seed, seedReg}, false});
    emitter.emitQueued(load, accesses);

    Instruction store(InstructionKind::Store);
    store.set("td", td);
    store.set("layout", DramLayout::Raw32);
    store.set("dram_addr", outAddress + 4 * r0 * cols);
    store.set("acc_entry", entry);
    store.set("size_z", 1);
    store.set("size_y", nr);
    store.set("size_x", cols);
    emitter.emitQueued(store, {{{Resource::Acc, half}, false},
                               {{Resource::Dram, target}, true}});
  }
  return success();
}

} // namespace qtrain::accel
