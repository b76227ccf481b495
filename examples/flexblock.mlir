// FlexBlock: multi-mode block floating point training.
// (Noh et al., arXiv 2203.06673 / IEEE TC 2023, and the authors' simulator;
// docs/Numerics.md, "Techniques as instances".)
//
// A block shares one exponent (the largest f32 exponent M of the block, an
// E8M0 scale); each element keeps a sign and a short mantissa, truncated.
// The three modes are presets:
//
//   #qtrain.scaled<fb12>  4-bit mantissas, blocks [1, 24, 3, 3]
//   #qtrain.scaled<fb16>  8-bit mantissas, blocks [1, 12, 3, 3]
//   #qtrain.scaled<fb24>  16-bit mantissas, blocks [1, 6, 3, 3]
//
// i.e. one #qtrain.scale_level<[c, 3, 3], e8m0, shared_exponent> over the
// three trailing dimensions, and a sign-magnitude integer element
// (#qtrain.int<sm5, frac = 3> for FB12: sign + 4 magnitude bits, one above
// the binary point). The blocks have three dimensions, so the presets need
// tensors of rank >= 3: conv weights [F, C, KH, KW] and activations / errors
// [N, C, H, W] (on activations the [c, 3, 3] block covers c channels of a
// 3x3 patch; partial blocks at the edges count as blocks).
//
// The simulator truncates (round toward zero). The fb presets carry that
// rounding, so qtrain.quantize truncates without a `rounding` attribute;
// the ops below spell it out anyway, to show it.
//
// Modes may differ per GEMM: FB12LG16 runs the forward GEMM (W, A) and the
// weight-update GEMM (E, A) in FB12 and the backward, "local gradient" GEMM
// (E, W) in FB16; so W and E are quantized twice, once per GEMM.

