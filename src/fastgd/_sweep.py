"""Many runs of `Network(...)` + `Trainer(...).fit(...)`: a grid of settings, trained on worker
processes of this machine, on any concurrent.futures.Executor, or on a Dask cluster.

A sweep, top to bottom: sweep() expands the grid into runs and checks every run's settings by
building its Network and Trainer here, before any run starts; skips the runs already in the
results file; sends the data to each worker once (in the pool's initializer, or as one Dask
future that the cluster can recompute); runs each as one task, _train_one, which builds the
network and trainer and fits on the worker's copy of the data; and appends a line to the
results file as each run finishes. Successive halving runs the same machinery rung by rung:
each rung's runs continue from the checkpoints (bytes) of the rung before, and a run's line is
written when it stops. Everything a run reports is a plain dict (a record), the same in
memory, in the file and in SweepResult.
"""

import contextlib
import itertools
import json
import os
import signal
import socket
import threading
import time
import traceback
from concurrent.futures import FIRST_COMPLETED, Executor, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

import numpy as np

from ._results import ResultsFile, latest, read_records
from .training import settings as _settings

# A sweep's parameters are the settings of fastgd.training.settings that a run may set; seed
# seeds both the network's weights and the shuffling, as `fastgd train --seed` does.
NETWORK_PARAMETERS = tuple(s.name for s in _settings.NETWORK if not s.sweep)
TRAINER_PARAMETERS = tuple(s.name for s in _settings.TRAINER if not s.sweep and s.name != "seed")
PARAMETERS = NETWORK_PARAMETERS + ("seed",) + TRAINER_PARAMETERS
REQUIRED = tuple(s.name for s in _settings.SETTINGS if s.required)
# Settings a sweep sets itself or that would clash between runs, and why.
NOT_SWEPT = {s.name: s.sweep for s in _settings.SETTINGS if s.sweep} | {
    "network": "each run builds its Network from sizes, dtype, init and seed",
}
DATASETS = ("mnist",)
# A run whose worker dies this many times is recorded as failed instead of tried again.
MOST_ATTEMPTS = 3


class SweepError(RuntimeError):
    """A sweep that cannot go on for a reason outside its runs (its Dask cluster is gone)."""


# ---- the runs --------------------------------------------------------------------------------


def expand(grid, fixed=None):
    """The runs of grid (a dict from parameter to a list of values: every combination; or a
    list of dicts: exactly those) with the settings of fixed added to each: a list of dicts,
    each checked (names here, values by sweep)."""
    fixed = dict(fixed or {})
    if isinstance(grid, dict):
        for name, values in grid.items():
            if isinstance(values, (str, bytes)) or not hasattr(values, "__iter__"):
                raise ValueError(f"grid[{name!r}] must be a list of values, got {values!r}")
        names = list(grid)
        runs = [
            dict(zip(names, combination))
            for combination in itertools.product(*(list(grid[n]) for n in names))
        ]
    elif isinstance(grid, (list, tuple)):
        runs = []
        for i, run in enumerate(grid):
            if not isinstance(run, dict):
                raise ValueError(f"grid[{i}] must be a dict of settings, got {run!r}")
            runs.append(dict(run))
    else:
        raise ValueError(
            f"grid must be a dict of lists or a list of dicts, got {type(grid).__name__}"
        )
    if not runs:
        raise ValueError("the grid holds no runs")
    for run in runs:
        for name in set(run) & set(fixed):
            raise ValueError(f"{name!r} is both in the grid and fixed; give it in one place")
        run.update(fixed)
        _check_names(run)
    return runs


def _check_names(run):
    for name in run:
        if name in NOT_SWEPT:
            raise ValueError(f"{name!r} cannot be set for a sweep's runs: {NOT_SWEPT[name]}")
        if name not in PARAMETERS:
            raise ValueError(
                f"unknown parameter {name!r}; a sweep's parameters are {', '.join(PARAMETERS)}"
            )
    missing = [name for name in REQUIRED if name not in run]
    if missing:
        raise ValueError(
            f"every run needs {', '.join(REQUIRED)}; missing "
            f"{', '.join(missing)} (in the grid or as a keyword of sweep)"
        )


