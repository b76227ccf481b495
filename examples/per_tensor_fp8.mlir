// Per-tensor scaled FP8 training, "hybrid" recipe: E4M3 for the forward
// operands (W, A), E5M2 for the errors E. One f32 scale per tensor maps the
// tensor's amax near the format maximum (448 for E4M3, 57344 for E5M2).
// (docs/Numerics.md, "Techniques as instances" and "Scale rules".)
//
//   #qtrain.scaled<fp8_e4m3_tensor> = saturating E4M3 with
//       [#qtrain.scale_level<tensor, f32, amax_to_max>]
//   #qtrain.scaled<fp8_e5m2_tensor> = saturating E5M2 with the same level
//
// Three ways to get the scale:
//   current, implicit  the preset computes amax and the scale of the tensor
//                      it quantizes (scale = amax * 2^margin / max);
//   current, explicit  qtrain.amax + qtrain.select_scale, then a `given`
//                      scale level fed with that scale;
//   delayed            qtrain.delayed_scale keeps a window of past amaxes as
//                      an SSA tensor; the scale comes from its maximum.
//
// A `given` level takes its scale as an operand of qtrain.quantize, shaped
// like the level's block grid: one block over the whole tensor, so
// tensor<1x1xf32> for a rank-2 input; a whole-tensor level also accepts the
// 0-d scale directly. The steps below spell the expand_shape out.

