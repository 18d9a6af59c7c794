"""Trust, round three: each case an attacker's probe found, as a test that failed before its fix.

Data loss (device nodes, a user's file), hangs (fork), memory (declared sizes), wrong results
(overflow, uint8 containers), unclear errors. Crash and hang cases run in a subprocess with a
timeout; memory cases under an address-space limit (RLIMIT_AS), their peak measured.
"""

import json
import os
import pickle
import signal
import stat
import struct
import subprocess
import sys
import textwrap
import time
import warnings
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

import numpy as np
import pytest

import fastgd
from fastgd.sweeps import results as results_file
from fastgd.sweeps import runners
from fastgd.training import checkpoint

from conftest import make_data, run_fastgd

SIZES = [20, 8, 3]
FIXED = dict(sizes=SIZES, mini_batch_size=10, epochs=2)


@pytest.fixture(scope="module")
def data():
    X, labels, _ = make_data(300, SIZES, seed=1)
    X_test, labels_test, _ = make_data(100, SIZES, seed=2)
    return (X, labels), (X_test, labels_test)


def run_python(code, *, timeout=120, address_space=None, env=None):
    """code in a fresh Python, as a user's script: its CompletedProcess. address_space (bytes)
    limits the child's address space beyond what it has mapped once fastgd is imported."""
    prelude = ""
    if address_space is not None:
        prelude = textwrap.dedent(
            f"""
            import resource, os, fastgd
            with open("/proc/self/statm") as f:
                mapped = int(f.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
            limit = mapped + {address_space}
            resource.setrlimit(resource.RLIMIT_AS, (limit, resource.RLIM_INFINITY))
            """
        )
    return subprocess.run(
        [sys.executable, "-c", prelude + textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
    )


# ---- 1. saving onto a device node, a FIFO, a directory -------------------------------------------


def special_files(tmp_path):
    """A FIFO, a link to it, and (as root) a character device like /dev/null, in tmp_path."""
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    link = tmp_path / "link"
    link.symlink_to(fifo)
    nodes = {"fifo": fifo, "link to a fifo": link}
    try:
        device = tmp_path / "null"
        os.mknod(device, stat.S_IFCHR | 0o666, os.makedev(1, 3))
        nodes["character device"] = device
    except PermissionError:
        pass  # (not root: mknod is refused; the FIFO stands for the rest)
    return nodes


def kinds(nodes):
    return {name: stat.S_IFMT(os.stat(path).st_mode) for name, path in nodes.items()}


def test_save_refuses_devices_and_fifos_and_leaves_them(tmp_path):
    nodes = special_files(tmp_path)
    before = kinds(nodes)
    net = fastgd.Network([4, 3, 2], seed=0)
    for path in nodes.values():
        with pytest.raises(ValueError, match=r"not a regular file; fastgd writes only regular"):
            net.save(path)
    assert kinds(nodes) == before
    assert sorted(os.listdir(tmp_path)) == sorted(p.name for p in nodes.values())


def test_save_onto_a_directory_names_it(tmp_path):
    net = fastgd.Network([4, 3, 2], seed=0)
    with pytest.raises(IsADirectoryError, match=rf"{tmp_path} is a directory; name a file in it"):
        net.save(tmp_path)
    assert os.listdir(tmp_path) == []  # no temporary file left


def test_a_fit_refuses_a_checkpoint_path_that_is_a_fifo_before_training(tmp_path):
    fifo = special_files(tmp_path)["fifo"]
    X, labels, _ = make_data(50, [4, 3, 2])
    net = fastgd.Network([4, 3, 2], seed=0)
    weights = [w.copy() for w in net.weights]
    trainer = fastgd.Trainer(
        net,
        eta=1.0,
        mini_batch_size=10,
        epochs=2,
        verbose=0,
        checkpoint_every=1,
        checkpoint_path=fifo,
    )
    with pytest.raises(ValueError, match="checkpoint_path .*fifo is a FIFO"):
        trainer.fit(X, labels)
    assert all(np.array_equal(a, b) for a, b in zip(net.weights, weights))  # nothing trained
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)


