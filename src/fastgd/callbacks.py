"""Callbacks for Trainer.fit: called after every epoch as callback(epoch, logs, trainer).

logs holds the epoch's figures: train_cost and seconds always; train_accuracy with
Trainer(train_accuracy=True); validation_accuracy, validation_cost, test_accuracy, test_cost
and test_correct for the data given to fit. Any function of (epoch, logs, trainer) is a
callback (log to your own tools this way); setting trainer.stop_training ends fit after the
epoch.
"""
import numpy as np


class EarlyStopping:
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
    """

    def __init__(self, monitor="validation_accuracy", *, patience=5, mode="auto", min_delta=0.0,
                 restore_best_weights=True):
        if mode not in ("max", "min", "auto"):
            raise ValueError(f"mode must be 'max', 'min' or 'auto', got {mode!r}")
        if patience < 0:
            raise ValueError(f"patience must be at least 0, got {patience}")
        self.monitor = monitor
        self.patience = patience
        self.sign = 1.0 if mode == "max" or (mode == "auto" and "accuracy" in monitor) else -1.0
        self.min_delta = abs(min_delta)
        self.restore_best_weights = restore_best_weights

    def on_train_begin(self, trainer):
        self.best = -np.inf
        self.best_epoch = None
        self.best_weights = None
        self.wait = 0
        self.stopped_epoch = None

    def __call__(self, epoch, logs, trainer):
        if self.monitor not in logs:
            raise ValueError(f"EarlyStopping monitors {self.monitor!r}, which this fit does not "
                             f"measure; it has {sorted(k for k in logs if k != 'epoch')}")
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

    def on_train_end(self, trainer):
        if self.restore_best_weights and self.best_weights is not None:
            trainer.network._set_parameters(self.best_weights)
