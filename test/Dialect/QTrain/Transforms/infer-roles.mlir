// RUN: qtrain-opt %s --split-input-file --qtrain-infer-roles --verify-diagnostics | FileCheck %s

// A one-layer step written by hand without any qtrain attribute: y = x w + b,
// loss = sum (y - t)^2, SGD with momentum on w. The roles come from the
// dataflow: w and b are updated and feed the loss (parameters), v is updated
// and does not (optimizer state).

#id = affine_map<(i, j) -> (i, j)>
#col = affine_map<(i, j) -> (j)>
#all = affine_map<(i, j) -> ()>

// CHECK-LABEL: func.func @step(
// CHECK-SAME: %[[X:[a-z0-9]+]]: tensor<2x4xf32>,
// CHECK-SAME: %{{.*}}: tensor<2x3xf32>,
// CHECK-SAME: %[[W:[a-z0-9]+]]: tensor<4x3xf32> {qtrain.role = "weight"},
// CHECK-SAME: %{{.*}}: tensor<3xf32> {qtrain.role = "weight"},
// CHECK-SAME: %{{.*}}: tensor<4x3xf32> {qtrain.role = "optimizer_state"})
func.func @step(%x: tensor<2x4xf32>, %t: tensor<2x3xf32>, %w: tensor<4x3xf32>,
                %b: tensor<3xf32>, %v: tensor<4x3xf32>)
    -> (tensor<4x3xf32>, tensor<3xf32>, tensor<4x3xf32>, tensor<2x4xf32>, tensor<f32>) {
  %c0 = arith.constant 0.0 : f32
  %e23 = tensor.empty() : tensor<2x3xf32>
  %z23 = linalg.fill ins(%c0 : f32) outs(%e23 : tensor<2x3xf32>) -> tensor<2x3xf32>
  // CHECK: linalg.matmul {qtrain.gemm = #qtrain.conv_kind<forward>, qtrain.operand_roles = ["A", "W"]} ins(%[[X]], %[[W]]
  %xw = linalg.matmul ins(%x, %w : tensor<2x4xf32>, tensor<4x3xf32>) outs(%z23 : tensor<2x3xf32>) -> tensor<2x3xf32>
  %y = linalg.generic {indexing_maps = [#id, #col, #id], iterator_types = ["parallel", "parallel"]}
      ins(%xw, %b : tensor<2x3xf32>, tensor<3xf32>) outs(%e23 : tensor<2x3xf32>) {
  ^bb0(%a: f32, %c: f32, %o: f32):
    %s = arith.addf %a, %c : f32
    linalg.yield %s : f32
  } -> tensor<2x3xf32>
  %e0 = tensor.empty() : tensor<f32>
  %z0 = linalg.fill ins(%c0 : f32) outs(%e0 : tensor<f32>) -> tensor<f32>
  %loss = linalg.generic {indexing_maps = [#id, #id, #all], iterator_types = ["reduction", "reduction"]}
      ins(%y, %t : tensor<2x3xf32>, tensor<2x3xf32>) outs(%z0 : tensor<f32>) {
  ^bb0(%a: f32, %c: f32, %o: f32):
    %d = arith.subf %a, %c : f32
    %d2 = arith.mulf %d, %d : f32
    %s = arith.addf %o, %d2 : f32
    linalg.yield %s : f32
  } -> tensor<f32>
  %dy = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%y, %t : tensor<2x3xf32>, tensor<2x3xf32>) outs(%e23 : tensor<2x3xf32>) {
  ^bb0(%a: f32, %c: f32, %o: f32):
    %d = arith.subf %a, %c : f32
    %d2 = arith.addf %d, %d : f32
    linalg.yield %d2 : f32
  } -> tensor<2x3xf32>
  %e43 = tensor.empty() : tensor<4x3xf32>
  %z43 = linalg.fill ins(%c0 : f32) outs(%e43 : tensor<4x3xf32>) -> tensor<4x3xf32>
  // CHECK: linalg.matmul indexing_maps = {{.*}} {qtrain.gemm = #qtrain.conv_kind<backward_weight>, qtrain.operand_roles = ["A", "E"]} ins(%[[X]],
  %dw = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (k, m)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>]
      ins(%x, %dy : tensor<2x4xf32>, tensor<2x3xf32>) outs(%z43 : tensor<4x3xf32>) -> tensor<4x3xf32>
  %e24 = tensor.empty() : tensor<2x4xf32>
  %z24 = linalg.fill ins(%c0 : f32) outs(%e24 : tensor<2x4xf32>) -> tensor<2x4xf32>
  // CHECK: linalg.matmul indexing_maps = {{.*}} {qtrain.gemm = #qtrain.conv_kind<backward_data>, qtrain.operand_roles = ["E", "W"]} ins({{.*}}, %[[W]]
  %dx = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>, affine_map<(m, n, k) -> (m, n)>]
      ins(%dy, %w : tensor<2x3xf32>, tensor<4x3xf32>) outs(%z24 : tensor<2x4xf32>) -> tensor<2x4xf32>
  %e3 = tensor.empty() : tensor<3xf32>
  %db = linalg.generic {indexing_maps = [#id, #col], iterator_types = ["reduction", "parallel"]}
      ins(%dy : tensor<2x3xf32>) outs(%e3 : tensor<3xf32>) {
  ^bb0(%a: f32, %o: f32):
    %s = arith.addf %o, %a : f32
    linalg.yield %s : f32
  } -> tensor<3xf32>
  %v1 = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%v, %dw : tensor<4x3xf32>, tensor<4x3xf32>) outs(%e43 : tensor<4x3xf32>) {
  ^bb0(%a: f32, %c: f32, %o: f32):
    %s = arith.addf %a, %c : f32
    linalg.yield %s : f32
  } -> tensor<4x3xf32>
  %w1 = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%w, %v1 : tensor<4x3xf32>, tensor<4x3xf32>) outs(%e43 : tensor<4x3xf32>) {
  ^bb0(%a: f32, %c: f32, %o: f32):
    %s = arith.subf %a, %c : f32
    linalg.yield %s : f32
  } -> tensor<4x3xf32>
  %b1 = linalg.generic {indexing_maps = [affine_map<(i) -> (i)>, affine_map<(i) -> (i)>, affine_map<(i) -> (i)>], iterator_types = ["parallel"]}
      ins(%b, %db : tensor<3xf32>, tensor<3xf32>) outs(%e3 : tensor<3xf32>) {
  ^bb0(%a: f32, %c: f32, %o: f32):
    %s = arith.subf %a, %c : f32
    linalg.yield %s : f32
  } -> tensor<3xf32>
  return %w1, %b1, %v1, %dx, %loss : tensor<4x3xf32>, tensor<3xf32>, tensor<4x3xf32>, tensor<2x4xf32>, tensor<f32>
}

// -----

// A prediction (no loss, nothing updated): every contraction is forward.
// CHECK-LABEL: func.func @predict
// CHECK: linalg.matmul {qtrain.gemm = #qtrain.conv_kind<forward>, qtrain.operand_roles = ["A", "W"]}
func.func @predict(%x: tensor<2x4xf32>, %w: tensor<4x3xf32> {qtrain.role = "weight"}) -> tensor<2x3xf32> {
  %c0 = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<2x3xf32>
  %z = linalg.fill ins(%c0 : f32) outs(%e : tensor<2x3xf32>) -> tensor<2x3xf32>
  %y = linalg.matmul ins(%x, %w : tensor<2x4xf32>, tensor<4x3xf32>) outs(%z : tensor<2x3xf32>) -> tensor<2x3xf32>
  return %y : tensor<2x3xf32>
}

// -----

// No parameter operand in a contraction the loss depends on (x x^T): a
// remark, no guess.
// CHECK-LABEL: func.func @gram
// CHECK-NOT: qtrain.gemm
func.func @gram(%x: tensor<2x4xf32>) -> tensor<f32> {
  %c0 = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<2x2xf32>
  %z = linalg.fill ins(%c0 : f32) outs(%e : tensor<2x2xf32>) -> tensor<2x2xf32>
  // expected-remark @below {{qtrain-infer-roles: cannot resolve the roles of this contraction: a contraction the loss depends on without a parameter operand}}
  %g = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>, affine_map<(m, n, k) -> (m, n)>]
      ins(%x, %x : tensor<2x4xf32>, tensor<2x4xf32>) outs(%z : tensor<2x2xf32>) -> tensor<2x2xf32>
  %e0 = tensor.empty() : tensor<f32>
  %s = linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> ()>], iterator_types = ["reduction", "reduction"]}
      ins(%g : tensor<2x2xf32>) outs(%e0 : tensor<f32>) {
  ^bb0(%a: f32, %o: f32):
    %r = arith.addf %o, %a : f32
    linalg.yield %r : f32
  } -> tensor<f32>
  return %s : tensor<f32>
}

