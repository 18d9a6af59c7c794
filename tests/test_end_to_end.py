"""The book's reference run on the real MNIST, through the public API."""

import warnings

import numpy as np
import pytest

import fastgd


@pytest.mark.slow
def test_reference_run_reaches_the_books_accuracy(mnist):
    (train_X, train_y), (test_X, test_y) = mnist
    net = fastgd.Network([784, 30, 10], seed=0)
    with warnings.catch_warnings():
        # A healthy run: the diagnosis of a stuck network stays silent.
        warnings.simplefilter("error", fastgd.SaturationWarning)
        history = fastgd.Trainer(net, eta=3.0, mini_batch_size=10, epochs=30, seed=0).fit(
            train_X, train_y, test_data=(test_X, test_y)
        )
    assert history.diagnosis is None
    assert len(history.test_accuracy) == 30
    print(
        f"best {history.best_test_accuracy:.4f}, final {history.test_accuracy[-1]:.4f}, "
        f"{np.mean(history.seconds):.3f} s per epoch"
    )
    assert history.best_test_accuracy >= 0.945
    assert history.test_accuracy[-1] >= 0.94
    assert history.train_cost[-1] < history.train_cost[0]
    assert net.evaluate(test_X, test_y) == history.test_correct[-1]


@pytest.mark.slow
def test_float32_run_learns_too(mnist):
    (train_X, train_y), (test_X, test_y) = mnist
    net = fastgd.Network([784, 30, 10], seed=1, dtype="float32")
    history = fastgd.Trainer(net, eta=3.0, mini_batch_size=10, epochs=3, seed=1, verbose=0).fit(
        train_X.astype(np.float32), train_y, test_data=(test_X, test_y)
    )
    assert history.best_test_accuracy >= 0.90


@pytest.mark.slow
def test_cross_entropy_with_scaled_weights_learns_fast(mnist):
    """The book's chapter 3 setting on [784, 30, 10]: in three epochs it is where the
    quadratic cost with N(0, 1) weights is after thirty (95%)."""
    (train_X, train_y), (test_X, test_y) = mnist
    net = fastgd.Network([784, 30, 10], seed=0, init="scaled")
    history = fastgd.Trainer(
        net, eta=0.5, mini_batch_size=10, epochs=3, seed=0, cost="cross_entropy", verbose=0
    ).fit(train_X, train_y, test_data=(test_X, test_y))
    assert history.cost == "cross_entropy"
    assert history.best_test_accuracy >= 0.95
    assert history.train_cost[-1] < history.train_cost[0]
