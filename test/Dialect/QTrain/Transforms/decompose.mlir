// RUN: qtrain-opt %s --split-input-file --qtrain-decompose | FileCheck %s
// RUN: qtrain-opt %s --split-input-file --qtrain-decompose=keep-zero-setting-error | FileCheck %s --check-prefix=KEEP

// keep-zero-setting-error leaves the op whole (and still rewrites the
// others).
// KEEP-LABEL: func.func @zero_setting_error(
// KEEP-NEXT:    qtrain.zero_setting_error %{{.*}} {format = #qtrain.int<sm5, frac = 3>
// KEEP-NOT:     linalg.generic
// KEEP-LABEL: func.func @zero_setting_error_all
// KEEP:         qtrain.zero_setting_error

// conv2d: the taps as an im2col matrix (a tensor.generate over the
// multi-indices of rows and columns, marked with the convolution's geometry
// and collapsed to two dimensions), the other operand and the result as
// reshapes and copies that swap two dimensions, one qtrain.matmul with the
// op's accumulation. Static shapes give static types.

// CHECK-DAG: #[[SWAP:.*]] = affine_map<(d0, d1, d2) -> (d1, d0, d2)>
// CHECK-DAG: #[[ID:.*]] = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
// CHECK-LABEL: func.func @conv_forward
// CHECK-SAME: (%[[X:.*]]: tensor<2x3x8x8xf32>, %[[W:.*]]: tensor<4x3x3x3xf32>)
// CHECK-NOT: qtrain.conv2d
// The filter as W[F, C*KH*KW]: a view.
// CHECK: %[[A:.*]] = tensor.collapse_shape %[[W]] {{\[\[}}0], [1, 2, 3]] : tensor<4x3x3x3xf32> into tensor<4x27xf32>
// col(x)[(C, KH, KW), (N, OH, OW)]: guarded reads of x, +0 outside.
// CHECK: %[[XG:.*]] = tensor.generate
// CHECK: %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK: %[[TAP:.*]] = tensor.extract %[[X]]
// CHECK: arith.select %{{.*}}, %[[TAP]], %[[ZERO]] : f32
// CHECK: } {qtrain.im2col = {dilations = array<i64: 1, 1>, kind = #qtrain.conv_kind<forward>, padding = array<i64: 1, 1, 1, 1>, strides = array<i64: 2, 2>}} : tensor<3x3x3x2x4x4xf32>
// CHECK: %[[B:.*]] = tensor.collapse_shape %[[XG]] {{\[\[}}0, 1, 2], [3, 4, 5]] : tensor<3x3x3x2x4x4xf32> into tensor<27x32xf32>
// CHECK: %[[P:.*]] = qtrain.matmul %[[A]], %[[B]] {accumulation = #qtrain.accum<#qtrain.fp<fp12_dga>, efficient_dga>} : tensor<4x27xf32>, tensor<27x32xf32> -> tensor<4x32xf32>
// [F, N*OH*OW] -> [F, N, OH*OW] -> [N, F, OH*OW] -> [N, F, OH, OW].
// CHECK: %[[PE:.*]] = tensor.expand_shape %[[P]] {{\[\[}}0], [1, 2]] output_shape [4, 2, 16] : tensor<4x32xf32> into tensor<4x2x16xf32>
// CHECK: %[[E:.*]] = tensor.empty() : tensor<2x4x16xf32>
// CHECK: %[[T:.*]] = linalg.generic {indexing_maps = [#[[SWAP]], #[[ID]]], iterator_types = ["parallel", "parallel", "parallel"]} ins(%[[PE]] : tensor<4x2x16xf32>) outs(%[[E]] : tensor<2x4x16xf32>)
// CHECK-NEXT: ^bb0(%[[IN:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT: linalg.yield %[[IN]] : f32
// CHECK: %[[Y:.*]] = tensor.expand_shape %[[T]] {{\[\[}}0], [1], [2, 3]] output_shape [2, 4, 4, 4] : tensor<2x4x16xf32> into tensor<2x4x4x4xf32>
// CHECK: return %[[Y]]
func.func @conv_forward(%x: tensor<2x3x8x8xf32>, %w: tensor<4x3x3x3xf32>) -> tensor<2x4x4x4xf32> {
  %y = qtrain.conv2d %x, %w {strides = array<i64: 2, 2>, padding = array<i64: 1, 1, 1, 1>,
         accumulation = #qtrain.accum<#qtrain.fp<fp12_dga>, efficient_dga>}
      : tensor<2x3x8x8xf32>, tensor<4x3x3x3xf32> -> tensor<2x4x4x4xf32>
  return %y : tensor<2x4x4x4xf32>
}

// -----

// Dynamic batch and output extents: computed and passed to the gather, the
// reshapes and the copy.

// CHECK-LABEL: func.func @conv_forward_dynamic
// CHECK: tensor.generate %{{.*}}, %{{.*}}, %{{.*}} {
// CHECK: } {qtrain.im2col = {dilations = array<i64: 2, 1>, {{.*}}} : tensor<3x3x3x?x?x?xf32>
// CHECK: %[[P:.*]] = qtrain.matmul {{.*}} : tensor<4x27xf32>, tensor<27x?xf32> -> tensor<4x?xf32>
// CHECK: tensor.expand_shape %[[P]] {{\[\[}}0], [1, 2]] output_shape [4, %{{.*}}, %{{.*}}] : tensor<4x?xf32> into tensor<4x?x?xf32>
// CHECK: tensor.empty(%{{.*}}, %{{.*}}) : tensor<?x4x?xf32>
// CHECK: %[[T:.*]] = linalg.generic
// CHECK: %[[Y:.*]] = tensor.expand_shape %[[T]] {{\[\[}}0], [1], [2, 3]] output_shape [%{{.*}}, 4, %{{.*}}, %{{.*}}] : tensor<?x4x?xf32> into tensor<?x4x?x?xf32>
// CHECK: return %[[Y]]
func.func @conv_forward_dynamic(%x: tensor<?x3x?x?xf32>, %w: tensor<4x3x3x3xf32>) -> tensor<?x4x?x?xf32> {
  %y = qtrain.conv2d %x, %w {dilations = array<i64: 2, 1>}
      : tensor<?x3x?x?xf32>, tensor<4x3x3x3xf32> -> tensor<?x4x?x?xf32>
  return %y : tensor<?x4x?x?xf32>
}

// -----

// backward_data: W^T[C, F*KH*KW] x col(dy)[F*KH*KW, N*H*W].

// CHECK-LABEL: func.func @conv_backward_data
// CHECK-SAME: (%[[DY:.*]]: tensor<2x4x4x4xf32>, %[[W:.*]]: tensor<4x3x3x3xf32>)
// CHECK-NOT: qtrain.conv2d
// W^T: [F, C, KH*KW] -> [C, F, KH*KW] -> [C, F*KH*KW].
// CHECK: %[[WC:.*]] = tensor.collapse_shape %[[W]] {{\[\[}}0], [1], [2, 3]] : tensor<4x3x3x3xf32> into tensor<4x3x9xf32>
// CHECK: %[[WT:.*]] = linalg.generic {{.*}} ins(%[[WC]] : tensor<4x3x9xf32>) outs(%{{.*}} : tensor<3x4x9xf32>)
// CHECK: %[[A:.*]] = tensor.collapse_shape %[[WT]] {{\[\[}}0], [1, 2]] : tensor<3x4x9xf32> into tensor<3x36xf32>
// CHECK: tensor.generate
// CHECK: tensor.extract %[[DY]]
// CHECK: } {qtrain.im2col = {{{.*}}kind = #qtrain.conv_kind<backward_data>{{.*}}} : tensor<4x3x3x2x8x8xf32>
// CHECK: %[[B:.*]] = tensor.collapse_shape %{{.*}} {{\[\[}}0, 1, 2], [3, 4, 5]] : tensor<4x3x3x2x8x8xf32> into tensor<36x128xf32>
// CHECK: %[[P:.*]] = qtrain.matmul %[[A]], %[[B]] : tensor<3x36xf32>, tensor<36x128xf32> -> tensor<3x128xf32>
// CHECK: tensor.expand_shape %[[P]] {{\[\[}}0], [1, 2]] output_shape [3, 2, 64]
// CHECK: %[[T:.*]] = linalg.generic
// CHECK: %[[Y:.*]] = tensor.expand_shape %[[T]] {{.*}} into tensor<2x3x8x8xf32>
// CHECK: return %[[Y]]
func.func @conv_backward_data(%dy: tensor<2x4x4x4xf32>, %w: tensor<4x3x3x3xf32>) -> tensor<2x3x8x8xf32> {
  %dx = qtrain.conv2d %dy, %w {kind = #qtrain.conv_kind<backward_data>,
          strides = array<i64: 2, 2>, padding = array<i64: 1, 1, 1, 1>}
      : tensor<2x4x4x4xf32>, tensor<4x3x3x3xf32> -> tensor<2x3x8x8xf32>
  return %dx : tensor<2x3x8x8xf32>
}

// -----

// backward_weight: dy[F, N*OH*OW] x col(x)[N*OH*OW, C*KH*KW], whose product
// is the filter gradient's row-major layout.

// CHECK-LABEL: func.func @conv_backward_weight
// CHECK-SAME: (%[[X:.*]]: tensor<2x3x8x8xf32>, %[[DY:.*]]: tensor<2x4x4x4xf32>)
// CHECK-NOT: qtrain.conv2d
// dy as [F, N*OH*OW]: [N, F, OH*OW] -> [F, N, OH*OW] -> [F, N*OH*OW].
// CHECK: %[[DC:.*]] = tensor.collapse_shape %[[DY]] {{\[\[}}0], [1], [2, 3]] : tensor<2x4x4x4xf32> into tensor<2x4x16xf32>
// CHECK: %[[DT:.*]] = linalg.generic {{.*}} ins(%[[DC]] : tensor<2x4x16xf32>) outs(%{{.*}} : tensor<4x2x16xf32>)
// CHECK: %[[A:.*]] = tensor.collapse_shape %[[DT]] {{\[\[}}0], [1, 2]] : tensor<4x2x16xf32> into tensor<4x32xf32>
// CHECK: tensor.generate
// CHECK: tensor.extract %[[X]]
// CHECK: } {qtrain.im2col = {{{.*}}kind = #qtrain.conv_kind<backward_weight>{{.*}}} : tensor<2x4x4x3x3x3xf32>
// CHECK: %[[B:.*]] = tensor.collapse_shape %{{.*}} {{\[\[}}0, 1, 2], [3, 4, 5]] : tensor<2x4x4x3x3x3xf32> into tensor<32x27xf32>
// CHECK: %[[P:.*]] = qtrain.matmul %[[A]], %[[B]] {accumulation = #qtrain.accum<#qtrain.fp<fp16_dga>, static, group = 16>} : tensor<4x32xf32>, tensor<32x27xf32> -> tensor<4x27xf32>
// The product is the filter gradient's row-major layout.
// CHECK: %[[Y:.*]] = tensor.expand_shape %[[P]] {{\[\[}}0], [1, 2, 3]] output_shape [4, 3, 3, 3] : tensor<4x27xf32> into tensor<4x3x3x3xf32>
// CHECK: return %[[Y]]
func.func @conv_backward_weight(%x: tensor<2x3x8x8xf32>, %dy: tensor<2x4x4x4xf32>) -> tensor<4x3x3x3xf32> {
  %dw = qtrain.conv2d %x, %dy {kind = #qtrain.conv_kind<backward_weight>,
          strides = array<i64: 2, 2>, padding = array<i64: 1, 1, 1, 1>,
          accumulation = #qtrain.accum<#qtrain.fp<fp16_dga>, static, group = 16>}
      : tensor<2x3x8x8xf32>, tensor<2x4x4x4xf32> -> tensor<4x3x3x3xf32>
  return %dw : tensor<4x3x3x3xf32>
}

// -----

// delayed_scale: the shifted window with the new amax last, then amax and
// select_scale with the op's level; an empty history fails at run time.

// CHECK-LABEL: func.func @delayed_scale
// CHECK-SAME: (%[[AMAX:.*]]: tensor<f32>, %[[H:.*]]: tensor<?xf32>)
// CHECK-DAG: %[[C0:.*]] = arith.constant 0 : index
// CHECK-DAG: %[[C1:.*]] = arith.constant 1 : index
// CHECK: %[[N:.*]] = tensor.dim %[[H]], %[[C0]] : tensor<?xf32>
// CHECK: %[[NONEMPTY:.*]] = arith.cmpi uge, %[[N]], %[[C1]] : index
// CHECK: cf.assert %[[NONEMPTY]], "qtrain.delayed_scale: the amax history is empty"
// CHECK: %[[A:.*]] = tensor.extract %[[AMAX]][] : tensor<f32>
// CHECK: %[[LAST:.*]] = arith.subi %[[N]], %[[C1]] : index
// CHECK: %[[WIN:.*]] = tensor.generate %[[N]] {
// CHECK: ^bb0(%[[I:.*]]: index):
// CHECK:   %[[ISLAST:.*]] = arith.cmpi eq, %[[I]], %[[LAST]] : index
// CHECK:   %[[I1:.*]] = arith.addi %[[I]], %[[C1]] : index
// CHECK:   %[[NEXT:.*]] = arith.minui %[[I1]], %[[LAST]] : index
// CHECK:   %[[OLD:.*]] = tensor.extract %[[H]][%[[NEXT]]] : tensor<?xf32>
// CHECK:   %[[V:.*]] = arith.select %[[ISLAST]], %[[A]], %[[OLD]] : f32
// CHECK:   tensor.yield %[[V]] : f32
// CHECK: } {qtrain.history_shift} : tensor<?xf32>
// CHECK: %[[M:.*]] = qtrain.amax %[[WIN]] : tensor<?xf32> -> tensor<f32>
// CHECK: %[[S:.*]] = qtrain.select_scale %[[M]] {element = #qtrain.fp<e4m3fn>, level = #qtrain.scale_level<tensor, f32, amax_to_max, margin = 1>} : tensor<f32>
// CHECK: return %[[S]], %[[WIN]]
func.func @delayed_scale(%amax: tensor<f32>, %h: tensor<?xf32>) -> (tensor<f32>, tensor<?xf32>) {
  %s, %h1 = qtrain.delayed_scale %amax, %h {level = #qtrain.scale_level<tensor, f32, amax_to_max, margin = 1>,
              element = #qtrain.fp<e4m3fn>} : tensor<f32>, tensor<?xf32>
  return %s, %h1 : tensor<f32>, tensor<?xf32>
}

// -----

// zero_setting_error: the op's quantize, then i64 counts of the flushed
// inputs and of the candidates (non-zero, non-NaN), and their ratio in f64
// rounded to f32, 0 when nothing counts.

// CHECK-DAG: #[[ID:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[SCALAR:.*]] = affine_map<(d0, d1) -> ()>
// CHECK-LABEL: func.func @zero_setting_error
// CHECK-SAME: (%[[X:.*]]: tensor<4x16xf32>)
// CHECK: %[[Q:.*]] = qtrain.quantize %[[X]] {format = #qtrain.int<sm5, frac = 3>, rounding = #qtrain.rounding<toward_zero>} : tensor<4x16xf32>
// CHECK: %[[ZERO:.*]] = arith.constant 0 : i64
// CHECK: %[[E0:.*]] = tensor.empty() : tensor<i64>
// CHECK: %[[F0:.*]] = linalg.fill ins(%[[ZERO]] : i64) outs(%[[E0]] : tensor<i64>) -> tensor<i64>
// CHECK: %[[E1:.*]] = tensor.empty() : tensor<i64>
// CHECK: %[[F1:.*]] = linalg.fill ins(%[[ZERO]] : i64) outs(%[[E1]] : tensor<i64>) -> tensor<i64>
// CHECK: %[[COUNTS:.*]]:2 = linalg.generic {indexing_maps = [#[[ID]], #[[ID]], #[[SCALAR]], #[[SCALAR]]], iterator_types = ["reduction", "reduction"]}
// CHECK-SAME: ins(%[[X]], %[[Q]] : tensor<4x16xf32>, tensor<4x16xf32>) outs(%[[F0]], %[[F1]] : tensor<i64>, tensor<i64>)
// CHECK: ^bb0(%[[V:.*]]: f32, %[[R:.*]]: f32, %[[FL:.*]]: i64, %[[CA:.*]]: i64):
// CHECK-DAG: %[[CAND:.*]] = arith.cmpf one, %[[V]], %[[FZERO:.*]] : f32
// CHECK-DAG: %[[QZERO:.*]] = arith.cmpf oeq, %[[R]], %[[FZERO]] : f32
// CHECK-DAG: %[[FLUSHED:.*]] = arith.andi %[[CAND]], %[[QZERO]] : i1
// CHECK: linalg.yield
// CHECK: } -> (tensor<i64>, tensor<i64>)
// CHECK-DAG: %[[NUMI:.*]] = tensor.extract %[[COUNTS]]#0[] : tensor<i64>
// CHECK-DAG: %[[DENI:.*]] = tensor.extract %[[COUNTS]]#1[] : tensor<i64>
// CHECK-DAG: %[[NUM:.*]] = arith.uitofp %[[NUMI]] : i64 to f64
// CHECK-DAG: %[[DEN:.*]] = arith.uitofp %[[DENI]] : i64 to f64
// CHECK: %[[DIV:.*]] = arith.divf %[[NUM]], %[[DEN]] : f64
// CHECK: %[[RATIO:.*]] = arith.truncf %[[DIV]] : f64 to f32
// CHECK: %[[NONE:.*]] = arith.cmpi eq, %[[DENI]], %[[ZERO]] : i64
// CHECK: %[[RZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK: %[[RES:.*]] = arith.select %[[NONE]], %[[RZERO]], %[[RATIO]] : f32
// CHECK: %[[T:.*]] = tensor.from_elements %[[RES]] : tensor<f32>
// CHECK: return %[[T]]
func.func @zero_setting_error(%x: tensor<4x16xf32>) -> tensor<f32> {
  %z = qtrain.zero_setting_error %x {format = #qtrain.int<sm5, frac = 3>,
         rounding = #qtrain.rounding<toward_zero>} : tensor<4x16xf32> -> tensor<f32>
  return %z : tensor<f32>
}

// -----

// With all_elements, one count; the denominator is the element count.

// CHECK-LABEL: func.func @zero_setting_error_all
// CHECK: %[[Q:.*]] = qtrain.quantize %{{.*}} {format = #qtrain.scaled<fb12>, reduction_axis = 1 : i64} : tensor<16x24xf32>
// CHECK: %[[COUNT:.*]] = linalg.generic
// CHECK-SAME: iterator_types = ["reduction", "reduction"]
// CHECK-SAME: outs(%{{.*}} : tensor<i64>)
// CHECK: } -> tensor<i64>
// CHECK: %[[NUMI:.*]] = tensor.extract %[[COUNT]][] : tensor<i64>
// CHECK: %[[DENI:.*]] = arith.constant 384 : i64
// CHECK-DAG: arith.uitofp %[[NUMI]] : i64 to f64
// CHECK-DAG: arith.uitofp %[[DENI]] : i64 to f64
func.func @zero_setting_error_all(%w: tensor<16x24xf32>) -> tensor<f32> {
  %z = qtrain.zero_setting_error %w {format = #qtrain.scaled<fb12>, reduction_axis = 1,
         all_elements} : tensor<16x24xf32> -> tensor<f32>
  return %z : tensor<f32>
}

// -----

// A dynamic shape with all_elements: the product of the sizes.

// CHECK-LABEL: func.func @zero_setting_error_all_dynamic
// CHECK-SAME: (%[[X:.*]]: tensor<?x8xf32>)
// CHECK: %[[D0:.*]] = tensor.dim %[[X]], %{{.*}} : tensor<?x8xf32>
// CHECK: %[[P0:.*]] = arith.muli %{{.*}}, %[[D0]] : index
// CHECK: %[[D1:.*]] = tensor.dim %[[X]], %{{.*}} : tensor<?x8xf32>
// CHECK: %[[P1:.*]] = arith.muli %[[P0]], %[[D1]] : index
// CHECK: arith.index_castui %[[P1]] : index to i64
func.func @zero_setting_error_all_dynamic(%x: tensor<?x8xf32>) -> tensor<f32> {
  %z = qtrain.zero_setting_error %x {format = #qtrain.fp<e5m2>, all_elements} : tensor<?x8xf32> -> tensor<f32>
  return %z : tensor<f32>
}

// -----

// Every other op is left as it is, constant operands unfolded (the lowering,
// not the folder, computes them in the qtrain-to-llvm pipeline).

// CHECK-LABEL: func.func @others_untouched
// CHECK: %[[C:.*]] = arith.constant dense<1.300000e+00> : tensor<4xf32>
// CHECK: %[[Q:.*]] = qtrain.quantize %[[C]] {format = #qtrain.fp<e4m3fn>} : tensor<4xf32>
// CHECK: %[[M:.*]] = qtrain.amax %[[Q]] : tensor<4xf32> -> tensor<f32>
// CHECK: return %[[Q]], %[[M]]
func.func @others_untouched() -> (tensor<4xf32>, tensor<f32>) {
  %c = arith.constant dense<1.3> : tensor<4xf32>
  %q = qtrain.quantize %c {format = #qtrain.fp<e4m3fn>} : tensor<4xf32>
  %m = qtrain.amax %q : tensor<4xf32> -> tensor<f32>
  return %q, %m : tensor<4xf32>, tensor<f32>
}
