// A shared E-DGA contraction whose outputs the ACC does not hold
// (docs/Accelerator.md, "The compiler side", Contractions step 4): for each
// k, parts of whole output rows in row order, each a partial GEMM of one
// product per output (`begin` on the first part of a step), its states
// loaded from and stored to DRAM between steps, the values stored after the
// last k. On a 40-entry ACC (halves of 12 entries): parts of 2 x 5 outputs.
// RUN: echo '{"acc": {"entries": 40}}' > %t.json
// RUN: qtrain-opt %s --convert-qtrain-to-accel="machine=%t.json" | FileCheck %s
// RUN: qtrain-opt %s --convert-qtrain-to-accel="machine=%t.json" | qtrain-translate --accel-to-binary | qtrain-asm --disassemble | FileCheck %s --check-prefix=DECODES

// The states buffer: 32-byte images of the 6 x 5 outputs.
// CHECK: name = "result0.states", role = "intermediate", shape = array<i64: 6, 5, 8>, type = i32
// k = 0: the first part starts the threshold and the states.
// CHECK:      accel.gemm {{.*}} init, {{.*}} acc_entry = 0, m = 2, n = 5, k = 1, partial, begin
// CHECK:      accel.store {{.*}} layout = raw32, {{.*}} states, dram_addr = [[S0:[0-9]+]], acc_entry = 0, size_z = 1, size_y = 2, size_x = 5
// CHECK:      accel.gemm {{.*}} init, {{.*}} acc_entry = 12, m = 2, n = 5, k = 1, partial{{$}}
// CHECK:      accel.gemm {{.*}} init, {{.*}} acc_entry = 0, m = 2, n = 5, k = 1, partial{{$}}
// k = 1: the states come back; the first part commits the step's threshold.
// CHECK:      accel.load {{.*}} dst = acc, {{.*}} layout = raw32, {{.*}} states, dram_addr = [[S0]], chip_row = 12,
// CHECK:      accel.gemm pop_prev, {{.*}} mode = f32, threshold_reg = 0, {{.*}} acc_entry = 12, m = 2, n = 5, k = 1, partial, begin
// k = 3, the last: finish, and the values go to the result.
// CHECK:      accel.gemm {{.*}} finish, {{.*}} partial, begin
// CHECK:      accel.store {{.*}} layout = raw32, {{.*}} dram_addr = [[R:[0-9]+]], acc_entry = {{[0-9]+}}, size_z = 1, size_y = 2, size_x = 5
// CHECK-NOT:  partial, begin
// CHECK:      accel.gemm {{.*}} finish, {{.*}} partial{{$}}
// CHECK:      accel.gemm {{.*}} finish, {{.*}} partial{{$}}
// CHECK-NOT:  accel.gemm
// DECODES: gemm {{.*}} partial begin
// DECODES: load {{.*}} states
// DECODES: store {{.*}} states
func.func @layer(%a: tensor<6x4xf32>, %w: tensor<4x5xf32>) -> tensor<6x5xf32> {
  %y = qtrain.matmul %a, %w {accumulation = #qtrain.accum<#qtrain.fp<fp12_dga>, efficient_dga, shared>} : tensor<6x4xf32>, tensor<4x5xf32> -> tensor<6x5xf32>
  return %y : tensor<6x5xf32>
}
