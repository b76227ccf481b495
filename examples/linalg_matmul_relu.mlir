// A forward layer in upstream MLIR only (func + linalg + tensor + arith),
// the kind of input qtrain's passes meet in a user's pipeline: qtrain-to-llvm
// lowers it as upstream does; qtrain-to-accel runs linalg.matmul on the
// vector unit (products rounded to f32 and added in order, as on the CPU),
// in tiles that accumulate along the reduction (a qtrain.matmul runs on the
// GEMM unit).
func.func @layer(%a: tensor<16x64xf32>, %w: tensor<64x32xf32>) -> tensor<16x32xf32> {
  %zero = arith.constant 0.0 : f32
  %init = tensor.empty() : tensor<16x32xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%init : tensor<16x32xf32>) -> tensor<16x32xf32>
  %y = linalg.matmul ins(%a, %w : tensor<16x64xf32>, tensor<64x32xf32>)
                     outs(%acc : tensor<16x32xf32>) -> tensor<16x32xf32>
  %relu = linalg.generic {
      indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i, j)>],
      iterator_types = ["parallel", "parallel"]}
      ins(%y : tensor<16x32xf32>) outs(%init : tensor<16x32xf32>) {
  ^bb0(%v: f32, %out: f32):
    %r = arith.maximumf %v, %zero : f32
    linalg.yield %r : f32
  } -> tensor<16x32xf32>
  return %relu : tensor<16x32xf32>
}
