// qtrain-specialize-control: conditions that the state arguments decide
// become constants, their branches fold and what only the other branches
// used is erased; the state argument is still read (the counter advances
// on the accelerator: 32-bit adds and a carry).
// RUN: qtrain-opt %s --qtrain-specialize-control="state=1=3" | FileCheck %s --check-prefix=WARM
// RUN: qtrain-opt %s --qtrain-specialize-control="state=1=150" | FileCheck %s --check-prefix=FROZEN
// RUN: qtrain-opt %s --qtrain-specialize-control="state=1=150" --convert-qtrain-to-accel | FileCheck %s --check-prefix=ACCEL
// RUN: not qtrain-opt %s --qtrain-specialize-control="state=0=1" 2>&1 | FileCheck %s --check-prefix=BAD
// RUN: not qtrain-opt %s --qtrain-specialize-control="state=1:1" 2>&1 | FileCheck %s --check-prefix=SYNTAX

// WARM-LABEL: func.func @step
// WARM-NOT: arith.cmpi
// WARM-NOT: scf.if
// WARM: qtrain.median_histogram %arg0, %arg2
// WARM-NOT: qtrain.quantize
// WARM-NOT: arith.select
// WARM: arith.addi
// WARM: return %arg0, %{{.*}}, %{{.*}} :

// FROZEN-LABEL: func.func @step
// FROZEN-NOT: scf.if
// FROZEN-NOT: qtrain.median_histogram
// FROZEN: %[[Q:.*]] = qtrain.quantize %arg0 scales(%arg3 : tensor<f32>)
// FROZEN: return %[[Q]], %{{.*}}, %arg2 :

// The counter: the constant's words filled, the low words added, the carry
// (ult), the high words added and the carry, both words stored.
// ACCEL: accel.vector {{.*}}op = fill, {{.*}}imm = 0x00000001
// ACCEL-NEXT: accel.vector {{.*}}op = fill, {{.*}}imm = 0x00000000
// ACCEL: accel.vector {{.*}}op = addi,
// ACCEL-NEXT: accel.vector {{.*}}op = cmpi, {{.*}}aux = 6,
// ACCEL-NEXT: accel.vector {{.*}}op = addi,
// ACCEL-NEXT: accel.vector {{.*}}op = addi,
// ACCEL: accel.store {{.*}}layout = raw32, {{.*}}size_x = 2

// BAD: qtrain-specialize-control: state entry '0=1': argument 0 of 4 is not a 0-d integer tensor
// SYNTAX: qtrain-specialize-control: state entry '1:1' is not INDEX=VALUE (integers)
func.func @step(%x: tensor<4x8xf32>, %n: tensor<i64>, %h: tensor<557xi64>, %s: tensor<f32>)
    -> (tensor<4x8xf32>, tensor<i64>, tensor<557xi64>) {
  %c100 = arith.constant 100 : i64
  %c1 = arith.constant 1 : i64
  %step = tensor.extract %n[] : tensor<i64>
  %warm = arith.cmpi slt, %step, %c100 : i64
  %h1 = scf.if %warm -> tensor<557xi64> {
    %u = qtrain.median_histogram %x, %h : tensor<4x8xf32>, tensor<557xi64>
    scf.yield %u : tensor<557xi64>
  } else {
    scf.yield %h : tensor<557xi64>
  }
  %q = qtrain.quantize %x scales(%s : tensor<f32>) {format = #qtrain.scaled<#qtrain.fp<e5m2, specials = none, subnormals = false>, [#qtrain.scale_level<tensor, e8m0, given>]>} : tensor<4x8xf32>
  %y = arith.select %warm, %x, %q : tensor<4x8xf32>
  %next = arith.addi %step, %c1 : i64
  %n1 = tensor.from_elements %next : tensor<i64>
  return %y, %n1, %h1 : tensor<4x8xf32>, tensor<i64>, tensor<557xi64>
}
