"""An epoch of a fit, chunk by chunk: each chunk of mini-batches one call into the core (through
Trainer._train_chunk), the thread tuner told how long it took, the weights looked at for
infinities and NaN after it, and a chunk that overflowed replayed one mini-batch at a time to
name the one that did."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any, Protocol

import numpy as np

from ..augment import distortions
from ..core import _core, policy
from . import chunks, values
from .progress import progress_bar
from .state import Diverged, FitState, finite


class Trainer(Protocol):
    """What an epoch reads of the fastgd.Trainer running it (the trainer itself; named here by
    what is used, so that this module and the trainer's need not import each other)."""

    eta: float
    shuffle: bool
    reduction: str
    lmbda: float
    penalty: str
    momentum: float
    nesterov: bool
    dropout: float | Sequence[float]
    input_dropout: float
    augment: Any
    verbose: int
    on_nonfinite: str

    def _train_chunk(
        self, state: FitState, order: np.ndarray, n_threads: int, cost_sum: float = 0.0
    ) -> tuple[int, float]: ...


def undo_overflow(trainer: Trainer, state: FitState) -> None:
    """After Ctrl-C: if the chunk in progress left infinite or NaN parameters (training was
    diverging), put back the parameters from before it, as the check after every chunk
    would have: the network a fit leaves is one that save and load accept."""
    if state.before_chunk is not None and not finite(state.network):
        restore(state, state.before_chunk)


def train_epoch(trainer: Trainer, state: FitState, epoch: int) -> float:
    """One epoch, chunk by chunk; returns its seconds."""
    n, m = len(state.X), state.mini_batch_size
    started = time.perf_counter()
    order = (
        state.rng.permutation(n).astype(np.intp, copy=False)
        if trainer.shuffle
        else np.arange(n, dtype=np.intp)
    )
    hidden = values.dropout_rates(trainer.dropout, state.network.sizes)
    if hidden is not None or trainer.input_dropout:
        state.dropout_key = int(state.rng.integers(2**64, dtype=np.uint64))
    if trainer.augment is not None:
        state.augment_key = int(state.rng.integers(2**64, dtype=np.uint64))
    bar = progress_bar(epoch, (n + m - 1) // m) if trainer.verbose >= 2 else None
    check = trainer.on_nonfinite != "ignore"
    state.epoch_cost = 0.0
    first = 0
    try:
        while first < n:
            # Chunks end on mini-batch boundaries: they train exactly the epoch one call
            # would.
            chunk = state.chunk_samples
            wanted = state.tuner.choose() if state.tuner is not None else state.plan.n_threads
            if state.tuner is not None and state.tuner.is_probe(wanted):
                chunk = min(chunk, chunks.whole_batches(state.tuner.PROBE_SAMPLES, m))
            part = order[first : first + chunk]
            state.before_chunk = snapshot(state) if check else None
            began = time.perf_counter()
            threads, state.epoch_cost = trainer._train_chunk(state, part, wanted, state.epoch_cost)
            seconds = time.perf_counter() - began
            if state.tuner is not None and state.chunks_trained and 2 * len(part) >= chunk:
                # (The fit's first chunk pays for buffers and threads starting, and a short
                # last one weighs each call's start-up too heavily: neither is measured.)
                state.tuner.record(threads, seconds, len(part))
            state.chunks_trained += 1
            state.chunk_samples = chunks.next_chunk(len(part), seconds, m)
            if state.before_chunk is not None and not finite(state.network):
                locate_divergence(
                    trainer, state, state.before_chunk, part, threads, epoch, first // m
                )
            if bar is not None:
                bar.update((len(part) + m - 1) // m)
            first += len(part)
    finally:
        if bar is not None:
            bar.close()
    return time.perf_counter() - started


def snapshot(state: FitState) -> list[np.ndarray]:
    """Copies of what a chunk changes: the parameters, and the velocities."""
    return state.network._parameters() + [v.copy() for v in state.velocities or ()]


def restore(state: FitState, kept: list[np.ndarray]) -> None:
    """Put back what snapshot copied."""
    n = 2 * (len(state.network.sizes) - 1)
    state.network._set_parameters(kept[:n])
    for velocity, value in zip(state.velocities or (), kept[n:]):
        velocity[...] = value


def locate_divergence(
    trainer: Trainer,
    state: FitState,
    before: list[np.ndarray],
    part: np.ndarray,
    n_threads: int,
    epoch: int,
    first_batch: int,
) -> None:
    """A chunk left non-finite weights: replay it from its start one mini-batch at a time,
    stop before the mini-batch that overflows, and report it. (The replay gives the bits of
    the chunk's call: the core is deterministic, and every call of the fit splits the first
    layer at state.input_split.)"""
    net, m = state.network, state.mini_batch_size
    restore(state, before)
    for k, start in enumerate(range(0, len(part), m)):
        kept = snapshot(state)
        trainer._train_chunk(state, part[start : start + m], n_threads)
        if not finite(net):
            restore(state, kept)
            raise Diverged(epoch, first_batch + k, trainer.eta)
    raise AssertionError("a chunk diverged but none of its mini-batches did")


def train_chunk(
    trainer: Trainer, state: FitState, order: np.ndarray, n_threads: int, cost_sum: float
) -> tuple[int, float]:
    """Trainer._train_chunk: the mini-batches of order on n_threads threads (one while another
    fit is training), each image distorted first with augment; returns the count it ran on and
    cost_sum plus the mini-batches' costs, summed over the samples in order."""
    net = state.network
    with policy.shared(n_threads) as threads, net._updating:
        X, ids = state.X, None
        found = distortions(trainer.augment)
        if found is not None or trainer.input_dropout:
            # A buffer of the chunk's rows, which the core trains in order; dropout's masks
            # are drawn for the samples they are. (On the BLAS path the core runs one thread,
            # BLAS the plan's: the distortions take as many.)
            helpers = max(threads, state.plan.blas_threads if state.plan.path == "blas" else 1)
            ids, order = order, np.arange(len(order), dtype=np.intp)
            X = (
                state.X[ids]
                if found is None
                else found.apply(state.X, ids, state.augment_key, helpers)
            )
            if trainer.input_dropout:
                X = drop_inputs(X, ids, state.dropout_key, trainer.input_dropout, net.dtype)
        cost_sum = _core.train_chunk(
            net.weights,
            net.biases,
            X,
            state.Y if ids is None else state.Y[ids],
            order,
            state.mini_batch_size,
            float(trainer.eta),
            trainer.reduction == "mean",
            cost=state.cost.name,
            skip_zero_inputs=state.plan.skip_zero_inputs,
            input_split=state.input_split,
            cost_sum=cost_sum,
            activations=net.layer_activations,
            penalty=trainer.penalty if trainer.lmbda else None,
            penalty_rate=trainer.eta * trainer.lmbda / len(state.X),
            momentum=trainer.momentum,
            nesterov=trainer.nesterov,
            velocities=state.velocities,
            dropout=values.dropout_rates(trainer.dropout, net.sizes),
            dropout_key=state.dropout_key,
            sample_ids=ids,
            sample_weight=(
                state.sample_weight
                if ids is None or state.sample_weight is None
                else state.sample_weight[ids]
            ),
            **state.plan.core_options(threads),
        )
    return threads, cost_sum


def drop_inputs(
    X: np.ndarray, ids: np.ndarray, key: int, rate: float, dtype: np.dtype
) -> np.ndarray:
    """The rows X (of the samples ids) as floats of dtype (uint8 pixels read as x/255, as the
    core reads them), each input kept with probability 1 - rate and scaled by 1/(1 - rate):
    layer 0's masks of csrc/dropout.h."""
    rows = X.astype(dtype) / dtype.type(255) if X.dtype == np.uint8 else X.astype(dtype)
    mask = np.empty_like(rows)
    _core.dropout_mask(key, 0, rate, np.ascontiguousarray(ids, dtype=np.intp), mask)
    rows *= mask
    return rows
