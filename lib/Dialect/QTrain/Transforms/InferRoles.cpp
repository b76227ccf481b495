//===- InferRoles.cpp - The role of every contraction operand -------------===//
//
// qtrain-infer-roles (docs/Passes.md): marks each contraction of a training
// step with the GEMM it is and the roles of its operands, from the step's
// dataflow:
//
//   - parameters are arguments with qtrain.role = "weight", or, without a
//     role attribute, arguments whose updated value is returned (a result
//     computed by an op that takes the argument directly) and that reach a
//     contraction operand;
//   - the forward pass is everything the loss depends on (the result with
//     qtrain.role = "loss", else the one rank-0 f32 result that updates no
//     argument);
//   - a forward contraction has one parameter operand (W) and an activation
//     (A): forward; a backward one with a parameter operand takes an error
//     (E): backward_data; a backward one without takes an activation from
//     the forward pass and an error: backward_weight, whose result is G.
//
// Anything else gets a remark at its location and no role.
//
//===----------------------------------------------------------------------===//

#include "qtrain/Dialect/QTrain/IR/QTrainDialect.h"
#include "qtrain/Dialect/QTrain/Transforms/Contractions.h"
#include "qtrain/Dialect/QTrain/Transforms/Passes.h"

#include "mlir/Analysis/SliceAnalysis.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

namespace qtrain {
#define GEN_PASS_DEF_QTRAININFERROLESPASS
#include "qtrain/Dialect/QTrain/Transforms/Passes.h.inc"
} // namespace qtrain

using namespace mlir;

namespace qtrain {
namespace {

/// `v` through ops that only move or reshape it (padding, reshapes,
/// transposes, slices, casts).
Value stripViews(Value v) {
  while (Operation *def = v.getDefiningOp()) {
    if (auto pad = llvm::dyn_cast<tensor::PadOp>(def))
      v = pad.getSource();
    else if (auto c = llvm::dyn_cast<tensor::CollapseShapeOp>(def))
      v = c.getSrc();
    else if (auto e = llvm::dyn_cast<tensor::ExpandShapeOp>(def))
      v = e.getSrc();
    else if (auto s = llvm::dyn_cast<tensor::ExtractSliceOp>(def))
      v = s.getSource();
    else if (auto cast = llvm::dyn_cast<tensor::CastOp>(def))
      v = cast.getSource();
    else if (auto t = llvm::dyn_cast<linalg::TransposeOp>(def))
      v = t.getInput();
    else
      break;
  }
  return v;
}

class StepAnalysis {
public:
  explicit StepAnalysis(func::FuncOp fn) : fn(fn) {}

  /// Finds the parameters and the forward pass; false (with a reason) when
  /// the function is not a training step this pass understands.
  bool analyze(ArrayRef<Contraction> contractions, std::string &why) {
    if (!fn.getBody().hasOneBlock()) {
      why = "the function has more than one block";
      return false;
    }
    auto ret = llvm::cast<func::ReturnOp>(fn.getBody().front().getTerminator());
    // Updated arguments: some result is computed by an op that takes the
    // argument itself and has its type.
    updated.assign(fn.getNumArguments(), false);
    for (Value r : ret.getOperands())
      if (Operation *def = r.getDefiningOp())
        for (Value o : def->getOperands())
          if (auto arg = llvm::dyn_cast<BlockArgument>(o))
            if (arg.getOwner() == &fn.getBody().front() &&
                arg.getType() == r.getType())
              updated[arg.getArgNumber()] = true;
    // Contraction operands reach these arguments through views.
    llvm::DenseSet<unsigned> operandArgs;
    for (const Contraction &c : contractions)
      for (Value v : {c.lhs, c.rhs})
        if (auto arg = llvm::dyn_cast<BlockArgument>(stripViews(v)))
          if (arg.getOwner() == &fn.getBody().front())
            operandArgs.insert(arg.getArgNumber());
    parameter.assign(fn.getNumArguments(), false);
    for (unsigned i = 0; i < fn.getNumArguments(); ++i) {
      if (auto role = fn.getArgAttrOfType<StringAttr>(i, kRoleAttr))
        parameter[i] = role.getValue() == "weight";
      else
        parameter[i] = updated[i] && operandArgs.contains(i);
    }
    // The loss.
    Value loss;
    for (unsigned j = 0; j < fn.getNumResults(); ++j)
      if (auto role = fn.getResultAttrOfType<StringAttr>(j, kRoleAttr))
        if (role.getValue() == "loss") {
          if (loss) {
            why = "two results are marked qtrain.role = \"loss\"";
            return false;
          }
          loss = ret.getOperand(j);
          lossResult = j;
        }
    if (!loss) {
      for (Value r : ret.getOperands()) {
        auto t = llvm::dyn_cast<RankedTensorType>(r.getType());
        if (!t || t.getRank() != 0 || !t.getElementType().isF32() ||
            updatesAnArgument(r))
          continue;
        if (loss) {
          why = "two rank-0 f32 results could be the loss; mark it with "
                "qtrain.role = \"loss\"";
          return false;
        }
        loss = r;
        lossResult = llvm::find(ret.getOperands(), r) - ret.operand_begin();
      }
    }
    if (!loss) {
      // Without a loss and without updated arguments the function computes
      // no gradient (a prediction): every contraction is a forward one.
      if (llvm::none_of(updated, [](bool u) { return u; })) {
        fn.walk([&](Operation *op) { forwardOps.insert(op); });
        return true;
      }
      why = "no result is the loss (a rank-0 f32 result, or one marked "
            "qtrain.role = \"loss\")";
      return false;
    }
    BackwardSliceOptions options;
    options.omitUsesFromAbove = false;
    options.inclusive = true;
    SetVector<Operation *> slice;
    if (Operation *def = loss.getDefiningOp())
      (void)getBackwardSlice(def, &slice, options);
    forwardOps.insert(slice.begin(), slice.end());
    return true;
  }

