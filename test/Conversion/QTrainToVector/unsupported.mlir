// RUN: qtrain-opt %s --split-input-file --convert-qtrain-to-vector --verify-diagnostics
// RUN: not qtrain-opt %s --split-input-file --convert-qtrain-to-vector="vector-width=0" 2>&1 | FileCheck %s --check-prefix=WIDTH

// WIDTH: error: vector-width must be at least 1, got 0

// Ops the CPU lowering does not cover yet fail with their location.
func.func @matmul(%a: tensor<4x8xf32>, %b: tensor<8x4xf32>) -> tensor<4x4xf32> {
  // expected-error @+1 {{failed to legalize operation 'qtrain.matmul'}}
  %c = qtrain.matmul %a, %b : tensor<4x8xf32>, tensor<8x4xf32> -> tensor<4x4xf32>
  return %c : tensor<4x4xf32>
}
