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

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..core.machine import MAX_THREADS
from .values import (
    activation_names,
    any_path,
    augment_value,
    boolean,
    cost_name,
    dropout_value,
    dtype_name,
    fraction_below_one,
    init_name,
    integer,
    layer_sizes,
    non_negative_real,
    one_of,
    optional,
    output_name,
    parse_dropout,
    parse_int,
    parse_real,
    parse_sizes,
    positive_real,
    seed_value,
    table_names,
)


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


SETTINGS: tuple[Setting, ...] = (
    # The network's.
    Setting(
        "sizes",
        "network",
        REQUIRED,
        layer_sizes,
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
        dtype_name,
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
        init_name,
        "initial weights from N(0, 1) (normal), N(0, 1/n_in) (scaled) or N(0, 2/n_in) with "
        "biases 0 (he, for ReLU)",
        flag=("--init",),
        choices=table_names("initializers", "INITS"),
        grid=True,
    ),
    Setting(
        "activation",
        "network",
        "sigmoid",
        activation_names,
        "the hidden layers' neurons",
        flag=("--activation",),
        choices=table_names("activations", "HIDDEN"),
        grid=True,
    ),
    Setting(
        "output",
        "network",
        "sigmoid",
        output_name,
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
        seed_value,
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
        cost_name,
        "the cost to minimise (log_likelihood: a softmax output layer)",
        flag=("--cost",),
        choices=table_names("costs", "COSTS"),
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
        dropout_value,
        "dropout rate p of the hidden layers (one, or one per hidden layer): in training "
        "each keeps a neuron with probability 1 - p",
        flag=("--dropout",),
        parse=parse_dropout,
        grid=True,
        identity=True,
        before=0.0,
    ),
    Setting(
        "input_dropout",
        "trainer",
        0.0,
        fraction_below_one,
        "dropout rate p of the inputs: in training each sample keeps an input with probability "
        "1 - p",
        flag=("--input-dropout",),
        parse=parse_real(fraction_below_one),
        grid=True,
        identity=True,
        before=0.0,
    ),
    Setting(
        "augment",
        "trainer",
        None,
        augment_value,
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
        any_path,
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
    Setting(
        "on_interrupt",
        "trainer",
        "raise",
        one_of("raise", "stop"),
        "what Ctrl-C does after stopping cleanly: raise KeyboardInterrupt, or return",
        sweep="a sweep stops on Ctrl-C itself (SweepResult.interrupted)",
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