def test_pictures_and_results_files_refuse_fifos(tmp_path, data):
    pytest.importorskip("matplotlib")
    fifo = special_files(tmp_path)["fifo"]
    picture = tmp_path / "weights.png"
    os.mkfifo(picture)
    net = fastgd.Network(SIZES, seed=0)
    with pytest.raises(ValueError, match="weights.png is a FIFO"):
        fastgd.plot_weights(net, path=picture)
    assert stat.S_ISFIFO(os.stat(picture).st_mode)
    train, test = data
    with pytest.raises(ValueError, match="results .*is a FIFO"):
        fastgd.sweep({"eta": [1.0]}, train, results=fifo, executor=ThreadPoolExecutor(1), **FIXED)
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)


def test_the_cli_refuses_to_save_onto_a_device_before_loading_data(tmp_path):
    nodes = special_files(tmp_path)
    before = kinds(nodes)
    for path in nodes.values():
        # (--data names nothing: a refusal that came after loading would name MNIST instead.)
        done = run_fastgd("train", "--epochs", "0", "--save", path, "--data", tmp_path / "none")
        assert done.returncode == 2
        assert "not a regular file" in done.stderr and "Traceback" not in done.stderr
    assert kinds(nodes) == before


# ---- 2, 10, 12, 15. results files that are not a sweep's, or damaged -----------------------------


def one_record(data, tmp_path):
    """The bytes of a real results file of one run."""
    train, test = data
    results = tmp_path / "real.jsonl"
    fastgd.sweep(
        {"eta": [1.0]},
        train,
        test_data=test,
        results=results,
        executor=ThreadPoolExecutor(1),
        verbose=0,
        **FIXED,
    )
    return results.read_bytes()


def test_a_file_of_text_is_refused_and_left_as_it_was(tmp_path, data):
    train, test = data
    for text in (b"my notes on the runs", b"{}", b'{"settings": 1}\n'):
        notes = tmp_path / "notes.txt"
        notes.write_bytes(text)
        with pytest.raises(ValueError, match="notes.txt, line 1, is not a record of a sweep"):
            fastgd.sweep(
                {"eta": [1.0]},
                train,
                results=notes,
                executor=ThreadPoolExecutor(1),
                verbose=0,
                **FIXED,
            )
        assert notes.read_bytes() == text


def test_a_complete_record_without_its_newline_is_kept(tmp_path, data, capsys):
    train, test = data
    record = one_record(data, tmp_path).rstrip(b"\n")
    results = tmp_path / "sweep.jsonl"
    results.write_bytes(record)
    again = fastgd.sweep(
        {"eta": [1.0]},
        train,
        test_data=test,
        results=results,
        executor=ThreadPoolExecutor(1),
        **FIXED,
    )
    assert "1 of 1 runs already in" in capsys.readouterr().out
    assert len(again.records) == 1 and results.read_bytes() == record
    # A second run starts on a line of its own.
    more = fastgd.sweep(
        {"eta": [1.0, 2.0]},
        train,
        test_data=test,
        results=results,
        executor=ThreadPoolExecutor(1),
        verbose=0,
        **FIXED,
    )
    assert len(more.records) == 2
    lines = results.read_bytes().split(b"\n")
    assert lines[0] == record and lines[2] == b"" and len(lines) == 3


def test_only_the_beginning_of_a_first_record_is_not_cut(tmp_path, data):
    train, test = data
    torn = one_record(data, tmp_path)[:50]
    results = tmp_path / "sweep.jsonl"
    results.write_bytes(torn)
    with pytest.raises(ValueError, match="holds only the beginning of a record"):
        fastgd.sweep(
            {"eta": [1.0]}, train, results=results, executor=ThreadPoolExecutor(1), **FIXED
        )
    assert results.read_bytes() == torn


