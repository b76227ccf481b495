//===- QTrainOps.td - qtrain operations --------------------*- tablegen -*-===//

#ifndef QTRAIN_OPS_TD
#define QTRAIN_OPS_TD

include "qtrain/Dialect/QTrain/IR/QTrainAttrDefs.td"
include "mlir/IR/EnumAttr.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

def QTrain_FormatAttr : Attr<
    CPred<"::llvm::isa<::qtrain::FormatAttrInterface>($_self)">,
    "a qtrain number format (#qtrain.fp, #qtrain.int or #qtrain.scaled)"> {
  let storageType = "::qtrain::FormatAttrInterface";
  let returnType = "::qtrain::FormatAttrInterface";
  let convertFromStorage = "$_self";
}

def QTrain_FloatTensor : RankedTensorOf<[F32, BF16, F16]>;
def QTrain_F32Tensor : RankedTensorOf<[F32]>;
def QTrain_F32Scalar : 0DTensorOf<[F32]>;

//===----------------------------------------------------------------------===//
// Quantization
//===----------------------------------------------------------------------===//

def QTrain_QuantizeOp : QTrain_Op<"quantize",
    [Pure, AttrSizedOperandSegments,
     AllTypesMatch<["input", "result"]>]> {
  let summary = "Move a tensor onto a format's grid (fake quantization)";
  let description = [{
    Rounds every element of `input` to `format` with `rounding` and returns
    the values as the same floating-point type. Without a `rounding`
    attribute the rounding is the one a scaled preset specifies (FlexBlock
    presets truncate), else nearest-even. bf16 and f16 inputs are computed
    in f32 and the result converted back with nearest-even. For scaled formats the
    scales are computed from the tensor by each level's rule; levels whose
    rule is `given` take their scales from the `scales` operands (one per
    such level, shaped like the level's block grid, or 0-d for a
    whole-tensor level so that `select_scale` results plug in). Stochastic rounding
    needs a `seed`; the `data` random source needs `random_data`.

    ```mlir
    %q = qtrain.quantize %x {format = #qtrain.fp<e4m3fn>} : tensor<4x32xf32>
    %s = qtrain.quantize %g seed(%seed) {format = #qtrain.scaled<mxfp8_e5m2>,
           rounding = #qtrain.rounding<stochastic, bits = 3>} : tensor<4x32xf32>
    ```

    Constant inputs fold through the numerics library; quantizing twice to
    the same element format with deterministic rounding folds to once.
  }];
  let arguments = (ins QTrain_FloatTensor:$input,
                       Optional<I64>:$seed,
                       Optional<QTrain_F32Tensor>:$random_data,
                       Variadic<QTrain_F32Tensor>:$scales,
                       QTrain_FormatAttr:$format,
                       OptionalAttr<QTrain_RoundingAttr>:$rounding,
                       OptionalAttr<ConfinedAttr<I64Attr, [IntNonNegative]>>:$reduction_axis);
  let results = (outs QTrain_FloatTensor:$result);
  let assemblyFormat = [{
    $input (`seed` `(` $seed^ `)`)? (`random_data` `(` $random_data^ `:` type($random_data) `)`)?
    (`scales` `(` $scales^ `:` type($scales) `)`)? attr-dict `:` type($input)
  }];
  let hasVerifier = 1;
  let hasFolder = 1;
  let extraClassDeclaration = [{
    /// The rounding rule (nearest-even when the attribute is absent).
    /// The rounding rule: the attribute, else the scaled preset's own
    /// rounding, else nearest-even.
    ::qtrain::numerics::Rounding getRoundingRule();
    /// The format with its blocks made concrete for this op's tensor and
    /// `reduction_axis` (numerics::resolveBlocks).
    ::qtrain::numerics::ScaledFormat getResolvedFormat();
  }];
}

