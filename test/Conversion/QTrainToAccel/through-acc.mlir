// Tensors that reach DRAM through the ACC: a quantize whose value is
// returned (LOAD from f32 with the format, STORE of the raw values) and an
// argument returned unchanged. The store depends on the load, and the two
// queues are not neighbours: a vector nop carries the token.
// RUN: qtrain-opt %s --convert-qtrain-to-accel | FileCheck %s

// CHECK: accel.cfg.block_level entry = 0, present, {{.*}} block_z = 1, block_y = 1, block_x = 32
// CHECK: accel.load push_next, dst = acc, format = 0, td = 0, layout = f32, {{.*}} dram_addr = 0, chip_row = 0, chip_lane = 0, size_z = 1, size_y = 4, size_x = 64
// CHECK-NEXT: accel.vector pop_prev, push_next, op = nop,
// CHECK-NEXT: accel.store pop_prev, format = 0, td = 0, layout = raw32, {{.*}} dram_addr = 1024, acc_entry = 0, size_z = 1, size_y = 4, size_x = 64
// The copy of the returned argument: raw words (NaN payloads kept), the
// other ACC half.
// CHECK: accel.load push_next, dst = acc, {{.*}}layout = raw32, {{.*}} dram_addr = 0, chip_row = 2040,
// CHECK-NEXT: accel.vector pop_prev, push_next, op = nop,
// CHECK-NEXT: accel.store pop_prev, {{.*}} dram_addr = 2048, acc_entry = 2040,
// CHECK-NEXT: accel.finish
func.func @quantize_and_copy(%x: tensor<4x64xf32>) -> (tensor<4x64xf32>, tensor<4x64xf32>) {
  %q = qtrain.quantize %x {format = #qtrain.scaled<mxfp8_e5m2>} : tensor<4x64xf32>
  return %q, %x : tensor<4x64xf32>, tensor<4x64xf32>
}
