// RUN: qtrain-opt %s --convert-qtrain-to-vector="tile-elements=0 target-cpu=x86-64-v4" --canonicalize --cse | FileCheck %s
// RUN: qtrain-opt %s --convert-qtrain-to-vector="tile-elements=0 target-cpu=x86-64-v3" --canonicalize --cse | FileCheck %s --check-prefix=AVX2
// RUN: qtrain-opt %s --convert-qtrain-to-vector="tile-elements=0 target-cpu=x86-64-v4 target-features=-avx512f" --canonicalize --cse | FileCheck %s --check-prefix=AVX2
// RUN: qtrain-opt %s --convert-qtrain-to-vector="vector-width=4 tile-elements=0" --canonicalize --cse | FileCheck %s --check-prefix=W4
// RUN: qtrain-opt %s --convert-qtrain-to-vector --canonicalize --cse | FileCheck %s --check-prefix=TILE

// By default ops are split into parallel tiles of 65536 elements, each
// writing its slice of the result.
// TILE-LABEL: func.func @quantize
// TILE: %[[EMPTY:.*]] = tensor.empty(%{{.*}}) : tensor<?xf32>
// TILE: %[[TILES:.*]] = arith.ceildivui %{{.*}}, %c65536 : index
// TILE: scf.forall (%[[T:.*]]) in (%[[TILES]]) shared_outs(%[[OUT:.*]] = %[[EMPTY]])
// TILE:   %[[SLICE:.*]] = tensor.extract_slice %[[OUT]]
// TILE:   scf.for {{.*}} iter_args(%{{.*}} = %[[SLICE]])
// TILE:   scf.forall.in_parallel
// TILE:     tensor.parallel_insert_slice %{{.*}} into %[[OUT]]

// The vector width is one register of f32 on the target: 8 lanes with AVX2
// (x86-64-v3, or AVX-512 turned off), 16 with AVX-512 (x86-64-v4).
// AVX2-LABEL: func.func @quantize
// AVX2: vector.transfer_read %{{.*}} : tensor<?xf32>, vector<8xf32>
// AVX2-NOT: vector<16xf32>
// AVX2-LABEL: func.func @

// The tensor is flattened, the loop reads and writes 16 lanes at a time on
// tensors (one-shot bufferization then writes in place), one masked tail
// chunk follows, and the result gets the operand's shape back. Nearest-even
// e4m3fn takes the fast path: an integer rounding of the f32 bits and, for
// the small range, a hardware add of 2^(emin - m + 23); no significand split
// (no count of leading zeros).
// CHECK-LABEL: func.func @quantize
// CHECK: %[[FLAT:.*]] = tensor.collapse_shape %{{.*}} {{\[\[}}0, 1]] : tensor<?x8xf32> into tensor<?xf32>
// CHECK: %[[EMPTY:.*]] = tensor.empty(%{{.*}}) : tensor<?xf32>
// CHECK: %[[FULL:.*]] = scf.for {{.*}} iter_args(%[[ACC:.*]] = %[[EMPTY]])
// CHECK:   vector.transfer_read %[[FLAT]]{{.*}} : tensor<?xf32>, vector<16xf32>
// CHECK-NOT: math.ctlz
// CHECK:   arith.addf %{{.*}}, %{{.*}} : vector<16xf32>
// CHECK-NOT: math.ctlz
// CHECK:   vector.transfer_write %{{.*}}, %[[ACC]]{{.*}} : vector<16xf32>, tensor<?xf32>
// CHECK: %[[TAIL:.*]] = scf.if
// CHECK:   %[[MASK:.*]] = vector.create_mask %{{.*}} : vector<16xi1>
// CHECK:   vector.transfer_read %[[FLAT]]{{.*}}, %[[MASK]]
// CHECK:   vector.transfer_write %{{.*}}, %[[FULL]]{{.*}}, %[[MASK]]
// CHECK: tensor.expand_shape %[[TAIL]] {{\[\[}}0, 1]] output_shape [%{{.*}}, 8] : tensor<?xf32> into tensor<?x8xf32>
// W4-LABEL: func.func @quantize
// W4: vector.transfer_read {{.*}} : tensor<?xf32>, vector<4xf32>
func.func @quantize(%x: tensor<?x8xf32>) -> tensor<?x8xf32> {
  %q = qtrain.quantize %x {format = #qtrain.fp<e4m3fn>} : tensor<?x8xf32>
  return %q : tensor<?x8xf32>
}

// Codes of a power-of-two byte width are stored as vectors.
// CHECK-LABEL: func.func @encode
// CHECK: arith.trunci %{{.*}} : vector<16xi32> to vector<16xi8>
// CHECK: arith.bitcast %{{.*}} : vector<16xi8> to vector<16xf8E4M3FN>
// CHECK: vector.transfer_write %{{.*}} : vector<16xf8E4M3FN>, tensor<64xf8E4M3FN>
func.func @encode(%x: tensor<64xf32>) -> tensor<64xf8E4M3FN> {
  %c = qtrain.encode %x {format = #qtrain.fp<e4m3fn>} : tensor<64xf32> -> tensor<64xf8E4M3FN>
  return %c : tensor<64xf8E4M3FN>
}

// i4 codes take a byte each in memory but are packed in LLVM vectors: the
// element code is scalar.
// CHECK-LABEL: func.func @subbyte
// CHECK-NOT: vector.transfer_read
// CHECK: tensor.extract %{{.*}} : tensor<64xf32>
// CHECK: tensor.insert %{{.*}} : tensor<64xi4>
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
