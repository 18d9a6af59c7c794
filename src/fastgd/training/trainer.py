"""Stochastic gradient descent on a Network.

Each epoch shuffles the order of the training samples, splits it into mini-batches of
mini_batch_size (the last may be shorter) and moves every weight and bias by
-(eta/m) * sum_j grad C_{X_j} ("mean", the default) or -eta * sum_j grad C_{X_j} ("sum") for the m
samples X_j of each mini-batch, C being the chosen cost (fastgd.costs). A penalty (lmbda) adds
its share to the weights' step, -(eta lmbda/n) w for L2 (the book's weight decay) or
-(eta lmbda/n) sgn(w) for L1, n the number of training samples; momentum mu sends each step
through a velocity, v -> mu v + step, w -> w + v (fastgd.reference spells every rule out).

A fit, top to bottom: Trainer.fit checks the settings and every input once and gathers them in a
FitState; each epoch draws a permutation of the indices and hands it to the compiled core a
chunk of mini-batches at a time, on the path and threads of fastgd.core.policy (between chunks
only the progress bar moves and Ctrl-C is looked for); then the epoch is measured (evaluation),
reported (progress), shown to the callbacks (fastgd.callbacks) and, every so many epochs,
checkpointed (checkpoint).
"""

from __future__ import annotations

import sys
import threading
import warnings
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from .. import costs
from ..augment import Distortions, distortions
from ..callbacks import Callback
from ..core import policy
from ..history import History
from . import checkpoint, epochs, settings, values
from .progress import epoch_line
from .state import Diverged, FitState, finite, fit_state

if TYPE_CHECKING:
    from .._typing import ArrayLike, DataPair, PathLike
    from ..network import Network

    CallbackLike = Callback | Callable[[int, dict[str, Any], Any], object]
from ..network import Network, check_pairing


