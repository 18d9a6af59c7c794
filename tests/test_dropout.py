"""Dropout: the masks of csrc/dropout.h against their NumPy twin, their rate and independence,
the core against the reference on both paths, the gradient of a masked network against central
differences, the same bits on any thread count, chunking and after a resume, and the errors."""

import numpy as np
import pytest

import fastgd
from fastgd import reference as ref
from fastgd.core import _core, policy
from fastgd.training import chunks

from conftest import make_data, run_fastgd

DTYPES = [np.float64, np.float32]
TOLERANCE = {np.float64: 1e-10, np.float32: 2e-5}


def core_mask(key, layer, rate, samples, n, dtype=np.float64):
    mask = np.empty((len(samples), n), dtype=dtype)
    _core.dropout_mask(key, layer, rate, np.asarray(samples, dtype=np.intp), mask)
    return mask


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("key", [0, 1, 2**63, 2**64 - 1, 0x0123456789ABCDEF])
def test_the_core_draws_the_masks_of_the_numpy_twin(dtype, key):
    samples = np.random.default_rng(key % 97).integers(0, 60000, 40)
    for layer, rate in ((1, 0.5), (2, 0.2), (3, 0.9), (1, 0.0)):
        mask = core_mask(key, layer, rate, samples, 33, dtype)
        assert mask.tobytes() == ref.dropout_mask(key, layer, rate, samples, 33, dtype).tobytes()
        assert set(np.unique(mask)) <= {0, dtype(1 / (1 - rate))}


@pytest.mark.parametrize("rate", [0.1, 0.5, 0.8])
def test_masks_keep_each_neuron_at_the_rate_and_independently(rate):
    n_samples, n = 20000, 100
    kept = core_mask(2024, 1, rate, np.arange(n_samples), n) > 0
    # Binomial: the fraction kept within 5 standard deviations of 1 - rate.
    sd = np.sqrt(rate * (1 - rate) / kept.size)
    assert abs(kept.mean() - (1 - rate)) < 5 * sd
    # Each neuron alone, too (2,000 draws of 20,000 samples: 6 sd covers 100 neurons).
    per_neuron = kept.mean(axis=0)
    assert np.all(np.abs(per_neuron - (1 - rate)) < 6 * np.sqrt(rate * (1 - rate) / n_samples))

    def correlation(a, b):
        return abs(np.corrcoef(a.ravel(), b.ravel())[0, 1])

    bound = 5 / np.sqrt(kept.size)
    assert correlation(kept[:, :-1], kept[:, 1:]) < bound  # neighbouring neurons
    assert correlation(kept[:-1], kept[1:]) < bound  # consecutive samples
    other_layer = core_mask(2024, 2, rate, np.arange(n_samples), n) > 0
    assert correlation(kept, other_layer) < bound  # the same neuron of another layer
    next_key = core_mask(2025, 1, rate, np.arange(n_samples), n) > 0
    assert correlation(kept, next_key) < bound  # the next epoch's key


@pytest.mark.parametrize(
    ("dtype", "path", "n_threads", "cost"),
    # By pairs: each dtype on each path, each cost once.
    [
        (np.float64, "small", 1, "quadratic"),
        (np.float32, "small", 2, "cross_entropy"),
        (np.float64, "blas", 1, "cross_entropy"),
        (np.float32, "blas", 1, "quadratic"),
        (np.float64, "small", 2, "log_likelihood"),
        (np.float32, "blas", 1, "log_likelihood"),
    ],
)
def test_an_epoch_with_dropout_matches_the_reference(dtype, path, n_threads, cost):
    # (A small eta: with ReLU's unscaled N(0, 1) weights and the masks' 1/(1 - p), larger
    # steps are unstable enough to amplify float32's rounding past any tolerance.)
    sizes = [24, 16, 12, 5]
    output = "softmax" if cost == "log_likelihood" else "sigmoid"
    net = fastgd.Network(sizes, seed=3, dtype=dtype, activation=["relu", "tanh"], output=output)
    X, _, Y = make_data(120, sizes, dtype, seed=5)
    order = np.random.default_rng(6).permutation(120).astype(np.intp)
    W, B = [w.copy() for w in net.weights], [b.copy() for b in net.biases]
    options = dict(dropout=(0.5, 0.25), dropout_key=987654321)
    total = _core.train_chunk(
        net.weights,
        net.biases,
        X,
        Y,
        order,
        10,
        0.05,
        True,
        cost=cost,
        path=path,
        n_threads=n_threads,
        activations=net.layer_activations,
        momentum=0.5,
        velocities=[np.zeros_like(a) for a in net.weights + net.biases],
        **options,
    )
    expected = ref.train_epoch(
        W, B, X, Y, order, 10, 0.05, cost=cost, activations=net.layer_activations, momentum=0.5,
        **options,
    )  # fmt: skip
    for got, want in zip(net.weights + net.biases, W + B):
        np.testing.assert_allclose(got, want, rtol=0, atol=TOLERANCE[dtype] * 10)
    assert total == pytest.approx(expected, rel=1e-4 if dtype is np.float32 else 1e-12)
    # And the masks did something: the epoch without them is another.
    W0 = [w.copy() for w in fastgd.Network(sizes, seed=3, dtype=dtype).weights]
    B0 = [b.copy() for b in fastgd.Network(sizes, seed=3, dtype=dtype).biases]
    ref.train_epoch(
        W0, B0, X, Y, order, 10, 0.05, cost=cost, activations=net.layer_activations, momentum=0.5
    )
    assert np.abs(W0[0] - net.weights[0]).max() > 100 * TOLERANCE[dtype]


