"""The compiled core against finite differences, a hand-worked update and the NumPy reference,
for every activation, cost, kernel set, path, dtype and thread count."""

import collections

import numpy as np
import pytest

import fastgd
from fastgd import activations, costs
from fastgd import reference as ref
from fastgd.core import _core, policy

from conftest import copy_params, make_data

DTYPES = [np.float64, np.float32]
COSTS = list(costs.COSTS)


@pytest.fixture(params=_core.kernel_sets())
def kernel_set(request):
    """Every kernel set this CPU can run (AVX-512, AVX2, baseline), not only the fastest."""
    return request.param


@pytest.fixture(params=["small", "blas"])
def path(request):
    """Mini-batches through the small-shape kernels, or all through BLAS gemm."""
    return request.param


@pytest.fixture(params=COSTS)
def cost(request):
    return request.param


# The hidden layers' activation and the cost (whose output layer comes with it) of each model the
# tests train: every activation and every cost, each output layer under two kinds of neurons, by
# pairs rather than every combination (each activation's kernels meet a cost only through the
# deltas they pass on).
MODELS = [
    ("sigmoid", "quadratic"),
    ("sigmoid", "cross_entropy"),
    ("tanh", "log_likelihood"),
    ("relu", "cross_entropy"),
    ("relu", "log_likelihood"),
]


@pytest.fixture(params=MODELS, ids=["-".join(m) for m in MODELS])
def model(request):
    return request.param


def model_net(sizes, model, **options):
    """A Network of the model's neurons and output layer; tanh and ReLU networks drawn with
    scaled weights (N(0, 1) weights into 784 inputs would put them far out of their range)."""
    activation, cost = model
    if activation != "sigmoid":
        options.setdefault("init", "scaled")
    return fastgd.Network(sizes, activation=activation, output=costs.get(cost).output, **options)


# Largest |core - reference| after an epoch: float64 rounding only, float32 a few ulps of O(1).
TOLERANCE = {np.float64: 1e-10, np.float32: 2e-5}
# The book's learning rates: 3.0 for the quadratic cost, 0.5 for the cross-entropy (and any
# other cost whose deltas, like the cross-entropy's, lack the factor sigma').
ETA = collections.defaultdict(lambda: 0.5, quadratic=3.0, cross_entropy=0.5)


def model_eta(model):
    """The book's eta for a sigmoid model's cost; a tenth of it for ReLU, whose unbounded
    activations take larger steps."""
    activation, cost = model
    return ETA[cost] / (10 if activation == "relu" else 1)


def assert_near_reference(
    got, W, B, X, Y, order, m, eta, reduction="mean", cost="quadratic", layers=None
):
    """got (the core's weights and biases after an epoch from W, B) against the NumPy
    reference's epoch from W, B: within TOLERANCE, and in float32 with the cross-entropy as
    close to exact (float64) arithmetic as NumPy's float32 is, within a factor of 4. (Its
    updates lack the quadratic cost's factor sigma' <= 1/4, and float32's rounding errors grow
    with them over an epoch; on 784 dense inputs the core's sums in input order, next to BLAS's
    blocked ones, stay within that factor.) The reference's first layer must have trained."""
    dtype = got[0].dtype.type
    start = W[0].copy()
    exact = [a.astype(np.float64) for a in W + B]
    ref.train_epoch(W, B, X, Y, order, m, eta, reduction, cost, layers)
    assert np.abs(W[0] - start).max() > 1e-3  # the epoch did train
    if dtype == np.float32 and cost != "quadratic":
        n_layers = len(W)
        ref.train_epoch(
            exact[:n_layers],
            exact[n_layers:],
            X.astype(np.float64),
            Y.astype(np.float64),
            order,
            m,
            eta,
            reduction,
            cost,
            layers,
        )
        core_error = max(np.abs(a - e).max() for a, e in zip(got, exact))
        numpy_error = max(np.abs(a - e).max() for a, e in zip(W + B, exact))
        # The derivatives of tanh and ReLU reach 1 where the sigmoid's stops at 1/4: rounding
        # errors travel back through their layers up to 4 times stronger, and the core's sums
        # in input order against BLAS's blocked ones show it (measured up to 4.6 times NumPy's
        # float32 error with tanh, against the sigmoid's 4). ReLU also has a kink: a rounding
        # that moves a weighted input across 0 switches that unit's gradient on or off, so
        # which float32 run lands nearer float64 is partly chance; a few dozen ulps of O(1) are
        # its noise, a wrong update is orders of magnitude more.
        hidden = set(layers[:-1]) if layers else {"sigmoid"}
        factor = 4 if hidden == {"sigmoid"} else 8
        floor = 32 * np.finfo(np.float32).eps if "relu" in hidden else 0
        assert core_error <= max(factor * numpy_error, floor), (core_error, numpy_error)
        return
    for a, want in zip(got, W + B):
        assert a.dtype == dtype
        assert np.abs(a - want).max() < TOLERANCE[dtype]


