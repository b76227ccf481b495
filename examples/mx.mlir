// OCP microscaling (MX) formats: MXFP8, MXFP6, MXFP4 and MXINT8.
// (OCP MX v1.0; docs/Numerics.md, "Techniques as instances".)
//
// 32 consecutive elements of the innermost dimension share an E8M0 scale
// 2^(floor(log2 amax) - emax(element)); elements round to nearest even and
// saturate. Presets:
//
//   #qtrain.scaled<mxfp8_e4m3>   element E4M3 (emax 8)     codes f8E4M3FN
//   #qtrain.scaled<mxfp8_e5m2>   element E5M2 (emax 15)    codes f8E5M2
//   #qtrain.scaled<mxfp6_e3m2>   element E3M2 (emax 4)     codes f6E3M2FN
//   #qtrain.scaled<mxfp6_e2m3>   element E2M3 (emax 2)     codes f6E2M3FN
//   #qtrain.scaled<mxfp4_e2m1>   element E2M1 (emax 2)     codes f4E2M1FN
//   #qtrain.scaled<mxint8>       int8, 6 fraction bits     codes i8
//
// each = element + [#qtrain.scale_level<[32], e8m0, shared_exponent>].
// qtrain.quantize gives the values (fake quantization); qtrain.encode gives
// the storage: element codes in the builtin small-float type of the same
// encoding (or iN), and the scales as f8E8M0FNU shaped like the block grid,
// i.e. the tensor shape with the innermost dimension divided by 32
// (rounded up). qtrain.decode is the inverse.
//
// MX blocks must run along the reduction dimension of a GEMM. The presets
// block the innermost dimension; when a GEMM reduces over the outer
// dimension of an operand, the same element with blocks of [32, 1] (32 rows
// of one column) is spelled out.