def QTrain_EncodeOp : QTrain_Op<"encode", [Pure, AttrSizedOperandSegments]> {
  let summary = "Encode a tensor into element codes and scale tensors";
  let description = [{
    The storage form of `quantize`: `codes` holds each element's code in an
    integer of the element's width (i4, i6, i8, ...), or in the builtin small
    float type equal to the element format (f8E4M3FN, f8E5M2, f4E2M1FN,
    ...), so that it plugs into upstream ops. One `scales` result per scale
    level: f32 for f32 scales, iN codes for N-bit power-of-two scales (or
    f8E8M0FNU for E8M0), shaped like the level's block grid. The rounding defaults as in
    `quantize`; levels whose rule is `given` take their scales from the
    `scales` operands as in `quantize` (e.g. a frozen adaptive bias or a
    delayed scale), and still return them as a result in storage form.

    ```mlir
    %c, %s = qtrain.encode %x {format = #qtrain.scaled<mxfp8_e4m3>}
        : tensor<4x64xf32> -> tensor<4x64xf8E4M3FN>, tensor<4x2xf8E8M0FNU>
    ```
  }];
  let arguments = (ins QTrain_FloatTensor:$input,
                       Optional<I64>:$seed,
                       Optional<QTrain_F32Tensor>:$random_data,
                       Variadic<QTrain_F32Tensor>:$given_scales,
                       QTrain_FormatAttr:$format,
                       OptionalAttr<QTrain_RoundingAttr>:$rounding,
                       OptionalAttr<ConfinedAttr<I64Attr, [IntNonNegative]>>:$reduction_axis);
  let results = (outs AnyRankedTensor:$codes, Variadic<AnyRankedTensor>:$scales);
  let assemblyFormat = [{
    $input (`seed` `(` $seed^ `)`)? (`random_data` `(` $random_data^ `:` type($random_data) `)`)?
    (`scales` `(` $given_scales^ `:` type($given_scales) `)`)? attr-dict `:` type($input) `->` type($codes) (`,` type($scales)^)?
  }];
  let hasVerifier = 1;
  let hasFolder = 1;
  let extraClassDeclaration = [{
    ::qtrain::numerics::Rounding getRoundingRule();
    /// The format with its blocks made concrete for this op's tensor and
    /// `reduction_axis` (numerics::resolveBlocks).
    ::qtrain::numerics::ScaledFormat getResolvedFormat();
  }];
}

def QTrain_DecodeOp : QTrain_Op<"decode", [Pure]> {
  let summary = "Decode element codes and scales to floating point";
  let description = [{
    The inverse of `encode`: decode(code) times the element's scales.

    ```mlir
    %x = qtrain.decode %c, %s {format = #qtrain.scaled<mxfp8_e4m3>}
        : tensor<4x64xf8E4M3FN>, tensor<4x2xf8E8M0FNU> -> tensor<4x64xf32>
    ```
  }];
  let arguments = (ins AnyRankedTensor:$codes, Variadic<AnyRankedTensor>:$scales,
                       QTrain_FormatAttr:$format,
                       OptionalAttr<ConfinedAttr<I64Attr, [IntNonNegative]>>:$reduction_axis);
  let results = (outs QTrain_FloatTensor:$result);
  let assemblyFormat = [{
    $codes (`,` $scales^)? attr-dict `:` type($codes) (`,` type($scales)^)? `->` type($result)
  }];
  let hasVerifier = 1;
  let hasFolder = 1;
  let extraClassDeclaration = [{
    /// The format with its blocks made concrete for this op's tensor and
    /// `reduction_axis` (numerics::resolveBlocks).
    ::qtrain::numerics::ScaledFormat getResolvedFormat();
  }];
}

//===----------------------------------------------------------------------===//
// Contractions
//===----------------------------------------------------------------------===//