def test_the_masked_gradient_is_the_central_difference_of_the_masked_network():
    """With the masks held fixed, backprop's gradient is the derivative of the network the
    masks leave: the cost of a forward pass through them, by central differences."""
    sizes = [6, 5, 4, 3]
    rng = np.random.default_rng(0)
    W = [rng.standard_normal((sizes[i + 1], sizes[i])) for i in range(3)]
    B = [rng.standard_normal(sizes[i + 1]) for i in range(3)]
    X, _, Y = make_data(7, sizes, seed=1)
    masks = ref._masks(42, (0.5, 0.3), np.arange(7), W)
    assert masks[1] is not None and (masks[1] == 0).any() and (masks[1] > 0).any()
    acts = ["tanh", "sigmoid", "sigmoid"]

    def cost(W, B):
        a = X
        for l, (w, b) in enumerate(zip(W, B)):
            a = fastgd.activations.get(acts[l]).forward(a @ w.T + b)
            if masks[l + 1] is not None:
                a = a * masks[l + 1]
        return 0.5 * np.sum((a - Y) ** 2)

    grad_w, grad_b = ref.backprop(W, B, X, Y, "quadratic", acts, masks)
    h = 1e-6
    for params, grads in ((W, grad_w), (B, grad_b)):
        for p, g in zip(params, grads):
            for index in np.ndindex(p.shape):
                keep = p[index]
                p[index] = keep + h
                up = cost(W, B)
                p[index] = keep - h
                down = cost(W, B)
                p[index] = keep
                assert g[index] == pytest.approx((up - down) / (2 * h), abs=1e-7)
    # Dropped neurons pass no gradient: the first layer's rows of a neuron dropped in every
    # sample are zero.
    dropped_everywhere = np.flatnonzero((masks[1] == 0).all(axis=0))
    assert np.all(grad_w[0][dropped_everywhere] == 0)


def fit(X, labels, sizes=(30, 20, 10, 4), epochs=3, dtype=np.float64, **options):
    net = fastgd.Network(list(sizes), seed=2, dtype=dtype, activation="relu")
    trainer = fastgd.Trainer(
        net, eta=0.05, mini_batch_size=10, epochs=epochs, seed=4, verbose=0, **options
    )
    history = trainer.fit(X, labels, test_data=(X, labels))
    return net, history


def same_bits(a, b):
    return all(
        x.tobytes() == y.tobytes() for x, y in zip(a.weights + a.biases, b.weights + b.biases)
    )


@pytest.mark.parametrize("dtype", DTYPES)
def test_the_same_bits_on_any_thread_count_and_chunking(monkeypatch, dtype):
    X, labels, _ = make_data(600, [30, 4], dtype, seed=8)
    base, _ = fit(X, labels, dtype=dtype, dropout=0.5, n_threads=1)
    two, _ = fit(X, labels, dtype=dtype, dropout=0.5, n_threads=2)
    assert same_bits(base, two)
    monkeypatch.setattr(chunks, "CHUNK_SAMPLES", 70)
    monkeypatch.setattr(chunks, "FIRST_CHUNK_SAMPLES", 30)
    monkeypatch.setattr(chunks, "CHUNK_SECONDS", 1e9)
    cut, _ = fit(X, labels, dtype=dtype, dropout=0.5, n_threads=2)
    assert same_bits(base, cut)
    # One rate per hidden layer, the same rate twice: the same run.
    listed, _ = fit(X, labels, dtype=dtype, dropout=[0.5, 0.5], n_threads=1)
    assert same_bits(base, listed)
    other, _ = fit(X, labels, dtype=dtype, dropout=[0.5, 0.2], n_threads=1)
    assert not same_bits(base, other)


