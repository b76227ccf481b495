// RUN: qtrain-opt %s -split-input-file -verify-diagnostics

func.func @f(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{mantissa bits must be in [0, 23], got 30}}
  %0 = qtrain.quantize %x {format = #qtrain.fp<e5m30>} : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @f(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{exponent bits must be in [1, 8], got 9}}
  %0 = qtrain.quantize %x {format = #qtrain.fp<e9m2>} : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @f(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{bias 200 puts the smallest step at 2^-201, below f32's 2^-149}}
  %0 = qtrain.quantize %x {format = #qtrain.fp<e5m2, bias = 200>} : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @f(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{overflow to infinity needs IEEE special values (this format has no infinity)}}
  %0 = qtrain.quantize %x {format = #qtrain.fp<e4m3fn, overflow = inf>} : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @f(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{expected a format preset or 'eXmY', got 'fp9'}}
  %0 = qtrain.quantize %x {format = #qtrain.fp<fp9>} : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @f(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{unknown key 'mantissa' in #qtrain.fp}}
  %0 = qtrain.quantize %x {format = #qtrain.fp<e5m2, mantissa = 3>} : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @f(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{'bias' is given twice}}
  %0 = qtrain.quantize %x {format = #qtrain.fp<e5m2, bias = 3, bias = 4>} : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @f(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{unknown special values 'weird'}}
  %0 = qtrain.quantize %x {format = #qtrain.fp<e5m2, specials = weird>} : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @f(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{integer bits must be in [2, 32], got 40}}
  %0 = qtrain.quantize %x {format = #qtrain.int<s40>} : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @f(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{expected sN, uN or smN, got 'q8'}}
  %0 = qtrain.quantize %x {format = #qtrain.int<q8>} : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @f(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{unknown scaled format preset 'mxfp3'}}
  %0 = qtrain.quantize %x {format = #qtrain.scaled<mxfp3>} : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @f(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{the element format must be #qtrain.fp or #qtrain.int, got 1 : i32}}
  %0 = qtrain.quantize %x {format = #qtrain.scaled<1 : i32, [#qtrain.scale_level<[32], e8m0, shared_exponent>]>} : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @f(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{block sizes must be positive or -1 (whole dimension), got 0}}
  %0 = qtrain.quantize %x {format = #qtrain.scaled<#qtrain.fp<e4m3fn>, [#qtrain.scale_level<[0], e8m0, shared_exponent>]>} : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @f(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{'margin' applies only to the amax_to_max rule}}
  %0 = qtrain.quantize %x {format = #qtrain.scaled<#qtrain.fp<e4m3fn>, [#qtrain.scale_level<[4], e8m0, shared_exponent, margin = 1>]>} : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @f(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{scale bias 0 puts the largest scale at 2^255, beyond f32's 2^127}}
  %0 = qtrain.quantize %x {format = #qtrain.scaled<#qtrain.fp<e4m3fn>, [#qtrain.scale_level<[4], pow2<8, 0>, shared_exponent>]>} : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @f(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{expected a scale format (f32, e8m0 or pow2<bits, bias[, nan]>), got 'f16'}}
  %0 = qtrain.quantize %x {format = #qtrain.scaled<#qtrain.fp<e4m3fn>, [#qtrain.scale_level<[4], f16, shared_exponent>]>} : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @f(%x: tensor<4xf32>, %s: i64) -> tensor<4xf32> {
  // expected-error @+1 {{stochastic rounding needs 1 to 24 random bits, got 30}}
  %0 = qtrain.quantize %x seed(%s) {format = #qtrain.fp<e5m2>, rounding = #qtrain.rounding<stochastic, bits = 30>} : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @f(%x: tensor<4xf32>, %s: i64) -> tensor<4xf32> {
  // expected-error @+1 {{LFSR width 2 is narrower than the 3 random bits it must supply}}
  %0 = qtrain.quantize %x seed(%s) {format = #qtrain.fp<e5m2>, rounding = #qtrain.rounding<stochastic, bits = 3, source = lfsr, width = 2>} : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @f(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{'bits' applies only to stochastic rounding}}
  %0 = qtrain.quantize %x {format = #qtrain.fp<e5m2>, rounding = #qtrain.rounding<nearest_even, bits = 3>} : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @f(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{unknown rounding mode 'sideways'}}
  %0 = qtrain.quantize %x {format = #qtrain.fp<e5m2>, rounding = #qtrain.rounding<sideways>} : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @f(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{'qtrain.quantize' op stochastic rounding needs a seed operand}}
  %0 = qtrain.quantize %x {format = #qtrain.fp<e5m2>, rounding = #qtrain.rounding<stochastic, bits = 3>} : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @f(%x: tensor<4xf32>, %s: i64) -> tensor<4xf32> {
  // expected-error @+1 {{'qtrain.quantize' op a seed is only used by stochastic rounding}}
  %0 = qtrain.quantize %x seed(%s) {format = #qtrain.fp<e5m2>} : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @f(%x: tensor<4xf32>, %s: i64) -> tensor<4xf32> {
  // expected-error @+1 {{'qtrain.quantize' op the 'data' random source needs a random_data operand}}
  %0 = qtrain.quantize %x seed(%s) {format = #qtrain.fp<e5m2>, rounding = #qtrain.rounding<stochastic, bits = 3, source = data>} : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @f(%x: tensor<4xf32>, %g: tensor<2xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{'qtrain.quantize' op has 1 scales operands but the format has 0 level(s) whose rule is 'given'}}
  %0 = qtrain.quantize %x scales(%g : tensor<2xf32>) {format = #qtrain.scaled<mxfp8_e4m3>} : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @f(%x: tensor<64xf32>, %g: tensor<3xf32>) -> tensor<64xf32> {
  // expected-error @+1 {{'qtrain.quantize' op scale tensor #0 must have the block-grid shape [2], got 'tensor<3xf32>'}}
  %0 = qtrain.quantize %x scales(%g : tensor<3xf32>) {format = #qtrain.scaled<#qtrain.fp<e4m3fn>, [#qtrain.scale_level<[32], f32, given>]>} : tensor<64xf32>
  return %0 : tensor<64xf32>
}

// -----

func.func @f(%x: tensor<64xf32>) -> tensor<64xf32> {
  // expected-error @+1 {{'qtrain.quantize' op a scale level's block shape has 2 dimensions but the input only 1}}
  %0 = qtrain.quantize %x {format = #qtrain.scaled<#qtrain.fp<e4m3fn>, [#qtrain.scale_level<[4, 4], e8m0, shared_exponent>]>} : tensor<64xf32>
  return %0 : tensor<64xf32>
}

// -----

func.func @f(%x: tensor<64xf32>) -> tensor<64xi4> {
  // expected-error @+1 {{'qtrain.encode' op element codes must be i8 or a builtin float type with the same encoding, got 'i4'}}
  %c, %s = qtrain.encode %x {format = #qtrain.scaled<mxfp8_e4m3>} : tensor<64xf32> -> tensor<64xi4>, tensor<2xi8>
  return %c : tensor<64xi4>
}

// -----

func.func @f(%x: tensor<64xf32>) -> tensor<64xf8E5M2> {
  // expected-error @+1 {{'qtrain.encode' op element codes must be i8 or a builtin float type with the same encoding, got 'f8E5M2'}}
  %c = qtrain.encode %x {format = #qtrain.fp<e4m3fn>} : tensor<64xf32> -> tensor<64xf8E5M2>
  return %c : tensor<64xf8E5M2>
}

// -----

func.func @f(%x: tensor<64xf32>) -> tensor<64xi8> {
  // expected-error @+1 {{'qtrain.encode' op the format has 1 scale level(s) but 0 scale tensors are given}}
  %c = qtrain.encode %x {format = #qtrain.scaled<mxfp8_e4m3>} : tensor<64xf32> -> tensor<64xi8>
  return %c : tensor<64xi8>
}

// -----

func.func @f(%x: tensor<64xf32>) -> tensor<64xi8> {
  // expected-error @+1 {{'qtrain.encode' op scale codes #0 must be i8 or f8E8M0FNU, got 'f32'}}
  %c, %s = qtrain.encode %x {format = #qtrain.scaled<mxfp8_e4m3>} : tensor<64xf32> -> tensor<64xi8>, tensor<2xf32>
  return %c : tensor<64xi8>
}

// -----

func.func @f(%x: tensor<64xf32>) -> tensor<32xi8> {
  // expected-error @+1 {{'qtrain.encode' op codes must have the shape of the values, got 'tensor<32xi8>' for 'tensor<64xf32>'}}
  %c = qtrain.encode %x {format = #qtrain.int<s8>} : tensor<64xf32> -> tensor<32xi8>
  return %c : tensor<32xi8>
}

// -----

func.func @f(%a: tensor<4x8xf32>, %b: tensor<7x2xf32>) -> tensor<4x2xf32> {
  // expected-error @+1 {{'qtrain.matmul' op contraction sizes differ: 8 vs 7}}
  %0 = qtrain.matmul %a, %b : tensor<4x8xf32>, tensor<7x2xf32> -> tensor<4x2xf32>
  return %0 : tensor<4x2xf32>
}

// -----

func.func @f(%a: tensor<4x8xf32>, %b: tensor<8x2xf32>) -> tensor<4x3xf32> {
  // expected-error @+1 {{'qtrain.matmul' op result must be 4x2, got 'tensor<4x3xf32>'}}
  %0 = qtrain.matmul %a, %b : tensor<4x8xf32>, tensor<8x2xf32> -> tensor<4x3xf32>
  return %0 : tensor<4x3xf32>
}

// -----

func.func @f(%a: tensor<2x4x8xf32>, %b: tensor<3x8x2xf32>) -> tensor<2x4x2xf32> {
  // expected-error @+1 {{'qtrain.matmul' op batch dimensions differ}}
  %0 = qtrain.matmul %a, %b : tensor<2x4x8xf32>, tensor<3x8x2xf32> -> tensor<2x4x2xf32>
  return %0 : tensor<2x4x2xf32>
}

// -----

func.func @f(%a: tensor<4x8xf32>, %b: tensor<8x2xf32>) -> tensor<4x2xf32> {
  // expected-error @+1 {{'group' applies only to static grouping}}
  %0 = qtrain.matmul %a, %b {accumulation = #qtrain.accum<#qtrain.fp<fp12_dga>, ideal_dga, group = 4>} : tensor<4x8xf32>, tensor<8x2xf32> -> tensor<4x2xf32>
  return %0 : tensor<4x2xf32>
}

// -----

func.func @f(%a: tensor<4x8xf32>, %b: tensor<8x2xf32>) -> tensor<4x2xf32> {
  // expected-error @+1 {{E-DGA shift c must be in [-31, 31], got 40}}
  %0 = qtrain.matmul %a, %b {accumulation = #qtrain.accum<#qtrain.fp<fp12_dga>, efficient_dga, c = 40>} : tensor<4x8xf32>, tensor<8x2xf32> -> tensor<4x2xf32>
  return %0 : tensor<4x2xf32>
}

// -----

func.func @f(%a: tensor<4x8xf32>, %b: tensor<8x2xf32>) -> tensor<4x2xf32> {
  // expected-error @+1 {{accumulation rounds with a deterministic mode}}
  %0 = qtrain.matmul %a, %b {accumulation = #qtrain.accum<#qtrain.fp<fp12_dga>, rounding = stochastic>} : tensor<4x8xf32>, tensor<8x2xf32> -> tensor<4x2xf32>
  return %0 : tensor<4x2xf32>
}

// -----

func.func @f(%a: tensor<4x8xf32>, %b: tensor<8x2xf32>) -> tensor<4x2xf32> {
  // expected-error @+1 {{a fixed-point group accumulator needs static groups: its sum goes into the outer float accumulator when a group closes}}
  %0 = qtrain.matmul %a, %b {accumulation = #qtrain.accum<#qtrain.int<s8>>} : tensor<4x8xf32>, tensor<8x2xf32> -> tensor<4x2xf32>
  return %0 : tensor<4x2xf32>
}

// -----

func.func @f(%a: tensor<4x8xf32>, %b: tensor<8x2xf32>) -> tensor<4x2xf32> {
  // expected-error @+1 {{expected a #qtrain.fp or #qtrain.int accumulator, got #qtrain.scaled<fb12>}}
  %0 = qtrain.matmul %a, %b {accumulation = #qtrain.accum<#qtrain.scaled<fb12>>} : tensor<4x8xf32>, tensor<8x2xf32> -> tensor<4x2xf32>
  return %0 : tensor<4x2xf32>
}

// -----

func.func @f(%a: tensor<4x8xf32>, %b: tensor<8x2xf32>) -> tensor<4x2xf32> {
  // expected-error @+1 {{a fixed-point group accumulator is a two's complement integer}}
  %0 = qtrain.matmul %a, %b {accumulation = #qtrain.accum<#qtrain.int<sm9, frac = 4>, static, group = 4>} : tensor<4x8xf32>, tensor<8x2xf32> -> tensor<4x2xf32>
  return %0 : tensor<4x2xf32>
}

// -----

func.func @f(%x: tensor<8x3x32x32xf32>, %w: tensor<16x3x3x3xf32>) -> tensor<8x16x32x32xf32> {
  // expected-error @+1 {{'qtrain.conv2d' op output height must be 30 for input 32, filter 3, got 32}}
  %0 = qtrain.conv2d %x, %w : tensor<8x3x32x32xf32>, tensor<16x3x3x3xf32> -> tensor<8x16x32x32xf32>
  return %0 : tensor<8x16x32x32xf32>
}

// -----

func.func @f(%x: tensor<8x4x32x32xf32>, %w: tensor<16x3x3x3xf32>) -> tensor<8x16x30x30xf32> {
  // expected-error @+1 {{'qtrain.conv2d' op input channels of input and filter differ}}
  %0 = qtrain.conv2d %x, %w : tensor<8x4x32x32xf32>, tensor<16x3x3x3xf32> -> tensor<8x16x30x30xf32>
  return %0 : tensor<8x16x30x30xf32>
}

// -----

func.func @f(%x: tensor<8x3x32x32xf32>, %w: tensor<16x3x3x3xf32>) -> tensor<8x16x30x30xf32> {
  // expected-error @+1 {{'qtrain.conv2d' op strides and dilations must be positive}}
  %0 = qtrain.conv2d %x, %w {strides = array<i64: 0, 1>} : tensor<8x3x32x32xf32>, tensor<16x3x3x3xf32> -> tensor<8x16x30x30xf32>
  return %0 : tensor<8x16x30x30xf32>
}

// -----

func.func @f(%x: tensor<64xf32>) -> tensor<f32> {
  // expected-error @+1 {{'qtrain.zero_setting_error' op the zero-setting error computes its scales; a level whose rule is 'given' is not allowed}}
  %0 = qtrain.zero_setting_error %x {format = #qtrain.scaled<#qtrain.fp<e4m3fn>, [#qtrain.scale_level<tensor, f32, given>]>} : tensor<64xf32> -> tensor<f32>
  return %0 : tensor<f32>
}

// -----

func.func @f(%x: tensor<64xf32>) -> tensor<100xi64> {
  // expected-error @+1 {{'qtrain.exponent_histogram' op result must have 280 counts, got 'tensor<100xi64>'}}
  %0 = qtrain.exponent_histogram %x : tensor<64xf32> -> tensor<100xi64>
  return %0 : tensor<100xi64>
}

// -----

func.func @f(%a: tensor<f32>) -> tensor<f32> {
  // expected-error @+1 {{'qtrain.select_scale' op a level whose rule is 'given' selects no scale}}
  %0 = qtrain.select_scale %a {level = #qtrain.scale_level<tensor, f32, given>, element = #qtrain.fp<e4m3fn>} : tensor<f32>
  return %0 : tensor<f32>
}

// -----

func.func @f(%a: tensor<f32>, %h: tensor<4xf32>) -> tensor<f32> {
  // expected-error @+1 {{'qtrain.delayed_scale' op delayed scaling keeps an amax history; the median_lookup rule does not read amax}}
  %s, %h2 = qtrain.delayed_scale %a, %h {level = #qtrain.scale_level<tensor, e8m0, median_lookup>, element = #qtrain.fp<e4m3fn>} : tensor<f32>, tensor<4xf32>
  return %s : tensor<f32>
}

// -----

func.func @f(%x: tensor<64xf32>) -> tensor<f32> {
  // expected-error @+1 {{'qtrain.zero_setting_error' op the zero-setting error uses a deterministic rounding}}
  %0 = qtrain.zero_setting_error %x {format = #qtrain.fp<e4m3fn>, rounding = #qtrain.rounding<stochastic, bits = 3>} : tensor<64xf32> -> tensor<f32>
  return %0 : tensor<f32>
}

// -----

func.func @f(%x: tensor<64xf32>) -> tensor<64xi8> {
  // expected-error @+1 {{'qtrain.encode' op needs one scales operand per scale level whose rule is 'given'}}
  %c, %s = qtrain.encode %x {format = #qtrain.scaled<#qtrain.fp<e4m3fn>, [#qtrain.scale_level<tensor, f32, given>]>} : tensor<64xf32> -> tensor<64xi8>, tensor<1xf32>
  return %c : tensor<64xi8>
}

// -----

func.func @f(%x: tensor<4xf32>, %s: i64) -> tensor<4xf32> {
  // expected-error @+1 {{an LFSR source needs its width in bits ('width', 2 to 32)}}
  %0 = qtrain.quantize %x seed(%s) {format = #qtrain.fp<e5m2>, rounding = #qtrain.rounding<stochastic, bits = 3, source = lfsr>} : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @f(%x: tensor<4xf32>, %s: i64) -> tensor<4xf32> {
  // expected-error @+1 {{LFSR taps 0xf do not give a maximal-length 4-bit LFSR (period 2^4 - 1): some states repeat sooner or reach zero}}
  %0 = qtrain.quantize %x seed(%s) {format = #qtrain.fp<e5m2>, rounding = #qtrain.rounding<stochastic, bits = 3, source = lfsr_plateau, width = 4, taps = 15>} : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @f(%x: tensor<64xf32>, %g: tensor<2xf32>) -> tensor<64xf32> {
  // expected-error @+1 {{a 'given' scale level needs a scale format with a NaN code (f32, or a power of two with 'nan'): it marks given scales that are zero, negative, infinite or NaN}}
  %0 = qtrain.quantize %x scales(%g : tensor<2xf32>) {format = #qtrain.scaled<#qtrain.fp<e4m3fn>, [#qtrain.scale_level<[32], pow2<5, 15>, given>]>} : tensor<64xf32>
  return %0 : tensor<64xf32>
}

// -----

func.func @f(%x: tensor<4xf32>, %s: i64, %d: tensor<0xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{'qtrain.quantize' op the random data of a data source is empty: it has no bits to give}}
  %0 = qtrain.quantize %x seed(%s) random_data(%d : tensor<0xf32>) {format = #qtrain.fp<e5m2>, rounding = #qtrain.rounding<stochastic, bits = 4, source = data>} : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @f(%x: tensor<64xf32>) -> tensor<64xf32> {
  // expected-error @+1 {{unknown key 'round' in #qtrain.scaled (expected 'rounding')}}
  %0 = qtrain.quantize %x {format = #qtrain.scaled<#qtrain.fp<e4m3fn>, [#qtrain.scale_level<[32], e8m0, shared_exponent>], round = #qtrain.rounding<up>>} : tensor<64xf32>
  return %0 : tensor<64xf32>
}

// -----

func.func @f(%x: tensor<4xf32>, %s: i64) -> tensor<4xf32> {
  // expected-error @+1 {{'width' applies only to the lfsr and lfsr_plateau sources}}
  %0 = qtrain.quantize %x seed(%s) {format = #qtrain.fp<e5m2>, rounding = #qtrain.rounding<stochastic, bits = 3, width = 5>} : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @f(%x: tensor<4xf32>, %s: i64) -> tensor<4xf32> {
  // expected-error @+1 {{'offset' applies only to the data source}}
  %0 = qtrain.quantize %x seed(%s) {format = #qtrain.fp<e5m2>, rounding = #qtrain.rounding<stochastic, bits = 3, offset = 4, source = lfsr, width = 8>} : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @f(%x: tensor<64xf32>, %h: tensor<280xi64>) -> tensor<280xi64> {
  // expected-error @+1 {{'qtrain.median_histogram' op a median histogram has 557 counts, got 'tensor<280xi64>'}}
  %0 = qtrain.median_histogram %x, %h : tensor<64xf32>, tensor<280xi64>
  return %0 : tensor<280xi64>
}

// -----

func.func @f(%h: tensor<556xi64>) -> tensor<f32> {
  // expected-error @+1 {{'qtrain.histogram_median' op a median histogram has 557 counts, got 'tensor<556xi64>'}}
  %0 = qtrain.histogram_median %h : tensor<556xi64> -> tensor<f32>
  return %0 : tensor<f32>
}

// -----

func.func @f(%x: tensor<64xf32>) -> tensor<64xf32> {
  // expected-error @+1 {{'nonzero' (a median of the non-zero elements) applies only to the median_lookup rule}}
  %0 = qtrain.quantize %x {format = #qtrain.scaled<#qtrain.fp<e4m3fn>, [#qtrain.scale_level<[32], e8m0, shared_exponent, nonzero>]>} : tensor<64xf32>
  return %0 : tensor<64xf32>
}

// -----

func.func @f(%x: tensor<8x432xf32>) -> tensor<8x432xf32> {
  // expected-error @+1 {{'qtrain.quantize' op reduction_axis 2 is out of range for a rank-2 tensor}}
  %0 = qtrain.quantize %x {format = #qtrain.scaled<fb12>, reduction_axis = 2} : tensor<8x432xf32>
  return %0 : tensor<8x432xf32>
}

// -----

func.func @f(%x: tensor<432x8xf32>) -> (tensor<432x8xi5>, tensor<432x1xi8>) {
  // expected-error @+1 {{'qtrain.encode' op scale tensor #0 must have the block-grid shape [2, 8], got 'tensor<432x1xi8>'}}
  %c, %s = qtrain.encode %x {format = #qtrain.scaled<fb12>, reduction_axis = 0} : tensor<432x8xf32> -> tensor<432x8xi5>, tensor<432x1xi8>
  return %c, %s : tensor<432x8xi5>, tensor<432x1xi8>
}

// -----

func.func @f(%x: tensor<4xf32>, %s: i64) -> tensor<4xf32> {
  // expected-error @+1 {{stochastic rounding reads 8 to 24 discarded bits (at least its random bits), got 3}}
  %0 = qtrain.quantize %x seed(%s) {format = #qtrain.fp<e5m2>, rounding = #qtrain.rounding<stochastic, bits = 8, discarded = 3>} : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @f(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{integer 4294967299 is out of range [-2147483648, 2147483647]}}
  %0 = qtrain.quantize %x {format = #qtrain.int<sm5, frac = 4294967299>} : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @f(%x: tensor<4xf32>, %s: i64) -> tensor<4xf32> {
  // expected-error @+1 {{integer -3 is out of range [0, 4294967295]}}
  %0 = qtrain.quantize %x seed(%s) {format = #qtrain.fp<e5m2>, rounding = #qtrain.rounding<stochastic, bits = -3>} : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @f(%a: tensor<2x4x8xf32>, %b: tensor<8x2xf32>) -> tensor<4x2xf32> {
  // expected-error @+1 {{'qtrain.matmul' op operands and result must all be rank 2, or all rank 3 (batched)}}
  %0 = qtrain.matmul %a, %b : tensor<2x4x8xf32>, tensor<8x2xf32> -> tensor<4x2xf32>
  return %0 : tensor<4x2xf32>
}

// -----

func.func @f(%x: tensor<8x3x32xf32>, %w: tensor<16x3x3x3xf32>) -> tensor<8x16x30x30xf32> {
  // expected-error @+1 {{'qtrain.conv2d' op operands and result must be rank 4 (NCHW / FCHW)}}
  %0 = qtrain.conv2d %x, %w : tensor<8x3x32xf32>, tensor<16x3x3x3xf32> -> tensor<8x16x30x30xf32>
  return %0 : tensor<8x16x30x30xf32>
}

// -----

func.func @f(%x: tensor<8x3x32x32xf32>, %w: tensor<16x3x3x3xf32>) -> tensor<8x16x30x30xf32> {
  // expected-error @+1 {{'qtrain.conv2d' op needs 2 strides, 2 dilations and 4 paddings (top, bottom, left, right)}}
  %0 = qtrain.conv2d %x, %w {strides = array<i64: 1>} : tensor<8x3x32x32xf32>, tensor<16x3x3x3xf32> -> tensor<8x16x30x30xf32>
  return %0 : tensor<8x16x30x30xf32>
}

// -----

func.func @f(%x: tensor<8x3x32x32xf32>, %w: tensor<16x3x3x3xf32>) -> tensor<8x16x30x30xf32> {
  // expected-error @+1 {{'qtrain.conv2d' op padding must be non-negative}}
  %0 = qtrain.conv2d %x, %w {padding = array<i64: -1, 0, 0, 0>} : tensor<8x3x32x32xf32>, tensor<16x3x3x3xf32> -> tensor<8x16x30x30xf32>
  return %0 : tensor<8x16x30x30xf32>
}

// -----

func.func @f(%x: tensor<8x3x32x32xf32>, %w: tensor<16x3x3x3xf32>) -> tensor<4x16x30x30xf32> {
  // expected-error @+1 {{'qtrain.conv2d' op batch sizes of input and output differ}}
  %0 = qtrain.conv2d %x, %w : tensor<8x3x32x32xf32>, tensor<16x3x3x3xf32> -> tensor<4x16x30x30xf32>
  return %0 : tensor<4x16x30x30xf32>
}

// -----

func.func @f(%x: tensor<8x3x32x32xf32>, %w: tensor<16x3x3x3xf32>) -> tensor<8x12x30x30xf32> {
  // expected-error @+1 {{'qtrain.conv2d' op output channels of output and filter differ}}
  %0 = qtrain.conv2d %x, %w : tensor<8x3x32x32xf32>, tensor<16x3x3x3xf32> -> tensor<8x12x30x30xf32>
  return %0 : tensor<8x12x30x30xf32>
}

// -----

func.func @f(%a: tensor<f32>, %h: tensor<0xf32>) -> (tensor<f32>, tensor<0xf32>) {
  // expected-error @+1 {{'qtrain.delayed_scale' op the amax history needs at least one entry}}
  %d, %h2 = qtrain.delayed_scale %a, %h {level = #qtrain.scale_level<tensor, f32, amax_to_max>, element = #qtrain.fp<e4m3fn>} : tensor<f32>, tensor<0xf32>
  return %d, %h2 : tensor<f32>, tensor<0xf32>
}

// -----

func.func @f(%x: tensor<8x16xf32>) -> tensor<8x16xf32> {
  // expected-error @+1 {{an axis block (4) needs a block shape: it replaces the shape on tensors of lower rank}}
  %0 = qtrain.quantize %x {format = #qtrain.scaled<#qtrain.fp<e4m3fn>, [#qtrain.scale_level<tensor, e8m0, shared_exponent, axis_block = 4>]>} : tensor<8x16xf32>
  return %0 : tensor<8x16xf32>
}

// -----

func.func @f(%x: tensor<8x432xf32>) -> tensor<8x432xf32> {
  // expected-error @+1 {{the axis block must be non-negative (0: none), got -216}}
  %0 = qtrain.quantize %x {format = #qtrain.scaled<#qtrain.int<sm5, frac = 3>, [#qtrain.scale_level<[24, 3, 3], e8m0, shared_exponent, axis_block = -216>]>} : tensor<8x432xf32>
  return %0 : tensor<8x432xf32>
}

// -----

func.func @f(%c: tensor<8x432xi5>, %s: tensor<8x2xi8>) -> tensor<8x432xf32> {
  // expected-error @+1 {{'qtrain.decode' op reduction_axis 3 is out of range for a rank-2 tensor}}
  %0 = qtrain.decode %c, %s {format = #qtrain.scaled<fb12>, reduction_axis = 3} : tensor<8x432xi5>, tensor<8x2xi8> -> tensor<8x432xf32>
  return %0 : tensor<8x432xf32>
}
