// RUN: qtrain-opt %s --split-input-file --qtrain-assign-precision=recipe=mxfp8 --verify-diagnostics

// Roles that qtrain-infer-roles would not write.
func.func @bad_roles(%x: tensor<2x4xf32>, %w: tensor<4x3xf32>) -> tensor<2x3xf32> {
  %c0 = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<2x3xf32>
  %z = linalg.fill ins(%c0 : f32) outs(%e : tensor<2x3xf32>) -> tensor<2x3xf32>
  // expected-error @below {{qtrain-assign-precision: malformed qtrain.gemm / qtrain.operand_roles attributes (qtrain-infer-roles sets them)}}
  %y = linalg.matmul {qtrain.gemm = #qtrain.conv_kind<forward>, qtrain.operand_roles = ["X", "W"]}
      ins(%x, %w : tensor<2x4xf32>, tensor<4x3xf32>) outs(%z : tensor<2x3xf32>) -> tensor<2x3xf32>
  return %y : tensor<2x3xf32>
}

// -----

// A contraction that accumulates into a non-zero output keeps f32, with a
// remark (qtrain.matmul starts from zero).
func.func @nonzero_init(%x: tensor<2x4xf32>, %w: tensor<4x3xf32>, %c: tensor<2x3xf32>) -> tensor<2x3xf32> {
  // expected-remark @below {{qtrain-assign-precision: left in f32: the contraction accumulates into a non-zero output}}
  %y = linalg.matmul {qtrain.gemm = #qtrain.conv_kind<forward>, qtrain.operand_roles = ["A", "W"]}
      ins(%x, %w : tensor<2x4xf32>, tensor<4x3xf32>) outs(%c : tensor<2x3xf32>) -> tensor<2x3xf32>
  return %y : tensor<2x3xf32>
}
