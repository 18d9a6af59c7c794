"""What a fit measures after each epoch: the cost (and optionally the accuracy) on the training
data, and the accuracy and cost on each evaluation set (validation, test)."""

from dataclasses import dataclass

import numpy as np

from .diagnosis import SaturationMonitor


@dataclass
class EvalSet:
    """Checked data to measure on: inputs X, their labels and their target rows."""

    name: str
    X: np.ndarray
    labels: np.ndarray
    targets: np.ndarray


class Evaluator:
    """Measures network after each epoch of a fit on cost, with n_threads threads: the training
    data (X, Y), whose cost is the epoch's running mean unless exact_train_cost asks for a pass
    after the epoch (as does train_labels, for the training accuracy), and eval_sets."""

    def __init__(
        self,
        network,
        cost,
        X,
        Y,
        train_labels,
        eval_sets,
        n_threads,
        exact_train_cost,
        penalty=("l2", 0.0),
    ):
        self.network = network
        self.penalty, self.lmbda = penalty
        self.cost = cost
        self.X, self.Y, self.train_labels = X, Y, train_labels
        self.eval_sets = list(eval_sets)
        self.n_threads = n_threads
        self.exact_train_cost = exact_train_cost
        # The diagnosis watches the first evaluation set (validation, else test): the outputs
        # it computes anyway. Without one, nothing is watched.
        self.monitor = (
            SaturationMonitor(self.eval_sets[0].name, cost.name, network.init, network.sizes[-1])
            if self.eval_sets
            else None
        )
        self.diagnosis = None  # set by after_epoch the epoch the monitor finds a stuck run

    def _penalty(self, n):
        """The penalty's share of the cost of a data set of n samples, on the weights as they
        are: (lmbda/2n) sum w^2 (L2) or (lmbda/n) sum |w| (L1), each data set's own n, as the
        book's total_cost has it (0 without a penalty)."""
        if not self.lmbda:
            return 0.0
        weights = self.network.weights
        if self.penalty == "l2":
            total = sum(float(np.einsum("ij,ij->", w, w, dtype=np.float64)) for w in weights)
            return 0.5 * self.lmbda / n * total
        return self.lmbda / n * sum(float(np.abs(w).sum(dtype=np.float64)) for w in weights)

    def after_epoch(self, epoch, seconds, running_cost):
        """The logs of an epoch that trained for seconds with running_cost the mean of its
        mini-batches' costs: the figures callbacks receive. Every cost includes the penalty."""
        logs = {
            "epoch": epoch,
            "train_cost": running_cost + self._penalty(len(self.X)),
            "seconds": seconds,
        }
        if self.exact_train_cost or self.train_labels is not None:
            out = self.network._forward(self.X, self.n_threads)
            if self.exact_train_cost:
                logs["train_cost"] = self.cost.value(out, self.Y) + self._penalty(len(self.X))
            if self.train_labels is not None:
                logs["train_accuracy"] = float(np.mean(np.argmax(out, axis=1) == self.train_labels))
        self.diagnosis = None
        for k, data in enumerate(self.eval_sets):
            out = self.network._forward(data.X, self.n_threads)
            correct = int(np.count_nonzero(np.argmax(out, axis=1) == data.labels))
            logs[f"{data.name}_accuracy"] = correct / len(data.labels)
            logs[f"{data.name}_cost"] = self.cost.value(out, data.targets) + self._penalty(
                len(data.labels)
            )
            if data.name == "test":
                logs["test_correct"] = correct
            if k == 0 and self.monitor is not None:
                self.diagnosis = self.monitor.observe(
                    epoch, out, data.labels, correct / len(data.labels), logs["train_cost"]
                )
        return logs
