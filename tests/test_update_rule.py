"""The update rule: L2 and L1 penalties, momentum and Nesterov's, worked by hand, against central
differences and the NumPy reference on every path, kernel set, dtype and thread count, kept
exact by zero-input skipping, and continued bit for bit from a checkpoint."""

import numpy as np
import pytest

import fastgd
from fastgd import reference as ref
from fastgd.core import _core, policy
from fastgd.training import checkpoint

from conftest import copy_params, make_data

DTYPES = [np.float64, np.float32]
TOLERANCE = {np.float64: 1e-10, np.float32: 2e-5}

# Rules by pairs: each penalty with and without momentum, each momentum with and without
# Nesterov's form.
RULES = {
    "l2": dict(lmbda=5.0, penalty="l2"),
    "l1": dict(lmbda=5.0, penalty="l1"),
    "momentum": dict(momentum=0.9),
    "nesterov-l2": dict(momentum=0.5, nesterov=True, lmbda=2.0, penalty="l2"),
    "momentum-l1": dict(momentum=0.5, lmbda=2.0, penalty="l1"),
}


@pytest.fixture(params=list(RULES))
def rule(request):
    return RULES[request.param]


@pytest.fixture(params=_core.kernel_sets())
def kernel_set(request):
    return request.param


def core_epoch(net, X, Y, order, m, eta, rule, n=None, path="small", n_threads=1, **options):
    """One call of the core with the rule: (the velocities, or None)."""
    velocities = (
        [np.zeros_like(a) for a in net.weights + net.biases] if rule.get("momentum") else None
    )
    _core.train_chunk(
        net.weights,
        net.biases,
        X,
        Y,
        np.asarray(order, dtype=np.intp),
        m,
        eta,
        True,
        cost="quadratic",
        path=path,
        n_threads=n_threads,
        penalty=rule.get("penalty") if rule.get("lmbda") else None,
        penalty_rate=eta * rule.get("lmbda", 0.0) / (len(X) if n is None else n),
        momentum=rule.get("momentum", 0.0),
        nesterov=rule.get("nesterov", False),
        velocities=velocities,
        **options,
    )
    return velocities


def reference_epoch(W, B, X, Y, order, m, eta, rule):
    velocities = [np.zeros_like(a) for a in W + B] if rule.get("momentum") else None
    ref.train_epoch(W, B, X, Y, order, m, eta, velocities=velocities, **rule)
    return velocities


# ---- by hand ------------------------------------------------------------------------------------


def one_layer_gradient(w, b, x, y):
    """Quadratic cost, one sigmoid layer, one sample: dC/dw and dC/db written out."""
    a = 1 / (1 + np.exp(-(w @ x + b)))
    delta = (a - y) * a * (1 - a)
    return np.outer(delta, x), delta


@pytest.mark.parametrize("path", ["small", "blas"])
def test_two_steps_worked_by_hand(path):
    """Online learning (m=1) on two samples of a [3, 2] network, n = 2: every rule's two
    steps written out from the book's formulas."""
    rng = np.random.default_rng(0)
    X = rng.random((2, 3))
    Y = np.array([[1.0, 0.0], [0.0, 1.0]])
    eta, lmbda, n = 0.7, 0.4, 2
    for name, rule in RULES.items():
        rule = {**rule, "lmbda": lmbda} if "lmbda" in rule else rule
        mu_ = rule.get("momentum", 0.0)
        net = fastgd.Network([3, 2], seed=1)
        w, b = net.weights[0].copy(), net.biases[0].copy()
        vw, vb = np.zeros_like(w), np.zeros_like(b)
        for j in range(2):
            gw, gb = one_layer_gradient(w, b, X[j], Y[j])
            shrink = eta * lmbda / n
            if mu_ == 0:
                if rule.get("penalty") == "l2":
                    w = (1 - shrink) * w - eta * gw  # the book's weight decay
                else:
                    w = w - shrink * np.sign(w) - eta * gw
                b = b - eta * gb
                continue
            penalty = {"l2": w, "l1": np.sign(w)}.get(rule.get("penalty"), 0 * w)
            g_w = -eta * gw - (shrink * penalty if rule.get("lmbda") else 0)
            g_b = -eta * gb
            vw, vb = mu_ * vw + g_w, mu_ * vb + g_b
            if rule.get("nesterov"):
                w, b = w + mu_ * vw + g_w, b + mu_ * vb + g_b
            else:
                w, b = w + vw, b + vb
        with policy.overrides(training_path=path):
            fastgd.Trainer(
                net, eta=eta, mini_batch_size=1, epochs=1, shuffle=False, verbose=0, **rule
            ).fit(X, Y)
        np.testing.assert_allclose(net.weights[0], w, rtol=0, atol=1e-14, err_msg=name)
        np.testing.assert_allclose(net.biases[0], b, rtol=0, atol=1e-14, err_msg=name)


