// Convolutions: qtrain-decompose's im2col gathers as strided raw LOADs into
// the ACC (taps outside the image are the LOADs' pads, or a zero fill when
// a stride leaves gaps), the swaps of operands and results as strided
// copies, one GEMM; or, for quantized operands with an encoded form, LOADs
// of their codes straight into the scratchpads.
// RUN: qtrain-opt %s --split-input-file --qtrain-to-accel | FileCheck %s

// A 3x3 forward convolution with padding 1 of a 4x4 image: the gather
// [C, KH, KW, N, OH, OW] = [1, 3, 3, 1, 4, 4] is one tile, one LOAD per
// tap (kh, kw) over (n, oh, ow), 16 entries apart; tap (0, 0) reads x from
// its first element with a pad row and column before it, tap (2, 2) from
// element (1, 1) with one after.
// CHECK-LABEL: accel.program
// CHECK-SAME: name = "im2col.0", role = "intermediate", shape = array<i64: 1, 3, 3, 1, 4, 4>
// CHECK:      accel.cfg.td_dram td = 0, dram_stride_z = 16, dram_stride_y = 4, dram_stride_x = 1
// CHECK-NEXT: accel.cfg.td_chip td = 0, chip_stride_z = 16, chip_stride_y = 4, chip_stride_x = 1, pad_y_lo = 1, pad_y_hi = 0, pad_x_lo = 1, pad_x_hi = 0
// CHECK-NEXT: accel.load dst = acc, {{.*}} layout = raw32, {{.*}} dram_addr = 0, chip_row = 0, chip_lane = 0, size_z = 1, size_y = 4, size_x = 4
// CHECK-COUNT-7: accel.load dst = acc,
// CHECK:      accel.cfg.td_chip td = 0, {{.*}} pad_y_lo = 0, pad_y_hi = 1, pad_x_lo = 0, pad_x_hi = 1
// CHECK-NEXT: accel.load push_next, dst = acc, {{.*}} dram_addr = 20, chip_row = 128, chip_lane = 0, size_z = 1, size_y = 4, size_x = 4
// CHECK:      accel.store {{.*}} dram_addr = 320, acc_entry = 0, size_z = 1, size_y = 1, size_x = 144
// The GEMM of W[F, C KH KW] by the gather, f32 operands.
// CHECK:      accel.gemm {{.*}} mode = f32, {{.*}} m = 2, n = 16, k = 9
// [F, N, OH OW] -> [N, F, OH OW]: a LOAD whose DRAM strides swap z and y.
// CHECK:      accel.cfg.td_dram td = 5, dram_stride_z = 16, dram_stride_y = 16, dram_stride_x = 1
// CHECK:      accel.load {{.*}} dst = acc, {{.*}} dram_addr = 896, chip_row = 0, chip_lane = 0, size_z = 1, size_y = 2, size_x = 16
func.func @forward(%x: tensor<1x1x4x4xf32>, %w: tensor<2x1x3x3xf32>) -> tensor<1x2x4x4xf32> {
  %y = qtrain.conv2d %x, %w {padding = array<i64: 1, 1, 1, 1>}
      : tensor<1x1x4x4xf32>, tensor<2x1x3x3xf32> -> tensor<1x2x4x4xf32>
  return %y : tensor<1x2x4x4xf32>
}

// -----