def _network_options(settings):
    """Network's keywords of a run's settings, its output layer the one the cost pairs with."""
    from . import costs

    options = {k: settings[k] for k in NETWORK_PARAMETERS if k in settings}
    options["output"] = costs.get(settings.get("cost", "quadratic")).output
    return options


def build(settings, threads, **trainer_options):
    """The Network and Trainer of a run's settings, on threads threads unless the settings name
    n_threads: exactly what a solo fit with these settings builds (trainer_options: what the
    sweep itself adds, a rung's checkpoint)."""
    from .network import Network
    from .training.trainer import Trainer

    seed = settings.get("seed")
    net = Network(seed=seed, **_network_options(settings))
    options = {k: settings[k] for k in TRAINER_PARAMETERS if k in settings}
    options.setdefault("n_threads", threads)
    return net, Trainer(net, seed=seed, verbose=0, **options, **trainer_options)


def canonical(settings, threads=1, networks=None):
    """The settings as plain JSON values, checked by building the run's Trainer (a bad value
    raises ValueError or TypeError naming it): what identifies the run in a results file.
    networks, a dict, keeps the Network built for each architecture (sizes, dtype, init) to
    check the runs that share it: a grid of many runs draws each architecture's weights once,
    not once per run."""
    from .network import Network
    from .training.trainer import Trainer

    architecture = _network_options(settings)
    key = repr(sorted(architecture.items()))
    net = networks.get(key) if networks is not None else None
    if net is None:
        # (The seed does not change what is checked: the trainer checks it below.)
        net = Network(seed=0, **architecture)
        if networks is not None:
            networks[key] = net
    options = {k: settings[k] for k in TRAINER_PARAMETERS if k in settings}
    options.setdefault("n_threads", threads)
    trainer = Trainer(net, seed=settings.get("seed"), verbose=0, **options)
    plain = {
        "sizes": list(net.sizes),
        "dtype": net.dtype.name,
        "init": net.init,
        "seed": trainer.seed,
    }
    if "activation" in settings:
        # (One name when every hidden layer has it: what a table of runs shows.)
        names = net.activation
        if not names:  # (no hidden layer: the name as checked)
            plain["activation"] = _settings.check("activation", settings["activation"])
        else:
            plain["activation"] = names[0] if len(set(names)) == 1 else list(names)
    for name in TRAINER_PARAMETERS:
        if name in settings:
            plain[name] = getattr(trainer, name)
    return plain


def run_key(settings):
    """The identity of a run: its canonical settings as one JSON text, without those at their
    defaults (fastgd.training.settings), so that a run that names a default is the run that
    leaves it out: records of an older version, which named fewer settings, still match."""
    plain = {k: v for k, v in settings.items() if not _at_default(k, v)}
    return json.dumps(plain, sort_keys=True)


def _at_default(name, value):
    setting = _settings.BY_NAME.get(name)
    if setting is None or setting.required:
        return False
    return json.dumps(value) == json.dumps(setting.default)


# ---- data on the workers ---------------------------------------------------------------------


class _Data:
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
        from .files.mnist import load_mnist

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


def _install(data):
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


def _pool_initializer(data):
    # Ctrl-C is the parent's to handle: it cancels what has not started and keeps what finished.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _install(data)


def _record(settings, threads, host, pid, **figures):
    """A run's record: its settings, its thread count, where it ran, fastgd's version, and
    figures."""
    from . import __version__

    return {
        "settings": settings,
        "threads": settings.get("n_threads", threads),
        "host": host,
        "pid": pid,
        "fastgd_version": __version__,
        **figures,
    }


