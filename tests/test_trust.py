"""Trust: random networks and inputs against the reference, divergence, threads, interrupts,
faults and untrusted files."""

import os
import signal
import subprocess
import sys
import threading
import time
import warnings
import zipfile

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from threadpoolctl import threadpool_limits

import fastgd
from fastgd import reference as ref
from fastgd.core import _core

from conftest import copy_params, make_data

LAYOUTS = ["C", "Fortran", "strided", "read-only", "int", "bool", "list"]


def arrange(X, layout):
    """X (float64 in [0, 1)) in one of the layouts a user may pass."""
    if layout == "Fortran":
        return np.asfortranarray(X)
    if layout == "strided":
        wide = np.zeros((X.shape[0], 2 * X.shape[1]))
        wide[:, ::2] = X
        return wide[:, ::2]
    if layout == "read-only":
        X = X.copy()
        X.flags.writeable = False
        return X
    if layout == "int":
        return (X * 3).astype(np.int32)
    if layout == "bool":
        return X > 0.5
    if layout == "list":
        return X.tolist()
    return X


@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_random_networks_and_inputs_agree_with_the_reference(data):
    """Any sizes (1-4 layers of weights, 1-64 units), mini-batch sizes from 1 past n, both
    dtypes, reductions, thread counts and every input layout: fit gives the reference's weights
    (within 1e-9 in float64; in float32 as close to exact arithmetic as NumPy's float32), and
    the caller's arrays are untouched."""
    n_layers = data.draw(st.integers(1, 4), label="weight layers")
    sizes = [data.draw(st.integers(1, 64), label="units") for _ in range(n_layers + 1)]
    dtype = data.draw(st.sampled_from(["float64", "float32"]), label="dtype")
    n = data.draw(st.integers(1, 60), label="n")
    m = data.draw(st.integers(1, n + 5), label="mini_batch_size")
    layout = data.draw(st.sampled_from(LAYOUTS), label="layout")
    reduction = data.draw(st.sampled_from(["mean", "sum"]), label="reduction")
    n_threads = data.draw(st.integers(1, 3), label="n_threads")
    epochs = data.draw(st.integers(1, 2), label="epochs")
    seed = data.draw(st.integers(0, 2**32 - 1), label="seed")

    rng = np.random.default_rng(seed)
    X = arrange(rng.random((n, sizes[0])), layout)
    labels = rng.integers(0, sizes[-1], n)
    X_before = np.array(X, copy=True)
    eta = 0.5 if reduction == "mean" else 0.5 / m
    net = fastgd.Network(sizes, seed=seed, dtype=dtype)
    W, B = copy_params(net)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # m > n is clipped, with a warning
        fastgd.Trainer(
            net,
            eta=eta,
            mini_batch_size=m,
            epochs=epochs,
            seed=seed,
            verbose=0,
            reduction=reduction,
            n_threads=n_threads,
        ).fit(X, labels)

    def reference(W, B, dtype):
        Xr = np.asarray(np.array(X_before), dtype=dtype)
        Y = np.eye(sizes[-1], dtype=dtype)[labels]
        order_rng = np.random.default_rng(seed)
        for _ in range(epochs):
            ref.train_epoch(W, B, Xr, Y, order_rng.permutation(n), min(m, n), eta, reduction)
        return W + B

    got = net.weights + net.biases
    if dtype == "float64":
        for a, b in zip(got, reference(W, B, "float64")):
            np.testing.assert_allclose(a, b, rtol=0, atol=1e-9)
    else:
        # float32 rounding can grow over many steps (online learning through saturating
        # sigmoids), for NumPy as for the core: measure both against float64 arithmetic and
        # require the core to be about as close as NumPy's float32 is.
        exact = reference(*[[a.astype(np.float64) for a in group] for group in (W, B)], "float64")
        numpy32 = reference(W, B, "float32")
        core_error = max(np.abs(a - e).max() for a, e in zip(got, exact))
        numpy_error = max(np.abs(a - e).max() for a, e in zip(numpy32, exact))
        assert core_error <= 4 * numpy_error + 1e-5, (core_error, numpy_error)
    np.testing.assert_array_equal(np.array(X), X_before)


