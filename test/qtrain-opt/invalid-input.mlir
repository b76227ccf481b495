// RUN: not qtrain-opt %s 2>&1 | FileCheck %s

// Malformed IR gives a located error and a non-zero exit, never a crash.
// CHECK: invalid-input.mlir:[[@LINE+2]]:{{[0-9]+}}: error:
func.func @broken(%a: f32) -> f32 {
  %r = arith.addf %a, %undefined : f32
  return %r : f32
}
