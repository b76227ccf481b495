// qtrain.amax is a statistics pass and stats_value; qtrain.select_scale is
// select_scale on the loaded statistic by a format entry with the op's
// level; a static reshape is a view of its operand's buffer.
// RUN: qtrain-opt %s --convert-qtrain-to-accel=function=scale | FileCheck %s

// The reshape makes no buffer of its own: the statistics pass reads arg0.
// CHECK: {address = 0 : i64, bytes = 512 : i64, name = "arg0", role = "input", shape = array<i64: 8, 16>, type = f32}, {address = 512 : i64, bytes = 4 : i64, name = "result0", role = "output", shape = array<i64>, type = f32}, {address = 576 : i64, bytes = 4 : i64, name = "amax.0"
// CHECK: accel.load push_next, dst = none, {{.*}} layout = f32, stats_reg = 0, stats_mask = 1, stats_reset, median_pass = none, dram_addr = 0, {{.*}} size_y = 8, size_x = 16
// CHECK: accel.vector pop_prev, push_next, op = stats_value, format = 0, stats_reg = 0, aux = 0,
// CHECK: accel.store pop_prev, {{.*}} dram_addr = 576, acc_entry = 0, size_z = 1, size_y = 1, size_x = 1
// CHECK: accel.cfg.tensor_level entry = 1, present, scale_kind = pow2, scale_bits = 8, scale_bias = 127, scale_nan, rule = amax_to_max,
// CHECK: accel.load {{.*}}dst = acc, {{.*}} layout = raw32, {{.*}} dram_addr = 576, chip_row = 2040,
// CHECK: accel.vector {{.*}}op = select_scale, format = 1, stats_reg = 0, aux = 0,{{.*}} dst_entry = 2041, src1_view = {{[0-9]+}}, src1_entry = 2040,
// CHECK: accel.store {{.*}} dram_addr = 512, acc_entry = 2041,
// The caller keeps its call: the mapped function stays beside the program.
// CHECK: func.func @scale
// CHECK: func.func @caller
func.func @scale(%x: tensor<8x16xf32>) -> tensor<f32> {
  %flat = tensor.collapse_shape %x [[0, 1]] : tensor<8x16xf32> into tensor<128xf32>
  %a = qtrain.amax %flat : tensor<128xf32> -> tensor<f32>
  %s = qtrain.select_scale %a {level = #qtrain.scale_level<tensor, e8m0, amax_to_max>, element = #qtrain.fp<e4m3fn>} : tensor<f32>
  return %s : tensor<f32>
}
func.func @caller(%x: tensor<8x16xf32>) -> tensor<f32> {
  %s = func.call @scale(%x) : (tensor<8x16xf32>) -> tensor<f32>
  return %s : tensor<f32>
}
