// RUN: qtrain-opt %s --split-input-file --qtrain-decompose --verify-diagnostics

// A backward convolution whose result leaves the sizes the operands do not
// give dynamic cannot be decomposed (H and W do not follow from OH and OW).

func.func @backward_data_dynamic_input(%dy: tensor<1x1x2x2xf32>, %w: tensor<1x1x2x2xf32>) -> tensor<1x1x?x?xf32> {
  // expected-error @+1 {{cannot decompose 'qtrain.conv2d': a backward_data convolution needs the input's H and W static in its result type, got 'tensor<1x1x?x?xf32>'}}
  %dx = qtrain.conv2d %dy, %w {kind = #qtrain.conv_kind<backward_data>}
      : tensor<1x1x2x2xf32>, tensor<1x1x2x2xf32> -> tensor<1x1x?x?xf32>
  return %dx : tensor<1x1x?x?xf32>
}

// -----

func.func @backward_weight_dynamic_filter(%x: tensor<1x1x3x3xf32>, %dy: tensor<1x1x2x2xf32>) -> tensor<1x1x?x2xf32> {
  // expected-error @+1 {{cannot decompose 'qtrain.conv2d': a backward_weight convolution needs the filter's KH and KW static in its result type, got 'tensor<1x1x?x2xf32>'}}
  %dw = qtrain.conv2d %x, %dy {kind = #qtrain.conv_kind<backward_weight>}
      : tensor<1x1x3x3xf32>, tensor<1x1x2x2xf32> -> tensor<1x1x?x2xf32>
  return %dw : tensor<1x1x?x2xf32>
}