def _train_one(settings, threads, data, rung=None):
    """One run, on a worker: the record of the run (or of the error it raised). rung, for
    successive halving, is (epochs, checkpoint): train to that many epochs, continuing from
    the checkpoint's bytes (None: from the start), and return the new checkpoint's bytes in
    the record's "checkpoint"."""
    started = time.perf_counter()
    record = _record(settings, threads, host=socket.gethostname(), pid=os.getpid())
    try:
        train, validation, test = _install(data)
        if rung is None:
            net, trainer = build(settings, threads)
            history = trainer.fit(*train, test_data=test, validation_data=validation)
        else:
            history, record["checkpoint"] = _train_rung(
                settings, threads, train, validation, test, *rung
            )
        if history.interrupted:
            raise KeyboardInterrupt
        record.update(_figures(history))
        record["history"] = history.to_dict()
        record["error"] = None
    except KeyboardInterrupt:
        raise
    except Exception as error:
        record["history"] = None
        record["error"] = f"{type(error).__name__}: {error}"
        record["traceback"] = traceback.format_exc(limit=-3)
    record["seconds"] = time.perf_counter() - started
    return record


def _train_rung(settings, threads, train, validation, test, epochs, checkpoint):
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


def _figures(history):
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


# ---- running ---------------------------------------------------------------------------------