def train(
    net,
    X,
    Y,
    order,
    m,
    eta,
    mean=True,
    *,
    cost="quadratic",
    path="small",
    n_threads=1,
    kernel_set=None,
    skip_zero_inputs=True,
    input_split=None,
):
    """One call of the core over the mini-batches of order, every setting explicit (the
    network's activations)."""
    _core.train_chunk(
        net.weights,
        net.biases,
        X,
        Y,
        np.asarray(order, dtype=np.intp),
        m,
        eta,
        mean,
        cost=cost,
        path=path,
        n_threads=n_threads,
        kernel_set=kernel_set,
        skip_zero_inputs=skip_zero_inputs,
        input_split=input_split,
        activations=net.layer_activations,
    )


def summed_cost(weights, biases, X, Y, cost, layers=None):
    """sum_x C_x: the function whose gradient _core.gradient returns, from the cost's own value
    (a mean over the rows) and the reference's feedforward."""
    return len(X) * costs.get(cost).value(ref.feedforward(weights, biases, X, layers), Y)


def core_gradient(net, X, Y, cost="quadratic"):
    gw = [np.empty_like(w) for w in net.weights]
    gb = [np.empty_like(b) for b in net.biases]
    _core.gradient(
        net.weights, net.biases, X, Y, gw, gb, cost=cost, activations=net.layer_activations
    )
    return gw, gb


def test_the_core_has_a_kernel_for_every_cost_and_no_other():
    assert _core.cost_names() == list(costs.COSTS)
    assert _core.cost_outputs() == {name: c.output for name, c in costs.COSTS.items()}


def test_the_core_has_every_activation_and_no_other():
    assert _core.activation_names() == list(activations.ACTIVATIONS)


@pytest.mark.parametrize("sizes", [[5, 4, 3], [6, 5, 4, 2], [3, 2]])
def test_gradient_matches_central_differences(sizes, model):
    """The core's gradient of each cost, through each activation, against central differences
    of that cost's value."""
    activation, cost = model
    net = model_net(sizes, model, seed=1)
    if activation == "relu":
        # (Away from the kink at 0, where central differences would straddle it.)
        for b in net.biases[:-1]:
            b += np.sign(b) * 0.05
    X, _, Y = make_data(8, sizes, seed=2)
    gw, gb = core_gradient(net, X, Y, cost)
    layers = net.layer_activations
    h = 1e-6
    analytic, numeric = [], []
    for params, grads in ((net.weights, gw), (net.biases, gb)):
        for p, g in zip(params, grads):
            for i in np.ndindex(p.shape):
                old = p[i]
                p[i] = old + h
                up = summed_cost(net.weights, net.biases, X, Y, cost, layers)
                p[i] = old - h
                down = summed_cost(net.weights, net.biases, X, Y, cost, layers)
                p[i] = old
                numeric.append((up - down) / (2 * h))
                analytic.append(g[i])
    analytic, numeric = np.array(analytic), np.array(numeric)
    rel = np.linalg.norm(analytic - numeric) / (np.linalg.norm(analytic) + np.linalg.norm(numeric))
    assert rel < 1e-6
    assert np.linalg.norm(analytic) > 1e-3  # a vanishing gradient would make the check empty


@pytest.mark.parametrize("dtype", DTYPES)
def test_gradient_matches_reference(dtype, model):
    sizes = [12, 9, 4]
    cost = model[1]
    net = model_net(sizes, model, seed=3, dtype=dtype)
    X, _, Y = make_data(50, sizes, dtype, seed=4)
    gw, gb = core_gradient(net, X, Y, cost)
    rw, rb = ref.backprop(net.weights, net.biases, X, Y, cost, net.layer_activations)
    for got, want in zip(gw + gb, rw + rb):
        assert got.dtype == dtype
        np.testing.assert_allclose(got, want, rtol=0, atol=TOLERANCE[dtype])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("sizes, m", [([784, 30, 10], 10), ([40, 16, 8, 5], 7), ([10, 3], 1)])
