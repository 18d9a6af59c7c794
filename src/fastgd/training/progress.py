"""What a fit prints: one line per epoch, and a progress bar over its mini-batches."""

import sys
import time


def epoch_line(logs, n_test=None):
    """The book's "Epoch j: k / n" (n_test test samples; "Epoch j complete" without test data),
    then the validation accuracy, the training cost and the epoch's seconds."""
    epoch = logs["epoch"]
    head = (
        f"Epoch {epoch}: {logs['test_correct']} / {n_test}"
        if "test_correct" in logs
        else f"Epoch {epoch} complete"
    )
    validation = (
        f", validation {logs['validation_accuracy']:.2%}" if "validation_accuracy" in logs else ""
    )
    return f"{head}{validation}, train cost {logs['train_cost']:.4f}, {logs['seconds']:.3f} s"


def in_notebook():
    """Whether this process is a Jupyter kernel (IPython's ZMQ shell is running)."""
    ipython = sys.modules.get("IPython")
    if ipython is None:
        return False
    try:
        shell = ipython.get_ipython()
    except AttributeError:
        return False
    return shell is not None and type(shell).__name__ == "ZMQInteractiveShell"


def interactive_bar(total, plain=None, **options):
    """A tqdm bar where someone watches: on a terminal tqdm's text bar, in a Jupyter notebook
    tqdm.auto's widget (or text where ipywidgets is missing). Where tqdm is not installed,
    plain() (a bar of the caller's own) when given; None where nobody watches (stderr
    redirected, no notebook) or there is no bar to show."""
    notebook = in_notebook()
    if not notebook and not (hasattr(sys.stderr, "isatty") and sys.stderr.isatty()):
        return None
    try:
        if notebook:
            from tqdm.auto import tqdm
        else:
            from tqdm import tqdm
    except ImportError:
        return plain() if plain is not None else None
    return tqdm(total=total, **options)


def progress_bar(epoch, total):
    """A progress bar over the total mini-batches of an epoch on a terminal or in a notebook
    (tqdm if installed, else a line of text redrawn in place), or None when nobody watches."""
    return interactive_bar(
        total,
        plain=lambda: _PlainBar(epoch, total),
        desc=f"Epoch {epoch}",
        unit="batch",
        leave=False,
    )


class _PlainBar:
    """A minimal progress bar for when tqdm is not installed: redrawn at most once every
    `every` seconds (a notebook keeps every redraw as an output chunk: a 30-epoch fit drew 181),
    and not at all in an epoch shorter than that."""

    every = 1.0

    def __init__(self, epoch, total, clock=time.monotonic):
        self.epoch, self.total, self.done = epoch, total, 0
        self.clock = clock
        self.last = clock()
        self.drawn = False

    def update(self, n):
        self.done += n
        now = self.clock()
        if now - self.last < self.every:
            return
        self.last, self.drawn = now, True
        width = 30
        filled = width * self.done // self.total
        sys.stderr.write(
            f"\rEpoch {self.epoch} [{'#' * filled}{'.' * (width - filled)}] "
            f"{self.done}/{self.total}"
        )
        sys.stderr.flush()

    def close(self):
        if self.drawn:
            sys.stderr.write("\r" + " " * 60 + "\r")
            sys.stderr.flush()
