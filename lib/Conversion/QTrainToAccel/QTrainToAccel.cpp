//===- QTrainToAccel.cpp - convert-qtrain-to-accel ------------------------===//
//
// Maps one function to an accel.program (docs/Accelerator.md, "The compiler
// side"): DRAM buffers for its arguments, results and intermediate
// tensors, then each op in order. A qtrain.quantize feeding a matmul is
// fused into the matmul's LOADs; one whose value is needed in DRAM (a
// result, an operand of something else) is also written there through the
// ACC.
//
//===----------------------------------------------------------------------===//

#include "Mapping.h"

#include "qtrain/Conversion/Passes.h"

#include "qtrain/Dialect/QTrain/IR/StepAttributes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/ControlFlow/IR/ControlFlowOps.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace qtrain {
#define GEN_PASS_DEF_CONVERTQTRAINTOACCEL
#include "qtrain/Conversion/Passes.h.inc"
} // namespace qtrain

using namespace mlir;
using namespace qtrain;
using namespace qtrain::accel;

namespace {

/// Whether `value` is a tensor.empty or a reshape of one: a destination
/// whose contents nothing defines.
bool isUndefined(Value value) {
  while (Operation *def = value.getDefiningOp()) {
    if (isa<tensor::EmptyOp>(def))
      return true;
    if (!isa<tensor::CollapseShapeOp, tensor::ExpandShapeOp>(def))
      return false;
    value = def->getOperand(0);
  }
  return false;
}

/// Whether every use of `value` (a constant fill) is the destination of a
/// linalg.generic or a max pooling, which initialize their output tiles
/// with a VECTOR fill.
bool onlyInitializesGenerics(Value value) {
  return llvm::all_of(value.getUses(), [](OpOperand &use) {
    auto generic = dyn_cast<linalg::GenericOp>(use.getOwner());
    return (generic && generic.isDpsInit(&use)) || initializesPooling(use);
  });
}

/// Whether every use of `value` is the seed of a quantize or the seed
/// arithmetic leading to one (folded into reg.load's immediate).
bool onlySeeds(Value value) {
  return llvm::all_of(value.getUses(), [](OpOperand &use) {
    if (auto q = dyn_cast<QuantizeOp>(use.getOwner()))
      return use.get() == q.getSeed();
    if (auto add = dyn_cast<arith::AddIOp>(use.getOwner()))
      return onlySeeds(add.getResult());
    return false;
  });
}

/// Whether every use of `value` (a 0-d tensor's element) is inside an
/// amax-history shift, which reads the tensor itself.
bool onlyFeedsHistoryShifts(Value value) {
  return llvm::all_of(value.getUsers(), [](Operation *user) {
    auto generate = user->getParentOfType<tensor::GenerateOp>();
    return generate && generate->hasAttr(kHistoryShiftAttr);
  });
}

/// linalg.matmul as the linalg.generic it names: on the vector unit its
/// products are rounded to f32 before each add, as the CPU lowering of
/// linalg.matmul computes them (the GEMM unit adds exact products).
void generalizeMatmuls(func::FuncOp func) {
  SmallVector<linalg::MatmulOp> matmuls;
  func.walk([&](linalg::MatmulOp op) { matmuls.push_back(op); });
  IRRewriter rewriter(func.getContext());
  for (linalg::MatmulOp op : matmuls) {
    rewriter.setInsertionPoint(op);
    (void)linalg::generalizeNamedOp(rewriter, op);
  }
}

/// Folds the shape checks decompositions emit (tensor.dim of static shapes,
/// index arithmetic on it, cf.assert of a condition that becomes true), so
/// that none is left to map; the ops that do not fold are reported as
/// unmapped.
void foldShapeChecks(func::FuncOp func) {
  SmallVector<Operation *> ops;
  func.walk([&](Operation *op) {
    bool indexArith = isa<arith::ArithDialect>(op->getDialect()) &&
                      llvm::all_of(op->getResultTypes(), [](Type t) {
                        return t.isIndex() || t.isInteger(1);
                      });
    if (isa<tensor::DimOp, cf::AssertOp>(op) || indexArith)
      ops.push_back(op);
  });
  MLIRContext *ctx = func.getContext();
  RewritePatternSet patterns(ctx);
  tensor::DimOp::getCanonicalizationPatterns(patterns, ctx);
  cf::AssertOp::getCanonicalizationPatterns(patterns, ctx);
  GreedyRewriteConfig config;
  config.setStrictness(GreedyRewriteStrictness::ExistingAndNewOps);
  (void)applyOpPatternsGreedily(ops, std::move(patterns), config);
}

struct ConvertQTrainToAccel
    : qtrain::impl::ConvertQTrainToAccelBase<ConvertQTrainToAccel> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    func::FuncOp func = findFunction(module);
    if (!func)
      return signalPassFailure();

