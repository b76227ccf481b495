#!/usr/bin/env bash
# Installs what qtrain needs from Debian's packages (when missing), then
# configures and builds everything in build/ (or $QTRAIN_BUILD_DIR).
# Safe to run again: it only installs and reconfigures what is missing.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${QTRAIN_BUILD_DIR:-$root/build}"

packages=(
  llvm-22-dev libmlir-22-dev mlir-22-tools llvm-22-tools
  libgtest-dev libbenchmark-dev libopenblas-dev libomp-22-dev
  cmake ninja-build mold g++ python3
  zlib1g-dev dataset-fashion-mnist gnuplot-nox
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
    missing+=("$p")
done
if ((${#missing[@]})); then
  echo "qtrain setup: installing ${missing[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq \
    --no-install-recommends "${missing[@]}"
fi

# The first configure takes CXXFLAGS/CFLAGS/LDFLAGS from the environment
# (scripts/sanitize.sh passes sanitizer flags so); QTRAIN_TARGETS limits
# what is built (default: everything).
if [ ! -f "$build/build.ninja" ]; then
  cmake -G Ninja -S "$root" -B "$build" \
    -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_C_COMPILER=gcc -DCMAKE_CXX_COMPILER=g++
fi
# Two cores: never more than two jobs.
# shellcheck disable=SC2086
ninja -C "$build" -j2 ${QTRAIN_TARGETS:-}
