//===- Passes.td - qtrain dialect transformation passes ----*- tablegen -*-===//
//
// Passes that rewrite qtrain IR into qtrain IR (plus upstream ops on
// tensors), shared by every lowering. The reference generated from this file
// is committed as docs/Passes/QTrainTransforms.md; docs/Passes.md has the
// hand-written overview.
//
//===----------------------------------------------------------------------===//

#ifndef QTRAIN_DIALECT_QTRAIN_TRANSFORMS_PASSES_TD
#define QTRAIN_DIALECT_QTRAIN_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

def QTrainDecomposePass : Pass<"qtrain-decompose"> {
  let summary = "Rewrite composite qtrain ops into simpler qtrain and upstream "
                "ops on tensors";
  let description = [{
    Rewrites the qtrain ops that are defined in terms of other ops, so that
    every lowering (the CPU conversion, an accelerator's) implements only
    the primitive ones. Everything stays on tensors; the results are
    bit-identical to the numerics library's definition of each op
    (docs/Numerics.md):

    - `qtrain.conv2d` (every kind) becomes the im2col matrices of its GEMM
      (`tensor.generate`, padding taps as `+0`), one `qtrain.matmul` with
      the op's `accumulation`, and a `tensor.generate` that moves the
      product into the NCHW (or FCHW) result, exactly as
      `numerics::conv2d` builds them:

      | kind | matmul |
      | --- | --- |
      | forward | `W[F, C*KH*KW] x col(x)[C*KH*KW, N*OH*OW]` |
      | backward_data | `W^T[C, F*KH*KW] x col(dy)[F*KH*KW, N*H*W]` |
      | backward_weight | `dy[F, N*OH*OW] x col(x)[N*OH*OW, C*KH*KW]` |

    - `qtrain.delayed_scale` becomes the new window (`tensor.generate`: the
      history shifted by one with `amax` appended), `qtrain.amax` of the
      window and `qtrain.select_scale` with the op's level. A `cf.assert`
      rejects an empty (dynamically sized) history at run time.
    - `qtrain.zero_setting_error` becomes the op's `qtrain.quantize`, a
      `linalg.generic` reduction that counts, in `i64`, the non-zero,
      non-NaN inputs that quantize to `+-0` (and those inputs, the
      denominator, unless `all_elements`), and the ratio of the counts in
      `f64` rounded to `f32` (`0` for a zero denominator).

    Before:

    ```mlir
    %s, %h1 = qtrain.delayed_scale %amax, %h0 {
        level = #qtrain.scale_level<tensor, f32, amax_to_max>,
        element = #qtrain.fp<e4m3fn>} : tensor<f32>, tensor<16xf32>
    ```

    After:

    ```mlir
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %n = tensor.dim %h0, %c0 : tensor<16xf32>
    %nonempty = arith.cmpi uge, %n, %c1 : index
    cf.assert %nonempty, "qtrain.delayed_scale: the amax history is empty"
    %a = tensor.extract %amax[] : tensor<f32>
    %last = arith.subi %n, %c1 : index
    %h1 = tensor.generate {
    ^bb0(%i: index):
      %is_last = arith.cmpi eq, %i, %last : index
      %i1 = arith.addi %i, %c1 : index
      %next = arith.minui %i1, %last : index
      %older = tensor.extract %h0[%next] : tensor<16xf32>
      %v = arith.select %is_last, %a, %older : f32
      tensor.yield %v : f32
    } : tensor<16xf32>
    %m = qtrain.amax %h1 : tensor<16xf32> -> tensor<f32>
    %s = qtrain.select_scale %m {element = #qtrain.fp<e4m3fn>,
        level = #qtrain.scale_level<tensor, f32, amax_to_max>} : tensor<f32>
    ```

    docs/Passes.md shows the other two rewrites. A `qtrain.conv2d` whose
    result leaves an input or filter size dynamic (backward_data,
    backward_weight) cannot be rewritten: the pass reports it at the op's
    location and fails. The `qtrain-to-llvm` pipeline runs this pass first;
    `convert-qtrain-to-vector` rejects the three ops undecomposed.
    `keep-zero-setting-error` leaves `qtrain.zero_setting_error` whole for
    a target that gathers the statistic itself (the accelerator's
    zero-setting statistics; the `qtrain-to-accel` pipeline sets it).
  }];
  let options = [
    Option<"keepZeroSettingError", "keep-zero-setting-error", "bool",
           /*default=*/"false",
           "Leave qtrain.zero_setting_error whole (a target with a "
           "zero-setting statistics unit maps it)">
  ];
  let dependentDialects = [
    "mlir::arith::ArithDialect", "mlir::cf::ControlFlowDialect",
    "mlir::linalg::LinalgDialect", "mlir::tensor::TensorDialect"
  ];
}

def QTrainInferRolesPass : Pass<"qtrain-infer-roles", "mlir::func::FuncOp"> {
  let summary = "Mark each contraction of a training step with its GEMM and "
                "the roles of its operands";
  let description = [{
    Finds the contractions of a training step (docs/TrainingSteps.md:
    `linalg.matmul` and `linalg.batch_matmul` in their plain and transposed
    forms, the `linalg.generic` with matmul maps,
    `linalg.conv_2d_nchw_fchw` and the two `linalg.generic` forms of the
    backward convolutions) and sets on each `qtrain.gemm`
    (`#qtrain.conv_kind<forward | backward_data | backward_weight>`) and
    `qtrain.operand_roles` (the roles of its two inputs, in operand order:
    `"A"`, `"W"` or `"E"`; the result of a backward_weight GEMM is G).

    The roles come from the step's dataflow, so a step written by hand
    without any qtrain attribute works too:
    - parameters are arguments with `qtrain.role = "weight"`, or, without a
      role attribute, arguments whose updated value is returned and that
      reach a contraction operand (through pads, reshapes, slices and
      transposes). Updated arguments without a role attribute get one:
      `"weight"` when the loss depends on them (biases too), else
      `"optimizer_state"`;
    - the forward pass is what the loss depends on (the result with
      `qtrain.role = "loss"`, else the only rank-0 f32 result that updates
      no argument);
    - forward contractions have one parameter operand (W) and an activation
      (A); backward contractions with a parameter operand take an error (E)
      and are backward_data; backward contractions without one take an
      activation and an error and are backward_weight.

    Other linalg contractions and convolutions (a strided convolution, a
    matmul with broadcast maps) get a remark that they stay f32.
    A contraction whose roles do not follow (two parameters, none in a
    forward contraction, a convolution form that contradicts the dataflow,
    no loss) gets a remark at its location and no attribute: never a guess.

    Before (`qtrain-model mlp`, one layer):
    ```mlir
    %y = linalg.matmul ins(%x, %w : tensor<2x4xf32>, tensor<4x3xf32>)
           outs(%zero : tensor<2x3xf32>) -> tensor<2x3xf32> loc("fc1")
    ```
    After:
    ```mlir
    %y = linalg.matmul {qtrain.gemm = #qtrain.conv_kind<forward>,
                        qtrain.operand_roles = ["A", "W"]}
           ins(%x, %w : tensor<2x4xf32>, tensor<4x3xf32>)
           outs(%zero : tensor<2x3xf32>) -> tensor<2x3xf32> loc("fc1")
    ```
  }];
  let dependentDialects = ["::qtrain::QTrainDialect"];
}

def QTrainAssignPrecisionPass
    : Pass<"qtrain-assign-precision", "mlir::ModuleOp"> {
  let summary = "Quantize the operands of each marked contraction as a "
                "recipe says";
  let description = [{
    Rewrites every contraction marked by `qtrain-infer-roles` into a
    `qtrain.matmul` (keeping the transposes) or a `qtrain.conv2d` of the
    matching kind, and quantizes each operand with the format and rounding
    of the recipe's rule for (layer, role, GEMM) (docs/Recipes.md); the
    layer is the name of the op's location. The result of a backward_weight
    GEMM (G) is quantized by the G rule. Each `qtrain.quantize` gets the
    operand's reduction axis as `reduction_axis` (block formats' blocks run
    along it) and the discardable attributes `qtrain.role` and
    `qtrain.layer`.

    - A `tensor.pad` by zeros of a convolution's input moves into the
      `qtrain.conv2d`'s `padding`, so formats see the unpadded tensor. The
      backward data form's gradient operand must be the gradient padded by
      the kernel size - 1 (the form of docs/TrainingSteps.md).
    - Stochastic rounding needs seeds: the first stochastic quantize adds an
      `i64` argument with `qtrain.role = "seed"` at the end of the function;
      quantize site `n` (in program order) uses `seed + n * 2^40`.
    - Accumulation is left to `qtrain-assign-accumulation` (no attribute:
      f32); per-tensor scaling to `qtrain-insert-scaling`, which finds the
      quantize ops by their `qtrain.role` / `qtrain.layer` / `qtrain.gemm`
      attributes. Run both (the `qtrain-quantize` pipeline does): this pass
      alone quantizes without the recipe's scaling.

    Contractions that accumulate into a non-zero output stay in f32 with a
    remark. A recipe that cannot be loaded is an error.

    Before (marked by qtrain-infer-roles):
    ```mlir
    %y = linalg.matmul {qtrain.gemm = #qtrain.conv_kind<forward>,
                        qtrain.operand_roles = ["A", "W"]}
           ins(%x, %w : tensor<2x4xf32>, tensor<4x3xf32>)
           outs(%zero : tensor<2x3xf32>) -> tensor<2x3xf32> loc("fc1")
    ```
    After, with `recipe=mxfp8`:
    ```mlir
    %xq = qtrain.quantize %x {format = #qtrain.scaled<mxfp8_e4m3>,
            qtrain.gemm = #qtrain.conv_kind<forward>, qtrain.layer = "fc1",
            qtrain.role = "A", reduction_axis = 1 : i64} : tensor<2x4xf32>
    %wq = qtrain.quantize %w {format = #qtrain.scaled<mxfp8_e4m3>,
            qtrain.gemm = #qtrain.conv_kind<forward>, qtrain.layer = "fc1",
            qtrain.role = "W", reduction_axis = 0 : i64} : tensor<4x3xf32>
    %y = qtrain.matmul %xq, %wq {qtrain.gemm = #qtrain.conv_kind<forward>}
          : tensor<2x4xf32>, tensor<4x3xf32> -> tensor<2x3xf32>
    ```
  }];
  let options = [
    Option<"recipe", "recipe", "std::string", /*default=*/"\"fp32\"",
           "A bundled recipe's name (fp32, fp8-hybrid, mxfp8, ...) or the "
           "path of a recipe file">
  ];
  let dependentDialects = ["mlir::arith::ArithDialect", "::qtrain::QTrainDialect"];
}