@pytest.mark.parametrize("penalty", ["l2", "l1"])
def test_a_full_batch_step_descends_the_penalised_cost(penalty):
    """One step over all n samples (m = n, mean): W moves by -eta times the gradient of
    C + (lmbda/2n) sum w^2 (L2) or C + (lmbda/n) sum |w| (L1), by central differences of that
    total cost; biases by their cost's alone."""
    sizes, n, eta, lmbda = [4, 3, 2], 6, 0.5, 3.0
    net = fastgd.Network(sizes, seed=2)
    X, labels, Y = make_data(n, sizes, seed=3)
    W, B = copy_params(net)

    def total_cost(weights, biases):
        data = fastgd.costs.get("quadratic").value(ref.feedforward(weights, biases, X), Y)
        if penalty == "l2":
            return data + lmbda / (2 * n) * sum(np.sum(w * w) for w in weights)
        return data + lmbda / n * sum(np.sum(np.abs(w)) for w in weights)

    fastgd.Trainer(
        net,
        eta=eta,
        mini_batch_size=n,
        epochs=1,
        shuffle=False,
        verbose=0,
        lmbda=lmbda,
        penalty=penalty,
    ).fit(X, labels)
    h = 1e-6
    for params, moved in ((W, net.weights), (B, net.biases)):
        for p, after in zip(params, moved):
            for i in np.ndindex(p.shape):
                old = p[i]
                p[i] = old + h
                up = total_cost(W, B)
                p[i] = old - h
                down = total_cost(W, B)
                p[i] = old
                numeric = (up - down) / (2 * h)
                assert (old - after[i]) / eta == pytest.approx(numeric, rel=1e-5, abs=1e-8)


# ---- against the reference ----------------------------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("sizes, m", [([784, 30, 10], 10), ([40, 16, 8, 5], 7)])
@pytest.mark.parametrize("path", ["small", "blas"])
def test_epoch_matches_reference(dtype, sizes, m, path, kernel_set, rule):
    n = 300
    net = fastgd.Network(sizes, seed=5, dtype=dtype)
    X, _, Y = make_data(n, sizes, dtype, seed=6)
    order = np.random.default_rng(7).permutation(n)
    W, B = copy_params(net)
    velocities = core_epoch(net, X, Y, order, m, 1.0, rule, path=path, kernel_set=kernel_set)
    want_velocities = reference_epoch(W, B, X, Y, order, m, 1.0, rule)
    tolerance = TOLERANCE[dtype] * (10 if dtype == np.float32 and sizes[0] == 784 else 1)
    if rule.get("penalty") == "l1" and dtype == np.float32:
        # sgn(w) has a kink at 0: a weight within float32's rounding of 0 may take its L1 step
        # the other way in one run than in the other, and stay a step apart (the float64 runs
        # agree). Such weights are near 0 and few; every other must agree.
        rate = rule["lmbda"] / n
        for got, want in zip(net.weights, W):
            off = np.abs(got - want) > tolerance
            assert off.mean() < 1e-3 and np.all(np.abs(want[off]) < 10 * rate), off.sum()
            got[off] = want[off]
        velocities = want_velocities = None
    for got, want in zip(
        net.weights + net.biases + (velocities or []), W + B + (want_velocities or [])
    ):
        assert got.dtype == dtype
        np.testing.assert_allclose(got, want, rtol=0, atol=tolerance)


