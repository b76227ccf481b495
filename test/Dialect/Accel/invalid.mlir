// Every error of the accel dialect's parser and verifiers, with its location.
// RUN: qtrain-opt %s -split-input-file -verify-diagnostics

accel.program {
  // expected-error @below {{'accel.gemm' op field 'm' is 0, legal 1..4095}}
  accel.gemm format_a = 0, format_b = 1, accum = 0, mode = m8, threshold_reg = 0, a_row = 0, a_rows_per_vector = 1, b_row = 0, b_rows_per_vector = 1, acc_entry = 0, m = 0, n = 1, k = 1
  accel.finish
}

// -----

accel.program {
  // expected-error @below {{field 'format_a' is 16, legal 0..15}}
  accel.gemm format_a = 16, format_b = 1, accum = 0, mode = m8, threshold_reg = 0, a_row = 0, a_rows_per_vector = 1, b_row = 0, b_rows_per_vector = 1, acc_entry = 0, m = 1, n = 1, k = 1
  accel.finish
}

// -----

accel.program {
  // expected-error @below {{'gemm' needs field 'k'}}
  accel.gemm format_a = 0, format_b = 1, accum = 0, mode = m8, threshold_reg = 0, a_row = 0, a_rows_per_vector = 1, b_row = 0, b_rows_per_vector = 1, acc_entry = 0, m = 1, n = 1
}

// -----

accel.program {
  // expected-error @below {{'cfg.view' has no field 'size_w'}}
  accel.cfg.view view = 0, size_w = 1
}

// -----

accel.program {
  // expected-error @below {{field 'view' is given twice}}
  accel.cfg.view view = 0, view = 1
}

// -----

accel.program {
  // expected-error @below {{flag 'init' takes no value}}
  accel.gemm init = 1
}

// -----

accel.program {
  // expected-error @below {{field 'mode' takes one of m4, m8, m16, f32, not 'm2'}}
  accel.gemm mode = m2
}

// -----

accel.program {
  // expected-error @below {{field 'view' takes an integer}}
  accel.cfg.view view = foo
}

// -----

accel.program {
  // expected-error @below {{field 'view' is -1, legal 0..15}}
  accel.cfg.view view = -1
}

// -----

accel.program {
  // expected-error @below {{field 'imm' is 340282366920938463463374607431768211456, beyond 64 bits}}
  accel.reg.load regfile = seed, reg = 0, part = none, dram_addr = 0, imm = 340282366920938463463374607431768211456
}

// -----

// REG_STORE's regfile has one legal case: an enum case outside a field's
// subset is named.
accel.program {
  // expected-error @below {{'accel.reg.store' op field 'regfile' is seed, legal stats}}
  "accel.reg.store"() <{regfile = 0 : i64, reg = 0 : i64, part = 1 : i64, dram_addr = 0 : i64}> : () -> ()
  accel.finish
}

// -----

accel.program {
  // expected-error @below {{'accel.cfg.view' op requires attribute 'size_x'}}
  "accel.cfg.view"() <{view = 0 : i64, size_z = 1 : i64, stride_z = 0 : i64, size_y = 1 : i64, stride_y = 0 : i64, stride_x = 1 : i64}> : () -> ()
  accel.finish
}

// -----

accel.program {
  // expected-note @below {{the finish}}
  accel.finish
  // expected-error @below {{'accel.finish' op follows accel.finish: the stream ends there}}
  accel.finish
}

// -----

accel.program {
  // expected-error @below {{'arith.constant' op is not an accel instruction}}
  %c = arith.constant 0 : i32
  accel.finish
}

// -----

accel.program {
  // expected-error @below {{field 'margin' is -65, legal -64..64}}
  accel.cfg.tensor_level entry = 0, scale_kind = pow2, scale_bits = 8, scale_bias = 0, rule = amax_to_max, margin = -65, median_exponent = 0, scale_entry = 0
  accel.finish
}

// -----

// expected-error @below {{'accel.finish' op expects parent op 'accel.program'}}
accel.finish
