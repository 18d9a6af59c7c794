"""The fastgd command: train, evaluate and predict on MNIST from a shell.

    fastgd train                      the book's run: sizes 784,30,10; m=10; eta=3.0; 30 epochs
    fastgd evaluate MODEL             test accuracy of a saved network
    fastgd predict MODEL IMAGE...     the digit in each 28x28 greyscale PNG
    fastgd report MODEL --out r.png   one page: curves, confusion, weights, mistakes
    fastgd valley                     gradient descent on a 2-variable bowl, drawn (no data needed)
    fastgd sweep --eta 0.5 3 --seeds 5  many runs on worker processes or a Dask cluster

(`python -m fastgd ...` is the same.) Exit status 0 on success, 2 for a usage error or bad
input, 130 when interrupted; errors go to stderr without a traceback.
"""

import argparse
import os
import sys

import numpy as np


def _data_options(parser):
    parser.add_argument(
        "--data",
        default=None,
        help="directory of the MNIST files (else $FASTGD_DATA, then the cache)",
    )
    parser.add_argument(
        "--no-download",
        action="store_true",
        help="never download MNIST; fail if the files are not found",
    )


def _int_at_least(minimum):
    """An argparse type: an integer of at least minimum (the error names the option)."""

    def parse(text):
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be an integer, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}, got {value}")
        return value

    return parse


def _int_between(minimum, maximum):
    """An argparse type: an integer from minimum to maximum."""
    at_least = _int_at_least(minimum)

    def parse(text):
        value = at_least(text)
        if value > maximum:
            raise argparse.ArgumentTypeError(f"must be at most {maximum}, got {value}")
        return value

    return parse


# A picture cannot show more steps than this; a million take about 10 s and 24 MB.
MAX_VALLEY_STEPS = 1_000_000


def _positive_float(text):
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number, got {text!r}") from None
    if not np.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"must be a finite number greater than 0, got {text}")
    return value


