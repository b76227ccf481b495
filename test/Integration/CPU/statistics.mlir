// amax, median, exponent_histogram, select_scale, delayed_scale and
// zero_setting_error lowered and run.
// RUN: qtrain-opt %s --qtrain-to-llvm | %jit | FileCheck %s

func.func @main() {
  %x = arith.constant dense<[1.0, -3.0, 0.75, 0.0, -0.0, 1.0e-45, 5.0]> : tensor<7xf32>
  %a = qtrain.amax %x : tensor<7xf32> -> tensor<f32>
  %pa = tensor.cast %a : tensor<f32> to tensor<*xf32>
  call @printMemrefF32(%pa) : (tensor<*xf32>) -> ()
  // CHECK: [5]

  // Per-tensor FP8 scale: amax / 448 (e4m3fn's largest value).
  %s = qtrain.select_scale %a {level = #qtrain.scale_level<tensor, f32, amax_to_max>,
      element = #qtrain.fp<e4m3fn>} : tensor<f32>
  %ps = tensor.cast %s : tensor<f32> to tensor<*xf32>
  call @printMemrefF32(%ps) : (tensor<*xf32>) -> ()
  // CHECK: [0.0111607]

  // An infinity makes amax +inf, a NaN makes it NaN.
  %y = arith.constant dense<[1.0, 0xFF800000, 2.0]> : tensor<3xf32>
  %ay = qtrain.amax %y : tensor<3xf32> -> tensor<f32>
  %py = tensor.cast %ay : tensor<f32> to tensor<*xf32>
  call @printMemrefF32(%py) : (tensor<*xf32>) -> ()
  // CHECK: [inf]
  %z = arith.constant dense<[1.0, 0x7FC00000, 0xFF800000]> : tensor<3xf32>
  %az = qtrain.amax %z : tensor<3xf32> -> tensor<f32>
  %pz = tensor.cast %az : tensor<f32> to tensor<*xf32>
  call @printMemrefF32(%pz) : (tensor<*xf32>) -> ()
  // CHECK: [nan]

  // Exponents: 1 -> 0, -3 -> 1, 0.75 -> -1, 1e-45 -> -149, 5 -> 2; two
  // zeros. Bins 0 (2^-149), 148 (2^-1), 149 (2^0), 150, 151, then zeros.
  %h = qtrain.exponent_histogram %x : tensor<7xf32> -> tensor<280xi64>
  %c0 = arith.constant 0 : index
  %c148 = arith.constant 148 : index
  %c149 = arith.constant 149 : index
  %c150 = arith.constant 150 : index
  %c151 = arith.constant 151 : index
  %c277 = arith.constant 277 : index
  %h0 = tensor.extract %h[%c0] : tensor<280xi64>
  %h148 = tensor.extract %h[%c148] : tensor<280xi64>
  %h149 = tensor.extract %h[%c149] : tensor<280xi64>
  %h150 = tensor.extract %h[%c150] : tensor<280xi64>
  %h151 = tensor.extract %h[%c151] : tensor<280xi64>
  %h277 = tensor.extract %h[%c277] : tensor<280xi64>
  vector.print %h0 : i64
  vector.print %h148 : i64
  vector.print %h149 : i64
  vector.print %h150 : i64
  vector.print %h151 : i64
  vector.print %h277 : i64
  // CHECK-NEXT: 1
  // CHECK-NEXT: 1
  // CHECK-NEXT: 1
  // CHECK-NEXT: 1
  // CHECK-NEXT: 1
  // CHECK-NEXT: 2

  // Delayed scaling: 896 leaves the window, the new maximum is 5 (the amax
  // above), and the e4m3fn scale is 5 / 448.
  %hist = arith.constant dense<[896.0, 2.0, 4.0]> : tensor<3xf32>
  %ds, %next = qtrain.delayed_scale %a, %hist {level = #qtrain.scale_level<tensor, f32, amax_to_max>,
      element = #qtrain.fp<e4m3fn>} : tensor<f32>, tensor<3xf32>
  %pds = tensor.cast %ds : tensor<f32> to tensor<*xf32>
  call @printMemrefF32(%pds) : (tensor<*xf32>) -> ()
  %pn = tensor.cast %next : tensor<3xf32> to tensor<*xf32>
  call @printMemrefF32(%pn) : (tensor<*xf32>) -> ()
  // CHECK: [0.0111607]
  // CHECK: [2,  4,  5]

  // Zero-setting error: of the 5 non-zero elements (7 in all), 1e-45
  // becomes 0 in e4m3fn.
  %zse = qtrain.zero_setting_error %x {format = #qtrain.fp<e4m3fn>} : tensor<7xf32> -> tensor<f32>
  %pzse = tensor.cast %zse : tensor<f32> to tensor<*xf32>
  call @printMemrefF32(%pzse) : (tensor<*xf32>) -> ()
  // CHECK: [0.2]
  %zall = qtrain.zero_setting_error %x {format = #qtrain.fp<e4m3fn>, all_elements} : tensor<7xf32> -> tensor<f32>
  %pzall = tensor.cast %zall : tensor<f32> to tensor<*xf32>
  call @printMemrefF32(%pzall) : (tensor<*xf32>) -> ()
  // CHECK: [0.142857]

  // Medians of |x| = {1, 3, 0.75, 0, 0, 1e-45, 5}: the lower median is 0.75;
  // the approximation's last bin (of 4 x 4 bins over [0, 5]) is centred at
  // 0.78125.
  %m = qtrain.median %x : tensor<7xf32> -> tensor<f32>
  %pm = tensor.cast %m : tensor<f32> to tensor<*xf32>
  call @printMemrefF32(%pm) : (tensor<*xf32>) -> ()
  // CHECK: [0.75]
  %ma = qtrain.median %x {approx, bins = 4 : i32} : tensor<7xf32> -> tensor<f32>
  %pma = tensor.cast %ma : tensor<f32> to tensor<*xf32>
  call @printMemrefF32(%pma) : (tensor<*xf32>) -> ()
  // CHECK: [0.78125]
  return
}
func.func private @printMemrefF32(tensor<*xf32>)
