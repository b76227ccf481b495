// RUN: qtrain-opt %examples/mls.mlir | qtrain-opt | FileCheck %s

// CHECK-LABEL: func.func @mls_conv_step
// CHECK: %[[W:.*]] = qtrain.quantize %{{.*}} {format = #qtrain.scaled<mls_e2m4>} : tensor<32x16x3x3xf32>
// CHECK: %[[A:.*]] = qtrain.quantize %{{.*}} {format = #qtrain.scaled<mls_e2m4>} : tensor<8x16x32x32xf32>
// CHECK: %[[E:.*]] = qtrain.quantize %{{.*}} seed(%{{.*}}) {format = #qtrain.scaled<mls_e2m4>, rounding = #qtrain.rounding<stochastic, bits = 8>} : tensor<8x32x32x32xf32>
// CHECK: qtrain.conv2d %[[A]], %[[W]] {padding = array<i64: 1, 1, 1, 1>}
// CHECK: qtrain.conv2d %[[E]], %[[W]] {kind = #qtrain.conv_kind<backward_data>
// CHECK: qtrain.conv2d %[[A]], %[[E]] {kind = #qtrain.conv_kind<backward_weight>

// The spelled-out levels are the preset.
// CHECK-LABEL: func.func @mls_spelled_out
// CHECK: qtrain.quantize %{{.*}} {format = #qtrain.scaled<mls_e2m4>}

// CHECK-LABEL: func.func @mls_channel_groups
// CHECK: qtrain.quantize %{{.*}} {format = #qtrain.scaled<#qtrain.fp<e2m1fn>, [#qtrain.scale_level<tensor, f32, amax_to_max>, #qtrain.scale_level<[16, 1, 1], pow2<3, 7>, shared_exponent>]>} : tensor<32x16x3x3xf32>
// CHECK: qtrain.quantize %{{.*}} {format = #qtrain.scaled<#qtrain.fp<e2m1fn>, [#qtrain.scale_level<tensor, f32, amax_to_max>, #qtrain.scale_level<[16, 1, 1], pow2<3, 7>, shared_exponent>]>} : tensor<8x16x32x32xf32>
// CHECK: qtrain.quantize %{{.*}} seed(%{{.*}}) {format = #qtrain.scaled<#qtrain.fp<e2m1fn>, [#qtrain.scale_level<tensor, f32, amax_to_max>, #qtrain.scale_level<[16, 1, 1], pow2<4, 15>, shared_exponent>]>, rounding = #qtrain.rounding<stochastic, bits = 8>}
// CHECK: qtrain.conv2d
// CHECK: qtrain.conv2d {{.*}}backward_data

// CHECK-LABEL: func.func @mls_storage
// CHECK: qtrain.encode %{{.*}} {format = #qtrain.scaled<mls_e2m4>} : tensor<8x16x32x32xf32> -> tensor<8x16x32x32xi7>, tensor<1x1x1x1xf32>, tensor<8x1x32x32xi3>
