import os
import re
import subprocess
import sys

import numpy as np
import pytest

import fastgd
from fastgd import reference as ref

from conftest import copy_params, make_data

SIZES = [8, 6, 3]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_fit_follows_the_seeded_shuffle(dtype):
    """Each epoch uses the next permutation of numpy.random.default_rng(seed)."""
    X, labels, Y = make_data(97, SIZES, dtype, seed=1)
    net = fastgd.Network(SIZES, seed=2, dtype=dtype)
    W, B = copy_params(net)
    fastgd.Trainer(net, eta=1.5, mini_batch_size=10, epochs=3, seed=42, verbose=0).fit(X, labels)
    rng = np.random.default_rng(42)
    for _ in range(3):
        ref.train_epoch(W, B, X, Y, rng.permutation(97), 10, 1.5)
    tol = 1e-10 if dtype == np.float64 else 2e-5
    for got, want in zip(net.weights + net.biases, W + B):
        assert np.abs(got - want).max() < tol


def train(seed, dtype="float64", **kwargs):
    X, labels, _ = make_data(120, SIZES, seed=3)
    net = fastgd.Network(SIZES, seed=4, dtype=dtype)
    history = fastgd.Trainer(
        net, eta=2.0, mini_batch_size=7, epochs=2, seed=seed, verbose=0, **kwargs
    ).fit(X, labels, test_data=(X, labels))
    return net, history


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_same_seed_same_bits_other_seed_other_result(dtype):
    a, ha = train(0, dtype)
    b, hb = train(0, dtype)
    c, _ = train(1, dtype)
    for x, y, z in zip(a.weights + a.biases, b.weights + b.biases, c.weights + c.biases):
        assert x.tobytes() == y.tobytes()
        assert not np.array_equal(x, z)
    assert ha.train_cost == hb.train_cost


def test_no_shuffle_ignores_the_seed():
    a, _ = train(0, shuffle=False)
    b, _ = train(1, shuffle=False)
    for x, y in zip(a.weights + a.biases, b.weights + b.biases):
        assert x.tobytes() == y.tobytes()


