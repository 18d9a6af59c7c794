"""Built-in functions to roll a ball down: a bowl, an elongated valley, Rosenbrock's banana."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Function:
    """A cost of two variables with its gradient, a known minimum, a starting point and a
    window to draw it in."""

    name: str
    description: str
    cost: Callable[[np.ndarray], float]
    grad: Callable[[np.ndarray], np.ndarray]
    minimum: tuple
    start: tuple
    window: tuple  # (xmin, xmax, ymin, ymax)
    eta: float  # a learning rate that shows the descent well


def _bowl(v: np.ndarray) -> float:
    return float(v[0] ** 2 + v[1] ** 2)


def _bowl_grad(v: np.ndarray) -> np.ndarray:
    return np.array([2 * v[0], 2 * v[1]])


def _valley(v: np.ndarray) -> float:
    return float(0.5 * v[0] ** 2 + 10 * v[1] ** 2)


def _valley_grad(v: np.ndarray) -> np.ndarray:
    return np.array([v[0], 20 * v[1]])


def _rosenbrock(v: np.ndarray) -> float:
    return float((1 - v[0]) ** 2 + 100 * (v[1] - v[0] ** 2) ** 2)


def _rosenbrock_grad(v: np.ndarray) -> np.ndarray:
    return np.array([-2 * (1 - v[0]) - 400 * v[0] * (v[1] - v[0] ** 2), 200 * (v[1] - v[0] ** 2)])


FUNCTIONS = {
    f.name: f
    for f in (
        Function(
            "bowl",
            "C(v) = v1^2 + v2^2, the chapter's valley",
            _bowl,
            _bowl_grad,
            (0.0, 0.0),
            (1.6, 1.2),
            (-2.0, 2.0, -2.0, 2.0),
            0.1,
        ),
        Function(
            "valley",
            "C(v) = v1^2 / 2 + 10 v2^2, long and narrow: zig-zags for large eta",
            _valley,
            _valley_grad,
            (0.0, 0.0),
            (1.8, 0.6),
            (-2.0, 2.0, -1.0, 1.0),
            0.09,
        ),
        Function(
            "rosenbrock",
            "C(v) = (1 - v1)^2 + 100 (v2 - v1^2)^2, a curved banana valley",
            _rosenbrock,
            _rosenbrock_grad,
            (1.0, 1.0),
            (-1.2, 1.0),
            (-2.0, 2.0, -1.0, 3.0),
            0.0015,
        ),
    )
}


def get(name: str) -> Function:
    """The built-in function of that name ("bowl", "valley" or "rosenbrock")."""
    try:
        return FUNCTIONS[name]
    except KeyError:
        raise ValueError(f"no built-in function {name!r}; there are {sorted(FUNCTIONS)}") from None
