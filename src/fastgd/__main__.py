"""The fastgd command: train, evaluate and predict on MNIST from a shell.

    fastgd train                      the book's experiment: sizes 784,30,10; m=10; eta=3.0; 30 epochs
    fastgd evaluate MODEL             test accuracy of a saved network
    fastgd predict MODEL IMAGE...     the digit in each 28x28 greyscale PNG
    fastgd valley                     gradient descent on a 2-variable bowl, drawn (no data needed)

(`python -m fastgd ...` is the same.) Exit status 0 on success, 2 for a usage error or bad
input, 130 when interrupted; errors go to stderr without a traceback.
"""
import argparse
import sys

import numpy as np

from .costs import COSTS
from .initializers import INITS


def _sizes(text):
    try:
        return [int(s) for s in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"sizes must be integers separated by commas, such as "
                                         f"784,30,10; got {text!r}") from None


def _data_options(parser):
    parser.add_argument("--data", default=None,
                        help="directory of the MNIST files (else $FASTGD_DATA, then the cache)")
    parser.add_argument("--no-download", action="store_true",
                        help="never download MNIST; fail if the files are not found")


def build_parser():
    parser = argparse.ArgumentParser(prog="fastgd", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    defaults = argparse.ArgumentDefaultsHelpFormatter

    train = commands.add_parser("train", formatter_class=defaults,
                                help="train on MNIST, one line per epoch",
                                description="Train the sigmoid network on MNIST with mini-batch "
                                            "SGD; the defaults are the book's experiment.")
    train.add_argument("--sizes", type=_sizes, default=[784, 30, 10],
                       help="neurons per layer, comma-separated")
    train.add_argument("--epochs", type=int, default=30)
    train.add_argument("--mini-batch-size", "-m", type=int, default=10)
    train.add_argument("--eta", type=float, default=3.0, help="learning rate")
    train.add_argument("--reduction", choices=["mean", "sum"], default="mean",
                       help="update by eta/m or eta times the sum of the mini-batch's gradients")
    train.add_argument("--cost", choices=list(COSTS), default="quadratic",
                       help="the cost to minimise; cross_entropy keeps saturated outputs learning")
    train.add_argument("--init", choices=list(INITS), default="normal",
                       help="initial weights from N(0, 1) (normal) or N(0, 1/n_in) (scaled)")
    train.add_argument("--dtype", choices=["float64", "float32"], default="float64")
    train.add_argument("--seed", type=int, default=None)
    train.add_argument("--validation-size", type=int, default=0,
                       help="keep the last N training images for validation (the book: 10000)")
    train.add_argument("--train-size", type=int, default=None,
                       help="train on the first N training images only")
    train.add_argument("--threads", type=int, default=None,
                       help="threads (default: two or one, whichever measures faster as it trains)")
    train.add_argument("--verbose", type=int, choices=[0, 1, 2], default=1,
                       help="0 quiet, 1 a line per epoch, 2 also a progress bar on a terminal")
    train.add_argument("--save", metavar="FILE", default=None,
                       help="save the trained network to FILE (.npz)")
    _data_options(train)

    evaluate = commands.add_parser("evaluate", help="test accuracy of a saved network",
                                   description="Print the accuracy of a saved network on the "
                                               "10,000 MNIST test images.")
    evaluate.add_argument("model", help="a network saved with fastgd train --save")
    _data_options(evaluate)

    predict = commands.add_parser(
        "predict", help="classify 28x28 greyscale PNG images",
        description="Print the digit a saved network sees in each image. Images must be 28x28 "
                    "greyscale PNGs with the digit light on a dark background, as in MNIST "
                    "(colour is converted to grey; other sizes are refused).")
    predict.add_argument("model", help="a network saved with fastgd train --save")
    predict.add_argument("images", nargs="+", metavar="IMAGE", help="PNG files")

    from .functions import FUNCTIONS
    valley = commands.add_parser(
        "valley", formatter_class=defaults, help="draw gradient descent rolling down a valley",
        description="Run v -> v - eta * grad C(v) on a built-in function of two variables and "
                    "draw the path on its contour map, beside the cost against the step. "
                    "Functions: " + "; ".join(f"{f.name}: {f.description}"
                                              for f in FUNCTIONS.values()))
    valley.add_argument("--function", choices=sorted(FUNCTIONS), default="bowl")
    valley.add_argument("--eta", type=float, default=None,
                        help="learning rate (default: one that suits the function)")
    valley.add_argument("--steps", type=int, default=50)
    valley.add_argument("--start", type=_point, default=None, help="starting point v1,v2")
    valley.add_argument("--out", default="valley.png", help="the PNG to write")
    return parser


def _point(text):
    try:
        v1, v2 = (float(s) for s in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"a point is two numbers such as 1.5,-0.5; got "
                                         f"{text!r}") from None
    return (v1, v2)


def _load_data(args, **kwargs):
    import fastgd
    return fastgd.load_mnist(args.data, download=not args.no_download, **kwargs)


def train(args):
    import fastgd

    # The network and trainer check their arguments before the data is read.
    net = fastgd.Network(args.sizes, seed=args.seed, dtype=args.dtype, init=args.init)
    trainer = fastgd.Trainer(net, eta=args.eta, mini_batch_size=args.mini_batch_size,
                             epochs=args.epochs, seed=args.seed, reduction=args.reduction,
                             cost=args.cost, verbose=args.verbose, n_threads=args.threads)
    parts = _load_data(args, dtype=args.dtype, validation_size=args.validation_size)
    (train_X, train_y), test = parts[0], parts[-1]
    validation = parts[1] if len(parts) == 3 else None
    if args.train_size is not None:
        if not 1 <= args.train_size <= len(train_X):
            raise ValueError(f"--train-size must be between 1 and {len(train_X)}, got "
                             f"{args.train_size}")
        train_X, train_y = train_X[:args.train_size], train_y[:args.train_size]
    history = trainer.fit(train_X, train_y, test_data=test, validation_data=validation)
    if args.save:
        net.save(args.save)
    if history.test_accuracy:
        print(f"best test accuracy {history.best_test_accuracy:.2%}, final "
              f"{history.test_accuracy[-1]:.2%}, {np.mean(history.seconds):.3f} s per epoch")
    if args.save:
        print(f"saved the network to {args.save}")
    return 130 if history.interrupted else 0


def evaluate(args):
    import fastgd
    net = fastgd.Network.load(args.model)
    _, (test_X, test_y) = _load_data(args, dtype=net.dtype)
    correct = net.evaluate(test_X, test_y)
    print(f"test accuracy {correct} / {len(test_y)} ({correct / len(test_y):.2%})")
    return 0


def predict(args):
    import fastgd
    from ._png import png_size, read_png
    net = fastgd.Network.load(args.model)
    if net.sizes[0] != 784:
        raise ValueError(f"{args.model} takes {net.sizes[0]} inputs, not the 784 pixels of a "
                         f"28x28 image")
    paths, images, failed = [], [], 0
    for path in args.images:
        # Each file on its own: a bad one is reported, and the others are still classified.
        try:
            width, height = png_size(path)
            if (width, height) != (28, 28):
                raise ValueError(f"{path}: the image is {width}x{height}; the network reads "
                                 f"28x28 greyscale images, the digit light on dark as in "
                                 f"MNIST: resize it to 28x28 first")
            image = read_png(path)
        except (ValueError, OSError) as exc:
            print(f"fastgd: error: {exc}", file=sys.stderr)
            failed += 1
            continue
        border = np.concatenate([image[0], image[-1], image[1:-1, 0], image[1:-1, -1]])
        if border.mean() > 127:
            print(f"fastgd: warning: {path}: its border is light; the network reads light "
                  f"digits on a dark background, as in MNIST (invert the image if the digit "
                  f"is dark)", file=sys.stderr)
        paths.append(path)
        images.append(image.reshape(-1) / 255.0)
    if images:
        for path, digit in zip(paths, net.predict(np.array(images))):
            print(f"{path}: {digit}")
    return 2 if failed else 0


def valley(args):
    import warnings

    import fastgd
    from .functions import get
    function = get(args.function)
    eta = args.eta if args.eta is not None else function.eta
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", fastgd.DescentWarning)
        result = fastgd.minimize(function.cost, function.grad, args.start or function.start,
                                 eta=eta, steps=args.steps)
    for warning in caught[:1]:
        print(f"fastgd: warning: {warning.message}", file=sys.stderr)
    fastgd.plot_descent(result, function.cost, args.out, window=function.window,
                        title=f"{function.name}, eta = {eta}")
    x = ", ".join(f"{c:.6g}" for c in result.x)
    print(f"{function.name}: {result.steps} steps of eta = {eta} from {result.path[0].tolist()} "
          f"to ({x}), cost {result.cost:.6g} (minimum {function.cost(np.array(function.minimum)):.6g}"
          f" at {function.minimum}); picture in {args.out}")
    return 0


def main(argv=None):
    args = build_parser().parse_args(argv)
    commands = {"train": train, "evaluate": evaluate, "predict": predict, "valley": valley}
    try:
        return commands[args.command](args)
    except (ValueError, TypeError, OSError, ImportError, FloatingPointError) as exc:
        print(f"fastgd: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("fastgd: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
