#!/usr/bin/python3
"""PyTorch CPU baseline for qtrain's Fashion-MNIST MLP.

Trains the same MLP as the qtrain runner (qtrain-train with the fp32 recipe),
so that speed (training steps per second) and test accuracy can be compared
side by side. It mirrors qtrain-train's conventions:

- data: the gzip IDX files, pixels as float32 x/255 (no mean/std
  normalisation), images flattened to 784;
- model: Linear(784,h1)-ReLU-Linear(h1,h2)-ReLU-Linear(h2,10), softmax
  cross-entropy averaged over the batch;
- init: weights uniform in [-sqrt(6/fan_in), +sqrt(6/fan_in)] (kaiming
  uniform, ReLU gain), biases zero;
- optimiser: torch.optim.SGD(lr, momentum, weight_decay), weight decay on
  every parameter, biases included;
- each epoch shuffles the training set and drops the last partial batch
  (60000/64 -> 937 steps); only the training loop is timed.

Needs only Debian's python3-torch and python3-numpy, hence /usr/bin/python3
(another python3 earlier on PATH may not have torch). Example:
  /usr/bin/python3 scripts/pytorch_mlp.py --epochs 5 --threads 2 --csv pytorch.csv
The last line printed is a `summary:` line in the runner's format.
"""

import os

# Before torch loads libgomp: idle OpenMP workers sleep instead of spinning.
# Otherwise, on a 2-core machine, torch's spinning OpenMP threads fight
# OpenBLAS's own pthreads and 2 threads run ~2.5x slower than 1. Set
# OMP_WAIT_POLICY=ACTIVE in the environment to get libgomp's default back.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import argparse
import csv
import gzip
import math
import sys
import time
import zlib

import numpy as np
import torch
import torch.nn.functional as F

DEFAULT_DATA = "/usr/share/datasets/fashion-mnist"


def read_idx(path, magic, dims):
    """Reads a gzip IDX file whose header is `magic` followed by `dims` sizes."""
    try:
        with gzip.open(path, "rb") as f:
            data = f.read()
    except (OSError, EOFError, zlib.error) as e:
        raise ValueError(f"{path}: cannot read gzip data: {e}") from None
    header = 4 * (1 + dims)
    if len(data) < header:
        raise ValueError(f"{path}: too short for an IDX header ({len(data)} bytes)")
    fields = np.frombuffer(data, dtype=">u4", count=1 + dims)
    if fields[0] != magic:
        raise ValueError(f"{path}: bad magic 0x{int(fields[0]):x}, expected 0x{magic:x}")
    shape = tuple(int(s) for s in fields[1:])
    expected = header + int(np.prod(shape))
    if len(data) != expected:
        raise ValueError(f"{path}: {len(data)} bytes, expected {expected} for shape {shape}")
    return np.frombuffer(data, dtype=np.uint8, offset=header).reshape(shape)


def load_split(directory, prefix, limit):
    images = read_idx(os.path.join(directory, f"{prefix}-images-idx3-ubyte.gz"), 0x803, 3)
    labels = read_idx(os.path.join(directory, f"{prefix}-labels-idx1-ubyte.gz"), 0x801, 1)
    if images.shape[1:] != (28, 28):
        raise ValueError(f"{prefix} images are {images.shape[1]}x{images.shape[2]}, expected 28x28")
    if images.shape[0] != labels.shape[0]:
        raise ValueError(f"{prefix}: {images.shape[0]} images but {labels.shape[0]} labels")
    if labels.size and labels.max() > 9:
        raise ValueError(f"{prefix}: label {int(labels.max())} outside [0, 10)")
    if limit > 0:
        images, labels = images[:limit], labels[:limit]
    x = torch.from_numpy(images.reshape(len(images), 784).astype(np.float32) / 255.0)
    y = torch.from_numpy(labels.astype(np.int64))
    return x, y


def build_mlp(hidden):
    layers, fan_in = [], 784
    for width in hidden + [10]:
        linear = torch.nn.Linear(fan_in, width)
        # bound = gain * sqrt(3 / fan_in) = sqrt(6 / fan_in) for ReLU's gain sqrt(2).
        torch.nn.init.kaiming_uniform_(linear.weight, nonlinearity="relu")
        torch.nn.init.zeros_(linear.bias)
        layers += [linear, torch.nn.ReLU()]
        fan_in = width
    return torch.nn.Sequential(*layers[:-1])  # no ReLU after the last layer


