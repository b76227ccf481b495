// RUN: qtrain-opt %examples/flexblock.mlir | qtrain-opt | FileCheck %s

// FB12LG16: forward and weight-update operands in FB12, backward in FB16.
// CHECK-LABEL: func.func @fb12lg16_step
// CHECK: %[[W12:.*]] = qtrain.quantize %{{.*}} {format = #qtrain.scaled<fb12>, rounding = #qtrain.rounding<toward_zero>} : tensor<16x24x3x3xf32>
// CHECK: %[[X12:.*]] = qtrain.quantize %{{.*}} {format = #qtrain.scaled<fb12>, rounding = #qtrain.rounding<toward_zero>} : tensor<8x24x16x16xf32>
// CHECK: qtrain.conv2d %[[X12]], %[[W12]] {padding = array<i64: 1, 1, 1, 1>}
// CHECK: %[[W16:.*]] = qtrain.quantize %{{.*}} {format = #qtrain.scaled<fb16>, rounding = #qtrain.rounding<toward_zero>} : tensor<16x24x3x3xf32>
// CHECK: %[[E16:.*]] = qtrain.quantize %{{.*}} {format = #qtrain.scaled<fb16>, rounding = #qtrain.rounding<toward_zero>} : tensor<8x16x16x16xf32>
// CHECK: qtrain.conv2d %[[E16]], %[[W16]] {kind = #qtrain.conv_kind<backward_data>
// CHECK: %[[E12:.*]] = qtrain.quantize %{{.*}} {format = #qtrain.scaled<fb12>, rounding = #qtrain.rounding<toward_zero>} : tensor<8x16x16x16xf32>
// CHECK: qtrain.conv2d %[[X12]], %[[E12]] {kind = #qtrain.conv_kind<backward_weight>

// CHECK-LABEL: func.func @fb16_step
// CHECK-COUNT-3: qtrain.quantize %{{.*}} {format = #qtrain.scaled<fb16>, rounding = #qtrain.rounding<toward_zero>}
// CHECK-COUNT-3: qtrain.conv2d

// CHECK-LABEL: func.func @fb_storage
// CHECK: qtrain.quantize %{{.*}} {format = #qtrain.scaled<fb24>, rounding = #qtrain.rounding<toward_zero>}
// CHECK: %[[C:.*]], %[[S:.*]] = qtrain.encode %{{.*}} {format = #qtrain.scaled<fb12>, rounding = #qtrain.rounding<toward_zero>} : tensor<16x24x3x3xf32> -> tensor<16x24x3x3xi5>, tensor<16x1x1x1xf8E8M0FNU>
// CHECK: qtrain.decode %[[C]], %[[S]] {format = #qtrain.scaled<fb12>} : tensor<16x24x3x3xi5>, tensor<16x1x1x1xf8E8M0FNU> -> tensor<16x24x3x3xf32>

// CHECK-LABEL: func.func @fb12_zse
// CHECK: qtrain.zero_setting_error %{{.*}} {format = #qtrain.scaled<fb12>} : tensor<16x24x3x3xf32> -> tensor<f32>
// CHECK-LABEL: func.func @fb16_zse
// CHECK: qtrain.zero_setting_error %{{.*}} {format = #qtrain.scaled<fb16>, rounding = #qtrain.rounding<toward_zero>} : tensor<8x16x16x16xf32> -> tensor<f32>
// CHECK-LABEL: func.func @precision_decision
// CHECK: arith.cmpf olt
// CHECK: arith.cmpf ogt
