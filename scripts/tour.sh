#!/usr/bin/env bash
# A tour of the compiler (was the main job before the runner): set-up and build, then every bundled
# example through qtrain-opt, a quantized layer lowered to CPU code and run,
# the numerics demo, and a short numerics benchmark.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${QTRAIN_BUILD_DIR:-$root/build}"

"$root/scripts/setup.sh"

for example in "$root"/examples/*.mlir; do
  echo "== qtrain-opt $(basename "$example")"
  "$build/bin/qtrain-opt" "$example" --canonicalize
done

# A quantized layer lowered to CPU code and run (JIT) beside f32.
llvm_lib=/usr/lib/llvm-22/lib
echo "== examples/cpu/quantized_layer.mlir through qtrain-to-llvm and mlir-runner"
"$build/bin/qtrain-opt" "$root/examples/cpu/quantized_layer.mlir" --qtrain-to-llvm |
  /usr/lib/llvm-22/bin/mlir-runner -e main -entry-point-result=void \
    -shared-libs="$llvm_lib/libmlir_runner_utils.so,$llvm_lib/libmlir_c_runner_utils.so,$llvm_lib/libomp.so"

echo "== a training step: qtrain-model mlp, qtrain-quantize{recipe=fp8-hybrid}, qtrain-to-llvm"
step_dir="$(mktemp -d)"
trap 'rm -rf "$step_dir"' EXIT
"$build/bin/qtrain-model" mlp --hidden=256,128 --batch=64 -o "$step_dir/mlp.mlir"
"$build/bin/qtrain-opt" "$step_dir/mlp.mlir" --qtrain-quantize=recipe=fp8-hybrid \
  -o "$step_dir/mlp-fp8.mlir"
echo "qtrain ops in the quantized step:"
grep -oE '= qtrain\.[a-z_0-9]+' "$step_dir/mlp-fp8.mlir" | sort | uniq -c
"$build/bin/qtrain-opt" "$step_dir/mlp-fp8.mlir" --qtrain-to-llvm -o "$step_dir/mlp-fp8-llvm.mlir"
echo "lowered: $(grep -c 'llvm.func @' "$step_dir/mlp-fp8-llvm.mlir") LLVM functions"

echo "== qtrain-numerics formats"
"$build/bin/qtrain-numerics" formats
echo "== qtrain-numerics demo"
"$build/bin/qtrain-numerics" demo

echo "== numerics benchmark (short)"
"$build/bin/qtrain-numerics-bench" --benchmark_min_time=0.05
