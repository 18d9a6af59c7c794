"""fastgd: the sigmoid network of 'learning with gradient descent', at native speed."""

from typing import Any

from . import activations, callbacks, costs, initializers
from ._config import show_config
from ._validation import InputRangeWarning
from ._version import __version__ as __version__
from .augment import expand_shifts
from .descent import DescentResult, DescentWarning, LeastSquares, minimize, sgd
from .files.idx import load_idx
from .files.mnist import load_book_pickle, load_mnist
from .history import History
from .network import Network
from .pictures.plots import plot_confusion, plot_descent, plot_mistakes, plot_report, plot_weights
from .training.diagnosis import SaturationWarning
from .training.trainer import Trainer

__all__ = [
    "Network",
    "Trainer",
    "History",
    "load_mnist",
    "load_idx",
    "load_book_pickle",
    "expand_shifts",
    "reference",
    "activations",
    "callbacks",
    "costs",
    "initializers",
    "minimize",
    "sgd",
    "DescentResult",
    "DescentWarning",
    "LeastSquares",
    "plot_descent",
    "plot_weights",
    "plot_confusion",
    "plot_mistakes",
    "plot_report",
    "InputRangeWarning",
    "SaturationWarning",
    "sweep",
    "SweepResult",
    "show_config",
    "to_onnx",
]


def __getattr__(name: str) -> Any:
    # fastgd.reference loads on first use: it imports scipy.special, which training never needs.
    if name == "reference":
        from .core import reference

        return reference
    # fastgd.to_onnx: its module imports onnx only when called, but stays out of import fastgd.
    if name == "to_onnx":
        from .files.onnx import to_onnx

        return to_onnx
    # fastgd.sweep loads on first use: it imports concurrent.futures' process pool.
    if name in ("sweep", "SweepResult"):
        from .sweeps import SweepResult, sweep

        return sweep if name == "sweep" else SweepResult
    raise AttributeError(f"module 'fastgd' has no attribute {name!r}")
