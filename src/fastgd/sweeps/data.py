"""The data of a sweep as it travels to the workers, and what a worker does with it: install it
once, train a run on it, and report the run as a record."""

import contextlib
import json
import os
import signal
import socket
import threading
import time
import traceback
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np

from .. import __version__
from ..files.mnist import load_mnist
from .grid import build

DATASETS = ("mnist",)


class SweepData:
    """The data of a sweep as it travels: arrays, or the name of a data set that each worker
    loads itself. materialize() gives ((X, y), validation or None, test or None)."""

    def __init__(self, train, validation, test):
        self.named = isinstance(train, str)
        if self.named:
            if train not in DATASETS:
                raise ValueError(
                    f"train_data names an unknown data set {train!r}; known: {', '.join(DATASETS)}"
                )
            for name, value in (("validation_data", validation), ("test_data", test)):
                if value is not None and value != train:
                    raise ValueError(
                        f"{name} must be None or {train!r} with train_data={train!r}, got {value!r}"
                    )
            self.parts = (train, validation is not None, test is not None)
        else:
            self.parts = tuple(
                _pair(data, name)
                for data, name in (
                    (train, "train_data"),
                    (validation, "validation_data"),
                    (test, "test_data"),
                )
            )
            if self.parts[0] is None:
                raise ValueError("train_data is needed: a pair (X, y) or a data set's name")
        self.token = _token(self)

    def materialize(self):
        if not self.named:
            return self.parts
        _, with_validation, with_test = self.parts
        parts = load_mnist(dtype="uint8", validation_size=10000 if with_validation else 0)
        return (parts[0], parts[1] if with_validation else None, parts[-1] if with_test else None)

    @property
    def nbytes(self):
        if self.named:
            return 0
        return sum(a.nbytes for part in self.parts if part is not None for a in part)

    def __sizeof__(self):
        # What Dask counts for a worker's memory and for its transfers (it asks sys.getsizeof).
        return object.__sizeof__(self) + self.nbytes


def _pair(data, name):
    if data is None:
        return None
    if isinstance(data, str):
        raise ValueError(
            f"{name} names a data set ({data!r}): name it in train_data too, or "
            f"give every part as a pair (X, y)"
        )
    try:
        X, y = data
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a pair (X, y)") from None
    return np.asarray(X), np.asarray(y)


def _token(data):
    """A name for the data, the same in every process."""
    if data.named:
        return "named:" + json.dumps(data.parts)
    return f"arrays:{os.getpid()}:{id(data)}:{time.time_ns()}"


# The data of this worker process, by token: each worker holds the data of its sweeps once
# (a worker with several threads, of Dask or of a ThreadPoolExecutor, loads it once too).
_WORKER_DATA: dict[str, object] = {}
_WORKER_DATA_LOCK = threading.Lock()


def install(data):
    """The parts of data, kept in this worker process (by a pool's initializer, or on first
    use). data may be the token of data a pool's initializer installed."""
    with _WORKER_DATA_LOCK:
        if isinstance(data, str):
            try:
                return _WORKER_DATA[data]
            except KeyError:
                raise RuntimeError(
                    "this worker process was not started with the sweep's data"
                ) from None
        if data.token not in _WORKER_DATA:
            _WORKER_DATA.clear()  # one sweep's data at a time
            _WORKER_DATA[data.token] = data.materialize()
        return _WORKER_DATA[data.token]


def pool_initializer(data):
    # Ctrl-C is the parent's to handle: it cancels what has not started and keeps what finished.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    install(data)


def make_record(settings, threads, host, pid, **figures):
    """A run's record: its settings, its thread count, where it ran, fastgd's version, and
    figures."""
    return {
        "settings": settings,
        "threads": settings.get("n_threads", threads),
        "host": host,
        "pid": pid,
        "fastgd_version": __version__,
        **figures,
    }


