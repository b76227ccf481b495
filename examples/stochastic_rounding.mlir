// Hardware-efficient stochastic rounding (ESRU) with few random bits.
// (Chang et al., ICML 2022 workshop / DAC 2022 / DATE 2023; "You already
// have it", ECCV 2022; docs/Numerics.md, "Stochastic rounding" and "Random
// streams".)
//
// Stochastic rounding (SR) is a rounding attribute of the op that rounds:
//
//   #qtrain.rounding<stochastic, bits = k, source = ..., variant = ...>
//
//   bits     k random bits, compared with the top k discarded bits d;
//   source   counter       ideal uniform bits from a counter-based hash;
//            lfsr          k-bit maximal Galois LFSR (width = w, taps = T,
//                          lanes = L interleaved LFSRs); never outputs 0;
//            lfsr_plateau  the LFSR alternated with its bitwise inverse (the
//                          ESRU fix: 0 and 2^k - 1 once, the rest twice);
//            data          bits of a companion f32 tensor, the op's
//                          random_data operand (offset = lowest bit used);
//   variant  compare       round away iff r < d (the default);
//            add_truncate  round away iff r + d >= 2^k.
//
// The seed is never part of the attribute: it is an i64 operand of the op,
// and the random number of element i is a pure function of (source, seed, i),
// so every run is reproducible. Two ops with the same seed and source draw
// the same numbers for the same element indices, so each op below gets its
// own seed derived from the step's seed.
//
// Measured mean bias of 3-bit SR (docs/Numerics.md): counter -0.0625 ulp
// (truncation only), lfsr/compare -0.125, lfsr/add_truncate 0 (the two
// errors cancel by coincidence), lfsr_plateau -0.0625 with either variant.

