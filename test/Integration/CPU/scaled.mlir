// Scaled formats lowered and run: MX blocks with a partial tail block, a
// NaN block and an all-zero block; encode/decode with E8M0 scale codes;
// FlexBlock truncation; MLS's two levels.
// RUN: qtrain-opt %s --qtrain-to-llvm | %jit | FileCheck %s

func.func @main() {
  %x = arith.constant dense<[[1.0, -2.5, 0.3, 7.0, 100.0, 0.001, 3.0],
                             [0.0, -0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
                             [1.0, 2.0, 0x7FC00000, 1.0, 2.0, 3.0, 4.0]]> : tensor<3x7xf32>
  // Blocks of 4 along rows: [0, 4) and the tail [4, 7).
  %q = qtrain.quantize %x {format = #qtrain.scaled<#qtrain.fp<e4m3fn, overflow = saturate>, [#qtrain.scale_level<[4], e8m0, shared_exponent>]>} : tensor<3x7xf32>
  %pq = tensor.cast %q : tensor<3x7xf32> to tensor<*xf32>
  call @printMemrefF32(%pq) : (tensor<*xf32>) -> ()
  // CHECK:      [1,   -2.5,   0.3125,   7,   96,   0.000976562,   3],
  // CHECK-NEXT: [0,   -0,   0,   0,   0,   0,   0],
  // CHECK-NEXT: [nan,   nan,   nan,   nan,   2,   3,   4]]

  // MXFP8: one E8M0 code per 32 elements (here one per row): 2^(6 - 8)
  // for the first row (amax 100, emax 8: code 125), 2^-127 for the zeros
  // (code 0), NaN for the row with a NaN (code 255).
  %c, %s = qtrain.encode %x {format = #qtrain.scaled<mxfp8_e4m3>} : tensor<3x7xf32> -> tensor<3x7xf8E4M3FN>, tensor<3x1xf8E8M0FNU>
  %sb = arith.bitcast %s : tensor<3x1xf8E8M0FNU> to tensor<3x1xi8>
  %si = arith.extui %sb : tensor<3x1xi8> to tensor<3x1xi32>
  %ps = tensor.cast %si : tensor<3x1xi32> to tensor<*xi32>
  call @printMemrefI32(%ps) : (tensor<*xi32>) -> ()
  // CHECK:      [125],
  // CHECK-NEXT: [0],
  // CHECK-NEXT: [255]]
  %d = qtrain.decode %c, %s {format = #qtrain.scaled<mxfp8_e4m3>} : tensor<3x7xf8E4M3FN>, tensor<3x1xf8E8M0FNU> -> tensor<3x7xf32>
  %pd = tensor.cast %d : tensor<3x7xf32> to tensor<*xf32>
  call @printMemrefF32(%pd) : (tensor<*xf32>) -> ()
  // CHECK:      [1,   -2.5,   0.3125,   7,   96,   0.000976562,   3],
  // CHECK-NEXT: [0,   -0,   0,   0,   0,   0,   0],
  // CHECK-NEXT: [nan,   nan,   nan,   nan,   nan,   nan,   nan]]

  // FlexBlock FB12 on a [1, 2, 3, 3] tensor: one block, truncated to
  // multiples of 2^(M - 3) = 0.5 with M = floorLog2(amax) = 2 (a
  // sign-magnitude zero decodes to +0).
  %w = arith.constant dense<[[[[4.9, 0.7, -0.3], [1.26, 2.75, -3.9], [0.1, 0.0, 1.0]],
                              [[7.99, -7.99, 0.49], [0.51, -0.51, 2.2], [3.3, 1.5, -1.0]]]]> : tensor<1x2x3x3xf32>
  %fb = qtrain.quantize %w {format = #qtrain.scaled<fb12>} : tensor<1x2x3x3xf32>
  %pf = tensor.cast %fb : tensor<1x2x3x3xf32> to tensor<*xf32>
  call @printMemrefF32(%pf) : (tensor<*xf32>) -> ()
  // CHECK:      {{\[}}[4.5,   0.5,   0],
  // CHECK-NEXT:     [1,   2.5,   -3.5],
  // CHECK-NEXT:     [0,   0,   1]],
  // CHECK-NEXT:    {{\[}}[7.5,   -7.5,   0],
  // CHECK-NEXT:     [0.5,   -0.5,   2],
  // CHECK-NEXT:     [3,   1.5,   -1]]]]
  return
}
func.func private @printMemrefF32(tensor<*xf32>)
func.func private @printMemrefI32(tensor<*xi32>)
