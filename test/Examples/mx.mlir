// RUN: qtrain-opt %examples/mx.mlir | qtrain-opt | FileCheck %s

// CHECK-LABEL: func.func @mxfp8_step
// CHECK: %[[A:.*]] = qtrain.quantize %{{.*}} {format = #qtrain.scaled<mxfp8_e4m3>} : tensor<64x256xf32>
// CHECK: %[[W:.*]] = qtrain.quantize %{{.*}} {format = #qtrain.scaled<mxfp8_e4m3>} : tensor<128x256xf32>
// CHECK: qtrain.matmul %[[A]], %[[W]] {transpose_b}
// CHECK: %[[E:.*]] = qtrain.quantize %{{.*}} {format = #qtrain.scaled<mxfp8_e5m2>} : tensor<64x128xf32>
// CHECK: %[[WT:.*]] = qtrain.quantize %{{.*}} {format = #qtrain.scaled<#qtrain.fp<e4m3, specials = fn, overflow = saturate>, [#qtrain.scale_level<[32, 1], e8m0, shared_exponent>]>} : tensor<128x256xf32>
// CHECK: qtrain.matmul %[[E]], %[[WT]] :
// CHECK: %[[ET:.*]] = qtrain.quantize %{{.*}} {format = #qtrain.scaled<#qtrain.fp<e5m2, overflow = saturate>, [#qtrain.scale_level<[32, 1], e8m0, shared_exponent>]>} : tensor<64x128xf32>
// CHECK: %[[AT:.*]] = qtrain.quantize %{{.*}} {format = #qtrain.scaled<#qtrain.fp<e4m3, specials = fn, overflow = saturate>, [#qtrain.scale_level<[32, 1], e8m0, shared_exponent>]>} : tensor<64x256xf32>
// CHECK: qtrain.matmul %[[ET]], %[[AT]] {transpose_a}

// CHECK-LABEL: func.func @mx_narrow_forward
// CHECK: {format = #qtrain.scaled<mxfp6_e3m2>}
// CHECK: {format = #qtrain.scaled<mxfp6_e2m3>}
// CHECK: qtrain.matmul
// CHECK-COUNT-2: {format = #qtrain.scaled<mxfp4_e2m1>}
// CHECK: qtrain.matmul
// CHECK-COUNT-2: {format = #qtrain.scaled<mxint8>}
// CHECK: qtrain.matmul

// CHECK-LABEL: func.func @mx_storage
// CHECK: %[[C8:.*]], %[[S8:.*]] = qtrain.encode %{{.*}} {format = #qtrain.scaled<mxfp8_e4m3>} : tensor<128x256xf32> -> tensor<128x256xf8E4M3FN>, tensor<128x8xf8E8M0FNU>
// CHECK: qtrain.decode %[[C8]], %[[S8]] {format = #qtrain.scaled<mxfp8_e4m3>} : tensor<128x256xf8E4M3FN>, tensor<128x8xf8E8M0FNU> -> tensor<128x256xf32>
// CHECK: qtrain.encode %{{.*}} {format = #qtrain.scaled<mxfp8_e5m2>} : tensor<128x256xf32> -> tensor<128x256xf8E5M2>, tensor<128x8xf8E8M0FNU>
// CHECK: qtrain.decode {{.*}} : tensor<128x256xf8E5M2>, tensor<128x8xf8E8M0FNU> -> tensor<128x256xf32>
// CHECK: qtrain.encode %{{.*}} {format = #qtrain.scaled<mxfp6_e3m2>} : tensor<128x256xf32> -> tensor<128x256xf6E3M2FN>, tensor<128x8xf8E8M0FNU>
// CHECK: qtrain.decode {{.*}} : tensor<128x256xf6E3M2FN>, tensor<128x8xf8E8M0FNU> -> tensor<128x256xf32>
// CHECK: qtrain.encode %{{.*}} {format = #qtrain.scaled<mxfp6_e2m3>} : tensor<128x256xf32> -> tensor<128x256xf6E2M3FN>, tensor<128x8xf8E8M0FNU>
// CHECK: qtrain.decode {{.*}} : tensor<128x256xf6E2M3FN>, tensor<128x8xf8E8M0FNU> -> tensor<128x256xf32>
// CHECK: qtrain.encode %{{.*}} {format = #qtrain.scaled<mxfp4_e2m1>} : tensor<128x256xf32> -> tensor<128x256xf4E2M1FN>, tensor<128x8xf8E8M0FNU>
// CHECK: qtrain.decode {{.*}} : tensor<128x256xf4E2M1FN>, tensor<128x8xf8E8M0FNU> -> tensor<128x256xf32>
// CHECK: qtrain.encode %{{.*}} {format = #qtrain.scaled<mxint8>} : tensor<128x256xf32> -> tensor<128x256xi8>, tensor<128x8xf8E8M0FNU>
// CHECK: qtrain.decode {{.*}} : tensor<128x256xi8>, tensor<128x8xf8E8M0FNU> -> tensor<128x256xf32>
// CHECK: qtrain.encode {{.*}}#qtrain.scale_level<[32, 1], e8m0, shared_exponent>]>} : tensor<128x256xf32> -> tensor<128x256xf8E4M3FN>, tensor<4x256xf8E8M0FNU>
// CHECK: qtrain.decode {{.*}} : tensor<128x256xf8E4M3FN>, tensor<4x256xf8E8M0FNU> -> tensor<128x256xf32>

// CHECK-LABEL: func.func @mx_partial_block
// CHECK: qtrain.encode %{{.*}} {format = #qtrain.scaled<mxfp4_e2m1>} : tensor<4x48xf32> -> tensor<4x48xf4E2M1FN>, tensor<4x2xf8E8M0FNU>
// CHECK: qtrain.decode
