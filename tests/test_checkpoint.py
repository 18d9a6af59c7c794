"""Files written by fastgd 0.1 keep loading, and a checkpoint continues only its own run."""

import importlib.util
from pathlib import Path

import numpy as np
import pytest

import fastgd
from fastgd.training import checkpoint

DATA = Path(__file__).parent / "data"


def v0_1_module():
    """tests/data/make_v0_1_files.py, which made the files (and rebuilds their data)."""
    spec = importlib.util.spec_from_file_location("make_v0_1_files", DATA / "make_v0_1_files.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def same_bits(a, b):
    return all(
        x.tobytes() == y.tobytes() for x, y in zip(a.weights + a.biases, b.weights + b.biases)
    )


def test_a_network_saved_by_fastgd_0_1_loads_as_it_was():
    made = v0_1_module()
    net = fastgd.Network.load(DATA / "network-v0.1.npz")
    assert net.sizes == made.SIZES and net.dtype == np.float64 and net.init == "normal"
    assert same_bits(net, fastgd.Network(made.SIZES, seed=0))


def trainer(net, **kwargs):
    # (0.1's histories hold the cost after each epoch: train_cost="exact" continues them.)
    options = dict(eta=2.0, mini_batch_size=5, epochs=4, seed=3, verbose=0, train_cost="exact")
    return fastgd.Trainer(net, **{**options, **kwargs})


def test_a_checkpoint_of_fastgd_0_1_resumes_to_the_uninterrupted_run():
    made = v0_1_module()
    X, y = made.data()
    whole = fastgd.Network(made.SIZES, seed=1)
    whole_history = trainer(whole).fit(X, y, test_data=(X, y))
    saved = checkpoint.load(DATA / "checkpoint-v0.1.npz")
    assert saved.settings["cost"] == "quadratic" and saved.epochs_done == 2
    resumed = fastgd.Network.load(DATA / "checkpoint-v0.1.npz")
    history = trainer(resumed).fit(X, y, test_data=(X, y), resume=DATA / "checkpoint-v0.1.npz")
    assert same_bits(resumed, whole)
    assert history.epoch == [0, 1, 2, 3] and history.cost == "quadratic"
    assert history.test_accuracy == whole_history.test_accuracy
    assert history.train_cost == whole_history.train_cost


def test_a_checkpoint_continues_only_a_run_of_its_cost(tmp_path):
    made = v0_1_module()
    X, y = made.data()
    net = fastgd.Network.load(DATA / "checkpoint-v0.1.npz")
    with pytest.raises(
        ValueError,
        match=r"other settings \(cost: checkpoint 'quadratic', this "
        r"trainer 'cross_entropy'\)",
    ):
        trainer(net, cost="cross_entropy").fit(X, y, resume=DATA / "checkpoint-v0.1.npz")

    path = tmp_path / "run.npz"
    first = fastgd.Network(made.SIZES, seed=1, init="scaled")
    trainer(first, epochs=2, cost="cross_entropy", checkpoint_every=2, checkpoint_path=path).fit(
        X, y
    )
    whole = fastgd.Network(made.SIZES, seed=1, init="scaled")
    trainer(whole, cost="cross_entropy").fit(X, y)
    resumed = fastgd.Network.load(path)
    assert resumed.init == "scaled"
    history = trainer(resumed, cost="cross_entropy").fit(X, y, resume=path)
    assert same_bits(resumed, whole) and history.cost == "cross_entropy"


def test_a_damaged_trainer_state_is_named(tmp_path):
    arrays = dict(np.load(DATA / "checkpoint-v0.1.npz"))
    arrays["trainer_state"] = np.array('{"format": "fastgd-checkpoint", "version": 1}')
    np.savez(tmp_path / "bad.npz", **arrays)
    with pytest.raises(ValueError, match=r"bad.npz: the checkpoint's trainer state is damaged"):
        checkpoint.load(tmp_path / "bad.npz")
    arrays["trainer_state"] = np.array('{"format": "fastgd-checkpoint", "version": 9}')
    np.savez(tmp_path / "new.npz", **arrays)
    with pytest.raises(ValueError, match="version 9, newer than this fastgd reads"):
        checkpoint.load(tmp_path / "new.npz")


def test_resuming_asks_for_the_kind_of_training_cost_the_history_holds():
    made = v0_1_module()
    X, y = made.data()
    net = fastgd.Network.load(DATA / "checkpoint-v0.1.npz")
    with pytest.raises(
        ValueError,
        match=r"holds a history of the exact training cost; resume "
        r"with Trainer\(train_cost='exact'\)",
    ):
        trainer(net, train_cost="running").fit(X, y, resume=DATA / "checkpoint-v0.1.npz")
