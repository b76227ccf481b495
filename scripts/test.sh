#!/usr/bin/env bash
# The whole test suite: set-up and build, then ctest runs the GoogleTest cases
# and the lit suite (one ctest test named "lit"). Exits non-zero on any
# failure; the last line is ctest's summary.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${QTRAIN_BUILD_DIR:-$root/build}"

"$root/scripts/setup.sh"
cd "$build"
ctest --output-on-failure --no-tests=error -j2 --timeout 1800