  bool isParameterOperand(Value v) const {
    auto arg = llvm::dyn_cast<BlockArgument>(stripViews(v));
    return arg && arg.getOwner() == &fn.getBody().front() &&
           parameter[arg.getArgNumber()];
  }
  bool isForwardValue(Value v) const {
    v = stripViews(v);
    if (llvm::isa<BlockArgument>(v))
      return true;
    return forwardOps.contains(v.getDefiningOp());
  }
  bool isForwardOp(Operation *op) const { return forwardOps.contains(op); }

  /// Marks the arguments the analysis classified without a role attribute,
  /// and the loss result (the passes after this one tell a training step
  /// from a prediction by it).
  void markArguments() {
    Builder b(fn.getContext());
    if (lossResult && !fn.getResultAttr(*lossResult, kRoleAttr))
      fn.setResultAttr(*lossResult, kRoleAttr, b.getStringAttr("loss"));
    for (unsigned i = 0; i < fn.getNumArguments(); ++i) {
      if (fn.getArgAttr(i, kRoleAttr) || !updated[i])
        continue;
      // Parameters (biases too) feed the loss; optimizer state does not.
      bool feedsLoss =
          llvm::any_of(fn.getArgument(i).getUsers(), [&](Operation *user) {
            return forwardOps.contains(user);
          });
      fn.setArgAttr(i, kRoleAttr,
                    b.getStringAttr(parameter[i] || feedsLoss
                                        ? "weight"
                                        : "optimizer_state"));
    }
  }

private:
  bool updatesAnArgument(Value r) const {
    Operation *def = r.getDefiningOp();
    if (!def)
      return false;
    return llvm::any_of(def->getOperands(), [&](Value o) {
      auto arg = llvm::dyn_cast<BlockArgument>(o);
      return arg && arg.getOwner() == &fn.getBody().front() &&
             arg.getType() == r.getType();
    });
  }

