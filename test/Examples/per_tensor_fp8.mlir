// RUN: qtrain-opt %examples/per_tensor_fp8.mlir | qtrain-opt | FileCheck %s

// CHECK-LABEL: func.func @fp8_current_presets
// CHECK: qtrain.quantize %{{.*}} {format = #qtrain.scaled<fp8_e4m3_tensor>} : tensor<64x256xf32>
// CHECK: qtrain.quantize %{{.*}} {format = #qtrain.scaled<fp8_e4m3_tensor>} : tensor<256x128xf32>
// CHECK: qtrain.quantize %{{.*}} {format = #qtrain.scaled<fp8_e5m2_tensor>} : tensor<64x128xf32>
// CHECK-COUNT-3: qtrain.matmul

// CHECK-LABEL: func.func @fp8_current_explicit
// CHECK: %[[AA:.*]] = qtrain.amax %{{.*}} : tensor<64x256xf32> -> tensor<f32>
// CHECK: qtrain.amax
// CHECK: %[[AE:.*]] = qtrain.amax
// CHECK: %[[SA:.*]] = qtrain.select_scale %[[AA]] {element = #qtrain.fp<e4m3fn>, level = #qtrain.scale_level<tensor, f32, amax_to_max>} : tensor<f32>
// CHECK: qtrain.select_scale
// CHECK: qtrain.select_scale %[[AE]] {element = #qtrain.fp<e5m2>, level = #qtrain.scale_level<tensor, f32, amax_to_max, margin = 1>}
// CHECK: %[[SA2:.*]] = tensor.expand_shape %[[SA]] [] output_shape [1, 1] : tensor<f32> into tensor<1x1xf32>
// CHECK: qtrain.quantize %{{.*}} scales(%[[SA2]] : tensor<1x1xf32>) {format = #qtrain.scaled<#qtrain.fp<e4m3, specials = fn, overflow = saturate>, [#qtrain.scale_level<tensor, f32, given>]>} : tensor<64x256xf32>

// CHECK-LABEL: func.func @fp8_delayed_step
// CHECK-SAME: %[[SAI:[^:]*]]: tensor<f32>, %{{[^:]*}}: tensor<f32>, %{{[^:]*}}: tensor<f32>, %[[HA:[^:]*]]: tensor<16xf32>
// CHECK: %[[SA2:.*]] = tensor.expand_shape %[[SAI]] [] output_shape [1, 1]
// CHECK: qtrain.quantize %{{.*}} scales(%[[SA2]] : tensor<1x1xf32>) {format = #qtrain.scaled<#qtrain.fp<e4m3, specials = fn, overflow = saturate>, [#qtrain.scale_level<tensor, f32, given>]>}
// CHECK: qtrain.quantize %{{.*}} scales(%{{.*}} : tensor<1x1xf32>) {format = #qtrain.scaled<#qtrain.fp<e4m3, specials = fn, overflow = saturate>, [#qtrain.scale_level<tensor, f32, given>]>}
// CHECK: qtrain.quantize %{{.*}} scales(%{{.*}} : tensor<1x1xf32>) {format = #qtrain.scaled<#qtrain.fp<e5m2, overflow = saturate>, [#qtrain.scale_level<tensor, f32, given>]>}
// CHECK-COUNT-3: qtrain.matmul
// CHECK: %[[AMAX:.*]] = qtrain.amax %{{.*}} : tensor<64x256xf32>
// CHECK: %[[S:.*]], %[[H:.*]] = qtrain.delayed_scale %[[AMAX]], %[[HA]] {element = #qtrain.fp<e4m3fn>, level = #qtrain.scale_level<tensor, f32, amax_to_max>} : tensor<f32>, tensor<16xf32>
// CHECK: qtrain.delayed_scale
// CHECK: qtrain.delayed_scale {{.*}}{element = #qtrain.fp<e5m2>, level = #qtrain.scale_level<tensor, f32, amax_to_max, margin = 1>}
// CHECK: return {{.*}}%[[S]], {{.*}}%[[H]],

// CHECK-LABEL: func.func @fp8_two_steps
// CHECK: %[[INIT:.*]]:4 = call @fp8_current_explicit
// CHECK: %[[S1:.*]]:9 = call @fp8_delayed_step(%{{.*}}, %{{.*}}, %{{.*}}, %[[INIT]]#1, %[[INIT]]#2, %[[INIT]]#3,
// CHECK: call @fp8_delayed_step(%{{.*}}, %{{.*}}, %{{.*}}, %[[S1]]#3, %[[S1]]#4, %[[S1]]#5, %[[S1]]#6, %[[S1]]#7, %[[S1]]#8)