def QTrain_MatmulOp : QTrain_Op<"matmul", [Pure]> {
  let summary = "Matrix product with a declared accumulation";
  let description = [{
    `C = op(A) x op(B)` on rank-2 tensors, or batched on rank-3 tensors
    (batch first), where op transposes the two trailing dimensions when
    `transpose_a` / `transpose_b` is set. Every output accumulates its K
    products in increasing order as `accumulation` says (default: f32,
    no grouping). The three GEMMs of a training step:

    ```mlir
    // forward      Y  = A x W
    %y  = qtrain.matmul %a, %w {accumulation = #qtrain.accum<#qtrain.fp<fp12_dga>, efficient_dga>}
        : tensor<32x64xf32>, tensor<64x16xf32> -> tensor<32x16xf32>
    // backward     EA = EY x W^T
    %ea = qtrain.matmul %ey, %w {transpose_b} : tensor<32x16xf32>, tensor<64x16xf32> -> tensor<32x64xf32>
    // weight grad  GW = A^T x EY
    %gw = qtrain.matmul %a, %ey {transpose_a} : tensor<32x64xf32>, tensor<32x16xf32> -> tensor<64x16xf32>
    ```
  }];
  let arguments = (ins QTrain_F32Tensor:$lhs, QTrain_F32Tensor:$rhs,
                       UnitAttr:$transpose_a, UnitAttr:$transpose_b,
                       OptionalAttr<QTrain_AccumulationAttr>:$accumulation);
  let results = (outs QTrain_F32Tensor:$result);
  let assemblyFormat = [{
    $lhs `,` $rhs attr-dict `:` type($lhs) `,` type($rhs) `->` type($result)
  }];
  let hasVerifier = 1;
}

def QTrain_ConvKind : I32EnumAttr<"ConvKind", "which GEMM of a training step", [
    I32EnumAttrCase<"Forward", 0, "forward">,
    I32EnumAttrCase<"BackwardData", 1, "backward_data">,
    I32EnumAttrCase<"BackwardWeight", 2, "backward_weight">]> {
  let cppNamespace = "::qtrain";
  let genSpecializedAttr = 0;
}

def QTrain_ConvKindAttr : EnumAttr<QTrain_Dialect, QTrain_ConvKind, "conv_kind"> {
  let assemblyFormat = "`<` $value `>`";
}

