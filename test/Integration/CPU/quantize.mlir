// quantize lowered by qtrain-to-llvm and run: every special input, rounding
// ties, overflow and subnormals of e4m3fn, with a tail after 16 lanes.
// RUN: qtrain-opt %s --qtrain-to-llvm | %jit | FileCheck %s
// RUN: qtrain-opt %s --qtrain-to-llvm="vector-width=4" | %jit | FileCheck %s
// Parallel tiles of 16 elements on OpenMP threads give the same bits.
// RUN: qtrain-opt %s --qtrain-to-llvm="tile-elements=4" | %jit | FileCheck %s

func.func @main() {
  // 1.0625 is a tie between 1 and 1.125 (even: 1); 1.1875 ties to 1.25;
  // 464 ties between 448 and the NaN position (stays 448), 465 overflows to
  // NaN; 0.0009765625 = 2^-10 ties between 0 and 2^-9 (even: 0).
  %x = arith.constant dense<[1.0, 1.0625, 1.1875, -3.3, 448.0, 464.0, 465.0,
      0.0009765625, 0.0029296875, -0.0, 0.0, 0x7F800000, 0xFF800000,
      0x7FC00000, 1.0e-30, 100.0, 240.0, -17.5]> : tensor<18xf32>
  %q = qtrain.quantize %x {format = #qtrain.fp<e4m3fn>} : tensor<18xf32>
  %u = tensor.cast %q : tensor<18xf32> to tensor<*xf32>
  call @printMemrefF32(%u) : (tensor<*xf32>) -> ()
  // CHECK: [1,  1,  1.25,  -3.25,  448,  448,  nan,  0,  0.00390625,  -0,  0,  nan,  -nan,  nan,  0,  96,  240,  -18]

  // Toward zero and saturation: overflow gives the largest finite value.
  %t = qtrain.quantize %x {format = #qtrain.fp<e4m3fn, overflow = saturate>,
      rounding = #qtrain.rounding<toward_zero>} : tensor<18xf32>
  %tu = tensor.cast %t : tensor<18xf32> to tensor<*xf32>
  call @printMemrefF32(%tu) : (tensor<*xf32>) -> ()
  // CHECK: [1,  1,  1.125,  -3.25,  448,  448,  448,  0,  0.00195312,  -0,  0,  448,  -448,  nan,  0,  96,  240,  -16]
  return
}
func.func private @printMemrefF32(tensor<*xf32>)
