#!/usr/bin/env bash
# The figures of docs/Performance.md: set-up and build, then the CPU
# lowering's quantize throughput (64M f32) beside memcpy and the library,
# and 1024^3 GEMMs beside OpenBLAS sgemm. Extra arguments go to both
# programs (Google Benchmark flags).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${QTRAIN_BUILD_DIR:-$root/build}"

"$root/scripts/setup.sh"
echo "== machine"
lscpu | grep -E "Model name|^CPU\(s\)|L2 cache|L3 cache" || true
echo "== qtrain-cpu-bench (quantize, 64M f32 elements)"
"$build/bin/qtrain-cpu-bench" --benchmark_min_time=0.5 "$@"
echo "== qtrain-gemm-bench (1024 x 1024 x 1024)"
"$build/bin/qtrain-gemm-bench" --benchmark_min_time=0.5 "$@"
