// encode and decode lowered and run: builtin small-float and sub-byte code
// types, fixed point, bf16 inputs, dynamic rank-2 shapes, rank 0 and an
// empty tensor.
// RUN: qtrain-opt %s --qtrain-to-llvm | %jit | FileCheck %s

func.func @main() {
  %x = arith.constant dense<[[1.0, -2.5, 0.3, 7.0, 100.0], [0.0, -0.0, 0x7FC00000, 0x7F800000, -1.0e-3]]> : tensor<2x5xf32>
  %xd = tensor.cast %x : tensor<2x5xf32> to tensor<?x?xf32>

  // e4m3fn codes in the builtin f8E4M3FN type, and back.
  %c8 = qtrain.encode %xd {format = #qtrain.fp<e4m3fn>} : tensor<?x?xf32> -> tensor<?x?xf8E4M3FN>
  %b8 = arith.bitcast %c8 : tensor<?x?xf8E4M3FN> to tensor<?x?xi8>
  %i8 = arith.extui %b8 : tensor<?x?xi8> to tensor<?x?xi32>
  %p8 = tensor.cast %i8 : tensor<?x?xi32> to tensor<*xi32>
  call @printMemrefI32(%p8) : (tensor<*xi32>) -> ()
  // CHECK:      [56,   194,   42,   78,   108],
  // CHECK-NEXT: [0,   128,   127,   127,   129]
  %d8 = qtrain.decode %c8 {format = #qtrain.fp<e4m3fn>} : tensor<?x?xf8E4M3FN> -> tensor<?x?xf32>
  %q8 = tensor.cast %d8 : tensor<?x?xf32> to tensor<*xf32>
  call @printMemrefF32(%q8) : (tensor<*xf32>) -> ()
  // CHECK:      [1,   -2.5,   0.3125,   7,   96],
  // CHECK-NEXT: [0,   -0,   nan,   nan,   -0.00195312]

  // e2m1fn (FP4) codes in i4: one code per byte in memory, scalar code.
  %c4 = qtrain.encode %xd {format = #qtrain.fp<e2m1fn>} : tensor<?x?xf32> -> tensor<?x?xi4>
  %d4 = qtrain.decode %c4 {format = #qtrain.fp<e2m1fn>} : tensor<?x?xi4> -> tensor<?x?xf32>
  %q4 = tensor.cast %d4 : tensor<?x?xf32> to tensor<*xf32>
  call @printMemrefF32(%q4) : (tensor<*xf32>) -> ()
  // CHECK:      [1,   -2,   0.5,   6,   6],
  // CHECK-NEXT: [0,   -0,   0,   6,   -0]

  // Signed 8-bit fixed point with 6 fraction bits (MXINT8's element).
  %ci = qtrain.encode %xd {format = #qtrain.int<s8, frac = 6>} : tensor<?x?xf32> -> tensor<?x?xi8>
  %di = qtrain.decode %ci {format = #qtrain.int<s8, frac = 6>} : tensor<?x?xi8> -> tensor<?x?xf32>
  %qi = tensor.cast %di : tensor<?x?xf32> to tensor<*xf32>
  call @printMemrefF32(%qi) : (tensor<*xf32>) -> ()
  // CHECK:      [1,   -2,   0.296875,   1.98438,   1.98438],
  // CHECK-NEXT: [0,   0,   0,   1.98438,   0]

  // bf16 in, bf16 out: computed in f32, converted back exactly.
  %xb = arith.truncf %x : tensor<2x5xf32> to tensor<2x5xbf16>
  %qb = qtrain.quantize %xb {format = #qtrain.fp<e5m2>} : tensor<2x5xbf16>
  %fb = arith.extf %qb : tensor<2x5xbf16> to tensor<2x5xf32>
  %pb = tensor.cast %fb : tensor<2x5xf32> to tensor<*xf32>
  call @printMemrefF32(%pb) : (tensor<*xf32>) -> ()
  // CHECK:      [1,   -2.5,   0.3125,   7,   96],
  // CHECK-NEXT: [0,   -0,   nan,   inf,   -0.000976562]

  // Rank 0 and an empty tensor.
  %s = arith.constant dense<3.3> : tensor<f32>
  %qs = qtrain.quantize %s {format = #qtrain.fp<e4m3fn>} : tensor<f32>
  %ps = tensor.cast %qs : tensor<f32> to tensor<*xf32>
  call @printMemrefF32(%ps) : (tensor<*xf32>) -> ()
  // CHECK: rank = 0
  // CHECK-NEXT: [3.25]
  %e = tensor.empty() : tensor<0x7xf32>
  %qe = qtrain.quantize %e {format = #qtrain.fp<e4m3fn>} : tensor<0x7xf32>
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %n0 = tensor.dim %qe, %c0 : tensor<0x7xf32>
  %n1 = tensor.dim %qe, %c1 : tensor<0x7xf32>
  vector.print %n0 : index
  vector.print %n1 : index
  // CHECK-NEXT: 0
  // CHECK-NEXT: 7
  return
}
func.func private @printMemrefF32(tensor<*xf32>)
func.func private @printMemrefI32(tensor<*xi32>)
