"""One fit's state: its checked inputs, what it measures with, and what it has done so far."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import costs
from ..callbacks import Callback
from ..core import _core, policy
from ..history import History
from ..network import Network
from .evaluation import Evaluator


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