def build_parser():
    from . import __version__

    parser = argparse.ArgumentParser(prog="fastgd", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"fastgd {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    train = commands.add_parser(
        "train",
        help="train on MNIST, one line per epoch",
        description="Train the sigmoid network on MNIST with mini-batch "
        "SGD; the defaults are the book's experiment.",
    )
    _add_settings(train, grid=False)
    _add_run_options(train)
    train.add_argument(
        "--seed",
        type=_int_at_least(0),
        default=None,
        help="seed of the initial weights and the shuffling (default: a new one each run)",
    )
    train.add_argument(
        "--threads",
        type=_int_at_least(1),
        default=None,
        help="threads (default: two or one, whichever measures faster as it trains)",
    )
    train.add_argument(
        "--verbose",
        type=int,
        choices=[0, 1, 2],
        default=1,
        help="0 quiet, 1 a line per epoch, 2 also a progress bar on a terminal (default: 1)",
    )
    train.add_argument(
        "--save", metavar="FILE", default=None, help="save the trained network to FILE (.npz)"
    )
    train.add_argument(
        "--report",
        metavar="FILE",
        default=None,
        help="draw a report of the run to FILE (.png): learning curves, "
        "confusion matrix, first layer's weights, mistakes (needs "
        "matplotlib)",
    )
    _data_options(train)

    report = commands.add_parser(
        "report",
        help="one page on a saved network: what it learned and where it fails",
        description="Draw one page on a saved network or a checkpoint, on the 10,000 MNIST "
        "test images: the confusion matrix, the first layer's weights as images, "
        "the mistakes, and the learning curves when the file is a checkpoint "
        "(which holds the fit's history). Needs matplotlib.",
    )
    report.add_argument("model", help="a network saved with fastgd train --save, or a checkpoint")
    report.add_argument(
        "--out",
        default="report.png",
        help="the PNG to write; .png is added to a name without it (default: report.png)",
    )
    _data_options(report)

    evaluate = commands.add_parser(
        "evaluate",
        help="test accuracy of a saved network",
        description="Print the accuracy of a saved network on the 10,000 MNIST test images.",
    )
    evaluate.add_argument("model", help="a network saved with fastgd train --save")
    _data_options(evaluate)

    predict = commands.add_parser(
        "predict",
        help="classify 28x28 greyscale PNG images",
        description="Print the digit a saved network sees in each image. Images must be 28x28 "
        "greyscale PNGs with the digit light on a dark background, as in MNIST "
        "(colour is converted to grey; other sizes are refused). A file that "
        "cannot be read is reported and the others are classified; the exit "
        "status is then 2.",
    )
    predict.add_argument("model", help="a network saved with fastgd train --save")
    predict.add_argument("images", nargs="+", metavar="IMAGE", help="PNG files")

    sweep = commands.add_parser(
        "sweep",
        help="train many settings and seeds, on worker processes or a Dask cluster",
        description="Train one network for every combination of the values given (each seed "
        "of each setting), one thread per run, on worker processes of this machine "
        "or on a Dask cluster, and print a table over the seeds. With --out, each "
        "finished run is a line of that file, and running the same command again "
        "skips the runs it holds.",
    )
    _add_settings(sweep, grid=True)
    sweep.add_argument(
        "--seeds",
        type=_int_at_least(1),
        default=1,
        help="seeds 0 .. N-1 of every setting (default: 1)",
    )
    _add_run_options(sweep)
    sweep.add_argument(
        "--out",
        metavar="FILE",
        default=None,
        help="results file (JSON lines), appended as runs finish; an existing one is resumed",
    )
    sweep.add_argument(
        "--plot",
        metavar="FILE",
        default=None,
        help="draw test accuracy against epoch per setting to FILE (.png)",
    )
    sweep.add_argument(
        "--workers",
        type=_int_at_least(1),
        default=None,
        help="worker processes on this machine (default: one per CPU)",
    )
    sweep.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        default=None,
        help="run on the Dask cluster of this scheduler, e.g. "
        'tcp://host:8786 (needs pip install "fastgd[dask]")',
    )
    sweep.add_argument(
        "--threads", type=_int_at_least(1), default=1, help="threads of each run (default: 1)"
    )
    sweep.add_argument(
        "--halving",
        type=_int_at_least(2),
        default=None,
        metavar="FACTOR",
        help="successive halving: every run trains a few epochs, the best "
        "1/FACTOR train further, and so on up to --epochs (by validation "
        "accuracy with --validation-size, else test accuracy)",
    )
    sweep.add_argument(
        "--retry-failed",
        action="store_true",
        help="train again the runs that the --out file records as failed (default: skip them "
        "like the finished runs)",
    )
    sweep.add_argument(
        "--verbose",
        type=int,
        choices=[0, 1],
        default=1,
        help="0 only the table, 1 also a line per finished run (default: 1)",
    )
    _data_options(sweep)

    from .functions import FUNCTIONS

    valley = commands.add_parser(
        "valley",
        help="draw gradient descent rolling down a valley",
        description="Run v -> v - eta * grad C(v) on a built-in function of two variables and "
        "draw the path on its contour map, beside the cost against the step. "
        "Functions: " + "; ".join(f"{f.name}: {f.description}" for f in FUNCTIONS.values()),
    )
    valley.add_argument(
        "--function",
        choices=sorted(FUNCTIONS),
        default="bowl",
        help="the function to descend (default: bowl)",
    )
    valley.add_argument(
        "--eta",
        type=_positive_float,
        default=None,
        help="learning rate (default: one that suits the function)",
    )
    valley.add_argument(
        "--steps",
        type=_int_between(1, MAX_VALLEY_STEPS),
        default=50,
        help=f"steps of gradient descent, at most {MAX_VALLEY_STEPS:,} (default: 50)",
    )
    valley.add_argument(
        "--start", type=_point, default=None, help="starting point v1,v2 (default: the function's)"
    )
    valley.add_argument(
        "--out",
        default="valley.png",
        help="the PNG to write; .png is added to a name without it (default: valley.png)",
    )
    return parser


