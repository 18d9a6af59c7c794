"""The costs: their values by hand, their registry, their use by Network, Trainer and History,
and the cross-entropy's reason to exist: a saturated neuron that is wrong still learns."""

import numpy as np
import pytest

import fastgd
from fastgd import costs
from fastgd import reference as ref

from conftest import copy_params, make_data

SIZES = [5, 4, 3]


def test_values_worked_by_hand():
    A = np.array([[0.8, 0.1], [0.5, 0.25]])
    Y = np.array([[1.0, 0.0], [0.0, 1.0]])
    quadratic = ((0.2**2 + 0.1**2) + (0.5**2 + 0.75**2)) / (2 * 2)
    cross_entropy = -(np.log(0.8) + np.log(0.9) + np.log(0.5) + np.log(0.25)) / 2
    log_likelihood = -(np.log(0.8) + np.log(0.25)) / 2  # -ln a_y of each row
    assert costs.get("quadratic").value(A, Y) == pytest.approx(quadratic, rel=1e-15)
    assert costs.get("cross_entropy").value(A, Y) == pytest.approx(cross_entropy, rel=1e-15)
    assert costs.get("log_likelihood").value(A, Y) == pytest.approx(log_likelihood, rel=1e-15)


def test_deltas_worked_by_hand():
    A = np.array([[0.8, 0.1]])
    Y = np.array([[1.0, 0.0]])
    np.testing.assert_allclose(
        costs.get("quadratic").delta(A, Y), [[-0.2 * 0.8 * 0.2, 0.1 * 0.1 * 0.9]], rtol=1e-15
    )
    np.testing.assert_allclose(costs.get("cross_entropy").delta(A, Y), [[-0.2, 0.1]], rtol=1e-15)
    np.testing.assert_allclose(costs.get("log_likelihood").delta(A, Y), [[-0.2, 0.1]], rtol=1e-15)


def test_each_cost_names_the_output_layer_it_pairs_with():
    assert {name: c.output for name, c in costs.COSTS.items()} == {
        "quadratic": "sigmoid",
        "cross_entropy": "sigmoid",
        "log_likelihood": "softmax",
    }


def test_the_log_likelihood_takes_rows_of_probabilities():
    cost = costs.get("log_likelihood")
    cost.check_targets(np.array([[0.25, 0.75], [1.0, 0.0]]), "y")
    with pytest.raises(ValueError, match=r"y\[1\] sums to 1.5, not 1"):
        cost.check_targets(np.array([[0.25, 0.75], [1.0, 0.5]]), "y")
    with pytest.raises(ValueError, match=r"outside \[0, 1\]"):
        cost.check_targets(np.array([[-0.5, 1.5]]), "y")


def test_a_cost_of_another_output_layer_says_how_to_build_the_network():
    net = fastgd.Network(SIZES, seed=0)
    with pytest.raises(
        ValueError,
        match=r"cost='log_likelihood' pairs with a softmax output layer, and the network's "
        r"output layer is sigmoid: build the network with Network\(sizes, output='softmax'\)",
    ):
        fastgd.Trainer(net, eta=1.0, mini_batch_size=2, epochs=1, cost="log_likelihood")
    softmax = fastgd.Network(SIZES, seed=0, output="softmax")
    with pytest.raises(ValueError, match="pairs with a sigmoid output layer.*'log_likelihood'"):
        fastgd.Trainer(softmax, eta=1.0, mini_batch_size=2, epochs=1, cost="cross_entropy")
    X, labels, _ = make_data(4, SIZES)
    with pytest.raises(ValueError, match="pairs with a sigmoid output layer"):
        softmax.cost(X, labels, cost="quadratic")


def test_cross_entropy_of_saturated_outputs_is_large_but_finite():
    """An output of exactly 1 where 0 is wanted (float rounding of a saturated sigmoid) would
    make ln(1 - a) infinite: each logarithm is clamped at -100, as PyTorch's BCELoss does."""
    A = np.array([[1.0, 0.0], [1.0, 0.0]])
    Y = np.array([[0.0, 1.0], [1.0, 0.0]])
    with np.errstate(all="raise"):
        value = costs.get("cross_entropy").value(A, Y)
    assert value == pytest.approx((100 + 100 + 0 + 0) / 2)