// A layer's backward pass with the ESRU configuration: FP8 E5M2 errors
// rounded with a 3-bit plateau LFSR, the weight gradient in E5M2 with the
// same unit, and an SGD update whose result is rounded stochastically to
// bf16 master weights (where plain rounding would lose small updates).
func.func @esru_backward_step(%a: tensor<64x256xf32>, %w: tensor<256x128xf32>,
                              %ey: tensor<64x128xf32>, %seed: i64)
    -> (tensor<64x256xf32>, tensor<256x128xf32>) {
  %c1 = arith.constant 1 : i64
  %c2 = arith.constant 2 : i64
  %seed_g = arith.addi %seed, %c1 : i64
  %seed_w = arith.addi %seed, %c2 : i64
  // E: 3 random bits per element from a width-3 LFSR and its inverse; 16
  // independent lanes (the default) model 16 SR units working in parallel.
  %qey = qtrain.quantize %ey seed(%seed) {format = #qtrain.fp<e5m2>,
             rounding = #qtrain.rounding<stochastic, bits = 3, source = lfsr_plateau, width = 3>}
      : tensor<64x128xf32>
  %ea = qtrain.matmul %qey, %w {transpose_b} : tensor<64x128xf32>, tensor<256x128xf32> -> tensor<64x256xf32>
  %gw = qtrain.matmul %a, %qey {transpose_a} : tensor<64x256xf32>, tensor<64x128xf32> -> tensor<256x128xf32>
  %qgw = qtrain.quantize %gw seed(%seed_g) {format = #qtrain.fp<e5m2>,
             rounding = #qtrain.rounding<stochastic, bits = 3, source = lfsr_plateau, width = 3>}
      : tensor<256x128xf32>
  // W <- SR_bf16(W - lr * G)
  %lr = arith.constant dense<1.000000e-02> : tensor<256x128xf32>
  %step = arith.mulf %lr, %qgw : tensor<256x128xf32>
  %w1 = arith.subf %w, %step : tensor<256x128xf32>
  %w2 = qtrain.quantize %w1 seed(%seed_w) {format = #qtrain.fp<bf16>,
            rounding = #qtrain.rounding<stochastic, bits = 3, source = lfsr_plateau, width = 3>}
      : tensor<256x128xf32>
  return %ea, %w2 : tensor<64x256xf32>, tensor<256x128xf32>
}

// The random sources side by side on the same error tensor, all with k = 3.
func.func @sr_sources(%ey: tensor<64x128xf32>, %a: tensor<64x256xf32>, %seed: i64)
    -> (tensor<64x128xf32>, tensor<64x128xf32>, tensor<64x128xf32>, tensor<64x128xf32>,
        tensor<64x128xf32>) {
  // Ideal uniform bits (source = counter is the default and not printed).
  %counter = qtrain.quantize %ey seed(%seed) {format = #qtrain.fp<e5m2>,
                 rounding = #qtrain.rounding<stochastic, bits = 3, source = counter>}
      : tensor<64x128xf32>
  // A plain 3-bit maximal LFSR (taps 0x6, the default for width 3): its
  // outputs are uniform on 1..7, never 0, so compare-SR is biased low.
  %lfsr = qtrain.quantize %ey seed(%seed) {format = #qtrain.fp<e5m2>,
              rounding = #qtrain.rounding<stochastic, bits = 3, source = lfsr, width = 3, taps = 6>}
      : tensor<64x128xf32>
  // The plateau fix, with one shared LFSR instead of 16 lanes.
  %plateau = qtrain.quantize %ey seed(%seed) {format = #qtrain.fp<e5m2>,
                 rounding = #qtrain.rounding<stochastic, bits = 3, source = lfsr_plateau, width = 3, lanes = 1>}
      : tensor<64x128xf32>
  // Random bits from the data itself: the 3 lowest mantissa bits of the
  // layer's activations (element i uses a[i mod 16384]); no generator.
  %data = qtrain.quantize %ey seed(%seed) random_data(%a : tensor<64x256xf32>) {format = #qtrain.fp<e5m2>,
              rounding = #qtrain.rounding<stochastic, bits = 3, source = data>}
      : tensor<64x128xf32>
  // The same, skipping the 2 lowest bits (offset = 2).
  %data2 = qtrain.quantize %ey seed(%seed) random_data(%a : tensor<64x256xf32>) {format = #qtrain.fp<e5m2>,
               rounding = #qtrain.rounding<stochastic, bits = 3, source = data, offset = 2>}
      : tensor<64x128xf32>
  return %counter, %lfsr, %plateau, %data, %data2
      : tensor<64x128xf32>, tensor<64x128xf32>, tensor<64x128xf32>, tensor<64x128xf32>, tensor<64x128xf32>
}

// The two SR variants on the plain LFSR, where they differ most (bias
// -0.125 ulp vs 0 at k = 3), and the 24-bit baseline of prior SR units: a
// 24-bit LFSR supplying 24 random bits.
func.func @sr_variants(%ey: tensor<64x128xf32>, %seed: i64)
    -> (tensor<64x128xf32>, tensor<64x128xf32>, tensor<64x128xf32>) {
  %compare = qtrain.quantize %ey seed(%seed) {format = #qtrain.fp<e5m2>,
                 rounding = #qtrain.rounding<stochastic, bits = 3, source = lfsr, width = 3, variant = compare>}
      : tensor<64x128xf32>
  %add = qtrain.quantize %ey seed(%seed) {format = #qtrain.fp<e5m2>,
             rounding = #qtrain.rounding<stochastic, bits = 3, source = lfsr, width = 3, variant = add_truncate>}
      : tensor<64x128xf32>
  %sr24 = qtrain.quantize %ey seed(%seed) {format = #qtrain.fp<e5m2>,
              rounding = #qtrain.rounding<stochastic, bits = 24, source = lfsr, width = 24>}
      : tensor<64x128xf32>
  return %compare, %add, %sr24 : tensor<64x128xf32>, tensor<64x128xf32>, tensor<64x128xf32>
}

// SR also applies to the element step of block formats and to storage:
// MXFP8 errors encoded with 2 random bits, codes as builtin f8E5M2.
func.func @sr_storage(%ey: tensor<64x128xf32>, %seed: i64)
    -> (tensor<64x128xf8E5M2>, tensor<64x4xf8E8M0FNU>) {
  %codes, %scales = qtrain.encode %ey seed(%seed) {format = #qtrain.scaled<mxfp8_e5m2>,
                        rounding = #qtrain.rounding<stochastic, bits = 2, source = lfsr_plateau, width = 2, variant = add_truncate>}
      : tensor<64x128xf32> -> tensor<64x128xf8E5M2>, tensor<64x4xf8E8M0FNU>
  return %codes, %scales : tensor<64x128xf8E5M2>, tensor<64x4xf8E8M0FNU>
}
