// RUN: qtrain-opt %examples/dga.mlir | qtrain-opt | FileCheck %s

// CHECK-LABEL: func.func @fp8_operands
// CHECK-COUNT-3: qtrain.quantize %{{.*}} {format = #qtrain.fp<e4m3, specials = fn, overflow = saturate>}
// CHECK: return

// CHECK-LABEL: func.func @layer_fp32_accumulation
// CHECK: call @fp8_operands
// CHECK: qtrain.matmul {{.*}}accumulation = #qtrain.accum<#qtrain.fp<f32>>} : tensor<64x256xf32>, tensor<256x128xf32> -> tensor<64x128xf32>
// CHECK: qtrain.matmul {{.*}}accumulation = #qtrain.accum<#qtrain.fp<f32>>, transpose_b}
// CHECK: qtrain.matmul {{.*}}accumulation = #qtrain.accum<#qtrain.fp<f32>>, transpose_a}

// CHECK-LABEL: func.func @layer_sga16
// CHECK: qtrain.matmul {{.*}}accumulation = #qtrain.accum<#qtrain.fp<fp12_dga>, static, group = 16>} : tensor<64x256xf32>, tensor<256x128xf32> -> tensor<64x128xf32>
// CHECK: qtrain.matmul {{.*}}accumulation = #qtrain.accum<#qtrain.fp<fp12_dga>, static, group = 16>, transpose_b} : tensor<64x128xf32>, tensor<256x128xf32> -> tensor<64x256xf32>
// CHECK: qtrain.matmul {{.*}}accumulation = #qtrain.accum<#qtrain.fp<fp12_dga>, static, group = 16>, transpose_a} : tensor<64x256xf32>, tensor<64x128xf32> -> tensor<256x128xf32>
// CHECK: qtrain.matmul {{.*}}accumulation = #qtrain.accum<#qtrain.fp<fp16_dga>, static, group = 16>}

// CHECK-LABEL: func.func @layer_ideal_dga
// CHECK: qtrain.matmul {{.*}}accumulation = #qtrain.accum<#qtrain.fp<fp12_dga>, ideal_dga>}
// CHECK: qtrain.matmul {{.*}}accumulation = #qtrain.accum<#qtrain.fp<fp12_dga>, ideal_dga, t0 = 1.250000e-01>, transpose_b}
// CHECK: qtrain.matmul {{.*}}accumulation = #qtrain.accum<#qtrain.fp<fp12_dga>, ideal_dga, t0 = 1.250000e-01, count = after_reset>, transpose_a}

// c = 4 is the default shift and is not printed.
// CHECK-LABEL: func.func @layer_efficient_dga
// CHECK: qtrain.matmul {{.*}}accumulation = #qtrain.accum<#qtrain.fp<fp12_dga>, efficient_dga>}
// CHECK: qtrain.matmul {{.*}}accumulation = #qtrain.accum<#qtrain.fp<fp12_dga>, efficient_dga, c = 3>, transpose_b}
// CHECK: qtrain.matmul {{.*}}accumulation = #qtrain.accum<#qtrain.fp<fp12_dga>, efficient_dga, shared>, transpose_a}

// CHECK-LABEL: func.func @conv_efficient_dga
// CHECK-COUNT-3: qtrain.quantize
// CHECK: qtrain.conv2d {{.*}}accumulation = #qtrain.accum<#qtrain.fp<fp12_dga>, efficient_dga, shared>, padding = array<i64: 1, 1, 1, 1>} : tensor<8x16x32x32xf32>, tensor<32x16x3x3xf32> -> tensor<8x32x32x32xf32>
// CHECK: qtrain.conv2d {{.*}}accumulation = #qtrain.accum<#qtrain.fp<fp12_dga>, ideal_dga>, kind = #qtrain.conv_kind<backward_weight>
