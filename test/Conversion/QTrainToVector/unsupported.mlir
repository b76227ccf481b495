// RUN: qtrain-opt %s --split-input-file --convert-qtrain-to-vector --verify-diagnostics
// RUN: not qtrain-opt %s --split-input-file --convert-qtrain-to-vector="vector-width=-1" 2>&1 | FileCheck %s --check-prefix=WIDTH
// RUN: not qtrain-opt %s --split-input-file --convert-qtrain-to-vector="tile-elements=-1" 2>&1 | FileCheck %s --check-prefix=TILE
// RUN: not qtrain-opt %s --split-input-file --convert-qtrain-to-vector="gemm-rows=-2" 2>&1 | FileCheck %s --check-prefix=ROWS
// RUN: not qtrain-opt %s --split-input-file --qtrain-to-llvm="gemm-tile-bytes=-1" 2>&1 | FileCheck %s --check-prefix=TILE-BYTES
// RUN: not qtrain-opt %s --split-input-file --qtrain-to-llvm="emulated-vectors=-1" 2>&1 | FileCheck %s --check-prefix=EMULATED
// RUN: not qtrain-opt %s --split-input-file --convert-qtrain-to-vector="target-cpu=pentium9" 2>&1 | FileCheck %s --check-prefix=CPU
// RUN: not qtrain-opt %s --split-input-file --convert-qtrain-to-vector="target-features=+avx3" 2>&1 | FileCheck %s --check-prefix=FEATURE
// RUN: not qtrain-opt %s --split-input-file --convert-qtrain-to-vector="target-features=avx2" 2>&1 | FileCheck %s --check-prefix=FEATURE-SIGN
// RUN: not qtrain-opt %s --split-input-file --qtrain-to-llvm="target-cpu=pentium9" 2>&1 | FileCheck %s --check-prefix=CPU

// WIDTH: error: vector-width must be at least 0 (0: from the target), got -1
// TILE: error: tile-elements must not be negative, got -1
// ROWS: error: gemm-rows must be at least 0 (0: from the target), got -2
// TILE-BYTES: error: gemm-tile-bytes must not be negative, got -1
// EMULATED: error: emulated-vectors must be at least 0 (0: from the target), got -1
// CPU: error: unknown target CPU 'pentium9'
// CPU-NOT: not a recognized processor
// FEATURE: error: bad target feature '+avx3': expected +name or -name
// FEATURE-NOT: not a recognized feature
// FEATURE-SIGN: error: bad target feature 'avx2'

// What the CPU lowering does not cover yet fails with the op's location
// (docs/CPULowering.md lists it).
func.func @lfsr_2d_blocks(%x: tensor<8x64xf32>, %seed: i64) -> tensor<8x64xf32> {
  // expected-error @+1 {{failed to legalize operation 'qtrain.quantize'}}
  %q = qtrain.quantize %x seed(%seed) {format = #qtrain.scaled<#qtrain.fp<e4m3fn>, [#qtrain.scale_level<[4, 8], e8m0, shared_exponent>]>, rounding = #qtrain.rounding<stochastic, bits = 3, source = lfsr, width = 3>} : tensor<8x64xf32>
  return %q : tensor<8x64xf32>
}

// -----

func.func @median_lookup_blocks(%x: tensor<64xf32>) -> tensor<64xf32> {
  // expected-error @+1 {{failed to legalize operation 'qtrain.quantize'}}
  %q = qtrain.quantize %x {format = #qtrain.scaled<#qtrain.fp<e5m2>, [#qtrain.scale_level<[32], e8m0, median_lookup, median_exponent = 1>]>} : tensor<64xf32>
  return %q : tensor<64xf32>
}
