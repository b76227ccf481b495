// RUN: qtrain-opt %s --qtrain-quantize=recipe=mxfp8 | FileCheck %s

// Every matmul form the passes accept: linalg.matmul and
// linalg.batch_matmul with plain and transposed maps, and linalg.generic
// with the matmul maps. A function without a loss and without updated
// arguments is a prediction: every contraction is forward.

#a = affine_map<(m, n, k) -> (m, k)>
#at = affine_map<(m, n, k) -> (k, m)>
#b = affine_map<(m, n, k) -> (k, n)>
#bt = affine_map<(m, n, k) -> (n, k)>
#c = affine_map<(m, n, k) -> (m, n)>

// CHECK-LABEL: func.func @forms
func.func @forms(%x: tensor<2x4xf32>, %xt: tensor<4x2xf32>,
                 %w: tensor<4x3xf32> {qtrain.role = "weight"},
                 %wt: tensor<3x4xf32> {qtrain.role = "weight"},
                 %xb: tensor<5x2x4xf32>,
                 %wb: tensor<5x4x3xf32> {qtrain.role = "weight"})
    -> (tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>, tensor<5x2x3xf32>) {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<2x3xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<2x3xf32>) -> tensor<2x3xf32>
  // CHECK: %[[XQ:.*]] = qtrain.quantize %arg0 {{.*}}qtrain.role = "A", reduction_axis = 1 : i64}
  // CHECK: %[[WQ:.*]] = qtrain.quantize %arg2 {{.*}}qtrain.role = "W", reduction_axis = 0 : i64}
  // CHECK: qtrain.matmul %[[XQ]], %[[WQ]] {qtrain.gemm = #qtrain.conv_kind<forward>} : tensor<2x4xf32>, tensor<4x3xf32>
  %0 = linalg.generic {indexing_maps = [#a, #b, #c], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x, %w : tensor<2x4xf32>, tensor<4x3xf32>) outs(%z : tensor<2x3xf32>) {
  ^bb0(%p: f32, %q: f32, %o: f32):
    %m = arith.mulf %p, %q : f32
    %s = arith.addf %o, %m : f32
    linalg.yield %s : f32
  } -> tensor<2x3xf32>
  // CHECK: %[[XTQ:.*]] = qtrain.quantize %arg1 {{.*}}qtrain.role = "A", reduction_axis = 0 : i64}
  // CHECK: qtrain.matmul %[[XTQ]], %{{.*}} {qtrain.gemm = #qtrain.conv_kind<forward>, transpose_a} : tensor<4x2xf32>, tensor<4x3xf32>
  %1 = linalg.generic {indexing_maps = [#at, #b, #c], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%xt, %w : tensor<4x2xf32>, tensor<4x3xf32>) outs(%z : tensor<2x3xf32>) {
  ^bb0(%p: f32, %q: f32, %o: f32):
    %m = arith.mulf %p, %q : f32
    %s = arith.addf %m, %o : f32
    linalg.yield %s : f32
  } -> tensor<2x3xf32>
  // CHECK: %[[WTQ:.*]] = qtrain.quantize %arg3 {{.*}}qtrain.role = "W", reduction_axis = 1 : i64}
  // CHECK: qtrain.matmul %[[XQ]], %[[WTQ]] {qtrain.gemm = #qtrain.conv_kind<forward>, transpose_b} : tensor<2x4xf32>, tensor<3x4xf32>
  %2 = linalg.generic {indexing_maps = [#a, #bt, #c], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x, %wt : tensor<2x4xf32>, tensor<3x4xf32>) outs(%z : tensor<2x3xf32>) {
  ^bb0(%p: f32, %q: f32, %o: f32):
    %m = arith.mulf %q, %p : f32
    %s = arith.addf %o, %m : f32
    linalg.yield %s : f32
  } -> tensor<2x3xf32>
  %eb = tensor.empty() : tensor<5x2x3xf32>
  %zb = linalg.fill ins(%zero : f32) outs(%eb : tensor<5x2x3xf32>) -> tensor<5x2x3xf32>
  // CHECK: %[[XBQ:.*]] = qtrain.quantize %arg4 {{.*}}qtrain.role = "A", reduction_axis = 2 : i64}
  // CHECK: %[[WBQ:.*]] = qtrain.quantize %arg5 {{.*}}qtrain.role = "W", reduction_axis = 1 : i64}
  // CHECK: qtrain.matmul %[[XBQ]], %[[WBQ]] {qtrain.gemm = #qtrain.conv_kind<forward>} : tensor<5x2x4xf32>, tensor<5x4x3xf32> -> tensor<5x2x3xf32>
  %3 = linalg.batch_matmul ins(%xb, %wb : tensor<5x2x4xf32>, tensor<5x4x3xf32>) outs(%zb : tensor<5x2x3xf32>) -> tensor<5x2x3xf32>
  // CHECK-NOT: linalg.generic
  // CHECK-NOT: linalg.batch_matmul
  return %0, %1, %2, %3 : tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>, tensor<5x2x3xf32>
}
