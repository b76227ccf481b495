// Multi-level scaling (MLS) tensor format for low-bit CNN training.
// (Zhong et al., IEEE TCAD 2022; docs/Numerics.md, "Techniques as instances".)
//
// A value is   tensor scale (f32) x group scale (a few-bit power of two,
// relative to the tensor scale) x a tiny float (sign, 2-bit exponent,
// 1..4-bit mantissa). In qtrain that is a #qtrain.scaled format with two
// scale levels, applied in order:
//
//   level 0  #qtrain.scale_level<tensor, f32, amax_to_max>
//            one f32 scale mapping the tensor amax to the element maximum;
//   level 1  #qtrain.scale_level<[1, 16, 1, 1], pow2<3, 7>, amax_to_max,
//                                 axis_block = 16>
//            one 3-bit power-of-two scale 2^-7 .. 2^0 per group of 16
//            along the reduction axis: 16 channels at one pixel or kernel
//            tap of an NCHW / FCHW tensor, 16 elements along K of a matmul
//            operand; computed on the residual x / s_T and rounded up, so
//            no group's largest element saturates;
//   element  #qtrain.fp<mls_e2m4> (1-2-4, bias 1, saturating) or
//            #qtrain.fp<mls_e2m1> (1-2-1, printed e2m1fn: same encoding).
//
// The presets #qtrain.scaled<mls_e2m4> / <mls_e2m1> are exactly that (the
// group shape and scale width are qtrain's choices; the paper's abstracts do
// not give them). Quantization is dynamic: qtrain.quantize computes both
// levels from the tensor it quantizes, every step, so no statistics ops are
// needed. All convolution operands W, A and E are quantized; E is rounded
// stochastically (the seed is an i64 operand, fresh every step).
//
// Accumulation: MLS sums a group in fixed point and adds the group's sum to
// a float accumulator when it closes. #qtrain.accum takes that as an
// integer accumulator with static groups, e.g.
//   #qtrain.accum<#qtrain.int<s24, frac = 12>, static, group = 16>
// (products rounded to 2^-12, summed exactly, saturating; the outer
// accumulator f32 unless `outer` says otherwise). The grid is absolute:
// matmul sees decoded values, scales included, not MLS's unscaled element
// products, so the convolutions below keep the default f32 accumulation.

