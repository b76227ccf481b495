// Every bundled example parses, verifies and round-trips through qtrain-opt.
// RUN: qtrain-opt %examples/linalg_matmul_relu.mlir | qtrain-opt | FileCheck %s
// CHECK-LABEL: func.func @layer
// CHECK: linalg.matmul
// CHECK: arith.maximumf
