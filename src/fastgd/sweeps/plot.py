"""The picture of a sweep: test accuracy against epoch, a line per setting over its seeds."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import numpy as np

from ..pictures.plots import _finish, _new_figure, _whole_epochs
from .grid import setting_value, varying_keys

if TYPE_CHECKING:
    from .._typing import PathLike
    from ..pictures.plots import AnyFigure


def sweep_figure(
    groups: dict[str, list[dict[str, Any]]], path: PathLike | None = None
) -> AnyFigure:
    """Test accuracy against epoch for each setting of a sweep, groups as SweepResult.groups
    gives them (the mean over its seeds, the band from the lowest seed to the highest; at each
    epoch, over the seeds that reached it), written to path when given; the Figure. Built on a
    Figure object, not pyplot's state: the caller's backend is never changed."""
    fig = _new_figure((8, 5))
    ax = fig.add_subplot()
    settings = [json.loads(key) for key in groups]
    varying = varying_keys(settings) if len(settings) > 1 else []
    drawn = 0
    for records, setting in zip(groups.values(), settings):
        curves = [
            r["history"]["test_accuracy"]
            for r in records
            if r.get("history") and r["history"].get("test_accuracy")
        ]
        if not curves:
            continue
        # Runs stopped early (successive halving, Ctrl-C) count at the epochs they reached.
        length = max(len(c) for c in curves)
        values = np.full((len(curves), length), np.nan)
        for row, curve in zip(values, curves):
            row[: len(curve)] = curve
        epochs = np.arange(length)
        label = ", ".join(f"{k}={setting_value(setting, k)}" for k in varying) or "all runs"
        # (A line of one or two epochs, a run stopped at its first rung, shows as points.)
        (line,) = ax.plot(
            epochs,
            np.nanmean(values, axis=0),
            marker="o" if length < 3 else None,
            markersize=4,
            label=f"{label} ({len(curves)} seeds)",
        )
        if len(curves) > 1 and length == 1:
            ax.vlines(
                epochs,
                np.nanmin(values, axis=0),
                np.nanmax(values, axis=0),
                color=line.get_color(),
                alpha=0.4,
            )
        elif len(curves) > 1:
            ax.fill_between(
                epochs,
                np.nanmin(values, axis=0),
                np.nanmax(values, axis=0),
                color=line.get_color(),
                alpha=0.2,
                linewidth=0,
            )
        drawn += 1
    if not drawn:
        raise ValueError("no run of the sweep has test accuracies to draw (give test_data)")
    ax.set(
        xlabel="epoch",
        ylabel="test accuracy",
        title="test accuracy: mean over seeds, band from the lowest to the highest",
    )
    _whole_epochs(ax)
    ax.grid(alpha=0.3)
    ax.legend(fontsize="small")
    return _finish(fig, path, True)
