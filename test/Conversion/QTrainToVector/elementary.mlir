// math.exp and math.log on f32 become the numerics library's expF32 and
// logF32 (no libm call): the range reduction's roundeven, the polynomials'
// FMAs, log's one division. Other types are left to math-to-llvm.
// RUN: qtrain-opt %s --convert-qtrain-to-vector | FileCheck %s

// CHECK-LABEL: func.func @exp_scalar
// CHECK-NOT: math.exp
// CHECK: math.roundeven %{{.*}} : f32
// CHECK-COUNT-6: math.fma
// CHECK: arith.fptosi %{{.*}} : f32 to i32
// CHECK: arith.shrsi
// CHECK-NOT: math.exp
// CHECK: return
func.func @exp_scalar(%x: f32) -> f32 {
  %y = math.exp %x : f32
  return %y : f32
}

// CHECK-LABEL: func.func @log_vector
// CHECK-NOT: math.log
// CHECK: arith.divf %{{.*}} : vector<8xf32>
// CHECK-COUNT-3: math.fma
// CHECK: arith.sitofp
// CHECK-NOT: math.log
// CHECK: return
func.func @log_vector(%x: vector<8xf32>) -> vector<8xf32> {
  %y = math.log %x : vector<8xf32>
  return %y : vector<8xf32>
}

// CHECK-LABEL: func.func @f64_left
// CHECK: math.exp %{{.*}} : f64
// CHECK: math.log %{{.*}} : f64
func.func @f64_left(%x: f64) -> f64 {
  %y = math.exp %x : f64
  %z = math.log %y : f64
  return %z : f64
}