def test_two_fits_in_two_python_threads_give_what_each_gives_alone():
    """The core releases the GIL: two fits on two networks in two threads finish with exactly
    the weights each gives alone."""
    import threading

    X, labels, _ = make_data(3000, [64, 30, 10], seed=30)

    def fit(seed):
        net = fastgd.Network([64, 30, 10], seed=seed)
        fastgd.Trainer(net, eta=1.0, mini_batch_size=10, epochs=3, seed=seed, verbose=0).fit(
            X, labels
        )
        return net

    alone = [fit(1), fit(2)]
    together = [None, None]
    threads = [
        threading.Thread(target=lambda i=i: together.__setitem__(i, fit(i + 1))) for i in range(2)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for a, t in zip(alone, together):
        for x, y in zip(a.weights + a.biases, t.weights + t.biases):
            assert x.tobytes() == y.tobytes()


def test_targets_as_vectors_equal_labels():
    X, labels, Y = make_data(40, SIZES, seed=5)
    nets = []
    for y in (labels, Y):
        net = fastgd.Network(SIZES, seed=6)
        fastgd.Trainer(net, eta=1.0, mini_batch_size=4, epochs=1, seed=0, verbose=0).fit(X, y)
        nets.append(net)
    for x, y in zip(nets[0].weights, nets[1].weights):
        np.testing.assert_array_equal(x, y)


def test_history_and_report(capsys):
    X, labels, Y = make_data(60, SIZES, seed=7)
    net = fastgd.Network(SIZES, seed=8)
    history = fastgd.Trainer(
        net, eta=3.0, mini_batch_size=5, epochs=3, seed=0, train_cost="exact"
    ).fit(X, labels, test_data=(X[:50], labels[:50]))
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 3
    for k, line in enumerate(lines):
        assert re.fullmatch(rf"Epoch {k}: \d+ / 50, train cost \d+\.\d{{4}}, \d+\.\d{{3}} s", line)
    assert history.epoch == [0, 1, 2]
    assert len(history.seconds) == 3 and all(s > 0 for s in history.seconds)
    assert history.test_correct == [int(l.split(":")[1].split("/")[0]) for l in lines]
    assert history.test_accuracy == [c / 50 for c in history.test_correct]
    assert history.best_test_accuracy == max(history.test_accuracy)
    assert history.train_cost[-1] == pytest.approx(net.cost(X, labels), rel=1e-12)
    assert history.train_cost[-1] < history.train_cost[0]


def test_report_without_test_data_and_silence(capsys):
    X, labels, _ = make_data(20, SIZES, seed=9)
    net = fastgd.Network(SIZES, seed=10)
    history = fastgd.Trainer(net, eta=1.0, mini_batch_size=5, epochs=1).fit(X, labels)
    assert re.fullmatch(
        r"Epoch 0 complete, train cost \d+\.\d{4}, \d+\.\d{3} s\n", capsys.readouterr().out
    )
    assert history.test_accuracy == [] and history.best_test_accuracy is None
    fastgd.Trainer(net, eta=1.0, mini_batch_size=5, epochs=1, verbose=0).fit(X, labels)
    assert capsys.readouterr().out == ""


def test_zero_epochs_changes_nothing():
    X, labels, _ = make_data(20, SIZES, seed=11)
    net = fastgd.Network(SIZES, seed=12)
    W, _ = copy_params(net)
    history = fastgd.Trainer(net, eta=1.0, mini_batch_size=5, epochs=0).fit(X, labels)
    assert history.epoch == []
    np.testing.assert_array_equal(net.weights[0], W[0])


def test_mini_batch_larger_than_the_data_is_one_batch():
    X, labels, _ = make_data(9, SIZES, seed=13)
    a = fastgd.Network(SIZES, seed=14)
    b = fastgd.Network(SIZES, seed=14)
    with pytest.warns(UserWarning, match="mini_batch_size=50 is larger than the 9"):
        fastgd.Trainer(a, eta=1.0, mini_batch_size=50, epochs=1, shuffle=False, verbose=0).fit(
            X, labels
        )
    fastgd.Trainer(b, eta=1.0, mini_batch_size=9, epochs=1, shuffle=False, verbose=0).fit(X, labels)
    np.testing.assert_array_equal(a.weights[0], b.weights[0])


GOOD = dict(eta=1.0, mini_batch_size=4, epochs=1)


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        (dict(eta=0), ValueError, "eta must be a finite number greater than 0"),
        (dict(eta=-1.0), ValueError, "eta must be"),
        (dict(eta=float("nan")), ValueError, "eta must be"),
        (dict(eta="3"), TypeError, "eta must be a real number"),
        (dict(mini_batch_size=0), ValueError, "mini_batch_size must be at least 1"),
        (dict(mini_batch_size=2.5), TypeError, "mini_batch_size must be an integer"),
        (dict(epochs=-1), ValueError, "epochs must be at least 0"),
        (dict(reduction="avg"), ValueError, "reduction must be one of"),
        (dict(shuffle="yes"), TypeError, "shuffle must be True or False"),
        (dict(n_threads=0), ValueError, "n_threads must be at least 1"),
    ],
)
def test_bad_hyperparameters(kwargs, error, match):
    net = fastgd.Network(SIZES, seed=0)
    with pytest.raises(error, match=match):
        fastgd.Trainer(net, **{**GOOD, **kwargs})


def test_bad_network():
    with pytest.raises(TypeError, match="network must be a fastgd.Network"):
        fastgd.Trainer([8, 6, 3], **GOOD)


