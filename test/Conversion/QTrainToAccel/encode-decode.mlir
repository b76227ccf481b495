// qtrain.encode and qtrain.decode: the codes layout in DRAM (cw(F) bits per
// code, 4-bit codes two per byte) with the block scales in a scale array
// the cfg.scales register points at, row-major over the block grid; and
// the matrix views of blocks over more dimensions, which qtrain.quantize
// through the ACC shares.
// RUN: qtrain-opt %s --split-input-file --qtrain-to-accel | FileCheck %s

// The encode is a raw LOAD into the ACC and a STORE that converts; the
// decode a LOAD that converts back and a raw STORE. The 4 x 48 codes take
// 96 bytes, the 4 x 2 scales 8.
// CHECK-LABEL: accel.program
// CHECK-SAME: {address = 768 : i64, bytes = 96 : i64, name = "result0", role = "output", shape = array<i64: 4, 48>, type = f4E2M1FN}
// CHECK-SAME: {address = 896 : i64, bytes = 8 : i64, name = "result1", role = "output", shape = array<i64: 4, 2>, type = f8E8M0FNU}
// CHECK:      accel.cfg.block_level entry = 0, present, scale_kind = pow2, {{.*}} block_x = 32
// CHECK:      accel.load push_next, dst = acc, {{.*}} layout = raw32, {{.*}} dram_addr = 0, chip_row = 0, {{.*}} size_y = 4, size_x = 48
// CHECK-NEXT: accel.cfg.scales scale_addr = 896, scale_stride_z = 0, scale_stride_y = 2, scale_stride_x = 1
// CHECK:      accel.store pop_prev, push_prev, format = 0, td = 0, layout = codes, {{.*}} dram_addr = 768, acc_entry = 0,
// CHECK:      accel.load pop_next, push_next, dst = acc, format = 0, td = 0, layout = codes, {{.*}} dram_addr = 768, chip_row = 2040,
// CHECK:      accel.store pop_prev, {{.*}} layout = raw32, {{.*}} dram_addr = 960, acc_entry = 2040,
func.func @roundtrip(%x: tensor<4x48xf32>) -> (tensor<4x48xf4E2M1FN>, tensor<4x2xf8E8M0FNU>, tensor<4x48xf32>) {
  %c, %s = qtrain.encode %x {format = #qtrain.scaled<mxfp4_e2m1>}
      : tensor<4x48xf32> -> tensor<4x48xf4E2M1FN>, tensor<4x2xf8E8M0FNU>
  %d = qtrain.decode %c, %s {format = #qtrain.scaled<mxfp4_e2m1>}
      : tensor<4x48xf4E2M1FN>, tensor<4x2xf8E8M0FNU> -> tensor<4x48xf32>
  return %c, %s, %d : tensor<4x48xf4E2M1FN>, tensor<4x2xf8E8M0FNU>, tensor<4x48xf32>
}

// -----

// Blocks of 32 rows: a row of blocks (32 x 256) does not fit an ACC half
// (2040 entries), so tiles are 32 rows by 63 columns (whole blocks of one
// column), and each tile's scale array starts at its first block.
// CHECK-LABEL: accel.program
// CHECK:      accel.cfg.td_chip td = 0, chip_stride_z = 0, chip_stride_y = 63,
// CHECK:      accel.load {{.*}} layout = raw32, {{.*}} dram_addr = 0, chip_row = 0, {{.*}} size_y = 32, size_x = 63
// CHECK:      accel.cfg.scales scale_addr = 81920, scale_stride_z = 0, scale_stride_y = 256, scale_stride_x = 1
// CHECK:      accel.store {{.*}} layout = codes, {{.*}} dram_addr = 65536, acc_entry = 0, size_z = 1, size_y = 32, size_x = 63
// CHECK:      accel.load {{.*}} layout = raw32, {{.*}} dram_addr = 252, chip_row = 2040, {{.*}} size_y = 32, size_x = 63
// CHECK:      accel.cfg.scales scale_addr = 81983,
// CHECK:      accel.store {{.*}} layout = codes, {{.*}} dram_addr = 65599, acc_entry = 2040,
func.func @column_blocks(%w: tensor<64x256xf32>) -> (tensor<64x256xf8E4M3FN>, tensor<2x256xf8E8M0FNU>) {
  %c, %s = qtrain.encode %w {format = #qtrain.scaled<#qtrain.fp<e4m3fn, overflow = saturate>, [#qtrain.scale_level<[32, 1], e8m0, shared_exponent>]>}
      : tensor<64x256xf32> -> tensor<64x256xf8E4M3FN>, tensor<2x256xf8E8M0FNU>
  return %c, %s : tensor<64x256xf8E4M3FN>, tensor<2x256xf8E8M0FNU>
}

// -----

// FlexBlock blocks [24, 3, 3] of a [2, 48, 3, 3] tensor: blocks cover the
// trailing 3 x 3 whole (a run of 9), then the 48 x 9 rows whole in runs of
// 216, so the view is [2, 432] with blocks of 216 along the rows, and the
// block grid [2, 2, 1, 1] is two scales per row.
// CHECK-LABEL: accel.program
// CHECK-SAME: name = "result0", role = "output", shape = array<i64: 2, 48, 3, 3>, type = i5}
// CHECK:      accel.cfg.block_level entry = 0, present, {{.*}} block_z = 1, block_y = 1, block_x = 216
// CHECK:      accel.load {{.*}} layout = raw32, {{.*}} size_z = 1, size_y = 2, size_x = 432
// CHECK:      accel.cfg.scales scale_addr = 4352, scale_stride_z = 0, scale_stride_y = 2, scale_stride_x = 1
// CHECK:      accel.store {{.*}} layout = codes, {{.*}} dram_addr = 3456, acc_entry = 0, size_z = 1, size_y = 2, size_x = 432
func.func @runs(%w: tensor<2x48x3x3xf32>) -> (tensor<2x48x3x3xi5>, tensor<2x2x1x1xf8E8M0FNU>) {
  %c, %s = qtrain.encode %w {format = #qtrain.scaled<fb12>, rounding = #qtrain.rounding<toward_zero>}
      : tensor<2x48x3x3xf32> -> tensor<2x48x3x3xi5>, tensor<2x2x1x1xf8E8M0FNU>
  return %c, %s : tensor<2x48x3x3xi5>, tensor<2x2x1x1xf8E8M0FNU>
}

// -----

// MLS channel groups [1, 16, 1, 1] of an [8, 16, 32, 32] tensor: the
// spatial dimensions merge (blocks are one element there), then batch and
// channels (blocks cover the channels): a [128, 1024] matrix with blocks of
// 16 rows, too tall for a row of blocks per ACC half, so tiles are 16 rows
// by 127 columns.
// CHECK-LABEL: accel.program
// CHECK:      accel.cfg.block_level entry = 0, present, {{.*}} block_z = 1, block_y = 16, block_x = 1
// CHECK:      accel.load {{.*}} layout = f32, {{.*}} size_z = 1, size_y = 16, size_x = 127
func.func @channel_groups(%x: tensor<8x16x32x32xf32>) -> tensor<8x16x32x32xf32> {
  %q = qtrain.quantize %x {format = #qtrain.scaled<#qtrain.fp<mls_e2m4>, [
           #qtrain.scale_level<[1, 16, 1, 1], pow2<3, 7>, amax_to_max>]>}
      : tensor<8x16x32x32xf32>
  return %q : tensor<8x16x32x32xf32>
}
