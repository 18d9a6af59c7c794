"""Callbacks: code of your own that Trainer.fit runs at fixed points of training.

Subclass Callback and override any of its hooks (each does nothing by default)::

    on_train_begin(trainer)              before the first epoch of a fit (of a resumed one too)
    on_epoch_begin(epoch, trainer)       before each epoch
    on_epoch_end(epoch, logs, trainer)   after each epoch, with that epoch's figures
    on_train_end(trainer, history)       after the last epoch, also when training stopped early,
                                         was interrupted (Ctrl-C) or diverged with
                                         on_nonfinite="warn"; not when fit raises

logs holds the epoch's figures: epoch, train_cost (by default the epoch's running mean: see
Trainer's train_cost) and seconds always; train_accuracy with
Trainer(train_accuracy=True); validation_accuracy, validation_cost, test_accuracy, test_cost and
test_correct for the data given to fit. Setting ``trainer.stop_training = True`` in a hook ends
fit after the epoch. A hook may change the trainer's settings for the epochs to come (a
schedule sets ``trainer.eta``): each is checked as the constructor checks it before the next
epoch trains. A plain function ``callback(epoch, logs, trainer)`` is a callback too: it runs as
on_epoch_end (log the figures to your own tools this way).

Two schedules of the learning rate are here: LearningRateSchedule (eta as a function of the
epoch) and ReduceOnPlateau (the book's rule: halve eta when the validation accuracy has not
improved for a while, stop when it has fallen to 1/128 of its start).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

if TYPE_CHECKING:
    from .history import History
    from .network import Network

Logs = dict[str, Any]


class Trainer(Protocol):
    """What a callback sees of the fastgd.Trainer running it (the trainer itself; named here
    by what callbacks use, so that this module and the trainer's need not import each other)."""

    network: Network
    verbose: int
    stop_training: bool
    eta: float


class Callback:
    """Base class of the callbacks of Trainer.fit; override the hooks you need."""

    def on_train_begin(self, trainer: Trainer) -> None:
        """Called before the first epoch of a fit."""

    def on_epoch_begin(self, epoch: int, trainer: Trainer) -> None:
        """Called before each epoch (numbered from 0, also in a resumed fit)."""

    def on_epoch_end(self, epoch: int, logs: Logs, trainer: Trainer) -> None:
        """Called after each epoch with its figures (see the module's docstring)."""

    def on_train_end(self, trainer: Trainer, history: History) -> None:
        """Called after the last epoch of a fit that returns, with the History it returns."""


class _FunctionCallback(Callback):
    """A plain function of (epoch, logs, trainer), run after each epoch."""

    def __init__(self, function: Callable[[int, Logs, Any], object]) -> None:
        self.function = function

    def on_epoch_end(self, epoch: int, logs: Logs, trainer: Trainer) -> None:
        self.function(epoch, logs, trainer)


_HOOKS = ("on_train_begin", "on_epoch_end", "on_train_end")


def as_callback(callback: Callback | Callable[[int, Logs, Any], object]) -> Callback:
    """callback as a Callback: itself, or a plain function wrapped to run after each epoch."""
    if isinstance(callback, Callback):
        return callback
    hooks = [name for name in _HOOKS if hasattr(callback, name)]
    if hooks:
        # Its hooks would never be called: say so rather than run only its __call__.
        raise TypeError(
            f"{type(callback).__name__} defines {', '.join(hooks)} but is not a "
            f"fastgd.callbacks.Callback; subclass Callback so that fit calls them"
        )
    if not callable(callback):
        raise TypeError(
            f"callbacks must be fastgd.callbacks.Callback objects or functions of "
            f"(epoch, logs, trainer), got {type(callback).__name__}"
        )
    return _FunctionCallback(callback)


class EarlyStopping(Callback):
    """Stop when a monitored figure has not improved for patience epochs.

    Parameters
    ----------
    monitor : str
        A key of the logs, e.g. "validation_accuracy" (the default) or "validation_cost".
    patience : int
        Epochs without improvement to wait before stopping.
    mode : "max", "min" or "auto"
        Whether larger is better; "auto" takes "max" for accuracies, "min" otherwise.
    min_delta : float
        The least change that counts as an improvement.
    restore_best_weights : bool
        When training ends, put back the weights of the best epoch.
    verbose : bool or None
        Say when it stops and what it restores (a line each); None: when the trainer reports
        its epochs (Trainer(verbose>=1)).
    """

    def __init__(
        self,
        monitor: str = "validation_accuracy",
        *,
        patience: int = 5,
        mode: str = "auto",
        min_delta: float = 0.0,
        restore_best_weights: bool = True,
        verbose: int | None = None,
    ) -> None:
        if mode not in ("max", "min", "auto"):
            raise ValueError(f"mode must be 'max', 'min' or 'auto', got {mode!r}")
        if patience < 0:
            raise ValueError(f"patience must be at least 0, got {patience}")
        self.monitor = monitor
        self.patience = patience
        self.sign = 1.0 if mode == "max" or (mode == "auto" and "accuracy" in monitor) else -1.0
        self.min_delta = abs(min_delta)
        self.restore_best_weights = restore_best_weights
        self.verbose = verbose

    def _say(self, trainer: Trainer, message: str) -> None:
        if self.verbose if self.verbose is not None else trainer.verbose:
            print(f"EarlyStopping: {message}", flush=True)

    def on_train_begin(self, trainer: Trainer) -> None:
        self.best = -np.inf
        self.best_epoch: int | None = None
        self.best_weights: list[np.ndarray] | None = None
        self.wait = 0
        self.stopped_epoch: int | None = None

    def on_epoch_end(self, epoch: int, logs: Logs, trainer: Trainer) -> None:
        if self.monitor not in logs:
            raise ValueError(
                f"EarlyStopping monitors {self.monitor!r}, which this fit does not "
                f"measure; it has {sorted(k for k in logs if k != 'epoch')}"
            )
        score = self.sign * logs[self.monitor]
        if score > self.best + self.min_delta:
            self.best, self.best_epoch, self.wait = score, epoch, 0
            if self.restore_best_weights:
                self.best_weights = trainer.network._parameters()
        else:
            self.wait += 1
            if self.wait >= self.patience:
                self.stopped_epoch = epoch
                trainer.stop_training = True
                self._say(
                    trainer,
                    f"{self.monitor} has not improved for {self.wait} epochs "
                    f"(best {self.sign * self.best:.4g} in epoch "
                    f"{self.best_epoch}): stopping after epoch {epoch}",
                )

    def on_train_end(self, trainer: Trainer, history: History) -> None:
        if self.restore_best_weights and self.best_weights is not None:
            trainer.network._set_parameters(self.best_weights)
            if history.epoch and history.epoch[-1] != self.best_epoch:
                self._say(trainer, f"restored the weights of epoch {self.best_epoch}")


class LearningRateSchedule(Callback):
    """Set eta before each epoch to schedule(epoch), epoch numbered from 0 (also in a resumed
    fit, which goes on from the checkpoint's epoch). The value is checked as Trainer's eta is:
    a schedule that gives 0, a negative or a non-finite eta stops the fit with a ValueError
    naming it, before that epoch trains.

    Example: ``LearningRateSchedule(lambda epoch: 0.5 * 0.9**epoch)``.
    """

    def __init__(self, schedule: Callable[[int], float]) -> None:
        if not callable(schedule):
            raise TypeError(f"schedule must be a function of the epoch, got {schedule!r}")
        self.schedule = schedule

    def on_epoch_begin(self, epoch: int, trainer: Trainer) -> None:
        trainer.eta = self.schedule(epoch)


class ReduceOnPlateau(Callback):
    """The book's learning-rate schedule (chapter 3): multiply eta by factor (one half) each time
    the monitored figure has not improved for patience epochs in a row, and stop training once
    eta has fallen to min_fraction (1/128) of its value when the fit began.

    Parameters
    ----------
    monitor : str
        A key of the logs, "validation_accuracy" (the default: choose on validation data, never
        on the test set) or "validation_cost", ...
    patience : int
        Epochs without improvement before eta is cut (the book's n; 10 by default).
    factor : float in (0, 1)
        What eta is multiplied by.
    min_fraction : float in (0, 1)
        Stop when eta has fallen to this fraction of its start (or below).
    mode : "max", "min" or "auto"
        Whether larger is better; "auto" takes "max" for accuracies, "min" otherwise.
    verbose : bool or None
        Say each cut and the stop (a line each); None: when the trainer reports its epochs.

    eta_history lists the eta of every epoch trained. A checkpoint records the eta of its
    moment, which the trainer that resumes it must have; the rule then starts afresh from it
    (its count of epochs without improvement is not in checkpoints).
    """

    def __init__(
        self,
        monitor: str = "validation_accuracy",
        *,
        patience: int = 10,
        factor: float = 0.5,
        min_fraction: float = 1 / 128,
        mode: str = "auto",
        verbose: int | None = None,
    ) -> None:
        if mode not in ("max", "min", "auto"):
            raise ValueError(f"mode must be 'max', 'min' or 'auto', got {mode!r}")
        if isinstance(patience, bool) or not isinstance(patience, int) or patience < 1:
            raise ValueError(f"patience must be an integer of at least 1, got {patience!r}")
        for name, value in (("factor", factor), ("min_fraction", min_fraction)):
            if not isinstance(value, (int, float)) or not 0 < value < 1:
                raise ValueError(f"{name} must be a number in (0, 1), got {value!r}")
        self.monitor = monitor
        self.patience = patience
        self.factor = float(factor)
        self.min_fraction = float(min_fraction)
        self.sign = 1.0 if mode == "max" or (mode == "auto" and "accuracy" in monitor) else -1.0
        self.verbose = verbose

    def _say(self, trainer: Trainer, message: str) -> None:
        if self.verbose if self.verbose is not None else trainer.verbose:
            print(f"ReduceOnPlateau: {message}", flush=True)

    def on_train_begin(self, trainer: Trainer) -> None:
        self.start_eta = float(trainer.eta)
        self.best = -np.inf
        self.wait = 0
        self.eta_history: list[float] = []

    def on_epoch_begin(self, epoch: int, trainer: Trainer) -> None:
        self.eta_history.append(float(trainer.eta))

    def on_epoch_end(self, epoch: int, logs: Logs, trainer: Trainer) -> None:
        if self.monitor not in logs:
            raise ValueError(
                f"ReduceOnPlateau monitors {self.monitor!r}, which this fit does not measure; "
                f"it has {sorted(k for k in logs if k != 'epoch')} (pass validation_data to "
                f"fit for the validation figures)"
            )
        score = self.sign * logs[self.monitor]
        if score > self.best:
            self.best, self.wait = score, 0
            return
        self.wait += 1
        if self.wait < self.patience:
            return
        self.wait = 0
        trainer.eta = trainer.eta * self.factor
        if trainer.eta <= self.start_eta * self.min_fraction * (1 + 1e-12):
            trainer.stop_training = True
            self._say(
                trainer,
                f"eta has fallen to {trainer.eta:.4g}, {self.min_fraction:.4g} of its start "
                f"{self.start_eta:.4g}: stopping after epoch {epoch}",
            )
        else:
            self._say(
                trainer,
                f"{self.monitor} has not improved for {self.patience} epochs: eta is now "
                f"{trainer.eta:.4g}",
            )