def sweep(
    grid,
    train_data,
    *,
    test_data=None,
    validation_data=None,
    executor=None,
    results=None,
    workers=None,
    threads=1,
    halving=None,
    retry_failed=False,
    verbose=1,
    **fixed,
):
    """Train one network per run of grid and gather what each run measured.

    Parameters
    ----------
    grid : dict or list of dicts
        A dict from parameter name to a list of values (every combination is a run) or a list of
        dicts (exactly those runs). Parameters: the arguments of Network (sizes, dtype, init)
        and Trainer (eta, mini_batch_size, epochs, shuffle, reduction, cost, train_cost,
        train_accuracy, on_nonfinite, n_threads), and seed, which seeds both the weights and the
        shuffling (as `fastgd train --seed`). Each run is exactly Network(...) +
        Trainer(..., verbose=0).fit(...): its History equals a solo fit's.
    train_data : (X, y) or "mnist"
        The training data; "mnist" has each worker load MNIST itself (load_mnist(dtype="uint8"):
        its $FASTGD_DATA or cache, downloading if need be, verified).
    test_data, validation_data : (X, y), "mnist" (with train_data="mnist") or None
        Evaluated after every epoch. validation_data="mnist" keeps the last 10,000 training
        images apart, as the book does (50,000 train).
    executor : None, a concurrent.futures.Executor, or a distributed.Client
        None: `workers` worker processes on this machine (default: as many as CPUs), each given
        the data once, when it starts (while they live, this process's BLAS is held at one
        thread: they are forked from it). A Dask Client runs the runs on its cluster; the data goes
        to the cluster once, as a task the scheduler can compute again if the worker holding it
        is lost. Another Executor gets the data with every run (name a data set instead to have
        its workers load it).
    results : path or None
        A JSON-lines file: one line per finished run (its settings, History, best and final
        accuracies, seconds, host, fastgd's version, or the error it raised), appended and
        synced as each finishes. A sweep started again with the same file skips the runs it
        holds (see retry_failed). One sweep writes to a file at a time: a second is refused
        while the first runs. The file is checked whole before any run starts: a line that is
        not a record of a run is an error naming it, and nothing is ever cut from the file but
        the torn last line of a sweep that crashed in mid-write.
    threads : int
        Threads of each run (the core's and BLAS's), unless the run names n_threads: one, so
        that runs on as many workers as cores do not oversubscribe them.
    halving : int or None
        Successive halving by this factor (2 or more): every run trains a few epochs, the best
        1/halving of them (by best validation accuracy so far, else test accuracy) train
        further, and so on until the last few reach `epochs` (the same for every run). The
        rungs' epochs grow by the factor: with 40 runs, epochs=30 and halving=3, 40 runs
        train 1 epoch, 14 of them 3, 5 of them 10 and 2 of them 30. Each run continues from
        its own checkpoint, so a run's History equals the solo fit's first epochs; its record's
        "halving" says the rung and epoch it stopped at. A run is written to the results file
        when it stops; started again, the sweep trains again (to the same bits) only the runs
        not in the file.
    retry_failed : bool
        Train again the runs that the results file records as failed (a diverging eta, a
        worker that died, an executor that broke); their new records follow the old ones, and
        the last record of a run is the one that counts. By default they are skipped like the
        runs that finished.
    verbose : int
        0 silent; 1 a line per finished run (and a progress bar over runs on a terminal).
    **fixed
        Settings every run shares (any parameter above).

    Returns a SweepResult of every run in the results file and of this sweep. Ctrl-C cancels the
    runs not started and returns what finished (SweepResult.interrupted). A run that raises (a
    diverging eta) is recorded with its error and the sweep goes on; a run whose worker dies is
    done again (on the local pool, a new pool), up to 3 attempts.
    """
    runs = expand(grid, fixed)
    from ._validation import check_bool, check_int
    from .core import machine

    threads = check_int(threads, "threads", 1, machine.MAX_THREADS)
    retry_failed = check_bool(retry_failed, "retry_failed")
    if halving is not None:
        halving = check_int(halving, "halving", 2, 1 << 20)
    if verbose and len(runs) >= 10000:
        # (About 40 us a run: a minute for a million.)
        print(f"checking the settings of {len(runs):,} runs", flush=True)
    settings, networks = [], {}
    for i, run in enumerate(runs):
        try:
            settings.append(canonical(run, threads, networks))
        except (ValueError, TypeError) as error:
            raise type(error)(f"run {i} of the sweep ({_describe(run)}): {error}") from None
    keys = [run_key(s) for s in settings]
    if len(set(keys)) < len(keys):
        raise ValueError("the grid holds the same run twice; every run must differ in a setting")
    data = _Data(train_data, validation_data, test_data)
    if halving is not None:
        _check_halving(settings, data)
    if not data.named:
        _check_data(data, settings, threads)
    file = ResultsFile(results) if results is not None else None
    try:
        # The runs the file settles: all it holds, or those that did not fail.
        on_file = latest(file.records) if file else []
        settled = [r for r in on_file if not (retry_failed and r.get("error"))]
        done = {run_key(r["settings"]) for r in settled}
        todo = [(k, s) for k, s in zip(keys, settings) if k not in done]
        if verbose and done & set(keys):
            ours = set(keys)
            failed = [r for r in settled if r.get("error") and run_key(r["settings"]) in ours]
            retry = (
                f" ({len(failed)} of them failed: retry_failed=True, or --retry-failed, trains "
                f"them again)"
                if failed
                else ""
            )
            print(
                f"{len(settings) - len(todo)} of {len(settings)} runs already in {results}{retry}",
                flush=True,
            )
        runner = _runner(executor, data, workers)
        try:
            if halving is None:
                new, interrupted = runner.run(
                    [(k, s, None) for k, s in todo], threads, _Reporter(len(todo), verbose, file)
                )
            else:
                new, interrupted = _successive_halving(
                    runner,
                    list(zip(keys, settings)),
                    settled,
                    threads,
                    halving,
                    verbose,
                    file,
                )
        finally:
            runner.close()
    finally:
        if file is not None:
            file.close()
    if file is None:
        return SweepResult(new, interrupted=interrupted)
    # The file is the record of what finished: read back, it agrees with itself even when
    # Ctrl-C came between a run's line and the list of this sweep's runs.
    wanted = set(keys)
    records = [r for r in latest(read_records(file.path)) if run_key(r["settings"]) in wanted]
    return SweepResult(records, interrupted=interrupted)


