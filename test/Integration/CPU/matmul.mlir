// qtrain.matmul lowered and run: f32 accumulation (FMA chains), FP12
// accumulation with and without grouping, transposes and batches.
// RUN: qtrain-opt %s --qtrain-to-llvm | %jit | FileCheck %s
// RUN: qtrain-opt %s --qtrain-to-llvm="tile-elements=0 vector-width=4" | %jit | FileCheck %s

func.func @main() {
  %a = arith.constant dense<[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [0.5, 0.25, -1.0],
                             [1.0, 1.0, 1.0], [2.0, 0.0, 1.0]]> : tensor<5x3xf32>
  %b = arith.constant dense<[[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]> : tensor<3x2xf32>
  %c = qtrain.matmul %a, %b : tensor<5x3xf32>, tensor<3x2xf32> -> tensor<5x2xf32>
  %pc = tensor.cast %c : tensor<5x2xf32> to tensor<*xf32>
  call @printMemrefF32(%pc) : (tensor<*xf32>) -> ()
  // CHECK:      [4,   5],
  // CHECK-NEXT: [10,   11],
  // CHECK-NEXT: [-0.5,   -0.75],
  // CHECK-NEXT: [2,   2],
  // CHECK-NEXT: [3,   1]]

  // B^T A^T = (A B)^T.
  %t = qtrain.matmul %b, %a {transpose_a, transpose_b} : tensor<3x2xf32>, tensor<5x3xf32> -> tensor<2x5xf32>
  %pt = tensor.cast %t : tensor<2x5xf32> to tensor<*xf32>
  call @printMemrefF32(%pt) : (tensor<*xf32>) -> ()
  // CHECK:      [4,   10,   -0.5,   2,   3],
  // CHECK-NEXT: [5,   11,   -0.75,   2,   1]]

  // Swamping: 256 followed by 64 ones in FP12 (1-5-6: steps of 4 from 256).
  // Without grouping every one is lost (256). Static groups of 16: the first
  // group (256 and 15 ones) stays 256, the next three add 16 each, the last
  // one is lost in the final add (304). E-DGA keeps more (316); f32 all.
  %big = arith.constant dense<256.0> : tensor<1x1xf32>
  %ones = arith.constant dense<1.0> : tensor<1x64xf32>
  %row = tensor.concat dim(1) %big, %ones : (tensor<1x1xf32>, tensor<1x64xf32>) -> tensor<1x65xf32>
  %col = arith.constant dense<1.0> : tensor<65x1xf32>
  %none = qtrain.matmul %row, %col {accumulation = #qtrain.accum<#qtrain.fp<fp12_dga>>} : tensor<1x65xf32>, tensor<65x1xf32> -> tensor<1x1xf32>
  %sga = qtrain.matmul %row, %col {accumulation = #qtrain.accum<#qtrain.fp<fp12_dga>, static, group = 16>} : tensor<1x65xf32>, tensor<65x1xf32> -> tensor<1x1xf32>
  %dga = qtrain.matmul %row, %col {accumulation = #qtrain.accum<#qtrain.fp<fp12_dga>, efficient_dga, c = 4>} : tensor<1x65xf32>, tensor<65x1xf32> -> tensor<1x1xf32>
  %f32 = qtrain.matmul %row, %col : tensor<1x65xf32>, tensor<65x1xf32> -> tensor<1x1xf32>
  %all = tensor.concat dim(1) %none, %sga, %dga, %f32 : (tensor<1x1xf32>, tensor<1x1xf32>, tensor<1x1xf32>, tensor<1x1xf32>) -> tensor<1x4xf32>
  %pa = tensor.cast %all : tensor<1x4xf32> to tensor<*xf32>
  call @printMemrefF32(%pa) : (tensor<*xf32>) -> ()
  // CHECK: {{\[}}[256,   304,   316,   320]]

  // Batched: two 2x2 products.
  %x = arith.constant dense<[[[1.0, 2.0], [3.0, 4.0]], [[0.0, 1.0], [1.0, 0.0]]]> : tensor<2x2x2xf32>
  %y = arith.constant dense<[[[1.0, 0.0], [0.0, 1.0]], [[2.0, 3.0], [4.0, 5.0]]]> : tensor<2x2x2xf32>
  %z = qtrain.matmul %x, %y : tensor<2x2x2xf32>, tensor<2x2x2xf32> -> tensor<2x2x2xf32>
  %pz = tensor.cast %z : tensor<2x2x2xf32> to tensor<*xf32>
  call @printMemrefF32(%pz) : (tensor<*xf32>) -> ()
  // CHECK:      [1,    2],
  // CHECK-NEXT: [3,    4]],
  // CHECK:      [4,    5],
  // CHECK-NEXT: [2,    3]]]
  return
}
func.func private @printMemrefF32(tensor<*xf32>)
