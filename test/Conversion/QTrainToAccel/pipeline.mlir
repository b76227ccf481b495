// The named pipeline qtrain-to-accel: qtrain-decompose, then
// convert-qtrain-to-accel with the pipeline's options.
// RUN: qtrain-opt %s --qtrain-to-accel="function=layer tile-m=8" | FileCheck %s
// RUN: qtrain-opt %s --pass-pipeline='builtin.module(qtrain-to-accel{function=layer tile-m=8})' | FileCheck %s

// CHECK: accel.program attributes
// CHECK-SAME: accel.function = "layer"
// CHECK: accel.gemm {{.*}} m = 8, n = 4, k = 16
// CHECK: accel.gemm {{.*}} m = 8, n = 4, k = 16
// CHECK: accel.finish
// CHECK: func.func @other
func.func @layer(%a: tensor<16x16xf32>, %w: tensor<16x4xf32>) -> tensor<16x4xf32> {
  %y = qtrain.matmul %a, %w : tensor<16x16xf32>, tensor<16x4xf32> -> tensor<16x4xf32>
  return %y : tensor<16x4xf32>
}
func.func @other(%a: tensor<4xf32>) -> tensor<4xf32> {
  return %a : tensor<4xf32>
}