def bad_data_cases():
    X, labels, Y = make_data(10, SIZES, seed=15)
    nan_X = X.copy()
    nan_X[3, 2] = np.nan
    return [
        ("X wrong width", (X[:, :5], labels), ValueError, r"X has 5 features .*\(sizes\[0\]\)"),
        ("X 1-D", (X[0], labels[:1]), ValueError, r"X must be a 2-D array .*X\.reshape\(1, -1\)"),
        (
            "X NaN",
            (nan_X, labels),
            ValueError,
            r"X contains NaN or infinity \(first at index \(3, 2\)",
        ),
        ("X strings", (X.astype(str), labels), TypeError, "X must hold real numbers"),
        ("X empty", (X[:0], labels[:0]), ValueError, "training set is empty"),
        ("y too short", (X, labels[:9]), ValueError, "y has 9 labels but X has 10 samples"),
        (
            "y label 3",
            (X, np.where(labels == 0, 3, labels)),
            ValueError,
            r"y holds label 3, outside \[0, 3\)",
        ),
        ("y negative", (X, np.where(labels == 0, -1, labels)), ValueError, "y holds label -1"),
        ("y float labels", (X, labels.astype(float)), TypeError, "must be integers"),
        ("Y wrong width", (X, Y[:, :2]), ValueError, r"target vectors of shape \(n_samples, 3\)"),
        ("Y NaN", (X, np.where(Y == 1, np.nan, Y)), ValueError, "y contains NaN"),
        ("test_data not a pair", (X, labels, X), TypeError, "test_data must be a pair"),
        (
            "test X wrong width",
            (X, labels, (X[:, :4], labels)),
            ValueError,
            r"test_data\[0\] has 4 features",
        ),
        (
            "test y out of range",
            (X, labels, (X, labels + 5)),
            ValueError,
            r"test_data\[1\] holds label",
        ),
    ]


@pytest.mark.parametrize("case", bad_data_cases(), ids=lambda c: c[0])
def test_bad_data_is_refused_before_any_work(case):
    _, args, error, match = case
    net = fastgd.Network(SIZES, seed=16)
    W, B = copy_params(net)
    with pytest.raises(error, match=match):
        fastgd.Trainer(net, **GOOD).fit(*args)
    for got, want in zip(net.weights + net.biases, W + B):
        np.testing.assert_array_equal(got, want)


def test_the_callers_data_is_not_modified():
    X, labels, _ = make_data(30, SIZES, seed=17)
    X0, labels0 = X.copy(), labels.copy()
    net = fastgd.Network(SIZES, seed=18)
    fastgd.Trainer(net, eta=1.0, mini_batch_size=4, epochs=2, seed=0, verbose=0).fit(X, labels)
    np.testing.assert_array_equal(X, X0)
    np.testing.assert_array_equal(labels, labels0)


def test_thread_tuner_measures_each_count_keeps_the_faster_and_looks_again_less_often():
    from fastgd.core.policy import ThreadTuner

    tuner = ThreadTuner([2, 1])
    assert (tuner.FIRST_PROBE, tuner.LAST_PROBE) == (8, 128)
    speed = {2: 3.0, 1: 1.0}  # seconds per sample: one thread is faster here
    chosen = []
    for chunk in range(82):
        n = tuner.choose()
        chosen.append(n)
        tuner.record(n, speed[n] * 100, 100)
        if chunk == 30:
            speed[2] = 0.5  # the machine's other core frees up
    assert chosen[:2] == [2, 1]  # each count once, the default first
    # Then the faster, with a look at the other after 7, 15 and 31 chunks: each look that
    # changes nothing doubles the interval.
    assert [k for k in range(2, 57) if chosen[k] == 2] == [9, 25]
    # The look at chunk 57 finds two threads faster now: they train from then on, and the
    # looks at one thread start again 8 chunks apart, then 16.
    assert chosen[57] == 2
    assert [k for k in range(58, 82) if chosen[k] == 1] == [65, 81]
    assert tuner.seconds_per_sample == {2: 0.5, 1: 1.0}


