"""Seconds per epoch of fastgd's compiled core against the vectorised NumPy reference.

Each pair runs in this one process, one after the other, so the ratio is fair on a noisy machine.

    python bench/compare.py            # the full table, on all 60,000 MNIST training images
    python bench/compare.py --quick    # a smoke run on 6,000 images

MNIST is read from $FASTGD_DATA, else from ../shared/data/mnist beside the repository.
"""
import argparse
import os
import time
from pathlib import Path

import numpy as np

import fastgd
from fastgd import _core
from fastgd import reference as ref

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "mnist"

# name, sizes, mini-batch size, dtype
CASES = [
    ("reference setting", [784, 30, 10], 10, "float64"),
    ("reference setting", [784, 30, 10], 10, "float32"),
]


def load_training_data(n_samples=None):
    """MNIST training images (float64) and labels, the first n_samples of them if given."""
    data = os.environ.get("FASTGD_DATA") or DEFAULT_DATA
    (X, y), _ = fastgd.load_mnist(data)
    return (X, y) if n_samples is None else (X[:n_samples], y[:n_samples])


def epoch_flops(sizes, n):
    """Floating-point operations of one epoch: forward, backward deltas and weight updates."""
    products = [a * b for a, b in zip(sizes[:-1], sizes[1:])]
    # Every layer: the forward gemm and the update gemm; all but the first: the delta gemm.
    return 2 * n * (2 * sum(products) + sum(products[1:]))


def make_epoch(kind, sizes, m, dtype, X, y):
    """A function that trains one epoch over X with the core or the reference."""
    net = fastgd.Network(sizes, seed=0, dtype=dtype)
    X = np.ascontiguousarray(X, dtype=dtype)
    Y = np.eye(sizes[-1], dtype=dtype)[y]
    order = np.random.default_rng(0).permutation(len(X))
    if kind == "fastgd":
        return lambda: _core.train_epoch(net.weights, net.biases, X, Y, order, m, 3.0, True)
    return lambda: ref.train_epoch(net.weights, net.biases, X, Y, order, m, 3.0)


def seconds_per_epoch(epoch, repeats):
    """The fastest of repeats timed epochs, after one warm-up epoch."""
    epoch()
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        epoch()
        best = min(best, time.perf_counter() - start)
    return best


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="6,000 images, one repeat")
    args = parser.parse_args(argv)
    X, y = load_training_data(6000 if args.quick else None)
    repeats = 1 if args.quick else 3
    print(f"{len(X)} training images; seconds per epoch scaled to 60,000 images; best of "
          f"{repeats}")
    header = (f"{'case':<20} {'sizes':<14} {'m':>4} {'dtype':<8} {'numpy s':>9} {'fastgd s':>9} "
              f"{'speed-up':>9} {'GFLOP/s':>8}")
    print(header)
    print("-" * len(header))
    scale = 60000 / len(X)
    for name, sizes, m, dtype in CASES:
        numpy_s = seconds_per_epoch(make_epoch("numpy", sizes, m, dtype, X, y), 1) * scale
        core_s = seconds_per_epoch(make_epoch("fastgd", sizes, m, dtype, X, y), repeats) * scale
        gflops = epoch_flops(sizes, 60000) / core_s / 1e9
        print(f"{name:<20} {','.join(map(str, sizes)):<14} {m:>4} {dtype:<8} {numpy_s:>9.3f} "
              f"{core_s:>9.3f} {numpy_s / core_s:>8.1f}x {gflops:>8.1f}")


if __name__ == "__main__":
    main()
