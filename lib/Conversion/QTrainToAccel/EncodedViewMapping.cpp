//===- EncodedViewMapping.cpp - Operands read from an encoded form --------===//
//
// docs/Accelerator.md, "The compiler side", Convolutions: a matmul operand
// that is a quantized tensor seen through reshapes and permutation copies
// (a convolution's filter as [F, C KH KW], its transpose for backward_data,
// the errors as [F, N OH OW] for backward_weight) is loaded from the
// quantized tensor's encoded form (codes, or codes paired with their block
// scale codes) with the view's strides, so the GEMM runs
// in the operand's mode; the copies are not made. Each matrix dimension of
// the view is a list of terms (extent, stride in source elements), outer
// first; a scratchpad tile is split into boxes of those terms and each box
// into LOADs of at most three varying terms.
//
//===----------------------------------------------------------------------===//

#include "Mapping.h"

#include "mlir/IR/BuiltinTypes.h"

using namespace mlir;

namespace qtrain::accel {

namespace {

using Terms = SmallVector<StridedTerm, 4>;

/// The terms of `value`'s dimensions through view op `op` (whose input has
/// `in`), or nothing when a reshape splits a term unevenly.
std::optional<SmallVector<Terms>> through(Operation *op, ArrayRef<Terms> in) {
  SmallVector<Terms> out;
  if (auto collapse = dyn_cast<tensor::CollapseShapeOp>(op)) {
    for (const ReassociationIndices &group :
         collapse.getReassociationIndices()) {
      Terms merged;
      for (int64_t d : group)
        merged.append(in[d].begin(), in[d].end());
      out.push_back(merged);
    }
    return out;
  }
  if (auto expand = dyn_cast<tensor::ExpandShapeOp>(op)) {
    ArrayRef<int64_t> shape = expand.getResultType().getShape();
    for (auto [d, group] : llvm::enumerate(expand.getReassociationIndices())) {
      // Peel the group's dimensions off the source dimension's terms,
      // innermost first, splitting a term where it divides evenly.
      Terms terms = in[d];
      SmallVector<Terms> parts(group.size());
      for (int i = static_cast<int>(group.size()) - 1; i >= 0; --i) {
        int64_t need = shape[group[i]];
        while (need > 1 || (i == 0 && !terms.empty())) {
          if (terms.empty())
            return std::nullopt;
          StridedTerm &t = terms.back();
          if (t.extent == 1) {
            terms.pop_back();
            continue;
          }
          if (need == 1)
            return std::nullopt; // terms left over for the outermost
          if (t.extent % need == 0) {
            parts[i].insert(parts[i].begin(), {need, t.stride});
            t.stride *= need;
            t.extent /= need;
            need = 1;
          } else if (need % t.extent == 0) {
            parts[i].insert(parts[i].begin(), t);
            need /= t.extent;
            terms.pop_back();
          } else {
            return std::nullopt;
          }
        }
      }
      out.append(parts.begin(), parts.end());
    }
    return out;
  }
  // A permutation copy: result dimension (loop) l reads input dimension r
  // where the input map sends r's position to loop l.
  auto generic = cast<linalg::GenericOp>(op);
  AffineMap map = generic.getIndexingMapsArray()[0];
  out.resize(in.size());
  for (unsigned r = 0; r < in.size(); ++r)
    out[map.getDimPosition(r)] = in[r];
  return out;
}

/// A varying term of a box: its extent and its steps in DRAM (source
/// elements) and on chip (slots).
struct Varying {
  int64_t extent, dram, chip;
};

} // namespace

bool isViewOp(Operation *op) {
  if (isa<tensor::CollapseShapeOp, tensor::ExpandShapeOp>(op))
    return cast<RankedTensorType>(op->getResult(0).getType()).hasStaticShape();
  auto generic = dyn_cast<linalg::GenericOp>(op);
  return generic && isPermutationCopy(generic);
}

bool hasEncodedForm(QuantizeOp quantize) {
  if (!quantize || !quantize.getScales().empty())
    return false;
  // At most one whole-tensor level, stored to DRAM and loaded back before
  // the GEMM reads the codes, then a block level whose scale each pair
  // carries, or nothing.
  const numerics::ScaledFormat &format = quantize.getResolvedFormat();
  ArrayRef<numerics::ScaleLevel> levels = format.levels;
  if (!levels.empty() && levels.front().isWholeTensor())
    levels = levels.drop_front();
  if (levels.empty())
    // Codes are addressed per element, so narrower ones (sharing bytes) are
    // not; nor are elements no GEMM mode multiplies (integers of more than
    // 24 significant bits), which the f32 path maps.
    return codeWidth(format.element) >= 8 &&
           neededGemmMode(format.element) != kNoGemmMode;
  return levels.size() == 1 && !levels.front().isWholeTensor();
}

EncodedForm encodedForm(const numerics::ScaledFormat &format,
                        uint64_t rowBytes) {
  EncodedForm form;
  if (format.levels.empty() || format.levels.back().isWholeTensor()) {
    form.lanes = laneLayout(format.element, /*blockScale=*/nullptr,
                            /*paired=*/false, rowBytes);
    assert(form.lanes.laneBits % 8 == 0 && "codes of whole bytes");
    return form;
  }
  form.lanes = laneLayout(format.element, &format.levels.back().format,
                          /*paired=*/true, rowBytes);
  form.spLayout = SpLayout::Paired;
  form.dramLayout = DramLayout::Paired;
  return form;
}

std::optional<EncodedView> encodedViewOf(Value operand) {
  auto type = dyn_cast<RankedTensorType>(operand.getType());
  if (!type || type.getRank() != 2)
    return std::nullopt;
  SmallVector<Operation *> chain;
  Value v = operand;
  while (Operation *def = v.getDefiningOp()) {
    if (!isViewOp(def))
      break;
    chain.push_back(def);
    v = def->getOperand(0);
  }
  auto quantize = v.getDefiningOp<QuantizeOp>();
  if (chain.empty() || !hasEncodedForm(quantize))
    return std::nullopt;
  auto sourceType = cast<RankedTensorType>(v.getType());
  if (!sourceType.hasStaticShape())
    return std::nullopt;
  SmallVector<Terms> dims;
  int64_t stride = 1;
  dims.resize(sourceType.getRank());
  for (int d = sourceType.getRank() - 1; d >= 0; --d) {
    dims[d] = {{sourceType.getDimSize(d), stride}};
    stride *= sourceType.getDimSize(d);
  }
  for (Operation *op : llvm::reverse(chain)) {
    std::optional<SmallVector<Terms>> next = through(op, dims);
    if (!next)
      return std::nullopt;
    dims = std::move(*next);
  }
  EncodedView view;
  view.source = quantize;
  view.dims = {dims[0], dims[1]};
  return view;
}

bool onlyFeedsEncodedViews(Value value) {
  return !value.use_empty() &&
         llvm::all_of(value.getUses(), [&](OpOperand &use) {
           Operation *owner = use.getOwner();
           if (isa<MatmulOp>(owner))
             return encodedViewOf(value).has_value();
           return isViewOp(owner) && onlyFeedsEncodedViews(owner->getResult(0));
         });
}

void emitEncodedLoad(ProgramEmitter &emitter, const EncodedTile &tile,
                     unsigned encoded, const TransferStrides &strides,
                     int64_t sourceOffset, uint64_t slot,
                     const std::array<int64_t, 3> &shape) {
  const int64_t lanes = tile.form.lanes.lanesPerRow;
  Instruction load(InstructionKind::Load);
  load.set("dst", tile.dst);
  load.set("format", tile.formatEntry);
  load.set("td", emitter.useTransfer(strides));
  load.set("layout", tile.form.dramLayout);
  load.set("dram_addr", emitter.getBuffer(encoded).address +
                            sourceOffset * (tile.form.lanes.laneBits / 8));
  load.set("chip_row", slot / lanes);
  load.set("chip_lane", slot % lanes);
  load.set("size_z", shape[0]);
  load.set("size_y", shape[1]);
  load.set("size_x", shape[2]);
  SmallVector<Access> accesses = {{{Resource::Dram, encoded}, false},
                                  {tile.scratchpad, true}};
  accesses.append(tile.reads.begin(), tile.reads.end());
  emitter.emitQueued(load, accesses);
}

LogicalResult loadEncodedViewTile(ProgramEmitter &emitter, Operation *op,
                                  const EncodedView &view,
                                  const EncodedTile &tile) {
  std::optional<unsigned> encoded =
      emitter.lookupEncoded(QuantizeOp(view.source).getResult());
  if (!encoded)
    return cannotMap(op) << "the encoded form of its operand was not written";

  // Slot of a position: (y - y0) S + (x - k0); each term's step on chip is
  // its suffix within its side (times S along y).
  const Terms &yTerms = view.dims[tile.yDim],
              &xTerms = view.dims[1 - tile.yDim];
  auto extents = [](const Terms &terms) {
    SmallVector<int64_t> e;
    for (const StridedTerm &t : terms)
      e.push_back(t.extent);
    return e;
  };
  auto chipSteps = [](const Terms &terms, int64_t unit) {
    SmallVector<int64_t> steps(terms.size());
    for (int i = static_cast<int>(terms.size()) - 1; i >= 0; --i) {
      steps[i] = unit;
      unit *= terms[i].extent;
    }
    return steps;
  };
  SmallVector<int64_t> yChip = chipSteps(yTerms, tile.slotsPerVector);
  SmallVector<int64_t> xChip = chipSteps(xTerms, 1);
  SmallVector<Box> xBoxes;
  forEachRangeBox(extents(xTerms), tile.k0, tile.nk,
                  [&](const Box &box) { xBoxes.push_back(box); });

  forEachRangeBox(extents(yTerms), tile.y0, tile.ny, [&](const Box &yBox) {
    for (const Box &xBox : xBoxes) {
      // The box's first element and its varying terms, innermost last.
      int64_t dram = 0;
      int64_t chip = tile.firstSlot +
                     (yBox.start - tile.y0) * tile.slotsPerVector +
                     (xBox.start - tile.k0);
      SmallVector<Varying> varying;
      auto collect = [&](const Terms &terms, const Box &box,
                         ArrayRef<int64_t> steps) {
        for (size_t i = 0; i < terms.size(); ++i) {
          dram += box.lo[i] * terms[i].stride;
          int64_t n = box.hi[i] - box.lo[i];
          if (n == 1)
            continue;
          varying.push_back({n, terms[i].stride, steps[i]});
        }
      };
      collect(yTerms, yBox, yChip);
      collect(xTerms, xBox, xChip);
      // Merge neighbours whose steps chain (the outer steps by the inner's
      // extent times its step on both sides).
      SmallVector<Varying> merged;
      for (const Varying &v : varying) {
        if (!merged.empty()) {
          Varying &outer = merged.back();
          if (outer.dram == v.extent * v.dram &&
              outer.chip == v.extent * v.chip) {
            outer = {outer.extent * v.extent, v.dram, v.chip};
            continue;
          }
        }
        merged.push_back(v);
      }
      // The three longest terms are a LOAD's (z, y, x), x the longest;
      // the others are loops of LOADs.
      SmallVector<unsigned> order(merged.size());
      for (unsigned i = 0; i < order.size(); ++i)
        order[i] = i;
      llvm::stable_sort(order, [&](unsigned a, unsigned b) {
        return merged[a].extent > merged[b].extent;
      });
      std::array<Varying, 3> walk = {Varying{1, 0, 0}, Varying{1, 0, 0},
                                     Varying{1, 0, 0}};
      SmallVector<Varying> loops;
      for (unsigned r = 0; r < order.size(); ++r) {
        if (r < 3)
          walk[2 - r] = merged[order[r]];
        else
          loops.push_back(merged[order[r]]);
      }
      TransferStrides strides;
      strides.dramZ = walk[0].dram, strides.dramY = walk[1].dram,
      strides.dramX = walk[2].dram;
      strides.chipZ = walk[0].chip, strides.chipY = walk[1].chip,
      strides.chipX = walk[2].chip;
      // Every combination of the loop terms, and z in chunks of size_z's
      // limit.
      int64_t count = 1;
      for (const Varying &l : loops)
        count *= l.extent;
      for (int64_t c = 0; c < count; ++c) {
        int64_t rest = c, d = dram, s = chip;
        for (const Varying &l : llvm::reverse(loops)) {
          d += (rest % l.extent) * l.dram;
          s += (rest % l.extent) * l.chip;
          rest /= l.extent;
        }
        for (int64_t z0 = 0; z0 < walk[0].extent; z0 += kMaxTransferZ)
          emitEncodedLoad(emitter, tile, *encoded, strides,
                          d + z0 * walk[0].dram, s + z0 * walk[0].chip,
                          {std::min(kMaxTransferZ, walk[0].extent - z0),
                           walk[1].extent, walk[2].extent});
      }
    }
  });
  return success();
}

} // namespace qtrain::accel