@pytest.mark.parametrize("cost", list(costs.COSTS))
def test_network_cost_uses_the_named_cost(cost):
    output = costs.get(cost).output
    net = fastgd.Network(SIZES, seed=1, output=output)
    X, labels, Y = make_data(20, SIZES, seed=2)
    A = ref.feedforward(net.weights, net.biases, X, net.layer_activations)
    by_hand = {
        "quadratic": np.sum((A - Y) ** 2) / (2 * 20),
        "cross_entropy": -np.sum(Y * np.log(A) + (1 - Y) * np.log(1 - A)) / 20,
        "log_likelihood": -np.sum(np.log(A[np.arange(20), labels])) / 20,
    }
    assert net.cost(X, labels, cost=cost) == pytest.approx(by_hand[cost], rel=1e-12)
    # Without a name: the cost its output layer pairs with.
    paired = "quadratic" if output == "sigmoid" else "log_likelihood"
    assert net.cost(X, labels) == pytest.approx(by_hand[paired], rel=1e-12)


def test_a_cost_object_passes_and_unknown_names_are_refused_with_the_list():
    assert costs.get(costs.COSTS["cross_entropy"]) is costs.COSTS["cross_entropy"]
    net = fastgd.Network(SIZES, seed=0)
    X, labels, _ = make_data(4, SIZES)
    listed = r"must be one of \['cross_entropy', 'log_likelihood', 'quadratic'\], got 'mse'"
    with pytest.raises(ValueError, match="cost " + listed):
        fastgd.Trainer(net, eta=1.0, mini_batch_size=2, epochs=1, cost="mse")
    with pytest.raises(ValueError, match="cost " + listed):
        net.cost(X, labels, cost="mse")
    with pytest.raises(ValueError, match="must be one of"):
        costs.get(costs.CrossEntropyCost())  # not the registered one: its kernel is unknown


def test_cross_entropy_refuses_targets_outside_0_1_before_any_work():
    net = fastgd.Network(SIZES, seed=0)
    X, _, Y = make_data(10, SIZES)
    W, B = copy_params(net)
    trainer = fastgd.Trainer(
        net, eta=1.0, mini_batch_size=2, epochs=1, cost="cross_entropy", verbose=0
    )
    with pytest.raises(
        ValueError,
        match=r"y holds target values outside \[0, 1\] .*"
        r"cost='quadratic'",
    ):
        trainer.fit(X, 2 * Y - 0.5)
    for got, want in zip(net.weights + net.biases, W + B):
        np.testing.assert_array_equal(got, want)
    fastgd.Trainer(net, eta=1.0, mini_batch_size=2, epochs=1, verbose=0).fit(X, 2 * Y - 0.5)


def test_history_and_report_give_the_cost_trained():
    net = fastgd.Network(SIZES, seed=3)
    X, labels, _ = make_data(60, SIZES, seed=4)
    history = fastgd.Trainer(
        net,
        eta=0.5,
        mini_batch_size=5,
        epochs=2,
        seed=0,
        cost="cross_entropy",
        train_cost="exact",
        verbose=0,
    ).fit(X, labels, test_data=(X, labels))
    assert history.cost == "cross_entropy"
    assert history.to_dict()["cost"] == "cross_entropy"
    assert history.train_cost[-1] == pytest.approx(net.cost(X, labels, "cross_entropy"), rel=1e-12)
    assert history.test_cost[-1] == history.train_cost[-1]
    assert fastgd.History.from_dict(history.to_dict()) == history


def test_history_plot_labels_the_cost(tmp_path):
    pytest.importorskip("matplotlib")
    history = fastgd.History(epoch=[0, 1], train_cost=[2.0, 1.0], cost="cross_entropy")
    figure = history.plot(tmp_path / "curves.png")
    assert figure.axes[0].get_ylabel() == "cross-entropy cost"
    assert (tmp_path / "curves.png").read_bytes()[:4] == b"\x89PNG"


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_a_saturated_wrong_neuron_learns_fast_with_the_cross_entropy(dtype):
    """The book's chapter 3 example: one neuron, weight 2 and bias 2, input 1, desired output
    0. Its output starts at 0.98, saturated. With the quadratic cost sigma'(z) ~ 0.02 damps its
    updates and after 50 epochs it has barely moved; with the cross-entropy, whose delta is
    a - y, it has learned."""
    outputs = {}
    for cost in ("quadratic", "cross_entropy"):
        net = fastgd.Network([1, 1], seed=0, dtype=dtype)
        net.weights[0][:] = 2.0
        net.biases[0][:] = 2.0
        assert net.feedforward(np.ones(1))[0] == pytest.approx(0.982, abs=1e-3)
        fastgd.Trainer(net, eta=0.15, mini_batch_size=1, epochs=50, cost=cost, verbose=0).fit(
            np.ones((1, 1)), np.zeros((1, 1))
        )
        outputs[cost] = float(net.feedforward(np.ones(1))[0])
    assert outputs["quadratic"] > 0.97
    assert outputs["cross_entropy"] < 0.15
