//===- AssignPrecision.cpp - Quantize contraction operands by recipe ------===//
//
// qtrain-assign-precision (docs/Passes.md): every contraction that
// qtrain-infer-roles marked becomes a qtrain.matmul or qtrain.conv2d whose
// operands are quantized as the recipe's rule for (layer, role, GEMM) says;
// a backward_weight GEMM's result (G) is quantized by the G rule. Padding
// that feeds a convolution moves into the qtrain.conv2d, so block formats
// see the unpadded tensor.
//
//===----------------------------------------------------------------------===//

#include "qtrain/Dialect/QTrain/IR/QTrainOps.h"
#include "qtrain/Dialect/QTrain/Transforms/Contractions.h"
#include "qtrain/Dialect/QTrain/Transforms/Passes.h"
#include "qtrain/Dialect/QTrain/Transforms/StepState.h"
#include "qtrain/Recipes/Recipe.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Matchers.h"

namespace qtrain {
#define GEN_PASS_DEF_QTRAINASSIGNPRECISIONPASS
#include "qtrain/Dialect/QTrain/Transforms/Passes.h.inc"
} // namespace qtrain

using namespace mlir;

namespace qtrain {
namespace {

using recipes::Role;
using recipes::RoleRule;

/// `v` = tensor.pad of a rank-4 source by zeros on the two trailing
/// dimensions only: the source and {top, bottom, left, right}.
std::optional<std::pair<Value, SmallVector<int64_t, 4>>>
matchSpatialZeroPad(Value v) {
  auto pad = v.getDefiningOp<tensor::PadOp>();
  if (!pad || pad.getSourceType().getRank() != 4 || !pad.getLow().empty() ||
      !pad.getHigh().empty())
    return std::nullopt;
  ArrayRef<int64_t> lo = pad.getStaticLow(), hi = pad.getStaticHigh();
  if (lo[0] || lo[1] || hi[0] || hi[1])
    return std::nullopt;
  Value padValue = pad.getConstantPaddingValue();
  FloatAttr f;
  if (!padValue || !matchPattern(padValue, m_Constant(&f)) ||
      !f.getValue().isZero())
    return std::nullopt;
  return std::make_pair(pad.getSource(),
                        SmallVector<int64_t, 4>{lo[2], hi[2], lo[3], hi[3]});
}

class Quantizer {
public:
  Quantizer(const recipes::Recipe &recipe, func::FuncOp fn)
      : recipe(recipe), fn(fn) {}

  /// `v` quantized by `rule` before `at` (v itself when the rule leaves the
  /// role unquantized); the quantize op records the role and layer for the
  /// passes that follow (qtrain-insert-scaling).
  FailureOr<Value> quantize(OpBuilder &b, Location loc, Value v,
                            const RoleRule &rule, Role role, StringRef layer,
                            ConvKindAttr gemm, int64_t reductionAxis) {
    if (!rule.isQuantized())
      return v;
    numerics::Rounding rounding = rule.getRounding();
    Value seed;
    if (rounding.mode == numerics::RoundingMode::Stochastic) {
      if (rounding.source.kind == numerics::RandomSourceKind::Data) {
        emitError(loc) << "qtrain-assign-precision: the recipe's "
                       << recipes::roleName(role)
                       << " rounding takes random bits from data, which a "
                          "training step has no tensor for";
        return failure();
      }
      seed = siteSeed(b, loc);
    }
    auto q = QuantizeOp::create(
        b, loc, v.getType(), v, seed, /*random_data=*/Value(),
        /*scales=*/ValueRange{}, rule.format, rule.rounding,
        b.getI64IntegerAttr(reductionAxis));
    q->setAttr(kRoleAttr, b.getStringAttr(recipes::roleName(role)));
    if (!layer.empty())
      q->setAttr(kLayerAttr, b.getStringAttr(layer));
    if (gemm)
      q->setAttr(kGemmAttr, gemm);
    return q.getResult();
  }

private:
  /// The step's `seed` argument (i64, added on first use, qtrain.role =
  /// "seed") plus the site's number times 2^40: every stochastic quantize
  /// of the step draws from its own stream.
  Value siteSeed(OpBuilder &b, Location loc) {
    if (!seedArg) {
      unsigned index = fn.getNumArguments();
      Type i64 = b.getI64Type();
      (void)fn.insertArgument(index, i64,
                              b.getDictionaryAttr(b.getNamedAttr(
                                  kRoleAttr, b.getStringAttr("seed"))),
                              NameLoc::get(b.getStringAttr("seed")));
      seedArg = fn.getArgument(index);
    }
    int64_t site = sites++;
    if (site == 0)
      return seedArg;
    Value offset = arith::ConstantOp::create(
        b, loc, b.getI64IntegerAttr(site * (int64_t(1) << 40)));
    return arith::AddIOp::create(b, loc, seedArg, offset);
  }

