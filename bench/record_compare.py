"""The record network's epoch (bench/record.py) in fastgd and in PyTorch on the CPU, side by side.

    python bench/record_compare.py            # 10,000 images a side, seconds scaled to 50,000
    python bench/record_compare.py --n 50000  # the whole training set

The same network and update: [784, 800, 10], ReLU hidden neurons with dropout 0.5 (PyTorch's
nn.Dropout, inverted as fastgd's), a softmax output with the log-likelihood
(nn.CrossEntropyLoss), mini-batches of 10, SGD with momentum 0.9 (torch.optim.SGD), float32,
the pixels as fastgd reads them (uint8) and as PyTorch wants them (floats / 255), one
permutation per epoch; each at its default thread count. fastgd's epoch is also timed with the
record run's distortions (Trainer(augment="affine")), which PyTorch's row leaves out (a
per-sample torchvision transform would only add to its time). Best of --repeats, in turns.
"""

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

import fastgd

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "mnist"
SIZES = [784, 800, 10]


def fastgd_epoch(X, y, augment):
    net = fastgd.Network(
        SIZES, seed=0, init="scaled", activation="relu", output="softmax", dtype="float32"
    )
    history = fastgd.Trainer(
        net, eta=0.01, mini_batch_size=10, epochs=1, seed=0, verbose=0, cost="log_likelihood",
        momentum=0.9, dropout=0.5, augment=augment,
    ).fit(X, y)  # fmt: skip
    return history.seconds[0]


def torch_epoch(torch, X, y):
    nn = torch.nn
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(784, 800), nn.ReLU(), nn.Dropout(0.5), nn.Linear(800, 10))
    model.train()
    loss_fn = nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    inputs = torch.from_numpy(X).float() / 255
    labels = torch.from_numpy(y.astype(np.int64))
    started = time.perf_counter()
    order = torch.randperm(len(X))
    for start in range(0, len(X), 10):
        batch = order[start : start + 10]
        optimizer.zero_grad()
        loss_fn(model(inputs[batch]), labels[batch]).backward()
        optimizer.step()
    return time.perf_counter() - started


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10000, help="training images a side")
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    try:
        import torch
    except ImportError:
        sys.exit("bench/record_compare.py needs PyTorch: pip install torch (CPU build)")
    (X, y), _ = fastgd.load_mnist(os.environ.get("FASTGD_DATA") or DEFAULT_DATA, dtype="uint8")
    X, y = X[: args.n], y[: args.n]
    scale = 50000 / len(X)
    times = {"fastgd": [], "fastgd, distorted": [], "PyTorch": []}
    for _ in range(args.repeats):
        times["fastgd"].append(fastgd_epoch(X, y, None))
        times["fastgd, distorted"].append(fastgd_epoch(X, y, "affine"))
        times["PyTorch"].append(torch_epoch(torch, X, y))
    best = {name: min(seconds) * scale for name, seconds in times.items()}
    print(
        f"fastgd {fastgd.__version__}, PyTorch {torch.__version__} ({torch.get_num_threads()} "
        f"threads); {SIZES} ReLU, dropout 0.5, softmax, m=10, momentum 0.9, float32; seconds "
        f"per epoch of 50,000 images (measured on {len(X):,})"
    )
    for name, seconds in best.items():
        print(f"{name:<20} {seconds:8.2f} s   PyTorch / this: {best['PyTorch'] / seconds:5.1f}x")


if __name__ == "__main__":
    main()