@settings(max_examples=100, deadline=None)
@given(data=st.data())
def test_random_bad_inputs_get_clear_errors_and_change_nothing(data):
    sizes = [data.draw(st.integers(1, 16)) for _ in range(data.draw(st.integers(2, 4)))]
    n = data.draw(st.integers(1, 20))
    rng = np.random.default_rng(data.draw(st.integers(0, 1000)))
    X = rng.random((n, sizes[0]))
    labels = rng.integers(0, sizes[-1], n)
    fault = data.draw(
        st.sampled_from(["nan", "inf", "width", "label", "rows", "dtype", "ndim", "empty"])
    )
    if fault in ("nan", "inf"):
        X[data.draw(st.integers(0, n - 1)), data.draw(st.integers(0, sizes[0] - 1))] = (
            np.nan if fault == "nan" else -np.inf
        )
    elif fault == "width":
        X = rng.random((n, sizes[0] + data.draw(st.integers(1, 3))))
    elif fault == "label":
        labels[data.draw(st.integers(0, n - 1))] = sizes[-1] + data.draw(st.integers(0, 5))
    elif fault == "rows":
        labels = labels[:-1]
    elif fault == "dtype":
        X = X.astype(complex)
    elif fault == "ndim":
        X = X[None]
    else:
        X, labels = X[:0], labels[:0]
    net = fastgd.Network(sizes, seed=0)
    W, B = copy_params(net)
    with pytest.raises((ValueError, TypeError)) as info:
        fastgd.Trainer(net, eta=1.0, mini_batch_size=3, epochs=1, verbose=0).fit(X, labels)
    assert "X" in str(info.value) or "y" in str(info.value)
    for got, want in zip(net.weights + net.biases, W + B):
        np.testing.assert_array_equal(got, want)


# ---- divergence -------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype, eta", [("float64", 1.7e308), ("float32", 3.3e38)])
def test_divergence_names_the_mini_batch_and_keeps_the_last_finite_weights(dtype, eta):
    """Mini-batches 0-2 hold zero inputs and targets equal to the network's outputs, so their
    updates are exactly zero; mini-batch 3 (inputs 1, targets opposite to the outputs) makes
    the sum of 32 gradients times eta overflow."""
    sizes = [4, 6, 3]
    net = fastgd.Network(sizes, seed=0, dtype=dtype)
    X = np.zeros((160, 4), dtype)
    X[96:] = 1
    Y = np.repeat(net.feedforward(np.zeros((1, 4), dtype)), 160, axis=0)
    Y[96:] = 1 - np.round(Y[96:])
    W, B = copy_params(net)
    trainer = fastgd.Trainer(
        net, eta=eta, mini_batch_size=32, epochs=3, shuffle=False, reduction="sum", verbose=0
    )
    with pytest.raises(
        FloatingPointError,
        match=r"diverged in epoch 0, mini-batch 3: .* "
        r"keeps the weights from before",
    ):
        trainer.fit(X, Y)
    for got, want in zip(net.weights + net.biases, W + B):
        np.testing.assert_array_equal(got, want)

    trainer.on_nonfinite = "warn"
    with pytest.warns(RuntimeWarning, match="mini-batch 3"):
        history = trainer.fit(X, Y)
    assert history.diverged and history.epoch == []
    for got, want in zip(net.weights + net.biases, W + B):
        np.testing.assert_array_equal(got, want)

    trainer.on_nonfinite = "ignore"
    with pytest.warns(RuntimeWarning, match="infinite or NaN after this fit"):
        trainer.fit(X, Y)
    assert not all(np.isfinite(a).all() for a in net.weights + net.biases)


# ---- threads ----------------------------------------------------------------------------------


def test_the_core_releases_the_gil():
    """While a long epoch runs in another thread, this thread keeps running Python."""
    X, labels, _ = make_data(30000, [784, 30, 10], seed=2)
    net = fastgd.Network([784, 30, 10], seed=0)
    trainer = fastgd.Trainer(net, eta=1.0, mini_batch_size=1, epochs=1, verbose=0, n_threads=1)
    trainer_X, trainer_y = np.ascontiguousarray(X), labels
    done = threading.Event()
    worker = threading.Thread(target=lambda: (trainer.fit(trainer_X, trainer_y), done.set()))
    counts = 0
    worker.start()
    while not done.is_set():
        counts += 1
        time.sleep(0)
    worker.join()
    # With the GIL held through the core, this loop would stall for whole chunks (15,000
    # samples, tens of milliseconds each) and count a handful of times.
    assert counts > 1000