  const recipes::Recipe &recipe;
  func::FuncOp fn;
  Value seedArg;
  int64_t sites = 0;
};

struct AssignPrecisionPass
    : public impl::QTrainAssignPrecisionPassBase<AssignPrecisionPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    FailureOr<recipes::Recipe> loaded =
        loadRecipeFor(module, "qtrain-assign-precision", recipe);
    if (failed(loaded))
      return signalPassFailure();
    for (auto fn : module.getOps<func::FuncOp>())
      if (failed(runOnFunction(*loaded, fn)))
        return signalPassFailure();
  }

  LogicalResult runOnFunction(const recipes::Recipe &r, func::FuncOp fn) {
    SmallVector<Contraction> marked;
    fn.walk([&](Operation *op) {
      if (!op->hasAttr(kGemmAttr))
        return;
      if (auto c = matchContraction(op))
        marked.push_back(*c);
    });
    Quantizer quantizer(r, fn);
    for (const Contraction &c : marked)
      if (failed(rewrite(r, quantizer, c)))
        return failure();
    return success();
  }

  LogicalResult rewrite(const recipes::Recipe &r, Quantizer &quantizer,
                        const Contraction &c) {
    Operation *op = c.op;
    Location loc = op->getLoc();
    auto gemmAttr = op->getAttrOfType<ConvKindAttr>(kGemmAttr);
    auto rolesAttr = op->getAttrOfType<ArrayAttr>(kOperandRolesAttr);
    std::optional<Role> roles[2];
    if (gemmAttr && rolesAttr && rolesAttr.size() == 2)
      for (unsigned i = 0; i < 2; ++i)
        if (auto s = llvm::dyn_cast<StringAttr>(rolesAttr[i]))
          roles[i] = recipes::parseRole(s.getValue());
    if (!roles[0] || !roles[1])
      return op->emitError("qtrain-assign-precision: malformed ")
             << kGemmAttr << " / " << kOperandRolesAttr
             << " attributes (qtrain-infer-roles sets them)";
    ConvKind gemm = gemmAttr.getValue();
    Role lhsRole = *roles[c.lhsInput], rhsRole = *roles[1 - c.lhsInput];
    if (!isZeroTensor(c.init)) {
      op->emitRemark("qtrain-assign-precision: left in f32: the contraction "
                     "accumulates into a non-zero output");
      return success();
    }
    std::string layer = layerOf(loc);
    OpBuilder b(op);

    // Operands, with the padding of a convolution's input moved into the
    // qtrain.conv2d.
    Value lhs = c.lhs, rhs = c.rhs;
    SmallVector<int64_t, 4> padding = {0, 0, 0, 0};
    if (c.form == ContractionForm::ConvForward ||
        c.form == ContractionForm::ConvBackwardWeight) {
      if (auto p = matchSpatialZeroPad(lhs)) {
        lhs = p->first;
        padding = p->second;
      }
    } else if (c.form == ContractionForm::ConvBackwardData) {
      // dYpad is dY padded by K-1; qtrain.conv2d takes dY itself and, with
      // no padding, gives the gradient of the padded input (the generic's
      // result).
      auto w = llvm::cast<RankedTensorType>(rhs.getType());
      auto p = matchSpatialZeroPad(lhs);
      int64_t kh = w.getDimSize(2) - 1, kw = w.getDimSize(3) - 1;
      if (!p || p->second != SmallVector<int64_t, 4>{kh, kh, kw, kw}) {
        op->emitRemark("qtrain-assign-precision: left in f32: the backward "
                       "data convolution's gradient operand is not padded "
                       "by the kernel size - 1");
        return success();
      }
      lhs = p->first;
    }
    FailureOr<Value> lq =
        quantizer.quantize(b, loc, lhs, r.rule(layer, lhsRole, gemm), lhsRole,
                           layer, gemmAttr, c.lhsReductionAxis);
    if (failed(lq))
      return failure();
    FailureOr<Value> rq =
        quantizer.quantize(b, loc, rhs, r.rule(layer, rhsRole, gemm), rhsRole,
                           layer, gemmAttr, c.rhsReductionAxis);
    if (failed(rq))
      return failure();

    Type type = op->getResult(0).getType();
    Operation *replacement;
    if (c.form == ContractionForm::Matmul) {
      auto mm = MatmulOp::create(b, loc, type, *lq, *rq, c.transposeA,
                                 c.transposeB, /*accumulation=*/nullptr);
      mm->setAttr(kGemmAttr, gemmAttr);
      replacement = mm;
    } else {
      replacement = Conv2DOp::create(b, loc, type, *lq, *rq, gemm,
                                     ArrayRef<int64_t>{1, 1}, padding,
                                     ArrayRef<int64_t>{1, 1},
                                     /*accumulation=*/nullptr);
    }
    Value result = replacement->getResult(0);
    if (gemm == ConvKind::BackwardWeight) {
      FailureOr<Value> g =
          quantizer.quantize(b, loc, result, r.rule(layer, Role::Gradient),
                             Role::Gradient, layer, /*gemm=*/nullptr,
                             /*reductionAxis=*/0);
      if (failed(g))
        return failure();
      result = *g;
    }
    op->getResult(0).replaceAllUsesWith(result);
    op->erase();
    return success();
  }
};

} // namespace
} // namespace qtrain
