"""What a sweep gives back: its records, grouped over seeds into a table, and a plot."""

import json

import numpy as np

from .grid import run_key, setting_value, varying_keys
from .results import latest, read_records


class SweepResult:
    """The records of a sweep's runs (plain dicts, as in the results file).

    records: every run's record; table(sort_by=...) the settings grouped over seeds; best the
    record of the best run; plot(path) test accuracy against epoch, one line per setting with
    the band of its seeds; SweepResult.load(path) reads a results file. interrupted is True
    when Ctrl-C stopped the sweep.
    """

    def __init__(self, records, interrupted=False):
        self.records = list(records)
        self.interrupted = interrupted

    @classmethod
    def load(cls, path):
        """The SweepResult of a results file: the last record of each run (a torn last line is
        left out; a line that is not a record of a run is a ValueError naming it)."""
        return cls(latest(read_records(path)))

    @property
    def failed(self):
        return [r for r in self.records if r.get("error")]

    @property
    def best(self):
        """The record with the highest best validation accuracy, else test accuracy (None when
        no run has either)."""
        for figure in ("best_validation_accuracy", "best_test_accuracy"):
            scored = [r for r in self.records if r.get(figure) is not None]
            if scored:
                return max(scored, key=lambda r: r[figure])
        return None

    def groups(self):
        """The records by their settings without the seed: a dict from a settings dict's JSON to
        its records."""
        grouped = {}
        for record in self.records:
            setting = {k: v for k, v in record["settings"].items() if k != "seed"}
            grouped.setdefault(run_key(setting), []).append(record)
        return grouped

    def table(self, sort_by="best_test_accuracy"):
        """One row per setting (seeds grouped): the setting, runs, failures, and mean, std, min
        and max of the best and final test (and validation) accuracy over the seeds, and of the
        test accuracy at the epoch of the best validation accuracy; with successive halving,
        the epochs its runs were stopped at. Sorted by the mean of sort_by (highest first). A
        Table: a list of dicts that prints aligned."""
        figures = (
            "best_test_accuracy",
            "final_test_accuracy",
            "best_validation_accuracy",
            "final_validation_accuracy",
            "test_accuracy_at_best_validation",
        )
        if sort_by not in figures:
            raise ValueError(f"sort_by must be one of {figures}, got {sort_by!r}")
        rows = []
        for key, records in self.groups().items():
            row = {
                "setting": json.loads(key),
                "runs": len(records),
                "failed": sum(1 for r in records if r.get("error")),
            }
            stopped = [r["halving"]["stopped_at_epoch"] for r in records if r.get("halving")]
            if stopped:
                row["stopped_at_epoch"] = sorted(stopped)
            for figure in figures:
                values = [r[figure] for r in records if r.get(figure) is not None]
                if values:
                    row[figure] = {
                        "mean": float(np.mean(values)),
                        "std": float(np.std(values)),
                        "min": float(np.min(values)),
                        "max": float(np.max(values)),
                    }
            rows.append(row)
        rows.sort(key=lambda row: -row[sort_by]["mean"] if sort_by in row else float("inf"))
        return Table(rows)

    def plot(self, path=None):
        """Test accuracy against epoch: one line per setting (the mean over its seeds) with the
        band from the lowest to the highest seed. Writes a PNG to path when given; returns the
        matplotlib Figure. Needs matplotlib (pip install "fastgd[plot]")."""
        from .plot import sweep_figure

        return sweep_figure(self.groups(), path)

    def __repr__(self):
        return (
            f"SweepResult({len(self.records)} runs, {len(self.failed)} failed"
            f"{', interrupted' if self.interrupted else ''})"
        )


class Table(list):
    """Rows of SweepResult.table; str() lays them out as text."""

    def __str__(self):
        if not self:
            return "(no runs)"
        varying = varying_keys([row["setting"] for row in self])
        columns = [
            ("best_test_accuracy", "best test"),
            ("final_test_accuracy", "final test"),
            ("best_validation_accuracy", "best valid."),
            ("test_accuracy_at_best_validation", "test at best valid."),
        ]
        columns = [(key, title) for key, title in columns if any(key in row for row in self)]
        halved = any("stopped_at_epoch" in row for row in self)
        head = (
            ["setting"]
            + [title for _, title in columns]
            + ["runs"]
            + (["stopped at epoch"] if halved else [])
        )
        lines = []
        for row in self:
            # (A setting a run leaves at its default is not in its key: its default is shown.)
            setting = row["setting"]
            cells = [
                ", ".join(f"{k}={_show(setting_value(setting, k))}" for k in varying) or "(all)"
            ]
            for key, _ in columns:
                f = row.get(key)
                cells.append(
                    f"{f['mean']:.2%} ± {f['std']:.2%} [{f['min']:.2%}, {f['max']:.2%}]"
                    if f
                    else "-"
                )
            cells.append(f"{row['runs']}" + (f" ({row['failed']} failed)" if row["failed"] else ""))
            if halved:
                cells.append(",".join(map(str, row.get("stopped_at_epoch", []))) or "-")
            lines.append(cells)
        widths = [max(len(str(c)) for c in column) for column in zip(head, *lines)]
        text = ["  ".join(str(c).ljust(w) for c, w in zip(head, widths)).rstrip()]
        text += [
            "  ".join(str(c).ljust(w) for c, w in zip(cells, widths)).rstrip() for cells in lines
        ]
        return "\n".join(text)


def _show(value):
    if isinstance(value, list):
        return ",".join(map(str, value))
    return str(value)
