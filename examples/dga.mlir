// Dynamic group accumulation (DGA): low-bit accumulators for FP8 training.
// (Yang et al., ASP-DAC 2022; docs/Numerics.md, "Accumulation".)
//
// One fully connected layer Y = A x W with A: 64x256 (batch x in) and
// W: 256x128 (in x out). A training step runs three GEMMs, each with its own
// reduction length K:
//
//   forward        Y  = A x W       K = 256 (input features)
//   backward       EA = EY x W^T    K = 128 (output features)
//   weight update  GW = A^T x EY    K =  64 (batch)
//
// The paper quantizes every GEMM operand to FP8 1-4-3 (#qtrain.fp<e4m3fn>;
// saturating here, the operands being assumed already in range) and adds the
// products into a 12-bit float accumulator FP12 = 1-5-6, the preset
// #qtrain.fp<fp12_dga>. How the products are summed is not a separate op: it
// is the `accumulation` attribute of qtrain.matmul / qtrain.conv2d, so one
// GEMM can be re-run under each accumulation rule by changing one attribute:
//
//   #qtrain.accum<#qtrain.fp<fp12_dga>, static, group = 16>
//       static group accumulation (SGA): P_G closes every 16 products.
//   #qtrain.accum<#qtrain.fp<fp12_dga>, ideal_dga, t0 = ...>
//       ideal DGA: P_G closes when |P_G| >= T, T = sqrt(3 P_O^2 / (2 n)).
//   #qtrain.accum<#qtrain.fp<fp12_dga>, efficient_dga, c = 4[, shared]>
//       E-DGA: T = 2^-c |P_O| (a shift); `shared` = one threshold for the
//       whole GEMM from the mean |P_O| (the hardware's per-kernel register).
//
// Products are exact by default (`product = ...` would round them); P_O uses
// the accumulator format unless `outer = ...` says otherwise. Every output
// sums its K products in increasing k. c = 4 is qtrain's measured default
// (the paper does not publish c), so the printer omits `c = 4`.

