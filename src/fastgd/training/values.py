"""The checks and parsers of the settings' values (fastgd.training.settings): each check takes a
value and the setting's name and returns the value as plain Python (int, float, str, bool, list,
dict or None), or raises ValueError/TypeError naming the setting; each parser turns a command
line's text into a value."""

from __future__ import annotations

import numbers
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .._validation import check_bool, check_dtype, check_int, check_positive_real


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


def cost_name(value: Any, name: str) -> str:
    from .. import costs

    return str(costs.get(value, name).name)


def init_name(value: Any, name: str) -> str:
    from .. import initializers

    return str(initializers.get(value).name)


def dtype_name(value: Any, name: str) -> str:
    return check_dtype(value).name


def layer_sizes(value: Any, name: str) -> list[int]:
    if isinstance(value, (str, bytes)) or not hasattr(value, "__iter__"):
        raise TypeError(
            f"{name} must be a list of layer sizes such as [784, 30, 10], got {value!r}"
        )
    sizes = list(value)
    if len(sizes) < 2:
        raise ValueError(f"{name} needs at least two layers (inputs and outputs), got {sizes}")
    return [check_int(s, f"{name}[{i}]", 1) for i, s in enumerate(sizes)]


def activation_names(value: Any, name: str) -> str | list[str]:
    """One hidden activation's name, or a list of one per hidden layer (the network checks
    that the list fits its layers)."""
    from .. import activations

    if isinstance(value, str):
        return activations.hidden_layers(value, 1)[0]
    names = list(value) if hasattr(value, "__iter__") else value
    return activations.hidden_layers(names, len(names) if isinstance(names, list) else 1)


def output_name(value: Any, name: str) -> str:
    from .. import activations

    return one_of(*activations.OUTPUTS)(value, name)


def dropout_value(value: Any, name: str) -> float | list[float]:
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
        return dropout_value(rates[0] if len(rates) == 1 else rates, "the value")
    except (TypeError, ValueError) as error:
        raise argparse.ArgumentTypeError(
            f"takes a rate in [0, 1) such as 0.5, or one per hidden layer such as 0.2,0.5; "
            f"got {text!r}" + (f" ({error})" if "the value" in str(error) else "")
        ) from None


def augment_value(value: Any, name: str) -> dict[str, Any] | None:
    """Distortions of the training images (fastgd.augment.Distortions), as a dict of its fields
    (None: none)."""
    from ..augment import distortions

    found = distortions(value, name)
    return None if found is None else found.as_dict()


def seed_value(value: Any, name: str) -> int | None:
    return None if value is None else check_int(value, name, 0)


def any_path(value: Any, name: str) -> Any:
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


def table_names(module: str, attribute: str) -> tuple[str, ...]:
    import importlib

    return tuple(getattr(importlib.import_module(f"fastgd.{module}"), attribute))


# ---- the table -----------------------------------------------------------------------------------
