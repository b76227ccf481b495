// qtrain-specialize-control on flexblock-dynamic's shape of state update:
// an end-of-period test the step counter decides ((step + 1) % 4 == 0),
// combined (andi) with a condition the data decide. Inside a period the
// andi has a false operand, so it is false whatever the data: the update
// folds away and the i64 remainder with it. At the end of a period the
// andi is the data's condition alone: the remainder still folds away and
// what the data decide stays, as scalar code the accelerator runs.
// RUN: qtrain-opt %s --qtrain-specialize-control="state=0=5" | FileCheck %s --check-prefix=INSIDE
// RUN: qtrain-opt %s --qtrain-specialize-control="state=0=7" | FileCheck %s --check-prefix=END
// RUN: qtrain-opt %s --qtrain-specialize-control="state=0=7" --convert-qtrain-to-accel | FileCheck %s --check-prefix=ACCEL

// INSIDE-LABEL: func.func @update
// INSIDE-NOT: arith.remsi
// INSIDE-NOT: arith.cmpf
// INSIDE-NOT: arith.andi
// INSIDE-NOT: arith.select
// INSIDE: %[[NEXT:.*]] = arith.addi
// INSIDE: %[[M:.*]] = tensor.extract %arg1
// INSIDE: %[[STEP:.*]] = tensor.from_elements %[[NEXT]]
// INSIDE: %[[MODE:.*]] = tensor.from_elements %[[M]]
// INSIDE: return %[[STEP]], %[[MODE]] :

// END-LABEL: func.func @update
// END-NOT: arith.remsi
// END-NOT: arith.andi
// END: %[[HIGH:.*]] = arith.cmpf ogt
// END: %[[UP:.*]] = arith.addi
// END: arith.select %[[HIGH]], %[[UP]],

// The data-decided select on i64 words: each word copied, then selected.
// ACCEL: accel.vector {{.*}}op = cmpf,
// ACCEL: accel.vector {{.*}}op = copy,
// ACCEL-NEXT: accel.vector {{.*}}op = select,
// ACCEL-NEXT: accel.vector {{.*}}op = copy,
// ACCEL-NEXT: accel.vector {{.*}}op = select,
func.func @update(%n: tensor<i64>, %mode: tensor<i64>, %err: tensor<f32>)
    -> (tensor<i64>, tensor<i64>) {
  %c0 = arith.constant 0 : i64
  %c1 = arith.constant 1 : i64
  %c4 = arith.constant 4 : i64
  %high = arith.constant 1.000000e-01 : f32
  %step = tensor.extract %n[] : tensor<i64>
  %next = arith.addi %step, %c1 : i64
  %r = arith.remsi %next, %c4 : i64
  %end = arith.cmpi eq, %r, %c0 : i64
  %e = tensor.extract %err[] : tensor<f32>
  %above = arith.cmpf ogt, %e, %high : f32
  %move = arith.andi %end, %above : i1
  %m = tensor.extract %mode[] : tensor<i64>
  %up = arith.addi %m, %c1 : i64
  %m1 = arith.select %move, %up, %m : i64
  %tn = tensor.from_elements %next : tensor<i64>
  %tm = tensor.from_elements %m1 : tensor<i64>
  return %tn, %tm : tensor<i64>, tensor<i64>
}
