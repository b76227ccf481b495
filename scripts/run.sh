#!/usr/bin/env bash
# The main job on the bundled default: set-up and build, then every bundled
# example through qtrain-opt, the numerics demo, and a short numerics
# benchmark.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${QTRAIN_BUILD_DIR:-$root/build}"

"$root/scripts/setup.sh"

for example in "$root"/examples/*.mlir; do
  echo "== qtrain-opt $(basename "$example")"
  "$build/bin/qtrain-opt" "$example" --canonicalize
done

echo "== qtrain-numerics formats"
"$build/bin/qtrain-numerics" formats
echo "== qtrain-numerics demo"
"$build/bin/qtrain-numerics" demo

echo "== numerics benchmark (short)"
"$build/bin/qtrain-numerics-bench" --benchmark_min_time=0.05
