// Operand layouts: transposed storage, blocks across K-vectors (paired
// lanes), unquantized f32 operands (mode f32), stochastic rounding (a seed
// register and stream indices).
// RUN: qtrain-opt %s --split-input-file --convert-qtrain-to-accel="tile-m=8" | FileCheck %s

// CHECK-LABEL: accel.program attributes
// CHECK-SAME: accel.function = "transposed"
// A^T stored as K x M = 64 x 8: y = i has stride 1, x = kk stride 8.
// CHECK: accel.cfg.td_dram td = 0, dram_stride_z = 0, dram_stride_y = 1, dram_stride_x = 8
// W^T stored as N x K = 4 x 64: y = j stride 64, x = kk stride 1.
// CHECK: accel.cfg.td_dram td = 1, dram_stride_z = 0, dram_stride_y = 64, dram_stride_x = 1
// f32 operands need the f32 multiplier; their lanes are 32 bits (16 per row).
// CHECK: accel.gemm {{.*}} mode = f32, init, finish, {{.*}} a_rows_per_vector = 4, {{.*}} b_rows_per_vector = 4, acc_entry = 0, m = 8, n = 4, k = 64
func.func @transposed(%at: tensor<64x8xf32>, %wt: tensor<4x64xf32>) -> tensor<8x4xf32> {
  %y = qtrain.matmul %at, %wt {transpose_a, transpose_b} : tensor<64x8xf32>, tensor<4x64xf32> -> tensor<8x4xf32>
  return %y : tensor<8x4xf32>
}

// -----