def test_the_same_network_in_two_fits_at_once_is_an_error():
    X, labels, _ = make_data(30000, [100, 30, 10], seed=3)
    net = fastgd.Network([100, 30, 10], seed=0)
    started = threading.Event()

    def slow(epoch, logs, trainer):
        started.set()
        time.sleep(0.5)

    worker = threading.Thread(
        target=lambda: fastgd.Trainer(net, eta=1.0, mini_batch_size=10, epochs=1, verbose=0).fit(
            X, labels, callbacks=[slow]
        )
    )
    worker.start()
    started.wait(30)
    with pytest.raises(RuntimeError, match="being trained by another fit"):
        fastgd.Trainer(net, eta=1.0, mini_batch_size=10, epochs=1, verbose=0).fit(X, labels)
    worker.join()
    assert all(np.isfinite(a).all() for a in net.weights + net.biases)


@pytest.mark.parametrize("cost", ["quadratic", "cross_entropy"])
def test_blas_path_agrees_across_blas_thread_counts(cost):
    """Mini-batches over 32 rows go through OpenBLAS; its thread count may change the last bits,
    within the 1e-12 (float64) after an epoch that docs/numerics.md states."""
    X, labels, Y = make_data(2000, [300, 200, 10], seed=4)
    order = np.random.default_rng(0).permutation(2000)
    results = []
    for threads in (1, 2):
        net = fastgd.Network([300, 200, 10], seed=0)
        with threadpool_limits(threads, user_api="blas"):
            _core.train_chunk(
                net.weights,
                net.biases,
                X,
                Y,
                order,
                100,
                1.0,
                True,
                cost=cost,
                path="blas",
                n_threads=1,
            )
        results.append(net.weights + net.biases)
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-12)


# ---- interrupts and faults -------------------------------------------------------------------

SIGINT_RUN = """
import signal, sys, numpy as np, fastgd
# As in a terminal, even if this test runs where SIGINT is ignored (a shell's background job).
signal.signal(signal.SIGINT, signal.default_int_handler)
sizes = [int(s) for s in sys.argv[1].split(",")]
rng = np.random.default_rng(0)
X, y = rng.random((20000, sizes[0])), rng.integers(0, 10, 20000)
net = fastgd.Network(sizes, seed=0)
trainer = fastgd.Trainer(net, eta=1.0, mini_batch_size=int(sys.argv[2]), epochs=10000, verbose=0)
print("training", flush=True)
try:
    for fits in range(3):  # a script that fits in a loop: one Ctrl-C ends it
        trainer.fit(X, y)
except KeyboardInterrupt:  # (on_interrupt="raise", the default)
    history = trainer.history
finite = all(np.isfinite(a).all() for a in net.weights + net.biases)
print("interrupted", history.interrupted, "finite", finite, "epochs", len(history.epoch),
      "fits", fits)
"""