@pytest.mark.parametrize("mean", [True, False])
def test_epoch_matches_reference(dtype, sizes, m, mean, kernel_set, path, model):
    n = 300
    cost = model[1]
    net = model_net(sizes, model, seed=5, dtype=dtype)
    X, _, Y = make_data(n, sizes, dtype, seed=6)
    order = np.random.default_rng(7).permutation(n)
    W, B = copy_params(net)
    eta = model_eta(model) if mean else model_eta(model) / 10
    train(net, X, Y, order, m, eta, mean, cost=cost, path=path, kernel_set=kernel_set)
    assert_near_reference(
        net.weights + net.biases,
        W,
        B,
        X,
        Y,
        order,
        m,
        eta,
        "mean" if mean else "sum",
        cost,
        net.layer_activations,
    )


def assert_same_bytes_near_reference(
    results, sizes, seed, dtype, X, Y, order, m, eta, model=("sigmoid", "quadratic")
):
    """Every entry of results (the weights and biases of a network of the model, sizes and seed,
    after an epoch) holds the same bytes as the first, which equals the reference's epoch within
    rounding (assert_near_reference)."""
    for arrays in results[1:]:
        for got, want in zip(arrays, results[0]):
            assert got.tobytes() == want.tobytes()
    net = model_net(sizes, model, seed=seed, dtype=dtype)
    W, B = copy_params(net)
    assert_near_reference(
        results[0], W, B, X, Y, order, m, eta, "mean", model[1], net.layer_activations
    )


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    "sizes, m", [([784, 30, 10], 10), ([40, 16, 8, 5], 7), ([30, 3], 1), ([20, 100, 10], 3)]
)
def test_threads_give_the_same_bits(dtype, sizes, m, kernel_set, model):
    """The small-kernel path splits the first layer's inputs into blocks whatever the number of
    threads, so each sum is split the same way: one and two threads give identical weights,
    equal to the reference's within rounding."""
    n = 200
    cost = model[1]
    X, _, Y = make_data(n, sizes, dtype, seed=20)
    order = np.random.default_rng(21).permutation(n)
    results = []
    eta = model_eta(model) / 1.5
    for n_threads in (1, 2):
        net = model_net(sizes, model, seed=22, dtype=dtype)
        train(net, X, Y, order, m, eta, cost=cost, n_threads=n_threads, kernel_set=kernel_set)
        results.append(net.weights + net.biases)
    assert_same_bytes_near_reference(results, sizes, 22, dtype, X, Y, order, m, eta, model)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("sizes, zero_rows", [([1, 4, 2], 0), ([2, 4, 2], 6), ([5, 4, 3], 3)])
def test_input_blocks_at_the_edges(dtype, sizes, zero_rows):
    """The first layer's inputs come in two blocks split where the first mini-batch's nonzero
    inputs divide evenly: with a single input there is one block, and when the first
    mini-batch has (almost) no nonzero inputs the split falls back to the middle. Either way
    one and two threads give the same bytes as each other, and the reference's weights within
    rounding."""
    n, m = 30, 3
    X, _, Y = make_data(n, sizes, dtype, seed=40)
    order = np.random.default_rng(41).permutation(n)
    X[order[:zero_rows]] = 0  # the first mini-batches all zero
    results = []
    for n_threads in (1, 2):
        net = fastgd.Network(sizes, seed=42, dtype=dtype)
        train(net, X, Y, order, m, 3.0, n_threads=n_threads)
        results.append(net.weights + net.biases)
    assert_same_bytes_near_reference(results, sizes, 42, dtype, X, Y, order, m, 3.0)


