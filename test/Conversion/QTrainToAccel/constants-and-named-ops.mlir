// Splat tensor constants, i1 tensors between generics, and linalg.matmul
// on the vector unit.
// RUN: qtrain-opt %s --split-input-file --qtrain-to-accel | FileCheck %s

// A splat constant is a DRAM buffer filled by VECTOR fills and STOREs, as
// many rows of its last dimension per ACC half as fit (15 rows of 128 of
// the 2040 entries), the last tile shorter. The compare's i1 result is an
// intermediate of one 32-bit word per element (64 x 128 x 4 bytes).
// CHECK-LABEL: accel.program
// CHECK-SAME: {address = 65536 : i64, bytes = 32768 : i64, name = "const.0", role = "intermediate", shape = array<i64: 64, 128>, type = f32}
// CHECK-SAME: {address = 98304 : i64, bytes = 32768 : i64, name = "generic.1", role = "intermediate", shape = array<i64: 64, 128>, type = i1}
// CHECK:      accel.vector push_next, op = fill, {{.*}} imm = 0x3f000000
// CHECK:      accel.store {{.*}} dram_addr = 65536, acc_entry = 0, size_z = 1, size_y = 15, size_x = 128
// CHECK:      accel.store {{.*}} dram_addr = 73216, acc_entry = 2040, size_z = 1, size_y = 15, size_x = 128
// CHECK:      accel.store {{.*}} dram_addr = 96256, acc_entry = 0, size_z = 1, size_y = 4, size_x = 128
// CHECK:      accel.vector pop_prev, op = cmpf, {{.*}} aux = 2,
// CHECK:      accel.store {{.*}} dram_addr = 98304,
// CHECK:      accel.vector {{.*}}op = select,
func.func @constant(%x: tensor<64x128xf32>) -> tensor<64x128xf32> {
  %half = arith.constant dense<0.5> : tensor<64x128xf32>
  %pos = arith.cmpf ogt, %x, %half : tensor<64x128xf32>
  %r = arith.select %pos, %x, %half : tensor<64x128xi1>, tensor<64x128xf32>
  return %r : tensor<64x128xf32>
}

// -----

// linalg.matmul is the generic it names: a product rounded to f32, then an
// accumulating add per reduced position, as its CPU lowering computes.
// CHECK-LABEL: accel.program
// CHECK:      accel.vector push_prev, op = fill, {{.*}} imm = 0x00000000
// A over (i, j, k) with a zero stride along j, B with one along i.
// CHECK:      accel.cfg.view view = 1, size_z = 4, stride_z = 32, size_y = 4, stride_y = 8, size_x = 8, stride_x = 1
// CHECK-NEXT: accel.cfg.view view = 2, size_z = 4, stride_z = 8, size_y = 4, stride_y = 0, size_x = 8, stride_x = 1
// CHECK-NEXT: accel.cfg.view view = 3, size_z = 4, stride_z = 0, size_y = 4, stride_y = 1, size_x = 8, stride_x = 4
// CHECK-NEXT: accel.vector pop_prev, op = mulf,
// CHECK:      accel.vector push_next, op = addf, {{.*}} accumulate,
// CHECK:      accel.store pop_prev, {{.*}} size_z = 1, size_y = 4, size_x = 4
// CHECK-NOT:  accel.gemm
func.func @matmul(%a: tensor<4x8xf32>, %w: tensor<8x4xf32>) -> tensor<4x4xf32> {
  %zero = arith.constant 0.0 : f32
  %init = tensor.empty() : tensor<4x4xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%init : tensor<4x4xf32>) -> tensor<4x4xf32>
  %y = linalg.matmul ins(%a, %w : tensor<4x8xf32>, tensor<8x4xf32>) outs(%acc : tensor<4x4xf32>) -> tensor<4x4xf32>
  return %y : tensor<4x4xf32>
}
