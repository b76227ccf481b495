// With a machine description (`accel.machine`, as convert-qtrain-to-accel
// writes it), the program's verifier checks the memory bounds an
// instruction's own fields determine.
// RUN: qtrain-opt %s -split-input-file -verify-diagnostics

// The machine: 64 ACC entries, 32-row scratchpads, 1 MiB of DRAM.
accel.program attributes {accel.machine = "{\"acc\": {\"entries\": 64}, \"input_sp\": {\"rows\": 32}, \"weight_sp\": {\"rows\": 32}, \"dram\": {\"bytes\": 1048576}}"} {
  accel.gemm format_a = 0, format_b = 0, accum = 0, mode = f32, init, finish, threshold_reg = 0, a_row = 0, a_rows_per_vector = 2, b_row = 0, b_rows_per_vector = 2, acc_entry = 0, m = 8, n = 8, k = 16
  // expected-error @below {{'accel.gemm' op the outputs [8, 72) exceed the ACC's entries (64)}}
  accel.gemm format_a = 0, format_b = 0, accum = 0, mode = f32, init, finish, threshold_reg = 0, a_row = 0, a_rows_per_vector = 2, b_row = 0, b_rows_per_vector = 2, acc_entry = 8, m = 8, n = 8, k = 16
  accel.finish
}

// -----

accel.program attributes {accel.machine = "{\"input_sp\": {\"rows\": 32}}"} {
  // expected-error @below {{'accel.gemm' op A's rows [20, 36) exceed the input scratchpad's rows (32)}}
  accel.gemm format_a = 0, format_b = 0, accum = 0, mode = f32, init, threshold_reg = 0, a_row = 20, a_rows_per_vector = 2, b_row = 0, b_rows_per_vector = 2, acc_entry = 0, m = 8, n = 1, k = 16
  accel.finish
}

// -----

// The machine may be the module's attribute.
module attributes {accel.machine = "{\"dram\": {\"bytes\": 4096}}"} {
  accel.program {
    // expected-error @below {{'accel.store' op dram_addr is 4096, beyond the DRAM's bytes (4096)}}
    accel.store format = 0, td = 0, layout = raw32, stats_reg = 0, stats_mask = 0, dram_addr = 4096, acc_entry = 0, size_z = 1, size_y = 1, size_x = 1
    accel.finish
  }
}

// -----

accel.program attributes {accel.machine = "{\"acc\": {\"entries\": 64}}"} {
  // expected-error @below {{'accel.vector' op src1_entry is 64, beyond the ACC's entries (64)}}
  accel.vector op = copy, format = 0, stats_reg = 0, aux = 0, dst_view = 0, dst_entry = 0, src1_view = 0, src1_entry = 64, src2_view = 0, src2_entry = 0, imm = 0x00000000
  accel.finish
}

// -----

// A broken description is an error at the program, naming the key.
// expected-error @below {{'accel.program' op accel.machine: unknown key 'acc.entires'}}
accel.program attributes {accel.machine = "{\"acc\": {\"entires\": 64}}"} {
  accel.finish
}
