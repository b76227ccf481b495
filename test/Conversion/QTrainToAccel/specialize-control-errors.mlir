// qtrain-specialize-control's errors: which function, when it cannot tell.
// RUN: not qtrain-opt %s --qtrain-specialize-control="state=0=1" 2>&1 | FileCheck %s --check-prefix=SEVERAL
// RUN: not qtrain-opt %s --qtrain-specialize-control="function=nope state=0=1" 2>&1 | FileCheck %s --check-prefix=NONE
// RUN: qtrain-opt %s --qtrain-specialize-control="function=second state=0=7" | FileCheck %s

// SEVERAL: qtrain-specialize-control: the module has several functions; name one with function=NAME
// NONE: qtrain-specialize-control: no function 'nope' with a body

// CHECK-LABEL: func.func @first
// CHECK: arith.cmpi
// CHECK-LABEL: func.func @second
// CHECK-NOT: arith.select
// CHECK: return %arg2
func.func @first(%n: tensor<i64>, %a: tensor<4xf32>, %b: tensor<4xf32>) -> tensor<4xf32> {
  %c = arith.constant 5 : i64
  %v = tensor.extract %n[] : tensor<i64>
  %p = arith.cmpi slt, %v, %c : i64
  %r = arith.select %p, %a, %b : tensor<4xf32>
  return %r : tensor<4xf32>
}

func.func @second(%n: tensor<i64>, %a: tensor<4xf32>, %b: tensor<4xf32>) -> tensor<4xf32> {
  %c = arith.constant 5 : i64
  %v = tensor.extract %n[] : tensor<i64>
  %p = arith.cmpi slt, %v, %c : i64
  %r = arith.select %p, %a, %b : tensor<4xf32>
  return %r : tensor<4xf32>
}