def _check_data(data, settings, threads):
    """Check the arrays against every kind of run, here, before any run starts: fit's own checks
    (shapes, labels, targets the cost accepts, values), once per input width, output width,
    dtype and cost."""
    train, validation, test = data.parts
    seen = set()
    for run in settings:
        kind = (run["sizes"][0], run["sizes"][-1], run["dtype"], run.get("cost"))
        if kind in seen:
            continue
        seen.add(kind)
        _, trainer = build(run, threads)
        try:
            trainer._prepare(*train, test, validation, ())
        except (ValueError, TypeError) as error:
            raise type(error)(
                f"the data does not suit the runs with sizes={run['sizes']}, "
                f"dtype={run['dtype']!r}: {error}"
            ) from None


def _check_halving(settings, data):
    epochs = {run["epochs"] for run in settings}
    if len(epochs) > 1:
        raise ValueError(
            f"halving needs the same epochs for every run (the last rung's), got {sorted(epochs)}"
        )
    if min(epochs) < 1:
        raise ValueError("halving needs epochs of at least 1: its rungs train 1 epoch or more")
    if data.named:
        scored = data.parts[1] or data.parts[2]
    else:
        scored = data.parts[1] is not None or data.parts[2] is not None
    if not scored:
        raise ValueError(
            "halving keeps the runs with the best validation accuracy (else test "
            "accuracy): give validation_data or test_data"
        )


