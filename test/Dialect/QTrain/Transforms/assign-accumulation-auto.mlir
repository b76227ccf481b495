// RUN: qtrain-opt %s --qtrain-assign-accumulation=recipe=%S/Inputs/auto-accumulation.json --verify-diagnostics

// "auto" is not implemented yet: an error at the contraction.
func.func @auto(%a: tensor<2x4xf32>, %w: tensor<4x3xf32>) -> tensor<2x3xf32> {
  // expected-error @below {{qtrain-assign-accumulation: recipe 'auto-accumulation' asks for "auto" accumulation, which is not implemented yet}}
  %0 = qtrain.matmul %a, %w {qtrain.gemm = #qtrain.conv_kind<forward>} : tensor<2x4xf32>, tensor<4x3xf32> -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}
