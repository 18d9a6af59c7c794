"""The one place that decides paths and threads, and its context-local overrides."""

import threading

import numpy as np
import pytest

import fastgd
from fastgd.core import _core, policy

from conftest import make_data


@pytest.fixture
def two_cpus(monkeypatch):
    monkeypatch.setattr(policy, "default_threads", lambda: 2)


def test_training_plans(two_cpus):
    small = policy.training_plan(10)
    assert (small.path, small.n_threads, small.blas_threads) == ("small", 2, 2)
    assert policy.training_plan(32, 5).n_threads == 2  # two blocks: at most two threads
    assert policy.training_plan(1, 1).n_threads == 1
    blas = policy.training_plan(33, 3)
    assert (blas.path, blas.n_threads, blas.blas_threads) == ("blas", 1, 3)
    assert small.kernel_set is None and small.skip_zero_inputs
    # Networks whose first layer holds most of the weights keep the small kernels longer.
    for sizes, m, path in (
        ([784, 30, 10], 1000, "small"),
        ([784, 30, 10], 1001, "blas"),
        ([784, 100, 100, 10], 300, "small"),
        ([784, 100, 100, 10], 301, "blas"),
        ([784, 512, 512, 10], 32, "small"),
        ([784, 512, 512, 10], 33, "blas"),
    ):
        assert policy.training_plan(m, 2, sizes).path == path, (sizes, m)


def test_forward_plans(two_cpus):
    narrow = policy.forward_plan([784, 30, 10], 10000)
    assert (narrow.path, narrow.n_threads) == ("small", 2)
    assert policy.forward_plan([784, 30, 10], 96, 8).n_threads == 1  # one call's rows
    assert policy.forward_plan([784, 30, 10], 100000, 64).n_threads == 16
    wide = policy.forward_plan([784, 129, 10], 10000, 2)
    assert (wide.path, wide.n_threads, wide.blas_threads) == ("blas", 1, 2)


def test_thread_counts_above_two_give_the_bits_of_one(two_cpus):
    X, labels, _ = make_data(200, [40, 16, 8, 5], seed=20)
    results = []
    for n_threads in (1, 2, 3, 5):
        net = fastgd.Network([40, 16, 8, 5], seed=22)
        fastgd.Trainer(
            net, eta=2.0, mini_batch_size=7, epochs=1, seed=0, verbose=0, n_threads=n_threads
        ).fit(X, labels)
        results.append(b"".join(a.tobytes() for a in net.weights + net.biases))
    assert len(set(results)) == 1


def test_overrides_apply_inside_the_block_only():
    last = _core.kernel_sets()[-1]
    with policy.overrides(
        kernel_set=last, training_path="blas", forward_path="blas", skip_zero_inputs=False
    ):
        plan = policy.training_plan(10, 1)
        assert (plan.path, plan.kernel_set, plan.skip_zero_inputs) == ("blas", last, False)
        assert policy.forward_plan([3, 2], 10, 1).path == "blas"
    plan = policy.training_plan(10, 1)
    assert (plan.path, plan.kernel_set, plan.skip_zero_inputs) == ("small", None, True)


def test_an_override_in_one_thread_is_not_seen_by_a_fit_in_another():
    """A process-wide switch would change a concurrent fit's path; a context variable does not.
    (Here the other thread's plan is taken while the override is active.)"""
    seen = []
    entered, planned = threading.Event(), threading.Event()

    def other():
        entered.wait(30)
        seen.append(policy.training_plan(10, 1).path)
        planned.set()

    worker = threading.Thread(target=other)
    worker.start()
    with policy.overrides(training_path="blas"):
        entered.set()
        planned.wait(30)
        assert policy.training_plan(10, 1).path == "blas"
    worker.join()
    assert seen == ["small"]


@pytest.mark.parametrize(
    "options, match",
    [
        (dict(kernel_set="sse9"), "kernel set 'sse9' is not available here"),
        (dict(training_path="gpu"), r"training_path must be one of \('small', 'blas'\) or None"),
        (dict(forward_path="fast"), "forward_path must be one of"),
    ],
)
def test_bad_overrides_are_refused(options, match):
    with pytest.raises(ValueError, match=match):
        with policy.overrides(**options):
            pass


def test_a_training_call_while_another_runs_takes_one_thread():
    with policy.shared(2) as first:
        with policy.shared(2) as second:
            assert (first, second) == (2, 1)
        with policy.shared(2) as third:
            assert third == 1
    with policy.shared(2) as alone:
        assert alone == 2


def test_the_tuner_is_for_the_small_path_when_no_count_is_named(two_cpus):
    assert isinstance(policy.tuner_for(policy.training_plan(10), None), policy.ThreadTuner)
    assert policy.tuner_for(policy.training_plan(10, 2), 2) is None
    assert policy.tuner_for(policy.training_plan(64), None) is None


def test_fit_and_feedforward_obey_the_overrides():
    """The overridden path gives the reference's weights too (the core test's matrix runs
    every path; here, that fit and feedforward read the overrides at all)."""
    X, labels, _ = make_data(50, [8, 6, 3], seed=1)
    outputs = []
    for path in ("small", "blas"):
        net = fastgd.Network([8, 6, 3], seed=2)
        with policy.overrides(training_path=path, forward_path=path):
            fastgd.Trainer(net, eta=1.0, mini_batch_size=5, epochs=1, seed=0, verbose=0).fit(
                X, labels
            )
            outputs.append(net.feedforward(X))
    np.testing.assert_allclose(outputs[0], outputs[1], rtol=0, atol=1e-12)
    assert outputs[0].tobytes() != outputs[1].tobytes()  # two paths did run
