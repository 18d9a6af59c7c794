"""Many runs of `Network(...)` + `Trainer(...).fit(...)`: a grid of settings, trained on worker
processes of this machine, on any concurrent.futures.Executor, or on a Dask cluster.

A sweep, top to bottom: sweep() expands the grid into runs and checks every run's settings by
building its Network and Trainer here, before any run starts; skips the runs already in the
results file; sends the data to each worker once (in the pool's initializer, or as one Dask
future that the cluster can recompute); runs each as one task, train_one, which builds the
network and trainer and fits on the worker's copy of the data; and appends a line to the
results file as each run finishes. Successive halving runs the same machinery rung by rung:
each rung's runs continue from the checkpoints (bytes) of the rung before, and a run's line is
written when it stops. Everything a run reports is a plain dict (a record), the same in
memory, in the file and in SweepResult.
"""

from .._validation import check_bool, check_int
from ..core import machine
from .data import SweepData
from .grid import build, canonical, expand, run_key
from .halving import check_halving, successive_halving
from .report import Reporter, describe
from .result import SweepResult
from .results import ResultsFile, latest, read_records
from .runners import runner_for


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

    Returns
    -------
    SweepResult
        Every run in the results file and of this sweep. Ctrl-C cancels the runs not started
        and returns what finished (SweepResult.interrupted). A run that raises (a diverging
        eta) is recorded with its error and the sweep goes on; a run whose worker dies is done
        again (on the local pool, a new pool), up to 3 attempts.
    """
    runs = expand(grid, fixed)
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
            raise type(error)(f"run {i} of the sweep ({describe(run)}): {error}") from None
    keys = [run_key(s) for s in settings]
    if len(set(keys)) < len(keys):
        raise ValueError("the grid holds the same run twice; every run must differ in a setting")
    data = SweepData(train_data, validation_data, test_data)
    if halving is not None:
        check_halving(settings, data)
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
        runner = runner_for(executor, data, workers)
        try:
            if halving is None:
                new, interrupted = runner.run(
                    [(k, s, None) for k, s in todo], threads, Reporter(len(todo), verbose, file)
                )
            else:
                new, interrupted = successive_halving(
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