def train_one(settings, threads, data, rung=None):
    """One run, on a worker: the record of the run (or of the error it raised). rung, for
    successive halving, is (epochs, checkpoint): train to that many epochs, continuing from
    the checkpoint's bytes (None: from the start), and return the new checkpoint's bytes in
    the record's "checkpoint"."""
    started = time.perf_counter()
    record = make_record(settings, threads, host=socket.gethostname(), pid=os.getpid())
    # The run's warnings (a stuck network's) go back in its record, to be shown where the sweep
    # runs, naming the run: a worker's own stderr is another process's, on Dask another
    # machine's log.
    with _collecting() as caught:
        _train(record, settings, threads, data, rung)
    record["warnings"] = _distinct(caught)
    record["seconds"] = time.perf_counter() - started
    return record


# Warnings are collected per thread: runs may train side by side in one process (a
# ThreadPoolExecutor, a Dask worker's threads), and warnings.catch_warnings, which swaps the
# process's warning state in and out, would lose or mix their warnings.
_collector = threading.local()
_hook_lock = threading.Lock()
_hooked: list[Callable[..., None]] = []


def _hook():
    """warnings.showwarning hands a warning to the collecting thread's list, and to whatever
    showed them before in every other thread (hooked again if something replaced the hook)."""
    with _hook_lock:
        if _hooked and warnings.showwarning is _hooked[-1]:
            return
        shown = warnings.showwarning

        def show(message, category, filename, lineno, file=None, line=None):
            collected = getattr(_collector, "lines", None)
            if collected is None:
                shown(message, category, filename, lineno, file, line)
            else:
                collected.append(f"{category.__name__}: {message}")

        warnings.showwarning = show
        _hooked.append(show)


@contextlib.contextmanager
def _collecting():
    _hook()
    _collector.lines = lines = []
    try:
        yield lines
    finally:
        _collector.lines = None


def _distinct(lines, at_most=5):
    """The distinct lines "Category: message" of a run's warnings, the first at_most."""
    return list(dict.fromkeys(lines))[:at_most]


def _train(record, settings, threads, data, rung):
    try:
        train, validation, test = install(data)
        if rung is None:
            net, trainer = build(settings, threads)
            history = trainer.fit(*train, test_data=test, validation_data=validation)
        else:
            history, record["checkpoint"] = train_rung(
                settings, threads, train, validation, test, *rung
            )
        if history.interrupted:
            raise KeyboardInterrupt
        record.update(figures_of(history))
        record["history"] = history.to_dict()
        record["error"] = None
    except KeyboardInterrupt:
        raise
    except Exception as error:
        record["history"] = None
        record["error"] = f"{type(error).__name__}: {error}"
        record["traceback"] = traceback.format_exc(limit=-3)


def train_rung(settings, threads, train, validation, test, epochs, checkpoint):
    """A run trained to epochs, from the start or from a checkpoint's bytes: its History and
    the bytes of its checkpoint after those epochs (Trainer's own checkpoints: resuming one
    continues the run bit for bit)."""
    import tempfile

    with tempfile.TemporaryDirectory(prefix="fastgd-rung-") as folder:
        before, after = Path(folder, "before.npz"), Path(folder, "after.npz")
        if checkpoint is not None:
            before.write_bytes(checkpoint)
        # Written when the last epoch ends: no multiple of epochs lies between the
        # checkpoint's epoch count (a smaller rung's) and epochs.
        _, trainer = build(
            dict(settings, epochs=epochs), threads, checkpoint_every=epochs, checkpoint_path=after
        )
        history = trainer.fit(
            *train,
            test_data=test,
            validation_data=validation,
            resume=before if checkpoint is not None else None,
        )
        return history, (after.read_bytes() if after.exists() else None)


def figures_of(history):
    """Best and final accuracies of a History (None where it has no such data), and the test
    accuracy at the epoch of the best validation accuracy (the figure that does not choose
    the epoch by the test data)."""
    figures = {}
    for part in ("test", "validation"):
        values = getattr(history, f"{part}_accuracy")
        figures[f"best_{part}_accuracy"] = max(values) if values else None
        figures[f"final_{part}_accuracy"] = values[-1] if values else None
    test, validation = history.test_accuracy, history.validation_accuracy
    figures["test_accuracy_at_best_validation"] = (
        test[int(np.argmax(validation))] if test and validation else None
    )
    return figures