// One 3x3 conv layer, 24 -> 16 channels, 16x16 maps, batch 8, in FB12LG16.
func.func @fb12lg16_step(%x: tensor<8x24x16x16xf32>, %w: tensor<16x24x3x3xf32>,
                         %ey: tensor<8x16x16x16xf32>)
    -> (tensor<8x16x16x16xf32>, tensor<8x24x16x16xf32>, tensor<16x24x3x3xf32>) {
  // forward GEMM operands: FB12
  %w12 = qtrain.quantize %w {format = #qtrain.scaled<fb12>, rounding = #qtrain.rounding<toward_zero>} : tensor<16x24x3x3xf32>
  %x12 = qtrain.quantize %x {format = #qtrain.scaled<fb12>, rounding = #qtrain.rounding<toward_zero>} : tensor<8x24x16x16xf32>
  %y = qtrain.conv2d %x12, %w12 {kind = #qtrain.conv_kind<forward>, padding = array<i64: 1, 1, 1, 1>}
      : tensor<8x24x16x16xf32>, tensor<16x24x3x3xf32> -> tensor<8x16x16x16xf32>
  // backward (local gradient) GEMM operands: FB16
  %w16 = qtrain.quantize %w {format = #qtrain.scaled<fb16>, rounding = #qtrain.rounding<toward_zero>} : tensor<16x24x3x3xf32>
  %e16 = qtrain.quantize %ey {format = #qtrain.scaled<fb16>, rounding = #qtrain.rounding<toward_zero>} : tensor<8x16x16x16xf32>
  %ex = qtrain.conv2d %e16, %w16 {kind = #qtrain.conv_kind<backward_data>, padding = array<i64: 1, 1, 1, 1>}
      : tensor<8x16x16x16xf32>, tensor<16x24x3x3xf32> -> tensor<8x24x16x16xf32>
  // weight-update GEMM operands: FB12 (A is reused from the forward pass)
  %e12 = qtrain.quantize %ey {format = #qtrain.scaled<fb12>, rounding = #qtrain.rounding<toward_zero>} : tensor<8x16x16x16xf32>
  %gw = qtrain.conv2d %x12, %e12 {kind = #qtrain.conv_kind<backward_weight>, padding = array<i64: 1, 1, 1, 1>}
      : tensor<8x24x16x16xf32>, tensor<8x16x16x16xf32> -> tensor<16x24x3x3xf32>
  return %y, %ex, %gw : tensor<8x16x16x16xf32>, tensor<8x24x16x16xf32>, tensor<16x24x3x3xf32>
}

// The same layer in FB16 throughout: the static schedule of the paper uses
// FB16 for epochs 0-20 and 180-200 and FB12LG16 in between. A mode is a
// compile-time attribute, so a schedule (or the precision control below)
// chooses between step functions like these two.
func.func @fb16_step(%x: tensor<8x24x16x16xf32>, %w: tensor<16x24x3x3xf32>,
                     %ey: tensor<8x16x16x16xf32>)
    -> (tensor<8x16x16x16xf32>, tensor<8x24x16x16xf32>, tensor<16x24x3x3xf32>) {
  %w16 = qtrain.quantize %w {format = #qtrain.scaled<fb16>, rounding = #qtrain.rounding<toward_zero>} : tensor<16x24x3x3xf32>
  %x16 = qtrain.quantize %x {format = #qtrain.scaled<fb16>, rounding = #qtrain.rounding<toward_zero>} : tensor<8x24x16x16xf32>
  %e16 = qtrain.quantize %ey {format = #qtrain.scaled<fb16>, rounding = #qtrain.rounding<toward_zero>} : tensor<8x16x16x16xf32>
  %y = qtrain.conv2d %x16, %w16 {padding = array<i64: 1, 1, 1, 1>}
      : tensor<8x24x16x16xf32>, tensor<16x24x3x3xf32> -> tensor<8x16x16x16xf32>
  %ex = qtrain.conv2d %e16, %w16 {kind = #qtrain.conv_kind<backward_data>, padding = array<i64: 1, 1, 1, 1>}
      : tensor<8x16x16x16xf32>, tensor<16x24x3x3xf32> -> tensor<8x24x16x16xf32>
  %gw = qtrain.conv2d %x16, %e16 {kind = #qtrain.conv_kind<backward_weight>, padding = array<i64: 1, 1, 1, 1>}
      : tensor<8x24x16x16xf32>, tensor<8x16x16x16xf32> -> tensor<16x24x3x3xf32>
  return %y, %ex, %gw : tensor<8x16x16x16xf32>, tensor<8x24x16x16xf32>, tensor<16x24x3x3xf32>
}

// FB24 and the storage form: FB12 weights as 5-bit codes plus one E8M0
// exponent per [24, 3, 3] block (block grid 16x1x1x1), decoded back.
func.func @fb_storage(%w: tensor<16x24x3x3xf32>)
    -> (tensor<16x24x3x3xf32>, tensor<16x24x3x3xf32>) {
  %w24 = qtrain.quantize %w {format = #qtrain.scaled<fb24>, rounding = #qtrain.rounding<toward_zero>} : tensor<16x24x3x3xf32>
  %codes, %exps = qtrain.encode %w {format = #qtrain.scaled<fb12>, rounding = #qtrain.rounding<toward_zero>}
      : tensor<16x24x3x3xf32> -> tensor<16x24x3x3xi5>, tensor<16x1x1x1xf8E8M0FNU>
  %w12 = qtrain.decode %codes, %exps {format = #qtrain.scaled<fb12>}
      : tensor<16x24x3x3xi5>, tensor<16x1x1x1xf8E8M0FNU> -> tensor<16x24x3x3xf32>
  return %w24, %w12 : tensor<16x24x3x3xf32>, tensor<16x24x3x3xf32>
}

// Dynamic precision control, per layer and tensor class: the zero-setting
// error (ZSE) is the fraction of elements a mode flushes to zero.
//
// qtrain.zero_setting_error takes the scaled format itself: each block's
// shared exponent is computed as in quantize, and an element counts when it
// is non-zero but truncates to zero in its block.
//
// ZSE is averaged over a period: the running sum is threaded through the
// steps as an SSA value.
func.func @fb12_zse(%w: tensor<16x24x3x3xf32>, %zse_sum: tensor<f32>) -> tensor<f32> {
  %zse = qtrain.zero_setting_error %w {format = #qtrain.scaled<fb12>}
      : tensor<16x24x3x3xf32> -> tensor<f32>
  %sum = arith.addf %zse_sum, %zse : tensor<f32>
  return %sum : tensor<f32>
}

// The same statistic for FB16 (blocks [12, 3, 3]), here on the errors E.
func.func @fb16_zse(%ey: tensor<8x16x16x16xf32>, %zse_sum: tensor<f32>) -> tensor<f32> {
  %zse = qtrain.zero_setting_error %ey {format = #qtrain.scaled<fb16>, rounding = #qtrain.rounding<toward_zero>}
      : tensor<8x16x16x16xf32> -> tensor<f32>
  %sum = arith.addf %zse_sum, %zse : tensor<f32>
  return %sum : tensor<f32>
}

// At the end of a period: average ZSE; below the low threshold step the
// precision down (16 -> 8 -> 4 bits), above the high threshold step it up.
// The thresholds are the user's (the paper's values are not reproduced).
func.func @precision_decision(%zse_sum: tensor<f32>, %steps: tensor<f32>)
    -> (tensor<i1>, tensor<i1>) {
  %low = arith.constant dense<0.01> : tensor<f32>
  %high = arith.constant dense<0.1> : tensor<f32>
  %avg = arith.divf %zse_sum, %steps : tensor<f32>
  %down = arith.cmpf olt, %avg, %low : tensor<f32>
  %up = arith.cmpf ogt, %avg, %high : tensor<f32>
  return %down, %up : tensor<i1>, tensor<i1>
}
