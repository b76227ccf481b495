// qtrain.delayed_scale, decomposed: the shape check folds away, the amax
// is a statistics pass, the window (the history without its oldest entry,
// the new amax appended) is two raw LOADs into an ACC half and one STORE to
// the new history's buffer, then the amax of the window and select_scale.
// RUN: qtrain-opt %s --qtrain-to-accel=function=step | FileCheck %s

// CHECK: name = "arg1", role = "input", shape = array<i64: 4>
// CHECK-SAME: address = 1408 : i64, bytes = 16 : i64, name = "result1"
// CHECK-SAME: address = 1472 : i64, bytes = 4 : i64, name = "amax.0"
// CHECK: accel.store {{.*}}dram_addr = 1472, acc_entry = 0, size_z = 1, size_y = 1, size_x = 1
// The history's entries 1..3 (arg1 is at 1280) into the second ACC half
// (entries 2040..2042), the amax after them, the four to result1 (vector
// nops carry the tokens between the queues).
// CHECK-NEXT: accel.load dst = acc, {{.*}}layout = raw32, {{.*}}dram_addr = 1284, chip_row = 2040, chip_lane = 0, size_z = 1, size_y = 1, size_x = 3
// CHECK: accel.load {{.*}}dst = acc, {{.*}}layout = raw32, {{.*}}dram_addr = 1472, chip_row = 2043, chip_lane = 0, size_z = 1, size_y = 1, size_x = 1
// CHECK: accel.store {{.*}}dram_addr = 1408, acc_entry = 2040, size_z = 1, size_y = 1, size_x = 4
// CHECK: op = select_scale
// CHECK-NOT: tensor.dim
// CHECK-NOT: cf.assert
func.func @step(%x: tensor<8x40xf32>, %history: tensor<4xf32>) -> (tensor<f32>, tensor<4xf32>) {
  %a = qtrain.amax %x : tensor<8x40xf32> -> tensor<f32>
  %s, %h = qtrain.delayed_scale %a, %history {level = #qtrain.scale_level<tensor, f32, amax_to_max>, element = #qtrain.fp<e4m3fn>} : tensor<f32>, tensor<4xf32>
  return %s, %h : tensor<f32>, tensor<4xf32>
}
