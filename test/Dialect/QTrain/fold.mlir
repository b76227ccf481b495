// RUN: qtrain-opt %s --canonicalize --split-input-file | FileCheck %s
// Constants fold through the numerics library (the values below are those
// of docs/Numerics.md's rules), and quantizing twice folds to once.

// CHECK-LABEL: func.func @quantize_constant
// CHECK: arith.constant dense<[1.250000e+00, -4.480000e+02, 0.000000e+00, 0x7FC00000]> : tensor<4xf32>
func.func @quantize_constant() -> tensor<4xf32> {
  %c = arith.constant dense<[1.3, -1.0e4, 1.0e-9, 0x7FC00000]> : tensor<4xf32>
  %q = qtrain.quantize %c {format = #qtrain.fp<e4m3fn, overflow = saturate>} : tensor<4xf32>
  return %q : tensor<4xf32>
}

// -----

// CHECK-LABEL: func.func @quantize_twice
// CHECK: %[[Q:.*]] = qtrain.quantize %arg0
// CHECK-NOT: qtrain.quantize
// CHECK: return %[[Q]]
func.func @quantize_twice(%x: tensor<8xf32>) -> tensor<8xf32> {
  %a = qtrain.quantize %x {format = #qtrain.fp<e5m2>} : tensor<8xf32>
  %b = qtrain.quantize %a {format = #qtrain.fp<e5m2>, rounding = #qtrain.rounding<toward_zero>} : tensor<8xf32>
  return %b : tensor<8xf32>
}

// -----

// Stochastic rounding, or a different format, must not fold away.
// CHECK-LABEL: func.func @no_fold
// CHECK-COUNT-2: qtrain.quantize
func.func @no_fold(%x: tensor<8xf32>, %s: i64) -> tensor<8xf32> {
  %a = qtrain.quantize %x {format = #qtrain.fp<e5m2>} : tensor<8xf32>
  %b = qtrain.quantize %a seed(%s) {format = #qtrain.fp<e5m2>, rounding = #qtrain.rounding<stochastic, bits = 3>} : tensor<8xf32>
  return %b : tensor<8xf32>
}

// -----

// A constant seed makes stochastic rounding a constant too: 1 + 5/16 in
// e5m2 (step 1/4) rounds up to 1.5 with probability 1/4 (k = 2). The values
// are the library's for seed 7 (stream indices 0..3); the CPU lowering of the
// same op, run with mlir-runner, prints the same [1.5, 1.25, 1.25, 1.25].
// CHECK-LABEL: func.func @stochastic_constant
// CHECK: arith.constant dense<[1.500000e+00, 1.250000e+00, 1.250000e+00, 1.250000e+00]> : tensor<4xf32>
// CHECK-NOT: qtrain.quantize
func.func @stochastic_constant() -> tensor<4xf32> {
  %c = arith.constant dense<1.3125> : tensor<4xf32>
  %s = arith.constant 7 : i64
  %q = qtrain.quantize %c seed(%s) {format = #qtrain.fp<e5m2>, rounding = #qtrain.rounding<stochastic, bits = 2>} : tensor<4xf32>
  return %q : tensor<4xf32>
}

// -----

// MX: 32 values 1..32 in one block: shared exponent floor(log2 32) - 2 = 3,
// E8M0 code 130 (printed as i8: -126); elements x/8 in e2m1 (codes 0..7 =
// 0, 0.5, 1, 1.5, 2, 3, 4, 6) with ties to even: 2/8 -> 0, 6/8 -> 1.0.
// CHECK-LABEL: func.func @encode_mx
// CHECK-DAG: arith.constant dense<-126> : tensor<1xi8>
// CHECK-DAG: arith.constant dense<[0, 0, 1, 1, 1, 2, 2, 2, 2, 2, 3, 3, 3, 4, 4, 4, 4, 4, 4, 4, 5, 5, 5, 5, 5, 5, 5, 6, 6, 6, 6, 6]> : tensor<32xi4>
func.func @encode_mx() -> (tensor<32xi4>, tensor<1xi8>) {
  %c = arith.constant dense<[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0, 12.0, 13.0, 14.0, 15.0, 16.0,
                             17.0, 18.0, 19.0, 20.0, 21.0, 22.0, 23.0, 24.0, 25.0, 26.0, 27.0, 28.0, 29.0, 30.0, 31.0, 32.0]> : tensor<32xf32>
  %codes, %scale = qtrain.encode %c {format = #qtrain.scaled<mxfp4_e2m1>} : tensor<32xf32> -> tensor<32xi4>, tensor<1xi8>
  return %codes, %scale : tensor<32xi4>, tensor<1xi8>
}

// -----

// CHECK-LABEL: func.func @decode_constant
// CHECK: arith.constant dense<[8.000000e+00, -1.200000e+01, 4.800000e+01]> : tensor<3xf32>
func.func @decode_constant() -> tensor<3xf32> {
  %c = arith.constant dense<[0x2, 0xB, 0x7]> : tensor<3xi4>
  %s = arith.constant dense<0x82> : tensor<1xf8E8M0FNU>
  %x = qtrain.decode %c, %s {format = #qtrain.scaled<mxfp4_e2m1>} : tensor<3xi4>, tensor<1xf8E8M0FNU> -> tensor<3xf32>
  return %x : tensor<3xf32>
}

// -----

// amax 5, lower median of |x| 1, one of four flushed, scale 5 / 448.
// CHECK-LABEL: func.func @statistics
// CHECK-DAG: arith.constant dense<5.000000e+00> : tensor<f32>
// CHECK-DAG: arith.constant dense<1.000000e+00> : tensor<f32>
// CHECK-DAG: arith.constant dense<2.500000e-01> : tensor<f32>
// CHECK-DAG: arith.constant dense<0.0111607146> : tensor<f32>
func.func @statistics() -> (tensor<f32>, tensor<f32>, tensor<f32>, tensor<f32>) {
  %c = arith.constant dense<[1.0, -5.0, 2.0, 1.0e-9]> : tensor<4xf32>
  %a = qtrain.amax %c : tensor<4xf32> -> tensor<f32>
  %m = qtrain.median %c : tensor<4xf32> -> tensor<f32>
  %z = qtrain.zero_setting_error %c {format = #qtrain.fp<e4m3fn>} : tensor<4xf32> -> tensor<f32>
  %s = qtrain.select_scale %a {level = #qtrain.scale_level<tensor, f32, amax_to_max>, element = #qtrain.fp<e4m3fn>} : tensor<f32>
  return %a, %m, %z, %s : tensor<f32>, tensor<f32>, tensor<f32>, tensor<f32>
}

// -----

// A FlexBlock preset truncates unless a rounding is given: in a block whose
// largest magnitude is 1.71875 (exponent 0), FB12 keeps 3 fraction bits, so
// 1.71875 becomes 1.625 (toward zero); nearest-even would give 1.75.
// CHECK-LABEL: func.func @flexblock_truncates
// CHECK-DAG: arith.constant dense<1.625000e+00> : tensor<1x24x3x3xf32>
// CHECK-DAG: arith.constant dense<1.750000e+00> : tensor<1x24x3x3xf32>
func.func @flexblock_truncates() -> (tensor<1x24x3x3xf32>, tensor<1x24x3x3xf32>) {
  %c = arith.constant dense<1.71875> : tensor<1x24x3x3xf32>
  %t = qtrain.quantize %c {format = #qtrain.scaled<fb12>} : tensor<1x24x3x3xf32>
  %n = qtrain.quantize %c {format = #qtrain.scaled<fb12>, rounding = #qtrain.rounding<nearest_even>} : tensor<1x24x3x3xf32>
  return %t, %n : tensor<1x24x3x3xf32>, tensor<1x24x3x3xf32>
}

// -----

// Given scales: a 0-d scale (as select_scale returns) feeds a whole-tensor
// level, and encode returns it in storage form. x / 0.5 = [2, 8] in e4m3fn
// are codes 0x40 and 0x50.
// CHECK-LABEL: func.func @given_scales
// CHECK-DAG: arith.constant dense<[1.000000e+00, 4.000000e+00]> : tensor<2xf32>
// CHECK-DAG: arith.constant dense<[64, 80]> : tensor<2xi8>
// CHECK-DAG: arith.constant dense<5.000000e-01> : tensor<1xf32>
func.func @given_scales() -> (tensor<2xf32>, tensor<2xi8>, tensor<1xf32>) {
  %x = arith.constant dense<[1.0, 4.0]> : tensor<2xf32>
  %s = arith.constant dense<0.5> : tensor<f32>
  %q = qtrain.quantize %x scales(%s : tensor<f32>) {format = #qtrain.scaled<#qtrain.fp<e4m3fn>, [#qtrain.scale_level<tensor, f32, given>]>} : tensor<2xf32>
  %c, %cs = qtrain.encode %x scales(%s : tensor<f32>) {format = #qtrain.scaled<#qtrain.fp<e4m3fn>, [#qtrain.scale_level<tensor, f32, given>]>} : tensor<2xf32> -> tensor<2xi8>, tensor<1xf32>
  return %q, %c, %cs : tensor<2xf32>, tensor<2xi8>, tensor<1xf32>
}

// -----

// FlexBlock's zero-setting error: the block max is 1 (exponent 0), FB12
// keeps steps of 1/8, so 0.1 and 0.01 flush and 0.5 does not: 2 of the 4
// non-zero elements, or 2/216 of all elements with all_elements.
// CHECK-LABEL: func.func @zse_flexblock
// CHECK-DAG: arith.constant dense<5.000000e-01> : tensor<f32>
// CHECK-DAG: arith.constant dense<0.00925925932> : tensor<f32>
func.func @zse_flexblock() -> (tensor<f32>, tensor<f32>) {
  %x = arith.constant dense<[1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.1, 0.0, 0.0,
    0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.01, 0.0, 0.0, 0.5, 0.0, 0.0,
    0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0,
    0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0,
    0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0,
    0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0,
    0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0,
    0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0,
    0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0,
    0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0,
    0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0,
    0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0,
    0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0,
    0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0,
    0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0,
    0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0,
    0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0,
    0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]> : tensor<216xf32>
  %d = tensor.expand_shape %x [[0, 1, 2, 3]] output_shape [1, 24, 3, 3] : tensor<216xf32> into tensor<1x24x3x3xf32>
  %z = qtrain.zero_setting_error %d {format = #qtrain.scaled<fb12>} : tensor<1x24x3x3xf32> -> tensor<f32>
  %a = qtrain.zero_setting_error %d {format = #qtrain.scaled<fb12>, all_elements} : tensor<1x24x3x3xf32> -> tensor<f32>
  return %z, %a : tensor<f32>, tensor<f32>
}

// -----

// The same levels as fb12 written out round to nearest-even: the rounding
// belongs to the preset attribute, not to a match of its levels.
// CHECK-LABEL: func.func @written_out_flexblock_rounds_to_nearest
// CHECK-DAG: arith.constant dense<1.625000e+00> : tensor<1x24x3x3xf32>
// CHECK-DAG: arith.constant dense<1.750000e+00> : tensor<1x24x3x3xf32>
func.func @written_out_flexblock_rounds_to_nearest() -> (tensor<1x24x3x3xf32>, tensor<1x24x3x3xf32>) {
  %c = arith.constant dense<1.71875> : tensor<1x24x3x3xf32>
  %t = qtrain.quantize %c {format = #qtrain.scaled<#qtrain.int<sm5, frac = 3>, [#qtrain.scale_level<[24, 3, 3], e8m0, shared_exponent>], rounding = #qtrain.rounding<toward_zero>>} : tensor<1x24x3x3xf32>
  %n = qtrain.quantize %c {format = #qtrain.scaled<#qtrain.int<sm5, frac = 3>, [#qtrain.scale_level<[24, 3, 3], e8m0, shared_exponent>]>} : tensor<1x24x3x3xf32>
  return %t, %n : tensor<1x24x3x3xf32>, tensor<1x24x3x3xf32>
}

// -----

// The median of the non-zero values: three zeros and 3, 5 and 7: with the
// zeros the lower median is 0, without them 5. An empty histogram's median
// is 0 (the histogram's values are checked by the differential test).
// CHECK-LABEL: func.func @nonzero_medians
// CHECK-DAG: arith.constant dense<5.000000e+00> : tensor<f32>
// CHECK-DAG: arith.constant dense<0.000000e+00> : tensor<f32>
func.func @nonzero_medians() -> (tensor<f32>, tensor<f32>, tensor<f32>) {
  %c = arith.constant dense<[0.0, -0.0, 0.0, 3.0, -5.0, 7.0]> : tensor<6xf32>
  %m = qtrain.median %c : tensor<6xf32> -> tensor<f32>
  %n = qtrain.median %c {nonzero} : tensor<6xf32> -> tensor<f32>
  %h = arith.constant dense<0> : tensor<557xi64>
  %hm = qtrain.histogram_median %h {nonzero} : tensor<557xi64> -> tensor<f32>
  return %m, %n, %hm : tensor<f32>, tensor<f32>, tensor<f32>
}