def QTrain_Conv2DOp : QTrain_Op<"conv2d", [Pure]> {
  let summary = "2-D convolution (NCHW, FCHW) with a declared accumulation";
  let description = [{
    `kind = forward`: `lhs` is the input [N, C, H, W], `rhs` the filter
    [F, C, KH, KW], the result [N, F, OH, OW].
    `kind = backward_data`: `lhs` is the output gradient [N, F, OH, OW],
    `rhs` the filter, the result the input gradient [N, C, H, W].
    `kind = backward_weight`: `lhs` is the input, `rhs` the output gradient,
    the result the filter gradient [F, C, KH, KW].
    With OH = (H + pad_top + pad_bottom - dilation_h * (KH - 1) - 1) /
    stride_h + 1 (likewise W), checked wherever sizes are static.

    ```mlir
    %y = qtrain.conv2d %x, %w {kind = #qtrain.conv_kind<forward>,
           strides = array<i64: 1, 1>, padding = array<i64: 1, 1, 1, 1>}
        : tensor<8x3x32x32xf32>, tensor<16x3x3x3xf32> -> tensor<8x16x32x32xf32>
    ```
  }];
  let arguments = (ins QTrain_F32Tensor:$lhs, QTrain_F32Tensor:$rhs,
      DefaultValuedAttr<QTrain_ConvKindAttr, "ConvKind::Forward">:$kind,
      DefaultValuedAttr<DenseI64ArrayAttr, "{1, 1}">:$strides,
      DefaultValuedAttr<DenseI64ArrayAttr, "{0, 0, 0, 0}">:$padding,
      DefaultValuedAttr<DenseI64ArrayAttr, "{1, 1}">:$dilations,
      OptionalAttr<QTrain_AccumulationAttr>:$accumulation);
  let results = (outs QTrain_F32Tensor:$result);
  let assemblyFormat = [{
    $lhs `,` $rhs attr-dict `:` type($lhs) `,` type($rhs) `->` type($result)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Statistics and scale selection
//===----------------------------------------------------------------------===//

def QTrain_AmaxOp : QTrain_Op<"amax", [Pure]> {
  let summary = "max |x| (NaN if any element is NaN)";
  let description = [{
    ```mlir
    %a = qtrain.amax %x : tensor<4x32xf32> -> tensor<f32>
    ```
  }];
  let arguments = (ins QTrain_F32Tensor:$input);
  let results = (outs QTrain_F32Scalar:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasFolder = 1;
}

def QTrain_MedianOp : QTrain_Op<"median", [Pure]> {
  let summary = "Median of |x|, exact or the three-pass approximation";
  let description = [{
    The lower median of |x|; with `approx`, the hardware approximation of
    adaptive-bias FP8 (min/max, then two passes of `bins` bins). NaNs never
    count; with `nonzero`, zeros do not either (the median of a ReLU
    output's non-zero values, not 0).

    ```mlir
    %m = qtrain.median %x {approx, bins = 20 : i32} : tensor<1024xf32> -> tensor<f32>
    %n = qtrain.median %x {nonzero} : tensor<1024xf32> -> tensor<f32>
    ```
  }];
  let arguments = (ins QTrain_F32Tensor:$input, UnitAttr:$approx,
                       DefaultValuedAttr<ConfinedAttr<I32Attr, [IntMinValue<1>]>, "20">:$bins,
                       UnitAttr:$nonzero);
  let results = (outs QTrain_F32Scalar:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasFolder = 1;
}

def QTrain_ZeroSettingErrorOp : QTrain_Op<"zero_setting_error", [Pure]> {
  let summary = "Fraction of elements a format flushes to zero";
  let description = [{
    The fraction of the non-zero (non-NaN) elements that quantize to zero
    under `format` (element or scaled; scales computed by their rules) and a
    deterministic `rounding` (FlexBlock's precision-control statistic); with
    `all_elements`, the same count over all elements, zeros included.
    Dividing by the non-zero elements keeps the statistic (and the
    precision thresholds read against it) independent of a tensor's
    sparsity: a ReLU output half zeros would otherwise halve it.

    ```mlir
    %z = qtrain.zero_setting_error %x {format = #qtrain.fp<e4m3fn>} : tensor<64xf32> -> tensor<f32>
    %f = qtrain.zero_setting_error %w {format = #qtrain.scaled<fb12>} : tensor<16x24x3x3xf32> -> tensor<f32>
    ```
  }];
  let arguments = (ins QTrain_F32Tensor:$input, QTrain_FormatAttr:$format,
                       OptionalAttr<QTrain_RoundingAttr>:$rounding,
                       UnitAttr:$all_elements,
                       OptionalAttr<ConfinedAttr<I64Attr, [IntNonNegative]>>:$reduction_axis);
  let results = (outs QTrain_F32Scalar:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
  let hasFolder = 1;
  let extraClassDeclaration = [{
    /// The format with its blocks made concrete for this op's tensor and
    /// `reduction_axis` (numerics::resolveBlocks).
    ::qtrain::numerics::ScaledFormat getResolvedFormat();
    /// The element rounding (the format's default unless `rounding`).
    ::qtrain::numerics::Rounding getRoundingRule();
  }];
}

def QTrain_ExponentHistogramOp : QTrain_Op<"exponent_histogram", [Pure]> {
  let summary = "Histogram of floor(log2 |x|)";
  let description = [{
    280 counts: exponents -149..127 (277 bins), then zeros, infinities and
    NaNs.

    ```mlir
    %h = qtrain.exponent_histogram %x : tensor<64xf32> -> tensor<280xi64>
    ```
  }];
  let arguments = (ins QTrain_F32Tensor:$input);
  let results = (outs 1DTensorOf<[I64]>:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
}

def QTrain_MedianHistogramOp : QTrain_Op<"median_histogram", [Pure,
    AllTypesMatch<["histogram", "result"]>]> {
  let summary = "Add |x| to a streaming, mergeable median histogram";
  let description = [{
    `histogram` plus the half-octave counts of `input`: 557 counts, two per
    exponent -149..127 ([2^e, 1.5 * 2^e) then [1.5 * 2^e, 2^(e+1))), then
    zeros, infinities and NaNs. Every tensor of a role (all layers, every
    warm-up step) adds to one histogram; `histogram_median` reads the median
    back, and its `median_lookup` scale equals the exact median's over all
    the tensors added (adaptive-bias FP8's per-role bias).

    ```mlir
    %h1 = qtrain.median_histogram %x, %h0 : tensor<64x32xf32>, tensor<557xi64>
    ```
  }];
  let arguments = (ins QTrain_F32Tensor:$input, 1DTensorOf<[I64]>:$histogram);
  let results = (outs 1DTensorOf<[I64]>:$result);
  let assemblyFormat = [{
    $input `,` $histogram attr-dict `:` type($input) `,` type($histogram)
  }];
  let hasVerifier = 1;
}

def QTrain_HistogramMedianOp : QTrain_Op<"histogram_median", [Pure]> {
  let summary = "The median a median histogram stands for";
  let description = [{
    A value in the half octave holding the lower median of the counted
    values (1.25 * 2^e or 1.75 * 2^e rounded to f32; 0 for a zero median or
    no counted value; +inf for an infinite one). NaNs never count, zeros
    only without `nonzero`. Its nearest power of two is the exact median's,
    so `select_scale` with a `median_lookup` level gives the exact median's
    scale.

    ```mlir
    %m = qtrain.histogram_median %h {nonzero} : tensor<557xi64> -> tensor<f32>
    ```
  }];
  let arguments = (ins 1DTensorOf<[I64]>:$histogram, UnitAttr:$nonzero);
  let results = (outs QTrain_F32Scalar:$result);
  let assemblyFormat = "$histogram attr-dict `:` type($histogram) `->` type($result)";
  let hasVerifier = 1;
  let hasFolder = 1;
}

def QTrain_SelectScaleOp : QTrain_Op<"select_scale", [Pure,
    AllTypesMatch<["statistic", "scale"]>]> {
  let summary = "Turn a statistic into a scale under a scale level's rule";
  let description = [{
    `statistic` is the amax (rules `shared_exponent`, `amax_to_max`) or the
    median of |x| (`median_lookup`) of the tensor; the result is the scale,
    rounded to the level's scale format, for values in `element` format.

    ```mlir
    %s = qtrain.select_scale %amax {level = #qtrain.scale_level<tensor, f32, amax_to_max>,
           element = #qtrain.fp<e4m3fn>} : tensor<f32>
    ```
  }];
  let arguments = (ins QTrain_F32Scalar:$statistic,
                       QTrain_ScaleLevelAttr:$level, QTrain_FormatAttr:$element);
  let results = (outs QTrain_F32Scalar:$scale);
  let assemblyFormat = "$statistic attr-dict `:` type($statistic)";
  let hasVerifier = 1;
  let hasFolder = 1;
}

def QTrain_DelayedScaleOp : QTrain_Op<"delayed_scale", [Pure,
    AllTypesMatch<["history", "new_history"]>,
    AllTypesMatch<["amax", "scale"]>]> {
  let summary = "Delayed scaling: a scale from an explicit amax history";
  let description = [{
    Appends `amax` to the history window (dropping the oldest, element 0)
    and returns the scale chosen from the maximum over the new window, as
    `select_scale` with the same level would (`amax_to_max` or
    `shared_exponent`). The state is the SSA
    value `new_history`, threaded through the training loop.

    ```mlir
    %s, %h1 = qtrain.delayed_scale %amax, %h0 {level = #qtrain.scale_level<tensor, f32, amax_to_max>,
                element = #qtrain.fp<e4m3fn>} : tensor<f32>, tensor<16xf32>
    ```
  }];
  let arguments = (ins QTrain_F32Scalar:$amax, 1DTensorOf<[F32]>:$history,
                       QTrain_ScaleLevelAttr:$level, QTrain_FormatAttr:$element);
  let results = (outs QTrain_F32Scalar:$scale, 1DTensorOf<[F32]>:$new_history);
  let assemblyFormat = "$amax `,` $history attr-dict `:` type($amax) `,` type($history)";
  let hasVerifier = 1;
}

#endif // QTRAIN_OPS_TD
