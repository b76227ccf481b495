#!/usr/bin/env bash
# The modeled claims of docs/Accelerator.md ("Modeled claims"): programs
# compiled by convert-qtrain-to-accel (or written in assembly) run on
# qtrain-sim with the bundled machine, their counters printed side by side.
#
#   ./scripts/accel-claims.sh            # after ./scripts/setup.sh built build/
#
# Results depend on the machine description and the conversion, not on the
# host: the counters are the model's.
set -euo pipefail
B=${QTRAIN_BUILD_DIR:-build}/bin
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT

# Runs an MLIR function through the conversion and the model; prints its
# counters as JSON to $W/$1.json.
sim_mlir() {
  "$B/qtrain-opt" --convert-qtrain-to-accel "$W/$1.mlir" |
    "$B/qtrain-translate" --accel-to-binary -o "$W/$1.bin"
  "$B/qtrain-sim" "$W/$1.bin" --counters=json > "$W/$1.json"
}

field() { # file key...
  python3 - "$@" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
print(" ".join(str(c[k]) for k in sys.argv[2:]))
PY
}

# A compiled forward convolution of a [N, C, H, W] batch by [F, C, K, K]
# filters, both quantized to preset FORMAT (f32: not quantized), through
# qtrain-to-accel; prints one row of counters.
conv_layer() { # layer format N C H W F K pad
  local layer=$1 format=$2 n=$3 c=$4 h=$5 w=$6 f=$7 k=$8 p=$9
  local oh=$((h + 2 * p - k + 1)) ow=$((w + 2 * p - k + 1))
  local x="tensor<${n}x${c}x${h}x${w}xf32>" wt="tensor<${f}x${c}x${k}x${k}xf32>"
  local y="tensor<${n}x${f}x${oh}x${ow}xf32>" name="${layer}_$format"
  local qx=%x qw=%w
  {
    echo "func.func @layer(%x: $x, %w: $wt) -> $y {"
    if [ "$format" != f32 ]; then
      echo "  %qx = qtrain.quantize %x {format = #qtrain.scaled<$format>} : $x"
      echo "  %qw = qtrain.quantize %w {format = #qtrain.scaled<$format>} : $wt"
      qx=%qx qw=%qw
    fi
    echo "  %y = qtrain.conv2d $qx, $qw {padding = array<i64: $p, $p, $p, $p>} : $x, $wt -> $y"
    echo "  return %y : $y"
    echo "}"
  } > "$W/$name.mlir"
  "$B/qtrain-opt" --qtrain-to-accel "$W/$name.mlir" |
    "$B/qtrain-translate" --accel-to-binary -o "$W/$name.bin"
  "$B/qtrain-sim" "$W/$name.bin" --counters=json ${SIM_MACHINE:+--machine="$SIM_MACHINE"} > "$W/$name.json"
  read -r cycles busy load loads bytes < <(field "$W/$name.json" cycles queue.compute.busy_cycles queue.load.busy_cycles instructions.load bytes.dram.read)
  python3 -c "print('%-6s %-15s %10d %10d %10d %6d %11d %10.1f' % ('$layer', '$format', $cycles, $busy, $load, $loads, $bytes, $((n * f * oh * ow * c * k * k)) / $cycles))"
}

