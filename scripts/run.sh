#!/usr/bin/env bash
# The main job on the bundled default: set-up and build, then train the MLP
# 784-256-128-10 on Fashion-MNIST through the compiler for one epoch in
# FP32 and in the fp8-hybrid recipe (E4M3 forward, E5M2 backward), and
# print the comparison (test accuracy, loss, steps/s). CSVs, checkpoints
# and the curves go to runs/main/ (or $QTRAIN_RUN_DIR). Extra arguments go
# to qtrain-train (e.g. --epochs=5 --recipe=fp32,mxfp8,abfp8).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${QTRAIN_BUILD_DIR:-$root/build}"
out="${QTRAIN_RUN_DIR:-$root/runs/main}"

"$root/scripts/setup.sh"

"$build/bin/qtrain-train" mlp --hidden=256,128 --batch=64 --lr=0.05 \
  --momentum=0.9 --epochs=1 --recipe=fp32,fp8-hybrid --out="$out" "$@"
