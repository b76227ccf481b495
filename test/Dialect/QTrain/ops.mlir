// RUN: qtrain-opt %s | qtrain-opt | FileCheck %s
// Every op round-trips.

// CHECK-LABEL: func.func @storage
func.func @storage(%x: tensor<4x64xf32>, %s: i64, %g: tensor<1xf32>) -> tensor<4x64xf32> {
  // CHECK: %[[C:.*]], %[[S:.*]] = qtrain.encode %{{.*}} {format = #qtrain.scaled<mxfp8_e4m3>} : tensor<4x64xf32> -> tensor<4x64xf8E4M3FN>, tensor<4x2xf8E8M0FNU>
  %c, %sc = qtrain.encode %x {format = #qtrain.scaled<mxfp8_e4m3>} : tensor<4x64xf32> -> tensor<4x64xf8E4M3FN>, tensor<4x2xf8E8M0FNU>
  // CHECK: qtrain.decode %[[C]], %[[S]] {format = #qtrain.scaled<mxfp8_e4m3>}
  %d = qtrain.decode %c, %sc {format = #qtrain.scaled<mxfp8_e4m3>} : tensor<4x64xf8E4M3FN>, tensor<4x2xf8E8M0FNU> -> tensor<4x64xf32>
  // CHECK: qtrain.encode %{{.*}} seed(%{{.*}}) {{.*}} -> tensor<4x64xi4>, tensor<4x4xi3>
  %c2, %s2 = qtrain.encode %d seed(%s) {format = #qtrain.scaled<#qtrain.fp<e2m1fn>, [#qtrain.scale_level<[16], pow2<3, 7>, shared_exponent>]>, rounding = #qtrain.rounding<stochastic, bits = 2>} : tensor<4x64xf32> -> tensor<4x64xi4>, tensor<4x4xi3>
  // CHECK: qtrain.encode %{{.*}} {format = #qtrain.int<s8>} : tensor<4x64xf32> -> tensor<4x64xi8>
  %c3 = qtrain.encode %d {format = #qtrain.int<s8>} : tensor<4x64xf32> -> tensor<4x64xi8>
  // CHECK: qtrain.quantize %{{.*}} scales(%{{.*}} : tensor<1x1xf32>)
  %gs = tensor.expand_shape %g [[0, 1]] output_shape [1, 1] : tensor<1xf32> into tensor<1x1xf32>
  %q = qtrain.quantize %d scales(%gs : tensor<1x1xf32>) {format = #qtrain.scaled<#qtrain.fp<e4m3fn>, [#qtrain.scale_level<tensor, f32, given>]>} : tensor<4x64xf32>
  return %q : tensor<4x64xf32>
}

// CHECK-LABEL: func.func @contractions
func.func @contractions(%a: tensor<32x64xf32>, %w: tensor<64x16xf32>, %ey: tensor<32x16xf32>,
                        %ba: tensor<2x8x4xf32>, %bb: tensor<2x4x3xf32>)
    -> (tensor<32x16xf32>, tensor<32x64xf32>, tensor<64x16xf32>, tensor<2x8x3xf32>) {
  // CHECK: qtrain.matmul %{{.*}}, %{{.*}} {accumulation = #qtrain.accum<#qtrain.fp<fp12_dga>, efficient_dga>}
  %y = qtrain.matmul %a, %w {accumulation = #qtrain.accum<#qtrain.fp<fp12_dga>, efficient_dga>} : tensor<32x64xf32>, tensor<64x16xf32> -> tensor<32x16xf32>
  // CHECK: qtrain.matmul %{{.*}}, %{{.*}} {transpose_b}
  %ea = qtrain.matmul %ey, %w {transpose_b} : tensor<32x16xf32>, tensor<64x16xf32> -> tensor<32x64xf32>
  // CHECK: qtrain.matmul %{{.*}}, %{{.*}} {transpose_a}
  %gw = qtrain.matmul %a, %ey {transpose_a} : tensor<32x64xf32>, tensor<32x16xf32> -> tensor<64x16xf32>
  // CHECK: qtrain.matmul {{.*}} : tensor<2x8x4xf32>, tensor<2x4x3xf32> -> tensor<2x8x3xf32>
  %bm = qtrain.matmul %ba, %bb : tensor<2x8x4xf32>, tensor<2x4x3xf32> -> tensor<2x8x3xf32>
  return %y, %ea, %gw, %bm : tensor<32x16xf32>, tensor<32x64xf32>, tensor<64x16xf32>, tensor<2x8x3xf32>
}

// CHECK-LABEL: func.func @convolutions
func.func @convolutions(%x: tensor<8x3x32x32xf32>, %w: tensor<16x3x3x3xf32>, %ey: tensor<8x16x16x16xf32>)
    -> (tensor<8x16x32x32xf32>, tensor<8x3x32x32xf32>, tensor<16x3x3x3xf32>) {
  // CHECK: qtrain.conv2d {{.*}}padding = array<i64: 1, 1, 1, 1>
  %y = qtrain.conv2d %x, %w {padding = array<i64: 1, 1, 1, 1>} : tensor<8x3x32x32xf32>, tensor<16x3x3x3xf32> -> tensor<8x16x32x32xf32>
  // CHECK: kind = #qtrain.conv_kind<backward_data>
  %ex = qtrain.conv2d %ey, %w {kind = #qtrain.conv_kind<backward_data>, strides = array<i64: 2, 2>, padding = array<i64: 1, 0, 1, 0>} : tensor<8x16x16x16xf32>, tensor<16x3x3x3xf32> -> tensor<8x3x32x32xf32>
  // CHECK: kind = #qtrain.conv_kind<backward_weight>
  %gw = qtrain.conv2d %x, %ey {kind = #qtrain.conv_kind<backward_weight>, strides = array<i64: 2, 2>, padding = array<i64: 1, 0, 1, 0>} : tensor<8x3x32x32xf32>, tensor<8x16x16x16xf32> -> tensor<16x3x3x3xf32>
  return %y, %ex, %gw : tensor<8x16x32x32xf32>, tensor<8x3x32x32xf32>, tensor<16x3x3x3xf32>
}

// CHECK-LABEL: func.func @statistics
func.func @statistics(%x: tensor<1024xf32>, %h: tensor<16xf32>) -> (tensor<f32>, tensor<f32>, tensor<f32>, tensor<280xi64>, tensor<f32>, tensor<f32>, tensor<16xf32>) {
  // CHECK: qtrain.amax
  %a = qtrain.amax %x : tensor<1024xf32> -> tensor<f32>
  // CHECK: qtrain.median %{{.*}} {approx, bins = 10 : i32}
  %m = qtrain.median %x {approx, bins = 10 : i32} : tensor<1024xf32> -> tensor<f32>
  // CHECK: qtrain.zero_setting_error
  %z = qtrain.zero_setting_error %x {format = #qtrain.int<sm5, frac = 3>} : tensor<1024xf32> -> tensor<f32>
  // CHECK: qtrain.zero_setting_error %{{.*}} {all_elements, format = #qtrain.scaled<fb12>, reduction_axis = 0 : i64}
  %za = qtrain.zero_setting_error %x {format = #qtrain.scaled<fb12>, all_elements, reduction_axis = 0} : tensor<1024xf32> -> tensor<f32>
  // CHECK: qtrain.exponent_histogram
  %e = qtrain.exponent_histogram %x : tensor<1024xf32> -> tensor<280xi64>
  // CHECK: qtrain.select_scale
  %s = qtrain.select_scale %m {level = #qtrain.scale_level<tensor, e8m0, median_lookup, median_exponent = 1>, element = #qtrain.fp<e5m2, specials = none, subnormals = false>} : tensor<f32>
  // CHECK: qtrain.delayed_scale
  %d, %h2 = qtrain.delayed_scale %a, %h {level = #qtrain.scale_level<tensor, f32, amax_to_max>, element = #qtrain.fp<e4m3fn>} : tensor<f32>, tensor<16xf32>
  return %a, %m, %z, %e, %s, %d, %h2 : tensor<f32>, tensor<f32>, tensor<f32>, tensor<280xi64>, tensor<f32>, tensor<f32>, tensor<16xf32>
}

// Adaptive bias across tensors: a role's histogram, its median, the scale.
// CHECK-LABEL: func.func @median_histogram
func.func @median_histogram(%x: tensor<64x32xf32>, %y: tensor<128xf32>,
                            %h0: tensor<557xi64>) -> (tensor<f32>, tensor<f32>) {
  // CHECK: qtrain.median %{{.*}} {nonzero}
  %n = qtrain.median %x {nonzero} : tensor<64x32xf32> -> tensor<f32>
  // CHECK: qtrain.median_histogram %{{.*}}, %{{.*}} : tensor<64x32xf32>, tensor<557xi64>
  %h1 = qtrain.median_histogram %x, %h0 : tensor<64x32xf32>, tensor<557xi64>
  %h2 = qtrain.median_histogram %y, %h1 : tensor<128xf32>, tensor<557xi64>
  // CHECK: qtrain.histogram_median %{{.*}} {nonzero} : tensor<557xi64> -> tensor<f32>
  %m = qtrain.histogram_median %h2 {nonzero} : tensor<557xi64> -> tensor<f32>
  // CHECK: #qtrain.scale_level<tensor, e8m0, median_lookup, median_exponent = 1, nonzero>
  %s = qtrain.select_scale %m {level = #qtrain.scale_level<tensor, e8m0, median_lookup, median_exponent = 1, nonzero>, element = #qtrain.fp<e5m2, specials = none, subnormals = false>} : tensor<f32>
  return %n, %s : tensor<f32>, tensor<f32>
}