// -----

// Updated arguments but no loss result: a remark on each contraction.
func.func @no_loss(%x: tensor<2x4xf32>, %w: tensor<4x3xf32>) -> tensor<4x3xf32> {
  %c0 = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<2x3xf32>
  %z = linalg.fill ins(%c0 : f32) outs(%e : tensor<2x3xf32>) -> tensor<2x3xf32>
  // expected-remark @below {{qtrain-infer-roles: no roles: no result is the loss (a rank-0 f32 result, or one marked qtrain.role = "loss")}}
  %y = linalg.matmul ins(%x, %w : tensor<2x4xf32>, tensor<4x3xf32>) outs(%z : tensor<2x3xf32>) -> tensor<2x3xf32>
  %e2 = tensor.empty() : tensor<4x3xf32>
  %w1 = linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i, j)>], iterator_types = ["parallel", "parallel"]}
      ins(%w : tensor<4x3xf32>) outs(%e2 : tensor<4x3xf32>) {
  ^bb0(%a: f32, %o: f32):
    linalg.yield %a : f32
  } -> tensor<4x3xf32>
  return %w1 : tensor<4x3xf32>
}

// -----

// A strided convolution is not a supported form: a remark that it stays
// f32 (pooling, a convolution without products, gets none).
// CHECK-LABEL: func.func @strided
// CHECK-NOT: qtrain.gemm
func.func @strided(%x: tensor<1x1x6x6xf32>, %w: tensor<1x1x3x3xf32> {qtrain.role = "weight"}) -> (tensor<1x1x2x2xf32>, tensor<1x1x3x3xf32>) {
  %c0 = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x1x2x2xf32>
  %z = linalg.fill ins(%c0 : f32) outs(%e : tensor<1x1x2x2xf32>) -> tensor<1x1x2x2xf32>
  // expected-remark @below {{qtrain-infer-roles: not a contraction form the recipe passes support (docs/TrainingSteps.md); it stays f32}}
  %y = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
      ins(%x, %w : tensor<1x1x6x6xf32>, tensor<1x1x3x3xf32>) outs(%z : tensor<1x1x2x2xf32>) -> tensor<1x1x2x2xf32>
  %ninf = arith.constant 0xFF800000 : f32
  %e3 = tensor.empty() : tensor<1x1x3x3xf32>
  %m = linalg.fill ins(%ninf : f32) outs(%e3 : tensor<1x1x3x3xf32>) -> tensor<1x1x3x3xf32>
  %win = tensor.empty() : tensor<2x2xf32>
  %p = linalg.pooling_nchw_max {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
      ins(%x, %win : tensor<1x1x6x6xf32>, tensor<2x2xf32>) outs(%m : tensor<1x1x3x3xf32>) -> tensor<1x1x3x3xf32>
  return %y, %p : tensor<1x1x2x2xf32>, tensor<1x1x3x3xf32>
}

// -----

// A contraction with a parameter whose result the loss does not use (an
// unused head) is not a backward one: a remark, no guess.
func.func @unused_head(%x: tensor<2x4xf32>, %w: tensor<4x3xf32> {qtrain.role = "weight"})
    -> (tensor<2x3xf32>, tensor<f32> {qtrain.role = "loss"}) {
  %c0 = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<2x3xf32>
  %z = linalg.fill ins(%c0 : f32) outs(%e : tensor<2x3xf32>) -> tensor<2x3xf32>
  // expected-remark @below {{qtrain-infer-roles: cannot resolve the roles of this contraction: a contraction the loss does not depend on, with a parameter and a forward value}}
  %y = linalg.matmul ins(%x, %w : tensor<2x4xf32>, tensor<4x3xf32>) outs(%z : tensor<2x3xf32>) -> tensor<2x3xf32>
  %e0 = tensor.empty() : tensor<f32>
  %l = linalg.fill ins(%c0 : f32) outs(%e0 : tensor<f32>) -> tensor<f32>
  return %y, %l : tensor<2x3xf32>, tensor<f32>
}

// -----

// Two results marked as the loss: a remark on each contraction.
func.func @two_losses(%x: tensor<2x4xf32>, %w: tensor<4x3xf32> {qtrain.role = "weight"})
    -> (tensor<f32> {qtrain.role = "loss"}, tensor<f32> {qtrain.role = "loss"}) {
  %c0 = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<2x3xf32>
  %z = linalg.fill ins(%c0 : f32) outs(%e : tensor<2x3xf32>) -> tensor<2x3xf32>
  // expected-remark @below {{qtrain-infer-roles: no roles: two results are marked qtrain.role = "loss"}}
  %y = linalg.matmul ins(%x, %w : tensor<2x4xf32>, tensor<4x3xf32>) outs(%z : tensor<2x3xf32>) -> tensor<2x3xf32>
  %e0 = tensor.empty() : tensor<f32>
  %l = linalg.fill ins(%c0 : f32) outs(%e0 : tensor<f32>) -> tensor<f32>
  return %l, %l : tensor<f32>, tensor<f32>
}
