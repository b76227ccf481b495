// RUN: qtrain-opt %s --split-input-file --convert-qtrain-to-vector --verify-diagnostics
// RUN: qtrain-opt %s --split-input-file --qtrain-decompose --convert-qtrain-to-vector | FileCheck %s

// The conversion only converts: the ops qtrain-decompose rewrites are
// reported at their location when they reach it undecomposed.

// CHECK-LABEL: func.func @conv2d
// CHECK-NOT: = qtrain.
func.func @conv2d(%x: tensor<1x1x3x3xf32>, %w: tensor<1x1x2x2xf32>) -> tensor<1x1x2x2xf32> {
  // expected-error @+1 {{'qtrain.conv2d' must be decomposed first: run --qtrain-decompose (the qtrain-to-llvm pipeline does)}}
  %y = qtrain.conv2d %x, %w : tensor<1x1x3x3xf32>, tensor<1x1x2x2xf32> -> tensor<1x1x2x2xf32>
  return %y : tensor<1x1x2x2xf32>
}

// -----

// CHECK-LABEL: func.func @delayed_scale
// CHECK-NOT: = qtrain.
func.func @delayed_scale(%amax: tensor<f32>, %h: tensor<16xf32>) -> (tensor<f32>, tensor<16xf32>) {
  // expected-error @+1 {{'qtrain.delayed_scale' must be decomposed first: run --qtrain-decompose (the qtrain-to-llvm pipeline does)}}
  %s, %h1 = qtrain.delayed_scale %amax, %h {level = #qtrain.scale_level<tensor, f32, amax_to_max>,
              element = #qtrain.fp<e4m3fn>} : tensor<f32>, tensor<16xf32>
  return %s, %h1 : tensor<f32>, tensor<16xf32>
}

// -----

// CHECK-LABEL: func.func @zero_setting_error
// CHECK-NOT: = qtrain.
func.func @zero_setting_error(%x: tensor<64xf32>) -> tensor<f32> {
  // expected-error @+1 {{'qtrain.zero_setting_error' must be decomposed first: run --qtrain-decompose (the qtrain-to-llvm pipeline does)}}
  %z = qtrain.zero_setting_error %x {format = #qtrain.fp<e4m3fn>} : tensor<64xf32> -> tensor<f32>
  return %z : tensor<f32>
}
