#!/usr/bin/env bash
# The test suite under sanitizers (docs/Contributing.md):
#   1. AddressSanitizer + UndefinedBehaviorSanitizer, with leak detection
#      (build-asan/): the whole suite, lit and unit tests, through ctest.
#   2. ThreadSanitizer (build-tsan/): the JIT stress test (threads of
#      compile/run/free cycles, and two processes at once), with LLVM's
#      Archer tool so TSan sees libomp's synchronisation.
# Exits non-zero on any report. `./scripts/sanitize.sh asan` or `tsan` runs
# one of them.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
which="${1:-all}"
llvm_lib=/usr/lib/llvm-22/lib

if [ "$which" = all ] || [ "$which" = asan ]; then
  echo "== ASan + UBSan: the whole suite"
  flags="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"
  QTRAIN_BUILD_DIR="$root/build-asan" CXXFLAGS="$flags" CFLAGS="$flags" \
    LDFLAGS="-fsanitize=address,undefined" "$root/scripts/setup.sh"
  # allow_user_poisoning=0: LLVM's BumpPtrAllocator poisons arena memory from
  # the (instrumented) headers that the uninstrumented libMLIR.so then
  # touches (../shared/design/FIELD-NOTES.md).
  export ASAN_OPTIONS="allow_user_poisoning=0:detect_leaks=1"
  export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
  # The unit tests JIT-compile code that calls libomp. Loaded later with
  # dlopen, its thread-local storage crashes LeakSanitizer's exit-time scan
  # ("Tracer caught signal 11"), so they run with libomp (and the ASan
  # runtime, which must come first) preloaded. The lit suite runs without:
  # its mlir-runner and FileCheck are not instrumented.
  asan_rt="$(gcc -print-file-name=libasan.so)"
  (cd "$root/build-asan" &&
    LD_PRELOAD="$asan_rt $llvm_lib/libomp.so" \
      ctest --output-on-failure --no-tests=error -j2 --timeout 3600 -E '^lit$' &&
    ctest --output-on-failure --no-tests=error --timeout 3600 -R '^lit$')
fi

if [ "$which" = all ] || [ "$which" = tsan ]; then
  echo "== TSan: the JIT stress test"
  flags="-fsanitize=thread -fno-omit-frame-pointer"
  QTRAIN_BUILD_DIR="$root/build-tsan" QTRAIN_TARGETS=QTrainJitStressTests \
    CXXFLAGS="$flags" CFLAGS="$flags" LDFLAGS="-fsanitize=thread" \
    "$root/scripts/setup.sh"
  # ignore_noninstrumented_modules=1: reports only for instrumented code, not
  # for libomp's own internals (which Archer annotates for TSan; Archer asks
  # for this option itself).
  export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:ignore_noninstrumented_modules=1"
  export OMP_TOOL_LIBRARIES="$llvm_lib/libarcher.so"
  (cd "$root/build-tsan" && ctest --output-on-failure -R 'JitStress|jit-stress' --timeout 3600)
fi