def damaged(record, change):
    record = json.loads(record)
    change(record)
    return json.dumps(record).encode() + b"\n"


@pytest.mark.parametrize(
    "change, match",
    [
        (
            lambda r: r.update(best_test_accuracy="0.9"),
            "best_test_accuracy is 0.9, not an accuracy",
        ),
        (lambda r: r.update(history="a string"), "no history"),
        (lambda r: r["history"].update(test_accuracy=["x", "y"]), "history test_accuracy"),
        (lambda r: r["history"].update(epoch=[0]), r"history \w+ of \d epochs, not \d"),
        (lambda r: r["settings"].update(eta="fast"), "setting eta is fast"),
        (lambda r: r["settings"].update(colour=1), "'colour' is not a parameter"),
    ],
)
def test_damaged_records_are_refused_before_any_run(tmp_path, data, change, match):
    """Halving reads the records' histories to rank the runs: a damaged one used to raise
    AttributeError or TypeError after a rung had trained. Now it is named before any run."""
    train, test = data
    record = one_record(data, tmp_path)
    results = tmp_path / "sweep.jsonl"
    results.write_bytes(damaged(record, change))

    class Refusing(ThreadPoolExecutor):
        def submit(self, *args, **kwargs):
            raise AssertionError("a run started")

    with pytest.raises(ValueError, match=f"sweep.jsonl, line 1, is not a record.*{match}"):
        fastgd.sweep(
            {"eta": [1.0, 2.0, 3.0]},
            train,
            test_data=test,
            results=results,
            executor=Refusing(1),
            halving=2,
            **FIXED,
        )
    with pytest.raises(ValueError, match=match):
        fastgd.SweepResult.load(results)


def test_a_line_nested_deep_is_a_value_error(tmp_path, data):
    results = tmp_path / "sweep.jsonl"
    results.write_bytes(one_record(data, tmp_path) + b"[" * 100000 + b"]" * 100000 + b"\n")
    with pytest.raises(ValueError, match="line 2, is not a record of a sweep's run .nested too"):
        fastgd.SweepResult.load(results)


def test_a_killed_worker_of_the_callers_pool_records_every_run_and_retry_failed_redoes_them(
    tmp_path, data
):
    """The caller's ProcessPoolExecutor breaks when a worker is killed: every run it held is
    recorded as failed (the sweep does not raise BrokenProcessPool); retry_failed trains them
    on a working executor, and their new records are the ones that count."""
    train, test = data
    results = tmp_path / "sweep.jsonl"
    grid = {"eta": [0.5, 1.0, 2.0], "seed": [0, 1]}
    pool = ProcessPoolExecutor(2)
    # A worker dies before any run finishes: the pool is broken for every run.
    pool.submit(os.kill, os.getpid(), 0).result()
    os.kill(next(iter(pool._processes)), signal.SIGKILL)
    time.sleep(0.5)
    result = fastgd.sweep(
        grid, train, test_data=test, results=results, executor=pool, verbose=0, **FIXED
    )
    pool.shutdown()
    assert len(result.records) == 6 and len(result.failed) == 6
    assert all("retry_failed=True" in r["error"] for r in result.failed)
    skipped = fastgd.sweep(
        grid,
        train,
        test_data=test,
        results=results,
        executor=ThreadPoolExecutor(2),
        verbose=0,
        **FIXED,
    )
    assert len(skipped.failed) == 6  # without retry_failed, failed runs are settled
    retried = fastgd.sweep(
        grid,
        train,
        test_data=test,
        results=results,
        executor=ThreadPoolExecutor(2),
        retry_failed=True,
        verbose=0,
        **FIXED,
    )
    assert len(retried.records) == 6 and not retried.failed
    assert len(results.read_bytes().splitlines()) == 12  # the old lines stay; the last counts
    assert not fastgd.SweepResult.load(results).failed


