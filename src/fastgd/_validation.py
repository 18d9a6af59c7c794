"""Input checks shared by Network and Trainer: clear errors before any work is done."""

from __future__ import annotations

import contextlib
import contextvars
import numbers
import warnings
from typing import Any

import numpy as np


class InputRangeWarning(UserWarning):
    """Float inputs above 1: the network reads pixels as x / 255, values in [0, 1]."""


FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def check_dtype(dtype: Any) -> np.dtype:
    """The network dtype: float32 or float64."""
    try:
        dt = np.dtype(dtype)
    except TypeError as exc:
        raise TypeError(f"dtype must be 'float32' or 'float64', got {dtype!r}") from exc
    if dt not in FLOAT_DTYPES:
        raise TypeError(f"dtype must be 'float32' or 'float64', got {dt.name!r}")
    return dt


def check_int(value: Any, name: str, minimum: int, maximum: int | None = None) -> int:
    """An integer (not a bool) of at least minimum (and at most maximum), as a Python int."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {type(value).__name__} {value!r}")
    number = int(value)
    if number < minimum:
        raise ValueError(f"{name} must be at least {minimum}, got {value}")
    if maximum is not None and number > maximum:
        raise ValueError(f"{name} must be at most {maximum}, got {value}")
    return number


def check_bool(value, name):
    """True or False (NumPy's too), as a Python bool."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {value!r}")
    return bool(value)


def check_registered(value, registry, name):
    """The entry of registry (a dict by name) that value names, or value itself if it is that
    entry; else ValueError listing the names."""
    if isinstance(value, str) and value in registry:
        return registry[value]
    if any(value is entry for entry in registry.values()):
        return value
    raise ValueError(f"{name} must be one of {sorted(registry)}, got {value!r}")


def check_positive_real(value, name):
    """A finite real number greater than zero."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__} {value!r}")
    if not np.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be a finite number greater than 0, got {value}")
    return float(value)


def _as_float_array(X, name, dtype):
    X = np.asarray(X)
    if X.dtype.kind not in "biuf":
        raise TypeError(f"{name} must hold real numbers, got an array of dtype {X.dtype}")
    dtype = np.dtype(dtype)
    if X.dtype.kind == "f" and X.dtype.itemsize > dtype.itemsize:
        # A finite value that float32 cannot hold would become infinite in the cast: say so.
        with np.errstate(invalid="ignore"):
            beyond = np.isfinite(X) & (np.abs(X) > np.finfo(dtype).max)
        if beyond.any():
            where = tuple(int(i) for i in np.unravel_index(np.flatnonzero(beyond)[0], X.shape))
            raise ValueError(
                f"{name} holds {X[where]} at index {where}, beyond the range of "
                f"{dtype.name} (largest {np.finfo(dtype).max:.4g}); scale the data "
                f"or use a float64 network"
            )
    return np.ascontiguousarray(X, dtype=dtype)


def nonfinite_error(X, flat_index, name="X"):
    """The error for a NaN or infinity at X.flat[flat_index] (the first one)."""
    where = np.unravel_index(flat_index, X.shape)
    where = tuple(int(i) for i in where)
    return ValueError(
        f"{name} contains NaN or infinity (first at index {where}, value "
        f"{X[where]}); remove or replace those samples"
    )


def _check_finite(X, name):
    # One reduction is cheap; it overflows to inf only for values near the dtype's maximum, and
    # then the element-wise check below decides.
    with np.errstate(all="ignore"):  # inf - inf in the sum only says "look closer"
        total = np.add.reduce(X, axis=None) if X.size else 0
    if not np.isfinite(total):
        bad = np.flatnonzero(~np.isfinite(X))
        if len(bad):
            raise nonfinite_error(X, bad[0], name)


def check_inputs(
    X: Any,
    n_inputs: int,
    dtype: np.dtype,
    name: str = "X",
    allow_1d: bool = False,
    finite: bool = True,
    stacklevel: int = 2,
) -> tuple[np.ndarray, bool]:
    """X as a C-contiguous (n, n_inputs) array: uint8 as it is (pixels, which the core reads as
    x / 255), anything else as dtype, with finite values unless finite is False (for callers
    whose compiled code checks while it reads). Float inputs above 1 get an InputRangeWarning
    naming the frame stacklevel up from check_inputs' caller (1: the caller itself), as
    warnings.warn counts.

    A 1-D X of length n_inputs is one sample when allow_1d; returns (X2d, was_1d).
    """
    if not isinstance(X, np.ndarray):
        # (A DataFrame, a memoryview, a list: its dtype decides as an array's does, so uint8
        # pixels are pixels however they come.)
        X = np.asarray(X)
    given = X.dtype
    if given == np.uint8:
        X = np.ascontiguousarray(X)
    else:
        X = _as_float_array(X, name, dtype)
    was_1d = X.ndim == 1
    if was_1d and allow_1d:
        X = X.reshape(1, -1)
    if X.ndim != 2:
        hint = f"; for a single sample use {name}.reshape(1, -1)" if X.ndim == 1 else ""
        raise ValueError(
            f"{name} must be a 2-D array of shape (n_samples, {n_inputs}), "
            f"got shape {X.shape}{hint}"
        )
    if X.shape[1] != n_inputs:
        raise ValueError(
            f"{name} has {X.shape[1]} features per sample but the network's input "
            f"layer has {n_inputs} (sizes[0]); shape {X.shape}"
        )
    if X.dtype != np.uint8:
        if finite:
            _check_finite(X, name)
        _warn_above_one(X, name, given, stacklevel)
    return X, was_1d


# False inside inputs_of_any_range(): callers whose users' inputs are any numbers (scikit-learn's
# standardised features) rather than pixels. A context variable: a fit in another thread still
# warns.
_WARN_ABOVE_ONE = contextvars.ContextVar("fastgd_warn_above_one", default=True)


@contextlib.contextmanager
def inputs_of_any_range():
    """No InputRangeWarning inside, in this thread (or asyncio task) only."""
    token = _WARN_ABOVE_ONE.set(False)
    try:
        yield
    finally:
        _WARN_ABOVE_ONE.reset(token)


def _warn_above_one(X, name, given, stacklevel):
    """The warning for inputs above 1; given is the dtype they came in."""
    if not _WARN_ABOVE_ONE.get():
        return
    with np.errstate(invalid="ignore"):
        largest = np.max(X) if X.size else 0
    if largest > 1 and np.isfinite(largest):
        if given.kind in "iu" and largest <= 255 and np.min(X) >= 0:
            # Pixels as integers of another type than uint8.
            fix = (
                f"divide by 255, or pass {name}.astype(np.uint8): fastgd reads uint8 pixels "
                f"as x / 255, and {given} ones as the numbers they are"
            )
        else:
            fix = (
                "divide by 255 (for pixels), or pass pixels as uint8, which fastgd reads as x / 255"
            )
        warnings.warn(
            f"{name} holds values up to {largest:g}, and the network reads inputs in "
            f"[0, 1] (pixels as x / 255): {fix}",
            InputRangeWarning,
            stacklevel=stacklevel + 2,
        )  # (this function and check_inputs)


def check_sample_weight(
    sample_weight: Any, n_samples: int, dtype: np.dtype, name: str = "sample_weight"
) -> np.ndarray | None:
    """The sample weights as a C-contiguous array (n_samples,) of dtype, or None when there are
    none or every one is 1 (then training is, bit for bit, unweighted). Each weight a finite
    number of at least 0, and not all 0: else a ValueError naming the first bad one."""
    if sample_weight is None:
        return None
    weights = np.asarray(sample_weight)
    if weights.ndim == 0:
        raise ValueError(f"{name} must hold one weight per sample, got the scalar {weights}")
    if weights.ndim != 1 or len(weights) != n_samples:
        raise ValueError(
            f"{name} must hold one weight per sample: shape ({n_samples},), got {weights.shape}"
        )
    if weights.dtype.kind not in "biuf":
        raise TypeError(f"{name} must hold numbers, got dtype {weights.dtype}")
    weights = weights.astype(np.float64)
    bad = np.flatnonzero(~np.isfinite(weights) | (weights < 0))
    if len(bad):
        raise ValueError(
            f"{name}[{bad[0]}] is {weights[bad[0]]}: weights are finite numbers of at least 0"
        )
    if n_samples and not weights.any():
        raise ValueError(f"{name} is 0 for every sample: there is nothing to learn from")
    if (weights == 1).all():
        return None
    return np.ascontiguousarray(weights, dtype=dtype)


def check_labels(y: Any, n_samples: int, n_outputs: int, name: str = "y") -> np.ndarray:
    """Integer class labels (n_samples,) in [0, n_outputs), as an intp array."""
    y = np.asarray(y)
    if y.ndim != 1:
        raise ValueError(f"{name} as labels must be 1-D, got shape {y.shape}")
    if y.dtype.kind not in "iu":
        raise TypeError(
            f"{name} is 1-D, so it is read as class labels, which must be integers; "
            f"got dtype {y.dtype}. Use {name}.astype(int), or pass target vectors of "
            f"shape (n_samples, {n_outputs})"
        )
    if len(y) != n_samples:
        raise ValueError(f"{name} has {len(y)} labels but X has {n_samples} samples")
    if len(y) and (y.min() < 0 or y.max() >= n_outputs):
        bad = y[(y < 0) | (y >= n_outputs)][0]
        raise ValueError(
            f"{name} holds label {bad}, outside [0, {n_outputs}): the network has "
            f"{n_outputs} output units (sizes[-1])"
        )
    return y.astype(np.intp, copy=False)


def check_targets(
    y: Any, n_samples: int, n_outputs: int, dtype: np.dtype, name: str = "y"
) -> np.ndarray:
    """Target rows (n_samples, n_outputs) of dtype, from labels (one-hot encoded) or vectors."""
    y_arr = np.asarray(y)
    if y_arr.ndim == 1:
        labels = check_labels(y_arr, n_samples, n_outputs, name)
        Y = np.zeros((n_samples, n_outputs), dtype=dtype)
        Y[np.arange(n_samples), labels] = 1
        return Y
    if y_arr.ndim != 2 or y_arr.shape[1] != n_outputs:
        raise ValueError(
            f"{name} must be labels of shape (n_samples,) or target vectors of "
            f"shape (n_samples, {n_outputs}), got shape {y_arr.shape}"
        )
    if len(y_arr) != n_samples:
        raise ValueError(f"{name} has {len(y_arr)} rows but X has {n_samples} samples")
    Y = _as_float_array(y_arr, name, dtype)
    _check_finite(Y, name)
    return Y


def labels_from(y: Any, n_samples: int, n_outputs: int, name: str = "y") -> np.ndarray:
    """Class labels from labels (n,) or from target vectors (n, n_outputs) via argmax."""
    y_arr = np.asarray(y)
    if y_arr.ndim == 2:
        if y_arr.shape != (n_samples, n_outputs):
            raise ValueError(
                f"{name} as target vectors must have shape ({n_samples}, "
                f"{n_outputs}), got {y_arr.shape}"
            )
        return np.argmax(y_arr, axis=1)
    return check_labels(y_arr, n_samples, n_outputs, name)