    MachineDescription machineDesc = getDefaultMachine();
    if (!machine.empty()) {
      llvm::Expected<MachineDescription> loaded =
          loadMachineDescription(machine);
      if (!loaded) {
        module.emitError() << llvm::toString(loaded.takeError());
        return signalPassFailure();
      }
      machineDesc = *loaded;
    }

    OpBuilder builder(func);
    auto program = ir::ProgramOp::create(builder, func.getLoc());
    program->setAttr("accel.function", builder.getStringAttr(func.getName()));
    // The machine the program is for: the verifier checks its memory bounds.
    std::string machineJson;
    llvm::raw_string_ostream(machineJson) << toJSON(machineDesc);
    program->setAttr("accel.machine", builder.getStringAttr(machineJson));
    ProgramEmitter emitter(program, machineDesc);
    if (failed(mapFunction(func, emitter))) {
      program.erase();
      return signalPassFailure();
    }
    emitter.setLocation(func.getLoc());
    emitter.finish();
    // The program replaces the function unless another function calls it.
    if (SymbolTable::symbolKnownUseEmpty(func, module))
      func.erase();
  }

  func::FuncOp findFunction(ModuleOp module) {
    SmallVector<func::FuncOp> candidates;
    for (auto f : module.getOps<func::FuncOp>())
      if (!f.isExternal() && (function.empty() || f.getName() == function))
        candidates.push_back(f);
    if (candidates.size() == 1)
      return candidates.front();
    if (candidates.empty()) {
      module.emitError() << "convert-qtrain-to-accel: "
                         << (function.empty()
                                 ? std::string("no function with a body")
                                 : "no function named '" + function + "'");
      return nullptr;
    }
    InFlightDiagnostic diag =
        module.emitError() << "convert-qtrain-to-accel: " << candidates.size()
                           << " functions with a body; choose one with "
                              "the 'function' option";
    return nullptr;
  }

  LogicalResult mapFunction(func::FuncOp func, ProgramEmitter &emitter) {
    if (!func.getBody().hasOneBlock())
      return func.emitError() << "cannot map '" << func.getName()
                              << "' to the accelerator: run-time control flow "
                                 "(more than one block)";
    Block &body = func.getBody().front();
    // Rewrites into what the mappings take, before buffers are bound.
    foldShapeChecks(func);
    generalizeMatmuls(func);
    splitDividedLoops(func);
    collapseGenericLoops(func);
    for (BlockArgument arg : body.getArguments()) {
      Type type = arg.getType();
      auto tensor = dyn_cast<RankedTensorType>(type);
      bool supported = (tensor && tensor.hasStaticShape() &&
                        (tensor.getElementType().isF32() ||
                         tensor.getElementType().isInteger(32) ||
                         tensor.getElementType().isInteger(64))) ||
                       type.isInteger(64);
      if (!supported)
        return emitError(arg.getLoc())
               << "cannot map argument " << arg.getArgNumber()
               << " to the accelerator: arguments are static f32, i32 or "
                  "i64 tensors or i64 seeds, not "
               << type;
      if (failed(emitter.allocate(
              arg, "arg" + std::to_string(arg.getArgNumber()), "input")))
        return failure();
    }

    // Results computed by mapped ops go straight to their output buffers.
    auto ret = cast<func::ReturnOp>(body.getTerminator());
    for (auto [i, value] : llvm::enumerate(ret.getOperands()))
      if (!isa<BlockArgument>(value) && !emitter.lookupBuffer(value)) {
        auto tensor = dyn_cast<RankedTensorType>(value.getType());
        if (!tensor || !tensor.hasStaticShape())
          return ret.emitError()
                 << "cannot map the function's result " << i
                 << " to the accelerator: results are static tensors";
        if (failed(emitter.allocate(value, "result" + std::to_string(i),
                                    "output")))
          return failure();
      }

    TileOptions tiles{tileM, tileN, tileK};
    for (Operation &op : body.without_terminator()) {
      emitter.setLocation(op.getLoc());
      if (failed(mapOp(&op, emitter, tiles)))
        return failure();
    }

    // Results that are arguments (or returned twice) get copies.
    emitter.setLocation(ret.getLoc());
    for (auto [i, value] : llvm::enumerate(ret.getOperands())) {
      bool needsCopy = isa<BlockArgument>(value);
      for (unsigned j = 0; j < i; ++j)
        needsCopy |= ret.getOperand(j) == value;
      if (!needsCopy)
        continue;
      std::optional<unsigned> source = emitter.lookupBuffer(value);
      if (!source || !isa<RankedTensorType>(value.getType()))
        return ret.emitError() << "cannot map the function's result " << i
                               << " to the accelerator: not a tensor in DRAM";
      // The copy's own buffer; the value stays bound to its source. Its
      // words move unchanged, whatever the element type.
      FailureOr<unsigned> target =
          emitter.allocate(value, "result" + std::to_string(i), "output",
                           /*bind=*/false);
      if (failed(target) || failed(copyWords(emitter, *source, *target)))
        return failure();
    }
    return success();
  }

  /// The buffer of `value`, allocating an intermediate one named `KIND.N`
  /// (N counts the function's intermediates) when it has none.
  LogicalResult ensureBuffer(ProgramEmitter &emitter, Value value,
                             StringRef kind) {
    if (emitter.lookupBuffer(value))
      return success();
    return emitter.allocate(value, (kind + "." + Twine(intermediates++)).str(),
                            "intermediate");
  }
  unsigned intermediates = 0;

  /// The buffer of a generic's result. A generic whose output map has
  /// constant indices writes part of its output (a residue of a divided
  /// loop): the rest is its initial value, so the result lives in the
  /// initial value's buffer when that is an intermediate used only here,
  /// and is otherwise a copy of it first.
  LogicalResult bindGenericResult(ProgramEmitter &emitter,
                                  linalg::GenericOp op) {
    Value result = op->getResult(0), init = op.getDpsInits()[0];
    AffineMap outMap = op.getIndexingMapsArray().back();
    bool partial = llvm::any_of(outMap.getResults(), [](AffineExpr e) {
      return isa<AffineConstantExpr>(e);
    });
    std::optional<unsigned> initBuffer = emitter.lookupBuffer(init);
    if (partial && initBuffer && !emitter.lookupBuffer(result) &&
        init.hasOneUse() &&
        emitter.getBuffer(*initBuffer).role == "intermediate") {
      emitter.alias(result, *initBuffer);
      return success();
    }
    if (failed(ensureBuffer(emitter, result, "generic")))
      return failure();
    if (!partial || !initBuffer)
      return success();
    ConvertedTensor tensor; // f32 or i32 values, moved unchanged
    tensor.buffer = *initBuffer;
    return mapThroughAcc(emitter, op, tensor, *emitter.lookupBuffer(result));
  }

  /// A qtrain.quantize: fused into the LOADs of the matmuls it feeds;
  /// written in its encoded form for the tap gathers and views read straight
  /// into scratchpads; written to DRAM as f32 for any other use.
  LogicalResult mapQuantize(ProgramEmitter &emitter, QuantizeOp quantize) {
    Value result = quantize.getResult();
    bool gathered = false, elsewhere = false;
    for (Operation *user : result.getUsers()) {
      // A gather reads its source in its body.
      auto generate = user->getParentOfType<tensor::GenerateOp>();
      if (generate && directGatherSource(generate) == quantize)
        gathered = true;
      else if (isViewOp(user) && onlyFeedsEncodedViews(user->getResult(0)))
        gathered = true;
      else if (!isa<MatmulOp>(user))
        elsewhere = true;
    }
    if (!gathered && !elsewhere)
      return success(); // fused into the contractions' LOADs
    FailureOr<ConvertedTensor> tensor =
        analyzeTensor(emitter, result, quantize);
    if (failed(tensor))
      return failure();
    std::optional<unsigned> target, encoded;
    if (elsewhere) {
      if (failed(ensureBuffer(emitter, result, "quantize")))
        return failure();
      target = emitter.lookupBuffer(result);
    }
    if (gathered) {
      EncodedForm form =
          encodedForm(tensor->format, emitter.getMachine().inputSp.rowBytes);
      unsigned bits = form.lanes.laneBits;
      auto type = cast<RankedTensorType>(result.getType());
      FailureOr<unsigned> id = emitter.allocateBytes(
          (Twine(form.dramLayout == DramLayout::Paired ? "paired." : "codes.") +
           Twine(intermediates++))
              .str(),
          "intermediate", type.getShape(),
          IntegerType::get(quantize.getContext(), bits),
          type.getNumElements() * bits / 8);
      if (failed(id))
        return failure();
      emitter.bindEncoded(result, *id);
      encoded = *id;
    }
    std::optional<unsigned> storedScale;
    if (failed(mapThroughAcc(emitter, quantize, *tensor, target, encoded,
                             &storedScale)))
      return failure();
    if (storedScale)
      emitter.bindEncodedScale(result, *storedScale);
    return success();
  }

  LogicalResult mapOp(Operation *op, ProgramEmitter &emitter,
                      const TileOptions &tiles) {
    // Views that only lead to operands read from an encoded form: the
    // matmuls load through them.
    if (isViewOp(op) && onlyFeedsEncodedViews(op->getResult(0)))
      return success();
    if (auto matmul = dyn_cast<MatmulOp>(op)) {
      if (failed(ensureBuffer(emitter, matmul.getResult(), "matmul")))
        return failure();
      return mapMatmul(emitter, matmul, tiles);
    }
    if (auto quantize = dyn_cast<QuantizeOp>(op))
      return mapQuantize(emitter, quantize);
    if (auto generic = dyn_cast<linalg::GenericOp>(op)) {
      if (generic->getNumResults() == 1 &&
          failed(bindGenericResult(emitter, generic)))
        return failure();
      return mapGeneric(emitter, generic);
    }
    if (auto slice = dyn_cast<tensor::ExtractSliceOp>(op)) {
      if (failed(ensureBuffer(emitter, slice.getResult(), "slice")))
        return failure();
      return mapExtractSlice(emitter, slice);
    }
    if (auto pool = dyn_cast<linalg::PoolingNchwMaxOp>(op)) {
      if (failed(ensureBuffer(emitter, pool.getResult(0), "pool")))
        return failure();
      return mapPoolingMax(emitter, pool);
    }
    if (auto fill = dyn_cast<linalg::FillOp>(op)) {
      if (onlyInitializesGenerics(fill.getResult(0)))
        return success(); // a VECTOR fill where a generic reads it
      if (failed(ensureBuffer(emitter, fill.getResult(0), "fill")))
        return failure();
      return mapFill(emitter, fill);
    }
    if (auto zse = dyn_cast<ZeroSettingErrorOp>(op)) {
      if (failed(ensureBuffer(emitter, zse.getResult(), "zse")))
        return failure();
      return mapZeroSettingError(emitter, zse);
    }
    if (auto encode = dyn_cast<EncodeOp>(op)) {
      for (Value result : encode->getResults())
        if (failed(ensureBuffer(emitter, result, "encode")))
          return failure();
      return mapEncode(emitter, encode);
    }
    if (auto decode = dyn_cast<DecodeOp>(op)) {
      if (failed(ensureBuffer(emitter, decode.getResult(), "decode")))
        return failure();
      return mapDecode(emitter, decode);
    }
    if (auto amax = dyn_cast<AmaxOp>(op)) {
      if (failed(ensureBuffer(emitter, amax.getResult(), "amax")))
        return failure();
      return mapAmax(emitter, amax);
    }
    if (auto histogram = dyn_cast<MedianHistogramOp>(op)) {
      if (failed(ensureBuffer(emitter, histogram.getResult(), "histogram")))
        return failure();
      return mapMedianHistogram(emitter, histogram);
    }
    if (auto histogram = dyn_cast<ExponentHistogramOp>(op)) {
      if (failed(ensureBuffer(emitter, histogram.getResult(), "histogram")))
        return failure();
      return mapExponentHistogram(emitter, histogram);
    }
    if (auto median = dyn_cast<MedianOp>(op)) {
      if (failed(ensureBuffer(emitter, median.getResult(), "median")))
        return failure();
      return mapMedian(emitter, median);
    }
    if (auto concat = dyn_cast<tensor::ConcatOp>(op)) {
      if (failed(ensureBuffer(emitter, concat.getResult(), "concat")))
        return failure();
      return mapConcat(emitter, concat);
    }
    if (auto median = dyn_cast<HistogramMedianOp>(op)) {
      if (failed(ensureBuffer(emitter, median.getResult(), "median")))
        return failure();
      return mapHistogramMedian(emitter, median);
    }
    if (auto select = dyn_cast<SelectScaleOp>(op)) {
      if (failed(ensureBuffer(emitter, select.getResult(), "select_scale")))
        return failure();
      return mapSelectScale(emitter, select);
    }
    if (auto generate = dyn_cast<tensor::GenerateOp>(op)) {
      if (directGatherSource(generate))
        return success(); // the matmuls load it straight into scratchpads
      if (generate->hasAttr(kIm2colAttr)) {
        if (failed(ensureBuffer(emitter, generate.getResult(), "im2col")))
          return failure();
        return mapIm2col(emitter, generate);
      }
      if (generate->hasAttr(kHistoryShiftAttr) &&
          failed(ensureBuffer(emitter, generate.getResult(), "history")))
        return failure();
      return mapHistoryShift(emitter, generate);
    }
    if (auto extract = dyn_cast<tensor::ExtractOp>(op))
      if (extract.getTensor().getType().getRank() == 0 &&
          onlyFeedsHistoryShifts(extract.getResult()))
        return success(); // the shift reads the 0-d tensor's buffer
    // Static reshapes of a row-major tensor are views of its buffer.
    if (isa<tensor::CollapseShapeOp, tensor::ExpandShapeOp>(op)) {
      Value source = op->getOperand(0), result = op->getResult(0);
      if (isUndefined(source))
        return success(); // still only a destination
      if (auto gather = source.getDefiningOp<tensor::GenerateOp>();
          gather && directGatherSource(gather))
        return success(); // the matrix of a gather the matmuls load
      std::optional<unsigned> buffer = emitter.lookupBuffer(source);
      if (!buffer)
        return cannotMap(op) << "its operand is not in DRAM";
      if (!cast<RankedTensorType>(result.getType()).hasStaticShape())
        return cannotMap(op) << "dynamic shapes";
      std::optional<unsigned> own = emitter.lookupBuffer(result);
      if (!own) {
        emitter.alias(result, *buffer);
        return success();
      }
      // A reshape that is a function result was given its own buffer.
      ConvertedTensor tensor;
      tensor.buffer = *buffer;
      return mapThroughAcc(emitter, op, tensor, *own);
    }
    if (isa<func::CallOp>(op))
      return cannotMap(op) << "calls are not mapped: inline them first "
                              "(--inline)";
    if (isa<tensor::EmptyOp>(op))
      return success(); // only ever a destination
    if (isa<arith::ConstantOp>(op) &&
        !isa<TensorType>(op->getResult(0).getType()))
      return success(); // an immediate where it is used
    if (auto constant = dyn_cast<arith::ConstantOp>(op)) {
      if (failed(ensureBuffer(emitter, constant.getResult(), "const")))
        return failure();
      return mapSplatConstant(emitter, constant);
    }
    if (isa<arith::ConstantOp, arith::AddIOp>(op) &&
        op->getResult(0).getType().isInteger(64) && onlySeeds(op->getResult(0)))
      return success(); // folded into the seeds' reg.load
    if (isScalarOp(op)) {
      if (Value stored = scalarDestination(op);
          stored && failed(ensureBuffer(emitter, stored, "scalar")))
        return failure();
      return mapScalar(emitter, op);
    }
    return cannotMap(op) << "no mapping for this op yet";
  }
};

} // namespace