def QTrainInsertScalingPass : Pass<"qtrain-insert-scaling", "mlir::ModuleOp"> {
  let summary = "Add the per-tensor scaling a recipe gives each role";
  let description = [{
    Visits the `qtrain.quantize` ops that `qtrain-assign-precision` made
    (they carry `qtrain.role`, `qtrain.layer` and, for GEMM operands,
    `qtrain.gemm`) and applies the recipe rule's `scaling`
    (docs/Recipes.md):

    - `current_amax`: the format becomes a scaled format with one
      whole-tensor f32 level whose rule is `amax_to_max` with the recipe's
      `margin`: the scale is computed from this tensor, this step.
    - `delayed_amax`: the scale comes from a history of amaxes (Micikevicius
      et al.'s delayed scaling): `qtrain.amax` of the tensor, then
      `qtrain.delayed_scale` over the history with the same level, and the
      quantize takes that scale through a `given` level. The history is
      state: a new `tensor<Hxf32>` argument (`qtrain.role =
      "amax_history"`, `qtrain.tensor_role`, `qtrain.layer`) at the end of
      the function, and a new result with the same attributes plus
      `qtrain.updates = <the argument's index>`, which the caller threads
      into the next step. A history of zeros is the start: the window always
      holds the current amax, so the first step scales by it.
    In a function that is not a training step (no result marked
    `qtrain.role = "loss"`, e.g. `@predict`) the state is read-only:
    arguments without results, no histogram gathering; the caller passes
    the training step's state.

    - `adaptive_bias` (Hassani Sadi et al.'s adaptive-bias FP8): one bias
      per role (W, A, E, G) shared by every layer, as the
      `abfp8_e5m2` preset's `median_lookup` scale (an e8m0 power of two) of
      the median of the non-zero |x| of every tensor of the role (each
      tensor once, even when it feeds two GEMMs), for the technique's
      element format (E5M2, bias 15, no specials or subnormals,
      saturating; other formats are an error). New state:
      a step counter (`tensor<i64>`, `qtrain.role = "step"`) and per role a
      `qtrain.median_histogram` (`tensor<557xi64>`, `"median_histogram"`)
      and the scale (`tensor<f32>`, `"adaptive_scale"`), each returned as
      its next value (`qtrain.updates`); start all at zero. For
      `warmup_steps` steps every tensor of the role passes through in f32
      while the histogram gathers it; the histogram keeps gathering
      `freeze_after` steps more (forever when `"never"`), and the scale
      follows it; then both freeze. A quantize uses the scale of the
      statistics up to the previous step (the histogram of this step is
      only complete at its end). Every site of a role must have the same
      format and scaling.

    Before (`recipe=fp8-hybrid`, W of layer fc1):
    ```mlir
    %wq = qtrain.quantize %w {format = #qtrain.fp<e4m3fn>,
            qtrain.gemm = #qtrain.conv_kind<forward>, qtrain.layer = "fc1",
            qtrain.role = "W", reduction_axis = 0 : i64} : tensor<4x8xf32>
    ```
    After:
    ```mlir
    %a = qtrain.amax %w : tensor<4x8xf32> -> tensor<f32>
    %s, %h1 = qtrain.delayed_scale %a, %h0 {
        element = #qtrain.fp<e4m3fn>,
        level = #qtrain.scale_level<tensor, f32, amax_to_max>}
        : tensor<f32>, tensor<16xf32>
    %wq = qtrain.quantize %w scales(%s : tensor<f32>) {
            format = #qtrain.scaled<#qtrain.fp<e4m3fn>,
                                    [#qtrain.scale_level<tensor, f32, given>]>,
            qtrain.gemm = #qtrain.conv_kind<forward>, qtrain.layer = "fc1",
            qtrain.role = "W", reduction_axis = 0 : i64} : tensor<4x8xf32>
    ...
    return ..., %h1 : ..., tensor<16xf32>
    ```
  }];
  let options = [
    Option<"recipe", "recipe", "std::string", /*default=*/"\"fp32\"",
           "The recipe qtrain-assign-precision used (name or path)">
  ];
  let dependentDialects = ["::qtrain::QTrainDialect", "mlir::arith::ArithDialect",
                           "mlir::scf::SCFDialect", "mlir::tensor::TensorDialect"];
}

def QTrainDynamicPrecisionPass
    : Pass<"qtrain-dynamic-precision", "mlir::ModuleOp"> {
  let summary = "FlexBlock's dynamic precision control as IR run every step";
  let description = [{
    For every (layer, role) a recipe's `dynamic_precision` controls
    (docs/Recipes.md), the `qtrain.quantize` ops that
    `qtrain-assign-precision` tagged with that layer and role choose their
    format from the mode ladder at run time: an `scf.index_switch` on the
    current rung quantizes in that rung's format and measures the
    `qtrain.zero_setting_error` (ZSE) of the tensor in it. At the end of the
    step the mean ZSE of the group's tensors is added to a period sum; at
    the end of each period (every `period` steps, counted from the step
    counter) the period's mean below `low` extends a streak of low periods,
    above `high` a streak of high ones, anything else ends the streak; a
    streak of `hysteresis` periods moves the rung one step down the ladder
    (less precision) or up (more precision), within the ladder, and starts
    over.

    State, all arguments with a matching result (`qtrain.updates`), all
    starting at zero: a step counter (`tensor<i64>`, `qtrain.role =
    "step"`, shared with and advanced by `qtrain-insert-scaling`'s when it
    made one), and per (layer, role) the mode as an offset from the
    starting rung (`"precision_mode"`, so that zero is the recipe's format),
    the period's ZSE sum (`"zse_sum"`) and the streak (`"zse_streak"`,
    positive for low periods, negative for high ones), each with
    `qtrain.tensor_role` and `qtrain.layer`. A runner reads the modes from
    the results to trace them, and passes a step's modes to `@predict`'s
    `precision_mode` arguments to evaluate in the same precision (in a
    function that is not a training step only the modes are added, as
    read-only arguments, and no error is measured).

    ```mlir
    %mode = tensor.extract %mode_arg[] : tensor<i64>
    %rung = arith.addi %c1_i64, %mode : i64      // FB16 is rung 1
    %i = arith.index_cast %rung : i64 to index
    %q, %zse = scf.index_switch %i -> tensor<64x32xf32>, tensor<f32>
    case 0 { ... qtrain.quantize %x {format = #qtrain.scaled<fb24>} ...
             ... qtrain.zero_setting_error %x {format = #qtrain.scaled<fb24>} ... }
    case 1 { ... fb16 ... }
    default { ... fb12 ... }
    ```
  }];
  let options = [
    Option<"recipe", "recipe", "std::string", /*default=*/"\"fp32\"",
           "The recipe qtrain-assign-precision used (name or path)">
  ];
  let dependentDialects = ["::qtrain::QTrainDialect", "mlir::arith::ArithDialect",
                           "mlir::scf::SCFDialect", "mlir::tensor::TensorDialect"];
}

def QTrainAssignAccumulationPass
    : Pass<"qtrain-assign-accumulation", "mlir::ModuleOp"> {
  let summary = "Set the accumulation of each qtrain contraction as a recipe "
                "says";
  let description = [{
    Sets the `accumulation` attribute of every `qtrain.matmul` with a
    `qtrain.gemm` attribute and every `qtrain.conv2d` to the recipe's
    accumulation for (layer, GEMM) (docs/Recipes.md): f32 (the attribute is
    left out), or a `#qtrain.accum` with its accumulator, grouping and
    rounding. Contractions that already have an `accumulation` keep it.

    The recipe's `"auto"` accumulation takes the recipe's accumulator
    (f32 when it names none) and chooses its grouping from the reduction
    length K and the accumulator's mantissa bits m
    (`numerics::chooseAutoGrouping`; the error model and its measurement
    are in docs/Numerics.md, "Choosing a static group size"): no grouping
    when `2^-(m+1) sqrt(K/3) <= auto-tolerance` and `K <= 2^(m+1)`, else
    static groups of the power of two nearest `sqrt(K)`. K is A's columns
    for a matmul (rows with `transpose_a`), C*KH*KW, F*KH*KW or N*OH*OW for
    the three convolution kinds; it must be static.

    Before:
    ```mlir
    %y = qtrain.matmul %a, %w {qtrain.gemm = #qtrain.conv_kind<forward>}
        : tensor<2x4xf32>, tensor<4x3xf32> -> tensor<2x3xf32> loc("fc1")
    ```
    After, with `recipe=fp12-edga`:
    ```mlir
    %y = qtrain.matmul %a, %w {
          accumulation = #qtrain.accum<#qtrain.fp<fp12_dga>, efficient_dga>,
          qtrain.gemm = #qtrain.conv_kind<forward>}
        : tensor<2x4xf32>, tensor<4x3xf32> -> tensor<2x3xf32> loc("fc1")
    ```
  }];
  let options = [
    Option<"recipe", "recipe", "std::string", /*default=*/"\"fp32\"",
           "A bundled recipe's name or the path of a recipe file">,
    Option<"autoTolerance", "auto-tolerance", "double", /*default=*/"1e-3",
           "\"auto\": the modelled rms relative error of sequential "
           "accumulation below which no grouping is used">
  ];
}

#endif // QTRAIN_DIALECT_QTRAIN_TRANSFORMS_PASSES_TD
