// RUN: qtrain-opt %s --convert-qtrain-to-vector --canonicalize --cse | FileCheck %s
// RUN: qtrain-opt %s --convert-qtrain-to-vector="vector-width=4" --canonicalize --cse | FileCheck %s --check-prefix=W4

// The operand enters through to_buffer, the flat loop works on 16 lanes
// with one masked tail, the result leaves through to_tensor restrict.
// CHECK-LABEL: func.func @quantize
// CHECK: %[[IN:.*]] = bufferization.to_buffer %{{.*}} read_only : tensor<?x8xf32> to memref<?x8xf32>
// CHECK: %[[OUT:.*]] = memref.alloc(%{{.*}}) : memref<?x8xf32>
// CHECK: scf.for
// CHECK:   vector.load %{{.*}} : memref<?xf32>, vector<16xf32>
// CHECK:   math.ctlz %{{.*}} : vector<16xi32>
// CHECK:   vector.store %{{.*}} : memref<?xf32>, vector<16xf32>
// CHECK: scf.if
// CHECK:   vector.create_mask %{{.*}} : vector<16xi1>
// CHECK:   vector.maskedload
// CHECK:   vector.maskedstore
// CHECK: bufferization.to_tensor %[[OUT]] restrict writable : memref<?x8xf32> to tensor<?x8xf32>
// W4-LABEL: func.func @quantize
// W4: vector.load %{{.*}} : memref<?xf32>, vector<4xf32>
func.func @quantize(%x: tensor<?x8xf32>) -> tensor<?x8xf32> {
  %q = qtrain.quantize %x {format = #qtrain.fp<e4m3fn>} : tensor<?x8xf32>
  return %q : tensor<?x8xf32>
}

// Codes of a power-of-two byte width are stored as vectors.
// CHECK-LABEL: func.func @encode
// CHECK: arith.trunci %{{.*}} : vector<16xi32> to vector<16xi8>
// CHECK: arith.bitcast %{{.*}} : vector<16xi8> to vector<16xf8E4M3FN>
// CHECK: vector.store %{{.*}} : memref<64xf8E4M3FN{{.*}}>, vector<16xf8E4M3FN>
func.func @encode(%x: tensor<64xf32>) -> tensor<64xf8E4M3FN> {
  %c = qtrain.encode %x {format = #qtrain.fp<e4m3fn>} : tensor<64xf32> -> tensor<64xf8E4M3FN>
  return %c : tensor<64xf8E4M3FN>
}

// i4 codes take a byte each in memory but are packed in LLVM vectors: the
// element code is scalar.
// CHECK-LABEL: func.func @subbyte
// CHECK-NOT: vector.load
// CHECK: memref.load %{{.*}} : memref<64xf32{{.*}}>
// CHECK: memref.store %{{.*}} : memref<64xi4{{.*}}>
func.func @subbyte(%x: tensor<64xf32>) -> tensor<64xi4> {
  %c = qtrain.encode %x {format = #qtrain.fp<e2m1fn>} : tensor<64xf32> -> tensor<64xi4>
  return %c : tensor<64xi4>
}

// Stochastic rounding with an LFSR walks rows of `lanes` stream indices
// and keeps the lane states in a stack buffer.
// CHECK-LABEL: func.func @lfsr
// CHECK: memref.alloca() : memref<16xi32>
// CHECK: scf.for
// CHECK:   scf.for
// CHECK:     vector.load %{{.*}} : memref<16xi32>, vector<16xi32>
// CHECK:     vector.store %{{.*}} : memref<16xi32>, vector<16xi32>
func.func @lfsr(%x: tensor<100xf32>, %seed: i64) -> tensor<100xf32> {
  %q = qtrain.quantize %x seed(%seed) {format = #qtrain.fp<e4m3fn>,
      rounding = #qtrain.rounding<stochastic, bits = 3, source = lfsr, width = 3>} : tensor<100xf32>
  return %q : tensor<100xf32>
}
