// --accel-to-manifest: the DRAM buffers convert-qtrain-to-accel placed, as
// JSON for qtrain-sim and for scripts that place inputs and read outputs.
// RUN: qtrain-opt %s --convert-qtrain-to-accel | qtrain-translate --accel-to-manifest | FileCheck %s
// RUN: printf 'accel.program {\n  accel.finish\n}\n' | not qtrain-translate --accel-to-manifest 2>&1 | FileCheck %s --check-prefix=NONE

// CHECK:      "buffers": [
// CHECK-NEXT:   {
// CHECK-NEXT:     "address": 0,
// CHECK-NEXT:     "bytes": 128,
// CHECK-NEXT:     "name": "arg0",
// CHECK-NEXT:     "role": "input",
// CHECK-NEXT:     "shape": [
// CHECK-NEXT:       4,
// CHECK-NEXT:       8
// CHECK-NEXT:     ],
// CHECK-NEXT:     "type": "f32"
// CHECK:          "address": 128,
// CHECK-NEXT:     "bytes": 128,
// CHECK-NEXT:     "name": "arg1",
// CHECK:          "address": 256,
// CHECK-NEXT:     "bytes": 64,
// CHECK-NEXT:     "name": "result0",
// CHECK-NEXT:     "role": "output",
// CHECK:        "function": "mm"
// NONE: error: the program has no accel.buffers manifest
func.func @mm(%a: tensor<4x8xf32>, %b: tensor<8x4xf32>) -> tensor<4x4xf32> {
  %y = qtrain.matmul %a, %b : tensor<4x8xf32>, tensor<8x4xf32> -> tensor<4x4xf32>
  return %y : tensor<4x4xf32>
}