@pytest.mark.parametrize("dtype", DTYPES)
def test_threads_and_skipping_give_the_same_bits(dtype, kernel_set, rule):
    """On the small-kernel path: one thread or two, zero inputs skipped or not, the same bytes
    (every weight of a skipped input still decays, shrinks or moves with its velocity)."""
    sizes, n, m = [784, 30, 10], 200, 10
    X, _, Y = make_data(n, sizes, dtype, seed=8)
    X[:, :200] = 0
    X[np.random.default_rng(9).random(X.shape) < 0.7] = 0
    order = np.random.default_rng(10).permutation(n)
    results = []
    for skip in (True, False):
        for n_threads in (1, 2):
            net = fastgd.Network(sizes, seed=11, dtype=dtype)
            velocities = core_epoch(
                net,
                X,
                Y,
                order,
                m,
                1.0,
                rule,
                n_threads=n_threads,
                kernel_set=kernel_set,
                skip_zero_inputs=skip,
                input_split=_core.input_split(X, m),
            )
            results.append(
                b"".join(a.tobytes() for a in net.weights + net.biases + (velocities or []))
            )
    assert len(set(results)) == 1
    # And with a penalty the weights of inputs that are always zero did move (decayed or
    # shrunk); without one (momentum alone) their gradient and velocity stay 0, and so do they.
    net = fastgd.Network(sizes, seed=11, dtype=dtype)
    start = net.weights[0][:, :200].copy()
    core_epoch(net, X, Y, order, m, 1.0, rule)
    assert np.array_equal(net.weights[0][:, :200], start) == (not rule.get("lmbda"))


# ---- fits, checkpoints, reports -----------------------------------------------------------------


@pytest.mark.parametrize("path", ["small", "blas"])
def test_a_resumed_run_with_momentum_is_the_uninterrupted_one(tmp_path, path):
    X, labels, _ = make_data(400, [20, 12, 4], seed=12)

    def trainer(net, epochs, **options):
        return fastgd.Trainer(
            net,
            eta=0.3,
            mini_batch_size=10,
            epochs=epochs,
            seed=4,
            verbose=0,
            momentum=0.9,
            nesterov=True,
            lmbda=2.0,
            **options,
        )

    with policy.overrides(training_path=path):
        whole = fastgd.Network([20, 12, 4], seed=2)
        history = trainer(whole, 6).fit(X, labels, test_data=(X, labels))
        first = fastgd.Network([20, 12, 4], seed=2)
        path_ = tmp_path / "run.npz"
        trainer(first, 3, checkpoint_every=3, checkpoint_path=path_).fit(
            X, labels, test_data=(X, labels)
        )
        assert checkpoint.load(path_).velocities is not None
        resumed = fastgd.Network([20, 12, 4], seed=77)
        again = trainer(resumed, 6).fit(X, labels, test_data=(X, labels), resume=path_)
    assert all(
        np.array_equal(a, b)
        for a, b in zip(whole.weights + whole.biases, resumed.weights + resumed.biases)
    )
    assert again.test_cost == history.test_cost
    # Without its momentum the run is another: refused.
    with pytest.raises(ValueError, match="momentum: checkpoint 0.9, this trainer 0.0"):
        fastgd.Trainer(
            resumed,
            eta=0.3,
            mini_batch_size=10,
            epochs=6,
            seed=4,
            verbose=0,
            lmbda=2.0,
            nesterov=True,
        ).fit(X, labels, resume=path_)


