#!/usr/bin/env bash
# The figures of docs/Performance.md: set-up and build, then the CPU
# lowering's quantize throughput (64M f32) beside memcpy and the library,
# and 1024^3 GEMMs beside OpenBLAS sgemm, for the host's code and (on an
# AVX-512 host) AVX2 code. Extra arguments go to every program (Google
# Benchmark flags, --targets=...).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${QTRAIN_BUILD_DIR:-$root/build}"

"$root/scripts/setup.sh"
echo "== machine"
lscpu | grep -E "Model name|^CPU\(s\)|L2 cache|L3 cache" || true
echo "== qtrain-cpu-bench (quantize, 64M f32 elements)"
"$build/bin/qtrain-cpu-bench" --benchmark_min_time=0.5 "$@"
echo "== qtrain-gemm-bench (1024 x 1024 x 1024)"
# OpenBLAS picks its kernels from the CPU model at load time; Debian's 0.3.21
# does not know CPUs newer than it (Sapphire and Emerald Rapids) and falls
# back to generic kernels some 8x slower, which would flatter every ratio.
# On an AVX-512 host without a choice in the environment, use its SkylakeX
# (AVX-512) kernels; the program prints the kernels it ran.
if [ -z "${OPENBLAS_CORETYPE:-}" ] && grep -qw avx512f /proc/cpuinfo; then
  export OPENBLAS_CORETYPE=SkylakeX
fi
"$build/bin/qtrain-gemm-bench" --benchmark_min_time=0.5 "$@"
if grep -qw avx512f /proc/cpuinfo; then
  # The AVX2 code against OpenBLAS's own AVX2 (Haswell) kernels, as an AVX2
  # machine would run both (Debian's OpenBLAS picks its kernel at load time).
  echo "== qtrain-gemm-bench, AVX2 code beside OpenBLAS's Haswell kernels"
  OPENBLAS_CORETYPE=Haswell "$build/bin/qtrain-gemm-bench" \
    --targets=x86-64-v3 --benchmark_min_time=0.5 "$@"
fi

echo "== qtrain-pass-bench (compile time of the recipe passes)"
"$build/bin/qtrain-pass-bench"
