//===- GenericRewrites.cpp - Generics into the vector unit's reach -------===//
//
// Rewrites before mapping (views and generics only, so the values stay the
// CPU lowering's):
//
// Divided loops. A generic whose maps read `d floordiv k` or `(d floordiv k) *
// k + c` (a max-pool gradient routes each window's gradient to the window's
// positions) is not a set of strided views as it stands. Writing
// d = k q + r, each residue r is one: the operands whose dimension runs
// along d are reshaped [.., k Q, ..] -> [.., Q, k, ..] (views), and for a
// fixed r every result is a loop or a constant index:
//
//   d                    ->  (q, r)
//   (d floordiv k) k + c ->  (q, c)
//   d floordiv k         ->  q
//
// so the generic becomes one generic per residue over the q loops, each
// writing its residue's positions of the output (the next one's initial
// value), and linalg.index d is k q + r in the body. The loops' order
// within a residue is the original's restricted to it, and every output
// position is written by exactly one residue from the same inputs, so the
// values are those of the original loops.
//
// Merged loops. A generic of more than three loops has neighbouring loops
// (a, a + 1) merged where every operand that reads them reads a then a + 1
// as neighbouring dimensions (a collapse_shape of the operand, a view), no
// linalg.index reads them and both iterate alike: a bias added over NCHW is
// (n, c, h w). Written here rather than with linalg's
// collapseOpIterationDims, which drops a `floordiv` beside a merged pair
// (a wrong program) and fails on constant indices.
//
//===----------------------------------------------------------------------===//

#include "Mapping.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/PatternMatch.h"

using namespace mlir;

