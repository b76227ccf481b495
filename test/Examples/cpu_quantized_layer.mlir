// The runnable example of the main job (scripts/run.sh): a quantized layer
// lowered to CPU code and run beside its f32 reference.
// RUN: qtrain-opt %examples/cpu/quantized_layer.mlir --qtrain-to-llvm | %jit | FileCheck %s
// CHECK: data =
// CHECK-NEXT: {{\[}}[24.5,   25.75,   27,   28.5,   29.25,   30.75,   31.5,   32.5],
// CHECK: data =
// CHECK-NEXT: {{\[}}[24.72,   25.92,   27.12,   28.32,   29.52,   30.72,   31.92,   33.12],