  mutable func::FuncOp fn; // op handles' accessors are not const
  std::optional<unsigned> lossResult;
  std::vector<bool> updated, parameter;
  llvm::DenseSet<Operation *> forwardOps;
};

/// The GEMM kind the form of `c` fixes, if it fixes one.
std::optional<ConvKind> kindOfForm(ContractionForm form) {
  switch (form) {
  case ContractionForm::Matmul:
    return std::nullopt;
  case ContractionForm::ConvForward:
    return ConvKind::Forward;
  case ContractionForm::ConvBackwardData:
    return ConvKind::BackwardData;
  case ContractionForm::ConvBackwardWeight:
    return ConvKind::BackwardWeight;
  }
  return std::nullopt;
}

struct InferRolesPass : public impl::QTrainInferRolesPassBase<InferRolesPass> {
  void runOnOperation() override {
    func::FuncOp fn = getOperation();
    SmallVector<Contraction> contractions;
    fn.walk([&](Operation *op) {
      if (auto c = matchContraction(op)) {
        contractions.push_back(*c);
        return;
      }
      // A contraction of a form the passes do not know stays f32: say so.
      // (Pooling is a convolution without products.)
      auto linalgOp = llvm::dyn_cast<linalg::LinalgOp>(op);
      auto multiplies = [&] {
        return llvm::any_of(
            linalgOp.getBlock()->getOperations(),
            [](Operation &o) { return llvm::isa<arith::MulFOp>(o); });
      };
      if (linalgOp &&
          (linalg::isaContractionOpInterface(linalgOp) ||
           (linalg::isaConvolutionOpInterface(linalgOp) && multiplies())))
        op->emitRemark("qtrain-infer-roles: not a contraction form the "
                       "recipe passes support (docs/TrainingSteps.md); it "
                       "stays f32");
    });
    if (contractions.empty())
      return;
    // Contractions nested in regions (loops) are outside the dataflow the
    // analysis follows.
    llvm::erase_if(contractions, [&](const Contraction &c) {
      if (c.op->getBlock() == &fn.getBody().front())
        return false;
      c.op->emitRemark("qtrain-infer-roles: cannot resolve the roles of "
                       "a contraction inside a region; it stays f32");
      return true;
    });
    if (contractions.empty())
      return;
    StepAnalysis step(fn);
    std::string why;
    if (!step.analyze(contractions, why)) {
      for (const Contraction &c : contractions)
        c.op->emitRemark("qtrain-infer-roles: no roles: ") << why;
      return;
    }
    Builder b(fn.getContext());
    for (const Contraction &c : contractions) {
      Value in[2] = {c.lhsInput ? c.rhs : c.lhs, c.lhsInput ? c.lhs : c.rhs};
      bool param[2] = {step.isParameterOperand(in[0]),
                       step.isParameterOperand(in[1])};
      StringRef roles[2];
      ConvKind kind;
      auto unresolved = [&](const Twine &reason) {
        c.op->emitRemark("qtrain-infer-roles: cannot resolve the roles of "
                         "this contraction: ")
            << reason;
      };
      if (step.isForwardOp(c.op)) {
        if (param[0] == param[1]) {
          unresolved(param[0] ? "both operands are parameters"
                              : "a contraction the loss depends on without "
                                "a parameter operand");
          continue;
        }
        kind = ConvKind::Forward;
        roles[0] = param[0] ? "W" : "A";
        roles[1] = param[1] ? "W" : "A";
      } else if (param[0] != param[1]) {
        // The other operand must be an error: a forward value here is a
        // contraction the loss does not depend on (an unused head), not a
        // backward one.
        if (step.isForwardValue(param[0] ? in[1] : in[0])) {
          unresolved("a contraction the loss does not depend on, with a "
                     "parameter and a forward value");
          continue;
        }
        kind = ConvKind::BackwardData;
        roles[0] = param[0] ? "W" : "E";
        roles[1] = param[1] ? "W" : "E";
      } else if (param[0]) {
        unresolved("both operands are parameters");
        continue;
      } else {
        bool fwd[2] = {step.isForwardValue(in[0]), step.isForwardValue(in[1])};
        if (fwd[0] == fwd[1]) {
          unresolved(fwd[0] ? "a backward contraction of two forward values"
                            : "a backward contraction of two errors");
          continue;
        }
        kind = ConvKind::BackwardWeight;
        roles[0] = fwd[0] ? "A" : "E";
        roles[1] = fwd[1] ? "A" : "E";
      }
      if (auto fixed = kindOfForm(c.form); fixed && *fixed != kind) {
        unresolved("its form is the " + stringifyConvKind(*fixed) +
                   " convolution but the dataflow makes it " +
                   stringifyConvKind(kind));
        continue;
      }
      c.op->setAttr(kGemmAttr, ConvKindAttr::get(fn.getContext(), kind));
      c.op->setAttr(kOperandRolesAttr, b.getStrArrayAttr({roles[0], roles[1]}));
    }
    step.markArguments();
  }
};

} // namespace
} // namespace qtrain
