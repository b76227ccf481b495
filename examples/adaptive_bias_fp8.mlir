// Adaptive exponent bias FP8: one E5M2 format whose bias slides with the
// data. (Hassani Sadi, Sudarshan, Wehn, DAES 28, 2024; docs/Numerics.md,
// "Adaptive-bias E5M2" and "Scale rules".)
//
// The element is E5M2 without specials or subnormals, saturating:
//
//   #qtrain.fp<e5m2, specials = none, subnormals = false, overflow = saturate>
//
// (bias 15). Changing the bias to b is the same as scaling by the power of
// two 2^(15 - b), so a bias is a per-tensor E8M0 scale level:
//
//   value = 1.M * 2^(E - b) = (1.M * 2^(E - 15)) * 2^(15 - b).
//
// The paper picks the bias whose reference median 2^(16 - b) is nearest to
// the median of |x|. That is the `median_lookup` rule with
// median_exponent = 1: a median nearest to 2^p gives the scale 2^(p - 1),
// i.e. b = 16 - p (b = 15 for median 2, 16 for 1, 20 for 0.0625).
//
//   #qtrain.scaled<abfp8_e5m2> = that element with
//   [#qtrain.scale_level<tensor, e8m0, median_lookup, median_exponent = 1>]
//
// computes the median of the tensor it quantizes (exact). The paper instead
// keeps four biases, one per data kind (W, A, E, G) shared by all layers,
// chosen from FP32 statistics during the first epochs (exact median: 2
// epochs; the hardware's 3-pass approximation: 4) and then frozen. Below:
// qtrain.median + qtrain.select_scale compute the four scales once; the
// training step takes them as operands and quantizes through a `given`
// level. Compute stays in FP32; only what goes to DRAM is FP8.

