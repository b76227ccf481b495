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
  }];
  let dependentDialects = [
    "mlir::arith::ArithDialect", "mlir::cf::ControlFlowDialect",
    "mlir::linalg::LinalgDialect", "mlir::tensor::TensorDialect"
  ];
}

#endif // QTRAIN_DIALECT_QTRAIN_TRANSFORMS_PASSES_TD