def test_thread_tuner_leaves_a_count_that_slows_down_without_waiting_for_a_look():
    from fastgd.core.policy import ThreadTuner

    tuner = ThreadTuner([2, 1])
    chosen = []
    for chunk in range(20):
        n = tuner.choose()
        chosen.append(n)
        # Two threads are twice as fast until the other core is taken after chunk 5.
        tuner.record(n, (0.5 if n == 2 and chunk <= 5 else 1.0 if n == 1 else 4.0) * 100, 100)
    assert chosen[:7] == [2, 1, 2, 2, 2, 2, 2]
    assert chosen[7:15] == [1] * 7 + [2]  # slowed at chunk 6: one thread, a look after 7


PINNED_FIT = """
import os, sys, numpy as np
os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})   # one CPU, before any thread starts
import fastgd
from fastgd.training import chunks
from fastgd.core import policy
policy.default_threads = lambda: 2       # as on a machine of two CPUs with one taken
chunks.CHUNK_SAMPLES = 2000
seen = []
train_chunk = fastgd.Trainer._train_chunk
def logging_train_chunk(self, state, order, n_threads, cost_sum=0.0):
    threads, cost_sum = train_chunk(self, state, order, n_threads, cost_sum)
    seen.append(threads)
    return threads, cost_sum
fastgd.Trainer._train_chunk = logging_train_chunk
rng = np.random.default_rng(0)
X = (rng.random((20000, 784)) < 0.3) * rng.integers(0, 256, (20000, 784))
net = fastgd.Network([784, 30, 10], seed=0)
fastgd.Trainer(net, eta=0.5, mini_batch_size=1, epochs=2, seed=0, verbose=0).fit(
    X.astype(np.uint8), rng.integers(0, 10, 20000))
print(" ".join(map(str, seen)))
"""


@pytest.mark.skipif(not hasattr(os, "sched_setaffinity"), reason="needs os.sched_setaffinity")
def test_the_default_thread_count_is_one_when_two_are_slower():
    """Pinned to one CPU, two threads in lockstep take turns on it, twice a mini-batch: online
    learning (m=1) there ran 6x slower on two threads than on one. The tuner measures that and
    trains on one, looking at two only now and then."""
    out = subprocess.run(
        [sys.executable, "-c", PINNED_FIT], capture_output=True, text=True, timeout=300
    )
    assert out.returncode == 0, out.stderr
    seen = [int(n) for n in out.stdout.split()]
    assert len(seen) >= 20 and set(seen) == {1, 2}
    assert seen[:3] == [2, 2, 1]  # a warm-up chunk, then each count measured once
    later = seen[3:]
    assert later.count(2) <= len(later) // 7, seen


def record_threads(monkeypatch):
    """Make fit run on several chunks per epoch, on a machine of two CPUs or more, and log the
    thread count of each."""
    from fastgd.core import policy
    from fastgd.training import chunks

    seen = []
    train_chunk = fastgd.Trainer._train_chunk

    def logging_train_chunk(self, state, order, n_threads, cost_sum=0.0):
        threads, cost_sum = train_chunk(self, state, order, n_threads, cost_sum)
        seen.append(threads)
        return threads, cost_sum

    monkeypatch.setattr(chunks, "CHUNK_SAMPLES", 30)
    monkeypatch.setattr(policy, "default_threads", lambda: 2)
    monkeypatch.setattr(fastgd.Trainer, "_train_chunk", logging_train_chunk)
    return seen


