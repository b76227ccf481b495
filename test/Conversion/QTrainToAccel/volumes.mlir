// Blocks over three dimensions that do not merge into a matrix (FlexBlock's
// [1, c, 3, 3] blocks of activations) are volumes: [planes, rows, cols]
// tiled in whole blocks, each tile one 3-D LOAD and STORE.
// RUN: qtrain-opt %s --split-input-file --convert-qtrain-to-accel | FileCheck %s

// [2, 24, 16, 16] with [1, 24, 3, 3] blocks: the batch merges with the
// channels (the blocks cover them), a [48, 16, 16] volume with blocks of
// (24, 3, 3); a tile is a block's 24 planes by one row of blocks (3 rows)
// by all 16 columns, 1152 of an ACC half's 2040 entries; the last row of
// blocks is one row.
// CHECK-LABEL: accel.program
// CHECK:      accel.cfg.block_level entry = 0, present, {{.*}} block_z = 24, block_y = 3, block_x = 3
// CHECK-NEXT: accel.cfg.td_dram td = 0, dram_stride_z = 256, dram_stride_y = 16, dram_stride_x = 1
// CHECK-NEXT: accel.cfg.td_chip td = 0, chip_stride_z = 48, chip_stride_y = 16, chip_stride_x = 1,
// CHECK-NEXT: accel.load push_next, dst = acc, format = 0, td = 0, layout = f32, {{.*}} dram_addr = 0, chip_row = 0, chip_lane = 0, size_z = 24, size_y = 3, size_x = 16
// CHECK-NEXT: accel.vector pop_prev, push_next, op = nop,
// CHECK-NEXT: accel.store pop_prev, push_prev, {{.*}} dram_addr = 49152, acc_entry = 0, size_z = 24, size_y = 3, size_x = 16
// CHECK:      accel.load {{.*}} dram_addr = 960, chip_row = 2040, chip_lane = 0, size_z = 24, size_y = 1, size_x = 16
// The second image's planes start at element 24 * 256.
// CHECK:      accel.load {{.*}} dram_addr = 24576, chip_row = 0, chip_lane = 0, size_z = 24, size_y = 3, size_x = 16
func.func @merged(%x: tensor<2x24x16x16xf32>) -> tensor<2x24x16x16xf32> {
  %q = qtrain.quantize %x {format = #qtrain.scaled<fb12>, rounding = #qtrain.rounding<toward_zero>} : tensor<2x24x16x16xf32>
  return %q : tensor<2x24x16x16xf32>
}

// -----

// [2, 16, 4, 7] with [1, 12, 3, 3] blocks: 16 channels are one block of 12
// and a partial one of 4, so the batch does not merge: two [16, 4, 7]
// volumes, each one tile; stochastic rounding's stream indices step by
// 28 per plane.
// CHECK-LABEL: accel.program
// CHECK:      accel.cfg.block_level entry = 0, present, {{.*}} block_z = 12, block_y = 3, block_x = 3
// CHECK:      accel.cfg.stream index_base = 0, index_stride_z = 28, index_stride_y = 7, index_stride_x = 1
// CHECK:      accel.load {{.*}} dram_addr = 0, chip_row = 0, chip_lane = 0, size_z = 16, size_y = 4, size_x = 7
// CHECK:      accel.cfg.stream index_base = 448, index_stride_z = 28, index_stride_y = 7, index_stride_x = 1
// CHECK:      accel.load {{.*}} dram_addr = 1792, chip_row = 2040, chip_lane = 0, size_z = 16, size_y = 4, size_x = 7
func.func @per_image(%e: tensor<2x16x4x7xf32>, %seed: i64) -> tensor<2x16x4x7xf32> {
  %q = qtrain.quantize %e seed(%seed) {format = #qtrain.scaled<fb16>,
                                       rounding = #qtrain.rounding<stochastic, bits = 4>}
      : tensor<2x16x4x7xf32>
  return %q : tensor<2x16x4x7xf32>
}