// One 3x3 conv layer (16 -> 32 channels, 32x32 maps, batch 8): the three
// convolutions of a training step on MLS 1-2-4 operands.
func.func @mls_conv_step(%x: tensor<8x16x32x32xf32>, %w: tensor<32x16x3x3xf32>,
                         %ey: tensor<8x32x32x32xf32>, %seed: i64)
    -> (tensor<8x32x32x32xf32>, tensor<8x16x32x32xf32>, tensor<32x16x3x3xf32>) {
  // W and A: nearest-even elements.
  %qw = qtrain.quantize %w {format = #qtrain.scaled<mls_e2m4>} : tensor<32x16x3x3xf32>
  %qx = qtrain.quantize %x {format = #qtrain.scaled<mls_e2m4>} : tensor<8x16x32x32xf32>
  // E: the same format, stochastic rounding of the elements with 8 random
  // bits from the counter-based generator (scales are never rounded
  // stochastically).
  %qey = qtrain.quantize %ey seed(%seed) {format = #qtrain.scaled<mls_e2m4>,
                                          rounding = #qtrain.rounding<stochastic, bits = 8>}
      : tensor<8x32x32x32xf32>
  // forward: Y = conv(A, W)
  %y = qtrain.conv2d %qx, %qw {kind = #qtrain.conv_kind<forward>, padding = array<i64: 1, 1, 1, 1>}
      : tensor<8x16x32x32xf32>, tensor<32x16x3x3xf32> -> tensor<8x32x32x32xf32>
  // backward: EA = conv_backward_data(E, W)
  %ex = qtrain.conv2d %qey, %qw {kind = #qtrain.conv_kind<backward_data>, padding = array<i64: 1, 1, 1, 1>}
      : tensor<8x32x32x32xf32>, tensor<32x16x3x3xf32> -> tensor<8x16x32x32xf32>
  // weight update: G = conv_backward_weight(A, E)
  %gw = qtrain.conv2d %qx, %qey {kind = #qtrain.conv_kind<backward_weight>, padding = array<i64: 1, 1, 1, 1>}
      : tensor<8x16x32x32xf32>, tensor<8x32x32x32xf32> -> tensor<32x16x3x3xf32>
  return %y, %ex, %gw : tensor<8x32x32x32xf32>, tensor<8x16x32x32xf32>, tensor<32x16x3x3xf32>
}

// The preset spelled out level by level. It is the same attribute, so it
// prints as #qtrain.scaled<mls_e2m4>.
func.func @mls_spelled_out(%x: tensor<8x16x32x32xf32>) -> tensor<8x16x32x32xf32> {
  %q = qtrain.quantize %x {format = #qtrain.scaled<#qtrain.fp<mls_e2m4>, [
           #qtrain.scale_level<tensor, f32, amax_to_max>,
           #qtrain.scale_level<[1, 16, 1, 1], pow2<3, 7>, amax_to_max, axis_block = 16>]>}
      : tensor<8x16x32x32xf32>
  return %q : tensor<8x16x32x32xf32>
}

// Variants written level by level: [16, 1, 1] blocks over the trailing
// (C, H, W) / (C, KH, KW) dimensions group 16 channels at one pixel or
// kernel tap (as the preset does on rank-4 tensors), here with the
// floor-of-log2 group scale (shared_exponent) and, for E, a wider one. (With
// [16] groups, a 3x3 filter's innermost dimension KW = 3 would make every
// group a partial group of 3 taps.) The element is the 1-2-1 minifloat of
// the CIFAR-10 experiments (1-bit mantissa).
func.func @mls_channel_groups(%x: tensor<8x16x32x32xf32>, %w: tensor<32x16x3x3xf32>,
                              %ey: tensor<8x32x32x32xf32>, %seed: i64)
    -> (tensor<8x32x32x32xf32>, tensor<8x16x32x32xf32>) {
  %qw = qtrain.quantize %w {format = #qtrain.scaled<#qtrain.fp<mls_e2m1>, [
            #qtrain.scale_level<tensor, f32, amax_to_max>,
            #qtrain.scale_level<[16, 1, 1], pow2<3, 7>, shared_exponent>]>}
      : tensor<32x16x3x3xf32>
  %qx = qtrain.quantize %x {format = #qtrain.scaled<#qtrain.fp<mls_e2m1>, [
            #qtrain.scale_level<tensor, f32, amax_to_max>,
            #qtrain.scale_level<[16, 1, 1], pow2<3, 7>, shared_exponent>]>}
      : tensor<8x16x32x32xf32>
  // E has 32 channels: two groups of 16 per pixel. Its group scale gets
  // four bits (2^-15 .. 2^0), since gradients spread over a wider range.
  %qey = qtrain.quantize %ey seed(%seed) {format = #qtrain.scaled<#qtrain.fp<mls_e2m1>, [
             #qtrain.scale_level<tensor, f32, amax_to_max>,
             #qtrain.scale_level<[16, 1, 1], pow2<4, 15>, shared_exponent>]>,
             rounding = #qtrain.rounding<stochastic, bits = 8>}
      : tensor<8x32x32x32xf32>
  %y = qtrain.conv2d %qx, %qw {padding = array<i64: 1, 1, 1, 1>}
      : tensor<8x16x32x32xf32>, tensor<32x16x3x3xf32> -> tensor<8x32x32x32xf32>
  %ex = qtrain.conv2d %qey, %qw {kind = #qtrain.conv_kind<backward_data>, padding = array<i64: 1, 1, 1, 1>}
      : tensor<8x32x32x32xf32>, tensor<32x16x3x3xf32> -> tensor<8x16x32x32xf32>
  return %y, %ex : tensor<8x32x32x32xf32>, tensor<8x16x32x32xf32>
}

// The storage form: element codes (i7 for 1-2-4), the tensor scale as one
// f32 (grid 1x1x1x1) and one 3-bit group-scale code per group of 16
// channels (grid 8x1x32x32 for 16 channels).
func.func @mls_storage(%x: tensor<8x16x32x32xf32>)
    -> (tensor<8x16x32x32xi7>, tensor<1x1x1x1xf32>, tensor<8x1x32x32xi3>) {
  %codes, %ts, %gs = qtrain.encode %x {format = #qtrain.scaled<mls_e2m4>}
      : tensor<8x16x32x32xf32> -> tensor<8x16x32x32xi7>, tensor<1x1x1x1xf32>, tensor<8x1x32x32xi3>
  return %codes, %ts, %gs : tensor<8x16x32x32xi7>, tensor<1x1x1x1xf32>, tensor<8x1x32x32xi3>
}