def test_damaged_velocities_are_refused(tmp_path):
    X, labels, _ = make_data(100, [6, 4, 3], seed=13)
    net = fastgd.Network([6, 4, 3], seed=0)
    path = tmp_path / "run.npz"
    fastgd.Trainer(
        net,
        eta=0.3,
        mini_batch_size=10,
        epochs=1,
        verbose=0,
        momentum=0.5,
        checkpoint_every=1,
        checkpoint_path=path,
    ).fit(X, labels)
    with np.load(path) as npz:
        arrays = dict(npz)
    for change, match in (
        (
            lambda a: a["velocity_weights_1"].__setitem__((0, 0), np.nan),
            "velocity weights_1 holds nan",
        ),
        (lambda a: a.pop("velocity_biases_0"), "velocities of its momentum are incomplete"),
        (
            lambda a: a.update(velocity_weights_0=np.zeros((3, 3))),
            r"velocity_weights_0 has shape \(3, 3\)",
        ),
    ):
        crafted = {k: v.copy() for k, v in arrays.items()}
        change(crafted)
        np.savez(tmp_path / "crafted.npz", **crafted)
        with pytest.raises(ValueError, match=match):
            checkpoint.load(tmp_path / "crafted.npz")
    without = {k: v for k, v in arrays.items() if not k.startswith("velocity")}
    np.savez(tmp_path / "without.npz", **without)
    with pytest.raises(ValueError, match="a run of momentum 0.5 without velocities"):
        checkpoint.load(tmp_path / "without.npz")


@pytest.mark.parametrize("penalty", ["l2", "l1"])
def test_history_costs_include_the_penalty_with_each_data_sets_n(penalty):
    X, labels, _ = make_data(120, [8, 5, 3], seed=14)
    X_test, labels_test, _ = make_data(40, [8, 5, 3], seed=15)
    net = fastgd.Network([8, 5, 3], seed=1)
    history = fastgd.Trainer(
        net,
        eta=0.5,
        mini_batch_size=10,
        epochs=2,
        verbose=0,
        train_cost="exact",
        lmbda=4.0,
        penalty=penalty,
    ).fit(X, labels, test_data=(X_test, labels_test))
    if penalty == "l2":
        weight_sum = 0.5 * sum(np.sum(w * w) for w in net.weights)
    else:
        weight_sum = sum(np.sum(np.abs(w)) for w in net.weights)
    assert history.train_cost[-1] == pytest.approx(
        net.cost(X, labels) + 4.0 / 120 * weight_sum, rel=1e-12
    )
    assert history.test_cost[-1] == pytest.approx(
        net.cost(X_test, labels_test) + 4.0 / 40 * weight_sum, rel=1e-12
    )


@pytest.mark.parametrize(
    "options, match",
    [
        (dict(lmbda=-1.0), "lmbda must be a finite number of at least 0"),
        (dict(lmbda=float("inf")), "lmbda must be a finite number"),
        (dict(penalty="l3"), r"penalty must be one of \('l2', 'l1'\)"),
        (dict(momentum=1.0), "momentum must be at least 0 and below 1"),
        (dict(momentum=-0.1), "momentum must be a finite number of at least 0"),
        (dict(nesterov=1), "nesterov must be True or False"),
    ],
)
def test_bad_rules_are_refused_by_name(options, match):
    net = fastgd.Network([3, 2], seed=0)
    with pytest.raises((ValueError, TypeError), match=match):
        fastgd.Trainer(net, eta=1.0, mini_batch_size=2, epochs=1, **options)


def test_the_book_weight_decay_from_the_command_line(tmp_path, mnist_dir):
    """fastgd train --lmbda --momentum: the flags reach the trainer, and the run learns."""
    from conftest import run_fastgd

    done = run_fastgd(
        "train",
        "--epochs",
        "1",
        "--train-size",
        "2000",
        "--cost",
        "cross_entropy",
        "--init",
        "scaled",
        "--eta",
        "0.1",
        "--lmbda",
        "5",
        "--momentum",
        "0.5",
        "--nesterov",
        "--activation",
        "relu",
        "--seed",
        "0",
        "--save",
        tmp_path / "net.npz",
        "--data",
        mnist_dir,
    )
    assert done.returncode == 0, done.stderr
    net = fastgd.Network.load(tmp_path / "net.npz")
    assert net.activation == ["relu"]
    assert net.evaluate(*fastgd.load_mnist(mnist_dir)[1]) > 7000
