"""What the commands share: argparse types, the options of the settings table, loading MNIST."""

import argparse

import numpy as np

from ..training.values import parse_int


def data_options(parser):
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


# An argparse type: an integer of at least minimum (the settings' parser, one for both).
int_at_least = parse_int


def int_between(minimum, maximum):
    """An argparse type: an integer from minimum to maximum."""
    at_least = int_at_least(minimum)

    def parse(text):
        value = at_least(text)
        if value > maximum:
            raise argparse.ArgumentTypeError(f"must be at most {maximum}, got {value}")
        return value

    return parse


# A picture cannot show more steps than this; a million take about 10 s and 24 MB.
MAX_VALLEY_STEPS = 1_000_000


def positive_float(text):
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number, got {text!r}") from None
    if not np.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"must be a finite number greater than 0, got {text}")
    return value


def point(text):
    try:
        v1, v2 = (float(s) for s in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"a point is two numbers such as 1.5,-0.5; got {text!r}"
        ) from None
    return (v1, v2)


def add_settings(parser, grid):
    """An option for each setting of fastgd.training.settings that has a flag, its default the
    book's run; with grid (fastgd sweep), those a sweep varies take one or more values."""
    from ..training import settings as _settings

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


def add_run_options(parser):
    """The options train and sweep share beyond the settings: which MNIST images train."""
    parser.add_argument(
        "--validation-size",
        type=int_at_least(0),
        default=0,
        help="keep the last N training images for validation (the book: 10000; default: 0)",
    )
    parser.add_argument(
        "--train-size",
        type=int_at_least(1),
        default=None,
        help="train on the first N training images only (default: all)",
    )


def load_data(args, **kwargs):
    """MNIST's pixels as stored (uint8): the network reads them as x / 255, the bits of the
    floats, from an eighth of float64's memory."""
    import fastgd

    return fastgd.load_mnist(args.data, download=not args.no_download, dtype="uint8", **kwargs)


def training_data(args):
    """MNIST as train and sweep ask for it: (train, validation or None, test), each an
    (images, labels) pair, the training set cut to --train-size."""
    parts = load_data(args, validation_size=args.validation_size)
    (X, y), test = parts[0], parts[-1]
    validation = parts[1] if len(parts) == 3 else None
    if args.train_size is not None:
        if args.train_size > len(X):
            raise ValueError(f"--train-size must be at most {len(X)}, got {args.train_size}")
        X, y = X[: args.train_size], y[: args.train_size]
    return (X, y), validation, test


def png_name(path):
    return path if path.lower().endswith(".png") else path + ".png"


def needs_matplotlib():
    from ..pictures.plots import _figure_class

    _figure_class()  # an ImportError naming the extra, before any work


def given(args, settings):
    """The values of the command line's options for these settings of fastgd.training.settings."""
    return {s.name: getattr(args, s.name) for s in settings if s.flag}