def test_no_dropout_is_the_run_without_the_setting():
    X, labels, _ = make_data(300, [30, 4], seed=9)
    without, h1 = fit(X, labels)
    zero, h2 = fit(X, labels, dropout=0.0)
    zeros, _ = fit(X, labels, dropout=[0.0, 0.0])
    assert same_bits(without, zero) and same_bits(without, zeros)
    assert h1.test_cost == h2.test_cost


@pytest.mark.parametrize("path", ["small", "blas"])
def test_a_resumed_run_with_dropout_is_the_uninterrupted_one(tmp_path, path):
    X, labels, _ = make_data(400, [30, 4], seed=12)
    with policy.overrides(training_path=path):
        whole, history = fit(X, labels, epochs=5, dropout=[0.3, 0.6])
        saved = tmp_path / "run.npz"
        fit(X, labels, epochs=2, dropout=[0.3, 0.6], checkpoint_every=2, checkpoint_path=saved)
        resumed = fastgd.Network([30, 20, 10, 4], seed=99, activation="relu")
        again = fastgd.Trainer(
            resumed, eta=0.05, mini_batch_size=10, epochs=5, seed=4, verbose=0, dropout=[0.3, 0.6]
        ).fit(X, labels, test_data=(X, labels), resume=saved)
        assert same_bits(whole, resumed)
        assert again.test_cost == history.test_cost
        with pytest.raises(ValueError, match="dropout"):
            fastgd.Trainer(
                resumed, eta=0.05, mini_batch_size=10, epochs=5, seed=4, verbose=0, dropout=0.3
            ).fit(X, labels, resume=saved)


def test_evaluation_uses_the_whole_network_unscaled():
    X, labels, _ = make_data(200, [30, 4], seed=13)
    net, history = fit(X, labels, epochs=2, dropout=0.5)
    out = ref.feedforward(net.weights, net.biases, X, net.layer_activations)
    np.testing.assert_allclose(net.feedforward(X), out, rtol=1e-12)
    assert history.test_accuracy[-1] == np.mean(out.argmax(axis=1) == labels)


def test_a_network_trained_with_dropout_learns_mnist(mnist):
    """Half the hidden neurons dropped at every step, the whole network still classifies:
    inverted dropout's scaling leaves nothing to correct at evaluation."""
    (train_X, train_y), (test_X, test_y) = mnist
    net = fastgd.Network([784, 100, 10], seed=1, init="scaled", activation="relu", output="softmax")
    history = fastgd.Trainer(
        net, eta=0.1, mini_batch_size=10, epochs=5, seed=0, verbose=0, dropout=0.5,
        cost="log_likelihood",
    ).fit(train_X[:10000], train_y[:10000], test_data=(test_X, test_y))  # fmt: skip
    assert history.test_accuracy[-1] > 0.92, history.test_accuracy
    # Dropout made training harder than evaluation: the running training cost, taken with
    # neurons dropped, is above the whole network's cost on the same images.
    assert history.train_cost[-1] > net.cost(train_X[:10000], train_y[:10000])


@pytest.mark.parametrize(
    ("dropout", "sizes", "error", "match"),
    [
        (1.0, [4, 3, 2], ValueError, "dropout must be at least 0 and below 1, got 1.0"),
        (-0.1, [4, 3, 2], ValueError, "dropout must be a finite number of at least 0"),
        (float("nan"), [4, 3, 2], ValueError, "dropout must be a finite number"),
        ("0.5", [4, 3, 2], TypeError, "dropout must be a real number"),
        ([0.5, 0.2], [4, 3, 2], ValueError, r"names 2 rates.*has 1 hidden layers"),
        ([], [4, 3, 2], ValueError, "one per hidden layer, got"),
        ([0.5, 1.5], [4, 3, 3, 2], ValueError, r"dropout\[1\] must be at least 0 and below 1"),
        (0.5, [4, 2], ValueError, "this network has none"),
    ],
)
def test_bad_rates_are_refused_by_name(dropout, sizes, error, match):
    with pytest.raises(error, match=match):
        fastgd.Trainer(fastgd.Network(sizes), eta=1.0, mini_batch_size=1, epochs=1, dropout=dropout)