def test_a_look_at_another_thread_count_trains_a_short_chunk(monkeypatch):
    from fastgd.core import policy
    from fastgd.training import chunks

    seen = []  # (a look elsewhere?, samples)
    train_chunk = fastgd.Trainer._train_chunk

    def logging_train_chunk(self, state, order, n_threads, cost_sum=0.0):
        seen.append((state.tuner.is_probe(n_threads), len(order)))
        return train_chunk(self, state, order, n_threads, cost_sum)

    monkeypatch.setattr(chunks, "CHUNK_SAMPLES", 60)
    monkeypatch.setattr(chunks, "FIRST_CHUNK_SAMPLES", 60)
    monkeypatch.setattr(chunks, "CHUNK_SECONDS", 1e9)  # a slow moment must not cut one
    monkeypatch.setattr(policy.ThreadTuner, "PROBE_SAMPLES", 21)
    monkeypatch.setattr(policy, "default_threads", lambda: 2)
    monkeypatch.setattr(fastgd.Trainer, "_train_chunk", logging_train_chunk)
    # The clock decides which count is the fastest and so which chunks are looks: two threads
    # twice as fast here, whatever the machine's load (this test is about the chunks' lengths).
    record = policy.ThreadTuner.record
    monkeypatch.setattr(
        policy.ThreadTuner,
        "record",
        lambda self, n, seconds, samples: record(self, n, samples / n, samples),
    )
    X, labels, _ = make_data(600, SIZES, seed=3)
    net = fastgd.Network(SIZES, seed=4)
    fastgd.Trainer(net, eta=2.0, mini_batch_size=7, epochs=3, seed=0, verbose=0).fit(X, labels)
    looks = [samples for probe, samples in seen if probe]
    assert seen[2] == (True, 21)  # one thread measured first on a short chunk
    assert looks and set(looks) == {21}  # whole mini-batches: 3 of 7
    done = 0
    for probe, samples in seen:  # the others: 8 mini-batches, or what ends an epoch
        done = (done + samples) % 600
        assert probe or samples == 56 or done == 0
    assert done == 0


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_default_threads_are_chosen_by_measuring_and_change_no_bit(monkeypatch, dtype):
    seen = record_threads(monkeypatch)
    tuned, _ = train(5, dtype, n_threads=None)
    assert set(seen) == {1, 2}  # both counts trained chunks of the same fit
    for fixed in (1, 2):
        net, _ = train(5, dtype, n_threads=fixed)
        for x, y in zip(tuned.weights + tuned.biases, net.weights + net.biases):
            assert x.tobytes() == y.tobytes()


