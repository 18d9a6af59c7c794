"""fastgd against PyTorch on the CPU: the same network, cost and update rule, an epoch each.

    python bench/torch_compare.py             # every option, all 60,000 MNIST training images
    python bench/torch_compare.py --quick     # a smoke run on 3,000 images (times scaled)

PyTorch is what a reader of the book would reach for instead; it is an optional benchmark
dependency (pip install torch), never one of fastgd's. For each option, [784, 30, 10] trained with
mini-batches of 10 (the book's chapter 1 and each of chapter 3's additions on it: an L2 or L1
penalty, momentum, Nesterov's, tanh or ReLU neurons, a softmax output with the log-likelihood),
both run one epoch, in this process, one after the other, best of --repeats: fastgd's
Trainer.fit on the pixels as bytes (seconds of the epoch's training, as History gives them),
PyTorch's idiomatic loop (nn.Sequential, a loss, torch.optim.SGD: weight decay on the weights
alone for L2, the L1 step added to the gradients, momentum and nesterov as SGD has them) on the
pixels as floats divided by 255, one permutation of indices per epoch. Each at its default
thread count on this machine (fastgd's choice of one or two, PyTorch's torch.get_num_threads()),
and both on one thread. The table gives seconds per epoch and PyTorch's time over fastgd's.
Besides the per-option rows, the chapter-1 row is the baseline the others are compared with
(fastgd's time over its own chapter-1 time).
"""

import argparse
import os
import sys
import time
from functools import partial
from pathlib import Path

import numpy as np

import fastgd

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "mnist"
N_TRAIN = 60000

# name: (hidden activation, cost, Trainer's update rule, eta)
OPTIONS = {
    "chapter 1 (sigmoid, quadratic)": ("sigmoid", "quadratic", {}, 3.0),
    "cross-entropy": ("sigmoid", "cross_entropy", {}, 0.5),
    "L2, lmbda=5": ("sigmoid", "cross_entropy", dict(lmbda=5.0), 0.5),
    "L1, lmbda=5": ("sigmoid", "cross_entropy", dict(lmbda=5.0, penalty="l1"), 0.5),
    "momentum 0.9": ("sigmoid", "cross_entropy", dict(momentum=0.9), 0.05),
    "Nesterov 0.9": ("sigmoid", "cross_entropy", dict(momentum=0.9, nesterov=True), 0.05),
    "tanh": ("tanh", "cross_entropy", {}, 0.1),
    "ReLU": ("relu", "cross_entropy", {}, 0.05),
    "softmax, log-likelihood": ("sigmoid", "log_likelihood", {}, 0.1),
}


def fastgd_epoch(X, y, activation, cost, rule, eta, dtype, threads):
    net = fastgd.Network(
        [784, 30, 10],
        seed=0,
        dtype=dtype,
        init="scaled",
        activation=activation,
        output=fastgd.costs.get(cost).output,
    )
    history = fastgd.Trainer(
        net,
        eta=eta,
        mini_batch_size=10,
        epochs=1,
        seed=0,
        cost=cost,
        verbose=0,
        n_threads=threads,
        **rule,
    ).fit(X, y)
    return history.seconds[0]


def torch_epoch(torch, X, y, activation, cost, rule, eta, dtype):
    nn = torch.nn
    torch.manual_seed(0)
    kind = {"float64": torch.float64, "float32": torch.float32}[dtype]
    neuron = {"sigmoid": nn.Sigmoid, "tanh": nn.Tanh, "relu": nn.ReLU}[activation]
    layers = [nn.Linear(784, 30), neuron(), nn.Linear(30, 10)]
    if cost != "log_likelihood":
        layers.append(nn.Sigmoid())  # (CrossEntropyLoss takes the logits: its softmax)
    model = nn.Sequential(*layers).to(kind)
    loss_fn = {
        "quadratic": lambda out, target: 0.5 * ((out - target) ** 2).sum(dim=1).mean(),
        "cross_entropy": nn.BCELoss(),
        "log_likelihood": nn.CrossEntropyLoss(),
    }[cost]
    weights = [p for name, p in model.named_parameters() if name.endswith("weight")]
    biases = [p for name, p in model.named_parameters() if name.endswith("bias")]
    n = len(X)
    penalty, lmbda = rule.get("penalty", "l2"), rule.get("lmbda", 0.0)
    optimizer = torch.optim.SGD(
        [
            {"params": weights, "weight_decay": lmbda / n if penalty == "l2" else 0.0},
            {"params": biases, "weight_decay": 0.0},
        ],
        lr=eta,
        momentum=rule.get("momentum", 0.0),
        nesterov=rule.get("nesterov", False),
    )
    inputs = torch.from_numpy(X).to(kind) / 255
    labels = torch.from_numpy(y.astype(np.int64))
    targets = torch.nn.functional.one_hot(labels, 10).to(kind)
    started = time.perf_counter()
    order = torch.randperm(n)
    for start in range(0, n, 10):
        batch = order[start : start + 10]
        optimizer.zero_grad()
        out = model(inputs[batch])
        loss = loss_fn(out, labels[batch] if cost == "log_likelihood" else targets[batch])
        loss.backward()
        if penalty == "l1" and lmbda:
            with torch.no_grad():
                for w in weights:
                    w.grad += lmbda / n * torch.sign(w)
        optimizer.step()
    return time.perf_counter() - started


def best(function, repeats):
    return min(function() for _ in range(repeats))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3,000 images, times scaled")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--dtype", nargs="+", default=["float64", "float32"])
    args = parser.parse_args()
    try:
        import torch
    except ImportError:
        sys.exit("bench/torch_compare.py needs PyTorch: pip install torch (CPU build)")
    data = os.environ.get("FASTGD_DATA") or DEFAULT_DATA
    (X, y), _ = fastgd.load_mnist(data, dtype="uint8")
    if args.quick:
        X, y = X[:3000], y[:3000]
    scale = N_TRAIN / len(X)
    repeats = 1 if args.quick else args.repeats
    default_threads = torch.get_num_threads()
    print(
        f"fastgd {fastgd.__version__}, PyTorch {torch.__version__} ({default_threads} threads "
        f"by default); [784,30,10], m=10, seconds per epoch of {N_TRAIN:,} images"
        + (" (scaled from 3,000)" if args.quick else "")
    )
    head = (
        f"{'option':<26} {'dtype':<8} {'fastgd':>8} {'/ch.1':>6} {'PyTorch':>8} {'ratio':>6}"
        f" {'fastgd 1t':>9} {'PyTorch 1t':>10} {'ratio':>6}"
    )
    print(head)
    print("-" * len(head))
    for dtype in args.dtype:
        chapter1 = None
        for name, (activation, cost, rule, eta) in OPTIONS.items():
            row = []
            for threads in (None, 1):
                torch.set_num_threads(default_threads if threads is None else 1)
                ours = best(
                    partial(fastgd_epoch, X, y, activation, cost, rule, eta, dtype, threads),
                    repeats,
                )
                theirs = best(
                    partial(torch_epoch, torch, X, y, activation, cost, rule, eta, dtype), repeats
                )
                row.append((ours * scale, theirs * scale))
            if chapter1 is None:
                chapter1 = row[0][0]
            (ours, theirs), (ours1, theirs1) = row
            print(
                f"{name:<26} {dtype:<8} {ours:8.3f} {ours / chapter1:6.2f} {theirs:8.3f} "
                f"{theirs / ours:5.1f}x {ours1:9.3f} {theirs1:10.3f} {theirs1 / ours1:5.1f}x",
                flush=True,
            )
    torch.set_num_threads(default_threads)


if __name__ == "__main__":
    main()
