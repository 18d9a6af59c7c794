"""Command line: `python -m fastgd train` runs the book's reference experiment on MNIST."""
import argparse
import sys

import numpy as np


def _sizes(text):
    try:
        return [int(s) for s in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"sizes must be integers separated by commas, such as "
                                         f"784,30,10; got {text!r}") from None


def build_parser():
    parser = argparse.ArgumentParser(prog="python -m fastgd",
                                     description="Train the sigmoid network of the book on MNIST.")
    commands = parser.add_subparsers(dest="command", required=True)
    train = commands.add_parser("train", help="train on MNIST and report test accuracy per epoch",
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    train.add_argument("--sizes", type=_sizes, default=[784, 30, 10],
                       help="neurons per layer, comma-separated")
    train.add_argument("--epochs", type=int, default=30)
    train.add_argument("--mini-batch-size", "-m", type=int, default=10)
    train.add_argument("--eta", type=float, default=3.0, help="learning rate")
    train.add_argument("--reduction", choices=["mean", "sum"], default="mean")
    train.add_argument("--dtype", choices=["float64", "float32"], default="float64")
    train.add_argument("--seed", type=int, default=None)
    train.add_argument("--data", default=None,
                       help="directory of the MNIST files (else $FASTGD_DATA, then the cache)")
    return parser


def train(args):
    import fastgd

    # The network and trainer check their arguments before the data is read.
    net = fastgd.Network(args.sizes, seed=args.seed, dtype=args.dtype)
    trainer = fastgd.Trainer(net, eta=args.eta, mini_batch_size=args.mini_batch_size,
                             epochs=args.epochs, seed=args.seed, reduction=args.reduction)
    (train_X, train_y), (test_X, test_y) = fastgd.load_mnist(args.data, dtype=args.dtype)
    history = trainer.fit(train_X, train_y, test_data=(test_X, test_y))
    if history.test_accuracy:
        print(f"best test accuracy {history.best_test_accuracy:.2%}, final "
              f"{history.test_accuracy[-1]:.2%}, {np.mean(history.seconds):.3f} s per epoch")


def main(argv=None):
    args = build_parser().parse_args(argv)
    try:
        train(args)
    except (ValueError, TypeError, FileNotFoundError) as exc:
        print(f"fastgd: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("fastgd: interrupted", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
