"""fastgd.sweep: many runs on worker processes, a caller's executor or a Dask cluster."""

import json
import multiprocessing
import os
import pickle
import signal
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

import fastgd
from fastgd.sweeps import data as sweep_data
from fastgd.sweeps import results as results_file
from fastgd.sweeps import runners
from fastgd.sweeps.grid import canonical, run_key
from fastgd.sweeps.halving import rungs

from conftest import make_data

SIZES = [20, 8, 3]
FIXED = dict(sizes=SIZES, mini_batch_size=10, epochs=3)


@pytest.fixture(scope="module")
def data():
    X, labels, _ = make_data(600, SIZES, seed=1)
    X_test, labels_test, _ = make_data(200, SIZES, seed=2)
    return (X, labels), (X_test, labels_test)


def solo(settings, train, test, n_threads=1, validation=None):
    """The History of the run's settings trained alone, in this process."""
    net = fastgd.Network(
        settings["sizes"],
        seed=settings.get("seed"),
        dtype=settings.get("dtype", "float64"),
        init=settings.get("init", "normal"),
    )
    options = {k: v for k, v in settings.items() if k not in ("sizes", "seed", "dtype", "init")}
    return fastgd.Trainer(
        net, seed=settings.get("seed"), verbose=0, n_threads=n_threads, **options
    ).fit(*train, test_data=test, validation_data=validation)


def same_history(record, history):
    expected = history.to_dict()
    got = dict(record["history"])
    del expected["seconds"], got["seconds"]
    assert got == expected  # every figure, bit for bit (JSON keeps a float's 17 digits)


class CountingExecutor(ThreadPoolExecutor):
    """A thread pool that counts the runs submitted to it."""

    def __init__(self):
        super().__init__(2)
        self.submitted = 0

    def submit(self, *args, **kwargs):
        self.submitted += 1
        return super().submit(*args, **kwargs)


def test_every_run_equals_a_solo_fit_on_local_worker_processes(data):
    train, test = data
    result = fastgd.sweep(
        {"eta": [0.5, 3.0], "seed": [0, 1], "dtype": ["float64", "float32"]},
        train,
        test_data=test,
        workers=2,
        verbose=0,
        **FIXED,
    )
    assert len(result.records) == 8 and not result.failed
    pids = set()
    for record in result.records:
        same_history(record, solo(record["settings"], train, test))
        assert record["error"] is None and record["threads"] == 1
        assert record["fastgd_version"] == fastgd.__version__ and record["host"]
        assert record["best_test_accuracy"] == max(record["history"]["test_accuracy"])
        assert record["final_test_accuracy"] == record["history"]["test_accuracy"][-1]
        pids.add(record["pid"])
    assert os.getpid() not in pids and 1 <= len(pids) <= 2


def test_local_workers_hold_the_data_and_a_run_sends_only_its_settings(data):
    """The pool's workers get the data when they start; what a run sends is small, however
    large the data (not the arrays again with every run)."""
    swept = sweep_data.SweepData(*data, None)
    pool = runners._LocalPool(swept, 1)
    sent = []
    submit = pool.pool.submit
    pool.pool.submit = lambda *args: sent.append(len(pickle.dumps(args))) or submit(*args)
    try:
        record = pool.submit(canonical(dict(FIXED, eta=1.0, seed=0)), 1).result()
    finally:
        pool.close()
    assert record["error"] is None
    assert sent and max(sent) < 1000 < swept.nbytes
    with pytest.raises(RuntimeError, match="not started with the sweep's data"):
        sweep_data.install("arrays:elsewhere")


