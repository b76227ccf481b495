// Stochastic rounding lowered and run. 1.0625 lies halfway between the
// e4m3fn neighbours 1 and 1.125, so every result is one of the two; the
// same seed gives the same bits, another seed other bits. The numbers equal
// the numerics library's (QTrainConversionTests checks every bit).
// RUN: qtrain-opt %s --qtrain-to-llvm | %jit | FileCheck %s

func.func @round(%x: tensor<20xf32>, %seed: i64) -> tensor<20xf32> {
  %q = qtrain.quantize %x seed(%seed) {format = #qtrain.fp<e4m3fn>,
      rounding = #qtrain.rounding<stochastic, bits = 3>} : tensor<20xf32>
  return %q : tensor<20xf32>
}

func.func @lfsr(%x: tensor<20xf32>, %seed: i64) -> tensor<20xf32> {
  %q = qtrain.quantize %x seed(%seed) {format = #qtrain.fp<e4m3fn>,
      rounding = #qtrain.rounding<stochastic, bits = 3, source = lfsr_plateau, width = 3, lanes = 6>} : tensor<20xf32>
  return %q : tensor<20xf32>
}

func.func @main() {
  %x = arith.constant dense<1.0625> : tensor<20xf32>
  %s1 = arith.constant 1 : i64
  %s2 = arith.constant 2 : i64
  %a = call @round(%x, %s1) : (tensor<20xf32>, i64) -> tensor<20xf32>
  %b = call @round(%x, %s1) : (tensor<20xf32>, i64) -> tensor<20xf32>
  %c = call @round(%x, %s2) : (tensor<20xf32>, i64) -> tensor<20xf32>
  %d = call @lfsr(%x, %s1) : (tensor<20xf32>, i64) -> tensor<20xf32>
  %pa = tensor.cast %a : tensor<20xf32> to tensor<*xf32>
  %pb = tensor.cast %b : tensor<20xf32> to tensor<*xf32>
  %pc = tensor.cast %c : tensor<20xf32> to tensor<*xf32>
  %pd = tensor.cast %d : tensor<20xf32> to tensor<*xf32>
  call @printMemrefF32(%pa) : (tensor<*xf32>) -> ()
  call @printMemrefF32(%pb) : (tensor<*xf32>) -> ()
  call @printMemrefF32(%pc) : (tensor<*xf32>) -> ()
  call @printMemrefF32(%pd) : (tensor<*xf32>) -> ()
  return
}
func.func private @printMemrefF32(tensor<*xf32>)

// CHECK: data =
// CHECK-NEXT: [[ROW1:\[(1(\.125)?,? *)+\]]]
// CHECK: data =
// CHECK-NEXT: [[ROW1]]
// CHECK: data =
// CHECK-NOT: [[ROW1]]
// CHECK-NEXT: {{\[(1(\.125)?,? *)+\]}}
// CHECK: data =
// CHECK-NEXT: {{\[(1(\.125)?,? *)+\]}}