// One fully connected layer in MXFP8: E4M3 for W and A, E5M2 for the errors.
// W is stored out x in (128x256), so the forward GEMM Y = A x W^T reduces
// over the innermost dimension of both operands.
func.func @mxfp8_step(%a: tensor<64x256xf32>, %w: tensor<128x256xf32>, %ey: tensor<64x128xf32>)
    -> (tensor<64x128xf32>, tensor<64x256xf32>, tensor<128x256xf32>) {
  // forward: Y = A x W^T, K = 256 (innermost of A and of W)
  %qa = qtrain.quantize %a {format = #qtrain.scaled<mxfp8_e4m3>} : tensor<64x256xf32>
  %qw = qtrain.quantize %w {format = #qtrain.scaled<mxfp8_e4m3>} : tensor<128x256xf32>
  %y = qtrain.matmul %qa, %qw {transpose_b} : tensor<64x256xf32>, tensor<128x256xf32> -> tensor<64x128xf32>
  // backward: EA = EY x W, K = 128 (innermost of EY, outermost of W)
  %qey = qtrain.quantize %ey {format = #qtrain.scaled<mxfp8_e5m2>} : tensor<64x128xf32>
  %qwt = qtrain.quantize %w {format = #qtrain.scaled<#qtrain.fp<e4m3fn, overflow = saturate>, [#qtrain.scale_level<[32, 1], e8m0, shared_exponent>]>} : tensor<128x256xf32>
  %ea = qtrain.matmul %qey, %qwt : tensor<64x128xf32>, tensor<128x256xf32> -> tensor<64x256xf32>
  // weight update: GW = EY^T x A, K = 64 (the batch, outermost of both)
  %qeyt = qtrain.quantize %ey {format = #qtrain.scaled<#qtrain.fp<e5m2, overflow = saturate>, [#qtrain.scale_level<[32, 1], e8m0, shared_exponent>]>} : tensor<64x128xf32>
  %qat = qtrain.quantize %a {format = #qtrain.scaled<#qtrain.fp<e4m3fn, overflow = saturate>, [#qtrain.scale_level<[32, 1], e8m0, shared_exponent>]>} : tensor<64x256xf32>
  %gw = qtrain.matmul %qeyt, %qat {transpose_a} : tensor<64x128xf32>, tensor<64x256xf32> -> tensor<128x256xf32>
  return %y, %ea, %gw : tensor<64x128xf32>, tensor<64x256xf32>, tensor<128x256xf32>
}

// The narrower formats on the forward GEMM: MXFP6 and MXFP4 weights and
// activations, and MXINT8.
func.func @mx_narrow_forward(%a: tensor<64x256xf32>, %w: tensor<128x256xf32>)
    -> (tensor<64x128xf32>, tensor<64x128xf32>, tensor<64x128xf32>) {
  %a6 = qtrain.quantize %a {format = #qtrain.scaled<mxfp6_e3m2>} : tensor<64x256xf32>
  %w6 = qtrain.quantize %w {format = #qtrain.scaled<mxfp6_e2m3>} : tensor<128x256xf32>
  %y6 = qtrain.matmul %a6, %w6 {transpose_b} : tensor<64x256xf32>, tensor<128x256xf32> -> tensor<64x128xf32>
  %a4 = qtrain.quantize %a {format = #qtrain.scaled<mxfp4_e2m1>} : tensor<64x256xf32>
  %w4 = qtrain.quantize %w {format = #qtrain.scaled<mxfp4_e2m1>} : tensor<128x256xf32>
  %y4 = qtrain.matmul %a4, %w4 {transpose_b} : tensor<64x256xf32>, tensor<128x256xf32> -> tensor<64x128xf32>
  %ai = qtrain.quantize %a {format = #qtrain.scaled<mxint8>} : tensor<64x256xf32>
  %wi = qtrain.quantize %w {format = #qtrain.scaled<mxint8>} : tensor<128x256xf32>
  %yi = qtrain.matmul %ai, %wi {transpose_b} : tensor<64x256xf32>, tensor<128x256xf32> -> tensor<64x128xf32>
  return %y6, %y4, %yi : tensor<64x128xf32>, tensor<64x128xf32>, tensor<64x128xf32>
}

// Storage round trips. A 128x256 tensor has a 128x8 block grid; the
// spelled-out [32, 1] blocks give a 4x256 grid.
func.func @mx_storage(%w: tensor<128x256xf32>)
    -> (tensor<128x256xf32>, tensor<128x256xf32>, tensor<128x256xf32>,
        tensor<128x256xf32>, tensor<128x256xf32>, tensor<128x256xf32>, tensor<128x256xf32>) {
  %c8, %s8 = qtrain.encode %w {format = #qtrain.scaled<mxfp8_e4m3>}
      : tensor<128x256xf32> -> tensor<128x256xf8E4M3FN>, tensor<128x8xf8E8M0FNU>
  %d8 = qtrain.decode %c8, %s8 {format = #qtrain.scaled<mxfp8_e4m3>}
      : tensor<128x256xf8E4M3FN>, tensor<128x8xf8E8M0FNU> -> tensor<128x256xf32>

  %c5, %s5 = qtrain.encode %w {format = #qtrain.scaled<mxfp8_e5m2>}
      : tensor<128x256xf32> -> tensor<128x256xf8E5M2>, tensor<128x8xf8E8M0FNU>
  %d5 = qtrain.decode %c5, %s5 {format = #qtrain.scaled<mxfp8_e5m2>}
      : tensor<128x256xf8E5M2>, tensor<128x8xf8E8M0FNU> -> tensor<128x256xf32>

  %c6, %s6 = qtrain.encode %w {format = #qtrain.scaled<mxfp6_e3m2>}
      : tensor<128x256xf32> -> tensor<128x256xf6E3M2FN>, tensor<128x8xf8E8M0FNU>
  %d6 = qtrain.decode %c6, %s6 {format = #qtrain.scaled<mxfp6_e3m2>}
      : tensor<128x256xf6E3M2FN>, tensor<128x8xf8E8M0FNU> -> tensor<128x256xf32>

  %c63, %s63 = qtrain.encode %w {format = #qtrain.scaled<mxfp6_e2m3>}
      : tensor<128x256xf32> -> tensor<128x256xf6E2M3FN>, tensor<128x8xf8E8M0FNU>
  %d63 = qtrain.decode %c63, %s63 {format = #qtrain.scaled<mxfp6_e2m3>}
      : tensor<128x256xf6E2M3FN>, tensor<128x8xf8E8M0FNU> -> tensor<128x256xf32>

  %c4, %s4 = qtrain.encode %w {format = #qtrain.scaled<mxfp4_e2m1>}
      : tensor<128x256xf32> -> tensor<128x256xf4E2M1FN>, tensor<128x8xf8E8M0FNU>
  %d4 = qtrain.decode %c4, %s4 {format = #qtrain.scaled<mxfp4_e2m1>}
      : tensor<128x256xf4E2M1FN>, tensor<128x8xf8E8M0FNU> -> tensor<128x256xf32>

  // MXINT8: no builtin type, the codes are i8.
  %ci, %si = qtrain.encode %w {format = #qtrain.scaled<mxint8>}
      : tensor<128x256xf32> -> tensor<128x256xi8>, tensor<128x8xf8E8M0FNU>
  %di = qtrain.decode %ci, %si {format = #qtrain.scaled<mxint8>}
      : tensor<128x256xi8>, tensor<128x8xf8E8M0FNU> -> tensor<128x256xf32>

  // Column blocks for a GEMM that reduces over rows.
  %ct, %st = qtrain.encode %w {format = #qtrain.scaled<#qtrain.fp<e4m3fn, overflow = saturate>, [#qtrain.scale_level<[32, 1], e8m0, shared_exponent>]>}
      : tensor<128x256xf32> -> tensor<128x256xf8E4M3FN>, tensor<4x256xf8E8M0FNU>
  %dt = qtrain.decode %ct, %st {format = #qtrain.scaled<#qtrain.fp<e4m3fn, overflow = saturate>, [#qtrain.scale_level<[32, 1], e8m0, shared_exponent>]>}
      : tensor<128x256xf8E4M3FN>, tensor<4x256xf8E8M0FNU> -> tensor<128x256xf32>
  return %d8, %d5, %d6, %d63, %d4, %di, %dt
      : tensor<128x256xf32>, tensor<128x256xf32>, tensor<128x256xf32>,
        tensor<128x256xf32>, tensor<128x256xf32>, tensor<128x256xf32>, tensor<128x256xf32>
}

// A partial block: 48 columns make one full block and one of 16, so the
// grid is 4x2.
func.func @mx_partial_block(%x: tensor<4x48xf32>) -> tensor<4x48xf32> {
  %c, %s = qtrain.encode %x {format = #qtrain.scaled<mxfp4_e2m1>}
      : tensor<4x48xf32> -> tensor<4x48xf4E2M1FN>, tensor<4x2xf8E8M0FNU>
  %d = qtrain.decode %c, %s {format = #qtrain.scaled<mxfp4_e2m1>}
      : tensor<4x48xf4E2M1FN>, tensor<4x2xf8E8M0FNU> -> tensor<4x48xf32>
  return %d : tensor<4x48xf32>
}
