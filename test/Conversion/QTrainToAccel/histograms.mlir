// Adaptive-bias FP8's running median histogram: the i64 counts in DRAM are
// loaded into a statistics register (reg.load), the input's statistics pass
// adds to them without a reset, and the register is stored (reg.store);
// histogram_median is stats_value median_nonzero on the loaded histogram.
// An exponent histogram is a statistics pass with a reset and a reg.store.
// RUN: qtrain-opt %s --split-input-file --convert-qtrain-to-accel | FileCheck %s

// CHECK: {address = 512 : i64, bytes = 4456 : i64, name = "arg1", role = "input", shape = array<i64: 557>, type = i64}
// CHECK: accel.reg.load regfile = stats, reg = [[R:[0-3]]], part = median_histogram, from_dram, dram_addr = 512,
// CHECK: accel.load push_next, dst = none, {{.*}}stats_reg = [[R]], stats_mask = 4, median_pass = none, dram_addr = 0,
// CHECK-NOT: stats_reset
// CHECK: accel.reg.store pop_prev, {{.*}}regfile = stats, reg = [[R]], part = median_histogram, dram_addr = [[H:[0-9]+]]
// CHECK: accel.reg.load {{.*}}regfile = stats, reg = [[S:[0-3]]], part = median_histogram, from_dram, dram_addr = [[H]],
// CHECK: accel.vector {{.*}}op = stats_value, {{.*}}stats_reg = [[S]], aux = 4,
func.func @running_median(%x: tensor<8x16xf32>, %h: tensor<557xi64>) -> (tensor<557xi64>, tensor<f32>) {
  %h1 = qtrain.median_histogram %x, %h : tensor<8x16xf32>, tensor<557xi64>
  %m = qtrain.histogram_median %h1 {nonzero} : tensor<557xi64> -> tensor<f32>
  return %h1, %m : tensor<557xi64>, tensor<f32>
}

// -----

// CHECK: accel.load push_next, dst = none, {{.*}}stats_mask = 2, stats_reset, median_pass = none, dram_addr = 0,
// CHECK: accel.reg.store pop_prev, regfile = stats, reg = 0, part = exponent_histogram, dram_addr = 512
func.func @exponents(%x: tensor<8x16xf32>) -> tensor<280xi64> {
  %e = qtrain.exponent_histogram %x : tensor<8x16xf32> -> tensor<280xi64>
  return %e : tensor<280xi64>
}

// -----

// An argument returned unchanged is copied word by word, whatever its type:
// 557 i64 counts are 1114 words.
// CHECK: accel.load {{.*}}layout = raw32, {{.*}}dram_addr = 0, {{.*}}size_x = 1114
// CHECK: accel.store {{.*}}layout = raw32, {{.*}}dram_addr = 4480, {{.*}}size_x = 1114
func.func @pass_through(%h: tensor<557xi64>) -> tensor<557xi64> {
  return %h : tensor<557xi64>
}