// MX blocks run along W's last dimension (N): across the K-vectors of B,
// so B's lanes are paired (8-bit code + 8-bit scale = 16 bits, 32 a row).
// CHECK-LABEL: accel.program attributes
// CHECK-SAME: accel.function = "paired"
// CHECK: accel.cfg.element entry = 1, {{.*}} layout = paired,
// CHECK: accel.cfg.block_level entry = 1, present, {{.*}} block_z = 1, block_y = 32, block_x = 1
// CHECK: accel.gemm {{.*}} mode = f32, {{.*}} a_rows_per_vector = 3, {{.*}} b_rows_per_vector = 2, {{.*}} m = 8, n = 64, k = 48
func.func @paired(%a: tensor<8x48xf32>, %w: tensor<48x64xf32>) -> tensor<8x64xf32> {
  %qw = qtrain.quantize %w {format = #qtrain.scaled<mxfp8_e4m3>} : tensor<48x64xf32>
  %y = qtrain.matmul %a, %qw : tensor<8x48xf32>, tensor<48x64xf32> -> tensor<8x64xf32>
  return %y : tensor<8x64xf32>
}

// -----

// The seed argument (arg1) is at DRAM 1024; the site's offset is the
// reg.load's immediate.
// CHECK-LABEL: accel.program attributes
// CHECK-SAME: {address = 1024 : i64, bytes = 8 : i64, name = "arg1", role = "input", shape = array<i64>, type = i64}
// CHECK-SAME: accel.function = "stochastic"
// CHECK: accel.reg.load regfile = seed, reg = 0, part = none, from_dram, dram_addr = 1024, imm = 0x0000010000000000
// CHECK: accel.cfg.rounding entry = 0, mode = stochastic, random_bits = 3, {{.*}} source = counter, seed_reg = 0,
// CHECK: accel.cfg.element entry = 0, kind = minifloat, rounding = 0, {{.*}} mf_exponent_bits = 5, mf_mantissa_bits = 2,
// Stream indices are the elements' row-major positions in the tensor.
// With one K-tile, A's scratchpad tile is both 8-row output tiles (all 16
// rows, one LOAD) and W's is loaded once: the second GEMM reads A's rows
// 8 to 15 from row 8.
// CHECK: accel.cfg.stream index_base = 0, index_stride_z = 0, index_stride_y = 16, index_stride_x = 1
// CHECK-NEXT: accel.load dst = sp_input, {{.*}} dram_addr = 0, {{.*}} size_y = 16, size_x = 16
// CHECK-NOT: accel.load
// CHECK: accel.load push_next, dst = sp_weight,
// CHECK-NEXT: accel.gemm {{.*}} a_row = 0, {{.*}} b_row = 0, {{.*}} m = 8, n = 8, k = 16
// CHECK-NOT: accel.load
// CHECK: accel.gemm {{.*}} a_row = 8, {{.*}} b_row = 0, {{.*}} m = 8, n = 8, k = 16
func.func @stochastic(%a: tensor<16x16xf32>, %seed: i64, %w: tensor<16x8xf32>) -> tensor<16x8xf32> {
  %c = arith.constant 1099511627776 : i64
  %s = arith.addi %seed, %c : i64
  %qa = qtrain.quantize %a seed(%s) {format = #qtrain.fp<e5m2>, rounding = #qtrain.rounding<stochastic, bits = 3>} : tensor<16x16xf32>
  %y = qtrain.matmul %qa, %w : tensor<16x16xf32>, tensor<16x8xf32> -> tensor<16x8xf32>
  return %y : tensor<16x8xf32>
}

// -----

// A batched matmul: one tiled GEMM loop per batch, at the batch's offsets.
// CHECK-LABEL: accel.program attributes
// CHECK-SAME: accel.function = "batched"
// CHECK: accel.load dst = sp_input, {{.*}} dram_addr = 0, {{.*}} size_y = 3, size_x = 8
// CHECK: accel.store {{.*}} dram_addr = 448, {{.*}} size_y = 3, size_x = 4
// CHECK: accel.load {{.*}}dst = sp_input, {{.*}} dram_addr = 96, {{.*}} size_y = 3, size_x = 8
// CHECK: accel.load {{.*}}dst = sp_weight, {{.*}} dram_addr = 320, {{.*}} size_y = 4, size_x = 8
// CHECK: accel.store {{.*}} dram_addr = 496, {{.*}} size_y = 3, size_x = 4
func.func @batched(%a: tensor<2x3x8xf32>, %b: tensor<2x8x4xf32>) -> tensor<2x3x4xf32> {
  %y = qtrain.matmul %a, %b : tensor<2x3x8xf32>, tensor<2x8x4xf32> -> tensor<2x3x4xf32>
  return %y : tensor<2x3x4xf32>
}

// -----

// A whole-tensor scale computed by its rule: a statistics pass over the
// whole operand (a LOAD to nowhere gathering amax), select_scale from the
// statistics register into a reserved ACC entry (the top 16 entries), and
// the format entry reading it; the operand's LOADs wait for it.
// CHECK-LABEL: accel.function = "tensor_scale"
// CHECK: accel.cfg.tensor_level entry = 0, present, scale_kind = f32, {{.*}} rule = amax_to_max, {{.*}} scale_entry = 4080
// CHECK: accel.load push_next, dst = none, format = 0, {{.*}} layout = f32, stats_reg = 0, stats_mask = 1, stats_reset, median_pass = none, dram_addr = 0, {{.*}} size_z = 1, size_y = 8, size_x = 16
// CHECK-NEXT: accel.cfg.view view = [[ONE:[0-9]+]], size_z = 1, stride_z = 0, size_y = 1, stride_y = 0, size_x = 1, stride_x = 0
// CHECK-NEXT: accel.vector pop_prev, push_prev, op = select_scale, format = 0, stats_reg = 0, aux = 2,{{.*}} dst_view = [[ONE]], dst_entry = 4080,
// A given scale (a 0-d argument) is loaded into its entry.
// CHECK: accel.cfg.tensor_level entry = 1, present, {{.*}} rule = given, {{.*}} scale_entry = 4081
// CHECK: accel.load dst = acc, {{.*}} layout = raw32, {{.*}} dram_addr = 768, chip_row = 4081,
// CHECK: accel.load pop_next, dst = sp_input, format = 0,
func.func @tensor_scale(%a: tensor<8x16xf32>, %w: tensor<16x4xf32>, %s: tensor<f32>) -> tensor<8x4xf32> {
  %qa = qtrain.quantize %a {format = #qtrain.scaled<fp8_e4m3_tensor>} : tensor<8x16xf32>
  %qw = qtrain.quantize %w scales(%s : tensor<f32>) {format = #qtrain.scaled<#qtrain.fp<e4m3, specials = fn, overflow = saturate>, [#qtrain.scale_level<tensor, f32, given>]>} : tensor<16x4xf32>
  %y = qtrain.matmul %qa, %qw : tensor<8x16xf32>, tensor<16x4xf32> -> tensor<8x4xf32>
  return %y : tensor<8x4xf32>
}

// -----

// The data source: the rounding entry's companion tensor is the argument
// %d (32 f32 at byte 320); no seed register is loaded, and the operand's
// LOAD sets stream indices (element i takes d[i mod 32]'s bits 2..5).
// CHECK-LABEL: accel.program attributes
// CHECK-SAME: accel.function = "data_source"
// CHECK-NOT: accel.reg.load
// CHECK: accel.cfg.rounding entry = 0, mode = stochastic, random_bits = 4, {{.*}}source = data, {{.*}}data_bit_offset = 2,
// CHECK-NEXT: accel.cfg.rounding_data entry = 0, data_addr = 320, data_count = 32
// CHECK: accel.cfg.stream index_base = 0, index_stride_z = 0, index_stride_y = 8, index_stride_x = 1
// CHECK-NEXT: accel.load dst = sp_input, format = 0,
func.func @data_source(%a: tensor<4x8xf32>, %b: tensor<8x4xf32>, %s: i64, %d: tensor<32xf32>) -> tensor<4x4xf32> {
  %qa = qtrain.quantize %a seed(%s) random_data(%d : tensor<32xf32>) {format = #qtrain.fp<e5m2>, rounding = #qtrain.rounding<stochastic, bits = 4, source = data, offset = 2>} : tensor<4x8xf32>
  %y = qtrain.matmul %qa, %b : tensor<4x8xf32>, tensor<8x4xf32> -> tensor<4x4xf32>
  return %y : tensor<4x4xf32>
}