def test_larger_mini_batches_keep_the_default_thread_count(monkeypatch):
    """Through BLAS the thread count may change the last bits: no switching there. The core
    gets one thread of its own (the BLAS path refuses more), BLAS the default two."""
    from threadpoolctl import threadpool_info

    seen = record_threads(monkeypatch)
    blas_threads = []
    X, labels, _ = make_data(200, SIZES, seed=3)
    net = fastgd.Network(SIZES, seed=4)

    def blas(epoch, logs, trainer):
        blas_threads.append(
            {i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"}
        )

    fastgd.Trainer(net, eta=2.0, mini_batch_size=40, epochs=2, seed=0, verbose=0).fit(
        X, labels, callbacks=[blas]
    )
    assert seen and set(seen) == {1}
    assert blas_threads == [{2}, {2}]


def test_chunks_shorter_than_half_are_not_measured(monkeypatch):
    """A short chunk's time is mostly start-up: it does not decide the thread count (here every
    chunk is short, so the default two threads stay)."""
    seen = record_threads(monkeypatch)
    X, labels, _ = make_data(10, SIZES, seed=3)
    net = fastgd.Network(SIZES, seed=4)
    fastgd.Trainer(net, eta=2.0, mini_batch_size=7, epochs=4, seed=0, verbose=0).fit(X, labels)
    assert seen == [2] * 4


def test_numpy_scalars_are_plain_values_and_checkpoints_work(tmp_path):
    """np.int64 seed and mini_batch_size, np.float32 eta: the same run as plain values, and
    the checkpoint (JSON) is written (it used to fail after the first epoch)."""
    X, labels, _ = make_data(60, SIZES, seed=3)
    path = tmp_path / "run.npz"
    net = fastgd.Network(SIZES, seed=np.int64(4))
    trainer = fastgd.Trainer(
        net,
        eta=np.float32(1.5),
        mini_batch_size=np.int64(10),
        epochs=np.int16(2),
        seed=np.int64(0),
        shuffle=np.bool_(True),
        verbose=0,
        checkpoint_every=np.int64(1),
        checkpoint_path=path,
    )
    assert (
        type(trainer.eta),
        type(trainer.mini_batch_size),
        type(trainer.seed),
        type(trainer.shuffle),
    ) == (float, int, int, bool)
    trainer.fit(X, labels)
    plain = fastgd.Network(SIZES, seed=4)
    fastgd.Trainer(plain, eta=1.5, mini_batch_size=10, epochs=2, seed=0, verbose=0).fit(X, labels)
    assert all(a.tobytes() == b.tobytes() for a, b in zip(net.weights, plain.weights))
    assert fastgd.training.checkpoint.load(path).epochs_done == 2


def test_a_thread_count_beyond_any_machine_is_refused():
    with pytest.raises(ValueError, match="n_threads must be at most 1024, got 2147483648"):
        fastgd.Trainer(fastgd.Network(SIZES, seed=0), **GOOD, n_threads=2**31)


@pytest.mark.parametrize(
    "where, error, match",
    [
        ("missing/run.npz", FileNotFoundError, "checkpoint_path .*missing/run.npz: the directory"),
        (".", IsADirectoryError, r"checkpoint_path \. is a directory"),
    ],
)
def test_a_checkpoint_path_that_cannot_be_written_is_refused_before_training(
    tmp_path, monkeypatch, where, error, match
):
    monkeypatch.chdir(tmp_path)
    X, labels, _ = make_data(60, SIZES, seed=3)
    net = fastgd.Network(SIZES, seed=4)
    before = copy_params(net)
    with pytest.raises(error, match=match):
        fastgd.Trainer(
            net,
            eta=1.0,
            mini_batch_size=10,
            epochs=3,
            verbose=0,
            checkpoint_every=1,
            checkpoint_path=where,
        ).fit(X, labels)
    assert all(np.array_equal(a, b) for a, b in zip(net.weights, before[0]))


def test_chunks_sized_by_time_change_no_bit(monkeypatch):
    """Chunks follow the measured pace (here a machine made to look slow or fast): the weights
    are those of chunks of fixed size, bit for bit."""
    from fastgd.training import chunks

    X, labels, _ = make_data(500, [64, 20, 10], seed=5)
    results, lengths = [], []
    real_next = chunks.next_chunk
    for pace in (None, 0.001, 1000.0):
        seen = []

        def next_chunk(samples, seconds, m, pace=pace, seen=seen):
            seen.append(samples)
            return real_next(samples, seconds if pace is None else samples / pace, m)

        monkeypatch.setattr(chunks, "next_chunk", next_chunk)
        net = fastgd.Network([64, 20, 10], seed=6)
        fastgd.Trainer(
            net, eta=2.0, mini_batch_size=7, epochs=2, seed=0, verbose=0, n_threads=2
        ).fit(X, labels)
        results.append(b"".join(a.tobytes() for a in net.weights + net.biases))
        lengths.append(seen)
    assert len(set(results)) == 1
    assert len({tuple(chunks) for chunks in lengths}) == 3  # three different chunkings
    assert max(lengths[1][1:]) == 7  # the slow one: a mini-batch each


@pytest.mark.parametrize("cost", ["quadratic", "cross_entropy"])
@pytest.mark.parametrize("m", [7, 40])
def test_the_running_train_cost_is_the_references_mean_of_mini_batch_costs(cost, m):
    """The default train_cost: each mini-batch's cost before its update, averaged over the
    epoch's samples, from the core's forward pass (small path at m=7, BLAS at m=40 here)."""
    from fastgd.core import policy

    X, labels, Y = make_data(97, SIZES, seed=21)
    net = fastgd.Network(SIZES, seed=22)
    W, B = copy_params(net)
    with policy.overrides(training_path="blas" if m == 40 else None):
        history = fastgd.Trainer(
            net, eta=1.5, mini_batch_size=m, epochs=3, seed=5, cost=cost, verbose=0
        ).fit(X, labels)
    assert history.train_cost_kind == "running"
    rng = np.random.default_rng(5)
    want = [
        ref.train_epoch(W, B, X, Y, rng.permutation(97), m, 1.5, "mean", cost) / 97
        for _ in range(3)
    ]
    np.testing.assert_allclose(history.train_cost, want, rtol=1e-12)


def test_the_exact_train_cost_is_the_cost_after_the_epoch():
    X, labels, _ = make_data(60, SIZES, seed=23)
    net = fastgd.Network(SIZES, seed=24)
    history = fastgd.Trainer(
        net, eta=1.5, mini_batch_size=10, epochs=2, seed=0, verbose=0, train_cost="exact"
    ).fit(X, labels)
    assert history.train_cost_kind == "exact"
    assert history.train_cost[-1] == pytest.approx(net.cost(X, labels), rel=1e-12)
    with pytest.raises(
        ValueError,
        match=r"train_cost must be one of \('running', 'exact'\), "
        r"got 'final'",
    ):
        fastgd.Trainer(net, **GOOD, train_cost="final")


def test_the_running_cost_does_not_depend_on_how_the_epoch_is_cut(monkeypatch):
    """The core continues one sum over the epoch's mini-batches whatever the chunks: the same
    float with chunks of one mini-batch as with chunks of the whole epoch."""
    from fastgd.training import chunks

    X, labels, _ = make_data(300, [40, 16, 4], seed=25)
    costs = []
    for chunk in (7, 300):
        monkeypatch.setattr(chunks, "next_chunk", lambda s, t, m, c=chunk: c)
        monkeypatch.setattr(chunks, "FIRST_CHUNK_SAMPLES", chunk)
        net = fastgd.Network([40, 16, 4], seed=26)
        costs.append(
            fastgd.Trainer(net, eta=1.0, mini_batch_size=7, epochs=2, seed=1, verbose=0)
            .fit(X, labels)
            .train_cost
        )
    assert costs[0] == costs[1]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("m", [10, 40])
def test_fit_on_uint8_pixels_equals_fit_on_the_floats(dtype, m):
    """Training, the running cost, the evaluations: bit for bit those of X.astype(dtype)/255
    (small-kernel path at m=10, BLAS at m=40 on this network)."""
    rng = np.random.default_rng(3)
    pixels = rng.integers(0, 256, (200, 30)).astype(np.uint8)
    pixels[rng.random(pixels.shape) < 0.6] = 0
    labels = rng.integers(0, 3, 200)
    runs = []
    for X in (pixels, pixels.astype(dtype) / 255):
        net = fastgd.Network([30, 8, 3], seed=4, dtype=dtype)
        history = fastgd.Trainer(net, eta=1.0, mini_batch_size=m, epochs=2, seed=5, verbose=0).fit(
            X, labels, test_data=(X[:50], labels[:50])
        )
        runs.append(
            (
                b"".join(a.tobytes() for a in net.weights + net.biases),
                history.train_cost,
                history.test_cost,
                history.test_correct,
            )
        )
    assert runs[0] == runs[1]


def test_fit_warns_once_about_floats_above_one():
    X, labels, _ = make_data(40, SIZES, seed=3)
    net = fastgd.Network(SIZES, seed=4)
    with pytest.warns(fastgd.InputRangeWarning) as caught:
        fastgd.Trainer(net, eta=1.0, mini_batch_size=10, epochs=2, verbose=0).fit(X * 255, labels)
    assert len(caught) == 1 and caught[0].filename == __file__


def test_the_first_chunk_is_short_on_a_wide_network():
    """Before the pace is known, Ctrl-C waits for the first chunk: on [784,3000,10] 80 samples
    (not 1,000: seconds of work on a slow machine), on the book's network still 1,000."""
    from fastgd.training import chunks

    assert chunks.first_chunk(fastgd.Network([784, 3000, 10]), 10) == 80
    assert chunks.first_chunk(fastgd.Network([784, 30, 10]), 10) == 1000
    assert chunks.first_chunk(fastgd.Network([784, 30000, 10]), 10) == 10