// backward_data with stride 2: tap (kh, kw) puts dy[oh, ow] at
// (2 oh - 1 + kh, 2 ow - 1 + kw), every other position: the tile is
// zero-filled, then each tap LOADs the dy elements that land in the image
// with chip strides of 2 (2 x 4 entries along y, 2 along x). Tap (0, 0)
// gets dy[1, 1] only, at (1, 1) = entry 5 of the tile.
// CHECK-LABEL: accel.program
// CHECK:      accel.vector push_prev, op = fill, {{.*}} dst_entry = 2040, {{.*}} imm = 0x00000000
// CHECK-NEXT: accel.cfg.td_dram td = 2, dram_stride_z = 4, dram_stride_y = 2, dram_stride_x = 1
// CHECK-NEXT: accel.cfg.td_chip td = 2, chip_stride_z = 16, chip_stride_y = 8, chip_stride_x = 2, pad_y_lo = 0, pad_y_hi = 0, pad_x_lo = 0, pad_x_hi = 0
// CHECK-NEXT: accel.load pop_next, dst = acc, {{.*}} dram_addr = 12, chip_row = 2045, chip_lane = 0, size_z = 1, size_y = 1, size_x = 1
// Tap (1, 1) gets all four, from (0, 0).
// CHECK-COUNT-3: accel.load dst = acc,
// CHECK-NEXT: accel.load dst = acc, {{.*}} dram_addr = 0, chip_row = 2104, chip_lane = 0, size_z = 1, size_y = 2, size_x = 2
func.func @backward_data(%dy: tensor<1x1x2x2xf32>, %w: tensor<1x1x3x3xf32>) -> tensor<1x1x4x4xf32> {
  %dx = qtrain.conv2d %dy, %w {kind = #qtrain.conv_kind<backward_data>, strides = array<i64: 2, 2>, padding = array<i64: 1, 0, 1, 0>}
      : tensor<1x1x2x2xf32>, tensor<1x1x3x3xf32> -> tensor<1x1x4x4xf32>
  return %dx : tensor<1x1x4x4xf32>
}

// -----

// FlexBlock operands (one block level): the GEMM runs in their mode. The
// activations are written once in the paired layout (a raw LOAD into the
// ACC, a STORE converting over whole [24, 3, 3] blocks), then each kernel
// tap (kh, kw) is one LOAD of the pairs straight into the weight scratchpad
// at lane kh * 3 + kw of every K-vector (224 slots apart: 7 rows of 32
// 16-bit lanes), the taps outside the image its pads. The filter is the
// paired view [F, C KH KW] of its quantize: one LOAD. Neither the gather
// nor a copy of the filter is written to DRAM.
// CHECK-LABEL: accel.program
// CHECK-SAME: name = "paired.0", role = "intermediate", shape = array<i64: 1, 24, 4, 4>, type = i16
// CHECK-SAME: name = "paired.1", role = "intermediate", shape = array<i64: 2, 24, 3, 3>, type = i16
// CHECK-NOT:  name = "im2col
// CHECK:      accel.cfg.block_level entry = 0, present, {{.*}} block_z = 24, block_y = 3, block_x = 3
// CHECK:      accel.load push_next, dst = acc, format = 0, td = 0, layout = raw32, {{.*}} size_z = 24, size_y = 4, size_x = 4
// CHECK:      accel.store pop_prev, format = 0, td = 0, layout = paired, {{.*}} dram_addr = 3392, acc_entry = 0, size_z = 24, size_y = 4, size_x = 4
// CHECK:      accel.store {{.*}} layout = paired, {{.*}} size_z = 1, size_y = 2, size_x = 216
// CHECK:      accel.load pop_next, dst = sp_input, format = 2, {{.*}} layout = paired, {{.*}} dram_addr = 4160, chip_row = 0, chip_lane = 0, size_z = 1, size_y = 2, size_x = 216
// CHECK:      accel.cfg.td_chip td = 3, chip_stride_z = 9, chip_stride_y = 896, chip_stride_x = 224, pad_y_lo = 1, pad_y_hi = 0, pad_x_lo = 1, pad_x_hi = 0
// CHECK-NEXT: accel.load dst = sp_weight, format = 2, td = 3, layout = paired, {{.*}} dram_addr = 3392, chip_row = 0, chip_lane = 0, size_z = 24, size_y = 4, size_x = 4
// CHECK-COUNT-7: accel.load dst = sp_weight, format = 2,
// CHECK:      accel.load push_next, dst = sp_weight, format = 2, {{.*}} dram_addr = 3402, chip_row = 0, chip_lane = 8, size_z = 24, size_y = 4, size_x = 4
// CHECK-NEXT: accel.gemm {{.*}} format_a = 2, format_b = 2, {{.*}} mode = m4, {{.*}} a_rows_per_vector = 7, {{.*}} b_rows_per_vector = 7, {{.*}} m = 2, n = 16, k = 216
func.func @forward_fb12(%x: tensor<1x24x4x4xf32>, %w: tensor<2x24x3x3xf32>) -> tensor<1x2x4x4xf32> {
  %qx = qtrain.quantize %x {format = #qtrain.scaled<fb12>} : tensor<1x24x4x4xf32>
  %qw = qtrain.quantize %w {format = #qtrain.scaled<fb12>} : tensor<2x24x3x3xf32>
  %y = qtrain.conv2d %qx, %qw {padding = array<i64: 1, 1, 1, 1>}
      : tensor<1x24x4x4xf32>, tensor<2x24x3x3xf32> -> tensor<1x2x4x4xf32>
  return %y : tensor<1x2x4x4xf32>
}

// -----

// Operands without a block level are gathered from their codes the same
// way: per-tensor scaled E4M3 activations are written once as 8-bit codes
// (a raw LOAD into the ACC, a STORE converting) with their tensor scale
// stored beside them, the filter's codes likewise; the scale is loaded back
// into the activations' format entry's ACC entry, the filter view is one
// LOAD of codes, and each tap one LOAD of codes into the weight scratchpad
// (128 slots, two rows of 64 8-bit lanes, per K-vector). E4M3's 4-bit
// significands run in mode m4.
// CHECK-LABEL: accel.program
// CHECK-SAME: name = "codes.0", role = "intermediate", shape = array<i64: 1, 8, 4, 4>, type = i8
// CHECK-SAME: name = "codes.0.scale", role = "intermediate", shape = array<i64>, type = f32
// CHECK-SAME: name = "codes.1", role = "intermediate", shape = array<i64: 2, 8, 3, 3>, type = i8
// CHECK-NOT:  name = "im2col
// CHECK:      accel.cfg.tensor_level entry = 0, present, {{.*}} rule = amax_to_max, {{.*}} scale_entry = 4080
// CHECK:      accel.load push_next, dst = acc, format = 0, td = 1, layout = raw32, {{.*}} dram_addr = 0,
// CHECK:      accel.store pop_prev, format = 0, td = 1, layout = codes, {{.*}} dram_addr = 1216, acc_entry = 0, size_z = 1, size_y = 32, size_x = 4
// CHECK-NEXT: accel.cfg.td_dram
// CHECK-NEXT: accel.cfg.td_chip
// CHECK-NEXT: accel.store push_prev, {{.*}} layout = raw32, {{.*}} dram_addr = 1344, acc_entry = 4080, size_z = 1, size_y = 1, size_x = 1
// CHECK:      accel.store {{.*}} format = 1, {{.*}} layout = codes, {{.*}} dram_addr = 1408,
// CHECK:      accel.cfg.tensor_level entry = 2, present, {{.*}} scale_entry = 4081
// CHECK:      accel.load pop_next, dst = acc, {{.*}} layout = raw32, {{.*}} dram_addr = 1344, chip_row = 4081,
// CHECK:      accel.load pop_next, dst = sp_input, format = 1, {{.*}} layout = codes, {{.*}} dram_addr = 1408, chip_row = 0, chip_lane = 0, size_z = 1, size_y = 2, size_x = 72
// CHECK:      accel.cfg.td_chip td = 5, chip_stride_z = 9, chip_stride_y = 512, chip_stride_x = 128, pad_y_lo = 1, pad_y_hi = 0, pad_x_lo = 1, pad_x_hi = 0
// CHECK-NEXT: accel.load dst = sp_weight, format = 2, td = 5, layout = codes, {{.*}} dram_addr = 1216, chip_row = 0, chip_lane = 0, size_z = 8, size_y = 4, size_x = 4
// CHECK-COUNT-7: accel.load dst = sp_weight, format = 2,
// CHECK:      accel.load push_next, dst = sp_weight, format = 2, {{.*}} layout = codes, {{.*}} dram_addr = 1221, chip_row = 0, chip_lane = 8, size_z = 8, size_y = 4, size_x = 4
// CHECK-NEXT: accel.gemm {{.*}} format_a = 1, format_b = 2, {{.*}} mode = m4, {{.*}} a_rows_per_vector = 2, {{.*}} b_rows_per_vector = 2, {{.*}} m = 2, n = 16, k = 72
func.func @forward_fp8_tensor(%x: tensor<1x8x4x4xf32>, %w: tensor<2x8x3x3xf32>) -> tensor<1x2x4x4xf32> {
  %qx = qtrain.quantize %x {format = #qtrain.scaled<fp8_e4m3_tensor>} : tensor<1x8x4x4xf32>
  %qw = qtrain.quantize %w {format = #qtrain.fp<e4m3fn, overflow = saturate>} : tensor<2x8x3x3xf32>
  %y = qtrain.conv2d %qx, %qw {padding = array<i64: 1, 1, 1, 1>}
      : tensor<1x8x4x4xf32>, tensor<2x8x3x3xf32> -> tensor<1x2x4x4xf32>
  return %y : tensor<1x2x4x4xf32>
}

// -----

// E2M1 codes are 4 bits, two to a byte, which a LOAD cannot address one
// element at a time: the gather is written to DRAM as f32 values and the
// GEMM runs in f32 mode.
// CHECK-LABEL: accel.program
// CHECK-SAME: name = "im2col.
// CHECK-NOT:  layout = codes
// CHECK:      accel.gemm {{.*}} mode = f32,
func.func @forward_e2m1(%x: tensor<1x8x4x4xf32>, %w: tensor<2x8x3x3xf32>) -> tensor<1x2x4x4xf32> {
  %qx = qtrain.quantize %x {format = #qtrain.fp<e2m1fn>} : tensor<1x8x4x4xf32>
  %qw = qtrain.quantize %w {format = #qtrain.fp<e2m1fn>} : tensor<2x8x3x3xf32>
  %y = qtrain.conv2d %qx, %qw {padding = array<i64: 1, 1, 1, 1>}
      : tensor<1x8x4x4xf32>, tensor<2x8x3x3xf32> -> tensor<1x2x4x4xf32>
  return %y : tensor<1x2x4x4xf32>
}

// -----

// 32-bit integers have whole-byte codes but more significant bits than any
// GEMM mode multiplies: their gather stays in DRAM as f32 values too.
// CHECK-LABEL: accel.program
// CHECK-SAME: name = "im2col.
// CHECK-NOT:  layout = codes
// CHECK:      accel.gemm {{.*}} mode = f32,
func.func @forward_s32(%x: tensor<1x8x4x4xf32>, %w: tensor<2x8x3x3xf32>) -> tensor<1x2x4x4xf32> {
  %qx = qtrain.quantize %x {format = #qtrain.int<s32, frac = 16>} : tensor<1x8x4x4xf32>
  %qw = qtrain.quantize %w {format = #qtrain.int<s32, frac = 16>} : tensor<2x8x3x3xf32>
  %y = qtrain.conv2d %qx, %qw {padding = array<i64: 1, 1, 1, 1>}
      : tensor<1x8x4x4xf32>, tensor<2x8x3x3xf32> -> tensor<1x2x4x4xf32>
  return %y : tensor<1x2x4x4xf32>
}

// -----

// A quantize also returned: its tiles are loaded raw once and stored twice,
// converting each time, as f32 values and as pairs. backward_data with a
// stride of 2 leaves gaps a scratchpad LOAD cannot zero: that gather is
// written to DRAM as before and its GEMM runs in f32 mode; the filter is
// still a paired view.
// CHECK-LABEL: accel.program
// CHECK:      accel.load push_next, dst = acc, format = 0, td = 0, layout = raw32,
// CHECK:      accel.store pop_prev, format = 0, td = 0, layout = f32,
// CHECK-NEXT: accel.store format = 0, td = 0, layout = paired,
// CHECK:      accel.gemm {{.*}} mode = m8,
// CHECK:      accel.gemm {{.*}} mode = f32,
func.func @also_returned(%x: tensor<1x12x4x4xf32>, %w: tensor<2x12x3x3xf32>, %dy: tensor<1x2x2x2xf32>)
    -> (tensor<1x2x4x4xf32>, tensor<1x12x4x4xf32>, tensor<1x12x4x4xf32>) {
  %qx = qtrain.quantize %x {format = #qtrain.scaled<fb16>} : tensor<1x12x4x4xf32>
  %qw = qtrain.quantize %w {format = #qtrain.scaled<fb16>} : tensor<2x12x3x3xf32>
  %y = qtrain.conv2d %qx, %qw {padding = array<i64: 1, 1, 1, 1>}
      : tensor<1x12x4x4xf32>, tensor<2x12x3x3xf32> -> tensor<1x2x4x4xf32>
  %dx = qtrain.conv2d %dy, %qw {kind = #qtrain.conv_kind<backward_data>, strides = array<i64: 2, 2>, padding = array<i64: 1, 0, 1, 0>}
      : tensor<1x2x2x2xf32>, tensor<2x12x3x3xf32> -> tensor<1x12x4x4xf32>
  return %y, %qx, %dx : tensor<1x2x4x4xf32>, tensor<1x12x4x4xf32>, tensor<1x12x4x4xf32>
}

// -----

// MLS (an f32 tensor scale, then 3-bit group scales): the pairs hold codes
// and group scale codes; each tensor scale, computed by a statistics pass
// and select_scale, is stored beside its pairs and loaded back into an ACC
// entry before the LOADs whose rows record it. GEMM in m8 (1-2-4 elements).
// CHECK-LABEL: accel.program
// CHECK-SAME: name = "paired.0.scale", role = "intermediate", shape = array<i64>, type = f32
// CHECK:      accel.vector {{.*}} op = select_scale, {{.*}} dst_entry = 4080,
// CHECK:      accel.store pop_prev, format = 0, td = 1, layout = paired, {{.*}} dram_addr = 2304,
// CHECK:      accel.store format = 0, td = 2, layout = raw32, {{.*}} dram_addr = 2816, acc_entry = 4080, size_z = 1, size_y = 1, size_x = 1
// CHECK:      accel.load dst = acc, {{.*}} layout = raw32, {{.*}} dram_addr = 2816, chip_row = 4083,
// CHECK:      accel.load dst = sp_weight, format = 3, {{.*}} layout = paired, {{.*}} dram_addr = 2304, chip_row = 0, chip_lane = 0, size_z = 16, size_y = 4, size_x = 4
// CHECK:      accel.gemm {{.*}} mode = m8, {{.*}} m = 2, n = 16, k = 144
func.func @forward_mls(%x: tensor<1x16x4x4xf32>, %w: tensor<2x16x3x3xf32>) -> tensor<1x2x4x4xf32> {
  %qx = qtrain.quantize %x {format = #qtrain.scaled<mls_e2m4>} : tensor<1x16x4x4xf32>
  %qw = qtrain.quantize %w {format = #qtrain.scaled<mls_e2m4>} : tensor<2x16x3x3xf32>
  %y = qtrain.conv2d %qx, %qw {padding = array<i64: 1, 1, 1, 1>}
      : tensor<1x16x4x4xf32>, tensor<2x16x3x3xf32> -> tensor<1x2x4x4xf32>
  return %y : tensor<1x2x4x4xf32>
}
