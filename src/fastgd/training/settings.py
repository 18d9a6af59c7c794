"""The settings of a run, each written once: what it is, its default, its check, its doc, its
command-line flag, whether a sweep may vary it, and the value that files of older versions imply.

Every reader iterates this table: Trainer checks its settings with it and writes the ones that
identify a run into its checkpoints; checkpoints fill in what older files leave out; a sweep
takes its parameters, their checks and their canonical values from it; the command line builds
its options from it; NetworkClassifier documents and checks the settings it shares. Adding a
setting is one entry here, a keyword of Network or Trainer (a test holds their signatures to
this table) and its use in the core.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._validation import check_bool, check_dtype, check_int, check_positive_real
from ..core.machine import MAX_THREADS


class _Required:
    def __repr__(self) -> str:
        return "REQUIRED"


REQUIRED: Any = _Required()  # a setting without a default
NEW: Any = object()  # no file of an older version can hold a run that set it


@dataclass(frozen=True)
class Setting:
    """One setting of a run.

    name      the keyword of Network (of == "network") or Trainer (of == "trainer")
    default   its default (REQUIRED: none)
    check     check(value, name) -> the value as plain Python (int, float, str, bool, list or
              None), or ValueError/TypeError naming it
    doc       one line, for --help and the docs
    flag      the command line's option strings (() : not on the command line), with
              cli_default when the command line's default differs (the book's run)
    parse     turns the option's text into the value (None: str), choices its valid values
    grid      whether `fastgd sweep` takes several values of it (a sweep's grid may vary any
              setting with sweep True)
    sweep     "" when a sweep's runs may set it, else why not
    identity  whether a checkpoint's run must share it to be continued
    before    what a checkpoint of an older version that does not name it held (NEW: such
              files never set it: its default)
    """

    name: str
    of: str
    default: Any
    check: Callable[[Any, str], Any]
    doc: str
    flag: tuple[str, ...] = ()
    cli_default: Any = None
    parse: Callable[[str], Any] | None = None
    choices: tuple[Any, ...] | None = None
    grid: bool = False
    sweep: str = ""
    identity: bool = False
    before: Any = NEW
    metavar: str | None = None

    @property
    def required(self) -> bool:
        return self.default is REQUIRED


# ---- checks ------------------------------------------------------------------------------------


def positive_real(value: Any, name: str) -> float:
    return check_positive_real(value, name)


def non_negative_real(value: Any, name: str) -> float:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__} {value!r}")
    number = float(value)
    if not np.isfinite(number) or number < 0:
        raise ValueError(f"{name} must be a finite number of at least 0, got {value}")
    return number


def fraction_below_one(value: Any, name: str) -> float:
    number = non_negative_real(value, name)
    if number >= 1:
        raise ValueError(f"{name} must be at least 0 and below 1, got {value}")
    return number


def integer(minimum: int, maximum: int | None = None) -> Callable[[Any, str], int]:
    def check(value: Any, name: str) -> int:
        return check_int(value, name, minimum, maximum)

    return check


def optional(check: Callable[[Any, str], Any]) -> Callable[[Any, str], Any]:
    def check_or_none(value: Any, name: str) -> Any:
        return None if value is None else check(value, name)

    return check_or_none


def boolean(value: Any, name: str) -> bool:
    return check_bool(value, name)


def one_of(*options: str) -> Callable[[Any, str], str]:
    def check(value: Any, name: str) -> str:
        if value not in options:
            raise ValueError(f"{name} must be one of {options}, got {value!r}")
        return str(value)

    return check


def _cost(value: Any, name: str) -> str:
    from .. import costs

    return str(costs.get(value, name).name)


def _init(value: Any, name: str) -> str:
    from .. import initializers

    return str(initializers.get(value).name)


def _dtype(value: Any, name: str) -> str:
    return check_dtype(value).name


def _sizes(value: Any, name: str) -> list[int]:
    if isinstance(value, (str, bytes)) or not hasattr(value, "__iter__"):
        raise TypeError(
            f"{name} must be a list of layer sizes such as [784, 30, 10], got {value!r}"
        )
    sizes = list(value)
    if len(sizes) < 2:
        raise ValueError(f"{name} needs at least two layers (inputs and outputs), got {sizes}")
    return [check_int(s, f"{name}[{i}]", 1) for i, s in enumerate(sizes)]


def _activation(value: Any, name: str) -> str | list[str]:
    """One hidden activation's name, or a list of one per hidden layer (the network checks
    that the list fits its layers)."""
    from .. import activations

    if isinstance(value, str):
        return activations.hidden_layers(value, 1)[0]
    names = list(value) if hasattr(value, "__iter__") else value
    return activations.hidden_layers(names, len(names) if isinstance(names, list) else 1)


def _output(value: Any, name: str) -> str:
    from .. import activations

    return one_of(*activations.OUTPUTS)(value, name)


def _dropout(value: Any, name: str) -> float | list[float]:
    """One rate for every hidden layer, or a list of one per hidden layer (the trainer checks
    that the list fits the network)."""
    if isinstance(value, (str, bytes)) or not hasattr(value, "__iter__"):
        return fraction_below_one(value, name)
    rates = [fraction_below_one(rate, f"{name}[{i}]") for i, rate in enumerate(value)]
    if not rates:
        raise ValueError(f"{name} must be a rate or a list of one per hidden layer, got []")
    return rates


def dropout_rates(value: float | Sequence[float], sizes: list[int]) -> tuple[float, ...] | None:
    """The checked dropout setting as one rate per hidden layer of a network of those sizes,
    or None when it drops nothing."""
    n_hidden = len(sizes) - 2
    rates = [value] * max(n_hidden, 1) if isinstance(value, float) else list(value)
    if len(rates) != n_hidden and any(rates):
        raise ValueError(
            f"dropout names {len(rates)} rates, and the network {list(sizes)} has {n_hidden} "
            f"hidden layers: give one rate, or one per hidden layer"
            + ("" if n_hidden else " (dropout acts on hidden layers; this network has none)")
        )
    return tuple(rates) if any(rates) else None


def parse_dropout(text: str) -> float | list[float]:
    """--dropout 0.5, or 0.2,0.5 (one per hidden layer)."""
    import argparse

    try:
        rates = [float(part) for part in text.split(",")]
        return _dropout(rates[0] if len(rates) == 1 else rates, "the value")
    except (TypeError, ValueError) as error:
        raise argparse.ArgumentTypeError(
            f"takes a rate in [0, 1) such as 0.5, or one per hidden layer such as 0.2,0.5; "
            f"got {text!r}" + (f" ({error})" if "the value" in str(error) else "")
        ) from None


def _augment(value: Any, name: str) -> dict[str, Any] | None:
    """Distortions of the training images (fastgd.augment.Distortions), as a dict of its fields
    (None: none)."""
    from ..augment import distortions

    found = distortions(value, name)
    return None if found is None else found.as_dict()


def _seed(value: Any, name: str) -> int | None:
    return None if value is None else check_int(value, name, 0)


def _path(value: Any, name: str) -> Any:
    return value


# ---- parsers of the command line ---------------------------------------------------------------


def parse_sizes(text: str) -> list[int]:
    import argparse

    try:
        return [int(s) for s in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"sizes must be integers separated by commas, such as 784,30,10; got {text!r}"
        ) from None


def parse_int(minimum: int) -> Callable[[str], int]:
    import argparse

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be an integer, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}, got {value}")
        return value

    return parse


def parse_real(check: Callable[[Any, str], float]) -> Callable[[str], float]:
    import argparse

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be a number, got {text!r}") from None
        try:
            return check(value, "the value")
        except ValueError as error:
            raise argparse.ArgumentTypeError(str(error).replace("the value ", "")) from None

    return parse


def _names(module: str, attribute: str) -> tuple[str, ...]:
    import importlib

    return tuple(getattr(importlib.import_module(f"fastgd.{module}"), attribute))


# ---- the table -----------------------------------------------------------------------------------

SETTINGS: tuple[Setting, ...] = (
    # The network's.
    Setting(
        "sizes",
        "network",
        REQUIRED,
        _sizes,
        "neurons per layer, inputs first",
        flag=("--sizes",),
        cli_default=[784, 30, 10],
        parse=parse_sizes,
        grid=True,
        identity=True,
        metavar="N,N,...",
    ),
    Setting(
        "dtype",
        "network",
        "float64",
        _dtype,
        "floating-point type of the network",
        flag=("--dtype",),
        choices=("float64", "float32"),
        grid=True,
        identity=True,
    ),
    Setting(
        "init",
        "network",
        "normal",
        _init,
        "initial weights from N(0, 1) (normal) or N(0, 1/n_in) (scaled)",
        flag=("--init",),
        choices=_names("initializers", "INITS"),
        grid=True,
    ),
    Setting(
        "activation",
        "network",
        "sigmoid",
        _activation,
        "the hidden layers' neurons",
        flag=("--activation",),
        choices=_names("activations", "HIDDEN"),
        grid=True,
    ),
    Setting(
        "output",
        "network",
        "sigmoid",
        _output,
        "the output layer's neurons (the one the cost pairs with)",
        sweep="a run's output layer is the one its cost pairs with",
    ),
    # The trainer's.
    Setting(
        "eta",
        "trainer",
        REQUIRED,
        positive_real,
        "learning rate",
        flag=("--eta",),
        cli_default=3.0,
        parse=parse_real(positive_real),
        grid=True,
        identity=True,
    ),
    Setting(
        "mini_batch_size",
        "trainer",
        REQUIRED,
        integer(1),
        "samples per mini-batch; 1 is online learning",
        flag=("--mini-batch-size", "-m"),
        cli_default=10,
        parse=parse_int(1),
        grid=True,
        identity=True,
    ),
    Setting(
        "epochs",
        "trainer",
        REQUIRED,
        integer(0),
        "passes over the training data",
        flag=("--epochs",),
        cli_default=30,
        parse=parse_int(0),
    ),
    Setting(
        "seed",
        "trainer",
        None,
        _seed,
        "seed of the initial weights and the shuffling",
        identity=True,
    ),
    Setting("shuffle", "trainer", True, boolean, "reshuffle every epoch", identity=True),
    Setting(
        "reduction",
        "trainer",
        "mean",
        one_of("mean", "sum"),
        "update by eta/m or eta times the sum of the mini-batch's gradients",
        flag=("--reduction",),
        choices=("mean", "sum"),
        grid=True,
        identity=True,
    ),
    Setting(
        "cost",
        "trainer",
        "quadratic",
        _cost,
        "the cost to minimise (log_likelihood: a softmax output layer)",
        flag=("--cost",),
        choices=_names("costs", "COSTS"),
        grid=True,
        identity=True,
        before="quadratic",
    ),
    Setting(
        "lmbda",
        "trainer",
        0.0,
        non_negative_real,
        "regularisation parameter lambda: each step adds the penalty's -eta lambda/n share",
        flag=("--lmbda",),
        parse=parse_real(non_negative_real),
        grid=True,
        identity=True,
        before=0.0,
    ),
    Setting(
        "penalty",
        "trainer",
        "l2",
        one_of("l2", "l1"),
        "the penalty lmbda weighs: l2, (lambda/2n) sum w^2, or l1, (lambda/n) sum |w|",
        flag=("--penalty",),
        choices=("l2", "l1"),
        grid=True,
        identity=True,
        before="l2",
    ),
    Setting(
        "momentum",
        "trainer",
        0.0,
        fraction_below_one,
        "momentum mu in [0, 1): v <- mu v - eta grad, w <- w + v",
        flag=("--momentum",),
        parse=parse_real(fraction_below_one),
        grid=True,
        identity=True,
        before=0.0,
    ),
    Setting(
        "nesterov",
        "trainer",
        False,
        boolean,
        "Nesterov's momentum: w <- w + mu v - eta grad",
        flag=("--nesterov",),
        identity=True,
        before=False,
    ),
    Setting(
        "dropout",
        "trainer",
        0.0,
        _dropout,
        "dropout rate p of the hidden layers (one, or one per hidden layer): in training "
        "each keeps a neuron with probability 1 - p",
        flag=("--dropout",),
        parse=parse_dropout,
        grid=True,
        identity=True,
        before=0.0,
    ),
    Setting(
        "augment",
        "trainer",
        None,
        _augment,
        "distort the training images afresh every epoch: affine, elastic, or "
        "rotation=10,scale=0.1,shear=0.1,shift=2,elastic=0,sigma=4",
        flag=("--augment",),
        grid=True,
        identity=True,
        before=None,
    ),
    Setting(
        "verbose",
        "trainer",
        1,
        integer(0),
        "0 quiet, 1 a line per epoch, 2 also a progress bar",
        sweep="a sweep reports each run itself (sweep(verbose=...))",
    ),
    Setting(
        "n_threads",
        "trainer",
        None,
        optional(integer(1, MAX_THREADS)),
        "threads (None: two or one, whichever measures faster as it trains)",
    ),
    Setting(
        "train_cost",
        "trainer",
        "running",
        one_of("running", "exact"),
        "the training cost reported: the epoch's running mean, or exact after it",
    ),
    Setting(
        "train_accuracy",
        "trainer",
        False,
        boolean,
        "also measure the accuracy on the training data every epoch",
    ),
    Setting(
        "checkpoint_every",
        "trainer",
        None,
        optional(integer(1)),
        "save a checkpoint every so many epochs",
        sweep="runs of a sweep do not checkpoint; the results file resumes",
    ),
    Setting(
        "checkpoint_path",
        "trainer",
        None,
        _path,
        "where checkpoints go",
        sweep="runs of a sweep do not checkpoint; the results file resumes",
    ),
    Setting(
        "on_nonfinite",
        "trainer",
        "raise",
        one_of("raise", "warn", "ignore"),
        "what an update that overflows does: raise, warn and stop, or train on",
    ),
)

BY_NAME = {s.name: s for s in SETTINGS}
NETWORK = tuple(s for s in SETTINGS if s.of == "network")
TRAINER = tuple(s for s in SETTINGS if s.of == "trainer")


def check(name: str, value: Any) -> Any:
    """value as the plain value of setting name (ValueError or TypeError naming it)."""
    return BY_NAME[name].check(value, name)


def defaults_before() -> dict[str, Any]:
    """The settings that checkpoints of older versions do not name, with what they held."""
    return {s.name: s.before for s in SETTINGS if s.identity and s.before is not NEW}


def cli_default(setting: Setting) -> Any:
    return setting.cli_default if setting.cli_default is not None else setting.default
