// The accel dialect's custom form round-trips, in the custom and the generic
// form, and the printer writes every field in table order whatever order the
// input used: flags only when set, enums by case, bits fields in hex.
// RUN: qtrain-opt %s | FileCheck %s
// RUN: qtrain-opt %s | qtrain-opt | FileCheck %s
// RUN: qtrain-opt %s --mlir-print-op-generic | qtrain-opt | FileCheck %s

// CHECK-LABEL: accel.program {
accel.program {
  // CHECK-NEXT: accel.cfg.view view = 3, size_z = 1, stride_z = 0, size_y = 2, stride_y = 16, size_x = 16, stride_x = 1
  accel.cfg.view stride_x = 1, size_x = 16, stride_y = 16, size_y = 2, stride_z = 0, size_z = 1, view = 3
  // CHECK-NEXT: accel.cfg.tensor_level entry = 15, present, scale_kind = pow2, scale_bits = 8, scale_bias = -512, rule = amax_to_max, margin = -3, median_exponent = 0, scale_entry = 7
  accel.cfg.tensor_level entry = 15, present, scale_kind = pow2, scale_bits = 8, scale_bias = -512, rule = amax_to_max, margin = -3, median_exponent = 0, scale_entry = 7
  // CHECK-NEXT: accel.gemm pop_prev, push_next, format_a = 0, format_b = 1, accum = 2, mode = m8, init, finish, threshold_reg = 0, a_row = 4, a_rows_per_vector = 1, b_row = 16383, b_rows_per_vector = 255, acc_entry = 65535, m = 4095, n = 1, k = 65535
  accel.gemm pop_prev, push_next, format_a = 0, format_b = 1, accum = 2, mode = m8, init, finish, threshold_reg = 0, a_row = 4, a_rows_per_vector = 1, b_row = 16383, b_rows_per_vector = 255, acc_entry = 65535, m = 4095, n = 1, k = 65535
  // A negative integer for a bits field is its pattern in the field's width.
  // CHECK-NEXT: accel.vector op = addf, format = 0, stats_reg = 0, aux = 0, src2_imm, dst_view = 0, dst_entry = 0, src1_view = 0, src1_entry = 16, src2_view = 0, src2_entry = 0, imm = 0xffffffff
  accel.vector op = addf, format = 0, stats_reg = 0, aux = 0, src2_imm, dst_view = 0, dst_entry = 0, src1_view = 0, src1_entry = 16, src2_view = 0, src2_entry = 0, imm = -1
  // CHECK-NEXT: accel.reg.load push_next, regfile = seed, reg = 7, part = none, dram_addr = 4294967295, imm = 0x8000000000000000 {reg_imm_tag = "kept"}
  accel.reg.load push_next, regfile = seed, reg = 7, part = none, dram_addr = 4294967295, imm = 0x8000000000000000 {reg_imm_tag = "kept"}
  // CHECK-NEXT: accel.finish
  accel.finish
}