@pytest.mark.parametrize("sizes, m", [("300,30,10", 1), ("784,3000,10", 10)])
def test_sigint_in_a_real_process_returns_within_a_fraction_of_a_second(sizes, m):
    """Online learning, and a wide network whose 15,000-sample chunk took seconds: chunks
    are sized by time, so the interrupt is answered within a fraction of a second."""
    process = subprocess.Popen(
        [sys.executable, "-c", SIGINT_RUN, sizes, str(m)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout.readline() == "training\n"
        time.sleep(1.0)
        sent = time.perf_counter()
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=60)
        latency = time.perf_counter() - sent
    finally:
        process.kill()  # (a timeout leaves the child running: 10,000 epochs of it)
        process.wait()
    assert process.returncode == 0, err
    assert out.startswith("interrupted True finite True"), out
    assert out.split()[-2:] == ["fits", "0"]  # the loop stopped at its first fit
    assert latency < 1.0  # chunks of at most 0.1 s of work


def test_a_full_disk_during_download_leaves_the_cache_clean(tmp_path, monkeypatch, mnist_dir):
    from test_datasets import Mirrors

    import fastgd.files.mnist as datasets

    server = Mirrors(mnist_dir)
    cache = tmp_path / "cache"
    real_replace = os.replace

    def full_disk(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(datasets.os, "replace", full_disk)
    monkeypatch.delenv("FASTGD_DATA", raising=False)
    try:
        with pytest.raises(datasets.DownloadError, match="No space left on device"):
            fastgd.load_mnist(cache_dir=cache, mirrors=[server.url("good")])
    finally:
        server.close()
    monkeypatch.setattr(datasets.os, "replace", real_replace)
    assert os.listdir(cache) == []


def test_a_read_only_directory_during_a_save_leaves_the_old_file(tmp_path, monkeypatch):
    """(Simulated: the tests run as root, who may write anywhere.)"""
    import fastgd.files.writing as io_module

    path = tmp_path / "net.npz"
    fastgd.Network([4, 3], seed=1).save(path)
    before = path.read_bytes()

    def read_only(*args, **kwargs):
        raise PermissionError(13, "Permission denied", str(tmp_path))

    monkeypatch.setattr(io_module, "_open_temporary", read_only)
    with pytest.raises(PermissionError, match=f"cannot write {path}: Permission denied"):
        fastgd.Network([4, 3], seed=2).save(path)
    assert path.read_bytes() == before


# ---- untrusted files --------------------------------------------------------------------------


def crafted_npz(path, **members):
    """An .npz whose members are raw .npy byte strings."""
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name + ".npy", data)


def npy_header(shape, descr="<f8"):
    header = {"descr": descr, "fortran_order": False, "shape": shape}
    import io

    buffer = io.BytesIO()
    np.lib.format.write_array_header_1_0(buffer, header)
    return buffer.getvalue()


def npy_bytes(array):
    import io

    buffer = io.BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()


def network_members(**change):
    """The members of a saved [3, 2] network as .npy bytes, with some replaced."""
    members = {k: npy_bytes(v) for k, v in fastgd.Network([3, 2], seed=0)._arrays().items()}
    members.update(change)
    return members


@pytest.mark.parametrize(
    "change, match",
    [
        (
            dict(weights_0=npy_header((2**40, 2**20)) + b"\0" * 64),
            r"weights_0 has shape \(1099511627776, 1048576\), expected \(2, 3\)",
        ),
        (
            dict(
                sizes=npy_bytes(np.array([2**30, 2**30])),
                weights_0=npy_header((2**30, 2**30)) + b"\0" * 64,
                biases_0=npy_header((2**30,)) + b"\0" * 64,
            ),
            # (The network's reader compares what the sizes need with what the file holds,
            # before any member's header is read.)
            r"sizes \[1073741824, 1073741824\] in float64 need 9,223,372,045,444,710,400 bytes "
            r"of weights and biases, but the file holds \d+ bytes of them",
        ),
        (
            dict(weights_0=npy_header((2, 3)) + b"\0" * 8),
            r"weights_0 declares shape \(2, 3\) of float64 \(48 bytes\) but holds 8 bytes",
        ),
    ],
)
def test_a_crafted_npz_with_huge_dimensions_is_refused_before_allocating(tmp_path, change, match):
    path = tmp_path / "evil.npz"
    crafted_npz(path, **network_members(**change))
    with pytest.raises(ValueError, match=match):
        fastgd.Network.load(path)


@pytest.mark.parametrize(
    "change, match",
    [
        (dict(sizes=np.array([3, -2])), r"sizes \[3, -2\]: each layer must be of 1 to"),
        (dict(sizes=np.array([3])), "sizes"),
        (
            dict(weights_0=np.zeros((2, 3), dtype=np.int64)),
            "weights_0 is of dtype int64, expected float64",
        ),
        (dict(weights_0=np.zeros((3, 2))), r"weights_0 has shape \(3, 2\), expected \(2, 3\)"),
        (dict(dtype=np.array("complex128")), "dtype must be"),
        (dict(version=np.array(99)), "format version 99, newer"),
    ],
)
def test_a_crafted_network_file_is_refused(tmp_path, change, match):
    arrays = fastgd.Network([3, 2], seed=0)._arrays()
    arrays.update(change)
    path = tmp_path / "crafted.npz"
    np.savez(path, **arrays)
    with pytest.raises(ValueError, match=match):
        fastgd.Network.load(path)


def test_nothing_loads_pickle_unless_asked(tmp_path):
    import pickle

    path = tmp_path / "mnist.pkl.gz"
    import gzip

    with gzip.open(path, "wb") as f:
        pickle.dump(((np.zeros((1, 784)), np.zeros(1)),) * 3, f)
    with pytest.raises(ValueError, match="allow_pickle=True"):
        fastgd.load_book_pickle(path)
    with pytest.raises(ValueError):
        fastgd.Network.load(path)


REPLACE_RUN = """
import threading, time, numpy as np, fastgd
X = np.random.default_rng(0).random((20000, 784)); y = np.arange(20000) % 10
net = fastgd.Network([784, 1000, 10], seed=0)
replacement = None

def meddle():
    global replacement
    time.sleep(0.1)
    for _ in range(30):
        replacement = net.weights[0].copy()
        net.weights[0] = replacement
        net.predict(X[:500])
        time.sleep(0.01)

thread = threading.Thread(target=meddle)
thread.start()
fastgd.Trainer(net, eta=0.1, mini_batch_size=10, epochs=1, verbose=0).fit(X, y)
thread.join()
print(net.weights[0] is replacement, np.isfinite(net.weights[0]).all())
"""


def test_replacing_weights_during_a_fit_or_a_prediction_cannot_crash():
    """The issue's segmentation fault: another thread replaces net.weights[0] while the core
    writes to it (and predicts meanwhile). The core holds the arrays it works on; the
    replacement takes effect from the next call."""
    result = subprocess.run(
        [sys.executable, "-c", REPLACE_RUN], capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "True"]


def test_save_and_predict_during_a_fit_see_the_network_between_two_chunks(monkeypatch, tmp_path):
    """A reader in another thread waits for the chunk in progress: every network it saves or
    feeds forward is one the fit had at a chunk boundary (before, biases were updated in place
    while the weights waited in their transposed copy: a network that never existed)."""
    from fastgd.training import chunks

    monkeypatch.setattr(chunks, "FIRST_CHUNK_SAMPLES", 50)
    monkeypatch.setattr(chunks, "CHUNK_SAMPLES", 50)
    sizes = [64, 400, 10]
    X, labels, _ = make_data(1000, sizes, seed=7)
    net = fastgd.Network(sizes, seed=8)
    probe = X[:20]

    def key(params):
        return b"".join(a.tobytes() for a in params)

    boundaries = {key(net._parameters())}
    train_chunk = fastgd.Trainer._train_chunk

    def recording(self, state, order, n_threads, cost_sum=0.0):
        result = train_chunk(self, state, order, n_threads, cost_sum)
        boundaries.add(key(self.network._parameters()))
        time.sleep(0.002)  # (between chunks, so that the reader gets in often)
        return result

    monkeypatch.setattr(fastgd.Trainer, "_train_chunk", recording)
    done = threading.Event()
    seen_saved, seen_outputs = [], []

    def reader():
        i = 0
        while not done.is_set():
            path = tmp_path / f"n{i % 3}.npz"
            net.save(path)
            loaded = fastgd.Network.load(path)
            seen_saved.append(key(loaded.weights + loaded.biases))
            seen_outputs.append(net.feedforward(probe))
            i += 1

    thread = threading.Thread(target=reader)
    thread.start()
    try:
        fastgd.Trainer(
            net, eta=2.0, mini_batch_size=10, epochs=3, seed=0, verbose=0, n_threads=1
        ).fit(X, labels)
    finally:
        done.set()
        thread.join()
    assert len(boundaries) > 50 and len(seen_saved) > 10
    assert all(k in boundaries for k in seen_saved)
    outputs_at_boundaries = set()
    for params in boundaries:
        snapshot = fastgd.Network(sizes, seed=0)
        flat = np.frombuffer(params, dtype=np.float64)
        at = 0
        for array in snapshot.weights + snapshot.biases:
            array[...] = flat[at : at + array.size].reshape(array.shape)
            at += array.size
        outputs_at_boundaries.add(snapshot.feedforward(probe).tobytes())
    assert all(out.tobytes() in outputs_at_boundaries for out in seen_outputs)


def test_many_threads_calling_the_core_at_once_get_exact_results():
    """Four Python threads feed forward at once with 1-4 threads each: one call has the
    core's thread pool, the others start teams of their own; every output is exact."""
    net = fastgd.Network([64, 20, 10], seed=0)
    X = np.random.default_rng(0).random((5000, 64))
    want = net.feedforward(X).tobytes()
    wrong = []

    def hammer(k):
        out = np.empty((5000, 10))
        for i in range(100):
            _core.feedforward(
                net.weights, net.biases, X, out, path="small", n_threads=1 + (i + k) % 4
            )
            if out.tobytes() != want:
                wrong.append((k, i))

    threads = [threading.Thread(target=hammer, args=(k,)) for k in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert wrong == []