// Current scaling with the presets: the scale is computed inside quantize.
func.func @fp8_current_presets(%a: tensor<64x256xf32>, %w: tensor<256x128xf32>, %ey: tensor<64x128xf32>)
    -> (tensor<64x128xf32>, tensor<64x256xf32>, tensor<256x128xf32>) {
  %qa = qtrain.quantize %a {format = #qtrain.scaled<fp8_e4m3_tensor>} : tensor<64x256xf32>
  %qw = qtrain.quantize %w {format = #qtrain.scaled<fp8_e4m3_tensor>} : tensor<256x128xf32>
  %qe = qtrain.quantize %ey {format = #qtrain.scaled<fp8_e5m2_tensor>} : tensor<64x128xf32>
  %y = qtrain.matmul %qa, %qw : tensor<64x256xf32>, tensor<256x128xf32> -> tensor<64x128xf32>
  %ea = qtrain.matmul %qe, %qw {transpose_b} : tensor<64x128xf32>, tensor<256x128xf32> -> tensor<64x256xf32>
  %gw = qtrain.matmul %qa, %qe {transpose_a} : tensor<64x256xf32>, tensor<64x128xf32> -> tensor<256x128xf32>
  return %y, %ea, %gw : tensor<64x128xf32>, tensor<64x256xf32>, tensor<256x128xf32>
}

// Current scaling spelled out, with the scales as values (an FP8 GEMM
// kernel needs them to rescale its output). The errors keep one binade of
// headroom (margin = 1: amax lands at max / 2).
func.func @fp8_current_explicit(%a: tensor<64x256xf32>, %w: tensor<256x128xf32>, %ey: tensor<64x128xf32>)
    -> (tensor<64x128xf32>, tensor<f32>, tensor<f32>, tensor<f32>) {
  %amax_a = qtrain.amax %a : tensor<64x256xf32> -> tensor<f32>
  %amax_w = qtrain.amax %w : tensor<256x128xf32> -> tensor<f32>
  %amax_e = qtrain.amax %ey : tensor<64x128xf32> -> tensor<f32>
  %s_a = qtrain.select_scale %amax_a {level = #qtrain.scale_level<tensor, f32, amax_to_max>,
                                      element = #qtrain.fp<e4m3fn>} : tensor<f32>
  %s_w = qtrain.select_scale %amax_w {level = #qtrain.scale_level<tensor, f32, amax_to_max>,
                                      element = #qtrain.fp<e4m3fn>} : tensor<f32>
  %s_e = qtrain.select_scale %amax_e {level = #qtrain.scale_level<tensor, f32, amax_to_max, margin = 1>,
                                      element = #qtrain.fp<e5m2>} : tensor<f32>
  %s_a2 = tensor.expand_shape %s_a [] output_shape [1, 1] : tensor<f32> into tensor<1x1xf32>
  %s_w2 = tensor.expand_shape %s_w [] output_shape [1, 1] : tensor<f32> into tensor<1x1xf32>
  %qa = qtrain.quantize %a scales(%s_a2 : tensor<1x1xf32>) {format = #qtrain.scaled<#qtrain.fp<e4m3fn, overflow = saturate>, [#qtrain.scale_level<tensor, f32, given>]>} : tensor<64x256xf32>
  %qw = qtrain.quantize %w scales(%s_w2 : tensor<1x1xf32>) {format = #qtrain.scaled<#qtrain.fp<e4m3fn, overflow = saturate>, [#qtrain.scale_level<tensor, f32, given>]>} : tensor<256x128xf32>
  %y = qtrain.matmul %qa, %qw : tensor<64x256xf32>, tensor<256x128xf32> -> tensor<64x128xf32>
  return %y, %s_a, %s_w, %s_e : tensor<64x128xf32>, tensor<f32>, tensor<f32>, tensor<f32>
}

// Delayed scaling, one training step. The scales used in this step were
// computed at the end of the previous step (%s_*), so casting needs no extra
// pass over the data. The step records this step's amaxes:
// qtrain.delayed_scale appends each to its 16-entry history (dropping the
// oldest) and returns the scale for the next step from the maximum over the
// window. Histories and scales are SSA values the training loop threads
// from step to step. The elements saturate: a stale scale may let a new
// outlier exceed the format's range.
func.func @fp8_delayed_step(%a: tensor<64x256xf32>, %w: tensor<256x128xf32>, %ey: tensor<64x128xf32>,
                            %s_a: tensor<f32>, %s_w: tensor<f32>, %s_e: tensor<f32>,
                            %h_a: tensor<16xf32>, %h_w: tensor<16xf32>, %h_e: tensor<16xf32>)
    -> (tensor<64x128xf32>, tensor<64x256xf32>, tensor<256x128xf32>,
        tensor<f32>, tensor<f32>, tensor<f32>,
        tensor<16xf32>, tensor<16xf32>, tensor<16xf32>) {
  %s_a2 = tensor.expand_shape %s_a [] output_shape [1, 1] : tensor<f32> into tensor<1x1xf32>
  %s_w2 = tensor.expand_shape %s_w [] output_shape [1, 1] : tensor<f32> into tensor<1x1xf32>
  %s_e2 = tensor.expand_shape %s_e [] output_shape [1, 1] : tensor<f32> into tensor<1x1xf32>
  %qa = qtrain.quantize %a scales(%s_a2 : tensor<1x1xf32>) {format = #qtrain.scaled<#qtrain.fp<e4m3fn, overflow = saturate>, [#qtrain.scale_level<tensor, f32, given>]>} : tensor<64x256xf32>
  %qw = qtrain.quantize %w scales(%s_w2 : tensor<1x1xf32>) {format = #qtrain.scaled<#qtrain.fp<e4m3fn, overflow = saturate>, [#qtrain.scale_level<tensor, f32, given>]>} : tensor<256x128xf32>
  %qe = qtrain.quantize %ey scales(%s_e2 : tensor<1x1xf32>) {format = #qtrain.scaled<#qtrain.fp<e5m2, overflow = saturate>, [#qtrain.scale_level<tensor, f32, given>]>} : tensor<64x128xf32>
  // the three GEMMs
  %y = qtrain.matmul %qa, %qw : tensor<64x256xf32>, tensor<256x128xf32> -> tensor<64x128xf32>
  %ea = qtrain.matmul %qe, %qw {transpose_b} : tensor<64x128xf32>, tensor<256x128xf32> -> tensor<64x256xf32>
  %gw = qtrain.matmul %qa, %qe {transpose_a} : tensor<64x256xf32>, tensor<64x128xf32> -> tensor<256x128xf32>
  // amax bookkeeping for the next step
  %amax_a = qtrain.amax %a : tensor<64x256xf32> -> tensor<f32>
  %amax_w = qtrain.amax %w : tensor<256x128xf32> -> tensor<f32>
  %amax_e = qtrain.amax %ey : tensor<64x128xf32> -> tensor<f32>
  %s_a_next, %h_a_next = qtrain.delayed_scale %amax_a, %h_a {level = #qtrain.scale_level<tensor, f32, amax_to_max>,
                                                             element = #qtrain.fp<e4m3fn>} : tensor<f32>, tensor<16xf32>
  %s_w_next, %h_w_next = qtrain.delayed_scale %amax_w, %h_w {level = #qtrain.scale_level<tensor, f32, amax_to_max>,
                                                             element = #qtrain.fp<e4m3fn>} : tensor<f32>, tensor<16xf32>
  %s_e_next, %h_e_next = qtrain.delayed_scale %amax_e, %h_e {level = #qtrain.scale_level<tensor, f32, amax_to_max, margin = 1>,
                                                             element = #qtrain.fp<e5m2>} : tensor<f32>, tensor<16xf32>
  return %y, %ea, %gw, %s_a_next, %s_w_next, %s_e_next, %h_a_next, %h_w_next, %h_e_next
      : tensor<64x128xf32>, tensor<64x256xf32>, tensor<256x128xf32>,
        tensor<f32>, tensor<f32>, tensor<f32>,
        tensor<16xf32>, tensor<16xf32>, tensor<16xf32>
}

// Two consecutive steps: the second consumes the scales and histories the
// first produced. At the very start, the histories are zeros and the scales
// come from current scaling.
func.func @fp8_two_steps(%a0: tensor<64x256xf32>, %ey0: tensor<64x128xf32>,
                         %a1: tensor<64x256xf32>, %ey1: tensor<64x128xf32>,
                         %w: tensor<256x128xf32>)
    -> (tensor<64x128xf32>, tensor<64x128xf32>, tensor<16xf32>) {
  %h0 = arith.constant dense<0.000000e+00> : tensor<16xf32>
  %y, %s_a, %s_w, %s_e = func.call @fp8_current_explicit(%a0, %w, %ey0)
      : (tensor<64x256xf32>, tensor<256x128xf32>, tensor<64x128xf32>)
      -> (tensor<64x128xf32>, tensor<f32>, tensor<f32>, tensor<f32>)
  %y0, %ea0, %gw0, %s_a1, %s_w1, %s_e1, %h_a1, %h_w1, %h_e1 = func.call @fp8_delayed_step(%a0, %w, %ey0, %s_a, %s_w, %s_e, %h0, %h0, %h0)
      : (tensor<64x256xf32>, tensor<256x128xf32>, tensor<64x128xf32>,
         tensor<f32>, tensor<f32>, tensor<f32>, tensor<16xf32>, tensor<16xf32>, tensor<16xf32>)
      -> (tensor<64x128xf32>, tensor<64x256xf32>, tensor<256x128xf32>,
          tensor<f32>, tensor<f32>, tensor<f32>, tensor<16xf32>, tensor<16xf32>, tensor<16xf32>)
  %y1, %ea1, %gw1, %s_a2, %s_w2, %s_e2, %h_a2, %h_w2, %h_e2 = func.call @fp8_delayed_step(%a1, %w, %ey1, %s_a1, %s_w1, %s_e1, %h_a1, %h_w1, %h_e1)
      : (tensor<64x256xf32>, tensor<256x128xf32>, tensor<64x128xf32>,
         tensor<f32>, tensor<f32>, tensor<f32>, tensor<16xf32>, tensor<16xf32>, tensor<16xf32>)
      -> (tensor<64x128xf32>, tensor<64x256xf32>, tensor<256x128xf32>,
          tensor<f32>, tensor<f32>, tensor<f32>, tensor<16xf32>, tensor<16xf32>, tensor<16xf32>)
  return %y0, %y1, %h_a2 : tensor<64x128xf32>, tensor<64x128xf32>, tensor<16xf32>
}
