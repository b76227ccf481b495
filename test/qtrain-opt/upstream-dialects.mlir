// RUN: qtrain-opt %s | qtrain-opt | FileCheck %s
// RUN: qtrain-opt %s --canonicalize | FileCheck %s --check-prefix=CANON

// qtrain-opt carries every upstream dialect and pass: a linalg matmul on
// tensors round-trips, and upstream canonicalization runs.

// CHECK-LABEL: func.func @matmul
// CHECK: linalg.matmul ins(%{{.*}}, %{{.*}} : tensor<4x8xf32>, tensor<8x2xf32>)
func.func @matmul(%a: tensor<4x8xf32>, %b: tensor<8x2xf32>) -> tensor<4x2xf32> {
  %zero = arith.constant 0.0 : f32
  %init = tensor.empty() : tensor<4x2xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%init : tensor<4x2xf32>) -> tensor<4x2xf32>
  %r = linalg.matmul ins(%a, %b : tensor<4x8xf32>, tensor<8x2xf32>)
                     outs(%acc : tensor<4x2xf32>) -> tensor<4x2xf32>
  return %r : tensor<4x2xf32>
}

// CANON-LABEL: func.func @fold
// CANON-NEXT: %[[C:.*]] = arith.constant 3.000000e+00 : f32
// CANON-NEXT: return %[[C]]
func.func @fold() -> f32 {
  %a = arith.constant 1.0 : f32
  %b = arith.constant 2.0 : f32
  %c = arith.addf %a, %b : f32
  return %c : f32
}
