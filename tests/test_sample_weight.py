"""Sample weights: each sample's gradient times its weight, each update the weighted mean of
the mini-batch's gradients (scikit-learn 1.7's MLP's rule); the compiled core against the NumPy
reference on both paths, both dtypes, every model, one and two threads; weights of 1 give the
unweighted bits; zero weights remove a sample; bad weights are refused by name."""

import numpy as np
import pytest
from test_core import MODELS, TOLERANCE, model_eta, model_net

import fastgd
from fastgd.core import _core
from fastgd.core import reference as ref

from conftest import make_data

SIZES = [40, 16, 8, 5]


def weights_for(n, dtype, seed=3):
    """Weights in [0, 3), the first 20 samples' 0 (the first mini-batch all zero)."""
    w = np.random.default_rng(seed).uniform(0, 3, n).astype(dtype)
    w[:20] = 0
    return w


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("path, n_threads", [("small", 1), ("small", 2), ("blas", 1)])
@pytest.mark.parametrize("mean", [True, False])
@pytest.mark.parametrize("model", MODELS, ids=["-".join(m) for m in MODELS])
def test_the_core_weighs_samples_as_the_reference(dtype, path, n_threads, mean, model):
    n, m = 300, 7
    activation, cost = model
    X, _, Y = make_data(n, SIZES, dtype, seed=6)
    w = weights_for(n, dtype)
    order = np.random.default_rng(7).permutation(n).astype(np.intp)
    order[:m] = np.arange(m)  # a mini-batch whose weights sum to 0: no data step
    net = model_net(SIZES, model, seed=5, dtype=dtype)
    W, B = [a.astype(np.float64) for a in net.weights], [a.astype(np.float64) for a in net.biases]
    eta = model_eta(model) / (1 if mean else 10)
    got = _core.train_chunk(
        net.weights, net.biases, X, Y, order, m, eta, mean, cost=cost, path=path,
        n_threads=n_threads, activations=net.layer_activations, sample_weight=w,
    )  # fmt: skip
    want = ref.train_epoch(
        W, B, X.astype(np.float64), Y.astype(np.float64), order, m, eta,
        "mean" if mean else "sum", cost, net.layer_activations,
        sample_weight=w.astype(np.float64),
    )  # fmt: skip
    for a, b in zip(net.weights + net.biases, W + B):
        np.testing.assert_allclose(a, b, rtol=0, atol=TOLERANCE[dtype])
    assert got == pytest.approx(want, rel=1e-5 if dtype == np.float32 else 1e-12)


def test_one_and_two_threads_give_the_same_weighted_bits():
    X, _, Y = make_data(200, [784, 30, 10], np.float32, seed=1)
    w = weights_for(200, np.float32)
    order = np.random.default_rng(2).permutation(200).astype(np.intp)
    results = []
    for threads in (1, 2):
        net = fastgd.Network([784, 30, 10], seed=0, dtype="float32")
        _core.train_chunk(
            net.weights, net.biases, X, Y, order, 10, 3.0, True, cost="quadratic",
            path="small", n_threads=threads, sample_weight=w, input_split=392,
        )  # fmt: skip
        results.append(b"".join(a.tobytes() for a in net.weights + net.biases))
    assert results[0] == results[1]


def fit(X, y, sample_weight=None, **options):
    net = fastgd.Network([20, 8, 3], seed=0)
    settings = dict(eta=0.5, mini_batch_size=10, epochs=3, seed=1, verbose=0)
    history = fastgd.Trainer(net, **{**settings, **options}).fit(X, y, sample_weight=sample_weight)
    return net, history


@pytest.fixture(scope="module")
def data():
    X, labels, _ = make_data(150, [20, 8, 3], seed=4)
    return X, labels


def params(net):
    return [a.copy() for a in net.weights + net.biases]


def test_weights_of_one_train_the_unweighted_bits(data):
    X, y = data
    plain, h1 = fit(X, y)
    ones, h2 = fit(X, y, sample_weight=np.ones(len(y)))
    listed, _ = fit(X, y, sample_weight=[1] * len(y))
    for a, b, c in zip(params(plain), params(ones), params(listed)):
        assert a.tobytes() == b.tobytes() == c.tobytes()
    assert h1.train_cost == h2.train_cost


