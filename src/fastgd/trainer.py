"""Stochastic gradient descent on a Network.

Each epoch shuffles the order of the training samples, splits it into mini-batches of
mini_batch_size (the last may be shorter) and moves every weight and bias by
-(eta/m) * sum_j grad C_{X_j} ("mean", the default) or -eta * sum_j grad C_{X_j} ("sum") for the m
samples X_j of each mini-batch. The whole epoch runs in one call into the compiled core.
"""
import time
import warnings
from dataclasses import dataclass, field

import numpy as np
from threadpoolctl import threadpool_limits

from . import _core
from ._validation import (check_inputs, check_int, check_positive_real, check_targets,
                          default_threads, labels_from)
from .network import Network, quadratic_cost

REDUCTIONS = ("mean", "sum")


@dataclass
class History:
    """What fit measured, one entry per epoch.

    train_cost is the quadratic cost on the training data after the epoch; test_accuracy the
    fraction of test samples classified correctly (empty without test data); seconds the time the
    epoch's training took (shuffling and the core, not the evaluation).
    """
    epoch: list = field(default_factory=list)
    train_cost: list = field(default_factory=list)
    test_accuracy: list = field(default_factory=list)
    test_correct: list = field(default_factory=list)
    seconds: list = field(default_factory=list)

    @property
    def best_test_accuracy(self):
        """The highest test accuracy of any epoch (None without test data)."""
        return max(self.test_accuracy) if self.test_accuracy else None


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
        Passes over the training data.
    seed : int, numpy.random.Generator or None
        Seed of the shuffling; each fit starts a fresh numpy.random.Generator from it, so the
        same seed gives the same run, bit for bit.
    shuffle : bool
        Reshuffle the samples every epoch (default); False keeps the data order.
    reduction : "mean" or "sum"
        Scale each update by eta/m (mean of the mini-batch's gradients) or by eta (their sum).
    verbose : int
        0 prints nothing; 1 (default) prints one line per epoch, as the book does.
    n_threads : int or None
        Threads for training: the compiled core's own for mini-batches of up to 32 rows, BLAS's
        for larger ones. None (default) takes two, or one on a single-CPU machine: measured
        fastest on two cores (bench/compare.py). An epoch that starts while another fit is
        training runs on one thread. The result does not depend on it (bit for bit for
        mini-batches of up to 32 rows; within BLAS's rounding for larger ones).
    """

    def __init__(self, network, *, eta, mini_batch_size, epochs, seed=None, shuffle=True,
                 reduction="mean", verbose=1, n_threads=None):
        self.network = network
        self.eta = eta
        self.mini_batch_size = mini_batch_size
        self.epochs = epochs
        self.seed = seed
        self.shuffle = shuffle
        self.reduction = reduction
        self.verbose = verbose
        self.n_threads = n_threads
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
        if not isinstance(self.shuffle, (bool, np.bool_)):
            raise TypeError(f"shuffle must be True or False, got {self.shuffle!r}")
        check_int(self.verbose, "verbose", 0)
        if self.n_threads is not None:
            check_int(self.n_threads, "n_threads", 1)


    def fit(self, X, y, test_data=None):
        """Train the network on samples X (n, sizes[0]) with labels or targets y.

        y holds integer labels (n,) in [0, sizes[-1]), one-hot encoded for the cost, or target
        vectors (n, sizes[-1]). test_data is an optional (X_test, y_test) pair evaluated after
        every epoch. Every input is checked before the network is touched. Returns a History.
        """
        self._check_params()
        net = self.network
        X, _ = check_inputs(X, net.sizes[0], net.dtype, name="X")
        n = X.shape[0]
        if n == 0:
            raise ValueError("X holds no samples: the training set is empty")
        Y = check_targets(y, n, net.sizes[-1], net.dtype, name="y")
        test = None
        if test_data is not None:
            try:
                X_test, y_test = test_data
            except (TypeError, ValueError):
                raise TypeError("test_data must be a pair (X_test, y_test)") from None
            X_test, _ = check_inputs(X_test, net.sizes[0], net.dtype, name="test_data[0]")
            test_labels = labels_from(y_test, X_test.shape[0], net.sizes[-1], name="test_data[1]")
            if X_test.shape[0] == 0:
                raise ValueError("test_data holds no samples")
            test = (X_test, test_labels)
        m = self.mini_batch_size
        if m > n:
            warnings.warn(f"mini_batch_size={m} is larger than the {n} training samples: each "
                          f"epoch is one mini-batch of all {n}", stacklevel=2)
            m = n

        rng = np.random.default_rng(self.seed)
        in_order = np.arange(n, dtype=np.intp)
        mean = self.reduction == "mean"
        n_threads = self.n_threads if self.n_threads is not None else default_threads()
        history = History()
        with threadpool_limits(limits=n_threads, user_api="blas"):
            for epoch in range(self.epochs):
                self._epoch(net, X, Y, rng, in_order, m, mean, n_threads, epoch, history, test)
        return history

    def _epoch(self, net, X, Y, rng, in_order, m, mean, n_threads, epoch, history, test):
        """Train one epoch, then measure and report it."""
        start = time.perf_counter()
        order = rng.permutation(len(X)).astype(np.intp, copy=False) if self.shuffle else in_order
        _core.train_epoch(net.weights, net.biases, X, Y, order, m, float(self.eta), mean,
                          n_threads)
        seconds = time.perf_counter() - start
        history.epoch.append(epoch)
        history.seconds.append(seconds)
        history.train_cost.append(quadratic_cost(net._forward(X, n_threads), Y))
        line = f"Epoch {epoch}"
        if test:
            X_test, test_labels = test
            predicted = np.argmax(net._forward(X_test, n_threads), axis=1)
            correct = int(np.count_nonzero(predicted == test_labels))
            history.test_correct.append(correct)
            history.test_accuracy.append(correct / len(test_labels))
            line += f": {correct} / {len(test_labels)}"
        else:
            line += " complete"
        if self.verbose:
            print(f"{line}, train cost {history.train_cost[-1]:.4f}, {seconds:.3f} s", flush=True)
