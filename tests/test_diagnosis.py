"""The diagnosis of a stuck network while it trains: fastgd.SaturationWarning."""

import json
import warnings

import numpy as np
import pytest

import fastgd
from fastgd.training import diagnosis as _diagnosis

from conftest import make_data


def stuck_network(sizes, seed=0):
    """A network whose output neurons 0 and 2 sit at 0 for every input: biases of -60."""
    net = fastgd.Network(sizes, seed=seed)
    biases = [b.copy() for b in net.biases]
    biases[-1][[0, 2]] = -60.0
    net.biases = biases
    return net


def fit_recording(net, data, **options):
    (X, labels), test = data
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        history = fastgd.Trainer(net, mini_batch_size=10, seed=0, verbose=0, **options).fit(
            X, labels, test_data=test
        )
    return history, [w for w in caught if issubclass(w.category, fastgd.SaturationWarning)]


@pytest.fixture(scope="module")
def data():
    X, labels, _ = make_data(600, [20, 8, 4], seed=1)
    X_test, labels_test, _ = make_data(300, [20, 8, 4], seed=2)
    return (X, labels), (X_test, labels_test)


def test_a_constructed_saturated_network_is_warned_about_once(data):
    net = stuck_network([20, 8, 4])
    history, caught = fit_recording(net, data, eta=0.01, epochs=6)
    assert len(caught) == 1  # once, though it stays stuck
    d = history.diagnosis
    assert d["epoch"] == _diagnosis.PATIENCE - 1 and d["data"] == "test"
    assert d["saturated_low"] == [0, 2] and d["saturated_high"] == []
    assert d["never_predicted"] == [0, 2]
    text = str(caught[0].message)
    assert "output neurons 0 and 2 sit at 0" in text
    assert "digits 0 and 2 are never predicted" in text
    assert 'cost="cross_entropy"' in text and 'init="scaled"' in text
    assert caught[0].filename == __file__  # it points at the fit
    # The remedies a run already uses are not offered.
    scaled = fastgd.Network([20, 8, 4], seed=0, init="scaled")
    scaled.biases = stuck_network([20, 8, 4]).biases
    _, caught = fit_recording(scaled, data, eta=0.01, epochs=4, cost="cross_entropy")
    text = str(caught[0].message)
    assert "another seed" in text and "cross-entropy" not in text and "scaled" not in text


def test_the_diagnosis_is_kept_in_the_history_and_its_files(data, tmp_path):
    net = stuck_network([20, 8, 4])
    path = tmp_path / "run.npz"
    history, _ = fit_recording(
        net, data, eta=0.01, epochs=4, checkpoint_every=4, checkpoint_path=path
    )
    again = fastgd.History.from_dict(json.loads(json.dumps(history.to_dict())))
    assert again.diagnosis == history.diagnosis is not None
    # Resumed from its checkpoint, the run is not warned a second time.
    (X, labels), test = data
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        resumed = fastgd.Trainer(
            stuck_network([20, 8, 4]), eta=0.01, mini_batch_size=10, epochs=7, seed=0, verbose=0
        ).fit(X, labels, test_data=test, resume=path)
    assert not [w for w in caught if issubclass(w.category, fastgd.SaturationWarning)]
    assert resumed.diagnosis == history.diagnosis


def test_healthy_and_unwatched_runs_are_not_warned_about(data):
    history, caught = fit_recording(
        fastgd.Network([20, 8, 4], seed=0, init="scaled"),
        data,
        eta=0.5,
        epochs=8,
        cost="cross_entropy",
    )
    assert not caught and history.diagnosis is None
    # Without evaluation data nothing is watched; nor on a handful of samples.
    (X, labels), (X_test, labels_test) = data
    with warnings.catch_warnings():
        warnings.simplefilter("error", fastgd.SaturationWarning)
        fastgd.Trainer(
            stuck_network([20, 8, 4]), eta=0.01, mini_batch_size=10, epochs=5, verbose=0
        ).fit(X, labels)
        fastgd.Trainer(
            stuck_network([20, 8, 4]), eta=0.01, mini_batch_size=10, epochs=5, verbose=0
        ).fit(X, labels, test_data=(X_test[:50], labels_test[:50]))


def test_a_neuron_at_zero_for_a_digit_the_data_lacks_is_not_stuck():
    """A test set without digit 3: a healthy output neuron 3 is at 0 on all of it."""
    monitor = _diagnosis.SaturationMonitor("test", "quadratic", "normal", 4)
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 3, 1000)
    out = np.full((1000, 4), 0.02)
    out[np.arange(1000), labels] = 0.9
    out[:, 3] = 1e-6
    assert all(monitor.observe(e, out, labels, 1.0, 0.1) is None for e in range(5))


def test_the_monitor_counts_each_neurons_streak():
    monitor = _diagnosis.SaturationMonitor("validation", "quadratic", "normal", 3)
    labels = np.arange(300) % 3
    healthy = np.eye(3)[labels] * 0.9 + 0.05
    stuck = healthy.copy()
    stuck[:, 1] = 1e-5
    # Stuck, healthy, then stuck three times: told at the third epoch in a row, and only then.
    seen = [
        monitor.observe(e, out, labels, 0.5, 0.1)
        for e, out in enumerate([stuck, stuck, healthy, stuck, stuck, stuck, stuck])
    ]
    assert [d is not None for d in seen] == [False, False, False, False, False, True, False]
    assert seen[5]["saturated_low"] == [1] and seen[5]["epoch"] == 5


@pytest.mark.slow
def test_a_real_stuck_run_is_warned_about(mnist_dir):
    """[784,100,10] at eta=3.0, seed 1 (ends near 67%): warned within its first epochs."""
    (X, y), validation, _ = fastgd.load_mnist(mnist_dir, dtype="uint8", validation_size=10000)
    net = fastgd.Network([784, 100, 10], seed=1)
    with pytest.warns(fastgd.SaturationWarning, match="the network looks stuck") as caught:
        history = fastgd.Trainer(net, eta=3.0, mini_batch_size=10, epochs=3, seed=1, verbose=0).fit(
            X, y, validation_data=validation
        )
    assert len([w for w in caught if issubclass(w.category, fastgd.SaturationWarning)]) == 1
    assert history.diagnosis["epoch"] == 2 and history.diagnosis["data"] == "validation"
    assert history.validation_accuracy[-1] < 0.8
