// qtrain.conv2d lowered (im2col + matmul) and run: the three convolutions
// of a training step on a 1x1x3x3 input with a 1x1x2x2 filter.
// RUN: qtrain-opt %s --qtrain-to-llvm | %jit | FileCheck %s

func.func @main() {
  %x = arith.constant dense<[[[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.0]]]]> : tensor<1x1x3x3xf32>
  %w = arith.constant dense<[[[[1.0, 0.0], [0.0, -1.0]]]]> : tensor<1x1x2x2xf32>
  // y[i][j] = x[i][j] - x[i+1][j+1] = -4 everywhere.
  %y = qtrain.conv2d %x, %w : tensor<1x1x3x3xf32>, tensor<1x1x2x2xf32> -> tensor<1x1x2x2xf32>
  %py = tensor.cast %y : tensor<1x1x2x2xf32> to tensor<*xf32>
  call @printMemrefF32(%py) : (tensor<*xf32>) -> ()
  // CHECK:      [-4,     -4],
  // CHECK-NEXT: [-4,     -4]]]]

  // With padding 1 on every side: a 4x4 output.
  %yp = qtrain.conv2d %x, %w {padding = array<i64: 1, 1, 1, 1>} : tensor<1x1x3x3xf32>, tensor<1x1x2x2xf32> -> tensor<1x1x4x4xf32>
  %pyp = tensor.cast %yp : tensor<1x1x4x4xf32> to tensor<*xf32>
  call @printMemrefF32(%pyp) : (tensor<*xf32>) -> ()
  // CHECK:      [-1,     -2,     -3,     0],
  // CHECK-NEXT: [-4,     -4,     -4,     3],
  // CHECK-NEXT: [-7,     -4,     -4,     6],
  // CHECK-NEXT: [0,     7,     8,     9]]]]

  // Backward data of dy = ones: dx[h][w] = sum of the filter taps reaching it.
  %dy = arith.constant dense<1.0> : tensor<1x1x2x2xf32>
  %dx = qtrain.conv2d %dy, %w {kind = #qtrain.conv_kind<backward_data>} : tensor<1x1x2x2xf32>, tensor<1x1x2x2xf32> -> tensor<1x1x3x3xf32>
  %pdx = tensor.cast %dx : tensor<1x1x3x3xf32> to tensor<*xf32>
  call @printMemrefF32(%pdx) : (tensor<*xf32>) -> ()
  // CHECK:      [1,     1,     0],
  // CHECK-NEXT: [1,     0,     -1],
  // CHECK-NEXT: [0,     -1,     -1]]]]

  // Backward weight of dy = ones: dw[kh][kw] = sum of the 2x2 window of x.
  %dw = qtrain.conv2d %x, %dy {kind = #qtrain.conv_kind<backward_weight>} : tensor<1x1x3x3xf32>, tensor<1x1x2x2xf32> -> tensor<1x1x2x2xf32>
  %pdw = tensor.cast %dw : tensor<1x1x2x2xf32> to tensor<*xf32>
  call @printMemrefF32(%pdw) : (tensor<*xf32>) -> ()
  // CHECK:      [12,     16],
  // CHECK-NEXT: [24,     28]]]]
  return
}
func.func private @printMemrefF32(tensor<*xf32>)