// Calibration: the four per-kind scales of a two-layer network. Each kind's
// median is taken over the tensors of all layers together (flattened and
// concatenated), since one bias serves every layer.
func.func @abfp8_calibrate(%w1: tensor<256x128xf32>, %w2: tensor<128x64xf32>,
                           %a0: tensor<64x256xf32>, %a1: tensor<64x128xf32>,
                           %e1: tensor<64x128xf32>, %e2: tensor<64x64xf32>,
                           %g1: tensor<256x128xf32>, %g2: tensor<128x64xf32>)
    -> (tensor<f32>, tensor<f32>, tensor<f32>, tensor<f32>) {
  %w1f = tensor.collapse_shape %w1 [[0, 1]] : tensor<256x128xf32> into tensor<32768xf32>
  %w2f = tensor.collapse_shape %w2 [[0, 1]] : tensor<128x64xf32> into tensor<8192xf32>
  %w = tensor.concat dim(0) %w1f, %w2f : (tensor<32768xf32>, tensor<8192xf32>) -> tensor<40960xf32>
  %a0f = tensor.collapse_shape %a0 [[0, 1]] : tensor<64x256xf32> into tensor<16384xf32>
  %a1f = tensor.collapse_shape %a1 [[0, 1]] : tensor<64x128xf32> into tensor<8192xf32>
  %a = tensor.concat dim(0) %a0f, %a1f : (tensor<16384xf32>, tensor<8192xf32>) -> tensor<24576xf32>
  %e1f = tensor.collapse_shape %e1 [[0, 1]] : tensor<64x128xf32> into tensor<8192xf32>
  %e2f = tensor.collapse_shape %e2 [[0, 1]] : tensor<64x64xf32> into tensor<4096xf32>
  %e = tensor.concat dim(0) %e1f, %e2f : (tensor<8192xf32>, tensor<4096xf32>) -> tensor<12288xf32>
  %g1f = tensor.collapse_shape %g1 [[0, 1]] : tensor<256x128xf32> into tensor<32768xf32>
  %g2f = tensor.collapse_shape %g2 [[0, 1]] : tensor<128x64xf32> into tensor<8192xf32>
  %g = tensor.concat dim(0) %g1f, %g2f : (tensor<32768xf32>, tensor<8192xf32>) -> tensor<40960xf32>

  // Exact lower median of |x| for W and A; the hardware approximation
  // (min/max, then two passes of 20 bins) for E and G.
  %mw = qtrain.median %w : tensor<40960xf32> -> tensor<f32>
  %ma = qtrain.median %a : tensor<24576xf32> -> tensor<f32>
  %me = qtrain.median %e {approx} : tensor<12288xf32> -> tensor<f32>
  %mg = qtrain.median %g {approx, bins = 20 : i32} : tensor<40960xf32> -> tensor<f32>

  // Median -> scale 2^(15 - bias), an E8M0 power of two.
  %sw = qtrain.select_scale %mw {level = #qtrain.scale_level<tensor, e8m0, median_lookup, median_exponent = 1>,
                                 element = #qtrain.fp<e5m2, specials = none, subnormals = false, overflow = saturate>} : tensor<f32>
  %sa = qtrain.select_scale %ma {level = #qtrain.scale_level<tensor, e8m0, median_lookup, median_exponent = 1>,
                                 element = #qtrain.fp<e5m2, specials = none, subnormals = false, overflow = saturate>} : tensor<f32>
  %se = qtrain.select_scale %me {level = #qtrain.scale_level<tensor, e8m0, median_lookup, median_exponent = 1>,
                                 element = #qtrain.fp<e5m2, specials = none, subnormals = false, overflow = saturate>} : tensor<f32>
  %sg = qtrain.select_scale %mg {level = #qtrain.scale_level<tensor, e8m0, median_lookup, median_exponent = 1>,
                                 element = #qtrain.fp<e5m2, specials = none, subnormals = false, overflow = saturate>} : tensor<f32>
  return %sw, %sa, %se, %sg : tensor<f32>, tensor<f32>, tensor<f32>, tensor<f32>
}

// A training step after the biases are frozen: two fully connected layers
// with ReLU, FP32 arithmetic, and every tensor stored to DRAM converted to
// FP8 with its kind's bias. The frozen scale of a kind feeds a `given` scale
// level; quantize wants it shaped like the block grid (1x1 for a rank-2
// tensor, one block over the whole tensor).
func.func @abfp8_step(%a0: tensor<64x256xf32>, %w1: tensor<256x128xf32>, %w2: tensor<128x64xf32>,
                      %ey2: tensor<64x64xf32>,
                      %sw: tensor<f32>, %sa: tensor<f32>, %se: tensor<f32>, %sg: tensor<f32>)
    -> (tensor<64x64xf32>, tensor<256x128xf32>, tensor<128x64xf32>) {
  %sw2 = tensor.expand_shape %sw [] output_shape [1, 1] : tensor<f32> into tensor<1x1xf32>
  %sa2 = tensor.expand_shape %sa [] output_shape [1, 1] : tensor<f32> into tensor<1x1xf32>
  %se2 = tensor.expand_shape %se [] output_shape [1, 1] : tensor<f32> into tensor<1x1xf32>
  %sg2 = tensor.expand_shape %sg [] output_shape [1, 1] : tensor<f32> into tensor<1x1xf32>

  // W (bias shared by both layers)
  %qw1 = qtrain.quantize %w1 scales(%sw2 : tensor<1x1xf32>) {format = #qtrain.scaled<#qtrain.fp<e5m2, specials = none, subnormals = false, overflow = saturate>, [#qtrain.scale_level<tensor, e8m0, given>]>} : tensor<256x128xf32>
  %qw2 = qtrain.quantize %w2 scales(%sw2 : tensor<1x1xf32>) {format = #qtrain.scaled<#qtrain.fp<e5m2, specials = none, subnormals = false, overflow = saturate>, [#qtrain.scale_level<tensor, e8m0, given>]>} : tensor<128x64xf32>

  // forward
  %zero1 = arith.constant dense<0.000000e+00> : tensor<64x128xf32>
  %qa0 = qtrain.quantize %a0 scales(%sa2 : tensor<1x1xf32>) {format = #qtrain.scaled<#qtrain.fp<e5m2, specials = none, subnormals = false, overflow = saturate>, [#qtrain.scale_level<tensor, e8m0, given>]>} : tensor<64x256xf32>
  %y1 = qtrain.matmul %qa0, %qw1 : tensor<64x256xf32>, tensor<256x128xf32> -> tensor<64x128xf32>
  %r1 = arith.maximumf %y1, %zero1 : tensor<64x128xf32>
  %qa1 = qtrain.quantize %r1 scales(%sa2 : tensor<1x1xf32>) {format = #qtrain.scaled<#qtrain.fp<e5m2, specials = none, subnormals = false, overflow = saturate>, [#qtrain.scale_level<tensor, e8m0, given>]>} : tensor<64x128xf32>
  %y2 = qtrain.matmul %qa1, %qw2 : tensor<64x128xf32>, tensor<128x64xf32> -> tensor<64x64xf32>

  // backward (E), through the ReLU mask
  %qe2 = qtrain.quantize %ey2 scales(%se2 : tensor<1x1xf32>) {format = #qtrain.scaled<#qtrain.fp<e5m2, specials = none, subnormals = false, overflow = saturate>, [#qtrain.scale_level<tensor, e8m0, given>]>} : tensor<64x64xf32>
  %ea1 = qtrain.matmul %qe2, %qw2 {transpose_b} : tensor<64x64xf32>, tensor<128x64xf32> -> tensor<64x128xf32>
  %pos = arith.cmpf ogt, %y1, %zero1 : tensor<64x128xf32>
  %ey1 = arith.select %pos, %ea1, %zero1 : tensor<64x128xi1>, tensor<64x128xf32>
  %qe1 = qtrain.quantize %ey1 scales(%se2 : tensor<1x1xf32>) {format = #qtrain.scaled<#qtrain.fp<e5m2, specials = none, subnormals = false, overflow = saturate>, [#qtrain.scale_level<tensor, e8m0, given>]>} : tensor<64x128xf32>

  // weight gradients (G)
  %g2 = qtrain.matmul %qa1, %qe2 {transpose_a} : tensor<64x128xf32>, tensor<64x64xf32> -> tensor<128x64xf32>
  %g1 = qtrain.matmul %qa0, %qe1 {transpose_a} : tensor<64x256xf32>, tensor<64x128xf32> -> tensor<256x128xf32>
  %qg1 = qtrain.quantize %g1 scales(%sg2 : tensor<1x1xf32>) {format = #qtrain.scaled<#qtrain.fp<e5m2, specials = none, subnormals = false, overflow = saturate>, [#qtrain.scale_level<tensor, e8m0, given>]>} : tensor<256x128xf32>
  %qg2 = qtrain.quantize %g2 scales(%sg2 : tensor<1x1xf32>) {format = #qtrain.scaled<#qtrain.fp<e5m2, specials = none, subnormals = false, overflow = saturate>, [#qtrain.scale_level<tensor, e8m0, given>]>} : tensor<128x64xf32>
  return %y2, %qg1, %qg2 : tensor<64x64xf32>, tensor<256x128xf32>, tensor<128x64xf32>
}

// Per-tensor, per-step variant: the preset derives the bias from the exact
// median of the tensor being quantized.
func.func @abfp8_dynamic(%w: tensor<256x128xf32>) -> tensor<256x128xf32> {
  %q = qtrain.quantize %w {format = #qtrain.scaled<abfp8_e5m2>} : tensor<256x128xf32>
  return %q : tensor<256x128xf32>
}

// A bias known when compiling (for instance W: 25, E: 31, as the paper
// reports W and A around 23-28 and E around 31) is simply a format with that
// bias; no scale level. A bias held in an SSA value is stored with
// qtrain.encode and a `given` level (scales(...) operand) instead. The codes
// are i8 (no builtin type has this encoding).
func.func @abfp8_static_bias(%w: tensor<256x128xf32>, %e: tensor<64x128xf32>)
    -> (tensor<256x128xi8>, tensor<64x128xf32>) {
  %cw = qtrain.encode %w {format = #qtrain.fp<e5m2, bias = 25, specials = none, subnormals = false, overflow = saturate>}
      : tensor<256x128xf32> -> tensor<256x128xi8>
  %qe = qtrain.quantize %e {format = #qtrain.fp<e5m2, bias = 31, specials = none, subnormals = false, overflow = saturate>}
      : tensor<64x128xf32>
  return %cw, %qe : tensor<256x128xi8>, tensor<64x128xf32>
}
