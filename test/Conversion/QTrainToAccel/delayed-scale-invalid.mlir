// An amax history longer than an ACC half (2040 entries on the bundled
// machine) is not shifted in the ACC; the error is at the delayed_scale
// the window came from.
// RUN: qtrain-opt %s --qtrain-to-accel --verify-diagnostics

func.func @long_history(%a: tensor<f32>, %h: tensor<4096xf32>) -> (tensor<f32>, tensor<4096xf32>) {
  // expected-error @below {{cannot map 'tensor.generate' to the accelerator: a history of 4096 entries is longer than an ACC half (2040 entries)}}
  %s, %h1 = qtrain.delayed_scale %a, %h {level = #qtrain.scale_level<tensor, f32, amax_to_max>, element = #qtrain.fp<e4m3fn>} : tensor<f32>, tensor<4096xf32>
  return %s, %h1 : tensor<f32>, tensor<4096xf32>
}