def test_a_killed_local_worker_says_how_often(tmp_path):
    error = runners.BrokenProcessPool("A process in the process pool was terminated")
    record = runners._LocalPool.failed(None, {"sizes": [2, 2]}, 1, error, 3)
    assert record["error"].startswith("the worker running this run died on each of 3 attempts")
    record = runners._LocalPool.failed(None, {"sizes": [2, 2]}, 1, error, 1)
    assert record["error"].startswith("the worker running this run died once")


def test_dask_gave_up_is_said_in_dasks_words():
    distributed = pytest.importorskip("distributed")
    from types import SimpleNamespace

    worker = SimpleNamespace(address="tcp://w:1")
    error = distributed.scheduler.KilledWorker("task-1", worker, 3)
    record = runners._DaskRunner.failed(None, {"sizes": [2, 2]}, 1, error, 1)
    assert record["error"].startswith("Dask gave up on this run")
    assert "attempts" not in record["error"]


def test_a_second_cli_sweep_on_a_file_in_use_says_so_before_loading_mnist(tmp_path):
    results = tmp_path / "sweep.jsonl"
    first = results_file.ResultsFile(results)
    try:
        done = run_fastgd("sweep", "--out", results, "--data", tmp_path / "none")
    finally:
        first.close()
    assert done.returncode == 2, done.stderr
    assert "another sweep is writing to" in done.stderr and "Traceback" not in done.stderr


# ---- 3. fork -------------------------------------------------------------------------------------