def _point(text):
    try:
        v1, v2 = (float(s) for s in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"a point is two numbers such as 1.5,-0.5; got {text!r}"
        ) from None
    return (v1, v2)


def _add_settings(parser, grid):
    """An option for each setting of fastgd.training.settings that has a flag, its default the
    book's run; with grid (fastgd sweep), those a sweep varies take one or more values."""
    from .training import settings as _settings

    for setting in _settings.SETTINGS:
        if not setting.flag:
            continue
        default = _settings.cli_default(setting)
        several = grid and setting.grid
        shown = ",".join(map(str, default)) if isinstance(default, list) else default
        options = {
            "default": [default] if several else default,
            "help": f"{'one or more: ' if several else ''}{setting.doc} (default: {shown})",
        }
        if setting.default is False and not setting.parse:  # (a switch: on when given)
            parser.add_argument(
                *setting.flag, dest=setting.name, action="store_true", help=setting.doc
            )
            continue
        if setting.choices is not None:
            options["choices"] = list(setting.choices)
        if setting.parse is not None:
            options["type"] = setting.parse
        if setting.metavar is not None:
            options["metavar"] = setting.metavar
        if several:
            options["nargs"] = "+"
        parser.add_argument(*setting.flag, dest=setting.name, **options)


def _add_run_options(parser):
    """The options train and sweep share beyond the settings: which MNIST images train."""
    parser.add_argument(
        "--validation-size",
        type=_int_at_least(0),
        default=0,
        help="keep the last N training images for validation (the book: 10000; default: 0)",
    )
    parser.add_argument(
        "--train-size",
        type=_int_at_least(1),
        default=None,
        help="train on the first N training images only (default: all)",
    )


def _load_data(args, **kwargs):
    """MNIST's pixels as stored (uint8): the network reads them as x / 255, the bits of the
    floats, from an eighth of float64's memory."""
    import fastgd

    return fastgd.load_mnist(args.data, download=not args.no_download, dtype="uint8", **kwargs)


def _training_data(args):
    """MNIST as train and sweep ask for it: (train, validation or None, test), each an
    (images, labels) pair, the training set cut to --train-size."""
    parts = _load_data(args, validation_size=args.validation_size)
    (X, y), test = parts[0], parts[-1]
    validation = parts[1] if len(parts) == 3 else None
    if args.train_size is not None:
        if args.train_size > len(X):
            raise ValueError(f"--train-size must be at most {len(X)}, got {args.train_size}")
        X, y = X[: args.train_size], y[: args.train_size]
    return (X, y), validation, test


def _png_name(path):
    return path if path.lower().endswith(".png") else path + ".png"


def _needs_matplotlib():
    from .pictures.plots import _figure_class

    _figure_class()  # an ImportError naming the extra, before any work


def _given(args, settings):
    """The values of the command line's options for these settings of fastgd.training.settings."""
    return {s.name: getattr(args, s.name) for s in settings if s.flag}


def train(args):
    import fastgd

    from .files.writing import check_destination
    from .training import settings as _settings

    # The network, the trainer and where the result goes are checked before the data is read.
    # (The output layer is the one the cost pairs with: softmax for the log-likelihood.)
    net = fastgd.Network(
        seed=args.seed,
        output=fastgd.costs.get(args.cost).output,
        **_given(args, _settings.NETWORK),
    )
    trainer = fastgd.Trainer(
        net,
        seed=args.seed,
        verbose=args.verbose,
        n_threads=args.threads,
        **_given(args, _settings.TRAINER),
    )
    if args.save is not None:
        check_destination(args.save, "--save")
    if args.report is not None:
        _needs_matplotlib()
        args.report = _png_name(args.report)
        check_destination(args.report, "--report")
    (train_X, train_y), validation, test = _training_data(args)
    history = trainer.fit(train_X, train_y, test_data=test, validation_data=validation)
    if args.save is not None:
        net.save(args.save)
    print(_summary(history, net, test))
    if args.save is not None:
        print(f"saved the network to {args.save}")
    if args.report is not None:
        fastgd.plot_report(net, *test, history=history, path=args.report)
        print(f"report in {args.report}")
    return 130 if history.interrupted else 0


