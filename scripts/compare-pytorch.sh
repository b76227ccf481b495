#!/usr/bin/env bash
# Side by side on this machine: qtrain-train's FP32 recipe and PyTorch's CPU
# training (scripts/pytorch_mlp.py) of the same MLP 784-256-128-10 on
# Fashion-MNIST, batch 64, SGD momentum 0.9, lr 0.05, the same init and the
# same data handling, for --epochs (default 5). Prints both summary lines,
# the speed ratio and the accuracy difference, and draws both curves in one
# plot. Installs Debian's python3-torch when missing. Output in
# runs/compare-pytorch/ (or $QTRAIN_RUN_DIR).
#
#   ./scripts/compare-pytorch.sh            # 5 epochs, 2 threads each
#   ./scripts/compare-pytorch.sh 1          # 1 epoch
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${QTRAIN_BUILD_DIR:-$root/build}"
out="${QTRAIN_RUN_DIR:-$root/runs/compare-pytorch}"
epochs="${1:-5}"
seed="${2:-1}"

"$root/scripts/setup.sh" >/dev/null
if ! /usr/bin/python3 -c "import torch" 2>/dev/null; then
  echo "compare-pytorch: installing Debian's python3-torch"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq python3-torch
fi
mkdir -p "$out"

echo "== qtrain-train (JIT, fp32 recipe)"
"$build/bin/qtrain-train" mlp --hidden=256,128 --batch=64 --lr=0.05 \
  --momentum=0.9 --epochs="$epochs" --seed="$seed" --recipe=fp32 \
  --progress=lines --plot=false --out="$out" | tee "$out/qtrain.log"
echo "== PyTorch $(/usr/bin/python3 -c 'import torch; print(torch.__version__)') (CPU, 2 threads)"
/usr/bin/python3 "$root/scripts/pytorch_mlp.py" --hidden=256,128 --batch=64 \
  --lr=0.05 --momentum=0.9 --epochs="$epochs" --seed="$seed" --threads=2 \
  --csv="$out/pytorch-s$seed.csv" | tee "$out/pytorch.log"

"$build/bin/qtrain-train" --plot-only="$out/mlp-fp32-s$seed.csv,$out/pytorch-s$seed.csv" \
  --plot-labels=qtrain-fp32,pytorch -o "$out/qtrain-vs-pytorch.png"

field() { grep '^summary:' "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }
q_sps=$(field "$out/qtrain.log" steps_per_second)
p_sps=$(field "$out/pytorch.log" steps_per_second)
q_acc=$(field "$out/qtrain.log" test_accuracy)
p_acc=$(field "$out/pytorch.log" test_accuracy)
echo "== comparison after $epochs epoch(s), seed $seed, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
awk -v qs="$q_sps" -v ps="$p_sps" -v qa="$q_acc" -v pa="$p_acc" 'BEGIN {
  printf "steps/s: qtrain %.1f, PyTorch %.1f (qtrain / PyTorch = %.2f)\n", qs, ps, qs / ps
  printf "test accuracy: qtrain %.2f%%, PyTorch %.2f%% (difference %+.2f points)\n", qa, pa, qa - pa
}'
echo "curves: $out/qtrain-vs-pytorch.png"
