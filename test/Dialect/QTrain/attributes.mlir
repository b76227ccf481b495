// RUN: qtrain-opt %s | qtrain-opt | FileCheck %s
// Every attribute round-trips; presets print by name, other formats spell
// only what differs from the eXmY defaults.

// CHECK-LABEL: func.func @formats
func.func @formats(%x: tensor<64xf32>) -> tensor<64xf32> {
  // CHECK: #qtrain.fp<e4m3fn>
  %0 = qtrain.quantize %x {format = #qtrain.fp<e4m3fn>} : tensor<64xf32>
  // CHECK: #qtrain.fp<e5m2>
  %1 = qtrain.quantize %0 {format = #qtrain.fp<e5m2, bias = 15>} : tensor<64xf32>
  // CHECK: #qtrain.fp<e5m2, bias = 20, specials = none, subnormals = false>
  %2 = qtrain.quantize %1 {format = #qtrain.fp<e5m2, bias = 20, specials = none, subnormals = false, overflow = saturate>} : tensor<64xf32>
  // CHECK: #qtrain.fp<e4m3, specials = fn, overflow = saturate>
  %3 = qtrain.quantize %2 {format = #qtrain.fp<e4m3fn, overflow = saturate>} : tensor<64xf32>
  // CHECK: #qtrain.fp<fp12_dga>
  %4 = qtrain.quantize %3 {format = #qtrain.fp<e5m6>} : tensor<64xf32>
  // CHECK: #qtrain.int<s8, frac = 6>
  %5 = qtrain.quantize %4 {format = #qtrain.int<s8, frac = 6>} : tensor<64xf32>
  // CHECK: #qtrain.int<u4, overflow = wrap>
  %6 = qtrain.quantize %5 {format = #qtrain.int<u4, overflow = wrap>} : tensor<64xf32>
  // CHECK: #qtrain.scaled<mxfp4_e2m1>
  %7 = qtrain.quantize %6 {format = #qtrain.scaled<#qtrain.fp<e2m1fn>, [#qtrain.scale_level<[32], e8m0, shared_exponent>]>} : tensor<64xf32>
  // CHECK: #qtrain.scaled<#qtrain.fp<e2m1fn>, [#qtrain.scale_level<[16], pow2<3, 7>, shared_exponent>]>
  %8 = qtrain.quantize %7 {format = #qtrain.scaled<#qtrain.fp<e2m1fn>, [#qtrain.scale_level<[16], pow2<3, 7>, shared_exponent>]>} : tensor<64xf32>
  // CHECK: #qtrain.scaled<abfp8_e5m2>
  %9 = qtrain.quantize %8 {format = #qtrain.scaled<abfp8_e5m2>} : tensor<64xf32>
  // CHECK: #qtrain.scaled<mls_e2m4>
  %10 = qtrain.quantize %9 {format = #qtrain.scaled<mls_e2m4>} : tensor<64xf32>
  // CHECK: #qtrain.scale_level<tensor, f32, amax_to_max, margin = 2>
  %11 = qtrain.quantize %10 {format = #qtrain.scaled<#qtrain.fp<e4m3fn>, [#qtrain.scale_level<tensor, f32, amax_to_max, margin = 2>]>} : tensor<64xf32>
  return %11 : tensor<64xf32>
}

// CHECK-LABEL: func.func @roundings
func.func @roundings(%x: tensor<64xf32>, %s: i64, %d: tensor<64xf32>) -> tensor<64xf32> {
  // CHECK: #qtrain.rounding<toward_zero>
  %0 = qtrain.quantize %x {format = #qtrain.fp<e5m2>, rounding = #qtrain.rounding<toward_zero>} : tensor<64xf32>
  // CHECK: seed(%{{.*}}) {format = #qtrain.fp<e5m2>, rounding = #qtrain.rounding<stochastic, bits = 3>}
  %1 = qtrain.quantize %0 seed(%s) {format = #qtrain.fp<e5m2>, rounding = #qtrain.rounding<stochastic, bits = 3, source = counter, variant = compare>} : tensor<64xf32>
  // CHECK: #qtrain.rounding<stochastic, bits = 3, source = lfsr_plateau, variant = add_truncate, width = 3, lanes = 8>
  %2 = qtrain.quantize %1 seed(%s) {format = #qtrain.fp<e5m2>, rounding = #qtrain.rounding<stochastic, bits = 3, source = lfsr_plateau, width = 3, lanes = 8, variant = add_truncate>} : tensor<64xf32>
  // ESRU: 3 random bits read against 8 discarded bits; discarded = bits is
  // the default and prints as nothing.
  // CHECK: #qtrain.rounding<stochastic, bits = 3, discarded = 8, source = lfsr_plateau, width = 3>
  %e = qtrain.quantize %2 seed(%s) {format = #qtrain.fp<e5m2>, rounding = #qtrain.rounding<stochastic, bits = 3, discarded = 8, source = lfsr_plateau, width = 3>} : tensor<64xf32>
  // CHECK: #qtrain.rounding<stochastic, bits = 5>}
  %e2 = qtrain.quantize %e seed(%s) {format = #qtrain.fp<e5m2>, rounding = #qtrain.rounding<stochastic, bits = 5, discarded = 5>} : tensor<64xf32>
  // CHECK: random_data(%{{.*}} : tensor<64xf32>) {format = #qtrain.fp<e5m2>, rounding = #qtrain.rounding<stochastic, bits = 4, source = data, offset = 2>}
  %3 = qtrain.quantize %2 seed(%s) random_data(%d : tensor<64xf32>) {format = #qtrain.fp<e5m2>, rounding = #qtrain.rounding<stochastic, bits = 4, source = data, offset = 2>} : tensor<64xf32>
  return %3 : tensor<64xf32>
}

// CHECK-LABEL: func.func @accumulations
func.func @accumulations(%a: tensor<8x16xf32>, %b: tensor<16x4xf32>) -> tensor<8x4xf32> {
  // CHECK: #qtrain.accum<#qtrain.fp<f32>>
  %0 = qtrain.matmul %a, %b {accumulation = #qtrain.accum<#qtrain.fp<f32>, none>} : tensor<8x16xf32>, tensor<16x4xf32> -> tensor<8x4xf32>
  // CHECK: #qtrain.accum<#qtrain.fp<fp16_dga>, static, group = 16>
  %1 = qtrain.matmul %a, %b {accumulation = #qtrain.accum<#qtrain.fp<fp16_dga>, static, group = 16>} : tensor<8x16xf32>, tensor<16x4xf32> -> tensor<8x4xf32>
  // CHECK: #qtrain.accum<#qtrain.fp<fp12_dga>, ideal_dga, t0 = 2.500000e-01, count = after_reset, product = #qtrain.fp<e5m2>>
  %2 = qtrain.matmul %a, %b {accumulation = #qtrain.accum<#qtrain.fp<fp12_dga>, ideal_dga, t0 = 0.25, count = after_reset, product = #qtrain.fp<e5m2>>} : tensor<8x16xf32>, tensor<16x4xf32> -> tensor<8x4xf32>
  // CHECK: #qtrain.accum<#qtrain.fp<fp12_dga>, efficient_dga, c = 3, shared, outer = #qtrain.fp<fp16_dga>, rounding = toward_zero>
  %3 = qtrain.matmul %a, %b {accumulation = #qtrain.accum<#qtrain.fp<fp12_dga>, efficient_dga, c = 3, shared, outer = #qtrain.fp<fp16_dga>, rounding = toward_zero>} : tensor<8x16xf32>, tensor<16x4xf32> -> tensor<8x4xf32>
  // MLS: fixed-point group sums into a float outer accumulator.
  // CHECK: #qtrain.accum<#qtrain.int<s16, frac = 10>, static, group = 16>
  %4 = qtrain.matmul %a, %b {accumulation = #qtrain.accum<#qtrain.int<s16, frac = 10>, static, group = 16>} : tensor<8x16xf32>, tensor<16x4xf32> -> tensor<8x4xf32>
  // CHECK: #qtrain.accum<#qtrain.int<s24, frac = 12, overflow = wrap>, static, group = 8, outer = #qtrain.fp<fp16_dga>>
  %5 = qtrain.matmul %a, %b {accumulation = #qtrain.accum<#qtrain.int<s24, frac = 12, overflow = wrap>, static, group = 8, outer = #qtrain.fp<fp16_dga>>} : tensor<8x16xf32>, tensor<16x4xf32> -> tensor<8x4xf32>
  return %5 : tensor<8x4xf32>
}

// A preset carries its rounding; the same levels written out round to
// nearest-even unless they say otherwise, and print by the preset name only
// with the preset's rounding. An explicit nearest_even is the default.
// CHECK-LABEL: func.func @preset_rounding
func.func @preset_rounding(%x: tensor<1x24x3x3xf32>) -> tensor<1x24x3x3xf32> {
  // CHECK: #qtrain.scaled<fb12>
  %0 = qtrain.quantize %x {format = #qtrain.scaled<fb12>} : tensor<1x24x3x3xf32>
  // CHECK: #qtrain.scaled<#qtrain.int<sm5, frac = 3>, [#qtrain.scale_level<[24, 3, 3], e8m0, shared_exponent>]>}
  %1 = qtrain.quantize %0 {format = #qtrain.scaled<#qtrain.int<sm5, frac = 3>, [#qtrain.scale_level<[24, 3, 3], e8m0, shared_exponent>]>} : tensor<1x24x3x3xf32>
  // CHECK: #qtrain.scaled<fb12>
  %2 = qtrain.quantize %1 {format = #qtrain.scaled<#qtrain.int<sm5, frac = 3>, [#qtrain.scale_level<[24, 3, 3], e8m0, shared_exponent, axis_block = 216>], rounding = #qtrain.rounding<toward_zero>>} : tensor<1x24x3x3xf32>
  // CHECK: #qtrain.scaled<#qtrain.int<sm5, frac = 3>, [#qtrain.scale_level<[24, 3, 3], e8m0, shared_exponent>]>}
  %3 = qtrain.quantize %2 {format = #qtrain.scaled<#qtrain.int<sm5, frac = 3>, [#qtrain.scale_level<[24, 3, 3], e8m0, shared_exponent>], rounding = #qtrain.rounding<nearest_even>>} : tensor<1x24x3x3xf32>
  // CHECK: #qtrain.scaled<#qtrain.fp<e4m3fn>, [#qtrain.scale_level<[32], e8m0, shared_exponent>], rounding = #qtrain.rounding<up>>
  %4 = qtrain.quantize %3 {format = #qtrain.scaled<#qtrain.fp<e4m3fn>, [#qtrain.scale_level<[32], e8m0, shared_exponent>], rounding = #qtrain.rounding<up>>} : tensor<1x24x3x3xf32>
  return %4 : tensor<1x24x3x3xf32>
}

// FlexBlock on a fully connected layer: the preset's filter blocks become
// 216 elements along the reduction axis (innermost, or reduction_axis).
// CHECK-LABEL: func.func @flexblock_rank2
func.func @flexblock_rank2(%a: tensor<8x432xf32>, %w: tensor<432x8xf32>)
    -> (tensor<8x432xi5>, tensor<8x2xi8>, tensor<432x8xi5>, tensor<2x8xi8>) {
  // CHECK: qtrain.encode %{{.*}} {format = #qtrain.scaled<fb12>} : tensor<8x432xf32> -> tensor<8x432xi5>, tensor<8x2xi8>
  %c, %s = qtrain.encode %a {format = #qtrain.scaled<fb12>} : tensor<8x432xf32> -> tensor<8x432xi5>, tensor<8x2xi8>
  // CHECK: qtrain.encode %{{.*}} {format = #qtrain.scaled<fb12>, reduction_axis = 0 : i64} : tensor<432x8xf32> -> tensor<432x8xi5>, tensor<2x8xi8>
  %d, %t = qtrain.encode %w {format = #qtrain.scaled<fb12>, reduction_axis = 0} : tensor<432x8xf32> -> tensor<432x8xi5>, tensor<2x8xi8>
  return %c, %s, %d, %t : tensor<8x432xi5>, tensor<8x2xi8>, tensor<432x8xi5>, tensor<2x8xi8>
}