def rungs(runs, factor, epochs):
    """The epochs of each rung of successive halving: as many rungs as the runs can be divided
    by factor (and the epochs allow), growing by factor, the last one epochs."""
    count = 1
    while factor**count <= runs:
        count += 1
    budgets = sorted({max(1, epochs // factor ** (count - 1 - k)) for k in range(count)})
    return budgets


def _score(record, epochs):
    """A run's merit after epochs: its best validation accuracy over them, else its best test
    accuracy; a failed run is last."""
    history = record.get("history")
    if record.get("error") or not history:
        return float("-inf")
    for part in ("validation_accuracy", "test_accuracy"):
        if history.get(part):
            return max(history[part][:epochs])
    return float("-inf")


def _successive_halving(runner, runs, done, threads, factor, verbose, file):
    """Successive halving over runs, a list of (key, settings) in the grid's order; done holds
    the records already in the results file (those runs are not trained again: their History
    gives their merit at every rung they reached). Returns this sweep's new records and
    whether Ctrl-C stopped it."""
    epochs = runs[0][1]["epochs"]
    budgets = rungs(len(runs), factor, epochs)
    done = {run_key(r["settings"]): r for r in done}
    alive, checkpoints, seconds, new = list(runs), {}, {}, []
    for rung, budget in enumerate(budgets):
        todo = [
            (key, s, (budget, checkpoints.pop(key, None))) for key, s in alive if key not in done
        ]
        reporter = _Reporter(
            len(todo), verbose, None, label=f"rung {rung + 1}/{len(budgets)}, {budget} epochs: "
        )
        records, interrupted = runner.run(todo, threads, reporter)
        if interrupted:
            return new, True
        current = {key: done[key] for key, _ in alive if key in done}
        for record in records:
            key = run_key(record["settings"])
            checkpoints[key] = record.pop("checkpoint", None)
            if record["seconds"] is not None:
                # A run's seconds: all its rungs'.
                seconds[key] = record["seconds"] = seconds.get(key, 0.0) + record["seconds"]
            current[key] = record
        # The best 1/factor go on (ties: the grid's order); the last rung's all stop.
        ranked = sorted(alive, key=lambda run: -_score(current[run[0]], budget))
        going_on = ranked[: -(-len(alive) // factor)] if rung + 1 < len(budgets) else []
        staying = {key for key, _ in going_on}
        for key, _ in alive:
            if key in staying or key in done:
                continue
            checkpoints.pop(key, None)
            record = current[key]
            record["halving"] = {
                "factor": factor,
                "rung": rung + 1,
                "rungs": len(budgets),
                "stopped_at_epoch": budget,
                "epochs": epochs,
            }
            if file is not None:
                file.append(record)
            new.append(record)
        alive = going_on
    return new, False


def _describe(run):
    return ", ".join(f"{k}={v!r}" for k, v in run.items())


class _Reporter:
    """Writes each finished record to the file, a line per run at verbose=1, and moves a bar."""

    def __init__(self, total, verbose, file, label=""):
        self.total, self.verbose, self.file, self.label = total, verbose, file, label
        self.count = 0
        self.bar = None
        if verbose and total:
            from .training.progress import interactive_bar

            self.bar = interactive_bar(total, desc="runs", unit="run")

    def finished(self, record):
        self.count += 1
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


def client_for(address):
    """A distributed.Client connected to the Dask scheduler at address, or an ImportError that
    names the extra to install."""
    try:
        import distributed
    except ImportError:
        raise ImportError(
            "running on a Dask cluster needs distributed: pip install "
            '"fastgd[dask]" (or pip install distributed)'
        ) from None
    try:
        return distributed.Client(address, timeout=30)
    except (OSError, TimeoutError) as error:
        raise OSError(f"could not reach the Dask scheduler at {address}: {error}") from None


def _runner(executor, data, workers):
    if executor is None:
        return _LocalPool(data, workers)
    if _is_dask_client(executor):
        return _DaskRunner(executor, data)
    if isinstance(executor, Executor):
        return _ExecutorRunner(executor, data)
    raise TypeError(
        f"executor must be None, a concurrent.futures.Executor or a "
        f"distributed.Client, got {type(executor).__name__}"
    )


def _is_dask_client(executor):
    return (
        type(executor).__module__.split(".")[0] == "distributed"
        and hasattr(executor, "scatter")
        and hasattr(executor, "submit")
    )


class _FutureRunner:
    """Submits runs, writes each record as its future finishes; subclasses say how a run is
    submitted and what a lost worker looks like."""

    def run(self, todo, threads, reporter):
        """Runs todo, a list of (key, settings, rung) (rung: None, or a rung's (epochs,
        checkpoint)): the records of the runs that finished, and whether Ctrl-C stopped it.
        The runner stays open for more: close() it when done."""
        records = []
        attempts = {}
        pending = {}
        queue = list(todo)
        try:
            while queue or pending:
                while queue:
                    key, settings, rung = item = queue.pop(0)
                    attempts[key] = attempts.get(key, 0) + 1
                    try:
                        pending[self.submit(settings, threads, rung)] = item
                    except Exception as error:
                        # (An executor of the caller's that broke, or was shut down: its
                        # runs are recorded as failed, to be tried again with retry_failed.)
                        self.check_alive(error)
                        record = self.failed(settings, threads, error, attempts[key])
                        records.append(record)
                        reporter.finished(record)
                if not pending:
                    break
                finished = self.wait_first(list(pending))
                lost = []
                for future in finished:
                    key, settings, rung = item = pending.pop(future)
                    try:
                        record = future.result()
                    except Exception as error:
                        self.check_alive(error)
                        if self.worker_lost(error) and attempts[key] < MOST_ATTEMPTS:
                            lost.append(item)
                            continue
                        record = self.failed(settings, threads, error, attempts[key])
                    records.append(record)
                    reporter.finished(record)
                if lost:
                    queue.extend(lost)
                    self.recover(pending, queue)
        except KeyboardInterrupt:
            self.cancel(pending)
            return records, True
        finally:
            reporter.close()
        return records, False

    def wait_first(self, futures):
        """The futures that are done, once one is."""
        return wait(futures, return_when=FIRST_COMPLETED).done

    def check_alive(self, error):
        """Raise SweepError when error says that no run can be done any more (by default,
        nothing does)."""

    def failed(self, settings, threads, error, attempts):
        """The record of a run that raised error outside the run itself."""
        return _failed(settings, threads, f"{type(error).__name__}: {error}")

    def recover(self, pending, queue):
        """After a lost worker: the pool is usable again (nothing to do by default)."""

    def cancel(self, pending):
        for future in pending:
            future.cancel()

    def close(self):
        pass


def _failed(settings, threads, message):
    """The record of a run that its worker could not complete, and why."""
    return _record(
        settings, threads, host=None, pid=None, history=None, error=message, seconds=None
    )


class _LocalPool(_FutureRunner):
    """Worker processes of this machine, each started with the data (a new pool after one
    dies: concurrent.futures breaks the whole pool when a worker is killed)."""

    def __init__(self, data, workers):
        from ._validation import check_int
        from .core import machine

        if workers is None:
            workers = machine.cpus()
        self.workers = check_int(workers, "workers", 1, machine.MAX_THREADS)
        self.data = data
        # BLAS is held at one thread in this process while the pool lives (its workers fork
        # whenever it starts or replaces them). A worker forked so, whose runs use one thread,
        # never sets BLAS's count; setting it in a forked child (or here, back after a fork)
        # starts OpenBLAS's thread, which spins for about 0.1 s on a CPU the workers need.
        from .core.policy import blas_threads

        self.held = contextlib.ExitStack()
        self.held.enter_context(blas_threads(1))
        try:
            self.pool = self._new_pool()
        except BaseException:
            self.held.close()
            raise

    def _new_pool(self):
        import multiprocessing

        # fork where there is one: the workers inherit the data without a copy through pickle,
        # and a script need not guard its top level with `if __name__ == "__main__"` (spawn
        # and forkserver import the main module again in every worker). The core's thread
        # pool is made anew in a forked child.
        methods = multiprocessing.get_all_start_methods()
        context = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
        return ProcessPoolExecutor(
            self.workers, mp_context=context, initializer=_pool_initializer, initargs=(self.data,)
        )

    def submit(self, settings, threads, rung=None):
        # The workers hold the data from their start: a run sends only its token.
        return self.pool.submit(_train_one, settings, threads, self.data.token, rung)

    def worker_lost(self, error):
        return isinstance(error, BrokenProcessPool)

    def failed(self, settings, threads, error, attempts):
        if isinstance(error, BrokenProcessPool):
            times = "once" if attempts == 1 else f"on each of {attempts} attempts"
            return _failed(settings, threads, f"the worker running this run died {times} ({error})")
        return super().failed(settings, threads, error, attempts)

    def recover(self, pending, queue):
        # Every run still pending on the broken pool is lost with it: submit them again.
        queue.extend(pending.values())
        pending.clear()
        self.pool.shutdown(wait=False, cancel_futures=True)
        self.pool = self._new_pool()

    def cancel(self, pending):
        # Runs in progress are stopped, not waited for: their workers are terminated (the pool
        # forgets its processes on shutdown, so they are taken first).
        # The pool's own dict, not a copy: its manager thread forks a replacement for a worker
        # that exits on the shutdown sentinel, after any copy was taken. Terminate, wait for
        # the manager thread to end, then terminate whatever the dict holds then.
        processes = getattr(self.pool, "_processes", None) or {}
        manager = getattr(self.pool, "_executor_manager_thread", None)
        self.pool.shutdown(wait=False, cancel_futures=True)
        for _ in range(2):
            for process in list(processes.values()):
                process.terminate()
            if manager is not None:
                manager.join(10)
            for process in list(processes.values()):
                process.join(10)

    def close(self):
        try:
            self.pool.shutdown(wait=True, cancel_futures=True)
        finally:
            self.held.close()


class _ExecutorRunner(_FutureRunner):
    """An Executor of the caller's: the data goes with every run."""

    def __init__(self, executor, data):
        self.executor, self.data = executor, data

    def submit(self, settings, threads, rung=None):
        return self.executor.submit(_train_one, settings, threads, self.data, rung)

    def worker_lost(self, error):
        # The caller's pool cannot be replaced here: once a worker dies, a ProcessPoolExecutor
        # fails every run it holds and refuses new ones; they are recorded as failed.
        return False

    def failed(self, settings, threads, error, attempts):
        if isinstance(error, BrokenProcessPool):
            return _failed(
                settings,
                threads,
                f"the executor's process pool broke before this run finished (a worker died: "
                f"{error}); sweep again on a working executor with retry_failed=True to train it",
            )
        if isinstance(error, RuntimeError) and "shutdown" in str(error):
            return _failed(
                settings,
                threads,
                f"the executor was shut down before this run started ({error}); sweep again "
                f"with retry_failed=True to train it",
            )
        return super().failed(settings, threads, error, attempts)


class _DaskRunner(_FutureRunner):
    """A distributed.Client: the data is one task of the graph (recomputed by the scheduler if
    the worker holding it dies); each run depends on it, so a worker receives it once."""

    def __init__(self, client, data):
        self.client = client
        self.data = data
        self.data_future = None
        if not data.named:
            import warnings

            with warnings.catch_warnings():
                # Dask suggests scatter for large arguments; but scattered data is lost with the
                # worker that holds it, and a task's arguments can be computed again.
                warnings.filterwarnings("ignore", message="Sending large graph")
                self.data_future = client.submit(
                    _identity, data, pure=False, key=f"fastgd-sweep-data-{data.token}"
                )

    def wait_first(self, futures):
        import distributed

        try:
            return distributed.wait(futures, return_when="FIRST_COMPLETED").done
        except Exception as error:
            self.check_alive(error)
            raise

    def submit(self, settings, threads, rung=None):
        data = self.data if self.data_future is None else self.data_future
        return self.client.submit(_train_one, settings, threads, data, rung, pure=False)

    def worker_lost(self, error):
        return False  # the scheduler has already retried the run on other workers

    def failed(self, settings, threads, error, attempts):
        if type(error).__name__ == "KilledWorker":
            # (Dask's message says on how many workers it tried the run.)
            return _failed(settings, threads, f"Dask gave up on this run: {error}")
        return super().failed(settings, threads, error, attempts)

    def check_alive(self, error):
        import concurrent.futures

        if isinstance(error, concurrent.futures.CancelledError) or type(error).__name__ in (
            "FuturesCancelledError",
            "FutureCancelledError",
            "CommClosedError",
        ):
            # (Dask's message lists every future: its "Message:" line says why.)
            lines = str(error).splitlines() or [""]
            reason = next((line for line in lines if line.startswith("Message:")), lines[0])
            raise SweepError(
                f"the Dask cluster dropped the sweep's runs ({type(error).__name__}: "
                f"{reason.removeprefix('Message: ')}); was the scheduler stopped? The runs "
                f"that finished are kept (in the results file, if any: start the sweep again "
                f"to go on)"
            ) from None

    def close(self):
        if self.data_future is not None:
            self.data_future.release()


def _identity(x):
    return x


# ---- results ---------------------------------------------------------------------------------


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
        from ._plot import sweep_figure

        return sweep_figure(self, path)

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
            cells = [", ".join(f"{k}={_show(_value(setting, k))}" for k in varying) or "(all)"]
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


def _value(setting, name):
    """A setting's value in a run's settings, its default when the run leaves it out."""
    if name in setting:
        return setting[name]
    known = _settings.BY_NAME.get(name)
    return known.default if known is not None and not known.required else "-"


def varying_keys(settings):
    """The settings' keys whose values differ between the rows (all keys if one row)."""
    keys = sorted({k for s in settings for k in s})
    differ = [k for k in keys if len({json.dumps(_value(s, k)) for s in settings}) > 1]
    return differ or keys


def _show(value):
    if isinstance(value, list):
        return ",".join(map(str, value))
    return str(value)
