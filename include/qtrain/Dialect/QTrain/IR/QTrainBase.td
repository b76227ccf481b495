//===- QTrainBase.td - The qtrain dialect ------------------*- tablegen -*-===//

#ifndef QTRAIN_BASE_TD
#define QTRAIN_BASE_TD

include "mlir/IR/OpBase.td"
include "mlir/IR/AttrTypeBase.td"

def QTrain_Dialect : Dialect {
  let name = "qtrain";
  let cppNamespace = "::qtrain";
  let summary = "Low-bit number formats, rounding and accumulation for training";
  let description = [{
    The `qtrain` dialect says how a training step's tensors are stored and
    computed in low-bit formats. Its attributes name number formats
    (minifloats with any bias and special values, integers and fixed point,
    block- and tensor-scaled formats such as MX, FlexBlock, multi-level
    scaling and adaptive-bias FP8), rounding rules (the IEEE modes and
    stochastic rounding with k random bits from a named source) and
    accumulation rules (accumulator formats with static or dynamic group
    accumulation). Its ops quantize, encode and decode tensors, contract
    them with a declared accumulation, gather statistics and choose scales.

    Every attribute is a thin view of a descriptor of the numerics library
    (`include/qtrain/Numerics`), which defines every bit; see
    docs/Numerics.md and docs/QTrainRationale.md.
  }];
  let useDefaultAttributePrinterParser = 1;
  let dependentDialects = ["::mlir::arith::ArithDialect"];
  let hasConstantMaterializer = 1;
  let extraClassDeclaration = [{
    /// Registers the attributes (in QTrainAttrs.cpp, where their storage
    /// classes are complete).
    void registerAttributes();
  }];
}

class QTrain_Op<string mnemonic, list<Trait> traits = []>
    : Op<QTrain_Dialect, mnemonic, traits>;

#endif // QTRAIN_BASE_TD
