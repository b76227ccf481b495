//===- Contractions.cpp - The GEMMs of a training step and their roles ----===//

#include "qtrain/Dialect/QTrain/Transforms/Contractions.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/Matchers.h"
#include "mlir/Interfaces/FunctionInterfaces.h"

using namespace mlir;

namespace qtrain {
namespace {

bool isF32Tensor(Value v) {
  auto t = llvm::dyn_cast<RankedTensorType>(v.getType());
  return t && t.getElementType().isF32() && t.hasStaticShape();
}

bool allOnes(DenseIntElementsAttr attr) {
  return llvm::all_of(attr.getValues<int64_t>(),
                      [](int64_t v) { return v == 1; });
}

/// Whether the generic's body is `out + in0 * in1` (either operand order).
bool isMultiplyAccumulate(linalg::GenericOp op) {
  Block &body = op.getRegion().front();
  if (body.getNumArguments() != 3 || body.getOperations().size() != 3)
    return false;
  auto mul = llvm::dyn_cast<arith::MulFOp>(&body.front());
  auto add = llvm::dyn_cast<arith::AddFOp>(mul ? mul->getNextNode() : nullptr);
  auto yield = llvm::dyn_cast<linalg::YieldOp>(body.getTerminator());
  if (!mul || !add || !yield || yield.getValues().size() != 1 ||
      yield.getValues()[0] != add.getResult())
    return false;
  Value a = body.getArgument(0), b = body.getArgument(1),
        out = body.getArgument(2);
  bool mulOk = (mul.getLhs() == a && mul.getRhs() == b) ||
               (mul.getLhs() == b && mul.getRhs() == a);
  bool addOk = (add.getLhs() == out && add.getRhs() == mul.getResult()) ||
               (add.getRhs() == out && add.getLhs() == mul.getResult());
  return mulOk && addOk;
}

/// linalg.matmul (rank 2) or linalg.batch_matmul (rank 3, batch first) with
/// the default, transposed-A (`TransposeA`) or transposed-B maps.
template <typename TransposeA, typename TransposeB, typename Op>
std::optional<Contraction> matchNamedMatmul(Op op, int64_t batchDims) {
  if (op.getInputs().size() != 2 || op.getOutputs().size() != 1 ||
      op->getNumResults() != 1)
    return std::nullopt;
  Contraction c;
  c.op = op;
  c.lhs = op.getInputs()[0];
  c.rhs = op.getInputs()[1];
  c.init = op.getOutputs()[0];
  if (llvm::isa<TransposeA>(op.getOperation()))
    c.transposeA = true;
  else if (llvm::isa<TransposeB>(op.getOperation()))
    c.transposeB = true;
  else if (op.hasUserDefinedMaps())
    return std::nullopt;
  c.lhsReductionAxis = batchDims + (c.transposeA ? 0 : 1);
  c.rhsReductionAxis = batchDims + (c.transposeB ? 1 : 0);
  return c;
}

/// A linalg.generic that is a matmul: loops (m, n, k), `out += a * b`, and
/// the plain, transposed-A or transposed-B maps.
std::optional<Contraction> matchGenericMatmul(linalg::GenericOp op) {
  using utils::IteratorType;
  if (op.getNumDpsInputs() != 2 || op.getNumDpsInits() != 1 ||
      op.getNumLoops() != 3 || op->getNumResults() != 1 ||
      !isMultiplyAccumulate(op))
    return std::nullopt;
  auto its = op.getIteratorTypesArray();
  if (its[0] != IteratorType::parallel || its[1] != IteratorType::parallel ||
      its[2] != IteratorType::reduction)
    return std::nullopt;
  MLIRContext *ctx = op.getContext();
  auto map = [&](unsigned i, unsigned j) {
    return AffineMap::get(
        3, 0, {getAffineDimExpr(i, ctx), getAffineDimExpr(j, ctx)}, ctx);
  };
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  if (maps[2] != map(0, 1))
    return std::nullopt;
  Contraction c;
  c.op = op;
  c.lhs = op.getDpsInputs()[0];
  c.rhs = op.getDpsInputs()[1];
  c.init = op.getDpsInits()[0];
  if (maps[0] == map(0, 2) && maps[1] == map(2, 1)) {
  } else if (maps[0] == map(2, 0) && maps[1] == map(2, 1)) {
    c.transposeA = true;
  } else if (maps[0] == map(0, 2) && maps[1] == map(1, 2)) {
    c.transposeB = true;
  } else {
    return std::nullopt;
  }
  c.lhsReductionAxis = c.transposeA ? 0 : 1;
  c.rhsReductionAxis = c.transposeB ? 1 : 0;
  return c;
}

std::optional<Contraction> matchConv(linalg::Conv2DNchwFchwOp op) {
  if (op.getInputs().size() != 2 || op->getNumResults() != 1 ||
      !allOnes(op.getStrides()) || !allOnes(op.getDilations()))
    return std::nullopt;
  Contraction c;
  c.op = op;
  c.form = ContractionForm::ConvForward;
  c.lhs = op.getInputs()[0];
  c.rhs = op.getInputs()[1];
  c.init = op.getOutputs()[0];
  c.lhsReductionAxis = 1; // C of the input
  c.rhsReductionAxis = 1; // C of the filter
  return c;
}

std::optional<Contraction> matchConvBackward(linalg::GenericOp op) {
  using utils::IteratorType;
  if (op.getNumDpsInputs() != 2 || op.getNumDpsInits() != 1 ||
      op.getNumLoops() != 7 || op->getNumResults() != 1 ||
      !isMultiplyAccumulate(op))
    return std::nullopt;
  auto its = op.getIteratorTypesArray();
  for (unsigned i = 0; i < 7; ++i)
    if (its[i] != (i < 4 ? IteratorType::parallel : IteratorType::reduction))
      return std::nullopt;
  MLIRContext *ctx = op.getContext();
  auto d = [&](unsigned i) { return getAffineDimExpr(i, ctx); };
  auto map = [&](ArrayRef<AffineExpr> e) {
    return AffineMap::get(7, 0, e, ctx);
  };
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  AffineMap out = map({d(0), d(1), d(2), d(3)});
  if (maps[2] != out)
    return std::nullopt;
  Value in0 = op.getDpsInputs()[0], in1 = op.getDpsInputs()[1];
  Contraction c;
  c.op = op;
  c.init = op.getDpsInits()[0];
  // Backward weight: dW[f,c,kh,kw] += dY[n,f,oh,ow] * Xpad[n,c,oh+kh,ow+kw].
  if (maps[0] == map({d(4), d(0), d(5), d(6)}) &&
      maps[1] == map({d(4), d(1), d(5) + d(2), d(6) + d(3)})) {
    c.form = ContractionForm::ConvBackwardWeight;
    c.lhs = in1; // the input
    c.rhs = in0; // the output gradient
    c.lhsInput = 1;
    c.lhsReductionAxis = 0;
    c.rhsReductionAxis = 0;
    return c;
  }
  // Backward data: dXpad[n,c,h,w] += dYpad[n,f,h+KH-1-kh,w+KW-1-kw] *
  // W[f,c,kh,kw].
  auto w = llvm::dyn_cast<RankedTensorType>(in1.getType());
  if (!w || w.getRank() != 4 || !w.hasStaticShape())
    return std::nullopt;
  int64_t kh = w.getDimSize(2), kw = w.getDimSize(3);
  if (maps[0] ==
          map({d(0), d(4), d(2) + (kh - 1) - d(5), d(3) + (kw - 1) - d(6)}) &&
      maps[1] == map({d(4), d(1), d(5), d(6)})) {
    c.form = ContractionForm::ConvBackwardData;
    c.lhs = in0; // the (padded) output gradient
    c.rhs = in1; // the filter
    c.lhsReductionAxis = 1;
    c.rhsReductionAxis = 0;
    return c;
  }
  return std::nullopt;
}

} // namespace

std::optional<Contraction> matchContraction(Operation *op) {
  std::optional<Contraction> c;
  if (auto mm = llvm::dyn_cast<linalg::MatmulOp>(op))
    c = matchNamedMatmul<linalg::MatmulTransposeAOp,
                         linalg::MatmulTransposeBOp>(mm, 0);
  else if (auto bmm = llvm::dyn_cast<linalg::BatchMatmulOp>(op))
    c = matchNamedMatmul<linalg::BatchMatmulTransposeAOp,
                         linalg::BatchMatmulTransposeBOp>(bmm, 1);
  else if (auto conv = llvm::dyn_cast<linalg::Conv2DNchwFchwOp>(op))
    c = matchConv(conv);
  else if (auto generic = llvm::dyn_cast<linalg::GenericOp>(op))
    c = generic.getNumLoops() == 3 ? matchGenericMatmul(generic)
                                   : matchConvBackward(generic);
  if (!c || !isF32Tensor(c->lhs) || !isF32Tensor(c->rhs) ||
      !isF32Tensor(op->getResult(0)))
    return std::nullopt;
  return c;
}

bool isZeroTensor(Value v) {
  if (auto fill = v.getDefiningOp<linalg::FillOp>()) {
    FloatAttr f;
    return matchPattern(fill.getInputs()[0], m_Constant(&f)) &&
           f.getValue().isPosZero();
  }
  DenseFPElementsAttr dense;
  return matchPattern(v, m_Constant(&dense)) && dense.isSplat() &&
         dense.getSplatValue<APFloat>().isPosZero();
}

bool isTrainingStep(Operation *op) {
  auto fn = llvm::dyn_cast<FunctionOpInterface>(op);
  if (!fn)
    return false;
  for (unsigned j = 0; j < fn.getNumResults(); ++j)
    if (auto role = fn.getResultAttrOfType<StringAttr>(j, kRoleAttr))
      if (role.getValue() == "loss")
        return true;
  return false;
}

std::string layerOf(Location loc) {
  if (auto name = llvm::dyn_cast<NameLoc>(loc))
    return name.getName().str();
  if (auto fused = llvm::dyn_cast<FusedLoc>(loc)) {
    for (Location inner : fused.getLocations()) {
      std::string layer = layerOf(inner);
      if (!layer.empty())
        return layer;
    }
    return "";
  }
  if (auto site = llvm::dyn_cast<CallSiteLoc>(loc))
    return layerOf(site.getCallee());
  return "";
}

} // namespace qtrain