def sparse_data(n, sizes, dtype, seed):
    """Inputs shaped like MNIST's zeros: a border of columns zero in every row, four in five of
    the other entries zero (some of them -0.0), a few rows all zero; one-hot targets."""
    X, labels, Y = make_data(n, sizes, dtype, seed)
    rng = np.random.default_rng(seed + 1)
    n_in = sizes[0]
    X[:, : n_in // 4] = 0
    X[:, n_in - n_in // 4 :] = 0
    X[rng.random(X.shape) < 0.8] = 0
    X[rng.random(X.shape) < 0.05] = -0.0
    X[rng.integers(0, n, 3)] = 0
    return X, labels, Y


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    "sizes, m", [([784, 30, 10], 10), ([784, 30, 10], 1), ([40, 16, 8, 5], 7), ([64, 20, 10], 32)]
)
@pytest.mark.parametrize("dense_first", [0, 11])
def test_skipping_zero_inputs_changes_no_bit(dtype, sizes, m, dense_first, kernel_set):
    """The small-kernel path leaves out the inputs that are zero in every row of a mini-batch;
    their terms are exact zeros, so with and without skipping, on one thread and two, the
    weights come out byte for byte the same, and equal to the reference's within rounding.
    With dense_first, the first mini-batches have no zeros (their lists come out full, and
    after eight of them the core lists only now and then until one is not full again)."""
    n = max(160, 2 * dense_first * m)
    X, _, Y = sparse_data(n, sizes, dtype, seed=30)
    order = np.random.default_rng(31).permutation(n)
    # (Small values, so that 784 of them in a row do not saturate the sigmoids.)
    X[order[: dense_first * m]] = np.random.default_rng(33).uniform(
        0.01, 0.1, (dense_first * m, sizes[0])
    )
    batches = X[order[: n // m * m]].reshape(n // m, m, -1)
    skipped = (batches == 0).all(axis=1).sum(axis=1)
    assert skipped[:dense_first].max(initial=0) == 0
    assert skipped[dense_first:].min() >= sizes[0] // 2  # the others have inputs to skip
    results = []
    for skip in (True, False):
        for n_threads in (1, 2):
            net = fastgd.Network(sizes, seed=32, dtype=dtype)
            train(
                net,
                X,
                Y,
                order,
                m,
                3.0,
                n_threads=n_threads,
                kernel_set=kernel_set,
                skip_zero_inputs=skip,
            )
            results.append(net.weights + net.biases)
    assert_same_bytes_near_reference(results, sizes, 32, dtype, X, Y, order, m, 3.0)


# The hidden neuron and its derivative, written out by hand (not from fastgd.activations).
HIDDEN = {
    "sigmoid": (lambda z: 1 / (1 + np.exp(-z)), lambda a: a * (1 - a)),
    "tanh": (np.tanh, lambda a: 1 - a**2),
    "relu": (lambda z: np.where(z > 0, z, 0.0), lambda a: np.where(a > 0, 1.0, 0.0)),
}


def per_sample_gradient(weights, biases, x, y, model):
    """Backpropagation for one sample of a two-layer network, written out step by step: the
    output error is (a - y) sigma'(z) for the quadratic cost, a - y for the cross-entropy of a
    sigmoid output and for the log-likelihood of a softmax one."""
    activation, cost = model
    f, f_prime = HIDDEN[activation]
    (w1, w2), (b1, b2) = weights, biases
    a1 = f(w1 @ x + b1)
    z2 = w2 @ a1 + b2
    if cost == "log_likelihood":
        a2 = np.exp(z2) / np.exp(z2).sum()
    else:
        a2 = 1 / (1 + np.exp(-z2))
    output_error = {
        "quadratic": lambda: (a2 - y) * a2 * (1 - a2),
        "cross_entropy": lambda: a2 - y,
        "log_likelihood": lambda: a2 - y,
    }
    if cost not in output_error:
        raise NotImplementedError(f"write the output error of the {cost!r} cost out here")
    d2 = output_error[cost]()
    d1 = (w2.T @ d2) * f_prime(a1)
    return [np.outer(d1, x), np.outer(d2, a1)], [d1, d2]


def hand_epoch(weights, biases, X, Y, m, eta, reduction, model):
    """Mini-batches in data order; each update uses its own batch size for the mean."""
    weights, biases = [w.copy() for w in weights], [b.copy() for b in biases]
    for start in range(0, len(X), m):
        rows = range(start, min(start + m, len(X)))
        grads = [per_sample_gradient(weights, biases, X[j], Y[j], model) for j in rows]
        scale = eta / len(rows) if reduction == "mean" else eta
        for l in range(2):
            weights[l] = weights[l] - scale * sum(g[0][l] for g in grads)
            biases[l] = biases[l] - scale * sum(g[1][l] for g in grads)
    return weights, biases


@pytest.mark.parametrize("reduction", ["mean", "sum"])
@pytest.mark.parametrize("n, m", [(6, 6), (6, 1), (7, 3), (5, 2)])
def test_epoch_by_hand(reduction, n, m, path, model):
    """shuffle=False, so the updates can be written out: n == m is one update, m == 1 online
    learning, and 7 = 3 + 3 + 1 ends with a partial batch scaled by its own size."""
    sizes = [4, 3, 2]
    cost = model[1]
    net = model_net(sizes, model, seed=8)
    X, labels, Y = make_data(n, sizes, seed=9)
    W, B = hand_epoch(net.weights, net.biases, X, Y, m, 2.0, reduction, model)
    with policy.overrides(training_path=path):
        fastgd.Trainer(
            net,
            eta=2.0,
            mini_batch_size=m,
            epochs=1,
            shuffle=False,
            reduction=reduction,
            cost=cost,
            verbose=0,
        ).fit(X, labels)
    for got, want in zip(net.weights + net.biases, W + B):
        np.testing.assert_allclose(got, want, rtol=0, atol=1e-14)


def test_mean_and_sum_differ_by_the_batch_size():
    """One update of m samples: 'sum' with eta equals 'mean' with eta * m."""
    sizes = [5, 4, 3]
    X, labels, _ = make_data(8, sizes, seed=10)
    nets = []
    for reduction, eta in (("sum", 0.25), ("mean", 0.25 * 8)):
        net = fastgd.Network(sizes, seed=11)
        fastgd.Trainer(
            net, eta=eta, mini_batch_size=8, epochs=1, shuffle=False, reduction=reduction, verbose=0
        ).fit(X, labels)
        nets.append(net)
    for a, b in zip(nets[0].weights + nets[0].biases, nets[1].weights + nets[1].biases):
        np.testing.assert_allclose(a, b, rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("dtype", DTYPES)
def test_feedforward_matches_reference_across_blocks(dtype, path):
    """More rows than two BLAS blocks (2048 rows) and many calls of the small kernels (96 rows
    each, split between threads), with short last ones: the blocking counts on both paths."""
    sizes = [30, 20, 10, 4]
    net = fastgd.Network(sizes, seed=12, dtype=dtype)
    X, _, _ = make_data(5000, sizes, dtype, seed=13)
    with policy.overrides(forward_path=path):
        got = net.feedforward(X)
    want = ref.feedforward(net.weights, net.biases, X)
    assert got.dtype == dtype and got.shape == (5000, 4)
    np.testing.assert_allclose(got, want, rtol=0, atol=TOLERANCE[dtype])


@pytest.mark.parametrize("dtype", DTYPES)
def test_sigmoid_is_stable_for_large_inputs(dtype, kernel_set):
    """|z| up to 1e4 saturates to 0 and 1 without overflow warnings, in the core and reference."""
    net = fastgd.Network([1, 1], seed=0, dtype=dtype)
    net.weights[0][:] = 1
    net.biases[0][:] = 0
    z = np.array([[-1e4], [-800.0], [-50.0], [0.0], [50.0], [800.0], [1e4]], dtype=dtype)
    with (
        np.errstate(all="raise"),
        policy.overrides(kernel_set=kernel_set),
        pytest.warns(fastgd.InputRangeWarning, match="holds values up to 10000"),
    ):
        got = net.feedforward(z)[:, 0]
        want = ref.sigmoid(z[:, 0])
    assert got[0] == 0 and got[-1] == 1 and got[3] == 0.5
    np.testing.assert_allclose(got, want, rtol=4 * np.finfo(dtype).eps, atol=0)
    assert np.all(np.diff(got) >= 0)


@pytest.mark.parametrize("dtype, ulps", [(np.float64, 3), (np.float32, 3)])
def test_sigmoid_is_accurate(dtype, ulps, kernel_set):
    """The vector exp of the kernels against SciPy's expit, over the whole useful range, with
    lengths that leave a partial last vector."""
    z = np.concatenate(
        [
            np.linspace(-120, 120, 100003),
            np.geomspace(1e-12, 1e3, 999),
            -np.geomspace(1e-12, 1e3, 999),
            [0.0, -0.0, np.inf, -np.inf, -750.0, 720],
        ]
    )
    z = np.append(z, np.nan).astype(dtype)[:, None]
    one = [np.ones((1, 1), dtype=dtype)], [np.zeros(1, dtype=dtype)]
    got = np.empty_like(z)
    # The core itself: the public API refuses inf and NaN.
    _core.feedforward(*one, z, got, path="small", n_threads=1, kernel_set=kernel_set)
    want = ref.sigmoid(z.astype(np.float64)).astype(dtype)
    np.testing.assert_allclose(
        got[:-1], want[:-1], rtol=ulps * np.finfo(dtype).eps, atol=np.finfo(dtype).tiny
    )
    assert np.isnan(got[-1, 0])


@pytest.mark.parametrize("dtype", DTYPES)
def test_tanh_is_accurate(dtype, kernel_set):
    """The kernels' tanh (a Taylor polynomial below 1/4, (1 - e)/(1 + e) above) against
    NumPy's, within 2 ulps relative, over the whole range, with lengths that leave a partial
    last vector; infinities saturate, NaN stays NaN."""
    z = np.concatenate(
        [
            np.linspace(-30, 30, 100003),
            np.geomspace(1e-30, 20, 2001),
            -np.geomspace(1e-30, 20, 2001),
            [0.0, -0.0, np.inf, -np.inf, 0.25, np.nextafter(0.25, 0), 1e4],
        ]
    )
    z = np.append(z, np.nan).astype(dtype)[:, None]
    one = [np.ones((1, 1), dtype=dtype)], [np.zeros(1, dtype=dtype)]
    got = np.empty_like(z)
    _core.feedforward(
        *one, z, got, path="small", n_threads=1, kernel_set=kernel_set, activations=("tanh",)
    )
    want = np.tanh(z.astype(np.float64))
    np.testing.assert_allclose(got[:-1], want[:-1], rtol=2 * np.finfo(dtype).eps, atol=0)
    assert np.isnan(got[-1, 0])


@pytest.mark.parametrize("dtype", DTYPES)
def test_softmax_is_stable_on_rows_of_large_logits(dtype, path):
    """Logits of +-1e4 and differences of thousands: no overflow, every row sums to 1 within a
    few ulps, the values worked out by hand; both paths and the reference agree."""
    net = fastgd.Network([3, 4], seed=0, dtype=dtype, output="softmax")
    net.weights[0][:] = np.array([[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 1, 1]], dtype)
    net.biases[0][:] = 0
    Z = np.array(
        [[1e4, 1e4 - 3, -1e4], [-1e4, -1e4, -1e4], [800, 0, 0], [0.5, 0.25, 0.0]], dtype=dtype
    )
    with np.errstate(all="raise"), policy.overrides(forward_path=path):
        with pytest.warns(fastgd.InputRangeWarning):  # (logits, not pixels)
            got = net.feedforward(Z)
    want = ref.feedforward(
        [w.astype(np.float64) for w in net.weights],
        [b.astype(np.float64) for b in net.biases],
        Z.astype(np.float64),
        net.layer_activations,
    )
    np.testing.assert_allclose(got.sum(axis=1), 1, rtol=0, atol=4 * np.finfo(dtype).eps)
    np.testing.assert_allclose(got, want, rtol=4 * np.finfo(dtype).eps, atol=1e-30)
    # By hand: row 0's z is (1e4, 1e4 - 3, -1e4, 1e4 - 3), row 1's (-1e4, -1e4, -1e4, -3e4),
    # row 2's (800, 0, 0, 800).
    e3 = np.exp(-3.0)
    by_hand = [
        [1 / (1 + 2 * e3), e3 / (1 + 2 * e3), 0, e3 / (1 + 2 * e3)],
        [1 / 3, 1 / 3, 1 / 3, 0],
        [0.5, 0, 0, 0.5],
    ]
    np.testing.assert_allclose(got[:3], by_hand, rtol=4 * np.finfo(dtype).eps, atol=1e-30)


def test_the_core_refuses_a_cost_of_another_output_layer_and_a_hidden_softmax():
    net = fastgd.Network([3, 4, 2], seed=0)
    X, _, Y = make_data(6, [3, 4, 2])
    with pytest.raises(ValueError, match="the log_likelihood cost pairs with a softmax output"):
        train(net, X, Y, np.arange(6), 2, 1.0, cost="log_likelihood")
    with pytest.raises(ValueError, match="softmax is an output layer's activation, not a hidden"):
        _core.train_chunk(
            net.weights,
            net.biases,
            X,
            Y,
            np.arange(6, dtype=np.intp),
            2,
            1.0,
            True,
            cost="log_likelihood",
            path="small",
            n_threads=1,
            activations=("softmax", "softmax"),
        )
    with pytest.raises(ValueError, match=r"the core has no activation 'elu'; it has \['sigmoid'"):
        _core.feedforward(
            net.weights,
            net.biases,
            X,
            np.empty((6, 2)),
            path="small",
            n_threads=1,
            activations=("elu", "sigmoid"),
        )


def test_train_chunk_rejects_bad_order():
    net = fastgd.Network([3, 2], seed=0)
    X, _, Y = make_data(4, [3, 2])
    W, B = copy_params(net)
    with pytest.raises(IndexError, match="outside"):
        train(net, X, Y, [0, 4], 2, 1.0)
    for got, want in zip(net.weights + net.biases, W + B):
        np.testing.assert_array_equal(got, want)


def test_core_rejects_arrays_that_do_not_chain():
    net = fastgd.Network([3, 4, 2], seed=0)
    X, _, Y = make_data(4, [3, 4, 2])
    with pytest.raises(ValueError, match="layer 1"):
        _core.train_chunk(
            net.weights,
            [net.biases[0], np.zeros(3)],
            X,
            Y,
            np.arange(4, dtype=np.intp),
            2,
            1.0,
            True,
            cost="quadratic",
            path="small",
            n_threads=1,
        )
    with pytest.raises(ValueError, match="X has 5 columns"):
        _core.feedforward(
            net.weights, net.biases, np.zeros((2, 5)), np.zeros((2, 2)), path="small", n_threads=1
        )


@pytest.mark.parametrize(
    "options, error, match",
    [
        (
            dict(cost="mse"),
            ValueError,
            r"the core has no cost 'mse'; it has \['quadratic', "
            r"'cross_entropy', 'log_likelihood'\]",
        ),
        (dict(path="gpu"), ValueError, r"path must be one of \('small', 'blas'\), got 'gpu'"),
        (dict(kernel_set="sse9"), ValueError, "kernel set 'sse9' is not available here"),
        (
            dict(n_threads=3),
            ValueError,
            "the small-kernel path runs on 1 to 2 threads, got n_threads=3",
        ),
        (dict(n_threads=0), ValueError, "runs on 1 to 2 threads"),
        (dict(path="blas", n_threads=2), ValueError, "the BLAS path runs on BLAS's threads"),
    ],
)
def test_core_does_what_it_is_told_or_refuses(options, error, match):
    """The core takes every setting explicitly and refuses what it cannot do, before touching
    the weights: no silent cap, no fall-back to another path."""
    net = fastgd.Network([3, 4, 2], seed=0)
    X, _, Y = make_data(6, [3, 4, 2])
    W, B = copy_params(net)
    with pytest.raises(error, match=match):
        train(net, X, Y, np.arange(6), 2, 1.0, **options)
    for got, want in zip(net.weights + net.biases, W + B):
        np.testing.assert_array_equal(got, want)


def test_feedforward_refuses_more_threads_than_it_has():
    net = fastgd.Network([3, 2], seed=0)
    with pytest.raises(ValueError, match="feedforward runs on 1 to 16 threads, got n_threads=17"):
        _core.feedforward(
            net.weights, net.biases, np.zeros((4, 3)), np.zeros((4, 2)), path="small", n_threads=17
        )


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("sizes, m", [([784, 30, 10], 10), ([40, 16, 8, 5], 7), ([30, 3], 1)])
def test_with_one_input_split_any_chunking_gives_the_same_bits(dtype, sizes, m, kernel_set):
    """fit passes one split of the first layer to all its calls: then one call, calls of a
    few mini-batches, and calls of one mini-batch each (the divergence replay) give identical
    bytes, on one thread or two."""
    n = 120
    X, _, Y = sparse_data(n, sizes, dtype, seed=50)
    order = np.random.default_rng(51).permutation(n)
    split = _core.input_split(X, m)
    results = []
    for bounds in ([0, n], list(range(0, n, 3 * m)) + [n], list(range(0, n, m)) + [n]):
        for n_threads in (1, 2):
            net = fastgd.Network(sizes, seed=52, dtype=dtype)
            for start, stop in zip(bounds[:-1], bounds[1:]):
                _core.train_chunk(
                    net.weights,
                    net.biases,
                    X,
                    Y,
                    order[start:stop],
                    m,
                    3.0,
                    True,
                    cost="quadratic",
                    path="small",
                    n_threads=n_threads,
                    kernel_set=kernel_set,
                    input_split=split,
                )
            results.append(b"".join(a.tobytes() for a in net.weights + net.biases))
    assert len(set(results)) == 1


def test_input_split_is_the_median_nonzero_input_of_the_first_rows():
    X = np.zeros((5, 10))
    X[0, [1, 4, 7]] = 1
    X[3, 8] = -2.0
    assert _core.input_split(X, 2) == 4  # rows 0-1: inputs 1, 4, 7
    assert _core.input_split(X, 5) == 7  # rows 0-4: inputs 1, 4, 7, 8
    assert _core.input_split(np.zeros((3, 10)), 3) == 5
    assert _core.input_split(np.ones((3, 1)), 3) is None
    with pytest.raises(ValueError, match=r"input_split must be between 1 and 9 .* got 10"):
        train(
            fastgd.Network([10, 2], seed=0),
            X,
            np.zeros((5, 2)),
            np.arange(5),
            2,
            1.0,
            input_split=10,
        )


def test_float32_over_many_outputs_is_as_accurate_as_numpy():
    """[784, 100, 20000], m=10, float32: over an epoch the core stays as close to float64
    arithmetic as NumPy's float32 (its backward product sums 20,000 outputs in two chains;
    summing them in blocks measured no better). After several epochs at eta=3.0 this network
    is chaotic: noise of float32's size in the starting weights moves a float64 run 0.47 away
    in one epoch, so which float32 run then ends closer to float64 is chance."""
    sizes, m, n = [784, 100, 20000], 10, 60
    X, _, Y = make_data(n, sizes, np.float32, seed=60)
    order = np.arange(n)
    net = fastgd.Network(sizes, seed=61, dtype="float32", init="scaled")
    W, B = copy_params(net)
    exact_W = [w.astype(np.float64) for w in W]
    exact_B = [b.astype(np.float64) for b in B]
    train(net, X, Y, order, m, 0.5, cost="cross_entropy")
    ref.train_epoch(W, B, X, Y, order, m, 0.5, "mean", "cross_entropy")
    ref.train_epoch(
        exact_W,
        exact_B,
        X.astype(np.float64),
        Y.astype(np.float64),
        order,
        m,
        0.5,
        "mean",
        "cross_entropy",
    )
    core_error = max(
        np.abs(a - e).max() for a, e in zip(net.weights + net.biases, exact_W + exact_B)
    )
    numpy_error = max(np.abs(a - e).max() for a, e in zip(W + B, exact_W + exact_B))
    assert core_error <= 1.5 * numpy_error, (core_error, numpy_error)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("sizes, m", [([784, 30, 10], 10), ([40, 16, 8, 5], 7)])
def test_uint8_rows_give_the_bits_of_the_floats(dtype, sizes, m, kernel_set, path, model):
    """Rows of bytes read as x / 255 through a table: training (1 and 2 threads), the running
    cost and both feedforward paths give, byte for byte, what X.astype(dtype) / 255 gives."""
    rng = np.random.default_rng(70)
    pixels = rng.integers(0, 256, (150, sizes[0])).astype(np.uint8)
    pixels[:, : sizes[0] // 4] = 0
    pixels[rng.random(pixels.shape) < 0.6] = 0
    floats = pixels.astype(dtype) / 255
    Y = np.eye(sizes[-1], dtype=dtype)[rng.integers(0, sizes[-1], 150)]
    order = rng.permutation(150)
    split = _core.input_split(pixels, m)
    assert split == _core.input_split(floats, m)
    for n_threads in (1, 2) if path == "small" else (1,):
        results = []
        for X in (pixels, floats):
            net = model_net(sizes, model, seed=71, dtype=dtype)
            cost_sum = _core.train_chunk(
                net.weights,
                net.biases,
                X,
                Y,
                order,
                m,
                model_eta(model) / 3,
                True,
                cost=model[1],
                path=path,
                n_threads=n_threads,
                kernel_set=kernel_set,
                input_split=split,
                activations=net.layer_activations,
            )
            outputs = []
            for forward_path in ("small", "blas"):
                out = np.empty((150, sizes[-1]), dtype)
                _core.feedforward(
                    net.weights,
                    net.biases,
                    X,
                    out,
                    path=forward_path,
                    n_threads=n_threads if forward_path == "small" else 1,
                    kernel_set=kernel_set,
                    activations=net.layer_activations,
                )
                outputs.append(out.tobytes())
            results.append(
                (b"".join(a.tobytes() for a in net.weights + net.biases), cost_sum, outputs)
            )
        assert results[0] == results[1]


def test_the_core_refuses_inputs_of_another_dtype():
    net = fastgd.Network([3, 2], seed=0)
    with pytest.raises(
        TypeError,
        match=r"X must be a C-contiguous 2-D array of uint8 \(pixels\) "
        r"or of the network's dtype, float64; got ndarray of "
        r"dtype int16",
    ):
        _core.feedforward(
            net.weights,
            net.biases,
            np.zeros((2, 3), np.int16),
            np.zeros((2, 2)),
            path="small",
            n_threads=1,
        )


@pytest.mark.parametrize("dtype", DTYPES)
def test_all_finite_finds_any_nan_or_infinity_anywhere(dtype):
    """fit's divergence check: every position of arrays around the vector widths, the largest
    finite value and the smallest subnormal being finite, empty arrays being finite."""
    info = np.finfo(dtype)
    tag = np.zeros(1, dtype)
    for n in [1, 3, 7, 8, 9, 15, 16, 17, 33, 64, 100]:
        base = np.linspace(-1, 1, n, dtype=dtype)
        base[0], base[-1] = info.max, -info.smallest_subnormal
        assert _core.all_finite([np.zeros((0, 3), dtype), base.reshape(1, n)], tag)
        for i in range(n):
            for bad in (np.nan, np.inf, -np.inf):
                arrays = [base.copy() for _ in range(2)]
                arrays[i % 2][i] = bad
                assert not _core.all_finite(arrays, tag), (n, i, bad)
    with pytest.raises(ValueError, match="dtype"):
        _core.all_finite([np.zeros(3, np.float32)], np.zeros(1, np.float64))
