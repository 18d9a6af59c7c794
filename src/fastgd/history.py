"""What a fit measured, epoch by epoch."""
from dataclasses import dataclass, field, fields
from typing import Optional


@dataclass
class History:
    """What fit measured, one entry per epoch in each list that applies.

    cost names the cost of every *_cost figure (fastgd.costs: "quadratic" or "cross_entropy"),
    the one the network was trained on. train_cost is that cost on the training data: with
    train_cost_kind "running" (Trainer's default) the epoch's running mean, each mini-batch's
    cost taken as it trained, before its update (Keras's figure: free, from the forward pass
    the update makes anyway); with "exact" the cost after the epoch, over all the training data
    (a pass of its own). train_accuracy is its fraction classified correctly (only with
    Trainer(train_accuracy=True): it costs a pass); validation_* and test_* the same on the
    validation and test data given to fit; test_correct the number of test samples classified
    correctly; seconds the time of the epoch's training (shuffling and the core, not the
    evaluations). interrupted is True when Ctrl-C stopped fit; stopped_early when a callback
    did; diverged when the weights overflowed (with on_nonfinite="warn"). diagnosis holds what
    fit found when it warned with fastgd.SaturationWarning that the network is stuck.
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
    cost: str = "quadratic"
    # (The default is what histories of fastgd 0.1, which do not say, hold.)
    train_cost_kind: str = "exact"
    interrupted: bool = False
    stopped_early: bool = False
    diverged: bool = False
    # What fastgd's diagnosis found when it warned that the network is stuck (the epoch, the
    # saturated output neurons, the digits hardly ever or never predicted), else None.
    diagnosis: Optional[dict] = None

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
        """The history as a dict of plain lists, the cost's name and flags (JSON-ready)."""
        return {f.name: (list(v) if isinstance(v := getattr(self, f.name), list) else v)
                for f in fields(self)}

    @classmethod
    def from_dict(cls, data):
        """The History of to_dict's dict (one of fastgd 0.1, without cost, is "quadratic")."""
        return cls(**{f.name: data[f.name] for f in fields(cls) if f.name in data})

    def plot(self, path=None, fig=None):
        """The learning curves (cost and accuracy against the epoch): returns the matplotlib
        Figure (a notebook shows it), writes a PNG to path when given, draws into fig (a Figure
        or SubFigure) when given. pyplot's state and backend are left alone.

        Needs matplotlib: pip install "fastgd[plot]".
        """
        from ._plot import plot_history
        return plot_history(self, path, fig=fig)
