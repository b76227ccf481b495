// A quantized fully connected layer, lowered to CPU code and run:
// activations in e4m3fn, weights in MXFP8 (blocks of 32 along rows, E8M0
// scales), the product accumulated in FP12 with efficient DGA, beside the
// f32 reference. Run it with:
//
//   qtrain-opt examples/cpu/quantized_layer.mlir --qtrain-to-llvm |
//     mlir-runner -e main -entry-point-result=void \
//       -shared-libs=<llvm lib>/libmlir_runner_utils.so,<llvm lib>/libmlir_c_runner_utils.so,<llvm lib>/libomp.so

func.func @layer(%a: tensor<4x64xf32>, %w: tensor<64x8xf32>)
    -> (tensor<4x8xf32>, tensor<4x8xf32>) {
  %qa = qtrain.quantize %a {format = #qtrain.fp<e4m3fn>} : tensor<4x64xf32>
  %qw = qtrain.quantize %w {format = #qtrain.scaled<mxfp8_e4m3>} : tensor<64x8xf32>
  %y = qtrain.matmul %qa, %qw {
         accumulation = #qtrain.accum<#qtrain.fp<fp12_dga>, efficient_dga, c = 4>}
       : tensor<4x64xf32>, tensor<64x8xf32> -> tensor<4x8xf32>
  %ref = qtrain.matmul %a, %w : tensor<4x64xf32>, tensor<64x8xf32> -> tensor<4x8xf32>
  return %y, %ref : tensor<4x8xf32>, tensor<4x8xf32>
}

func.func @main() {
  // Deterministic inputs: a[i][k] = 0.05 * (k - i) + 0.3, w[k][j] = 0.01 * (k + j) - 0.2.
  %a0 = tensor.generate {
  ^bb0(%i: index, %k: index):
    %ii = arith.index_cast %i : index to i32
    %kk = arith.index_cast %k : index to i32
    %d = arith.subi %kk, %ii : i32
    %f = arith.sitofp %d : i32 to f32
    %s = arith.constant 0.05 : f32
    %o = arith.constant 0.3 : f32
    %v = arith.mulf %f, %s : f32
    %r = arith.addf %v, %o : f32
    tensor.yield %r : f32
  } : tensor<4x64xf32>
  %w0 = tensor.generate {
  ^bb0(%k: index, %j: index):
    %kj = arith.addi %k, %j : index
    %n = arith.index_cast %kj : index to i32
    %f = arith.sitofp %n : i32 to f32
    %s = arith.constant 0.01 : f32
    %o = arith.constant -0.2 : f32
    %v = arith.mulf %f, %s : f32
    %r = arith.addf %v, %o : f32
    tensor.yield %r : f32
  } : tensor<64x8xf32>
  %y, %ref = call @layer(%a0, %w0) : (tensor<4x64xf32>, tensor<64x8xf32>) -> (tensor<4x8xf32>, tensor<4x8xf32>)
  %py = tensor.cast %y : tensor<4x8xf32> to tensor<*xf32>
  %pr = tensor.cast %ref : tensor<4x8xf32> to tensor<*xf32>
  call @printMemrefF32(%py) : (tensor<*xf32>) -> ()
  call @printMemrefF32(%pr) : (tensor<*xf32>) -> ()
  return
}
func.func private @printMemrefF32(tensor<*xf32>)