def sweep(args):
    import fastgd

    from .files.writing import check_destination
    from .sweeps.results import check_results_file
    from .sweeps.runners import client_for
    from .training import settings as _settings

    for path, option in ((args.out, "--out"), (args.plot, "--plot")):
        if path is not None:
            check_destination(path, option)
    if args.out is not None:
        check_results_file(args.out)  # (not in use by another sweep, a sweep's: before MNIST)
    if args.workers is not None and args.scheduler is not None:
        raise ValueError(
            "--workers and --scheduler exclude each other: the cluster's workers are its own"
        )
    executor = client_for(args.scheduler) if args.scheduler is not None else None
    train, validation, test = _training_data(args)
    grid = {s.name: getattr(args, s.name) for s in _settings.SETTINGS if s.flag and s.grid}
    grid["seed"] = list(range(args.seeds))
    fixed = {s.name: getattr(args, s.name) for s in _settings.SETTINGS if s.flag and not s.grid}
    try:
        result = fastgd.sweep(
            grid,
            train,
            test_data=test,
            validation_data=validation,
            executor=executor,
            results=args.out,
            workers=args.workers,
            threads=args.threads,
            halving=args.halving,
            retry_failed=args.retry_failed,
            verbose=args.verbose,
            **fixed,
        )
    finally:
        if executor is not None:
            executor.close()
    print(
        result.table("best_validation_accuracy" if validation is not None else "best_test_accuracy")
    )
    if result.failed:
        print(
            f"{len(result.failed)} runs failed; their errors are in the records"
            f"{' of ' + args.out if args.out else ''}"
        )
    if args.plot is not None and result.records:
        result.plot(args.plot)
        print(f"plot in {args.plot}")
    if result.interrupted:
        print(
            "interrupted: the finished runs are kept"
            + (f" in {args.out}; run the same command again to go on" if args.out else ""),
            file=sys.stderr,
        )
        return 130
    return 0


def _summary(history, net, test):
    """The run's last line. After Ctrl-C the network holds the completed mini-batches of the
    interrupted epoch too, so its accuracy is measured afresh: what is saved is what is said.
    With validation data, the test accuracy is the one at the best validation epoch (the test
    set is for the end, as the book keeps it)."""
    accuracy = net.evaluate(*test) / len(test[1])
    if history.interrupted:
        return (
            f"interrupted after {len(history.epoch)} complete epochs: the network as it "
            f"stands has test accuracy {accuracy:.2%}"
        )
    if not history.epoch:
        return f"no epochs trained: the untrained network has test accuracy {accuracy:.2%}"
    seconds = f"{np.mean(history.seconds):.3f} s per epoch"
    if history.validation_accuracy:
        best = int(np.argmax(history.validation_accuracy))
        return (
            f"best validation accuracy {history.validation_accuracy[best]:.2%} in epoch "
            f"{history.epoch[best]} (test accuracy then {history.test_accuracy[best]:.2%}), "
            f"final test accuracy {accuracy:.2%}, {seconds}"
        )
    return f"best test accuracy {history.best_test_accuracy:.2%}, final {accuracy:.2%}, {seconds}"


def report(args):
    import fastgd

    from .files.npz import NpzReader
    from .files.writing import check_destination
    from .training import checkpoint

    _needs_matplotlib()
    out = _png_name(args.out)
    check_destination(out, "--out")
    net = fastgd.Network.load(args.model)
    with NpzReader(args.model) as npz:
        has_history = "trainer_state" in npz.names()
    history = checkpoint.load(args.model).history if has_history else None
    _, (test_X, test_y) = _load_data(args)
    fastgd.plot_report(net, test_X, test_y, history=history, path=out)
    correct = net.evaluate(test_X, test_y)
    print(f"{args.model}: test accuracy {correct / len(test_y):.2%}; report in {out}")
    return 0