namespace qtrain::accel {

namespace {

/// A map result as this rewrite reads it: loop `dim`, divided by `divisor`
/// (1: not divided), then multiplied back and offset (`multiplied`:
/// (d floordiv k) * k + offset).
struct DividedResult {
  unsigned dim = 0;
  int64_t divisor = 1, offset = 0;
  bool multiplied = false;
};

std::optional<DividedResult> parseResult(AffineExpr e) {
  DividedResult r;
  if (auto dim = dyn_cast<AffineDimExpr>(e)) {
    r.dim = dim.getPosition();
    return r;
  }
  auto bin = dyn_cast<AffineBinaryOpExpr>(e);
  if (!bin)
    return std::nullopt;
  auto constantOf = [](AffineExpr x) -> std::optional<int64_t> {
    if (auto c = dyn_cast<AffineConstantExpr>(x))
      return c.getValue();
    return std::nullopt;
  };
  // (d floordiv k) [* k] [+ c]
  if (bin.getKind() == AffineExprKind::Add) {
    std::optional<int64_t> c = constantOf(bin.getRHS());
    std::optional<DividedResult> inner = parseResult(bin.getLHS());
    if (!c || !inner || !inner->multiplied || *c < 0 || *c >= inner->divisor)
      return std::nullopt;
    inner->offset = *c;
    return inner;
  }
  if (bin.getKind() == AffineExprKind::Mul) {
    std::optional<int64_t> k = constantOf(bin.getRHS());
    std::optional<DividedResult> inner = parseResult(bin.getLHS());
    if (!k || !inner || inner->divisor != *k || inner->multiplied)
      return std::nullopt;
    inner->multiplied = true;
    return inner;
  }
  if (bin.getKind() == AffineExprKind::FloorDiv) {
    std::optional<int64_t> k = constantOf(bin.getRHS());
    auto dim = dyn_cast<AffineDimExpr>(bin.getLHS());
    if (!k || *k < 2 || !dim)
      return std::nullopt;
    r.dim = dim.getPosition();
    r.divisor = *k;
    return r;
  }
  return std::nullopt;
}

/// Splits `op` by residue when its maps divide loops; returns whether it
/// did.
bool splitByResidue(linalg::GenericOp op, IRRewriter &rewriter) {
  if (op.getNumDpsInits() != 1 || op.getNumReductionLoops() != 0 ||
      !op.hasPureTensorSemantics())
    return false;
  unsigned loops = op.getNumLoops();
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  SmallVector<int64_t> divisor(loops, 1);
  SmallVector<SmallVector<DividedResult>> parsed;
  for (AffineMap map : maps) {
    SmallVector<DividedResult> results;
    for (AffineExpr e : map.getResults()) {
      std::optional<DividedResult> r = parseResult(e);
      if (!r)
        return false;
      if (r->divisor > 1) {
        if (divisor[r->dim] != 1 && divisor[r->dim] != r->divisor)
          return false;
        divisor[r->dim] = r->divisor;
      }
      results.push_back(*r);
    }
    parsed.push_back(results);
  }
  if (llvm::all_of(divisor, [](int64_t k) { return k == 1; }))
    return false;
  for (unsigned d = 0; d < loops; ++d)
    if (ShapedType::isDynamic(ranges[d]) || ranges[d] % divisor[d])
      return false;

  Location loc = op.getLoc();
  MLIRContext *ctx = op.getContext();
  rewriter.setInsertionPoint(op);
  // Each operand reshaped so that a divided loop's plain or multiplied
  // result is two dimensions (q, residue); the maps' results per residue.
  struct Operand {
    Value value;
    /// Per result: the (q) dim and, when expanded, where the residue or
    /// constant goes (-1: the loop itself is the result).
    SmallVector<std::pair<unsigned, int64_t>> results;
    SmallVector<bool> expanded;
  };
  SmallVector<Operand> operands;
  for (auto [i, operand] : llvm::enumerate(op->getOpOperands())) {
    auto type = cast<RankedTensorType>(operand.get().getType());
    SmallVector<int64_t> shape;
    SmallVector<ReassociationIndices> groups;
    Operand o;
    for (auto [j, r] : llvm::enumerate(parsed[i])) {
      int64_t k = divisor[r.dim];
      bool expand = k > 1 && (r.divisor == 1 || r.multiplied);
      ReassociationIndices group = {static_cast<int64_t>(shape.size())};
      if (expand) {
        shape.push_back(type.getDimSize(j) / k);
        shape.push_back(k);
        group.push_back(shape.size() - 1);
      } else {
        shape.push_back(type.getDimSize(j));
      }
      groups.push_back(group);
      o.expanded.push_back(expand);
      o.results.push_back({r.dim, r.multiplied ? r.offset : -1});
    }
    if (!type.hasStaticShape())
      return false;
    o.value = llvm::any_of(o.expanded, [](bool e) { return e; })
                  ? tensor::ExpandShapeOp::create(
                        rewriter, loc,
                        RankedTensorType::get(shape, type.getElementType()),
                        operand.get(), groups)
                        .getResult()
                  : operand.get();
    operands.push_back(o);
  }

  // Residues in row-major order over the divided loops.
  SmallVector<unsigned> divided;
  int64_t residues = 1;
  for (unsigned d = 0; d < loops; ++d)
    if (divisor[d] > 1) {
      divided.push_back(d);
      residues *= divisor[d];
    }
  unsigned numInputs = op.getNumDpsInputs();
  Value current = operands.back().value;
  for (int64_t index = 0; index < residues; ++index) {
    SmallVector<int64_t> residue(loops, 0);
    for (int64_t rest = index, i = divided.size() - 1; i >= 0; --i) {
      residue[divided[i]] = rest % divisor[divided[i]];
      rest /= divisor[divided[i]];
    }
    SmallVector<AffineMap> newMaps;
    for (const Operand &o : operands) {
      SmallVector<AffineExpr> results;
      for (auto [j, r] : llvm::enumerate(o.results)) {
        results.push_back(getAffineDimExpr(r.first, ctx));
        if (o.expanded[j])
          results.push_back(getAffineConstantExpr(
              r.second >= 0 ? r.second : residue[r.first], ctx));
      }
      newMaps.push_back(AffineMap::get(loops, 0, results, ctx));
    }
    SmallVector<Value> inputs;
    for (unsigned i = 0; i < numInputs; ++i)
      inputs.push_back(operands[i].value);
    auto generic = linalg::GenericOp::create(
        rewriter, loc, current.getType(), inputs, current, newMaps,
        op.getIteratorTypesArray(),
        [&](OpBuilder &b, Location l, ValueRange args) {
          IRMapping mapping;
          Block &body = op.getRegion().front();
          mapping.map(body.getArguments(), args);
          for (Operation &inner : body) {
            auto idx = dyn_cast<linalg::IndexOp>(inner);
            if (idx && divisor[idx.getDim()] > 1) {
              // d = k q + r
              int64_t d = idx.getDim();
              Value q = linalg::IndexOp::create(b, l, d);
              Value k = arith::ConstantIndexOp::create(b, l, divisor[d]);
              Value r = arith::ConstantIndexOp::create(b, l, residue[d]);
              Value v = arith::AddIOp::create(
                  b, l, arith::MulIOp::create(b, l, q, k), r);
              mapping.map(idx.getResult(), v);
              continue;
            }
            b.clone(inner, mapping);
          }
        });
    current = generic.getResult(0);
  }
  auto outType = cast<RankedTensorType>(op.getResult(0).getType());
  Value result = current;
  if (current.getType() != outType) {
    auto expand = operands.back().value.getDefiningOp<tensor::ExpandShapeOp>();
    result = tensor::CollapseShapeOp::create(rewriter, loc, outType, current,
                                             expand.getReassociationIndices());
  }
  rewriter.replaceOp(op, result);
  return true;
}

/// Whether loops a and a + 1 of `op` merge (see the file comment).
bool canMerge(linalg::GenericOp op, unsigned a) {
  auto iterators = op.getIteratorTypesArray();
  if (iterators[a] != iterators[a + 1])
    return false;
  bool indexed = false;
  op.getRegion().walk([&](linalg::IndexOp idx) {
    indexed |= idx.getDim() == a || idx.getDim() == a + 1;
  });
  if (indexed)
    return false;
  for (AffineMap map : op.getIndexingMapsArray()) {
    std::optional<unsigned> first, second;
    for (auto [j, e] : llvm::enumerate(map.getResults())) {
      if (!isa<AffineDimExpr, AffineConstantExpr>(e))
        return false;
      if (auto dim = dyn_cast<AffineDimExpr>(e)) {
        if (dim.getPosition() == a)
          first = j;
        if (dim.getPosition() == a + 1)
          second = j;
      }
    }
    if (first.has_value() != second.has_value())
      return false;
    if (first && *second != *first + 1)
      return false;
  }
  return true;
}

/// `op` with loops a and a + 1 merged into loop a.
linalg::GenericOp mergeLoops(linalg::GenericOp op, unsigned a,
                             IRRewriter &rewriter) {
  MLIRContext *ctx = op.getContext();
  Location loc = op.getLoc();
  rewriter.setInsertionPoint(op);
  unsigned loops = op.getNumLoops();
  // Loop d of the old generic is loop renumber(d) of the new one.
  auto renumber = [&](unsigned d) { return d <= a ? d : d - 1; };
  SmallVector<Value> values;
  SmallVector<AffineMap> maps;
  for (OpOperand &operand : op->getOpOperands()) {
    AffineMap map = op.getMatchingIndexingMap(&operand);
    SmallVector<AffineExpr> results;
    SmallVector<ReassociationIndices> groups;
    for (auto [j, e] : llvm::enumerate(map.getResults())) {
      auto dim = dyn_cast<AffineDimExpr>(e);
      if (dim && dim.getPosition() == a + 1) {
        groups.back().push_back(j);
        continue;
      }
      groups.push_back({static_cast<int64_t>(j)});
      results.push_back(dim ? getAffineDimExpr(renumber(dim.getPosition()), ctx)
                            : e);
    }
    maps.push_back(AffineMap::get(loops - 1, 0, results, ctx));
    values.push_back(groups.size() == map.getNumResults()
                         ? operand.get()
                         : tensor::CollapseShapeOp::create(
                               rewriter, loc, operand.get(), groups)
                               .getResult());
  }
  auto iterators = op.getIteratorTypesArray();
  iterators.erase(iterators.begin() + a + 1);
  unsigned numInputs = op.getNumDpsInputs();
  Value init = values.back();
  auto merged = linalg::GenericOp::create(
      rewriter, loc, init.getType(), ArrayRef(values).take_front(numInputs),
      init, maps, iterators, [&](OpBuilder &b, Location l, ValueRange args) {
        IRMapping mapping;
        Block &body = op.getRegion().front();
        mapping.map(body.getArguments(), args);
        for (Operation &inner : body) {
          if (auto idx = dyn_cast<linalg::IndexOp>(inner)) {
            mapping.map(idx.getResult(),
                        linalg::IndexOp::create(b, l, renumber(idx.getDim())));
            continue;
          }
          b.clone(inner, mapping);
        }
      });
  Value result = merged.getResult(0);
  if (result.getType() != op.getResult(0).getType()) {
    auto collapse = init.getDefiningOp<tensor::CollapseShapeOp>();
    result = tensor::ExpandShapeOp::create(rewriter, loc,
                                           op.getResult(0).getType(), result,
                                           collapse.getReassociationIndices());
  }
  rewriter.replaceOp(op, result);
  return merged;
}

} // namespace

void collapseGenericLoops(func::FuncOp func) {
  SmallVector<linalg::GenericOp> generics;
  func.walk([&](linalg::GenericOp op) {
    if (op.getNumLoops() > 3)
      generics.push_back(op);
  });
  IRRewriter rewriter(func.getContext());
  for (linalg::GenericOp op : generics) {
    // The innermost mergeable pair first.
    while (op.getNumLoops() > 3) {
      std::optional<unsigned> pair;
      for (int a = op.getNumLoops() - 2; a >= 0 && !pair; --a)
        if (canMerge(op, a))
          pair = a;
      if (!pair)
        break;
      op = mergeLoops(op, *pair, rewriter);
    }
  }
}

void splitDividedLoops(func::FuncOp func) {
  SmallVector<linalg::GenericOp> generics;
  func.walk([&](linalg::GenericOp op) { generics.push_back(op); });
  IRRewriter rewriter(func.getContext());
  for (linalg::GenericOp op : generics)
    (void)splitByResidue(op, rewriter);
}

} // namespace qtrain::accel