def test_a_child_forked_during_a_fit_uses_the_network_at_once():
    """A thread trains net; the main thread forks. The child predicts, saves, pickles and
    trains the network (on two threads: no phantom fit of the parent's), all within seconds."""
    code = """
    import os, pickle, sys, threading, time
    import numpy as np
    import fastgd
    from fastgd.core import policy

    rng = np.random.default_rng(0)
    X = rng.random((20000, 100)); y = rng.integers(0, 10, 20000)
    net = fastgd.Network([100, 200, 10], seed=0)
    started = threading.Event()
    trainer = fastgd.Trainer(net, eta=0.5, mini_batch_size=10, epochs=3, verbose=0)
    fit = threading.Thread(target=lambda: trainer.fit(X, y, callbacks=[lambda *a: None]))

    original = trainer._train_chunk
    def chunk(*args, **kwargs):
        started.set()
        return original(*args, **kwargs)
    trainer._train_chunk = chunk
    fit.start()
    started.wait()
    time.sleep(0.05)  # well inside the fit
    pid = os.fork()
    if pid == 0:
        try:
            assert net.predict(X[:5]).shape == (5,)
            net.save("/tmp/fastgd-fork-test-%d.npz" % os.getpid())
            os.unlink("/tmp/fastgd-fork-test-%d.npz" % os.getpid())
            pickle.loads(pickle.dumps(net))
            with policy.shared(2) as threads:
                assert threads == 2, threads
            fastgd.Trainer(net, eta=0.5, mini_batch_size=10, epochs=1, verbose=0).fit(
                X[:1000], y[:1000])
            os._exit(0)
        except BaseException as error:
            print("child:", repr(error), flush=True)
            os._exit(1)
    _, status = os.waitpid(pid, 0)
    fit.join()
    sys.exit(os.waitstatus_to_exitcode(status))
    """
    done = run_python(code, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr


def test_a_callback_that_forks_goes_on_training_in_the_child():
    """A fork from the fitting thread itself (a callback): the child's fit is its own, goes on
    and releases the network at its end, as the parent's does."""
    code = """
    import os, sys
    import numpy as np
    import fastgd

    X = np.random.default_rng(0).random((500, 10)); y = np.arange(500) % 3
    net = fastgd.Network([10, 5, 3], seed=0)
    parent = os.getpid()
    children = []
    def fork_once(epoch, logs, trainer):
        if epoch == 0 and os.getpid() == parent:
            pid = os.fork()
            if pid:
                children.append(pid)
    history = fastgd.Trainer(net, eta=1.0, mini_batch_size=10, epochs=3, verbose=0).fit(
        X, y, callbacks=[fork_once])
    assert len(history.epoch) == 3 and not net._training.locked()
    if os.getpid() != parent:
        os._exit(0)
    _, status = os.waitpid(children[0], 0)
    sys.exit(os.waitstatus_to_exitcode(status))
    """
    done = run_python(code, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr


# ---- 4. memory bombs through declared sizes ------------------------------------------------------


def test_a_small_npz_declaring_a_huge_layer_is_refused_with_little_memory(tmp_path):
    """A 0.5 MB file of deflated zeros whose sizes say [1, 30,000,000]: 480 MB of parameters
    that the file does not hold. Refused before anything of that size is allocated, under a
    200 MB address-space limit, its peak measured."""
    n = 30_000_000
    arrays = fastgd.Network([1, 2], seed=0)._arrays()
    arrays.update(sizes=np.array([1, n]), weights_0=np.zeros((n, 1)), biases_0=np.zeros(n))
    path = tmp_path / "bomb.npz"
    np.savez_compressed(path, **arrays)
    del arrays
    assert path.stat().st_size < 1_000_000
    code = f"""
    import tracemalloc
    tracemalloc.start()
    try:
        fastgd.Network.load({str(path)!r})
    except ValueError as error:
        print("refused:", error)
    print("peak", tracemalloc.get_traced_memory()[1])
    """
    done = run_python(code, address_space=200 << 20)
    assert "refused:" in done.stdout and "the file holds" in done.stdout, done.stderr
    peak = int(done.stdout.split("peak")[1])
    assert peak < 4 << 20, peak


def test_a_fake_mnist_image_file_is_refused_from_its_header(tmp_path, mnist_dir):
    """A 0.4 MB gzip named train-images that declares 480,000 images (376 MB of pixels): MNIST's
    shape is known, so the header alone refuses it."""
    import gzip

    for name in ("train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"):
        source = next(mnist_dir.glob(name + "*"))
        (tmp_path / source.name).symlink_to(source)
    header = bytes([0, 0, 8, 3]) + b"".join(n.to_bytes(4, "big") for n in (480000, 28, 28))
    with gzip.open(tmp_path / "train-images-idx3-ubyte.gz", "wb") as f:
        f.write(header)
        for _ in range(376):
            f.write(bytes(1 << 20))
    assert (tmp_path / "train-images-idx3-ubyte.gz").stat().st_size < 1_000_000
    code = f"""
    import tracemalloc
    tracemalloc.start()
    try:
        fastgd.load_mnist({str(tmp_path)!r}, cache_dir={str(tmp_path / "cache")!r})
    except ValueError as error:
        print("refused:", error)
    print("peak", tracemalloc.get_traced_memory()[1])
    """
    done = run_python(code, address_space=300 << 20)
    assert "refused:" in done.stdout, done.stdout + done.stderr
    assert "declares shape (480000, 28, 28)" in done.stdout
    assert int(done.stdout.split("peak")[1]) < 8 << 20


@pytest.mark.parametrize(
    "sizes, match",
    [
        ([4, 2**31, 2], r"sizes\[1\] must be at most 2147483647"),
        ([784, 300_000, 10], r"a network of sizes \[784, 300000, 10\] .* needs 3.8 GB of memory"),
    ],
)
def test_a_network_too_large_for_the_machine_is_a_value_error_first(sizes, match):
    done = run_python(
        f"""
        try:
            fastgd.Network({sizes})
        except ValueError as error:
            print("refused:", error)
        """,
        address_space=1 << 30,
    )
    assert "refused:" in done.stdout and "MemoryError" not in done.stderr, done.stderr
    assert __import__("re").search(match, done.stdout), done.stdout


def test_the_cli_says_a_network_does_not_fit_without_a_traceback(tmp_path):
    done = run_fastgd("train", "--sizes", "784,10000000,10", "--data", tmp_path)
    assert done.returncode == 2
    assert "needs 127.2 GB of memory" in done.stderr and "Traceback" not in done.stderr


def test_descent_paths_are_bounded_before_they_grow(tmp_path):
    with pytest.raises(ValueError, match="the path of 1000000000000 steps"):
        fastgd.minimize(lambda v: float(v @ v), lambda v: 2 * v, [1.0, 1.0], eta=0.1, steps=10**12)
    done = run_fastgd("valley", "--steps", "100000000", "--out", tmp_path / "v.png")
    assert done.returncode == 2 and "must be at most 1000000" in done.stderr


# ---- 5. Ctrl-C inside a diverging chunk ----------------------------------------------------------


def interrupt_after_first_chunk(trainer):
    """Ctrl-C as the first chunk returns from the core, before fit looks at its weights."""
    original = trainer._train_chunk

    def chunk(*args, **kwargs):
        original(*args, **kwargs)
        raise KeyboardInterrupt

    trainer._train_chunk = chunk


def test_ctrl_c_after_an_overflowing_chunk_leaves_a_network_load_accepts(tmp_path):
    X, labels, _ = make_data(500, [30, 60, 10], seed=3)
    net = fastgd.Network([30, 60, 10], seed=0)
    start = [a.copy() for a in net.weights + net.biases]
    trainer = fastgd.Trainer(
        net,
        eta=1e308,
        mini_batch_size=10,
        epochs=2,
        cost="cross_entropy",
        seed=0,
        verbose=0,
        on_interrupt="stop",
    )
    interrupt_after_first_chunk(trainer)
    with np.errstate(all="ignore"):
        history = trainer.fit(X, labels)
    assert history.interrupted
    assert all(np.isfinite(a).all() for a in net.weights + net.biases)
    # The chunk that overflowed is undone: the network is as it was before it.
    assert all(np.array_equal(a, b) for a, b in zip(net.weights + net.biases, start))
    net.save(tmp_path / "net.npz")
    fastgd.Network.load(tmp_path / "net.npz")


def test_with_nonfinite_ignored_the_fit_warns_and_save_refuses(tmp_path):
    X, labels, _ = make_data(500, [30, 60, 10], seed=3)
    net = fastgd.Network([30, 60, 10], seed=0)
    trainer = fastgd.Trainer(
        net,
        eta=1e308,
        mini_batch_size=10,
        epochs=1,
        cost="cross_entropy",
        on_nonfinite="ignore",
        seed=0,
        verbose=0,
    )
    with np.errstate(all="ignore"), pytest.warns(RuntimeWarning, match="it cannot be saved"):
        trainer.fit(X, labels)
    with pytest.raises(ValueError, match=r"cannot save to .*net.npz: weights_\d holds"):
        net.save(tmp_path / "net.npz")
    assert not (tmp_path / "net.npz").exists()


# ---- 6. overflowing inputs -----------------------------------------------------------------------


@pytest.mark.parametrize("dtype, huge", [("float64", 1e308), ("float32", 3e38)])
def test_overflowing_inputs_are_an_error_on_both_paths(dtype, huge):
    net = fastgd.Network([784, 30, 10], seed=0, dtype=dtype)
    X = np.full((3, 784), 0.5, dtype=dtype)
    X[1] = huge
    messages = set()
    for path in ("small", "blas"):
        with fastgd.core.policy.overrides(forward_path=path), warnings.catch_warnings():
            warnings.simplefilter("ignore", fastgd.InputRangeWarning)
            for call in (net.feedforward, net.predict, lambda X: net.evaluate(X, [0, 1, 2])):
                with pytest.raises(ValueError, match="forward pass of sample 1 overflowed") as e:
                    call(X)
                messages.add(str(e.value))
            # Rows that do not overflow still have their answer.
            assert net.predict(X[[0, 2]]).shape == (2,)
    assert len(messages) == 1


# ---- 7. uint8 pixels in other containers ---------------------------------------------------------


def test_uint8_pixels_in_a_dataframe_or_memoryview_are_pixels():
    pd = pytest.importorskip("pandas")
    rng = np.random.default_rng(0)
    pixels = rng.integers(0, 256, (300, 16), dtype=np.uint8)
    labels = rng.integers(0, 4, 300)
    results = []
    for X in (pixels, pd.DataFrame(pixels), memoryview(pixels)):
        net = fastgd.Network([16, 8, 4], seed=0)
        with warnings.catch_warnings():
            warnings.simplefilter("error", fastgd.InputRangeWarning)
            fastgd.Trainer(net, eta=1.0, mini_batch_size=10, epochs=1, seed=0, verbose=0).fit(
                X, labels
            )
            results.append((net.weights[0].copy(), net.feedforward(X)))
    for weights, out in results[1:]:
        assert np.array_equal(weights, results[0][0]) and np.array_equal(out, results[0][1])


def test_integer_pixels_of_another_dtype_are_told_how_to_pass_them():
    net = fastgd.Network([16, 8, 4], seed=0)
    with pytest.warns(fastgd.InputRangeWarning, match=r"pass X.astype\(np.uint8\)"):
        net.predict(np.full((2, 16), 200, dtype=np.int64))


# ---- 8, 9. callbacks that replace the network; grids of several shapes ---------------------------


def test_a_callback_that_replaces_the_network_does_not_break_the_fit():
    X, labels, _ = make_data(200, [6, 5, 3])
    net = fastgd.Network([6, 5, 3], seed=0)
    trainer = fastgd.Trainer(net, eta=1.0, mini_batch_size=10, epochs=3, verbose=0)
    copy = pickle.loads(pickle.dumps(net))
    start = net.weights[0].copy()

    def replace(epoch, logs, trainer):
        trainer.network = copy

    with pytest.warns(RuntimeWarning, match="this fit goes on training the network it started"):
        history = trainer.fit(X, labels, callbacks=[replace])
    assert len(history.epoch) == 3
    assert not np.array_equal(net.weights[0], start)  # the network it started with trained
    assert np.array_equal(copy.weights[0], start)
    assert not net._training.locked() and not copy._training.locked()
    fastgd.Trainer(net, eta=1.0, mini_batch_size=10, epochs=1, verbose=0).fit(X, labels)


def test_a_table_of_runs_that_set_different_parameters(data):
    train, test = data
    result = fastgd.sweep(
        [
            {"eta": 1.0, "sizes": SIZES},
            {"eta": 1.0, "sizes": SIZES, "cost": "cross_entropy"},
            {"eta": 2.0, "sizes": SIZES, "init": "scaled", "seed": 3},
        ],
        train,
        test_data=test,
        executor=ThreadPoolExecutor(2),
        verbose=0,
        mini_batch_size=10,
        epochs=1,
    )
    text = str(result.table())
    # (The runs that leave cost out are at its default.)
    assert "cost=quadratic" in text and "cost=cross_entropy" in text
    assert len(text.splitlines()) == 4


# ---- 12. messages, not tracebacks ----------------------------------------------------------------


def test_a_zip_needing_an_unknown_version_is_a_value_error(tmp_path):
    path = tmp_path / "net.npz"
    fastgd.Network([3, 2], seed=0).save(path)
    data = bytearray(path.read_bytes())
    central = data.find(b"PK\x01\x02")
    struct.pack_into("<H", data, central + 6, 99)  # version needed to extract: 9.9
    path.write_bytes(bytes(data))
    with pytest.raises(ValueError, match="cannot be read as a fastgd file: zip file version 9.9"):
        fastgd.Network.load(path)


def test_a_checkpoint_of_zero_epochs_and_no_history_loads_and_reports(tmp_path, mnist_dir):
    """epochs_done 0 and a history of nothing at all ({}): it raised KeyError 'epoch' in
    checkpoint.load and in `fastgd report`."""
    pytest.importorskip("matplotlib")
    net = fastgd.Network([784, 10], seed=0)
    trainer = fastgd.Trainer(net, eta=1.0, mini_batch_size=5, epochs=2, verbose=0)
    path = tmp_path / "zero.npz"
    trainer.save_checkpoint(path, np.random.default_rng(0), 0, fastgd.History())
    with np.load(path) as npz:
        arrays = dict(npz)
    state = json.loads(str(arrays["trainer_state"]))
    state["history"] = {}
    arrays["trainer_state"] = np.array(json.dumps(state))
    np.savez(path, **arrays)
    saved = checkpoint.load(path)
    assert saved.epochs_done == 0 and saved.history.epoch == []
    done = run_fastgd("report", path, "--out", tmp_path / "report.png", "--data", mnist_dir)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "report.png").stat().st_size > 10000


def test_the_scheduler_going_away_is_a_sweep_error(tmp_path, data):
    """A real `dask scheduler` and `dask worker` started here; the scheduler is killed while the
    sweep waits for its runs."""
    distributed = pytest.importorskip("distributed")
    train, test = data
    dask = [sys.executable, "-m", "distributed.cli.dask_scheduler"]
    scheduler = subprocess.Popen(
        [
            *dask,
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--no-dashboard",
            "--scheduler-file",
            str(tmp_path / "scheduler.json"),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    worker = None
    try:
        deadline = time.monotonic() + 60
        while not (tmp_path / "scheduler.json").exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        address = json.loads((tmp_path / "scheduler.json").read_text())["address"]
        worker = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "distributed.cli.dask_worker",
                address,
                "--nthreads",
                "1",
                "--no-dashboard",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = distributed.Client(address, timeout=60)
        client.wait_for_workers(1, timeout=60)
        X, labels, _ = make_data(20000, [64, 30, 10], seed=5)

        def kill_soon():
            time.sleep(3)
            scheduler.kill()

        import threading

        threading.Thread(target=kill_soon, daemon=True).start()
        started = time.monotonic()
        with pytest.raises(runners.SweepError, match="the Dask cluster dropped the sweep's runs"):
            fastgd.sweep(
                {"eta": [0.5, 1.0, 2.0, 3.0]},
                (X, labels),
                executor=client,
                verbose=0,
                sizes=[64, 30, 10],
                mini_batch_size=10,
                epochs=400,  # (about 5 s a run: the scheduler dies in the first)
            )
        assert time.monotonic() - started < 30
        client.close(timeout=5)
    finally:
        scheduler.kill()
        if worker is not None:
            worker.kill()
            worker.wait(30)
        scheduler.wait(30)


# ---- 13. a big grid ------------------------------------------------------------------------------


def test_a_big_grid_draws_each_architecture_once(data, monkeypatch, capsys):
    """A grid of 10,000 runs over one architecture: checking it draws one network (it drew one
    per run: 7-12 minutes for a million), and says what it is doing."""
    from fastgd import initializers

    draws = []
    real = initializers.draw
    monkeypatch.setattr(initializers, "draw", lambda *a: draws.append(1) or real(*a))

    class Refusing(ThreadPoolExecutor):
        def submit(self, *args, **kwargs):
            raise KeyboardInterrupt  # stop once every run is checked

    train, test = data
    started = time.perf_counter()
    result = fastgd.sweep(
        {"eta": list(np.linspace(0.1, 10, 100)), "seed": list(range(100))},
        train,
        executor=Refusing(1),
        **FIXED,
    )
    assert result.interrupted and "checking the settings of 10,000 runs" in capsys.readouterr().out
    assert len(draws) <= 2, len(draws)  # one to check the runs, one to check the data
    print(f"10,000 runs checked in {time.perf_counter() - started:.2f} s")