def evaluate(args):
    import fastgd

    net = fastgd.Network.load(args.model)
    _, (test_X, test_y) = _load_data(args)
    correct = net.evaluate(test_X, test_y)
    print(f"test accuracy {correct} / {len(test_y)} ({correct / len(test_y):.2%})")
    return 0


def predict(args):
    import fastgd

    from .files.png import png_size, read_png

    net = fastgd.Network.load(args.model)
    if net.sizes[0] != 784:
        raise ValueError(
            f"{args.model} takes {net.sizes[0]} inputs, not the 784 pixels of a 28x28 image"
        )
    paths, images, failed = [], [], 0
    for path in args.images:
        # Each file on its own: a bad one is reported, and the others are still classified.
        try:
            width, height = png_size(path)
            if (width, height) != (28, 28):
                raise ValueError(
                    f"{path}: the image is {width}x{height}; the network reads "
                    f"28x28 greyscale images, the digit light on dark as in "
                    f"MNIST: resize it to 28x28 first"
                )
            image = read_png(path)
        except (ValueError, OSError) as exc:
            print(f"fastgd: error: {exc}", file=sys.stderr)
            failed += 1
            continue
        border = np.concatenate([image[0], image[-1], image[1:-1, 0], image[1:-1, -1]])
        if border.mean() > 127:
            print(
                f"fastgd: warning: {path}: its border is light; the network reads light "
                f"digits on a dark background, as in MNIST (invert the image if the digit "
                f"is dark)",
                file=sys.stderr,
            )
        paths.append(path)
        images.append(image.reshape(-1))
    if images:
        for path, digit in zip(paths, net.predict(np.array(images))):
            print(f"{path}: {digit}")
    return 2 if failed else 0


def valley(args):
    import warnings

    import fastgd

    from .files.writing import check_destination
    from .functions import get

    function = get(args.function)
    out = args.out if args.out.lower().endswith(".png") else args.out + ".png"
    check_destination(out, "--out")
    eta = args.eta if args.eta is not None else function.eta
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", fastgd.DescentWarning)
        result = fastgd.minimize(
            function.cost, function.grad, args.start or function.start, eta=eta, steps=args.steps
        )
    for warning in caught[:1]:
        print(f"fastgd: warning: {warning.message}", file=sys.stderr)
    fastgd.plot_descent(
        result, function.cost, out, window=function.window, title=f"{function.name}, eta = {eta}"
    )
    x = ", ".join(f"{c:.6g}" for c in result.x)
    print(
        f"{function.name}: {result.steps} steps of eta = {eta} from {result.path[0].tolist()} "
        f"to ({x}), cost {result.cost:.6g} "
        f"(minimum {function.cost(np.array(function.minimum)):.6g}"
        f" at {function.minimum}); picture in {out}"
    )
    return 0


def main(argv=None):
    args = build_parser().parse_args(argv)
    commands = {
        "train": train,
        "evaluate": evaluate,
        "predict": predict,
        "valley": valley,
        "sweep": sweep,
        "report": report,
    }
    try:
        return commands[args.command](args)
    except BrokenPipeError:
        # Whoever read the output stopped (fastgd train | head): end quietly, as Unix tools
        # do, with the status of a SIGPIPE; stdout goes nowhere, so that closing it at exit
        # raises nothing more.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 128 + 13
    except (ValueError, TypeError, OSError, ImportError, FloatingPointError, RuntimeError) as exc:
        # (RuntimeError: a results file another sweep holds, a sweep that lost its cluster.)
        print(f"fastgd: error: {exc}", file=sys.stderr)
        return 2
    except MemoryError:
        print(
            "fastgd: error: out of memory: the network or the data is larger than this "
            "machine can hold",
            file=sys.stderr,
        )
        return 2
    except KeyboardInterrupt:
        print("fastgd: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
