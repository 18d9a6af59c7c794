"""Costs: what training minimises, one small object each.

A cost C = 1/n sum_x C_x averages a per-sample cost C_x over the n samples, comparing the output
activations a of the last layer with the desired output y. Training needs two things of it: its
value (reports, History, ``Network.cost``) and its output delta dC_x/dz, the error of the output
layer that backpropagation starts from. Each cost pairs with the output layer whose activation
makes that delta simple (as scikit-learn pairs its losses with their links), named by ``output``::

    quadratic       C_x = 1/2 ||y - a||^2                              sigmoid  (a - y) a (1 - a)
    cross_entropy   C_x = -sum_j [y_j ln a_j + (1 - y_j) ln(1 - a_j)]  sigmoid  a - y
    log_likelihood  C_x = -sum_j y_j ln a_j  (= -ln a_y for a label y)  softmax  a - y

With the quadratic cost a saturated output neuron (a near 0 or 1) learns slowly even when it is
badly wrong: its delta carries sigma'(z) = a (1 - a), near zero. In the cross-entropy's delta
that factor cancels, and the error alone drives learning (the book's chapter 3). The
log-likelihood of a softmax output layer does the same for outputs that are a probability
distribution over the classes (the book's chapter 3 and 6; scikit-learn's MLPClassifier).

Every part of fastgd reads a cost from COSTS by its name: ``Trainer(cost=...)``, the compiled
core (which looks up its kernel of the same name), the NumPy reference, ``Network.cost``,
``History.cost``, the plots' labels and the command line's ``--cost``.

Adding a cost touches this file and one C kernel:

1. csrc/costs.c: the output delta and the value for double and float (one macro body) and a
   row ``{"name", "output activation", delta_d, delta_s, value_d, value_s}`` in its table.
2. Here: a subclass of Cost with that name, a label, ``block_sum`` (sum_x C_x over rows) and
   ``delta`` (the same output delta in NumPy: the reference's), and an entry in COSTS.

The tests then check the new cost as they check these two: its delta against central differences
of its value, and the core against the reference on every path, kernel set and thread count.
"""

from __future__ import annotations

import numpy as np

from ._validation import check_registered

# Rows per block when a cost is summed over a data set: the float64 temporaries stay small.
_BLOCK = 4096


class Cost:
    """A cost: its name, a label for plots and reports, the output activation it pairs with
    (fastgd.activations), its value and its output delta."""

    name: str
    label: str
    output = "sigmoid"

    def value(self, A: np.ndarray, Y: np.ndarray) -> float:
        """C = 1/n sum_x C_x over the n rows of the activations A and targets Y, in float64."""
        if len(A) == 0:
            return float("nan")
        total = 0.0
        for start in range(0, len(A), _BLOCK):
            a = np.asarray(A[start : start + _BLOCK], dtype=np.float64)
            y = np.asarray(Y[start : start + _BLOCK], dtype=np.float64)
            total += self.block_sum(a, y)
        return total / len(A)

    def block_sum(self, a: np.ndarray, y: np.ndarray) -> float:
        """sum_x C_x over the rows of float64 blocks a and y."""
        raise NotImplementedError

    def delta(self, A: np.ndarray, Y: np.ndarray) -> np.ndarray:
        """dC_x/dz at the output for activations A and targets Y (rows of samples)."""
        raise NotImplementedError

    def check_targets(self, Y: np.ndarray, name: str) -> None:
        """Raise ValueError if targets Y cannot be used with this cost."""

    def __repr__(self) -> str:
        return f"<fastgd cost {self.name!r}>"


class QuadraticCost(Cost):
    """C = 1/(2n) sum_x ||y(x) - a(x)||^2: the chapter's cost (mean squared error / 2)."""

    name = "quadratic"
    label = "quadratic cost"

    def block_sum(self, a: np.ndarray, y: np.ndarray) -> float:
        diff = a - y
        return 0.5 * float(np.einsum("ij,ij->", diff, diff))

    def delta(self, A: np.ndarray, Y: np.ndarray) -> np.ndarray:
        return (A - Y) * (A * (1 - A))


class CrossEntropyCost(Cost):
    """C = -1/n sum_x sum_j [y_j ln a_j + (1 - y_j) ln(1 - a_j)]: the book's chapter 3 cost.

    Targets must lie in [0, 1]. An output that rounds to exactly 0 or 1 would make a logarithm
    infinite; as in PyTorch's BCELoss, each logarithm is clamped at -100, so the value stays
    finite (training itself uses only the delta a - y and is not affected).
    """

    name = "cross_entropy"
    label = "cross-entropy cost"
    LOG_FLOOR = -100.0

    def block_sum(self, a: np.ndarray, y: np.ndarray) -> float:
        with np.errstate(divide="ignore"):
            log_a = np.maximum(np.log(a), self.LOG_FLOOR)
            log_not_a = np.maximum(np.log1p(-a), self.LOG_FLOOR)
        return -float(np.sum(y * log_a + (1 - y) * log_not_a))

    def delta(self, A: np.ndarray, Y: np.ndarray) -> np.ndarray:
        return A - Y

    def check_targets(self, Y: np.ndarray, name: str) -> None:
        if Y.size and (Y.min() < 0 or Y.max() > 1):
            raise ValueError(
                f"{name} holds target values outside [0, 1] (from {Y.min()} to "
                f"{Y.max()}); the cross-entropy cost compares probabilities, use "
                f"cost='quadratic' for other targets"
            )


class LogLikelihoodCost(Cost):
    """C = -1/n sum_x sum_j y_j ln a_j, the log-likelihood of the targets under a softmax output
    layer: -ln a_y for one-hot targets of label y (the book's chapter 3; scikit-learn's log-loss).

    Targets are rows of probabilities: in [0, 1], each summing to 1 (the output delta a - y needs
    it). As for the cross-entropy, each logarithm is clamped at -100.
    """

    name = "log_likelihood"
    label = "log-likelihood cost"
    output = "softmax"
    LOG_FLOOR = -100.0

    def block_sum(self, a: np.ndarray, y: np.ndarray) -> float:
        with np.errstate(divide="ignore"):
            log_a = np.maximum(np.log(a), self.LOG_FLOOR)
        return -float(np.sum(np.where(y != 0, y * log_a, 0.0)))

    def delta(self, A: np.ndarray, Y: np.ndarray) -> np.ndarray:
        return A - Y

    def check_targets(self, Y: np.ndarray, name: str) -> None:
        if not Y.size:
            return
        if Y.min() < 0 or Y.max() > 1:
            raise ValueError(
                f"{name} holds target values outside [0, 1] (from {Y.min()} to {Y.max()}); "
                f"the log-likelihood cost compares probability distributions"
            )
        sums = Y.sum(axis=1, dtype=np.float64)
        off = np.flatnonzero(np.abs(sums - 1) > 1e-6 * Y.shape[1])
        if len(off):
            raise ValueError(
                f"{name}[{off[0]}] sums to {sums[off[0]]:g}, not 1; the log-likelihood cost "
                f"takes rows of probabilities (labels, or one-hot rows)"
            )


COSTS = {cost.name: cost for cost in (QuadraticCost(), CrossEntropyCost(), LogLikelihoodCost())}


def get(cost: str | Cost, name: str = "cost") -> Cost:
    """The Cost of COSTS called cost (a Cost of COSTS passes through); ValueError listing the
    names."""
    return check_registered(cost, COSTS, name)