echo "== 1. FlexBlock modes on compiled convolution layers (forward): LeNet conv2 (batch 16, 6 -> 16 channels, 14 x 14, 5 x 5) and a 64-channel 3 x 3 layer (batch 8, 16 x 16, padding 1)"
printf '%-6s %-15s %10s %10s %10s %6s %11s %10s\n' layer format cycles gemm_busy load_busy loads dram_read macs/cycle
for f in fb12 fb16 fb24 fp8_e4m3_tensor f32; do conv_layer lenet "$f" 16 6 14 14 16 5 0; done
for f in fb12 fb16 fb24 fp8_e4m3_tensor f32; do conv_layer res64 "$f" 8 64 16 16 64 3 1; done
echo "-- the same layers on a machine that keeps 8 DRAM transfers in flight per queue (dram.outstanding_transfers = 8)"
printf '{"dram": {"outstanding_transfers": 8}}' > "$W/pipelined.json"
for f in fb12 fb16 fb24 fp8_e4m3_tensor f32; do SIM_MACHINE="$W/pipelined.json" conv_layer lenet "$f" 16 6 14 14 16 5 0; done
for f in fb12 fb16 fb24 fp8_e4m3_tensor f32; do SIM_MACHINE="$W/pipelined.json" conv_layer res64 "$f" 8 64 16 16 64 3 1; done
echo
echo "== 2. Accumulation energy, E4M3 operands (64 x 256 x 64 GEMM)"
printf '%-22s %14s %14s %16s %14s\n' accumulation accumulate_pJ multiply_pJ arith_pJ/MAC total_uJ
for acc in f32 fp12_static16 fp12_edga; do
  case $acc in
    f32) attr='#qtrain.accum<#qtrain.fp<f32>>' ;;
    fp12_static16) attr='#qtrain.accum<#qtrain.fp<fp12_dga>, static, group = 16>' ;;
    fp12_edga) attr='#qtrain.accum<#qtrain.fp<fp12_dga>, efficient_dga>' ;;
  esac
  cat > "$W/$acc.mlir" <<EOF
func.func @layer(%a: tensor<64x256xf32>, %w: tensor<256x64xf32>) -> tensor<64x64xf32> {
  %qa = qtrain.quantize %a {format = #qtrain.fp<e4m3fn, overflow = saturate>} : tensor<64x256xf32>
  %qw = qtrain.quantize %w {format = #qtrain.fp<e4m3fn, overflow = saturate>} : tensor<256x64xf32>
  %y = qtrain.matmul %qa, %qw {accumulation = $attr} : tensor<64x256xf32>, tensor<256x64xf32> -> tensor<64x64xf32>
  return %y : tensor<64x64xf32>
}
EOF
  sim_mlir "$acc"
  read -r a m t < <(field "$W/$acc.json" energy_pj.accumulate energy_pj.multiply energy_pj.total)
  python3 -c "print('%-22s %14.0f %14.0f %16.3f %14.2f' % ('$acc', $a, $m, ($a + $m) / (64 * 256 * 64), $t / 1e6))"
done

echo
echo "== 3. DRAM bytes of a 64 x 1024 MXFP8 (E4M3) tensor loaded from f32 or from codes"
printf '%-6s %12s %10s %12s\n' layout dram_bytes cycles dram_uJ
for layout in f32 codes; do
  cat > "$W/$layout.s" <<EOF
cfg.rounding entry=0
cfg.element entry=0 layout=plain mf_exponent_bits=4 mf_mantissa_bits=3 mf_bias=7 mf_specials=fn mf_subnormals mf_overflow=saturate
cfg.tensor_level entry=0
cfg.block_level entry=0 present scale_kind=pow2 scale_bits=8 scale_bias=127 scale_nan block_z=1 block_y=1 block_x=32
cfg.td_dram td=0 dram_stride_y=1024 dram_stride_x=1
cfg.td_chip td=0 chip_stride_y=1024 chip_stride_x=1
cfg.scales scale_addr=0x100000 scale_stride_y=32 scale_stride_x=1
load dst=sp_input format=0 td=0 layout=$layout dram_addr=0x0 chip_row=0 size_z=1 size_y=64 size_x=1024
finish
EOF
  "$B/qtrain-sim" "$W/$layout.s" --counters=json > "$W/$layout.json"
  read -r bytes cycles e < <(field "$W/$layout.json" bytes.dram.read cycles energy_pj.dram)
  python3 -c "print('%-6s %12d %10d %12.2f' % ('$layout', $bytes, $cycles, $e / 1e6))"
done