class Trainer:
    """Train a Network with mini-batch stochastic gradient descent.

    Parameters
    ----------
    network : Network
        Trained in place.
    eta : float > 0
        The learning rate.
    mini_batch_size : int >= 1
        Samples per mini-batch; 1 is online learning. Larger than the data set, it is clipped to
        the number of samples (one update per epoch), with a warning.
    epochs : int >= 0
        Passes over the training data (in all: a resumed fit runs the epochs still to do).
    seed : int or None
        Seed of the shuffling; each fit starts a fresh numpy.random.Generator from it, so the
        same seed gives the same run, bit for bit.
    shuffle : bool
        Reshuffle the samples every epoch (default); False keeps the data order.
    reduction : "mean" or "sum"
        Scale each update by eta/m (mean of the mini-batch's gradients) or by eta (their sum).
    cost : "quadratic", "cross_entropy" or "log_likelihood"
        The cost to minimise (fastgd.costs): the chapter's quadratic cost (default), or the
        cross-entropy cost, whose output delta a - y keeps saturated output neurons learning
        (targets in [0, 1]); both for a network of sigmoid outputs. "log_likelihood" is the
        cost of a softmax output layer (Network(sizes, output="softmax")), -ln a_y.
        History and the report give the figures of this cost.
    lmbda : float >= 0
        The regularisation parameter lambda of the book's chapter 3 (0, the default: none). The
        cost minimised becomes ``C + (lambda/2n) sum_w w^2`` (L2) or
        ``C + (lambda/n) sum_w |w|`` (L1), n the number of training samples, biases not
        included: each step moves every weight by -(eta lambda/n) w (L2:
        w -> (1 - eta lambda/n) w, weight decay) or -(eta lambda/n) sgn(w) (L1, sgn(0) = 0)
        besides its gradient's step. History's costs include the penalty, each data set's with
        its own n, as the book's total_cost does.
    penalty : "l2" or "l1"
        Which penalty lmbda weighs.
    momentum : float in [0, 1)
        Momentum mu (0, the default: none): each step goes through a velocity, v -> mu v + step,
        w -> w + v, biases too. Velocities start at zero each fit and are kept in checkpoints,
        so that a resumed run is, bit for bit, the uninterrupted one.
    nesterov : bool
        Nesterov's momentum: w -> w + mu v + step, with v already updated (scikit-learn's form).
    dropout : float in [0, 1), or one per hidden layer
        Dropout (Hinton et al. 2012; 0, the default: none): in training, every sample keeps each
        neuron of a hidden layer with probability 1 - p and drops the others for that step
        (their outputs 0). Inverted dropout: the kept outputs are scaled by 1/(1 - p) while
        training, so the network is used whole and unscaled by predict, evaluation, a saved
        file and every export. The masks are a function of the seed's generator, the epoch,
        the sample's row and the neuron (csrc/dropout.h): the same bits on any thread count,
        however an epoch is cut into calls, and after a resume.
    input_dropout : float in [0, 1)
        Dropout of the inputs (0, the default: none; Hinton et al. drop 0.2 of the pixels and
        0.5 of the hidden neurons): each training sample keeps each input with probability
        1 - p, scaled by 1/(1 - p), as the hidden layers'. The chunk's inputs are then made as
        floats (uint8 pixels read as x/255) with their masks applied, before the core trains
        them.
    augment : fastgd.augment.Distortions, its name or None
        Distort each training image afresh every epoch (affine moves, and elastic fields with
        elastic > 0): "affine" is Distortions(), "elastic" Simard et al.'s. The distorted images
        are made chunk by chunk on the core's threads and not kept; each is a function of the
        seed's generator, the epoch and the sample's row. Stored as the dict of its fields.
    verbose : int
        0 prints nothing; 1 (default) one line per epoch, as the book does; 2 also a progress bar
        over the mini-batches of each epoch on a terminal or in a Jupyter notebook (tqdm, its
        notebook widget through tqdm.auto, if installed).
    n_threads : int or None
        Threads for training: the compiled core's own on its small-kernel path (mini-batches of
        up to 32 rows, and up to 300 or 1000 on networks whose first layer holds most of the
        weights: fastgd.core.policy; at most two threads there, as the first layer's inputs come in
        two blocks), BLAS's otherwise. None (default): on the small-kernel path, whichever of
        two threads and one trains faster, measured on the chunks of mini-batches as training
        goes (two threads in lockstep lose to one when the machine's other core is busy); on
        BLAS's, two, or one on a single-CPU machine (OpenBLAS's results change with its thread
        count, so timing it would make runs differ). A chunk that starts while another fit is
        training runs on one thread. The result does not depend on it on the small-kernel path,
        bit for bit; on BLAS's, within BLAS's rounding.
    train_cost : "running" or "exact"
        The training cost reported after each epoch: "running" (default), the mean over the
        epoch of each mini-batch's cost as it trained, before its update (Keras's figure; free:
        the forward pass of the update gives it), or "exact", the cost of the network after the
        epoch over all the training data (one more pass over it each epoch). History says which
        (train_cost_kind).
    train_accuracy : bool
        Also measure the accuracy on the training data after each epoch (a pass over it).
    checkpoint_every, checkpoint_path :
        Save a checkpoint (network, shuffling state, history) to checkpoint_path every
        checkpoint_every epochs; fit(..., resume=checkpoint_path) continues from it.
    on_nonfinite : "raise", "warn" or "ignore"
        When an update makes a weight or bias infinite or NaN (eta far too large), fit stops
        with the network as it was before that mini-batch, and raises FloatingPointError naming
        the epoch and mini-batch ("raise", the default) or warns and returns ("warn",
        history.diverged). The check runs after every chunk of mini-batches, a pass over the
        weights. "ignore" trains on regardless.
    on_interrupt : "raise" or "stop"
        What Ctrl-C (KeyboardInterrupt) during fit does. Either way training stops after the
        current chunk of mini-batches, the network keeps every completed update, and the
        history every completed epoch with history.interrupted True. "raise" (the default, as
        Keras and a plain Python loop do) then lets the KeyboardInterrupt through, so that one
        Ctrl-C stops a script that fits in a loop; the history is trainer.history. "stop"
        returns the history instead (fastgd's command line, sweeps and NetworkClassifier, as
        scikit-learn's MLPClassifier does).
    """

    def __init__(
        self,
        network: Network,
        *,
        eta: float,
        mini_batch_size: int,
        epochs: int,
        seed: int | None = None,
        shuffle: bool = True,
        reduction: str = "mean",
        cost: str = "quadratic",
        lmbda: float = 0.0,
        penalty: str = "l2",
        momentum: float = 0.0,
        nesterov: bool = False,
        dropout: float | Sequence[float] = 0.0,
        input_dropout: float = 0.0,
        augment: Distortions | dict[str, Any] | str | None = None,
        verbose: int = 1,
        n_threads: int | None = None,
        train_cost: str = "running",
        train_accuracy: bool = False,
        checkpoint_every: int | None = None,
        checkpoint_path: PathLike | None = None,
        on_nonfinite: str = "raise",
        on_interrupt: str = "raise",
    ) -> None:
        self.network = network
        self.eta = eta
        self.mini_batch_size = mini_batch_size
        self.epochs = epochs
        self.seed = seed
        self.shuffle = shuffle
        self.reduction = reduction
        self.cost = cost
        self.lmbda = lmbda
        self.penalty = penalty
        self.momentum = momentum
        self.nesterov = nesterov
        self.dropout = dropout
        self.input_dropout = input_dropout
        self.augment = augment
        self.verbose = verbose
        self.n_threads = n_threads
        self.train_cost = train_cost
        self.train_accuracy = train_accuracy
        self.checkpoint_every = checkpoint_every
        self.checkpoint_path = checkpoint_path
        self.on_nonfinite = on_nonfinite
        self.on_interrupt = on_interrupt
        self.stop_training = False
        # The History of the last fit, kept as it grows: after a Ctrl-C that fit raised
        # KeyboardInterrupt (on_interrupt="raise"), what it measured is here.
        self.history: History | None = None
        self._check_params()

    def _check_params(self) -> None:
        """Check every setting (fastgd.training.settings) and store it as a plain Python value
        (a NumPy scalar becomes an int, float or bool here, once, so that checkpoints and
        reports can use it)."""
        if not isinstance(self.network, Network):
            raise TypeError(f"network must be a fastgd.Network, got {type(self.network).__name__}")
        self.network.check_parameters()
        for setting in settings.TRAINER:
            setattr(self, setting.name, setting.check(getattr(self, setting.name), setting.name))
        check_pairing(costs.get(self.cost), self.network.output, "cost")
        values.dropout_rates(self.dropout, self.network.sizes)
        found = distortions(self.augment)
        if found is not None:
            found.image_shape(self.network.sizes[0])
        if self.checkpoint_every is not None and self.checkpoint_path is None:
            raise ValueError("checkpoint_every needs a checkpoint_path to write to")

    def fit(
        self,
        X: ArrayLike,
        y: ArrayLike,
        test_data: DataPair | None = None,
        *,
        validation_data: DataPair | None = None,
        callbacks: Sequence[CallbackLike] = (),
        resume: PathLike | None = None,
        sample_weight: ArrayLike | None = None,
    ) -> History:
        """Train the network on samples X (n, sizes[0]) with labels or targets y.

        X (and the evaluation data's) may be uint8, pixels as stored, which the core reads as
        x / 255: the result is, bit for bit, that of X.astype(dtype) / 255, with an eighth or a
        quarter of the memory. Float inputs above 1 get a fastgd.InputRangeWarning.

        y holds integer labels (n,) in [0, sizes[-1]), one-hot encoded for the cost, or target
        vectors (n, sizes[-1]). validation_data and test_data are optional (X, y) pairs evaluated
        after every epoch. callbacks are fastgd.callbacks.Callback objects, or functions
        callback(epoch, logs, trainer) called after every epoch with its figures; one may set
        trainer.stop_training. resume names a checkpoint of an earlier fit of this trainer's
        settings to continue from. Every input is checked before the network is touched.

        sample_weight (n,) weighs each sample's gradient, as scikit-learn 1.7's MLP does: each
        update is -eta times the weighted mean of the mini-batch's gradients, sum_j w_j g_j /
        sum_j w_j (reduction="sum": eta times sum_j w_j g_j), and a mini-batch whose weights
        sum to 0 makes no data step (its penalty and momentum still apply). The running training
        cost reported is the weighted mean likewise (train_cost="exact" and the evaluations are
        unweighted); the penalty is the unweighted one. Weights are finite and at least 0, not
        all 0; weights all 1 train, bit for bit, as none. A resumed fit needs the same weights.

        Ctrl-C stops training after the current chunk of mini-batches: the network keeps every
        completed update, the history every completed epoch, and history.interrupted is True;
        then KeyboardInterrupt goes on (on_interrupt="raise", trainer.history holds the
        History) or fit returns (on_interrupt="stop"). Returns the History.
        """
        self._check_params()
        state = self._prepare(X, y, test_data, validation_data, callbacks, sample_weight)
        net = state.network
        if not net._training.acquire(blocking=False):
            raise RuntimeError(
                "this network is being trained by another fit (in another "
                "thread); train a copy, or wait for that fit to return"
            )
        net._training_owner = threading.get_ident()
        try:
            return self._run(state, resume)
        finally:
            net._training_owner = None
            net._training.release()

    # ---- checking the inputs ------------------------------------------------------------------

    def _prepare(
        self,
        X: ArrayLike,
        y: ArrayLike,
        test_data: DataPair | None,
        validation_data: DataPair | None,
        callbacks: Sequence[CallbackLike],
        sample_weight: ArrayLike | None = None,
    ) -> FitState:
        """Check and convert every input of fit, once; the fit's state."""
        return fit_state(self, X, y, test_data, validation_data, callbacks, sample_weight)

    # ---- the epochs ---------------------------------------------------------------------------

    def _run(self, state: FitState, resume: PathLike | None) -> History:
        net = state.network
        first_epoch = 0
        if resume is not None:
            first_epoch = self._resume(resume, state)
        self.stop_training = False
        for callback in state.callbacks:
            callback.on_train_begin(self)
        history = self.history = state.history
        with policy.blas_threads(state.plan.blas_threads):
            for epoch in range(first_epoch, self.epochs):
                try:
                    for callback in state.callbacks:
                        callback.on_epoch_begin(epoch, self)
                    self._check_changed_settings()
                    seconds = epochs.train_epoch(self, state, epoch)
                    logs = state.evaluator.after_epoch(
                        epoch, seconds, state.epoch_cost / state.weight_total
                    )
                    history.record(logs)
                    if state.evaluator.diagnosis is not None:
                        history.diagnosis = state.evaluator.diagnosis
                        state.evaluator.monitor.warn(history.diagnosis, stacklevel=3)
                    if self.verbose:
                        print(epoch_line(logs, state.n_test), flush=True)
                    for callback in state.callbacks:
                        callback.on_epoch_end(epoch, logs, self)
                    self._check_network_kept(state)
                    self._check_changed_settings()
                    if (
                        self.checkpoint_every
                        and self.checkpoint_path is not None
                        and (epoch + 1) % self.checkpoint_every == 0
                    ):
                        checkpoint.save(
                            self.checkpoint_path,
                            net,
                            self._identity(net),
                            state.rng,
                            epoch + 1,
                            history,
                            state.velocities,
                        )
                except Diverged as diverged:
                    history.drop_incomplete()
                    if self.on_nonfinite == "raise":
                        raise FloatingPointError(str(diverged)) from None
                    warnings.warn(str(diverged), RuntimeWarning, stacklevel=3)
                    history.diverged = True
                    break
                except KeyboardInterrupt:
                    # Between two chunks of the core: the weights hold every completed update,
                    # unless the last chunk overflowed and Ctrl-C came before the check.
                    history.interrupted = True
                    history.drop_incomplete()
                    epochs.undo_overflow(self, state)
                    if self.verbose:
                        print(
                            f"Interrupted in epoch {epoch}: the network keeps the mini-batches "
                            f"trained so far",
                            file=sys.stderr,
                            flush=True,
                        )
                    break
                if self.stop_training:
                    history.stopped_early = True
                    break
        for callback in state.callbacks:
            callback.on_train_end(self, history)
        if self.on_nonfinite == "ignore" and not finite(net):
            warnings.warn(
                "the network's weights or biases are infinite or NaN after this fit "
                "(on_nonfinite='ignore' trained on as they overflowed): it cannot be saved; "
                "train again with a smaller eta",
                RuntimeWarning,
                stacklevel=3,
            )
        if history.interrupted and self.on_interrupt == "raise":
            raise KeyboardInterrupt
        return history

    def _check_changed_settings(self) -> None:
        """After the callbacks: a setting they changed (a schedule sets eta) is checked as the
        constructor checks it, before the next epoch trains with it."""
        for setting in settings.TRAINER:
            value = getattr(self, setting.name)
            try:
                setattr(self, setting.name, setting.check(value, setting.name))
            except (TypeError, ValueError) as error:
                raise type(error)(f"a callback set trainer.{setting.name}: {error}") from None
        values.dropout_rates(self.dropout, self.network.sizes)

    def _check_network_kept(self, state: FitState) -> None:
        """A callback that sets trainer.network: the fit goes on with the network it started
        with (its data was checked and converted for it), and says so once."""
        if self.network is not state.network and not state.told_replaced:
            state.told_replaced = True
            warnings.warn(
                "trainer.network was replaced during fit (by a callback); this fit goes on "
                "training the network it started with, and the new one is trained by the "
                "next fit",
                RuntimeWarning,
                stacklevel=4,
            )

    def _train_chunk(
        self, state: FitState, order: np.ndarray, n_threads: int, cost_sum: float = 0.0
    ) -> tuple[int, float]:
        """Train the mini-batches of order on n_threads threads (one while another fit is
        training); returns the count it ran on and cost_sum plus the mini-batches' costs,
        summed over the samples in order."""
        return epochs.train_chunk(self, state, order, n_threads, cost_sum)

    # ---- checkpoints --------------------------------------------------------------------------

    def _identity(self, network: Network | None = None) -> dict[str, Any]:
        """What a checkpoint's run must share with this trainer's (of network, by default
        trainer.network) to be continued by it: the settings of fastgd.training.settings that
        say so."""
        network = self.network if network is None else network
        values = {"sizes": network.sizes, "dtype": network.dtype.name}
        return {
            s.name: values[s.name] if s.of == "network" else getattr(self, s.name)
            for s in settings.SETTINGS
            if s.identity
        }

    def save_checkpoint(
        self, path: PathLike, rng: np.random.Generator, epochs_done: int, history: History
    ) -> None:
        """Write the network, the shuffling generator's state and the history to path (.npz,
        no pickle, atomically); see fastgd.training.checkpoint."""
        checkpoint.save(path, self.network, self._identity(), rng, epochs_done, history)

    def _resume(self, path: PathLike, state: FitState) -> int:
        """Load the checkpoint at path into the network and the fit's state; returns the epochs
        it holds."""
        net = state.network
        saved = checkpoint.load(path)
        checkpoint.check_continues(saved, net, self._identity(net), self.epochs, path)
        if saved.history.train_cost_kind != self.train_cost:
            raise ValueError(
                f"{path} holds a history of the {saved.history.train_cost_kind} "
                f"training cost; resume with Trainer(train_cost="
                f"{saved.history.train_cost_kind!r}) so that its figures go on "
                f"meaning the same"
            )
        net._set_parameters(saved.network.weights + saved.network.biases)
        if state.velocities is not None:
            for velocity, kept in zip(state.velocities, saved.velocities or ()):
                velocity[...] = kept
        state.rng.bit_generator.state = saved.rng_state
        state.history = saved.history
        if saved.history.diagnosis is not None and state.evaluator.monitor is not None:
            state.evaluator.monitor.told = True  # the run was warned before its checkpoint
        return saved.epochs_done
