//===- QTrainAttrDefs.td - Formats, rounding, accumulation -*- tablegen -*-===//

#ifndef QTRAIN_ATTRDEFS_TD
#define QTRAIN_ATTRDEFS_TD

include "qtrain/Dialect/QTrain/IR/QTrainBase.td"
include "qtrain/Dialect/QTrain/IR/QTrainAttrInterfaces.td"

class QTrain_Attr<string name, string attrMnemonic, list<Trait> traits = []>
    : AttrDef<QTrain_Dialect, name, traits> {
  let mnemonic = attrMnemonic;
}

def QTrain_FloatFormatAttr : QTrain_Attr<"FloatFormat", "fp",
    [DeclareAttrInterfaceMethods<QTrain_FormatAttrInterface>]> {
  let summary = "A minifloat format";
  let description = [{
    Sign, `e` exponent bits, `m` mantissa bits, any bias, a special-value
    encoding (`ieee`: infinities and NaNs; `fn`: NaN only at all-ones;
    `fnuz`: NaN at the negative-zero code, no -0; `none`: all finite),
    subnormals on or flushed, and an overflow policy (`inf`, `nan`,
    `saturate`). Presets print by name:

    ```mlir
    #qtrain.fp<e4m3fn>
    #qtrain.fp<fp12_dga>
    #qtrain.fp<e5m2, bias = 20, specials = none, subnormals = false, overflow = saturate>
    ```

    `eXmY` alone means bias 2^(X-1) - 1, IEEE specials, subnormals on and
    overflow to infinity. Keys override any parameter of `eXmY` or of a
    preset (`#qtrain.fp<e4m3fn, overflow = saturate>`); giving `specials`
    without `overflow` selects that encoding's usual policy (ieee: inf,
    fn/fnuz: nan, none: saturate).
  }];
  let parameters = (ins
    AttrParameter<"::qtrain::numerics::MinifloatFormat", "">:$format);
  let hasCustomAssemblyFormat = 1;
  let genVerifyDecl = 1;
}

def QTrain_IntFormatAttr : QTrain_Attr<"IntFormat", "int",
    [DeclareAttrInterfaceMethods<QTrain_FormatAttrInterface>]> {
  let summary = "An integer or fixed-point format";
  let description = [{
    `sN` (two's complement), `uN` (unsigned) or `smN` (sign-magnitude) with
    N in [2, 32] bits, `frac` fraction bits (the value is code * 2^-frac)
    and `overflow = saturate | wrap`:

    ```mlir
    #qtrain.int<s8>
    #qtrain.int<s8, frac = 6>
    #qtrain.int<sm5, frac = 3, overflow = wrap>
    ```
  }];
  let parameters = (ins
    AttrParameter<"::qtrain::numerics::IntegerFormat", "">:$format);
  let hasCustomAssemblyFormat = 1;
  let genVerifyDecl = 1;
}

def QTrain_ScaleLevelAttr : QTrain_Attr<"ScaleLevel", "scale_level"> {
  let summary = "One level of block or tensor scaling";
  let description = [{
    A block shape over the trailing dimensions (`tensor` for one block over
    the whole tensor; -1 spans a whole dimension), a scale format (`f32`,
    `e8m0`, or `pow2<bits, bias>` / `pow2<bits, bias, nan>`) and a rule:
    `shared_exponent` (BFP, MX), `amax_to_max` (with `margin`),
    `median_lookup` (with `median_exponent`, and `nonzero` for the median
    of the non-zero elements) or `given`. `axis_block = n` gives tensors of
    lower rank than the block shape blocks of n elements along their
    reduction axis (the op's `reduction_axis`, default the innermost):
    FlexBlock's `[c, 3, 3]` filter blocks become `c * 9` elements along K
    of a fully connected layer's operand.

    ```mlir
    #qtrain.scale_level<[32], e8m0, shared_exponent>
    #qtrain.scale_level<tensor, f32, amax_to_max, margin = 1>
    #qtrain.scale_level<[16], pow2<3, 7>, shared_exponent>
    #qtrain.scale_level<tensor, e8m0, median_lookup, median_exponent = 1, nonzero>
    ```
  }];
  let parameters = (ins
    ArrayRefParameter<"int64_t">:$block,
    AttrParameter<"::qtrain::numerics::ScaleFormat", "">:$scaleFormat,
    AttrParameter<"::qtrain::numerics::ScaleRule", "">:$rule,
    "int":$margin,
    "int":$medianExponent,
    "bool":$excludeZeros,
    "int64_t":$axisBlock);
  let hasCustomAssemblyFormat = 1;
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    ::qtrain::numerics::ScaleLevel getLevel() const;
  }];
}

