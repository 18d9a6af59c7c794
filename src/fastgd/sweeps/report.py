"""What a sweep shows as runs finish: a line per run, a progress bar over runs."""

import warnings

from ..training.progress import interactive_bar


def describe(run):
    return ", ".join(f"{k}={v!r}" for k, v in run.items())


class Reporter:
    """Writes each finished record to the file, a line per run at verbose=1, and moves a bar."""

    def __init__(self, total, verbose, file, label=""):
        self.total, self.verbose, self.file, self.label = total, verbose, file, label
        self.count = 0
        self.bar = None
        if verbose and total:
            self.bar = interactive_bar(total, desc="runs", unit="run")

    def finished(self, record):
        self.count += 1
        show_warnings(record)
        if self.file is not None:
            self.file.append(record)
        if self.verbose:
            line = f"{self.label}run {self.count}/{self.total}: {_short(record)}"
            if self.bar is not None:
                self.bar.write(line)
            else:
                print(line, flush=True)
        if self.bar is not None:
            self.bar.update(1)

    def close(self):
        if self.bar is not None:
            self.bar.close()


def _short(record):
    s = record["settings"]
    shown = ", ".join(
        f"{k}={v}"
        for k, v in s.items()
        if k in ("sizes", "eta", "cost", "init", "mini_batch_size", "seed")
    )
    if record.get("error"):
        return f"{shown}: failed, {record['error']}"
    figures = []
    for part in ("validation", "test"):
        if record.get(f"best_{part}_accuracy") is not None:
            figures.append(
                f"{part} best {record[f'best_{part}_accuracy']:.2%}, final "
                f"{record[f'final_{part}_accuracy']:.2%}"
            )
    return f"{shown}: {'; '.join(figures) or 'done'} ({record['seconds']:.2f} s, {record['host']})"


def _category(name):
    from ..training.diagnosis import SaturationWarning

    known = {"SaturationWarning": SaturationWarning, "RuntimeWarning": RuntimeWarning}
    return known.get(name, UserWarning)


def show_warnings(record):
    """The warnings a run's record carries, warned here with the run's settings."""
    for line in record.get("warnings") or ():
        name, _, message = line.partition(": ")
        warnings.warn(
            f"run {describe(record['settings'])}: {message}", _category(name), stacklevel=2
        )
