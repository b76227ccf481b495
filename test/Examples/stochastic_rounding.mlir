// RUN: qtrain-opt %examples/stochastic_rounding.mlir | qtrain-opt | FileCheck %s

// CHECK-LABEL: func.func @esru_backward_step
// CHECK-SAME: %[[SEED:[^:]*]]: i64
// CHECK: %[[SG:.*]] = arith.addi %[[SEED]]
// CHECK: %[[SW:.*]] = arith.addi %[[SEED]]
// CHECK: %[[E:.*]] = qtrain.quantize %{{.*}} seed(%[[SEED]]) {format = #qtrain.fp<e5m2>, rounding = #qtrain.rounding<stochastic, bits = 3, source = lfsr_plateau, width = 3>} : tensor<64x128xf32>
// CHECK: qtrain.matmul %[[E]], %{{.*}} {transpose_b}
// CHECK: %[[G:.*]] = qtrain.matmul %{{.*}}, %[[E]] {transpose_a}
// CHECK: qtrain.quantize %[[G]] seed(%[[SG]]) {format = #qtrain.fp<e5m2>, rounding = #qtrain.rounding<stochastic, bits = 3, source = lfsr_plateau, width = 3>}
// CHECK: arith.mulf
// CHECK: arith.subf
// CHECK: qtrain.quantize %{{.*}} seed(%[[SW]]) {format = #qtrain.fp<bf16>, rounding = #qtrain.rounding<stochastic, bits = 3, source = lfsr_plateau, width = 3>}

// CHECK-LABEL: func.func @sr_sources
// CHECK: rounding = #qtrain.rounding<stochastic, bits = 3>}
// CHECK: rounding = #qtrain.rounding<stochastic, bits = 3, source = lfsr, width = 3, taps = 6>}
// CHECK: rounding = #qtrain.rounding<stochastic, bits = 3, source = lfsr_plateau, width = 3, lanes = 1>}
// CHECK: random_data(%{{.*}} : tensor<64x256xf32>) {format = #qtrain.fp<e5m2>, rounding = #qtrain.rounding<stochastic, bits = 3, source = data>}
// CHECK: random_data(%{{.*}} : tensor<64x256xf32>) {format = #qtrain.fp<e5m2>, rounding = #qtrain.rounding<stochastic, bits = 3, source = data, offset = 2>}

// CHECK-LABEL: func.func @sr_variants
// CHECK: rounding = #qtrain.rounding<stochastic, bits = 3, source = lfsr, width = 3>}
// CHECK: rounding = #qtrain.rounding<stochastic, bits = 3, source = lfsr, variant = add_truncate, width = 3>}
// CHECK: rounding = #qtrain.rounding<stochastic, bits = 24, source = lfsr, width = 24>}

// CHECK-LABEL: func.func @sr_storage
// CHECK: qtrain.encode %{{.*}} seed(%{{.*}}) {format = #qtrain.scaled<mxfp8_e5m2>, rounding = #qtrain.rounding<stochastic, bits = 2, source = lfsr_plateau, variant = add_truncate, width = 2>} : tensor<64x128xf32> -> tensor<64x128xf8E5M2>, tensor<64x4xf8E8M0FNU>
