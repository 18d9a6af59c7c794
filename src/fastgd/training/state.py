"""One fit's state: its checked inputs, what it measures with, and what it has done so far."""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from .. import costs
from .._validation import check_inputs, check_sample_weight, check_targets, labels_from
from ..callbacks import Callback, as_callback
from ..core import _core, policy
from ..files.writing import check_destination
from ..history import History
from ..network import Network
from . import chunks
from .evaluation import EvalSet, Evaluator


@dataclass
class FitState:
    """One fit's checked inputs and running state."""

    network: Network  # the network this fit trains, from start to end
    X: np.ndarray  # (n, sizes[0]), C-contiguous, of the network's dtype
    Y: np.ndarray  # (n, sizes[-1]) target rows
    mini_batch_size: int  # at most n
    cost: costs.Cost
    evaluator: Evaluator
    n_test: int | None  # test samples, for the report line
    callbacks: list[Callback]
    plan: policy.Plan
    input_split: int | None  # where the small path splits the first layer, for all calls
    chunk_samples: int  # the next chunk's length, a multiple of mini_batch_size
    tuner: policy.ThreadTuner | None
    chunks_trained: int  # calls into the core so far (the first warms up)
    rng: np.random.Generator  # the shuffling generator
    history: History
    epoch_cost: float = 0.0  # this epoch's mini-batch costs so far, summed over samples
    # Sample weights, one per row of X in its dtype (None: every weight 1), and their sum (the
    # running cost's divisor: len(X) without weights).
    sample_weight: np.ndarray | None = None
    weight_total: float = 0.0
    # With momentum: the velocities of the weights then the biases, zero at the start of a fit
    # (a checkpoint's when it resumes one).
    velocities: list[np.ndarray] | None = None
    # The parameters (and velocities) before the chunk in progress (when non-finite ones are
    # looked for): what the fit goes back to if the chunk overflowed, however it stops.
    before_chunk: list[np.ndarray] | None = None
    told_replaced: bool = False  # warned that a callback replaced trainer.network
    # Dropout's key of this epoch (csrc/dropout.h), drawn from rng after the epoch's shuffle,
    # and the distortions' (csrc/distort.h), drawn after it.
    dropout_key: int = 0
    augment_key: int = 0


class Diverged(Exception):
    def __init__(self, epoch: int, batch: int, eta: float) -> None:
        super().__init__(
            f"training diverged in epoch {epoch}, mini-batch {batch}: its update made "
            f"weights or biases infinite or NaN (eta={eta} is too large); the "
            f"network keeps the weights from before that mini-batch"
        )


def finite(net: Network) -> bool:
    return _core.all_finite(net.weights + net.biases, net.biases[0])


def fit_state(trainer, X, y, test_data, validation_data, callbacks, sample_weight=None):
    """Check and convert every input of trainer.fit, once: the fit's state. (Its warnings
    name fit's caller: this function, Trainer._prepare and fit are the frames between.)"""
    net = trainer.network
    cost = costs.get(trainer.cost)
    X, _ = check_inputs(X, net.sizes[0], net.dtype, name="X", stacklevel=4)
    n = X.shape[0]
    if n == 0:
        raise ValueError("X holds no samples: the training set is empty")
    Y = check_targets(y, n, net.sizes[-1], net.dtype, name="y")
    weights = check_sample_weight(sample_weight, n, net.dtype)
    cost.check_targets(Y, "y")
    train_labels = labels_from(y, n, net.sizes[-1]) if trainer.train_accuracy else None
    eval_sets = []
    for name, data in (("validation", validation_data), ("test", test_data)):
        if data is not None:
            eval_sets.append(_eval_set(net, data, name, cost))
    hooks = [as_callback(callback) for callback in callbacks]
    m = trainer.mini_batch_size
    if m > n:
        warnings.warn(
            f"mini_batch_size={m} is larger than the {n} training samples: each "
            f"epoch is one mini-batch of all {n}",
            stacklevel=4,
        )
        m = n
    if trainer.checkpoint_every is not None:
        # Before any training: a checkpoint that cannot be written would fail epochs later.
        check_destination(trainer.checkpoint_path, "checkpoint_path")
    plan = policy.training_plan(m, trainer.n_threads, net.sizes)
    return FitState(
        network=net,
        X=X,
        Y=Y,
        mini_batch_size=m,
        cost=cost,
        evaluator=Evaluator(
            net,
            cost,
            X,
            Y,
            train_labels,
            eval_sets,
            trainer.n_threads,
            exact_train_cost=trainer.train_cost == "exact",
            penalty=(trainer.penalty, trainer.lmbda),
        ),
        n_test=next((len(s.labels) for s in eval_sets if s.name == "test"), None),
        callbacks=hooks,
        plan=plan,
        input_split=_core.input_split(X, m) if plan.path == "small" else None,
        chunk_samples=chunks.first_chunk(net, m),
        tuner=policy.tuner_for(plan, trainer.n_threads),
        chunks_trained=0,
        rng=np.random.default_rng(trainer.seed),
        history=History(cost=cost.name, train_cost_kind=trainer.train_cost),
        velocities=(
            [np.zeros_like(a) for a in net.weights + net.biases] if trainer.momentum else None
        ),
        sample_weight=weights,
        weight_total=float(n if weights is None else weights.sum(dtype=np.float64)),
    )


def _eval_set(net, data, name, cost):
    """An evaluation pair (X, y) of fit checked: its EvalSet."""
    name = f"{name}_data"
    try:
        X, y = data
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a pair (X, y)") from None
    X, _ = check_inputs(X, net.sizes[0], net.dtype, name=f"{name}[0]", stacklevel=5)
    if X.shape[0] == 0:
        raise ValueError(f"{name} holds no samples")
    labels = labels_from(y, X.shape[0], net.sizes[-1], name=f"{name}[1]")
    targets = check_targets(labels, X.shape[0], net.sizes[-1], net.dtype, name=f"{name}[1]")
    cost.check_targets(targets, f"{name}[1]")
    return EvalSet(name.rsplit("_", 1)[0], X, labels, targets)
