// RUN: qtrain-opt %s --qtrain-assign-accumulation=recipe=fp12-edga | FileCheck %s

// CHECK-LABEL: func.func @gemms
// CHECK: qtrain.matmul %arg0, %arg1 {accumulation = #qtrain.accum<#qtrain.fp<fp12_dga>, efficient_dga>, qtrain.gemm = #qtrain.conv_kind<forward>}
// CHECK: qtrain.conv2d %arg2, %arg3 {accumulation = #qtrain.accum<#qtrain.fp<fp12_dga>, efficient_dga>}
// A contraction with an accumulation keeps it; one without qtrain.gemm
// (not from a recipe pass) is left alone.
// CHECK: qtrain.matmul %arg0, %arg1 {accumulation = #qtrain.accum<#qtrain.fp<f32>, static, group = 2>, qtrain.gemm = #qtrain.conv_kind<forward>}
// CHECK: qtrain.matmul %arg0, %arg1 : tensor
func.func @gemms(%a: tensor<2x4xf32>, %w: tensor<4x3xf32>, %x: tensor<1x1x4x4xf32>, %f: tensor<2x1x3x3xf32>)
    -> (tensor<2x3xf32>, tensor<1x2x2x2xf32>, tensor<2x3xf32>, tensor<2x3xf32>) {
  %0 = qtrain.matmul %a, %w {qtrain.gemm = #qtrain.conv_kind<forward>} : tensor<2x4xf32>, tensor<4x3xf32> -> tensor<2x3xf32>
  %1 = qtrain.conv2d %x, %f : tensor<1x1x4x4xf32>, tensor<2x1x3x3xf32> -> tensor<1x2x2x2xf32>
  %2 = qtrain.matmul %a, %w {qtrain.gemm = #qtrain.conv_kind<forward>, accumulation = #qtrain.accum<#qtrain.fp<f32>, static, group = 2>} : tensor<2x4xf32>, tensor<4x3xf32> -> tensor<2x3xf32>
  %3 = qtrain.matmul %a, %w : tensor<2x4xf32>, tensor<4x3xf32> -> tensor<2x3xf32>
  return %0, %1, %2, %3 : tensor<2x3xf32>, tensor<1x2x2x2xf32>, tensor<2x3xf32>, tensor<2x3xf32>
}

