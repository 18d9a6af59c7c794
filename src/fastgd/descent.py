"""Gradient descent on any function of many variables, as the chapter builds it.

For a cost C(v) of v = (v_1, ..., v_m), a small move dv changes C by about grad C . dv.
Choosing dv = -eta * grad C makes that change -eta * ||grad C||^2 <= 0: the ball rolls
downhill. Repeating v -> v - eta * grad C(v) is gradient descent (minimize). When C is an
average of per-example costs, estimating grad C from a random mini-batch of examples is
stochastic gradient descent (sgd): many cheap, noisy steps instead of few exact ones.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from ._typing import ArrayLike, Seed

from ._validation import check_int, check_positive_real
from .core import machine


class DescentWarning(UserWarning):
    """A step increased the cost: eta is too large for the approximation dC ~ grad C . dv."""


@dataclass
class DescentResult:
    """Where a descent ended and how it got there.

    x is the final point and cost C(x); path holds every point visited (the start first) and
    costs their costs; steps is the number of steps taken; converged says whether tol was met
    (rather than the step limit); message says why it stopped.
    """

    x: np.ndarray
    cost: float
    path: np.ndarray
    costs: np.ndarray
    steps: int
    converged: bool
    message: str
    gradient_evaluations: int = 0


def finite_difference_gradient(
    C: Callable[[np.ndarray], float], v: ArrayLike, h: float | None = None
) -> np.ndarray:
    """grad C(v) by central differences, (C(v + h e_i) - C(v - h e_i)) / (2h) for each i.

    Slow (2m evaluations of C for m variables) and approximate (error about h^2 times the third
    derivative, plus rounding of order eps / h): meant for checking gradients and for small
    problems. h defaults to eps^(1/3) * max(1, |v_i|), which balances the two errors.
    """
    v = np.asarray(v, dtype=np.float64)
    grad = np.empty_like(v)
    flat, out = v.reshape(-1), grad.reshape(-1)
    for i in range(flat.size):
        step = h if h is not None else np.cbrt(np.finfo(np.float64).eps) * max(1.0, abs(flat[i]))
        old = flat[i]
        flat[i] = old + step
        up = C(v)
        flat[i] = old - step
        down = C(v)
        flat[i] = old
        out[i] = (up - down) / (2 * step)
    return grad


def _check_cost(value: Any, step: int) -> float:
    value = float(value)
    if not np.isfinite(value):
        raise FloatingPointError(
            f"the cost became {value} at step {step}: the descent diverged "
            f"(eta is too large, or C is not defined there)"
        )
    return value


def minimize(
    C: Callable[[np.ndarray], float],
    grad: Callable[[np.ndarray], ArrayLike] | None,
    v0: ArrayLike,
    *,
    eta: float,
    steps: int | None = None,
    tol: float | None = None,
    callback: Callable[[int, np.ndarray, float], object] | None = None,
) -> DescentResult:
    """Gradient descent v -> v - eta * grad C(v) from v0.

    Parameters
    ----------
    C : callable v -> float
        The cost.
    grad : callable v -> array shaped like v, or None
        Its gradient; None uses central finite differences (finite_difference_gradient): 2m
        evaluations of C per step for m variables, so slow, and approximate.
    v0 : array_like
        The starting point (any shape; a scalar is a 1-variable problem).
    eta : float > 0
        The learning rate.
    steps : int or None
        At most this many steps.
    tol : float or None
        Stop once the step's length ||eta * grad C|| or the gradient's norm falls below tol.
    callback : callable (step, v, cost) or None
        Called after every step; returning True stops the descent.

    At least one of steps and tol must be given. A step that increases C triggers a
    DescentWarning (eta too large: the linear approximation broke down); a cost that becomes NaN
    or infinite stops with FloatingPointError naming the step. Returns a DescentResult with the
    whole trajectory.
    """
    eta = check_positive_real(eta, "eta")
    if steps is None and tol is None:
        raise ValueError("give steps, tol or both: without either the descent never stops")
    if steps is not None:
        steps = check_int(steps, "steps", 0)
    if tol is not None:
        tol = check_positive_real(tol, "tol")
    v = np.array(v0, dtype=np.float64)
    if not np.all(np.isfinite(v)):
        raise ValueError(f"v0 must be finite, got {v0!r}")
    if steps is not None:
        # The whole trajectory is kept: (steps + 1) points and costs, checked before the first.
        machine.check_fits(
            (steps + 1) * (v.size + 1) * 8,
            f"the path of {steps} steps of {v.size} variables",
        )
    gradient = grad if grad is not None else (lambda x: finite_difference_gradient(C, x))
    cost = _check_cost(C(v), 0)
    path = _Trajectory(v, cost)
    converged, message, taken, warned, evaluations = False, "reached the step limit", 0, False, 0
    while steps is None or taken < steps:
        g = np.asarray(gradient(v), dtype=np.float64)
        evaluations += 1
        if g.shape != v.shape:
            raise ValueError(f"grad returned shape {g.shape} for a point of shape {v.shape}")
        if not np.all(np.isfinite(g)):
            raise FloatingPointError(f"the gradient became non-finite at step {taken + 1}")
        if tol is not None and np.linalg.norm(g) < tol:
            converged, message = True, f"gradient norm below tol={tol}"
            break
        dv = -eta * g
        v = v + dv
        taken += 1
        new_cost = _check_cost(C(v), taken)
        if new_cost > cost and not warned:
            warnings.warn(
                f"step {taken} increased the cost from {cost:.6g} to {new_cost:.6g}: "
                f"eta={eta} is too large for dC ~ grad C . dv to hold",
                DescentWarning,
                stacklevel=2,
            )
            warned = True
        cost = new_cost
        path.append(v, cost)
        if callback is not None and callback(taken, v, cost):
            message = "stopped by the callback"
            break
        if tol is not None and np.linalg.norm(dv) < tol:
            converged, message = True, f"step length below tol={tol}"
            break
    points, costs = path.arrays()
    return DescentResult(
        v,
        cost,
        points,
        costs,
        taken,
        converged,
        message,
        gradient_evaluations=evaluations,
    )


class _Trajectory:
    """The points and costs of a descent, in arrays that double as they fill: 8 bytes a number
    (a list of arrays took about 14 times that), each doubling checked against the memory
    left first (a descent with tol alone has no length known in advance)."""

    def __init__(self, v: np.ndarray, cost: float) -> None:
        self.points = np.empty((64,) + v.shape)
        self.costs = np.empty(64)
        self.count = 0
        self.append(v, cost)

    def append(self, v: np.ndarray, cost: float) -> None:
        if self.count == len(self.costs):
            grown = 2 * len(self.costs)
            machine.check_fits(
                grown * (self.points[0].size + 1) * 8, f"the path of {self.count} steps, doubled"
            )
            self.points = np.concatenate([self.points, np.empty_like(self.points)])
            self.costs = np.concatenate([self.costs, np.empty_like(self.costs)])
        self.points[self.count] = v
        self.costs[self.count] = cost
        self.count += 1

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        return self.points[: self.count].copy(), self.costs[: self.count].copy()


def sgd(
    example_grad: Callable[[np.ndarray, np.ndarray], ArrayLike],
    v0: ArrayLike,
    n_examples: int,
    *,
    eta: float,
    mini_batch_size: int,
    epochs: int,
    cost: Callable[[np.ndarray], float] | None = None,
    seed: Seed = None,
    reduction: str = "mean",
) -> DescentResult:
    """Stochastic gradient descent on C(v) = (1/n) sum_x C_x(v), the same machinery as fastgd's
    network trainer, for any problem.

    example_grad(v, indices) returns the sum over the examples in indices of grad C_x(v). Each
    epoch shuffles the n examples and, mini-batch by mini-batch, moves v by
    -(eta/m) * (that sum) ("mean") or -eta * (that sum) ("sum"), m the mini-batch's size.
    mini_batch_size=n is full-batch gradient descent, 1 online learning. cost(v), if given, is
    recorded after every epoch. Returns a DescentResult whose path and costs hold the start and
    the end of each epoch, and gradient_evaluations the number of per-example gradients
    computed.
    """
    eta = check_positive_real(eta, "eta")
    n_examples = check_int(n_examples, "n_examples", 1)
    mini_batch_size = check_int(mini_batch_size, "mini_batch_size", 1)
    epochs = check_int(epochs, "epochs", 0)
    if reduction not in ("mean", "sum"):
        raise ValueError(f"reduction must be 'mean' or 'sum', got {reduction!r}")
    rng = np.random.default_rng(seed)
    v = np.array(v0, dtype=np.float64)
    if not np.all(np.isfinite(v)):
        raise ValueError(f"v0 must be finite, got {v0!r}")
    record = (
        (lambda x, step: _check_cost(cost(x), step))
        if cost is not None
        else (lambda x, step: np.nan)
    )
    machine.check_fits(
        (epochs + 1) * (v.size + 1) * 8, f"the path of {epochs} epochs of {v.size} variables"
    )
    path, evaluations = _Trajectory(v, record(v, 0)), 0
    for epoch in range(epochs):
        order = rng.permutation(n_examples)
        for batch_number, start in enumerate(range(0, n_examples, mini_batch_size)):
            batch = order[start : start + mini_batch_size]
            g = np.asarray(example_grad(v, batch), dtype=np.float64)
            evaluations += len(batch)
            if g.shape != v.shape:
                raise ValueError(
                    f"example_grad returned shape {g.shape} for a point of shape {v.shape}"
                )
            if not np.all(np.isfinite(g)):
                raise FloatingPointError(
                    f"the gradient became non-finite in epoch {epoch}, mini-batch {batch_number}"
                )
            v = v - (eta / len(batch) if reduction == "mean" else eta) * g
        path.append(v, record(v, epoch + 1))
    points, costs = path.arrays()
    return DescentResult(
        v,
        float(costs[-1]),
        points,
        costs,
        epochs,
        False,
        f"ran {epochs} epochs",
        gradient_evaluations=evaluations,
    )


class LeastSquares:
    """C(v) = (1/2n) sum_x (a_x . v - b_x)^2: n examples (rows of A, entries of b), a convex
    bowl whose minimum is the least-squares solution. A small problem on which to compare
    full-batch gradient descent, mini-batch SGD and online learning."""

    def __init__(self, A: ArrayLike, b: ArrayLike) -> None:
        self.A = np.asarray(A, dtype=np.float64)
        self.b = np.asarray(b, dtype=np.float64)
        if self.A.ndim != 2 or self.b.shape != (len(self.A),):
            raise ValueError(f"A must be (n, m) and b (n,), got {self.A.shape} and {self.b.shape}")

    @classmethod
    def random(
        cls,
        n: int = 1000,
        m: int = 5,
        noise: float = 0.1,
        seed: Seed = 0,
    ) -> LeastSquares:
        rng = np.random.default_rng(seed)
        A = rng.standard_normal((n, m))
        return cls(A, A @ rng.standard_normal(m) + noise * rng.standard_normal(n))

    @property
    def n_examples(self) -> int:
        return len(self.A)

    def cost(self, v: np.ndarray) -> float:
        r = self.A @ v - self.b
        return float(r @ r / (2 * len(r)))

    def grad(self, v: np.ndarray) -> np.ndarray:
        return self.A.T @ (self.A @ v - self.b) / len(self.b)

    def example_grad(self, v: np.ndarray, indices: np.ndarray) -> np.ndarray:
        """The sum over the examples in indices of grad C_x(v) = (a_x . v - b_x) a_x."""
        A = self.A[indices]
        return A.T @ (A @ v - self.b[indices])

    def solution(self) -> np.ndarray:
        return np.linalg.lstsq(self.A, self.b, rcond=None)[0]