def test_an_integer_weight_is_the_sample_repeated_in_full_batch_descent(data):
    """One mini-batch of all the data, no shuffling: weight 2 on a sample is that sample
    twice (the weighted mean over n + 1 equals the mean over the n + 1 rows)."""
    X, y = data
    w = np.ones(len(y))
    w[[3, 70]] = 2
    weighted, hw = fit(X, y, w, mini_batch_size=len(y), shuffle=False)
    twice = np.concatenate([np.arange(len(y)), [3, 70]])
    repeated, hr = fit(X[twice], y[twice], mini_batch_size=len(y) + 2, shuffle=False)
    for a, b in zip(params(weighted), params(repeated)):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-12)
    np.testing.assert_allclose(hw.train_cost, hr.train_cost, rtol=1e-12)


def test_a_zero_weight_removes_the_sample(data):
    X, y = data
    w = np.ones(len(y))
    w[-5:] = 0
    zeroed, _ = fit(X, y, w, mini_batch_size=len(y), shuffle=False)
    without, _ = fit(X[:-5], y[:-5], mini_batch_size=len(y) - 5, shuffle=False)
    for a, b in zip(params(zeroed), params(without)):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-12)


def test_weights_reach_the_core_with_distortions_and_input_dropout():
    """With a buffer of distorted or dropped-out rows, the weights follow their samples."""
    X, labels, _ = make_data(60, [784, 12, 10], seed=8)
    w = np.random.default_rng(9).uniform(0.5, 2, 60)
    runs = []
    for weights in (None, w):
        net = fastgd.Network([784, 12, 10], seed=0)
        fastgd.Trainer(
            net, eta=0.5, mini_batch_size=10, epochs=1, seed=0, verbose=0,
            augment="affine", input_dropout=0.2,
        ).fit(X, labels, sample_weight=weights)  # fmt: skip
        runs.append(params(net))
    assert any(not np.array_equal(a, b) for a, b in zip(*runs))


@pytest.mark.parametrize(
    "weights, error, match",
    [
        ([1.0, -1.0], ValueError, r"sample_weight\[1\] is -1.0: weights are finite"),
        ([1.0, np.nan], ValueError, r"sample_weight\[1\] is nan"),
        ([np.inf, 1.0], ValueError, r"sample_weight\[0\] is inf"),
        ([0.0, 0.0], ValueError, "0 for every sample"),
        ([1.0], ValueError, r"shape \(2,\), got \(1,\)"),
        ([[1.0, 1.0]], ValueError, r"shape \(2,\), got \(1, 2\)"),
        (2.0, ValueError, "got the scalar"),
        (["a", "b"], TypeError, "must hold numbers"),
    ],
)
def test_bad_weights_are_refused_by_name_before_training(weights, error, match):
    net = fastgd.Network([3, 2, 2], seed=0)
    before = params(net)
    trainer = fastgd.Trainer(net, eta=0.5, mini_batch_size=1, epochs=1, verbose=0)
    with pytest.raises(error, match=match):
        trainer.fit(np.full((2, 3), 0.5), [0, 1], sample_weight=weights)
    assert all(np.array_equal(a, b) for a, b in zip(params(net), before))


def test_the_running_cost_is_the_weighted_mean(data):
    X, y = data
    w = np.random.default_rng(0).uniform(0, 2, len(y))
    net = fastgd.Network([20, 8, 3], seed=0)
    start = params(net)
    history = fastgd.Trainer(
        net, eta=0.5, mini_batch_size=10, epochs=1, seed=1, verbose=0, shuffle=False
    ).fit(X, y, sample_weight=w)
    W, B = start[:2], start[2:]
    Y = np.eye(3)[y]
    total = ref.train_epoch(W, B, X, Y, np.arange(len(y)), 10, 0.5, sample_weight=w)
    assert history.train_cost[0] == pytest.approx(total / w.sum(), rel=1e-12)