def test_a_callback_setting_a_bad_eta_or_dropout_is_refused_by_name():
    X, labels, _ = make_data(50, [4, 3, 2], seed=1)
    net = fastgd.Network([4, 3, 2], seed=0)
    before = [w.copy() for w in net.weights]

    def schedule(epoch, logs, trainer):
        trainer.eta = -5.0

    trainer = fastgd.Trainer(net, eta=1.0, mini_batch_size=5, epochs=3, verbose=0)
    with pytest.raises(ValueError, match="a callback set trainer.eta: eta must be"):
        trainer.fit(X, labels, callbacks=[schedule])
    assert not all(np.array_equal(a, b) for a, b in zip(before, net.weights))  # epoch 0 ran

    def dropout_everything(epoch, logs, trainer):
        trainer.dropout = [0.5, 0.5]

    with pytest.raises(ValueError, match="names 2 rates"):
        fastgd.Trainer(net, eta=1.0, mini_batch_size=5, epochs=3, verbose=0).fit(
            X, labels, callbacks=[dropout_everything]
        )


def test_dropout_from_the_command_line(tmp_path, mnist_dir):
    saved = tmp_path / "net.npz"
    out = run_fastgd(
        "train", "--data", str(mnist_dir), "--sizes", "784,30,10", "--epochs", "1",
        "--train-size", "2000", "--dropout", "0.2", "--save", str(saved),
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert saved.exists()
    bad = run_fastgd("train", "--data", str(mnist_dir), "--dropout", "0.2,x")
    assert bad.returncode == 2
    assert "--dropout: takes a rate in [0, 1)" in bad.stderr and "0.2,x" in bad.stderr


@pytest.mark.parametrize("path", ["small", "blas"])
@pytest.mark.parametrize(("hidden", "inputs"), [((0.5, 0.25), 0.0), ((0.0, 0.3), 0.2), (0.0, 0.4)])
def test_a_fits_epoch_is_the_references_with_its_drawn_keys(path, hidden, inputs):
    """Trainer.fit end to end: the epoch's order, then the dropout key, drawn from the seed's
    generator; the reference given both trains the same epoch (input dropout as layer 0's
    masks on the inputs)."""
    sizes = [30, 20, 10, 4]
    X, labels, Y = make_data(200, [30, 4], seed=21)
    net = fastgd.Network(sizes, seed=2, activation="relu")
    W, B = [w.copy() for w in net.weights], [b.copy() for b in net.biases]
    with policy.overrides(training_path=path):
        fastgd.Trainer(
            net, eta=0.05, mini_batch_size=10, epochs=1, seed=4, verbose=0, n_threads=1,
            dropout=hidden, input_dropout=inputs,
        ).fit(X, labels)  # fmt: skip
    rng = np.random.default_rng(4)
    order = rng.permutation(200)
    key = int(rng.integers(2**64, dtype=np.uint64))
    rates = (hidden,) * 2 if isinstance(hidden, float) else hidden
    ref.train_epoch(
        W, B, X, Y, order, 10, 0.05, activations=net.layer_activations, dropout=rates,
        dropout_key=key, input_dropout=inputs,
    )  # fmt: skip
    for got, want in zip(net.weights + net.biases, W + B):
        np.testing.assert_allclose(got, want, rtol=0, atol=1e-10)


def test_input_dropout_keeps_its_bits_across_threads_and_chunks_and_reads_pixels(monkeypatch):
    X, labels, _ = make_data(600, [30, 4], seed=8)
    pixels = np.round(X * 255).astype(np.uint8)
    base, _ = fit(pixels, labels, input_dropout=0.2, dropout=0.5, n_threads=1)
    two, _ = fit(pixels, labels, input_dropout=0.2, dropout=0.5, n_threads=2)
    assert same_bits(base, two)
    monkeypatch.setattr(chunks, "CHUNK_SAMPLES", 70)
    monkeypatch.setattr(chunks, "FIRST_CHUNK_SAMPLES", 30)
    monkeypatch.setattr(chunks, "CHUNK_SECONDS", 1e9)
    assert same_bits(base, fit(pixels, labels, input_dropout=0.2, dropout=0.5, n_threads=2)[0])
    # uint8 pixels are x / 255 before their masks: the run of the floats.
    floats, _ = fit(pixels / 255.0, labels, input_dropout=0.2, dropout=0.5, n_threads=1)
    assert same_bits(base, floats)
    with pytest.raises(ValueError, match="input_dropout must be at least 0 and below 1"):
        fit(pixels, labels, input_dropout=1.0)
