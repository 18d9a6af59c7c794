"""A stuck network, told while it trains.

With the quadratic cost an output neuron whose activation sits at 0 (or 1) for every input
learns almost nothing: its gradient carries the factor sigma'(z) = a (1 - a), near 0 there (the
learning slowdown of the book's next chapter). Such a run stays stuck, its digit rarely or never
predicted: [784,100,10] at eta=3.0 ends near 67-88% for most seeds while one seed reaches 96%.

Evaluator hands the monitor the output activations it computes anyway for the validation data
(else the test data) after every epoch; the monitor counts, per output neuron, the inputs on
which it is saturated (within SATURATED of 0 or 1). A neuron saturated the same way on at least
NEARLY_ALL of the inputs for PATIENCE epochs in a row makes the run stuck (at 0, only if its
digit is more than twice the rest's share of the inputs, so that it is at 0 for many inputs of
its own digit too); the monitor says so once, at the epoch that completes the streak. Sets of
fewer than MIN_SAMPLES inputs are not watched. (A healthy run's
output neurons each fire for their digit: measured on the reference run [784,30,10] at eta=3.0,
seeds 0-2, no neuron is ever saturated on 99% of the inputs; a [784,100,10] seed that recovers,
seed 2, has one for an epoch or two, never three in a row.)
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

SATURATED = 1e-3
NEARLY_ALL = 0.99
PATIENCE = 3
# Smaller evaluation sets are not watched: on a handful of inputs, "nearly all" says little.
MIN_SAMPLES = 100
# A digit predicted for fewer than this share of the samples that are that digit is "hardly ever
# predicted".
HARDLY_EVER = 0.1


class SaturationWarning(RuntimeWarning):
    """A network stuck with saturated output neurons (fastgd's diagnosis while training)."""


class SaturationMonitor:
    """Watches the output activations of one evaluation set after each epoch (observe), and
    says once when the network is stuck (a dict for History.diagnosis, or None)."""

    def __init__(self, data_name: str, cost: str, init: str, n_out: int) -> None:
        self.data_name, self.cost, self.init = data_name, cost, init
        # Epochs in a row each output neuron has been saturated low (at 0) and high (at 1).
        self.low_run = np.zeros(n_out, dtype=np.int64)
        self.high_run = np.zeros(n_out, dtype=np.int64)
        self.ones: np.ndarray | None = None
        self.accuracies: list[float] = []
        self.costs: list[float] = []
        self.told = False

    def observe(
        self, epoch: int, out: np.ndarray, labels: np.ndarray, accuracy: float, train_cost: float
    ) -> dict[str, Any] | None:
        """One epoch's outputs (n, n_out) and labels of the set; its diagnosis once stuck."""
        self.accuracies.append(accuracy)
        self.costs.append(train_cost)
        if self.told:
            return None
        n = len(out)
        if n < MIN_SAMPLES:
            return None
        low, high = self._saturated(out)
        # A neuron at 0 for nearly all inputs is stuck only if its own digit is common enough
        # that it must be at 0 for many of that digit's inputs too (a set without the digit
        # leaves a healthy neuron at 0 everywhere).
        share = np.bincount(labels, minlength=out.shape[1])[: out.shape[1]] / n
        low &= share > 2 * (1 - NEARLY_ALL)
        for run, saturated in ((self.low_run, low), (self.high_run, high)):
            run[saturated] += 1
            run[~saturated] = 0
        stuck_low = np.flatnonzero(self.low_run >= PATIENCE)
        stuck_high = np.flatnonzero(self.high_run >= PATIENCE)
        if not (stuck_low.size or stuck_high.size):
            return None
        self.told = True
        n_out = out.shape[1]
        predicted = np.bincount(np.argmax(out, axis=1), minlength=n_out)
        actual = np.bincount(labels, minlength=n_out)
        rare = [
            int(j) for j in range(n_out) if actual[j] and predicted[j] < HARDLY_EVER * actual[j]
        ]
        return {
            "epoch": int(epoch),
            "data": self.data_name,
            "saturated_low": [int(j) for j in stuck_low],
            "saturated_high": [int(j) for j in stuck_high],
            "hardly_ever_predicted": rare,
            "never_predicted": [int(j) for j in range(n_out) if predicted[j] == 0],
            "accuracy": float(accuracy),
            "accuracy_change": float(accuracy - self.accuracies[-PATIENCE]),
            "cost_change": float(train_cost - self.costs[-PATIENCE]),
        }

    def _saturated(self, out: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Which output neurons are within SATURATED of 0 (low) and of 1 (high) on at least
        NEARLY_ALL of the rows of out. Only the columns whose mean allows it are counted: the
        means come from one matrix-vector product (33 us for 10,000 rows, where counting every
        column takes 350 us)."""
        n = len(out)
        if self.ones is None or len(self.ones) != n or self.ones.dtype != out.dtype:
            self.ones = np.ones(n, dtype=out.dtype)
        means = (self.ones @ out) / n
        low = np.zeros(out.shape[1], dtype=bool)
        high = np.zeros(out.shape[1], dtype=bool)
        # Saturated low on NEARLY_ALL of the rows, a column's mean is at most this (the other
        # rows at 1); high, at least the other.
        for saturated, candidates, test in (
            (
                low,
                means <= NEARLY_ALL * SATURATED + (1 - NEARLY_ALL),
                lambda column: column < SATURATED,
            ),
            (high, means >= NEARLY_ALL * (1 - SATURATED), lambda column: column > 1 - SATURATED),
        ):
            for j in np.flatnonzero(candidates):
                saturated[j] = np.count_nonzero(test(out[:, j])) >= NEARLY_ALL * n
        return low, high

    def warn(self, diagnosis: dict[str, Any], stacklevel: int) -> None:
        warnings.warn(
            message(diagnosis, self.cost, self.init), SaturationWarning, stacklevel=stacklevel + 1
        )


def message(d: dict[str, Any], cost: str, init: str) -> str:
    """The warning's text: what is stuck, and the remedies fastgd offers that the run does not
    use yet."""
    parts = []
    if d["saturated_low"]:
        parts.append(f"{_these('output neuron', d['saturated_low'], 'sits', 'sit')} at 0")
    if d["saturated_high"]:
        parts.append(f"{_these('output neuron', d['saturated_high'], 'sits', 'sit')} at 1")
    what = " and ".join(parts)
    epochs = f"epochs {d['epoch'] - PATIENCE + 1}-{d['epoch']}"
    text = (
        f"the network looks stuck: {what} for at least {NEARLY_ALL:.0%} of the "
        f"{d['data']} inputs in each of {epochs}"
    )
    if d["never_predicted"]:
        text += f"; {_these('digit', d['never_predicted'], 'is', 'are')} never predicted"
    elif d["hardly_ever_predicted"]:
        text += (
            f"; {_these('digit', d['hardly_ever_predicted'], 'is', 'are')} hardly ever predicted"
        )
    text += (
        f"; {d['data']} accuracy {d['accuracy']:.2%} ({d['accuracy_change']:+.2%} over "
        f"{PATIENCE - 1} epochs), training cost {d['cost_change']:+.4f}"
    )
    remedies = ["another seed", "a smaller eta"]
    if cost != "cross_entropy":
        remedies.append(
            'the cross-entropy cost (cost="cross_entropy", --cost cross_entropy), '
            "whose gradient does not vanish where the output saturates"
        )
    if init != "scaled":
        remedies.append('scaled initial weights (init="scaled", --init scaled)')
    return (
        f"{text}. A saturated output neuron learns slowly (its gradient carries "
        f"sigma'(z), near 0 there). Remedies: {'; '.join(remedies)}."
    )


def _these(noun: str, items: list[str], singular: str, plural: str) -> str:
    """ "digit 3 is" or "digits 3 and 5 are"."""
    if len(items) == 1:
        return f"{noun} {items[0]} {singular}"
    return f"{noun}s {_list(items)} {plural}"


def _list(items: list[str]) -> str:
    items = [str(i) for i in items]
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]
