// qtrain.matmul as tiled GEMMs (docs/Accelerator.md, "The compiler side"):
// formats and accumulation configured once, operand tiles loaded with the
// quantize fused, halves alternating, tokens only where a later instruction
// of another queue depends on an earlier one.
// RUN: qtrain-opt %s --convert-qtrain-to-accel="tile-m=16 tile-n=16 tile-k=32" | FileCheck %s
// RUN: qtrain-opt %s --convert-qtrain-to-accel | FileCheck %s --check-prefix=WHOLE
// RUN: qtrain-opt %s --convert-qtrain-to-accel | qtrain-translate --accel-to-binary | qtrain-asm --disassemble | FileCheck %s --check-prefix=DECODES

// CHECK: accel.program attributes {accel.buffers = [{address = 0 : i64, bytes = 15360 : i64, name = "arg0", role = "input", shape = array<i64: 40, 96>, type = f32}, {address = 15360 : i64, bytes = 9216 : i64, name = "arg1", role = "input", shape = array<i64: 96, 24>, type = f32}, {address = 24576 : i64, bytes = 3840 : i64, name = "result0", role = "output", shape = array<i64: 40, 24>, type = f32}], accel.function = "layer", accel.machine = "{{.*}}"}
// MXFP8 A: blocks of 32 along K (x), whole scale groups: plain lanes.
// CHECK:      accel.cfg.rounding entry = 0, mode = nearest_even
// CHECK-NEXT: accel.cfg.element entry = 0, kind = minifloat, rounding = 0, layout = plain, mf_exponent_bits = 4, mf_mantissa_bits = 3, mf_bias = 7, mf_specials = fn,
// CHECK-NEXT: accel.cfg.tensor_level entry = 0, scale_kind = f32,
// CHECK-NEXT: accel.cfg.block_level entry = 0, present, scale_kind = pow2, scale_bits = 8, scale_bias = 127, scale_nan, rule = shared_exponent, margin = 0, block_z = 1, block_y = 1, block_x = 32
// CHECK-NEXT: accel.cfg.element entry = 1, {{.*}} layout = plain,
// CHECK:      accel.cfg.accum entry = 0, grouping = static, rounding = nearest_even, acc_exponent_bits = 5, acc_mantissa_bits = 6, acc_bias = 15,
// CHECK-NEXT: accel.cfg.accum_grouping entry = 0, {{.*}} group_size = 16,
// A's rows: y = i (stride K = 96), x = kk; W's columns: y = j (stride 1), x = kk (stride N = 24).
// CHECK-NEXT: accel.cfg.td_dram td = 0, dram_stride_z = 0, dram_stride_y = 96, dram_stride_x = 1
// CHECK-NEXT: accel.cfg.td_chip td = 0, chip_stride_z = 0, chip_stride_y = 64, chip_stride_x = 1,
// CHECK-NEXT: accel.load dst = sp_input, format = 0, td = 0, layout = f32, {{.*}} dram_addr = 0, chip_row = 0, chip_lane = 0, size_z = 1, size_y = 16, size_x = 32
// CHECK-NEXT: accel.cfg.td_dram td = 1, dram_stride_z = 0, dram_stride_y = 1, dram_stride_x = 24
// CHECK:      accel.load push_next, dst = sp_weight, format = 1, td = 1, {{.*}} dram_addr = 15360, chip_row = 0,
// The first GEMM of a tile starts the states; it pushes to the load queue
// because the loads two steps later overwrite its scratchpad half.
// CHECK-NEXT: accel.gemm pop_prev, push_prev, format_a = 0, format_b = 1, accum = 0, mode = m4, init, {{.*}} a_row = 0, a_rows_per_vector = 1, b_row = 0, b_rows_per_vector = 1, acc_entry = 0, m = 16, n = 16, k = 32
// CHECK-NEXT: accel.load dst = sp_input, {{.*}} dram_addr = 128, chip_row = 2048,
// CHECK-NEXT: accel.load push_next, dst = sp_weight, {{.*}} dram_addr = 18432, chip_row = 2048,
// CHECK-NEXT: accel.gemm pop_prev, push_prev, {{.*}} a_row = 2048, {{.*}} acc_entry = 0, m = 16, n = 16, k = 32
// CHECK-NEXT: accel.load pop_next, dst = sp_input, {{.*}} dram_addr = 256, chip_row = 0,
// CHECK-NEXT: accel.load push_next, dst = sp_weight,
// CHECK-NEXT: accel.gemm pop_prev, push_prev, push_next, {{.*}} finish, {{.*}} m = 16, n = 16, k = 32
// The result tile: rows of N = 24 in DRAM, of n = 16 in ACC.
// CHECK-NEXT: accel.cfg.td_dram td = 2, dram_stride_z = 0, dram_stride_y = 24, dram_stride_x = 1
// CHECK-NEXT: accel.cfg.td_chip td = 2, chip_stride_z = 0, chip_stride_y = 16, chip_stride_x = 1,
// CHECK-NEXT: accel.store pop_prev, push_prev, format = 0, td = 2, layout = raw32, {{.*}} dram_addr = 24576, acc_entry = 0, size_z = 1, size_y = 16, size_x = 16
// The second output tile (8 columns) goes to the other ACC half.
// CHECK:      accel.gemm {{.*}} acc_entry = 2040, m = 16, n = 8, k = 32
// The third tile reuses ACC half 0: its first GEMM waits for the store.
// CHECK:      accel.gemm pop_prev, pop_next, push_prev, {{.*}} init, {{.*}} acc_entry = 0, m = 16, n = 16, k = 32
// The last tile: 8 rows, 8 columns; nothing waits for it.
// CHECK:      accel.store pop_prev, format = 0, td = 3, layout = raw32, {{.*}} dram_addr = 27712, acc_entry = 2040, size_z = 1, size_y = 8, size_x = 8
// CHECK-NEXT: accel.finish

// With the default machine the whole matmul is one tile.
// WHOLE-COUNT-1: accel.gemm pop_prev, push_next, {{.*}} init, finish, {{.*}} a_rows_per_vector = 2, {{.*}} b_rows_per_vector = 2, acc_entry = 0, m = 40, n = 24, k = 96
// WHOLE: accel.store pop_prev, {{.*}} size_y = 40, size_x = 24
// WHOLE-NOT: accel.gemm

// DECODES: gemm pop_prev push_next format_a=0 format_b=1 accum=0 mode=m4 init finish
// DECODES: finish
func.func @layer(%a: tensor<40x96xf32>, %w: tensor<96x24xf32>) -> tensor<40x24xf32> {
  %qa = qtrain.quantize %a {format = #qtrain.scaled<mxfp8_e4m3>} : tensor<40x96xf32>
  %qw = qtrain.quantize %w {format = #qtrain.fp<e4m3fn, overflow = saturate>} : tensor<96x24xf32>
  %y = qtrain.matmul %qa, %qw {accumulation = #qtrain.accum<#qtrain.fp<fp12_dga>, static, group = 16>}
      : tensor<40x96xf32>, tensor<96x24xf32> -> tensor<40x24xf32>
  return %y : tensor<40x24xf32>
}
