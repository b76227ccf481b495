// qtrain.zero_setting_error (left whole by the qtrain-to-accel pipeline's
// qtrain-decompose) is a statistics pass: LOADs to nowhere converting every
// element with the op's format and the zero_setting mask (8), the first
// resetting the register, then stats_value with `zse` (1) or
// `zse_all_elements` (2), then a one-element STORE.
// RUN: qtrain-opt %s --split-input-file --qtrain-to-accel | FileCheck %s

// CHECK-LABEL: accel.program
// CHECK:      accel.cfg.block_level entry = 0, present, {{.*}} block_x = 32
// CHECK:      accel.load dst = none, format = 0, {{.*}} layout = f32, stats_reg = 0, stats_mask = 8, stats_reset, median_pass = none, dram_addr = 0, {{.*}} size_y = 21, size_x = 96
// CHECK:      accel.load push_next, dst = none, {{.*}} stats_mask = 8, median_pass = none, dram_addr = 24192, {{.*}} size_y = 1, size_x = 96
// CHECK:      accel.vector pop_prev, push_next, op = stats_value, {{.*}} aux = 2,
// CHECK:      accel.store pop_prev, {{.*}} layout = raw32, {{.*}} size_z = 1, size_y = 1, size_x = 1
func.func @all_elements(%x: tensor<64x96xf32>) -> tensor<f32> {
  %z = qtrain.zero_setting_error %x {format = #qtrain.scaled<mxfp4_e2m1>, all_elements}
      : tensor<64x96xf32> -> tensor<f32>
  return %z : tensor<f32>
}

// -----

// CHECK-LABEL: accel.program
// CHECK:      accel.load {{.*}}dst = none, {{.*}} stats_mask = 8, stats_reset,
// CHECK:      accel.vector {{.*}}op = stats_value, {{.*}} aux = 1,
func.func @non_zero(%x: tensor<8x16xf32>) -> tensor<f32> {
  %z = qtrain.zero_setting_error %x {format = #qtrain.fp<e4m3fn>}
      : tensor<8x16xf32> -> tensor<f32>
  return %z : tensor<f32>
}

// -----

// No element: the ratio is 0, a fill.
// CHECK-LABEL: accel.program
// CHECK-NOT:  stats_value
// CHECK:      accel.vector {{.*}}op = fill, {{.*}} imm = 0x00000000
// CHECK:      accel.store
func.func @empty(%x: tensor<0x16xf32>) -> tensor<f32> {
  %z = qtrain.zero_setting_error %x {format = #qtrain.fp<e4m3fn>}
      : tensor<0x16xf32> -> tensor<f32>
  return %z : tensor<f32>
}
