// RUN: qtrain-opt %examples/adaptive_bias_fp8.mlir | qtrain-opt | FileCheck %s

// CHECK-LABEL: func.func @abfp8_calibrate
// CHECK-COUNT-4: tensor.concat dim(0)
// CHECK: %[[MW:.*]] = qtrain.median %{{.*}} : tensor<40960xf32> -> tensor<f32>
// CHECK: %[[MA:.*]] = qtrain.median %{{.*}} : tensor<24576xf32> -> tensor<f32>
// CHECK: %[[ME:.*]] = qtrain.median %{{.*}} {approx} : tensor<12288xf32> -> tensor<f32>
// CHECK: %[[MG:.*]] = qtrain.median %{{.*}} {approx} : tensor<40960xf32> -> tensor<f32>
// CHECK: qtrain.select_scale %[[MW]] {element = #qtrain.fp<e5m2, specials = none, subnormals = false>, level = #qtrain.scale_level<tensor, e8m0, median_lookup, median_exponent = 1>} : tensor<f32>
// CHECK: qtrain.select_scale %[[MA]] {element = #qtrain.fp<e5m2, specials = none, subnormals = false>, level = #qtrain.scale_level<tensor, e8m0, median_lookup, median_exponent = 1>}
// CHECK: qtrain.select_scale %[[ME]] {element = #qtrain.fp<e5m2, specials = none, subnormals = false>, level = #qtrain.scale_level<tensor, e8m0, median_lookup, median_exponent = 1>}
// CHECK: qtrain.select_scale %[[MG]] {element = #qtrain.fp<e5m2, specials = none, subnormals = false>, level = #qtrain.scale_level<tensor, e8m0, median_lookup, median_exponent = 1>}

// CHECK-LABEL: func.func @abfp8_step
// CHECK-SAME: %[[SW:[^:]*]]: tensor<f32>, %[[SA:[^:]*]]: tensor<f32>, %[[SE:[^:]*]]: tensor<f32>, %[[SG:[^:]*]]: tensor<f32>)
// CHECK: %[[SW2:.*]] = tensor.expand_shape %[[SW]] [] output_shape [1, 1] : tensor<f32> into tensor<1x1xf32>
// CHECK: %[[SA2:.*]] = tensor.expand_shape %[[SA]]
// CHECK: %[[SE2:.*]] = tensor.expand_shape %[[SE]]
// CHECK: %[[SG2:.*]] = tensor.expand_shape %[[SG]]
// CHECK: qtrain.quantize %{{.*}} scales(%[[SW2]] : tensor<1x1xf32>) {format = #qtrain.scaled<#qtrain.fp<e5m2, specials = none, subnormals = false>, [#qtrain.scale_level<tensor, e8m0, given>]>} : tensor<256x128xf32>
// CHECK: qtrain.quantize %{{.*}} scales(%[[SW2]] : tensor<1x1xf32>) {{.*}} : tensor<128x64xf32>
// CHECK: qtrain.quantize %{{.*}} scales(%[[SA2]] : tensor<1x1xf32>) {{.*}} : tensor<64x256xf32>
// CHECK: qtrain.matmul
// CHECK: arith.maximumf
// CHECK: qtrain.quantize %{{.*}} scales(%[[SA2]] : tensor<1x1xf32>) {{.*}} : tensor<64x128xf32>
// CHECK: qtrain.matmul
// CHECK: qtrain.quantize %{{.*}} scales(%[[SE2]] : tensor<1x1xf32>) {{.*}} : tensor<64x64xf32>
// CHECK: qtrain.matmul {{.*}} {transpose_b}
// CHECK: arith.select
// CHECK: qtrain.quantize %{{.*}} scales(%[[SE2]] : tensor<1x1xf32>) {{.*}} : tensor<64x128xf32>
// CHECK: qtrain.matmul {{.*}} {transpose_a}
// CHECK: qtrain.matmul {{.*}} {transpose_a}
// CHECK: qtrain.quantize %{{.*}} scales(%[[SG2]] : tensor<1x1xf32>) {{.*}} : tensor<256x128xf32>
// CHECK: qtrain.quantize %{{.*}} scales(%[[SG2]] : tensor<1x1xf32>) {{.*}} : tensor<128x64xf32>

// CHECK-LABEL: func.func @abfp8_dynamic
// CHECK: qtrain.quantize %{{.*}} {format = #qtrain.scaled<abfp8_e5m2>} : tensor<256x128xf32>

// CHECK-LABEL: func.func @abfp8_static_bias
// CHECK: qtrain.encode %{{.*}} {format = #qtrain.fp<e5m2, bias = 25, specials = none, subnormals = false>} : tensor<256x128xf32> -> tensor<256x128xi8>
// CHECK: qtrain.quantize %{{.*}} {format = #qtrain.fp<e5m2, bias = 31, specials = none, subnormals = false>}
