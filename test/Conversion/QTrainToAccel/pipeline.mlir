// The named pipeline qtrain-to-accel: inline, qtrain-decompose,
// convert-elementwise-to-linalg, then convert-qtrain-to-accel with the
// pipeline's options.
// RUN: qtrain-opt %s --qtrain-to-accel="function=layer tile-m=8" | FileCheck %s
// RUN: qtrain-opt %s --pass-pipeline='builtin.module(qtrain-to-accel{function=layer tile-m=8})' | FileCheck %s
// RUN: qtrain-opt %s --qtrain-to-accel="function=calls tile-m=8" | FileCheck %s --check-prefix=CALLS

// Calls are inlined first, and tensor arith becomes a generic.
// CALLS:      accel.program attributes
// CALLS-SAME: accel.function = "calls"
// CALLS:      accel.gemm {{.*}} m = 8, n = 4, k = 16
// CALLS:      accel.gemm {{.*}} m = 8, n = 4, k = 16
// CALLS:      accel.vector {{.*}}op = addf,
// CALLS:      accel.finish
// CALLS-NOT:  func.call

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
func.func @calls(%a: tensor<16x16xf32>, %w: tensor<16x4xf32>) -> tensor<16x4xf32> {
  %y = func.call @layer(%a, %w) : (tensor<16x16xf32>, tensor<16x4xf32>) -> tensor<16x4xf32>
  %z = arith.addf %y, %y : tensor<16x4xf32>
  return %z : tensor<16x4xf32>
}
