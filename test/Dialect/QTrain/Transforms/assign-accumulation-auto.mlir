// RUN: qtrain-opt %s --split-input-file --qtrain-assign-accumulation=recipe=%S/Inputs/auto-fp12.json --verify-diagnostics | FileCheck %s
// RUN: qtrain-opt %s --split-input-file --qtrain-assign-accumulation=recipe=%S/Inputs/auto-accumulation.json --verify-diagnostics | FileCheck %s --check-prefix=F32

// "auto": the grouping follows the reduction length K and the
// accumulator's mantissa (docs/Numerics.md, "Choosing a static group
// size"): FP12 (6 mantissa bits) always groups, by the power of two nearest
// (in log2) K^(7/12) / 2^(1/6) within [K / 2^7, 2^7]; f16 leaves short sums
// ungrouped;
// f32 never groups.

// CHECK-LABEL: func.func @lengths
// K = 4: groups of 2.
// CHECK: qtrain.matmul %arg0, %arg1 {accumulation = #qtrain.accum<#qtrain.fp<fp12_dga>, static, group = 2>
// K = 1024 (rows of A with transpose_a): 50.8, groups of 64.
// CHECK: qtrain.matmul %arg2, %arg3 {accumulation = #qtrain.accum<#qtrain.fp<fp12_dga>, static, group = 64>
// Convolution, forward: K = C*KH*KW = 16*3*3 = 144: 16.2, groups of 16.
// CHECK: qtrain.conv2d %arg4, %arg5 {accumulation = #qtrain.accum<#qtrain.fp<fp12_dga>, static, group = 16>
// backward_weight: K = N*OH*OW = 2*6*6 = 72: 10.8, groups of 8.
// CHECK: qtrain.conv2d %arg4, %arg6 {accumulation = #qtrain.accum<#qtrain.fp<fp12_dga>, static, group = 8>
// f16 (11 significant bits) at K = 4: 2^-11 sqrt(4) / 3 < 1e-3, no grouping.
// CHECK: qtrain.matmul %arg0, %arg1 {accumulation = #qtrain.accum<#qtrain.fp<f16>>
// f16 at K = 1024: 50.8, groups of 64.
// CHECK: qtrain.matmul %arg2, %arg3 {accumulation = #qtrain.accum<#qtrain.fp<f16>, static, group = 64>

// F32-LABEL: func.func @lengths
// F32-NOT: accumulation =
func.func @lengths(%a: tensor<2x4xf32>, %w: tensor<4x3xf32>, %at: tensor<1024x2xf32>, %w2: tensor<1024x3xf32>,
                   %x: tensor<2x16x8x8xf32>, %f: tensor<4x16x3x3xf32>, %dy: tensor<2x4x6x6xf32>)
    -> (tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x4x6x6xf32>, tensor<4x16x3x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>) {
  %0 = qtrain.matmul %a, %w {qtrain.gemm = #qtrain.conv_kind<forward>} : tensor<2x4xf32>, tensor<4x3xf32> -> tensor<2x3xf32>
  %1 = qtrain.matmul %at, %w2 {transpose_a, qtrain.gemm = #qtrain.conv_kind<backward_weight>} : tensor<1024x2xf32>, tensor<1024x3xf32> -> tensor<2x3xf32>
  %2 = qtrain.conv2d %x, %f : tensor<2x16x8x8xf32>, tensor<4x16x3x3xf32> -> tensor<2x4x6x6xf32>
  %3 = qtrain.conv2d %x, %dy {kind = #qtrain.conv_kind<backward_weight>} : tensor<2x16x8x8xf32>, tensor<2x4x6x6xf32> -> tensor<4x16x3x3xf32>
  %4 = qtrain.matmul %a, %w {qtrain.gemm = #qtrain.conv_kind<forward>} : tensor<2x4xf32>, tensor<4x3xf32> -> tensor<2x3xf32> loc("half")
  %5 = qtrain.matmul %at, %w2 {transpose_a, qtrain.gemm = #qtrain.conv_kind<backward_weight>} : tensor<1024x2xf32>, tensor<1024x3xf32> -> tensor<2x3xf32> loc("half")
  return %0, %1, %2, %3, %4, %5 : tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x4x6x6xf32>, tensor<4x16x3x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>
}

// -----

// A dynamic reduction length: an error at the contraction.
func.func @dynamic(%a: tensor<2x?xf32>, %w: tensor<?x3xf32>) -> tensor<2x3xf32> {
  // expected-error @below {{qtrain-assign-accumulation: "auto" accumulation needs a static reduction length}}
  %0 = qtrain.matmul %a, %w {qtrain.gemm = #qtrain.conv_kind<forward>} : tensor<2x?xf32>, tensor<?x3xf32> -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}
