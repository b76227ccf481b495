// Parallel GEMM tiles: about gemm-tile-bytes of A's rows each (static K),
// whole register blocks (6 rows for x86-64-v3's f32 chains), at most a
// quarter of the rows; gemm-tile-bytes=0 keeps the fork-join size.
// RUN: qtrain-opt %s --split-input-file --convert-qtrain-to-vector="target-cpu=x86-64-v3" --canonicalize | FileCheck %s --check-prefix=DEFAULT
// RUN: qtrain-opt %s --split-input-file --convert-qtrain-to-vector="target-cpu=x86-64-v3 gemm-tile-bytes=65536" --canonicalize | FileCheck %s --check-prefix=SMALL
// RUN: qtrain-opt %s --split-input-file --convert-qtrain-to-vector="target-cpu=x86-64-v3 gemm-tile-bytes=0" --canonicalize | FileCheck %s --check-prefix=OFF

// 256 KiB / 4 KiB rows = 64 rows -> 60: 18 tiles; 64 KiB -> 16 -> 12: 86
// tiles; fork-join size only: one block of 6 rows, 171 tiles. (The first
// forall packs B.)
// DEFAULT-LABEL: func.func @square
// DEFAULT: scf.forall (%{{.*}}) in (64)
// DEFAULT: scf.forall (%{{.*}}) in (18)
// SMALL-LABEL: func.func @square
// SMALL: scf.forall (%{{.*}}) in (64)
// SMALL: scf.forall (%{{.*}}) in (86)
// OFF-LABEL: func.func @square
// OFF: scf.forall (%{{.*}}) in (64)
// OFF: scf.forall (%{{.*}}) in (171)
func.func @square(%a: tensor<1024x1024xf32>, %b: tensor<1024x1024xf32>) -> tensor<1024x1024xf32> {
  %y = qtrain.matmul %a, %b : tensor<1024x1024xf32>, tensor<1024x1024xf32> -> tensor<1024x1024xf32>
  return %y : tensor<1024x1024xf32>
}

// -----

// 64 rows: a quarter is 16 -> 12 rows, 6 tiles, whatever the bytes allow.
// DEFAULT-LABEL: func.func @few_rows
// DEFAULT: scf.forall (%{{.*}}) in (16)
// DEFAULT: scf.forall (%{{.*}}) in (6)
func.func @few_rows(%a: tensor<64x1024xf32>, %b: tensor<1024x256xf32>) -> tensor<64x256xf32> {
  %y = qtrain.matmul %a, %b : tensor<64x1024xf32>, tensor<1024x256xf32> -> tensor<64x256xf32>
  return %y : tensor<64x256xf32>
}