// FP8 (1-4-3) operands of the three GEMMs. Round to nearest even.
func.func @fp8_operands(%a: tensor<64x256xf32>, %w: tensor<256x128xf32>,
                        %ey: tensor<64x128xf32>)
    -> (tensor<64x256xf32>, tensor<256x128xf32>, tensor<64x128xf32>) {
  %qa = qtrain.quantize %a {format = #qtrain.fp<e4m3fn, overflow = saturate>} : tensor<64x256xf32>
  %qw = qtrain.quantize %w {format = #qtrain.fp<e4m3fn, overflow = saturate>} : tensor<256x128xf32>
  %qey = qtrain.quantize %ey {format = #qtrain.fp<e4m3fn, overflow = saturate>} : tensor<64x128xf32>
  return %qa, %qw, %qey : tensor<64x256xf32>, tensor<256x128xf32>, tensor<64x128xf32>
}

// Reference: the same FP8 operands with FP32 accumulation (the paper's
// 67.43% baseline). Without an `accumulation` attribute a matmul accumulates
// in f32 with no grouping; spelling it out is equivalent.
func.func @layer_fp32_accumulation(%a: tensor<64x256xf32>, %w: tensor<256x128xf32>,
                                   %ey: tensor<64x128xf32>)
    -> (tensor<64x128xf32>, tensor<64x256xf32>, tensor<256x128xf32>) {
  %qa, %qw, %qey = func.call @fp8_operands(%a, %w, %ey)
      : (tensor<64x256xf32>, tensor<256x128xf32>, tensor<64x128xf32>)
      -> (tensor<64x256xf32>, tensor<256x128xf32>, tensor<64x128xf32>)
  %y = qtrain.matmul %qa, %qw {accumulation = #qtrain.accum<#qtrain.fp<f32>>}
      : tensor<64x256xf32>, tensor<256x128xf32> -> tensor<64x128xf32>
  %ea = qtrain.matmul %qey, %qw {transpose_b, accumulation = #qtrain.accum<#qtrain.fp<f32>>}
      : tensor<64x128xf32>, tensor<256x128xf32> -> tensor<64x256xf32>
  %gw = qtrain.matmul %qa, %qey {transpose_a, accumulation = #qtrain.accum<#qtrain.fp<f32>>}
      : tensor<64x256xf32>, tensor<64x128xf32> -> tensor<256x128xf32>
  return %y, %ea, %gw : tensor<64x128xf32>, tensor<64x256xf32>, tensor<256x128xf32>
}

// Static group accumulation with groups of Ng = 16 (as in published FP8
// chips), in FP12 and, for the paper's comparison, in FP16 = 1-6-9
// (#qtrain.fp<fp16_dga>). A group sum P_G is added into P_O every 16
// products, whatever their size.
func.func @layer_sga16(%a: tensor<64x256xf32>, %w: tensor<256x128xf32>,
                       %ey: tensor<64x128xf32>)
    -> (tensor<64x128xf32>, tensor<64x256xf32>, tensor<256x128xf32>, tensor<64x128xf32>) {
  %qa, %qw, %qey = func.call @fp8_operands(%a, %w, %ey)
      : (tensor<64x256xf32>, tensor<256x128xf32>, tensor<64x128xf32>)
      -> (tensor<64x256xf32>, tensor<256x128xf32>, tensor<64x128xf32>)
  %y = qtrain.matmul %qa, %qw {accumulation = #qtrain.accum<#qtrain.fp<fp12_dga>, static, group = 16>}
      : tensor<64x256xf32>, tensor<256x128xf32> -> tensor<64x128xf32>
  %ea = qtrain.matmul %qey, %qw {transpose_b, accumulation = #qtrain.accum<#qtrain.fp<fp12_dga>, static, group = 16>}
      : tensor<64x128xf32>, tensor<256x128xf32> -> tensor<64x256xf32>
  %gw = qtrain.matmul %qa, %qey {transpose_a, accumulation = #qtrain.accum<#qtrain.fp<fp12_dga>, static, group = 16>}
      : tensor<64x256xf32>, tensor<64x128xf32> -> tensor<256x128xf32>
  // The FP16 (1-6-9) SGA comparison point, forward GEMM only.
  %y16 = qtrain.matmul %qa, %qw {accumulation = #qtrain.accum<#qtrain.fp<fp16_dga>, static, group = 16>}
      : tensor<64x256xf32>, tensor<256x128xf32> -> tensor<64x128xf32>
  return %y, %ea, %gw, %y16 : tensor<64x128xf32>, tensor<64x256xf32>, tensor<256x128xf32>, tensor<64x128xf32>
}

// Ideal DGA: before adding product M, if |P_G| < T then P_G += M, else
// P_O += P_G, P_G = M. The error model gives T = sqrt(3 P_O^2 / (2 n)) with
// n the open group's count, re-evaluated before every product (the default,
// count = running: M enters iff n P_G^2 < 1.5 P_O^2; t0 decides while P_O is
// 0). count = after_reset (T computed at a close with n = 1, then held)
// reproduces the published pseudo-code literally and is shown on the
// weight-update GEMM.
func.func @layer_ideal_dga(%a: tensor<64x256xf32>, %w: tensor<256x128xf32>,
                           %ey: tensor<64x128xf32>)
    -> (tensor<64x128xf32>, tensor<64x256xf32>, tensor<256x128xf32>) {
  %qa, %qw, %qey = func.call @fp8_operands(%a, %w, %ey)
      : (tensor<64x256xf32>, tensor<256x128xf32>, tensor<64x128xf32>)
      -> (tensor<64x256xf32>, tensor<256x128xf32>, tensor<64x128xf32>)
  %y = qtrain.matmul %qa, %qw {accumulation = #qtrain.accum<#qtrain.fp<fp12_dga>, ideal_dga>}
      : tensor<64x256xf32>, tensor<256x128xf32> -> tensor<64x128xf32>
  // Errors are small: start with a smaller first threshold.
  %ea = qtrain.matmul %qey, %qw {transpose_b, accumulation = #qtrain.accum<#qtrain.fp<fp12_dga>, ideal_dga, t0 = 0.125>}
      : tensor<64x128xf32>, tensor<256x128xf32> -> tensor<64x256xf32>
  %gw = qtrain.matmul %qa, %qey {transpose_a, accumulation = #qtrain.accum<#qtrain.fp<fp12_dga>, ideal_dga, t0 = 0.125, count = after_reset>}
      : tensor<64x256xf32>, tensor<64x128xf32> -> tensor<256x128xf32>
  return %y, %ea, %gw : tensor<64x128xf32>, tensor<64x256xf32>, tensor<256x128xf32>
}

// Efficient DGA (E-DGA): the threshold is a shift of P_O, T = 2^-c |P_O|.
// The forward and backward GEMMs keep one threshold per output; the weight
// update shares one threshold across the whole GEMM (the mean |P_O|), as one
// threshold register serving a PE array would.
func.func @layer_efficient_dga(%a: tensor<64x256xf32>, %w: tensor<256x128xf32>,
                               %ey: tensor<64x128xf32>)
    -> (tensor<64x128xf32>, tensor<64x256xf32>, tensor<256x128xf32>) {
  %qa, %qw, %qey = func.call @fp8_operands(%a, %w, %ey)
      : (tensor<64x256xf32>, tensor<256x128xf32>, tensor<64x128xf32>)
      -> (tensor<64x256xf32>, tensor<256x128xf32>, tensor<64x128xf32>)
  %y = qtrain.matmul %qa, %qw {accumulation = #qtrain.accum<#qtrain.fp<fp12_dga>, efficient_dga, c = 4>}
      : tensor<64x256xf32>, tensor<256x128xf32> -> tensor<64x128xf32>
  // A different shift for the shorter backward reduction.
  %ea = qtrain.matmul %qey, %qw {transpose_b, accumulation = #qtrain.accum<#qtrain.fp<fp12_dga>, efficient_dga, c = 3>}
      : tensor<64x128xf32>, tensor<256x128xf32> -> tensor<64x256xf32>
  %gw = qtrain.matmul %qa, %qey {transpose_a, accumulation = #qtrain.accum<#qtrain.fp<fp12_dga>, efficient_dga, c = 4, shared>}
      : tensor<64x256xf32>, tensor<64x128xf32> -> tensor<256x128xf32>
  return %y, %ea, %gw : tensor<64x128xf32>, tensor<64x256xf32>, tensor<256x128xf32>
}

// The same rules apply to convolutions: a 3x3 conv (16 -> 32 channels) whose
// forward reduction is C * KH * KW = 144 FP8 products per output, summed in
// FP12 with a shared E-DGA threshold. The backward-data and weight-update
// convolutions take the same attribute (kind = backward_data /
// backward_weight).
func.func @conv_efficient_dga(%x: tensor<8x16x32x32xf32>, %w: tensor<32x16x3x3xf32>,
                              %ey: tensor<8x32x32x32xf32>)
    -> (tensor<8x32x32x32xf32>, tensor<32x16x3x3xf32>) {
  %qx = qtrain.quantize %x {format = #qtrain.fp<e4m3fn, overflow = saturate>} : tensor<8x16x32x32xf32>
  %qw = qtrain.quantize %w {format = #qtrain.fp<e4m3fn, overflow = saturate>} : tensor<32x16x3x3xf32>
  %qey = qtrain.quantize %ey {format = #qtrain.fp<e4m3fn, overflow = saturate>} : tensor<8x32x32x32xf32>
  %y = qtrain.conv2d %qx, %qw {kind = #qtrain.conv_kind<forward>,
                               padding = array<i64: 1, 1, 1, 1>,
                               accumulation = #qtrain.accum<#qtrain.fp<fp12_dga>, efficient_dga, c = 4, shared>}
      : tensor<8x16x32x32xf32>, tensor<32x16x3x3xf32> -> tensor<8x32x32x32xf32>
  // Weight update: K = N * OH * OW = 8192 products per output, where
  // swamping is worst; ideal DGA here.
  %gw = qtrain.conv2d %qx, %qey {kind = #qtrain.conv_kind<backward_weight>,
                                 padding = array<i64: 1, 1, 1, 1>,
                                 accumulation = #qtrain.accum<#qtrain.fp<fp12_dga>, ideal_dga>}
      : tensor<8x16x32x32xf32>, tensor<8x32x32x32xf32> -> tensor<32x16x3x3xf32>
  return %y, %gw : tensor<8x32x32x32xf32>, tensor<32x16x3x3xf32>
}
