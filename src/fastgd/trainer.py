"""Stochastic gradient descent on a Network.

Each epoch shuffles the order of the training samples, splits it into mini-batches of
mini_batch_size (the last may be shorter) and moves every weight and bias by
-(eta/m) * sum_j grad C_{X_j} ("mean", the default) or -eta * sum_j grad C_{X_j} ("sum") for the m
samples X_j of each mini-batch. The compiled core trains a chunk of mini-batches per call; between
chunks the trainer only advances the progress bar and looks for Ctrl-C.
"""
import json
import sys
import time
import warnings
from dataclasses import dataclass, field, fields

import numpy as np
from threadpoolctl import threadpool_limits

from . import _core
from ._io import atomic_write, read_npz
from ._validation import (check_inputs, check_int, check_positive_real, check_targets,
                          default_threads, labels_from)
from .network import Network, quadratic_cost

REDUCTIONS = ("mean", "sum")
# Samples per call into the core: small enough that the progress bar moves and Ctrl-C is
# answered within a fraction of a second, large enough that the calls cost well under 1%.
CHUNK_SAMPLES = 15000


class _ThreadTuner:
    """The thread count of Trainer(n_threads=None) on the small-kernel path, chosen by measuring
    the chunks themselves: each candidate once, then the fastest, with every PROBE_EVERY-th
    chunk given to another candidate, as the load of a shared machine changes (two threads in
    lockstep slow down several-fold when a core is taken by other work). The small-kernel path
    gives the same bits for every thread count, so the choice changes only the speed."""

    PROBE_EVERY = 8

    def __init__(self, candidates):
        self.candidates = list(candidates)
        self.seconds_per_sample = {}   # the latest chunk's, per thread count
        self.chunks = 0

    def choose(self):
        for n in self.candidates:
            if n not in self.seconds_per_sample:
                return n
        best = min(self.candidates, key=self.seconds_per_sample.__getitem__)
        others = [n for n in self.candidates if n != best]
        if others and self.chunks % self.PROBE_EVERY == self.PROBE_EVERY - 1:
            return others[(self.chunks // self.PROBE_EVERY) % len(others)]
        return best

    def record(self, n_threads, seconds, samples):
        self.seconds_per_sample[n_threads] = seconds / max(samples, 1)
        self.chunks += 1


@dataclass
class History:
    """What fit measured, one entry per epoch in each list that applies.

    train_cost is the quadratic cost on the training data after the epoch; train_accuracy its
    fraction classified correctly (only with Trainer(train_accuracy=True): it costs a pass);
    validation_* and test_* the same on the validation and test data given to fit; test_correct
    the number of test samples classified correctly; seconds the time of the epoch's training
    (shuffling and the core, not the evaluations). interrupted is True when Ctrl-C stopped fit;
    stopped_early when a callback did; diverged when the weights overflowed (with
    on_nonfinite="warn").
    """
    epoch: list = field(default_factory=list)
    train_cost: list = field(default_factory=list)
    train_accuracy: list = field(default_factory=list)
    validation_cost: list = field(default_factory=list)
    validation_accuracy: list = field(default_factory=list)
    test_cost: list = field(default_factory=list)
    test_accuracy: list = field(default_factory=list)
    test_correct: list = field(default_factory=list)
    seconds: list = field(default_factory=list)
    interrupted: bool = False
    stopped_early: bool = False
    diverged: bool = False

    def record(self, logs):
        """Append one epoch's figures; epoch goes last, so drop_incomplete can undo a partial
        record."""
        for key, value in logs.items():
            if key != "epoch":
                getattr(self, key).append(value)
        self.epoch.append(logs["epoch"])

    def drop_incomplete(self):
        """Cut every per-epoch list back to the epochs recorded in full."""
        for f in fields(self):
            values = getattr(self, f.name)
            if isinstance(values, list) and f.name != "epoch":
                del values[len(self.epoch):]

    @property
    def best_test_accuracy(self):
        """The highest test accuracy of any epoch (None without test data)."""
        return max(self.test_accuracy) if self.test_accuracy else None

    def to_dict(self):
        """The history as a dict of plain lists and flags (JSON-ready)."""
        return {f.name: (list(v) if isinstance(v := getattr(self, f.name), list) else v)
                for f in fields(self)}

    @classmethod
    def from_dict(cls, data):
        return cls(**{f.name: data[f.name] for f in fields(cls) if f.name in data})

    def plot(self, path):
        """Write a PNG of the learning curves (cost and accuracy against the epoch) to path.

        Needs matplotlib: pip install "fastgd[plot]".
        """
        from ._plot import plot_history
        plot_history(self, path)


class Trainer:
    """Train a Network with mini-batch stochastic gradient descent on the quadratic cost.

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
    verbose : int
        0 prints nothing; 1 (default) one line per epoch, as the book does; 2 also a progress bar
        over the mini-batches of each epoch when stderr is a terminal (tqdm if installed).
    n_threads : int or None
        Threads for training: the compiled core's own for mini-batches of up to 32 rows (at
        most two there: the first layer's inputs come in two blocks), BLAS's for larger ones.
        None (default): for mini-batches of up to 32 rows, whichever of two threads and one
        trains faster, measured on the chunks of mini-batches as training goes (two threads in
        lockstep lose to one when the machine's other core is busy); for larger ones two, or
        one on a single-CPU machine. An epoch that starts while another fit is
        training runs on one thread. The result does not depend on it (bit for bit for
        mini-batches of up to 32 rows; within BLAS's rounding for larger ones).
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
    """

    def __init__(self, network, *, eta, mini_batch_size, epochs, seed=None, shuffle=True,
                 reduction="mean", verbose=1, n_threads=None, train_accuracy=False,
                 checkpoint_every=None, checkpoint_path=None, on_nonfinite="raise"):
        self.network = network
        self.eta = eta
        self.mini_batch_size = mini_batch_size
        self.epochs = epochs
        self.seed = seed
        self.shuffle = shuffle
        self.reduction = reduction
        self.verbose = verbose
        self.n_threads = n_threads
        self.train_accuracy = train_accuracy
        self.checkpoint_every = checkpoint_every
        self.checkpoint_path = checkpoint_path
        self.on_nonfinite = on_nonfinite
        self.stop_training = False
        self._check_params()

    def _check_params(self):
        if not isinstance(self.network, Network):
            raise TypeError(f"network must be a fastgd.Network, got {type(self.network).__name__}")
        self.network.check_parameters()
        check_positive_real(self.eta, "eta")
        check_int(self.mini_batch_size, "mini_batch_size", 1)
        check_int(self.epochs, "epochs", 0)
        if self.reduction not in REDUCTIONS:
            raise ValueError(f"reduction must be one of {REDUCTIONS}, got {self.reduction!r}")
        if self.on_nonfinite not in ("raise", "warn", "ignore"):
            raise ValueError(f"on_nonfinite must be 'raise', 'warn' or 'ignore', got "
                             f"{self.on_nonfinite!r}")
        for name in ("shuffle", "train_accuracy"):
            if not isinstance(getattr(self, name), (bool, np.bool_)):
                raise TypeError(f"{name} must be True or False, got {getattr(self, name)!r}")
        check_int(self.verbose, "verbose", 0)
        if self.n_threads is not None:
            check_int(self.n_threads, "n_threads", 1)
        if self.seed is not None:
            check_int(self.seed, "seed", 0)
        if self.checkpoint_every is not None:
            check_int(self.checkpoint_every, "checkpoint_every", 1)
            if self.checkpoint_path is None:
                raise ValueError("checkpoint_every needs a checkpoint_path to write to")

    def _check_eval_data(self, data, name):
        if data is None:
            return None
        net = self.network
        name = f"{name}_data"
        try:
            X, y = data
        except (TypeError, ValueError):
            raise TypeError(f"{name} must be a pair (X, y)") from None
        X, _ = check_inputs(X, net.sizes[0], net.dtype, name=f"{name}[0]")
        if X.shape[0] == 0:
            raise ValueError(f"{name} holds no samples")
        labels = labels_from(y, X.shape[0], net.sizes[-1], name=f"{name}[1]")
        targets = check_targets(labels, X.shape[0], net.sizes[-1], net.dtype, name=f"{name}[1]")
        return X, labels, targets

    def fit(self, X, y, test_data=None, *, validation_data=None, callbacks=(), resume=None):
        """Train the network on samples X (n, sizes[0]) with labels or targets y.

        y holds integer labels (n,) in [0, sizes[-1]), one-hot encoded for the cost, or target
        vectors (n, sizes[-1]). validation_data and test_data are optional (X, y) pairs evaluated
        after every epoch. callbacks are called after every epoch as callback(epoch, logs,
        trainer) with that epoch's figures (see fastgd.callbacks); one may set
        trainer.stop_training. resume names a checkpoint of an earlier fit of this trainer's
        settings to continue from. Every input is checked before the network is touched.

        Ctrl-C stops training after the current chunk of mini-batches: the network keeps every
        completed update, the history every completed epoch, and history.interrupted is True.
        Returns the History.
        """
        self._check_params()
        net = self.network
        X, _ = check_inputs(X, net.sizes[0], net.dtype, name="X")
        n = X.shape[0]
        if n == 0:
            raise ValueError("X holds no samples: the training set is empty")
        Y = check_targets(y, n, net.sizes[-1], net.dtype, name="y")
        train_labels = labels_from(y, n, net.sizes[-1]) if self.train_accuracy else None
        evaluations = [(name, self._check_eval_data(data, name))
                       for name, data in (("validation", validation_data), ("test", test_data))]
        evaluations = [(name, data) for name, data in evaluations if data is not None]
        callbacks = list(callbacks)
        for callback in callbacks:
            if not callable(callback):
                raise TypeError(f"callbacks must be callable, got {type(callback).__name__}")
        m = self.mini_batch_size
        if m > n:
            warnings.warn(f"mini_batch_size={m} is larger than the {n} training samples: each "
                          f"epoch is one mini-batch of all {n}", stacklevel=2)
            m = n

        if not net._training.acquire(blocking=False):
            raise RuntimeError("this network is being trained by another fit (in another "
                               "thread); train a copy, or wait for that fit to return")
        try:
            return self._fit(net, X, Y, train_labels, evaluations, callbacks, m, resume)
        finally:
            net._training.release()

    def _fit(self, net, X, Y, train_labels, evaluations, callbacks, m, resume):
        rng = np.random.default_rng(self.seed)
        history = History()
        first_epoch = 0
        if resume is not None:
            first_epoch, history = self._resume(resume, rng)
        self.stop_training = False
        n_threads = self.n_threads if self.n_threads is not None else default_threads()
        tuner = None
        if self.n_threads is None and n_threads > 1 and m <= _core.get_small_batch_max():
            tuner = _ThreadTuner([n_threads, 1])
        for callback in callbacks:
            if hasattr(callback, "on_train_begin"):
                callback.on_train_begin(self)
        with threadpool_limits(limits=n_threads, user_api="blas"):
            for epoch in range(first_epoch, self.epochs):
                try:
                    seconds = self._train_epoch(X, Y, rng, m, n_threads, epoch, tuner)
                    logs, line = self._measure(X, Y, train_labels, evaluations, n_threads, epoch,
                                               seconds)
                    history.record(logs)
                    if self.verbose:
                        print(line, flush=True)
                    for callback in callbacks:
                        callback(epoch, logs, self)
                    if self.checkpoint_every and (epoch + 1) % self.checkpoint_every == 0:
                        self.save_checkpoint(self.checkpoint_path, rng, epoch + 1, history)
                except _Diverged as diverged:
                    history.drop_incomplete()
                    if self.on_nonfinite == "raise":
                        raise FloatingPointError(str(diverged)) from None
                    warnings.warn(str(diverged), RuntimeWarning, stacklevel=2)
                    history.diverged = True
                    break
                except KeyboardInterrupt:
                    # Between two chunks of the core: the weights hold every completed update.
                    history.interrupted = True
                    history.drop_incomplete()
                    if self.verbose:
                        print(f"Interrupted in epoch {epoch}: the network keeps the mini-batches "
                              f"trained so far", file=sys.stderr, flush=True)
                    break
                if self.stop_training:
                    history.stopped_early = True
                    break
        for callback in callbacks:
            if hasattr(callback, "on_train_end"):
                callback.on_train_end(self)
        return history

    def _train_epoch(self, X, Y, rng, m, n_threads, epoch, tuner=None):
        """One epoch, chunk by chunk, each on n_threads or, with a tuner, on the thread count
        it chooses; returns the epoch's seconds."""
        net = self.network
        n = len(X)
        start = time.perf_counter()
        order = rng.permutation(n).astype(np.intp, copy=False) if self.shuffle \
            else np.arange(n, dtype=np.intp)
        # Chunks end on mini-batch boundaries, so they train exactly the epoch one call would.
        chunk = max(1, CHUNK_SAMPLES // m) * m
        bar = _progress_bar(epoch, (n + m - 1) // m) if self.verbose >= 2 else None
        check = self.on_nonfinite != "ignore"
        try:
            for first in range(0, n, chunk):
                part = order[first:first + chunk]
                before = net._parameters() if check else None
                threads = tuner.choose() if tuner is not None else n_threads
                began = time.perf_counter()
                self._core(X, Y, part, m, threads)
                if tuner is not None and 2 * len(part) >= chunk:
                    # (A short last chunk would weigh the threads' start-up too heavily.)
                    tuner.record(threads, time.perf_counter() - began, len(part))
                if check and not _finite(net):
                    self._locate_divergence(before, X, Y, part, m, threads, epoch, first // m)
                if bar is not None:
                    bar.update((len(part) + m - 1) // m)
        finally:
            if bar is not None:
                bar.close()
        return time.perf_counter() - start

    def _core(self, X, Y, order, m, n_threads):
        net = self.network
        _core.train_epoch(net.weights, net.biases, X, Y, order, m, float(self.eta),
                          self.reduction == "mean", n_threads)

    def _locate_divergence(self, before, X, Y, part, m, n_threads, epoch, first_batch):
        """A chunk left non-finite weights: replay it from its start one mini-batch at a time,
        stop before the mini-batch that overflows, and report it. (The replay gives the same
        bits: the core is deterministic.)"""
        net = self.network
        net._set_parameters(before)
        for k, start in enumerate(range(0, len(part), m)):
            kept = net._parameters()
            self._core(X, Y, part[start:start + m], m, n_threads)
            if not _finite(net):
                net._set_parameters(kept)
                raise _Diverged(epoch, first_batch + k, self.eta)
        raise AssertionError("a chunk diverged but none of its mini-batches did")

    def _measure(self, X, Y, train_labels, evaluations, n_threads, epoch, seconds):
        """Evaluate after an epoch; returns its logs and its report line."""
        net = self.network
        out = net._forward(X, n_threads)
        logs = {"epoch": epoch, "train_cost": quadratic_cost(out, Y), "seconds": seconds}
        if train_labels is not None:
            logs["train_accuracy"] = float(np.mean(np.argmax(out, axis=1) == train_labels))
        head, extra = f"Epoch {epoch} complete", ""
        for name, (X_eval, labels, targets) in evaluations:
            out = net._forward(X_eval, n_threads)
            correct = int(np.count_nonzero(np.argmax(out, axis=1) == labels))
            logs[f"{name}_accuracy"] = correct / len(labels)
            logs[f"{name}_cost"] = quadratic_cost(out, targets)
            if name == "test":
                logs["test_correct"] = correct
                head = f"Epoch {epoch}: {correct} / {len(labels)}"
            else:
                extra += f", {name} {correct / len(labels):.2%}"
        return logs, f"{head}{extra}, train cost {logs['train_cost']:.4f}, {seconds:.3f} s"

    # ---- checkpoints --------------------------------------------------------------------------

    def _settings(self):
        return {"sizes": self.network.sizes, "dtype": self.network.dtype.name, "eta": self.eta,
                "mini_batch_size": self.mini_batch_size, "seed": self.seed,
                "shuffle": bool(self.shuffle), "reduction": self.reduction}

    def save_checkpoint(self, path, rng, epochs_done, history):
        """Write the network, the shuffling generator's state and the history to path (.npz,
        no pickle, atomically)."""
        state = {"format": "fastgd-checkpoint", "version": 1, "epochs_done": epochs_done,
                 "settings": self._settings(), "rng": rng.bit_generator.state,
                 "history": history.to_dict()}
        arrays = self.network._arrays()
        arrays["trainer_state"] = np.array(json.dumps(state))
        atomic_write(path, lambda f: np.savez(f, **arrays))

    def _resume(self, path, rng):
        """Load a checkpoint into the network and rng; returns (epochs done, history)."""
        arrays = read_npz(path)
        if "trainer_state" not in arrays:
            raise ValueError(f"{path} is not a fastgd checkpoint (no trainer state); a saved "
                             f"network is loaded with fastgd.Network.load")
        try:
            state = json.loads(str(arrays["trainer_state"]))
            settings, epochs_done = state["settings"], int(state["epochs_done"])
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"{path}: the checkpoint's trainer state is damaged ({exc})") from exc
        mine = self._settings()
        differ = {k: (settings.get(k), v) for k, v in mine.items() if settings.get(k) != v}
        if differ:
            detail = ", ".join(f"{k}: checkpoint {a!r}, this trainer {b!r}"
                               for k, (a, b) in differ.items())
            raise ValueError(f"{path} was written by a run with other settings ({detail}); "
                             f"resuming would not continue that run")
        if epochs_done > self.epochs:
            raise ValueError(f"{path} holds {epochs_done} epochs, more than epochs={self.epochs}")
        loaded = Network._from_arrays(arrays, str(path))
        self.network._set_parameters(loaded.weights + loaded.biases)
        rng.bit_generator.state = state["rng"]
        return epochs_done, History.from_dict(state["history"])


class _Diverged(Exception):
    def __init__(self, epoch, batch, eta):
        super().__init__(f"training diverged in epoch {epoch}, mini-batch {batch}: its update made "
                         f"weights or biases infinite or NaN (eta={eta} is too large); the "
                         f"network keeps the weights from before that mini-batch")


def _finite(net):
    return all(np.isfinite(a).all() for a in net.weights + net.biases)


def _progress_bar(epoch, total):
    """A progress bar over the mini-batches of an epoch on a terminal, or None."""
    if not (hasattr(sys.stderr, "isatty") and sys.stderr.isatty()):
        return None
    try:
        from tqdm import tqdm
    except ImportError:
        return _PlainBar(epoch, total)
    return tqdm(total=total, desc=f"Epoch {epoch}", unit="batch", leave=False)


class _PlainBar:
    """A minimal progress bar for when tqdm is not installed."""

    def __init__(self, epoch, total):
        self.epoch, self.total, self.done = epoch, total, 0

    def update(self, n):
        self.done += n
        width = 30
        filled = width * self.done // self.total
        sys.stderr.write(f"\rEpoch {self.epoch} [{'#' * filled}{'.' * (width - filled)}] "
                         f"{self.done}/{self.total}")
        sys.stderr.flush()

    def close(self):
        sys.stderr.write("\r" + " " * 60 + "\r")
        sys.stderr.flush()
