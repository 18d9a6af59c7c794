"""What a fit measured, epoch by epoch."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas
    from matplotlib.figure import Figure, SubFigure

    from ._typing import PathLike


@dataclass
class History:
    """What fit measured, one entry per epoch in each list that applies.

    cost names the cost of every ``*_cost`` figure (fastgd.costs: "quadratic",
    "cross_entropy" or "log_likelihood"), the one the network was trained on. train_cost is
    that cost on the training data: with train_cost_kind "running" (Trainer's default) the
    epoch's running mean, each mini-batch's cost taken as it trained, before its update (Keras's
    figure: free, from the forward pass the update makes anyway); with "exact" the cost after
    the epoch, over all the training data (a pass of its own). train_accuracy is its fraction
    classified correctly (only with Trainer(train_accuracy=True): it costs a pass);
    ``validation_*`` and ``test_*`` the same on the validation and test data given to fit;
    test_correct the number of test samples classified correctly; seconds the time of the
    epoch's training (shuffling and the core, not the evaluations). interrupted is True when
    Ctrl-C stopped fit; stopped_early when a callback did; diverged when the weights overflowed
    (with on_nonfinite="warn"). diagnosis holds what fit found when it warned with
    fastgd.SaturationWarning that the network is stuck.
    """

    epoch: list[int] = field(default_factory=list)
    train_cost: list[float] = field(default_factory=list)
    train_accuracy: list[float] = field(default_factory=list)
    validation_cost: list[float] = field(default_factory=list)
    validation_accuracy: list[float] = field(default_factory=list)
    test_cost: list[float] = field(default_factory=list)
    test_accuracy: list[float] = field(default_factory=list)
    test_correct: list[int] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)
    cost: str = "quadratic"
    # (The default is what histories of fastgd 0.1, which do not say, hold.)
    train_cost_kind: str = "exact"
    interrupted: bool = False
    stopped_early: bool = False
    diverged: bool = False
    # What fastgd's diagnosis found when it warned that the network is stuck (the epoch, the
    # saturated output neurons, the digits hardly ever or never predicted), else None.
    diagnosis: dict[str, Any] | None = None

    def record(self, logs: dict[str, Any]) -> None:
        """Append one epoch's figures; epoch goes last, so drop_incomplete can undo a partial
        record."""
        for key, value in logs.items():
            if key != "epoch":
                getattr(self, key).append(value)
        self.epoch.append(logs["epoch"])

    def drop_incomplete(self) -> None:
        """Cut every per-epoch list back to the epochs recorded in full."""
        for f in fields(self):
            values = getattr(self, f.name)
            if isinstance(values, list) and f.name != "epoch":
                del values[len(self.epoch) :]

    def _columns(self) -> dict[str, list[Any]]:
        """The per-epoch lists that hold figures, by name, in the order of the fields."""
        return {
            f.name: getattr(self, f.name)
            for f in fields(self)
            if isinstance(getattr(self, f.name), list) and getattr(self, f.name)
        }

    def _flags(self) -> list[str]:
        return [
            name for name in ("interrupted", "stopped_early", "diverged") if getattr(self, name)
        ] + (["stuck (see diagnosis)"] if self.diagnosis else [])

    def __repr__(self) -> str:
        """One line: epochs, cost, the best and final accuracies, the flags (not every list:
        to_dict, to_pandas or a notebook's table show them)."""
        parts = [f"{len(self.epoch)} epochs", f"cost={self.cost!r}"]
        for name in ("validation", "test"):
            values = getattr(self, f"{name}_accuracy")
            if values:
                parts.append(f"{name} accuracy best {max(values):.2%}, final {values[-1]:.2%}")
        return f"History({', '.join(parts + self._flags())})"

    def _repr_html_(self) -> str:
        """A notebook's table: a row per epoch, a column per figure measured."""
        from html import escape

        columns = {k: v for k, v in self._columns().items() if k != "epoch"}
        head = "".join(f"<th>{escape(name.replace('_', ' '))}</th>" for name in columns)
        rows = []
        for i, epoch in enumerate(self.epoch):
            cells = "".join(
                f"<td>{_cell(values[i]) if i < len(values) else ''}</td>"
                for values in columns.values()
            )
            rows.append(f"<tr><th>{epoch}</th>{cells}</tr>")
        note = escape(repr(self))
        return (
            f"<div><p><code>{note}</code></p><table><thead><tr><th>epoch</th>{head}</tr>"
            f"</thead><tbody>{''.join(rows)}</tbody></table></div>"
        )

    def to_pandas(self) -> pandas.DataFrame:
        """The per-epoch figures as a pandas DataFrame indexed by epoch (pandas needed)."""
        try:
            import pandas as pd
        except ImportError:
            raise ImportError("History.to_pandas needs pandas: pip install pandas") from None
        columns = {k: v for k, v in self._columns().items() if k != "epoch"}
        frame = pd.DataFrame(
            {k: v + [None] * (len(self.epoch) - len(v)) for k, v in columns.items()},
            index=pd.Index(self.epoch, name="epoch"),
        )
        frame.attrs.update(cost=self.cost, train_cost_kind=self.train_cost_kind)
        return frame

    @property
    def best_test_accuracy(self) -> float | None:
        """The highest test accuracy of any epoch (None without test data)."""
        return max(self.test_accuracy) if self.test_accuracy else None

    def to_dict(self) -> dict[str, Any]:
        """The history as a dict of plain lists, the cost's name and flags (JSON-ready)."""
        return {
            f.name: (list(v) if isinstance(v := getattr(self, f.name), list) else v)
            for f in fields(self)
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> History:
        """The History of to_dict's dict (one of fastgd 0.1, without cost, is "quadratic")."""
        return cls(**{f.name: data[f.name] for f in fields(cls) if f.name in data})

    @classmethod
    def from_untrusted(cls, data: object, epochs: int | None = None) -> History:
        """The History of a dict read from a file (a checkpoint, a sweep's results), every
        field checked to the type to_dict writes, with one entry per epoch in every list that
        has any: epochs of them (None: as many as data's "epoch" holds). ValueError saying what
        is wrong otherwise."""
        if not isinstance(data, dict):
            raise ValueError("no history")
        if epochs is None:
            listed = data.get("epoch")
            epochs = len(listed) if isinstance(listed, list) else 0
        values: dict[str, Any] = {}
        for f in fields(cls):
            if f.name not in data:
                continue
            value = data[f.name]
            if f.name == "cost":
                ok = isinstance(value, str) and len(value) <= 64
            elif f.name == "diagnosis":
                ok = value is None or _is_diagnosis(value)
            elif f.name == "train_cost_kind":
                ok = value in ("running", "exact")
            elif isinstance(f.default, bool):  # the flags (annotations are strings here)
                ok = isinstance(value, bool)
            else:
                # (JSON keeps what was written: ints for epochs and counts, floats for the rest.)
                element = _is_int if f.name in ("epoch", "test_correct") else _is_float
                ok = isinstance(value, list) and all(element(v) for v in value)
                if ok and len(value) not in (0, epochs):
                    raise ValueError(f"history {f.name} of {len(value)} epochs, not {epochs}")
            if not ok:
                raise ValueError(f"history {f.name}: {str(value)[:80]}")
            values[f.name] = value
        for name in ("epoch", "train_cost", "seconds"):
            if len(values.get(name, [])) != epochs:
                raise ValueError(
                    f"history {name} of {len(values.get(name, []))} epochs, not {epochs}"
                )
        if values.get("epoch", []) != list(range(epochs)):
            raise ValueError(f"history epochs {str(values['epoch'])[:80]}")
        return cls(**values)

    def plot(
        self, path: PathLike | None = None, fig: Figure | SubFigure | None = None
    ) -> Figure | SubFigure:
        """The learning curves (cost and accuracy against the epoch): returns the matplotlib
        Figure (a notebook shows it), writes a PNG to path when given, draws into fig (a Figure
        or SubFigure) when given. pyplot's state and backend are left alone.

        Needs matplotlib: pip install "fastgd[plot]".
        """
        from .pictures.plots import plot_history

        return plot_history(self, path, fig=fig)


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_float(value: object) -> bool:
    return isinstance(value, float)


def _is_diagnosis(value: object) -> bool:
    """A dict exactly as fastgd's diagnosis writes it
    (fastgd.training.diagnosis.SaturationMonitor)."""
    ints = ("saturated_low", "saturated_high", "hardly_ever_predicted", "never_predicted")
    floats = ("accuracy", "accuracy_change", "cost_change")
    if not isinstance(value, dict) or set(value) != {"epoch", "data", *ints, *floats}:
        return False
    return (
        _is_int(value["epoch"])
        and value["epoch"] >= 0
        and value["data"] in ("validation", "test")
        and all(
            isinstance(value[k], list)
            and len(value[k]) <= 1 << 16
            and all(_is_int(x) for x in value[k])
            for k in ints
        )
        and all(_is_float(value[k]) for k in floats)
    )


def _cell(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.4f}"
    return str(value)