def QTrain_ScaledFormatAttr : QTrain_Attr<"ScaledFormat", "scaled",
    [DeclareAttrInterfaceMethods<QTrain_FormatAttrInterface,
                                 ["getDefaultRounding"]>]> {
  let summary = "An element format with block or tensor scale levels";
  let description = [{
    An element format (`#qtrain.fp` or `#qtrain.int`) and scale levels
    applied in order. Presets print by name (`mxfp8_e4m3`, `mxfp8_e5m2`,
    `mxfp6_e3m2`, `mxfp6_e2m3`, `mxfp4_e2m1`, `mxint8`, `fb12`, `fb16`,
    `fb24`, `mls_e2m4`, `mls_e2m1`, `fp8_e4m3_tensor`, `fp8_e5m2_tensor`,
    `abfp8_e5m2`):

    ```mlir
    #qtrain.scaled<mxfp8_e4m3>
    #qtrain.scaled<#qtrain.fp<e2m1fn>, [#qtrain.scale_level<[32], e8m0, shared_exponent>]>
    ```

    A preset carries the rounding its technique specifies (FlexBlock
    truncates: `fb12` is `#qtrain.scaled<#qtrain.fp<...>, [...],
    rounding = #qtrain.rounding<toward_zero>>`); ops on the format use it
    when they name no rounding. A format written level by level rounds to
    nearest-even unless it says `rounding = ...`, even when its levels equal
    a preset's, and prints by the preset name only when its rounding is the
    preset's too.
  }];
  let parameters = (ins
    "::mlir::Attribute":$element,
    ArrayRefParameter<"::qtrain::ScaleLevelAttr">:$levels,
    OptionalParameter<"::qtrain::RoundingAttr">:$rounding);
  let hasCustomAssemblyFormat = 1;
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    /// The attribute of a numerics-library scaled format.
    static ScaledFormatAttr fromNumerics(::mlir::MLIRContext *ctx,
                                         const ::qtrain::numerics::ScaledFormat &f,
                                         const ::qtrain::numerics::Rounding &rounding = {});
  }];
}

def QTrain_RoundingAttr : QTrain_Attr<"Rounding", "rounding"> {
  let summary = "A rounding rule";
  let description = [{
    `nearest_even`, `toward_zero`, `nearest_away`, `up`, `down`, or
    `stochastic` with `bits = k` (1..24), `discarded = kd` (the discarded
    bits it reads, k..24, default k), `source = counter | lfsr |
    lfsr_plateau | data` (`width`, `taps`, `lanes` for LFSRs, `offset` for
    data) and `variant = compare | add_truncate`. The seed is an operand of
    the op that rounds, never part of the attribute.

    ```mlir
    #qtrain.rounding<nearest_even>
    #qtrain.rounding<stochastic, bits = 3, source = lfsr_plateau, width = 3>
    ```
  }];
  let parameters = (ins
    AttrParameter<"::qtrain::numerics::Rounding", "">:$rounding);
  let hasCustomAssemblyFormat = 1;
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    bool isStochastic() const { return getRounding().isStochastic(); }
  }];
}

def QTrain_AccumulationAttr : QTrain_Attr<"Accumulation", "accum"> {
  let summary = "How a contraction accumulates";
  let description = [{
    The accumulator format (`#qtrain.fp`, or `#qtrain.int` for fixed-point
    group sums with static groups, as MLS's hardware does; the outer
    accumulator is then f32 unless `outer` says otherwise), then the
    grouping (`none`, `static`,
    `ideal_dga`, `efficient_dga`) and its keys: `group` (static), `t0`
    (DGA's initial threshold), `count = running | closed_group |
    after_reset` (ideal DGA, default running: docs/Numerics.md), `c` and
    `shared` (E-DGA); `product` and `outer` formats (default:
    exact products, outer = accumulator) and `rounding` (a deterministic
    mode, default nearest_even).

    ```mlir
    #qtrain.accum<#qtrain.fp<f32>>
    #qtrain.accum<#qtrain.fp<fp16_dga>, static, group = 16>
    #qtrain.accum<#qtrain.fp<fp12_dga>, efficient_dga, c = 4, shared>
    ```
  }];
  let parameters = (ins
    AttrParameter<"::qtrain::numerics::AccumulationSpec", "">:$spec);
  let hasCustomAssemblyFormat = 1;
  let genVerifyDecl = 1;
}

#endif // QTRAIN_ATTRDEFS_TD
