// linalg.generic and linalg.fill on the vector unit: inputs loaded as raw
// 32 bits, one VECTOR per body op over views (a broadcast is a zero
// stride), a copy into the output tile, a STORE; a reduction runs its body
// once per reduced position on that slice, in order; a constant fill that
// only initializes a generic becomes a VECTOR fill of the output tile.
// RUN: qtrain-opt %s --split-input-file --convert-qtrain-to-accel | FileCheck %s
// RUN: qtrain-opt %s --split-input-file --convert-qtrain-to-accel | FileCheck %s --check-prefix=ACC

// The bias (a row vector) is loaded once and read through a view with a
// zero stride along the rows.
// The output tile comes first in the ACC half (entries 0..39).
// CHECK:      accel.load dst = acc, {{.*}} layout = raw32, {{.*}} dram_addr = 0, chip_row = 40, chip_lane = 0, size_z = 1, size_y = 4, size_x = 10
// CHECK:      accel.load push_next, dst = acc, {{.*}} layout = raw32, {{.*}} dram_addr = 192, chip_row = 80, chip_lane = 0, size_z = 1, size_y = 1, size_x = 10
// CHECK:      accel.cfg.view view = 2, size_z = 1, stride_z = 0, size_y = 4, stride_y = 0, size_x = 10, stride_x = 1
// CHECK-NEXT: accel.vector pop_prev, op = addf, {{.*}} src1_view = 1, src1_entry = 40, src2_view = 2, src2_entry = 80,
// The constant operand is the immediate.
// CHECK-NEXT: accel.vector op = maximumf, {{.*}} src2_imm, {{.*}} imm = 0x00000000
// CHECK-NEXT: accel.vector push_next, op = copy,
// CHECK-NEXT: accel.store pop_prev, push_prev, {{.*}} layout = raw32, {{.*}} dram_addr = 320, acc_entry = 0, size_z = 1, size_y = 4, size_x = 10
// The fill initializes the reduction's output tile.
// CHECK:      accel.vector op = fill, {{.*}} src2_imm, {{.*}} imm = 0xff800000
// The second generic reads the first one's result from DRAM: the store
// queue's token reaches the load queue through a nop.
// CHECK-NEXT: accel.vector pop_next, push_prev, op = nop,
// CHECK-NEXT: accel.load pop_next, dst = acc, {{.*}} dram_addr = 320,
// The first reduced position: linalg.index 1 is the slice's offset.
// CHECK:      accel.cfg.view view = 4, size_z = 1, stride_z = 4, size_y = 4, stride_y = 1, size_x = 1, stride_x = 1
// CHECK-NEXT: accel.vector pop_prev, op = index, {{.*}} aux = 2, src2_imm, {{.*}} imm = 0x00000000
// CHECK:      accel.vector op = cmpi, {{.*}} aux = 0,
// CHECK:      accel.vector op = maximumf,
// select(c, a, b): dst := b, then dst = c ? a : dst.
// CHECK-NEXT: accel.vector op = copy,
// CHECK-NEXT: accel.vector op = select,
// CHECK-NEXT: accel.vector op = copy,
// CHECK-NEXT: accel.vector op = index, {{.*}} imm = 0x00000001
// CHECK-COUNT-8: accel.vector op = index,
// CHECK:      accel.store pop_prev, {{.*}} size_z = 1, size_y = 1, size_x = 4
// CHECK-NEXT: accel.finish
#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d1)>
#red = affine_map<(d0, d1) -> (d0)>
func.func @softmaxish(%x: tensor<4x10xf32>, %b: tensor<10xf32>, %l: tensor<4xi32>) -> (tensor<4x10xf32>, tensor<4xf32>) {
  %c0 = arith.constant 0.0 : f32
  %ninf = arith.constant 0xFF800000 : f32
  %e = tensor.empty() : tensor<4x10xf32>
  %y = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel"]} ins(%x, %b : tensor<4x10xf32>, tensor<10xf32>) outs(%e : tensor<4x10xf32>) {
  ^bb0(%in: f32, %bias: f32, %out: f32):
    %s = arith.addf %in, %bias : f32
    %r = arith.maximumf %s, %c0 : f32
    linalg.yield %r : f32
  } -> tensor<4x10xf32>
  %e4 = tensor.empty() : tensor<4xf32>
  %f = linalg.fill ins(%ninf : f32) outs(%e4 : tensor<4xf32>) -> tensor<4xf32>
  %m = linalg.generic {indexing_maps = [#id, #red, #red], iterator_types = ["parallel", "reduction"]} ins(%y, %l : tensor<4x10xf32>, tensor<4xi32>) outs(%f : tensor<4xf32>) {
  ^bb0(%in: f32, %lab: i32, %out: f32):
    %i = linalg.index 1 : index
    %ii = arith.index_cast %i : index to i32
    %eq = arith.cmpi eq, %ii, %lab : i32
    %mx = arith.maximumf %out, %in : f32
    %r = arith.select %eq, %mx, %out : f32
    linalg.yield %r : f32
  } -> tensor<4xf32>
  return %y, %m : tensor<4x10xf32>, tensor<4xf32>
}

// -----

// A sum over the batch ([reduction, parallel]): the body's last op combines
// the output with a value that does not depend on it, so it is one
// accumulating VECTOR over the whole tile, output strides 0 along the
// reduced loop.
// ACC-LABEL: accel.function = "column_sum"
// ACC: accel.cfg.view view = [[OUT:[0-9]+]], size_z = 1, stride_z = 0, size_y = 6, stride_y = 0, size_x = 5, stride_x = 1
// ACC: accel.vector {{.*}}op = addf, {{.*}} accumulate, swap, dst_view = [[OUT]],
// ACC-NOT: accel.vector {{.*}} op = copy
// ACC: accel.store
#in = affine_map<(d0, d1) -> (d0, d1)>
#col = affine_map<(d0, d1) -> (d1)>
func.func @column_sum(%x: tensor<6x5xf32>) -> tensor<5xf32> {
  %c0 = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<5xf32>
  %f = linalg.fill ins(%c0 : f32) outs(%e : tensor<5xf32>) -> tensor<5xf32>
  %s = linalg.generic {indexing_maps = [#in, #col], iterator_types = ["reduction", "parallel"]} ins(%x : tensor<6x5xf32>) outs(%f : tensor<5xf32>) {
  ^bb0(%in: f32, %out: f32):
    %r = arith.addf %in, %out : f32
    linalg.yield %r : f32
  } -> tensor<5xf32>
  return %s : tensor<5xf32>
}

// -----

// An i1 result: one 32-bit word per element (1 or 0, as the compare wrote
// it), stored raw.
// CHECK: {address = 64 : i64, bytes = 16 : i64, name = "result0", role = "output", shape = array<i64: 4>, type = i1}], accel.function = "i1_result"
// CHECK: accel.vector {{.*}}op = cmpf, {{.*}}aux = 2, src2_imm
// CHECK: accel.store {{.*}}layout = raw32, {{.*}}dram_addr = 64,
#pos = affine_map<(d0) -> (d0)>
func.func @i1_result(%x: tensor<4xf32>) -> tensor<4xi1> {
  %c0 = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4xi1>
  %p = linalg.generic {indexing_maps = [#pos, #pos], iterator_types = ["parallel"]} ins(%x : tensor<4xf32>) outs(%e : tensor<4xi1>) {
  ^bb0(%in: f32, %out: i1):
    %b = arith.cmpf ogt, %in, %c0 : f32
    linalg.yield %b : i1
  } -> tensor<4xi1>
  return %p : tensor<4xi1>
}