@torch.no_grad()
def evaluate(model, x, y, batch=1000):
    model.eval()
    loss_sum, correct = 0.0, 0
    for i in range(0, len(x), batch):
        logits = model(x[i:i + batch])
        loss_sum += F.cross_entropy(logits, y[i:i + batch], reduction="sum").item()
        correct += (logits.argmax(1) == y[i:i + batch]).sum().item()
    return loss_sum / len(x), 100.0 * correct / len(x)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", default=DEFAULT_DATA, help="directory of the gzip IDX files")
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--lr", type=float, default=0.05)
    p.add_argument("--momentum", type=float, default=0.9)
    p.add_argument("--weight-decay", type=float, default=0.0)
    p.add_argument("--hidden", default="256,128", help="comma-separated hidden widths")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--threads", type=int, default=2, help="torch.set_num_threads")
    p.add_argument("--train-limit", type=int, default=0, help="first N training examples (0 = all)")
    p.add_argument("--test-limit", type=int, default=0, help="first N test examples (0 = all)")
    p.add_argument("--csv", help="write per-epoch results to this CSV file")
    args = p.parse_args()

    try:
        hidden = [int(h) for h in args.hidden.split(",")]
        if any(h <= 0 for h in hidden):
            raise ValueError
    except ValueError:
        sys.exit(f"error: --hidden must be a comma list of positive widths, got '{args.hidden}'")
    try:
        x_train, y_train = load_split(args.data, "train", args.train_limit)
        x_test, y_test = load_split(args.data, "t10k", args.test_limit)
    except (ValueError, OSError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    steps_per_epoch = len(x_train) // args.batch
    if steps_per_epoch == 0 or len(x_test) == 0 or args.epochs < 1:
        print(f"error: nothing to do ({len(x_train)} training examples, batch {args.batch}, "
              f"{len(x_test)} test examples, {args.epochs} epochs)", file=sys.stderr)
        return 1

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    model = build_mlp(hidden)
    opt = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=args.momentum,
                          weight_decay=args.weight_decay)
    gen = torch.Generator()

    writer = None
    if args.csv:
        csv_file = open(args.csv, "w", newline="")
        writer = csv.writer(csv_file)
        # The columns of qtrain-train's CSV, so that one plot takes both.
        writer.writerow(["epoch", "steps", "learning_rate", "train_loss", "test_loss",
                         "test_accuracy",
                         "epoch_seconds", "steps_per_second"])

    total_steps, total_seconds = 0, 0.0
    for epoch in range(1, args.epochs + 1):
        gen.manual_seed(args.seed * 1000 + epoch)
        perm = torch.randperm(len(x_train), generator=gen)
        model.train()
        loss_sum = 0.0
        start = time.perf_counter()
        for step in range(steps_per_epoch):
            idx = perm[step * args.batch:(step + 1) * args.batch]
            loss = F.cross_entropy(model(x_train[idx]), y_train[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            loss_sum += loss.item()
        seconds = time.perf_counter() - start
        total_steps += steps_per_epoch
        total_seconds += seconds

        train_loss = loss_sum / steps_per_epoch
        test_loss, test_acc = evaluate(model, x_test, y_test)
        sps = steps_per_epoch / seconds
        if not math.isfinite(train_loss):
            print(f"warning: epoch {epoch} train loss is {train_loss}", file=sys.stderr)
        print(f"epoch {epoch}/{args.epochs} train_loss={train_loss:.4f} test_loss={test_loss:.4f} "
              f"test_accuracy={test_acc:.2f}% steps_per_second={sps:.1f}", flush=True)
        if writer:
            writer.writerow([epoch, steps_per_epoch, args.lr, f"{train_loss:.6f}",
                             f"{test_loss:.6f}",
                             f"{test_acc:.2f}", f"{seconds:.4f}", f"{sps:.2f}"])
            csv_file.flush()
    if writer:
        csv_file.close()

    print(f"summary: runner=pytorch model=mlp recipe=fp32 seed={args.seed} epochs={args.epochs} "
          f"steps={total_steps} test_accuracy={test_acc:.2f} test_loss={test_loss:.4f} "
          f"steps_per_second={total_steps / total_seconds:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
