#!/usr/bin/env bash
# Fuzzes the accelerator's decoder and functional model with libFuzzer
# (docs/Accelerator.md, "Fuzzing") and merges what is new into the kept
# corpus, fuzz/corpus/decoder and fuzz/corpus/simulator.
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]
#
# SECONDS per target (default 60; 0 builds and seeds only); TARGETs among
# decoder and simulator (default both). Steps:
#   1. installs clang-22 and libclang-rt-22-dev when missing;
#   2. configures build-fuzz/ (or $QTRAIN_FUZZ_BUILD_DIR) with clang-22 and
#      QTRAIN_FUZZ=ON (only the fuzz targets and the MLIR-free libraries they
#      need, with ASan, UBSan and assertions) and builds qtrain-fuzz-TARGET;
#   3. seeds an empty corpus (or all of them with QTRAIN_FUZZ_SEED=1) from
#      assembled programs: the example of docs/Accelerator.md, the programs
#      of test/qtrain-asm, test/qtrain-sim and fuzz/seeds, and programs that
#      convert-qtrain-to-accel makes of test/Conversion/QTrainToAccel and
#      examples/ (these need the main build's tools, build/ or
#      $QTRAIN_BUILD_DIR; without them the seeds are the assembled ones);
#   4. runs each fuzzer for SECONDS, then merges the inputs that add coverage
#      into the kept corpus (-merge=1: the corpus only grows by what is new;
#      with QTRAIN_FUZZ_MINIMIZE=1 it is rebuilt as the smallest set with the
#      same coverage, keeping the reproducers of fixed bugs, regression-*).
# A crash stops the script with a non-zero status; its input is in
# build-fuzz/artifacts/TARGET/ (replay it: build-fuzz/bin/qtrain-fuzz-TARGET
# FILE). Builds take $QTRAIN_BUILD_LOCK (default /tmp/qtrain-build.lock) with
# flock, so they never overlap another build of a shared checkout.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${QTRAIN_FUZZ_BUILD_DIR:-$root/build-fuzz}"
main_build="${QTRAIN_BUILD_DIR:-$root/build}"
seconds="${1:-60}"
shift || true
targets=("$@")
((${#targets[@]})) || targets=(decoder simulator)
for t in "${targets[@]}"; do
  case "$t" in
  decoder | simulator) ;;
  *) echo "fuzz.sh: unknown target '$t' (decoder, simulator)" >&2 && exit 2 ;;
  esac
done

# 1. The compiler and libFuzzer.
missing=()
for p in clang-22 libclang-rt-22-dev cmake ninja-build llvm-22-dev libmlir-22-dev; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
    missing+=("$p")
done
if ((${#missing[@]})); then
  echo "fuzz.sh: installing ${missing[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq \
    --no-install-recommends "${missing[@]}"
fi

# 2. The instrumented build.
lock="${QTRAIN_BUILD_LOCK:-/tmp/qtrain-build.lock}"
locked() {
  if command -v flock >/dev/null; then flock "$lock" "$@"; else "$@"; fi
}
if [ ! -f "$build/build.ninja" ]; then
  locked cmake -G Ninja -S "$root" -B "$build" -DQTRAIN_FUZZ=ON \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_C_COMPILER=clang-22 -DCMAKE_CXX_COMPILER=clang++-22
fi
locked ninja -C "$build" -j2 "${targets[@]/#/qtrain-fuzz-}"

# libFuzzer's own leak check runs per input; a report or a trap is a crash.
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
# Inputs: at most 1024 instructions; a run over 10 s is a hang.
fuzz_flags=(-max_len=16384 -timeout=10 -rss_limit_mb=2048 -print_final_stats=1)

# 3. Seeds.
seed_simulator_tail() {
  # The machine byte 0 (the base machine), then f32 data: 1, -2.5, +-0,
  # +-inf, a quiet and a signalling NaN, the smallest subnormal, the largest
  # finite, 1e-3 and 448 (FP8 E4M3's largest).
  printf '\000'
  printf '\000\000\200\077\000\000\040\300\000\000\000\000\000\000\000\200'
  printf '\000\000\200\177\000\000\200\377\000\000\300\177\001\000\200\177'
  printf '\001\000\000\000\377\377\177\177\157\022\203\072\000\000\340\103'
}

make_seeds() { # DIR: writes NAME.bin (words) and NAME.s (canonical text)
  local out="$1" tmp asm="$main_build/bin/qtrain-asm"
  local opt="$main_build/bin/qtrain-opt" translate="$main_build/bin/qtrain-translate"
  if [ ! -x "$asm" ]; then
    echo "fuzz.sh: no $asm (build the main tree first): no seeds" >&2
    return
  fi
  tmp="$(mktemp -d)"
  # The example of docs/Accelerator.md.
  awk '/^### Example/ {e = 1} e && /^```$/ {if (inside) exit; inside = 1; next}
       inside {print}' "$root/docs/Accelerator.md" >"$tmp/docs-example.s"
  for f in "$root"/test/qtrain-asm/*.test "$root"/test/qtrain-sim/*.test \
    "$root"/fuzz/seeds/*.s; do
    [ -f "$f" ] && cp "$f" "$tmp/$(basename "$(dirname "$f")")-$(basename "${f%.*}").s"
  done
  # Programs of the compiler, for the fuzzer's machine (SimulatorFuzzer.cpp).
  printf '{"dram": {"bytes": 1048576}, "input_sp": {"rows": 512},
    "weight_sp": {"rows": 512}, "acc": {"entries": 1024}}\n' >"$tmp/machine.json"
  if [ -x "$opt" ] && [ -x "$translate" ]; then
    local i=0 f
    for f in "$root"/test/Conversion/QTrainToAccel/*.mlir "$root"/examples/*.mlir; do
      [ "$(basename "$f")" = invalid.mlir ] && continue
      awk -v dir="$tmp" -v base="$(basename "${f%.mlir}")" '
        BEGIN {n = 0} /^\/\/ -----/ {n++; next}
        {print > (dir "/" base "-" n ".mlir")}' "$f"
    done
    for f in "$tmp"/*.mlir; do
      for fn in $(sed -n 's/^ *func.func @\([A-Za-z0-9_]*\).*/\1/p' "$f"); do
        "$opt" "$f" --qtrain-decompose \
          "--convert-qtrain-to-accel=function=$fn machine=$tmp/machine.json" \
          2>/dev/null | "$translate" --accel-to-binary -o "$tmp/conv-$i.bin" \
          2>/dev/null || continue
        "$asm" --disassemble "$tmp/conv-$i.bin" -o "$out/conv-$i.s" 2>/dev/null &&
          cp "$tmp/conv-$i.bin" "$out/conv-$i.bin"
        i=$((i + 1))
      done
    done
  fi
  # Assembly whose program decodes: its words, and its canonical text.
  for f in "$tmp"/*.s; do
    local name
    name="$(basename "${f%.s}")"
    "$asm" "$f" -o "$tmp/$name.bin" 2>/dev/null || continue
    "$asm" --disassemble "$tmp/$name.bin" -o "$out/$name.s" 2>/dev/null || continue
    cp "$tmp/$name.bin" "$out/$name.bin"
  done
  rm -rf "$tmp"
}

seeds=""
for t in "${targets[@]}"; do
  corpus="$root/fuzz/corpus/$t"
  mkdir -p "$corpus"
  if [ "${QTRAIN_FUZZ_SEED:-0}" = 1 ] || [ -z "$(ls -A "$corpus")" ]; then
    if [ -z "$seeds" ]; then
      seeds="$(mktemp -d)"
      make_seeds "$seeds"
    fi
    input="$(mktemp -d)"
    if [ "$t" = decoder ]; then
      cp "$seeds"/* "$input"/ 2>/dev/null || true
    else # words, and words with the machine byte and DRAM data
      for f in "$seeds"/*.bin; do
        [ -f "$f" ] || continue
        cp "$f" "$input/"
        { cat "$f" && seed_simulator_tail; } >"$input/$(basename "${f%.bin}")-data.bin"
      done
    fi
    echo "fuzz.sh: seeding fuzz/corpus/$t from $(ls "$input" | wc -l) programs"
    "$build/bin/qtrain-fuzz-$t" -merge=1 "${fuzz_flags[@]}" "$corpus" "$input"
    rm -rf "$input"
  fi
done
[ -n "$seeds" ] && rm -rf "$seeds"

# 4. Fuzz, then keep what is new (SECONDS = 0: build and seed only).
[ "$seconds" = 0 ] && exit 0
for t in "${targets[@]}"; do
  corpus="$root/fuzz/corpus/$t"
  work="$build/work/$t"
  artifacts="$build/artifacts/$t"
  mkdir -p "$work" "$artifacts"
  echo "fuzz.sh: fuzzing $t for $seconds s"
  status=0
  "$build/bin/qtrain-fuzz-$t" "${fuzz_flags[@]}" -max_total_time="$seconds" \
    -artifact_prefix="$artifacts/" "$work" "$corpus" || status=$?
  if [ "${QTRAIN_FUZZ_MINIMIZE:-0}" = 1 ]; then
    # A corpus rebuilt from scratch: the fewest inputs with all the coverage,
    # plus every kept reproducer of a fixed bug (regression-*).
    fresh="$build/fresh/$t"
    rm -rf "$fresh" && mkdir -p "$fresh"
    "$build/bin/qtrain-fuzz-$t" -merge=1 "${fuzz_flags[@]}" "$fresh" "$corpus" "$work"
    cp "$corpus"/regression-* "$fresh"/ 2>/dev/null || true
    rm -rf "$corpus" && mv "$fresh" "$corpus"
  else
    "$build/bin/qtrain-fuzz-$t" -merge=1 "${fuzz_flags[@]}" "$corpus" "$work"
  fi
  rm -rf "$work"
  if [ "$status" -ne 0 ]; then
    echo "fuzz.sh: $t crashed (status $status): the input is in $artifacts" >&2
    exit 1
  fi
  echo "fuzz.sh: fuzz/corpus/$t: $(ls "$corpus" | wc -l) inputs, $(du -sh "$corpus" | cut -f1)"
done
