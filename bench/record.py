"""The best fully connected network fastgd trains on this kind of machine (2 cores) in at most 15
minutes from process start to a saved network (issue: chapter 3, item 5).

    python bench/record.py --out record.npz            # the documented run
    python bench/record.py --budget 60 --out try.npz   # a minute of it, to try

Its choices were made on the 10,000 validation images (MNIST's last 10,000 training images,
the book's split); the test set is read once, after training, for the final figure. The run:
a network of ReLU neurons with a softmax output and the log-likelihood cost, dropout on the
hidden layer, every training image distorted afresh each epoch (affine moves), momentum, and
the book's schedule (halve eta when the validation accuracy has not improved for a few epochs).
Training stops at the epochs given or when the wall-clock budget, counted from process start,
would be passed by another epoch; the weights of the best validation epoch are kept
(EarlyStopping's restore_best_weights) and saved.
"""

import argparse
import sys
import time

START = time.monotonic()

import numpy as np  # noqa: E402

import fastgd  # noqa: E402
from fastgd.callbacks import Callback, EarlyStopping, ReduceOnPlateau  # noqa: E402


class Budget(Callback):
    """Stop before an epoch would end past the budget (seconds since process start)."""

    def __init__(self, seconds, reserve):
        self.seconds = seconds
        self.reserve = reserve  # for the test pass and the save after training

    def on_epoch_end(self, epoch, logs, trainer):
        elapsed = time.monotonic() - START
        if elapsed + logs["seconds"] * 1.2 + self.reserve > self.seconds:
            print(f"budget: {elapsed:.0f} s after epoch {epoch}; stopping", flush=True)
            trainer.stop_training = True


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="784,800,10")
    parser.add_argument("--eta", type=float, default=0.01)
    parser.add_argument("--mini-batch-size", type=int, default=10)
    parser.add_argument("--momentum", type=float, default=0.9)
    parser.add_argument("--dropout", type=float, default=0.5)
    parser.add_argument("--augment", default="affine")
    parser.add_argument("--lmbda", type=float, default=0.0)
    parser.add_argument("--patience", type=int, default=10)
    parser.add_argument("--epochs", type=int, default=400)
    parser.add_argument("--budget", type=float, default=15 * 60, help="seconds (default 900)")
    parser.add_argument("--dtype", default="float32")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--data", default=None)
    parser.add_argument("--out", required=True)
    args = parser.parse_args(argv)

    (X, y), (test_X, test_y) = fastgd.load_mnist(args.data, dtype="uint8")[:2]
    train, valid = (X[:50000], y[:50000]), (X[50000:], y[50000:])
    sizes = [int(s) for s in args.sizes.split(",")]
    net = fastgd.Network(
        sizes, seed=args.seed, init="scaled", activation="relu", output="softmax",
        dtype=args.dtype,
    )  # fmt: skip
    trainer = fastgd.Trainer(
        net,
        eta=args.eta,
        mini_batch_size=args.mini_batch_size,
        epochs=args.epochs,
        seed=args.seed,
        cost="log_likelihood",
        momentum=args.momentum,
        dropout=args.dropout,
        augment=None if args.augment == "none" else args.augment,
        lmbda=args.lmbda,
        on_nonfinite="raise",
    )
    keep_best = EarlyStopping(patience=args.epochs, verbose=0)
    history = trainer.fit(
        *train,
        validation_data=valid,
        callbacks=[ReduceOnPlateau(patience=args.patience), keep_best, Budget(args.budget, 15)],
    )
    best = int(np.argmax(history.validation_accuracy))
    test = net.evaluate(test_X, test_y) / len(test_y)
    net.save(args.out)
    elapsed = time.monotonic() - START
    print(
        f"{sizes} m={args.mini_batch_size} eta={args.eta} momentum={args.momentum} "
        f"dropout={args.dropout} augment={args.augment} lmbda={args.lmbda}: "
        f"{len(history.epoch)} epochs, best validation {history.validation_accuracy[best]:.2%} "
        f"(epoch {best}), test {test:.2%}, {elapsed:.0f} s from process start to {args.out}",
        flush=True,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