def test_the_local_pool_gives_back_blas_threads_as_it_found_them(data):
    """While the local pool lives, this process holds BLAS at one thread (its workers are forked
    so and never set the count themselves); after the sweep, the count is what it was."""
    from threadpoolctl import threadpool_info, threadpool_limits

    train, test = data
    blas = [i for i in threadpool_info() if i["user_api"] == "blas"]
    if not blas:
        pytest.skip("no BLAS library that threadpoolctl knows is loaded")
    with threadpool_limits(2, user_api="blas"):
        result = fastgd.sweep(
            {"eta": [1.0], "seed": [0]}, train, test_data=test, workers=1, verbose=0, **FIXED
        )
        after = [i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"]
    assert not result.failed and after == [2] * len(blas)


def test_any_executor_runs_the_sweep(data):
    train, test = data
    with CountingExecutor() as executor:
        result = fastgd.sweep(
            [{"eta": 1.0, "seed": 3}, {"eta": 2.0, "seed": 4, "cost": "cross_entropy"}],
            train,
            test_data=test,
            executor=executor,
            verbose=0,
            **FIXED,
        )
    assert executor.submitted == 2
    for record in result.records:
        same_history(record, solo(record["settings"], train, test))


@pytest.mark.parametrize(
    "grid, fixed, match",
    [
        ({"eta": [1.0], "learning_rate": [1.0]}, FIXED, "unknown parameter 'learning_rate'.*eta"),
        ({"eta": [1.0, -1.0]}, FIXED, r"run 1 of the sweep \(eta=-1.0.*eta"),
        ({"eta": [1.0], "sizes": [[20, 0, 3]]}, dict(mini_batch_size=10, epochs=1), "sizes"),
        ({"eta": [1.0]}, dict(sizes=SIZES, epochs=1), "missing mini_batch_size"),
        ({"eta": [1.0], "epochs": [1]}, FIXED, "'epochs' is both in the grid and fixed"),
        ({"eta": [1.0, 1]}, FIXED, "the same run twice"),
        ({"eta": [1.0], "verbose": [1]}, FIXED, "'verbose' cannot be set"),
        ({"eta": [1.0], "checkpoint_path": ["x.npz"]}, FIXED, "'checkpoint_path' cannot be set"),
        ({"eta": 1.0}, FIXED, r"grid\['eta'\] must be a list"),
        ({"eta": []}, FIXED, "no runs"),
        ([{"eta": 1.0}, "eta=2"], FIXED, r"grid\[1\] must be a dict"),
        ({"eta": [1.0], "cost": ["hinge"]}, FIXED, "hinge"),
    ],
)
def test_bad_grids_are_refused_before_any_run(data, tmp_path, grid, fixed, match):
    train, test = data
    results = tmp_path / "sweep.jsonl"
    with CountingExecutor() as executor:
        with pytest.raises((ValueError, TypeError), match=match):
            fastgd.sweep(
                grid, train, test_data=test, executor=executor, results=results, verbose=0, **fixed
            )
    assert executor.submitted == 0 and not results.exists()


def test_bad_data_and_executors_are_refused(data):
    train, test = data
    X, labels = train
    with CountingExecutor() as executor:
        with pytest.raises(
            ValueError,
            match=r"sizes=\[20, 8, 3\].*y has 599 labels but X has "
            r"600 samples",
        ):
            fastgd.sweep({"eta": [1.0]}, (X, labels[:-1]), executor=executor, verbose=0, **FIXED)
        with pytest.raises(ValueError, match=r"sizes=\[21, 8, 3\].*21"):
            fastgd.sweep(
                {"sizes": [SIZES, [21, 8, 3]]},
                train,
                test_data=test,
                executor=executor,
                verbose=0,
                eta=1.0,
                mini_batch_size=10,
                epochs=1,
            )
        with pytest.raises(ValueError, match=r"test_data\[1\]"):
            fastgd.sweep(
                {"eta": [1.0]},
                train,
                test_data=(test[0], test[1] + 5),
                executor=executor,
                verbose=0,
                **FIXED,
            )
    assert executor.submitted == 0
    with pytest.raises(ValueError, match="unknown data set 'cifar'"):
        fastgd.sweep({"eta": [1.0]}, "cifar", verbose=0, **FIXED)
    with pytest.raises(ValueError, match="test_data must be None or 'mnist'"):
        fastgd.sweep({"eta": [1.0]}, "mnist", test_data=test, verbose=0, **FIXED)
    with pytest.raises(TypeError, match="train_data must be a pair"):
        fastgd.sweep({"eta": [1.0]}, train[0], verbose=0, **FIXED)
    with pytest.raises(TypeError, match="executor must be None, a concurrent.futures.Executor"):
        fastgd.sweep({"eta": [1.0]}, train, executor=object(), verbose=0, **FIXED)


def test_a_diverging_run_records_its_error_and_the_sweep_goes_on(data, tmp_path):
    (X, labels), test = data
    targets = np.eye(3)[labels] * 1000.0  # far outside the sigmoid's range: large gradients
    results = tmp_path / "sweep.jsonl"
    result = fastgd.sweep(
        {"eta": [1e-3, 1.7e308]},
        (X, targets),
        test_data=test,
        workers=2,
        results=results,
        verbose=0,
        **FIXED,
    )
    (failed,) = result.failed
    assert failed["settings"]["eta"] == 1.7e308 and failed["history"] is None
    assert failed["error"].startswith("FloatingPointError: training diverged in epoch 0")
    assert len(result.records) == 2
    assert sorted(r["settings"]["eta"] for r in fastgd.SweepResult.load(results).records) == [
        1e-3,
        1.7e308,
    ]


def test_a_sweep_started_again_redoes_no_finished_run(data, tmp_path):
    train, test = data
    results = tmp_path / "sweep.jsonl"
    grid = {"eta": [0.5, 1.0, 3.0], "seed": [0, 1]}
    first = fastgd.sweep(
        grid, train, test_data=test, results=results, workers=2, verbose=0, **FIXED
    )
    lines = results.read_bytes().splitlines(keepends=True)
    assert len(lines) == 6
    with CountingExecutor() as executor:
        again = fastgd.sweep(
            grid, train, test_data=test, results=results, executor=executor, verbose=0, **FIXED
        )
    assert executor.submitted == 0
    assert sorted(map(json.dumps, again.records)) == sorted(map(json.dumps, first.records))
    # Two runs lost (as if the sweep had stopped before they finished): only they run again.
    results.write_bytes(b"".join(lines[:4]))
    with CountingExecutor() as executor:
        third = fastgd.sweep(
            grid, train, test_data=test, results=results, executor=executor, verbose=0, **FIXED
        )
    assert executor.submitted == 2 and len(third.records) == 6
    keys = [run_key(r["settings"]) for r in fastgd.SweepResult.load(results).records]
    assert len(keys) == len(set(keys)) == 6
    # A wider grid over the same file runs only what is new, and reports only its own runs.
    with CountingExecutor() as executor:
        wider = fastgd.sweep(
            {"eta": [0.5, 1.0, 3.0], "seed": [0, 1, 2]},
            train,
            test_data=test,
            results=results,
            executor=executor,
            verbose=0,
            **FIXED,
        )
    assert executor.submitted == 3 and len(wider.records) == 9
    narrower = fastgd.sweep(
        {"eta": [3.0], "seed": [0]},
        train,
        test_data=test,
        results=results,
        executor=executor,
        verbose=0,
        **FIXED,
    )
    assert [r["settings"]["eta"] for r in narrower.records] == [3.0]


def test_two_sweeps_at_once_on_one_results_file_are_refused(data, tmp_path):
    if os.name != "posix":
        pytest.skip("results files are locked with flock, on POSIX systems")
    train, test = data
    results = tmp_path / "sweep.jsonl"
    first = results_file.ResultsFile(results)
    try:
        with pytest.raises(RuntimeError, match="another sweep is writing to"):
            fastgd.sweep(
                {"eta": [1.0]},
                train,
                test_data=test,
                results=results,
                workers=1,
                verbose=0,
                **FIXED,
            )
    finally:
        first.close()
    assert results.read_bytes() == b""
    fastgd.sweep(
        {"eta": [1.0]}, train, test_data=test, results=results, workers=1, verbose=0, **FIXED
    )
    assert len(results.read_bytes().splitlines()) == 1


def test_a_torn_last_line_is_left_out_and_its_run_done_again(data, tmp_path):
    train, test = data
    results = tmp_path / "sweep.jsonl"
    grid = {"eta": [0.5, 3.0]}
    fastgd.sweep(grid, train, test_data=test, results=results, workers=1, verbose=0, **FIXED)
    whole = results.read_bytes()
    first, second = whole.splitlines(keepends=True)
    results.write_bytes(first + second[: len(second) // 2])  # a crash in mid-write
    loaded = fastgd.SweepResult.load(results)
    assert [r["settings"] for r in loaded.records] == [json.loads(first)["settings"]]
    with CountingExecutor() as executor:
        result = fastgd.sweep(
            grid, train, test_data=test, results=results, executor=executor, verbose=0, **FIXED
        )
    assert executor.submitted == 1 and len(result.records) == 2
    lines = results.read_bytes().splitlines()
    assert len(lines) == 2 and all(json.loads(line)["error"] is None for line in lines)
    # A damaged line before the last is not a torn write: the file is refused, named.
    results.write_bytes(b"{not json\n" + whole)
    with pytest.raises(ValueError, match=r"sweep.jsonl, line 1, is not a record"):
        fastgd.SweepResult.load(results)


def test_a_worker_process_killed_mid_run_has_its_run_done_again(tmp_path):
    """SIGKILL to a worker of the local pool while runs train: concurrent.futures breaks the
    whole pool; the sweep starts a new one and every run is recorded exactly once."""
    X, labels, _ = make_data(20000, [64, 30, 10], seed=5)
    results = tmp_path / "sweep.jsonl"
    killed = []

    def kill_a_worker():
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not killed:
            workers = multiprocessing.active_children()
            if len(workers) == 2 and results.exists() and results.stat().st_size:
                os.kill(workers[0].pid, signal.SIGKILL)
                killed.append(workers[0].pid)
            time.sleep(0.01)

    killer = threading.Thread(target=kill_a_worker)
    killer.start()
    result = fastgd.sweep(
        {"eta": [0.5, 1.0, 2.0, 3.0], "seed": [0, 1]},
        (X, labels),
        results=results,
        workers=2,
        verbose=0,
        sizes=[64, 30, 10],
        mini_batch_size=10,
        epochs=3,
    )
    killer.join()
    assert killed, "no worker was killed: the runs ended too soon"
    assert len(result.records) == 8 and not result.failed
    keys = [run_key(r["settings"]) for r in fastgd.SweepResult.load(results).records]
    assert len(keys) == len(set(keys)) == 8


def test_ctrl_c_keeps_the_finished_runs_and_cancels_the_rest(tmp_path):
    X, labels, _ = make_data(20000, [64, 30, 10], seed=6)
    results = tmp_path / "sweep.jsonl"

    def interrupt_after_the_first_run():
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if results.exists() and results.stat().st_size:
                os.kill(os.getpid(), signal.SIGINT)
                return
            time.sleep(0.005)

    def forked_children():
        # The local pool's workers are forked ("ForkProcess-N"); other children of this
        # process, such as a Dask cluster's processes still ending, are not this sweep's.
        return {
            p.pid for p in multiprocessing.active_children() if p.name.startswith("ForkProcess")
        }

    interrupter = threading.Thread(target=interrupt_after_the_first_run)
    earlier = forked_children()  # other tests' pools
    interrupter.start()
    started = time.monotonic()
    result = fastgd.sweep(
        {"eta": [0.5, 1.0, 2.0, 3.0], "seed": [0, 1, 2, 3]},
        (X, labels),
        results=results,
        workers=2,
        verbose=0,
        sizes=[64, 30, 10],
        mini_batch_size=10,
        epochs=3,
    )
    interrupter.join()
    assert result.interrupted
    assert 1 <= len(result.records) < 16
    assert time.monotonic() - started < 30
    on_file = fastgd.SweepResult.load(results).records
    assert sorted(map(json.dumps, on_file)) == sorted(map(json.dumps, result.records))
    # No worker of this sweep left running.
    assert not forked_children() - earlier


def test_the_table_groups_seeds_and_the_best_is_the_highest(data):
    train, test = data
    result = fastgd.sweep(
        {"eta": [0.1, 3.0], "seed": [0, 1, 2]},
        train,
        test_data=test,
        executor=ThreadPoolExecutor(2),
        verbose=0,
        **FIXED,
    )
    table = result.table()
    assert [row["runs"] for row in table] == [3, 3]
    for row in table:
        accuracies = [
            r["best_test_accuracy"]
            for r in result.records
            if r["settings"]["eta"] == row["setting"]["eta"]
        ]
        assert row["best_test_accuracy"]["mean"] == pytest.approx(np.mean(accuracies))
        assert row["best_test_accuracy"]["min"] == min(accuracies)
        assert row["best_test_accuracy"]["max"] == max(accuracies)
        assert "seed" not in row["setting"]
    means = [row["best_test_accuracy"]["mean"] for row in table]
    assert means == sorted(means, reverse=True)
    assert result.best["best_test_accuracy"] == max(r["best_test_accuracy"] for r in result.records)
    text = str(table)
    assert text.splitlines()[0].startswith("setting") and "eta=3.0" in text
    with pytest.raises(ValueError, match="sort_by must be one of"):
        result.table(sort_by="speed")


def test_with_validation_data_the_test_accuracy_is_also_read_at_the_best_validation_epoch(data):
    (X, labels), test = data
    train, validation = (X[:400], labels[:400]), (X[400:], labels[400:])
    result = fastgd.sweep(
        {"eta": [0.5, 3.0], "seed": [4]},
        train,
        test_data=test,
        validation_data=validation,
        executor=ThreadPoolExecutor(2),
        verbose=0,
        **FIXED,
    )
    for record in result.records:
        history = solo(record["settings"], train, test, validation=validation)
        same_history(record, history)
        epoch = history.validation_accuracy.index(max(history.validation_accuracy))
        assert record["test_accuracy_at_best_validation"] == history.test_accuracy[epoch]
    assert "test at best valid." in str(result.table())


HALVING = dict(sizes=SIZES, mini_batch_size=10, epochs=8)


def halved_sweep(data, **options):
    train, test = data
    return fastgd.sweep(
        {"eta": [0.1, 0.5, 1.0, 3.0], "seed": [0, 1]},
        train,
        test_data=test,
        halving=2,
        verbose=0,
        **HALVING,
        **options,
    )


def check_halving(result, data):
    """8 runs, factor 2, 8 epochs: rungs of 1, 2, 4 and 8 epochs; at each rung the runs that go
    on scored at least as well as those stopped there; each run's History is the solo fit's
    first epochs, bit for bit."""
    train, test = data
    assert len(result.records) == 8 and not result.failed
    stopped = sorted(r["halving"]["stopped_at_epoch"] for r in result.records)
    assert stopped == [1, 1, 1, 1, 2, 2, 4, 8]
    for record in result.records:
        epochs = record["halving"]["stopped_at_epoch"]
        assert record["halving"]["epochs"] == 8 and record["halving"]["factor"] == 2
        same_history(record, solo(dict(record["settings"], epochs=epochs), train, test))
        assert len(record["history"]["test_accuracy"]) == epochs
        assert record["settings"]["epochs"] == 8
    for rung in (1, 2, 4):
        merit = {
            run_key(r["settings"]): max(r["history"]["test_accuracy"][:rung])
            for r in result.records
            if r["halving"]["stopped_at_epoch"] >= rung
        }
        here = [
            merit[run_key(r["settings"])]
            for r in result.records
            if r["halving"]["stopped_at_epoch"] == rung
        ]
        further = [
            merit[run_key(r["settings"])]
            for r in result.records
            if r["halving"]["stopped_at_epoch"] > rung
        ]
        assert min(further) >= max(here)


def test_successive_halving_trains_the_best_runs_further(data, tmp_path):
    assert rungs(40, 3, 30) == [1, 3, 10, 30]
    assert rungs(1, 3, 30) == [30] and rungs(100, 10, 2) == [1, 2]
    results = tmp_path / "sweep.jsonl"
    result = halved_sweep(data, workers=2, results=results)
    check_halving(result, data)
    assert len(results.read_bytes().splitlines()) == 8
    assert "stopped at epoch" in str(result.table())
    try:
        figure = result.plot()
    except ImportError:
        pass
    else:
        # A line per setting, as long as its longest run; a short one drawn as points.
        reached = {}
        for r in result.records:
            eta = r["settings"]["eta"]
            reached[eta] = max(reached.get(eta, 0), r["halving"]["stopped_at_epoch"])
        lines = figure.axes[0].lines
        assert sorted(len(line.get_xdata()) for line in lines) == sorted(reached.values())
        assert all(line.get_marker() == "o" for line in lines if len(line.get_xdata()) < 3)
    # Started again after a crash that lost the runs stopped late: the sweep trains again only
    # the runs not in the file (to the same bits) and chooses as before.
    kept = [
        line
        for line in results.read_bytes().splitlines(keepends=True)
        if json.loads(line)["halving"]["stopped_at_epoch"] == 1
    ]
    results.write_bytes(b"".join(kept))
    with CountingExecutor() as executor:
        again = halved_sweep(data, executor=executor, results=results)
    # Rung 1: the 4 runs not in the file; rung 2: those 4 again, continued; rungs 3 and 4.
    assert executor.submitted == 4 + 4 + 2 + 1
    check_halving(again, data)
    assert len(results.read_bytes().splitlines()) == 8
    before = {run_key(r["settings"]): r["halving"] for r in result.records}
    assert {run_key(r["settings"]): r["halving"] for r in again.records} == before


def test_halving_is_refused_where_it_cannot_choose(data):
    train, test = data
    with pytest.raises(ValueError, match="halving needs the same epochs"):
        fastgd.sweep(
            {"eta": [1.0], "epochs": [2, 4]},
            train,
            test_data=test,
            halving=2,
            verbose=0,
            sizes=SIZES,
            mini_batch_size=10,
        )
    with pytest.raises(ValueError, match="epochs of at least 1"):
        fastgd.sweep(
            {"eta": [1.0, 2.0]},
            train,
            test_data=test,
            halving=2,
            verbose=0,
            sizes=SIZES,
            mini_batch_size=10,
            epochs=0,
        )
    with pytest.raises(ValueError, match="give validation_data or test_data"):
        fastgd.sweep({"eta": [1.0, 2.0]}, train, halving=2, verbose=0, **FIXED)
    with pytest.raises(ValueError, match="halving"):
        fastgd.sweep({"eta": [1.0, 2.0]}, train, test_data=test, halving=1, verbose=0, **FIXED)


def test_the_plot_draws_a_line_per_setting(data, tmp_path):
    pytest.importorskip("matplotlib")
    train, test = data
    result = fastgd.sweep(
        {"eta": [0.5, 3.0], "seed": [0, 1]},
        train,
        test_data=test,
        executor=ThreadPoolExecutor(2),
        verbose=0,
        **FIXED,
    )
    figure = result.plot(tmp_path / "sweep.png")
    assert (tmp_path / "sweep.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    (ax,) = figure.axes
    assert len(ax.lines) == 2 and len(ax.collections) == 2  # a band per setting
    assert all(len(line.get_xdata()) == 3 for line in ax.lines)


def test_the_mnist_name_has_each_worker_load_it(mnist_dir, monkeypatch):
    monkeypatch.setenv("FASTGD_DATA", str(mnist_dir))
    result = fastgd.sweep(
        {"seed": [0, 1]},
        "mnist",
        test_data="mnist",
        workers=2,
        verbose=0,
        sizes=[784, 30, 10],
        eta=3.0,
        mini_batch_size=10,
        epochs=1,
    )
    (X, y), test = fastgd.load_mnist(mnist_dir, dtype="uint8")
    for record in result.records:
        same_history(record, solo(record["settings"], (X, y), test))
        assert record["best_test_accuracy"] > 0.85


def test_importing_fastgd_does_not_import_the_sweeps_machinery():
    import subprocess
    import sys

    out = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, fastgd; print(sorted(m for m in ("
            "'fastgd.sweeps', 'distributed', 'dask', 'concurrent.futures.process')"
            " if m in sys.modules))",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == "[]"


# ---- on a Dask cluster -----------------------------------------------------------------------


def test_dask_counts_the_data_at_its_full_size(data):
    """Dask sizes what a worker holds and what it transfers by sys.getsizeof: the sweep's data
    must count as its arrays, not as a small wrapper, or Dask's memory limits cannot see it."""
    dask_sizeof = pytest.importorskip("dask.sizeof").sizeof
    swept = sweep_data.SweepData(*data, None)
    nbytes = sum(a.nbytes for part in data for a in part)
    assert nbytes <= dask_sizeof(swept) < nbytes + 1000


def data_tasks_computed(dask_scheduler, since):
    """On the scheduler: how many times each sweep's data task was computed since a time."""
    counts = {}
    for key, start, finish, *_, stamp in dask_scheduler.transition_log:
        if (
            str(key).startswith("fastgd-sweep-data")
            and stamp >= since
            and (start, finish) == ("processing", "memory")
        ):
            counts[key] = counts.get(key, 0) + 1
    return counts


def data_received(dask_worker, key):
    """On a worker: the sizes of each transfer of key from another worker."""
    return [log["keys"][key] for log in dask_worker.transfer_incoming_log if key in log["keys"]]


def test_a_dask_cluster_runs_the_sweep_and_each_run_equals_a_solo_fit(data, dask_client, tmp_path):
    train, test = data
    results = tmp_path / "sweep.jsonl"
    started = time.time()
    result = fastgd.sweep(
        {"eta": [0.5, 3.0], "seed": [0, 1]},
        train,
        test_data=test,
        executor=dask_client,
        results=results,
        verbose=0,
        **FIXED,
    )
    assert len(result.records) == 4 and not result.failed
    worker_pids = set(dask_client.run(os.getpid).values())
    for record in result.records:
        same_history(record, solo(record["settings"], train, test))
        assert record["pid"] in worker_pids and record["threads"] == 1
    # The data was one task, computed once, and reached the other worker at most once.
    computed = dask_client.run_on_scheduler(data_tasks_computed, since=started)
    assert len(computed) == 1 and list(computed.values()) == [1], computed
    (key,) = computed
    for transfers in dask_client.run(data_received, key=key).values():
        assert len(transfers) <= 1, transfers
    # Started again on the same file, nothing runs.
    again = fastgd.sweep(
        {"eta": [0.5, 3.0], "seed": [0, 1]},
        train,
        test_data=test,
        executor=dask_client,
        results=results,
        verbose=0,
        **FIXED,
    )
    assert sorted(map(json.dumps, again.records)) == sorted(map(json.dumps, result.records))
    # The data is released from the cluster once the sweep is over (the scheduler learns it a
    # moment later).
    deadline = time.monotonic() + 10
    while any(key.startswith("fastgd-sweep-data") for key in dask_client.who_has()):
        assert time.monotonic() < deadline, "the sweep's data stays on the cluster"
        time.sleep(0.05)


def test_successive_halving_on_a_dask_cluster(data, dask_client):
    """The rungs' checkpoints travel to and from the cluster's workers as bytes."""
    check_halving(halved_sweep(data, executor=dask_client), data)


def test_a_dask_worker_killed_mid_sweep_loses_no_run(dask_client, tmp_path):
    """SIGKILL to a worker process while runs train: its nanny starts another, the scheduler
    gives the lost runs (and the data, which is a task it can compute again) to the workers
    left, and every run is recorded once."""
    X, labels, _ = make_data(20000, [64, 30, 10], seed=7)
    results = tmp_path / "sweep.jsonl"
    pids = list(dask_client.run(os.getpid).values())
    killed = []

    def kill_a_worker():
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not killed:
            if results.exists() and results.stat().st_size:
                os.kill(pids[0], signal.SIGKILL)
                killed.append(pids[0])
            time.sleep(0.01)

    killer = threading.Thread(target=kill_a_worker)
    killer.start()
    result = fastgd.sweep(
        {"eta": [0.5, 1.0, 2.0, 3.0], "seed": [0, 1]},
        (X, labels),
        executor=dask_client,
        results=results,
        verbose=0,
        sizes=[64, 30, 10],
        mini_batch_size=10,
        epochs=3,
    )
    killer.join()
    assert killed, "no worker was killed: the runs ended too soon"
    assert len(result.records) == 8 and not result.failed, result.failed
    keys = [run_key(r["settings"]) for r in fastgd.SweepResult.load(results).records]
    assert len(keys) == len(set(keys)) == 8
    dask_client.wait_for_workers(2, timeout=60)


def test_a_runs_warnings_come_back_naming_the_run(data, tmp_path):
    """A warning raised in a worker (here a stuck run's SaturationWarning) is kept in the run's
    record and warned where the sweep runs, naming the run's settings: a worker's stderr is
    another process's (on Dask, another machine's log)."""
    train, test = data
    with pytest.warns(fastgd.SaturationWarning) as caught:
        result = fastgd.sweep(
            {"eta": [1e308, 0.5]},
            train,
            test_data=test,
            workers=1,
            results=tmp_path / "r.jsonl",
            verbose=0,
            **FIXED,
        )
    stuck = [str(w.message) for w in caught if w.category is fastgd.SaturationWarning]
    assert len(stuck) == 1
    assert stuck[0].startswith("run sizes=[20, 8, 3], dtype='float64'") and "eta=1e+308" in stuck[0]
    assert "the network looks stuck" in stuck[0]
    by_eta = {r["settings"]["eta"]: r for r in result.records}
    assert by_eta[1e308]["warnings"][0].startswith("SaturationWarning: the network looks stuck")
    assert by_eta[0.5]["warnings"] == []
    # The file keeps them, and reads back.
    again = fastgd.SweepResult.load(tmp_path / "r.jsonl")
    assert {r["settings"]["eta"]: r["warnings"] for r in again.records} == {
        1e308: by_eta[1e308]["warnings"],
        0.5: [],
    }


def test_runs_side_by_side_in_threads_keep_their_own_warnings(data):
    """On a ThreadPoolExecutor runs train in threads of this process: each record holds its
    own run's warnings, and warnings in this thread work as before afterwards."""
    import warnings

    train, test = data
    with ThreadPoolExecutor(2) as executor, warnings.catch_warnings(record=True):
        warnings.simplefilter("always")
        result = fastgd.sweep(
            {"eta": [1e308, 0.5], "seed": [0, 1]}, train, test_data=test, executor=executor,
            verbose=0, **FIXED,
        )  # fmt: skip
    for record in result.records:
        stuck = [w for w in record["warnings"] if w.startswith("SaturationWarning")]
        assert bool(stuck) == (record["settings"]["eta"] == 1e308), record["warnings"]
    with pytest.warns(UserWarning, match="still shown"):
        warnings.warn("still shown", UserWarning, stacklevel=1)
