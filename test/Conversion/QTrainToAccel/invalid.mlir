// What the conversion cannot map is reported at the op's location.
// RUN: qtrain-opt %s --split-input-file --convert-qtrain-to-accel --verify-diagnostics

func.func @unmapped(%x: tensor<4x4xf32>) -> tensor<6x6xf32> {
  %c = arith.constant 0.0 : f32
  // expected-error @below {{cannot map 'tensor.pad' to the accelerator: no mapping for this op yet}}
  %p = tensor.pad %x low[1, 1] high[1, 1] {
  ^bb0(%i: index, %j: index):
    tensor.yield %c : f32
  } : tensor<4x4xf32> to tensor<6x6xf32>
  return %p : tensor<6x6xf32>
}

// -----

func.func @concat_inner(%a: tensor<2x3xf32>, %b: tensor<2x5xf32>) -> tensor<2x8xf32> {
  // expected-error @below {{cannot map 'tensor.concat' to the accelerator: a concatenation along dimension 1 after a dimension of extent above 1 (its operands are not contiguous in the result)}}
  %c = tensor.concat dim(1) %a, %b : (tensor<2x3xf32>, tensor<2x5xf32>) -> tensor<2x8xf32>
  return %c : tensor<2x8xf32>
}

// -----

func.func @batched_shared(%a: tensor<2x4x8xf32>, %b: tensor<2x8x4xf32>) -> tensor<2x4x4xf32> {
  // expected-error @below {{cannot map 'qtrain.matmul' to the accelerator: a batched matmul with a shared E-DGA threshold is not mapped yet}}
  %y = qtrain.matmul %a, %b {accumulation = #qtrain.accum<#qtrain.fp<fp12_dga>, efficient_dga, shared>} : tensor<2x4x8xf32>, tensor<2x8x4xf32> -> tensor<2x4x4xf32>
  return %y : tensor<2x4x4xf32>
}

// -----

// Beyond the ACC a shared E-DGA contraction runs one k step at a time, which
// block-scaled operands converted from f32 (whole blocks per LOAD) do not
// allow yet.
func.func @shared_in_parts_blocks(%a: tensor<64x64xf32>, %b: tensor<64x128xf32>) -> tensor<64x128xf32> {
  %qa = qtrain.quantize %a {format = #qtrain.scaled<mxfp8_e4m3>} : tensor<64x64xf32>
  // expected-error @below {{cannot map 'qtrain.matmul' to the accelerator: a shared E-DGA contraction whose 64 x 128 outputs exceed one GEMM or the ACC (4080 entries) is mapped one k step at a time, which block-scaled operands converted from f32 do not allow yet}}
  %y = qtrain.matmul %qa, %b {accumulation = #qtrain.accum<#qtrain.fp<fp12_dga>, efficient_dga, shared>} : tensor<64x64xf32>, tensor<64x128xf32> -> tensor<64x128xf32>
  return %y : tensor<64x128xf32>
}

// -----

// expected-error @below {{cannot map argument 0 to the accelerator: arguments are static f32, i32 or i64 tensors or i64 seeds, not 'tensor<?x4xf32>'}}
func.func @dynamic(%a: tensor<?x4xf32>) -> tensor<?x4xf32> {
  return %a : tensor<?x4xf32>
}

// -----

func.func @seed(%a: tensor<4x8xf32>, %b: tensor<8x4xf32>, %s: i64) -> tensor<4x4xf32> {
  // expected-error @below {{cannot map 'arith.muli' to the accelerator: i64 arith.muli is not mapped}}
  %s2 = arith.muli %s, %s : i64
  %qa = qtrain.quantize %a seed(%s2) {format = #qtrain.fp<e5m2>, rounding = #qtrain.rounding<stochastic, bits = 3>} : tensor<4x8xf32>
  %y = qtrain.matmul %qa, %b : tensor<4x8xf32>, tensor<8x4xf32> -> tensor<4x4xf32>
  return %y : tensor<4x4xf32>
}

// -----

// expected-error @below {{convert-qtrain-to-accel: 2 functions with a body; choose one with the 'function' option}}
module {
  func.func @f() {
    return
  }
  func.func @g() {
    return
  }
}

// -----

// Four loops no two neighbours of which every operand walks as one run.
#map4 = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#swapped = affine_map<(d0, d1, d2, d3) -> (d1, d0, d3, d2)>
func.func @four_loops(%x: tensor<2x2x2x2xf32>) -> tensor<2x2x2x2xf32> {
  %e = tensor.empty() : tensor<2x2x2x2xf32>
  // expected-error @below {{cannot map 'linalg.generic' to the accelerator: more than three loops (4) do not fit the vector unit's 3-D views}}
  %y = linalg.generic {indexing_maps = [#swapped, #map4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%x : tensor<2x2x2x2xf32>) outs(%e : tensor<2x2x2x2xf32>) {
  ^bb0(%in: f32, %out: f32):
    %n = arith.negf %in : f32
    linalg.yield %n : f32
  } -> tensor<2x2x2x2xf32>
  return %y : tensor<2x2x2x2xf32>
}

// -----

#id = affine_map<(d0) -> (d0)>
func.func @f64_body(%x: tensor<4xf32>) -> tensor<4xf32> {
  %e = tensor.empty() : tensor<4xf32>
  %y = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]} ins(%x : tensor<4xf32>) outs(%e : tensor<4xf32>) {
  ^bb0(%in: f32, %out: f32):
    // expected-error @below {{cannot map 'arith.extf' to the accelerator: only f32, i32, i1 and index values are mapped}}
    %d = arith.extf %in : f32 to f64
    %t = arith.truncf %d : f64 to f32
    linalg.yield %t : f32
  } -> tensor<4xf32>
  return %y : tensor<4xf32>
}

// -----

func.func @amax_of_quantized(%x: tensor<4x8xf32>) -> tensor<f32> {
  %q = qtrain.quantize %x {format = #qtrain.fp<e5m2>} : tensor<4x8xf32>
  // expected-error @below {{cannot map 'qtrain.amax' to the accelerator: the amax of a quantized value is not mapped yet}}
  %a = qtrain.amax %q : tensor<4x8xf32> -> tensor<f32>
  return %a : tensor<f32>
}

// -----

func.func private @helper(tensor<4xf32>) -> tensor<4xf32>
func.func @calls(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @below {{cannot map 'func.call' to the accelerator: calls are not mapped: inline them first (--inline)}}
  %y = func.call @helper(%x) : (tensor<4xf32>) -> tensor<4xf32>
  return %y : tensor<4xf32>
}

// -----

// A tensor.generate qtrain-decompose did not mark as a history shift.
func.func @generate(%h: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @below {{cannot map 'tensor.generate' to the accelerator: only the amax-history shift qtrain-decompose makes of qtrain.delayed_scale is mapped}}
  %g = tensor.generate {
  ^bb0(%i: index):
    %v = tensor.extract %h[%i] : tensor<4xf32>
    tensor.yield %v : f32
  } : tensor<4xf32>
  return %g : tensor<4xf32>
}

// -----

func.func @dense_constant() -> tensor<2xf32> {
  // expected-error @below {{cannot map 'arith.constant' to the accelerator: only splat tensor constants are mapped}}
  %c = arith.constant dense<[1.0, 2.0]> : tensor<2xf32>
  return %c : tensor<2xf32>
}

// -----

func.func @f16_constant() -> tensor<4xf16> {
  // expected-error @below {{cannot map 'arith.constant' to the accelerator: only f32, i32, i64 and i1 tensors of rank up to 3}}
  %c = arith.constant dense<1.0> : tensor<4xf16>
  return %c : tensor<4xf16>
}

// -----

func.func @encode_tensor_code(%x: tensor<4x8xf32>) -> (tensor<4x8xf8E4M3FN>, tensor<1x1xf8E8M0FNU>) {
  // expected-error @below {{cannot map 'qtrain.encode' to the accelerator: a whole-tensor scale stored as 'f8E8M0FNU' is not mapped yet (only f32)}}
  %c, %s = qtrain.encode %x {format = #qtrain.scaled<#qtrain.fp<e4m3fn>, [#qtrain.scale_level<tensor, e8m0, amax_to_max>]>}
      : tensor<4x8xf32> -> tensor<4x8xf8E4M3FN>, tensor<1x1xf8E8M0FNU>
  return %c, %s : tensor<4x8xf8E4M3FN>, tensor<1x1xf8E8M0FNU>
}

// -----

// Blocks of 3 rows of 1001 4-bit codes: a column tile starting at row 3
// would start in the middle of a byte.
func.func @odd_nibbles(%x: tensor<9x1001xf32>) -> (tensor<9x1001xf4E2M1FN>, tensor<3x1001xf8E8M0FNU>) {
  // expected-error @below {{cannot map 'qtrain.encode' to the accelerator: 4-bit codes in tiles of 3 rows of 1001 elements would not start on a byte}}
  %c, %s = qtrain.encode %x {format = #qtrain.scaled<#qtrain.fp<e2m1fn>, [#qtrain.scale_level<[3, 1], e8m0, shared_exponent>]>}
      : tensor<9x1001xf32> -> tensor<9x1001xf4E2M1FN>, tensor<3x1001xf8E8M0FNU>
  return %c, %s : tensor<9x1001xf4E2M1FN>, tensor<3x1001xf8E8M0FNU>
}

// -----

// A gather marked as im2col must carry the whole geometry.
func.func @im2col_geometry(%x: tensor<1x1x4x4xf32>) -> tensor<1x3x3x1x4x4xf32> {
  // expected-error @below {{cannot map 'tensor.generate' to the accelerator: 'qtrain.im2col' needs kind, strides (2), padding (4) and dilations (2)}}
  %g = tensor.generate {
  ^bb0(%c: index, %kh: index, %kw: index, %n: index, %oh: index, %ow: index):
    %v = tensor.extract %x[%n, %c, %oh, %ow] : tensor<1x1x4x4xf32>
    tensor.yield %v : f32
  } {qtrain.im2col = {kind = #qtrain.conv_kind<forward>, strides = array<i64: 1>}} : tensor<1x3x3x1x4x4xf32>
  return %g : tensor<1x3x3x1x4x4xf32>
}

// -----

// Its source must be one rank-4 tensor.
func.func @im2col_source(%x: tensor<4x4xf32>) -> tensor<1x3x3x1x4x4xf32> {
  // expected-error @below {{cannot map 'tensor.generate' to the accelerator: a tap gather reads one static rank-4 f32 tensor into a static rank-6 f32 tensor}}
  %g = tensor.generate {
  ^bb0(%c: index, %kh: index, %kw: index, %n: index, %oh: index, %ow: index):
    %v = tensor.extract %x[%oh, %ow] : tensor<4x4xf32>
    tensor.yield %v : f32
  } {qtrain.im2col = {kind = #qtrain.conv_kind<forward>, strides = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>}} : tensor<1x3x3x1x4x4xf32>
  return %g : tensor<1x3x3x1x4x4xf32>
}

// -----

// Blocks that leave more than three dimensions after merging.
func.func @five_dimensional_blocks(%x: tensor<2x3x4x5x6xf32>) -> tensor<2x3x4x5x6xf32> {
  // expected-error @below {{cannot map 'qtrain.quantize' to the accelerator: blocks spanning dimensions that do not merge into three are not mapped yet}}
  %q = qtrain.quantize %x {format = #qtrain.scaled<#qtrain.fp<e4m3fn>, [#qtrain.scale_level<[2, 1, 2, 1, 2], pow2<4, 7>, shared_exponent>]>} : tensor<2x3x4x5x6xf32>
  return %q : tensor<2x3x4x5x6xf32>
}

// -----

// Codes of blocks over three dimensions (a volume) are not mapped yet.
func.func @encode_volume(%x: tensor<2x16x4x7xf32>) -> (tensor<2x16x4x7xi9>, tensor<2x2x2x3xf8E8M0FNU>) {
  // expected-error @below {{cannot map 'qtrain.encode' to the accelerator: blocks over three dimensions that do not merge into a matrix are not mapped for codes yet}}
  %c, %s = qtrain.encode %x {format = #qtrain.scaled<fb16>}
      : tensor<2x16x4x7xf32> -> tensor<2x16x4x7xi9>, tensor<2x2x2x3xf8E8M0FNU>
  return %c, %s : tensor<2x16x4x7xi9>, tensor<2x2x2x3xf8E8M0FNU>
}

// -----

func.func @histogram_of_quantized(%x: tensor<4x8xf32>, %h: tensor<557xi64>) -> tensor<557xi64> {
  %q = qtrain.quantize %x {format = #qtrain.fp<e4m3fn>} : tensor<4x8xf32>
  // expected-error @below {{cannot map 'qtrain.median_histogram' to the accelerator: statistics of a quantized value are not mapped yet}}
  %h1 = qtrain.median_histogram %q, %h : tensor<4x8xf32>, tensor<557xi64>
  return %h1 : tensor<557xi64>
}

// -----

func.func @i64_multiply(%n: tensor<i64>) -> tensor<i64> {
  %c2 = arith.constant 2 : i64
  %v = tensor.extract %n[] : tensor<i64>
  // expected-error @below {{cannot map 'arith.muli' to the accelerator: i64 arith.muli is not mapped (the vector unit computes 32-bit words: i64 add, sub, compares, min, max, select and bitwise ops are word sequences)}}
  %m = arith.muli %v, %c2 : i64
  %t = tensor.from_elements %m : tensor<i64>
  return %t : tensor<i64>
}

// -----

func.func @i1_order(%a: tensor<f32>, %b: tensor<f32>) -> tensor<i1> {
  %u = tensor.extract %a[] : tensor<f32>
  %v = tensor.extract %b[] : tensor<f32>
  %x = arith.cmpf olt, %u, %v : f32
  %y = arith.cmpf ogt, %u, %v : f32
  // expected-error @below {{cannot map 'arith.cmpi' to the accelerator: an i1 order compare (i1 words are 1 or 0)}}
  %c = arith.cmpi slt, %x, %y : i1
  %t = tensor.from_elements %c : tensor<i1>
  return %t : tensor<i1>
}

// -----

func.func @i1_add(%a: tensor<f32>) -> tensor<i1> {
  %u = tensor.extract %a[] : tensor<f32>
  %x = arith.cmpf olt, %u, %u : f32
  // expected-error @below {{cannot map 'arith.addi' to the accelerator: i1 arith.addi is not mapped (i1 words are 1 or 0: andi, ori, xori, eq/ne compares and select are)}}
  %c = arith.addi %x, %x : i1
  %t = tensor.from_elements %c : tensor<i1>
  return %t : tensor<i1>
}

// -----

func.func @sitofp_i64(%a: tensor<i64>) -> tensor<f32> {
  %x = tensor.extract %a[] : tensor<i64>
  // expected-error @below {{cannot map 'arith.sitofp' to the accelerator: sitofp from 'i64' (only from i32)}}
  %f = arith.sitofp %x : i64 to f32
  %t = tensor.from_elements %f : tensor<f32>
  return %t : tensor<f32>
}

// -----

func.func @index_scalar(%a: tensor<i64>) -> tensor<i64> {
  %x = tensor.extract %a[] : tensor<i64>
  // expected-error @below {{cannot map 'arith.index_cast' to the accelerator: no mapping for this op yet}}
  %i = arith.index_cast %x : i64 to index
  %y = arith.index_cast %i : index to i64
  %t = tensor.from_elements %y : tensor<i64>
  return %t : tensor<i64>
}
