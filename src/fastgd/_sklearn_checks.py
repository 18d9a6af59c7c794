"""NetworkClassifier's checks of its parameters and inputs (fastgd.sklearn), apart from the
estimator: the hidden layers, the settings it maps to fastgd's, the inputs' range, the sample
weights."""

from __future__ import annotations

import numbers
import warnings
from typing import Any

import numpy as np
from sklearn.utils.validation import _check_sample_weight

from . import costs, initializers
from ._validation import InputRangeWarning
from .training import settings

# How far outside [0, 1] inputs may be before input_range="unit" warns: rounding, not scale.
RANGE_SLACK = 1e-6


def hidden_sizes(estimator: Any) -> list[int]:
    """The hidden layer sizes as a list; ValueError naming a bad parameter. (Trainer and
    Network check the rest, naming the same parameters.)"""
    sizes: Any = estimator.hidden_layer_sizes
    if isinstance(sizes, numbers.Integral) and not isinstance(sizes, bool):
        sizes = (sizes,)
    try:
        hidden = [int(s) for s in sizes]
        valid = all(
            isinstance(s, numbers.Integral) and not isinstance(s, bool) and int(s) >= 1
            for s in sizes
        )
    except (TypeError, ValueError):
        valid = False
    if not valid:
        raise ValueError(
            f"hidden_layer_sizes must be a tuple of positive ints such as "
            f"(30,), got {estimator.hidden_layer_sizes!r}"
        )
    costs.get(estimator.cost)  # ValueErrors listing the valid names
    initializers.get(estimator.init)
    activation_name(estimator)
    # (The checks of the fastgd settings they map to, under their own names.)
    for name, setting in (
        ("mini_batch_size", "mini_batch_size"),
        ("alpha", "lmbda"),
        ("momentum", "momentum"),
        ("nesterovs_momentum", "nesterov"),
    ):
        try:
            settings.BY_NAME[setting].check(getattr(estimator, name), name)
        except TypeError as error:
            raise ValueError(str(error)) from None
    if estimator.input_range not in ("unit", "any"):
        raise ValueError(f'input_range must be "unit" or "any", got {estimator.input_range!r}')
    if estimator.early_stopping:
        fraction = estimator.validation_fraction
        if not (isinstance(fraction, numbers.Real) and 0 < float(fraction) < 1):
            raise ValueError(
                f"validation_fraction must be between 0 and 1 (exclusive), got {fraction!r}"
            )
        patience = estimator.n_iter_no_change
        if not (isinstance(patience, numbers.Integral) and int(patience) >= 1):
            raise ValueError(f"n_iter_no_change must be a positive int, got {patience!r}")
    return hidden


def activation_name(estimator: Any) -> str:
    """The hidden activation's fastgd name ("logistic", scikit-learn's, is "sigmoid")."""
    name = "sigmoid" if estimator.activation == "logistic" else estimator.activation
    return str(settings.check("activation", name))


def warn_out_of_range(estimator: Any, X: np.ndarray, stacklevel: int) -> None:
    """The InputRangeWarning of inputs outside [0, 1], unless input_range="any", naming the
    frame stacklevel up, as warnings.warn counts (1: this function)."""
    if estimator.input_range != "unit" or not X.size:
        return
    low, high = float(np.min(X)), float(np.max(X))
    # (Within rounding of [0, 1]: a MinMaxScaler's output reaches 1 + 2e-16.)
    if low >= -RANGE_SLACK and high <= 1 + RANGE_SLACK:
        return
    warnings.warn(
        f"X holds values in [{low:g}, {high:g}], and {type(estimator).__name__} reads inputs "
        f"in [0, 1] (input_range='unit'): scale them (X / 255 for pixels, or "
        f"MinMaxScaler(clip=True) in a Pipeline), or set input_range='any' when their scale "
        f"is intended",
        InputRangeWarning,
        stacklevel=stacklevel,
    )


def sample_weights(sample_weight: Any, X: np.ndarray) -> np.ndarray | None:
    """scikit-learn's check of sample_weight (None stays None); fastgd.Trainer checks the
    values (finite, at least 0, not all 0)."""
    if sample_weight is None:
        return None
    return np.asarray(_check_sample_weight(sample_weight, X, dtype=np.float64))
