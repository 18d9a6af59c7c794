"""Gradient descent on any C(v): convergence, warnings, divergence, SGD, pictures, and the
chapter's steepest-descent property."""

import warnings

import numpy as np
import pytest

import fastgd
from fastgd.descent import finite_difference_gradient
from fastgd.functions import FUNCTIONS

from conftest import run_fastgd


def quadratic(H, c):
    """C(v) = (1/2) (v - c)^T H (v - c), minimum 0 at c, gradient H (v - c)."""
    return (lambda v: 0.5 * (v - c) @ H @ (v - c)), (lambda v: H @ (v - c))


def test_converges_to_the_minimum_of_a_convex_quadratic():
    H = np.array([[3.0, 1.0, 0.0], [1.0, 2.0, 0.5], [0.0, 0.5, 1.0]])
    c = np.array([1.0, -2.0, 0.5])
    C, grad = quadratic(H, c)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # small eta: no step may increase C
        result = fastgd.minimize(C, grad, np.zeros(3), eta=0.2, tol=1e-10)
    assert result.converged
    np.testing.assert_allclose(result.x, c, atol=1e-9)
    assert result.cost < 1e-18
    assert np.all(np.diff(result.costs) <= 0)
    assert result.path.shape == (result.steps + 1, 3) and len(result.costs) == result.steps + 1
    np.testing.assert_array_equal(result.path[0], np.zeros(3))


def test_one_variable_and_the_step_limit():
    result = fastgd.minimize(lambda v: (v - 3) ** 2, lambda v: 2 * (v - 3), 0.0, eta=0.1, steps=5)
    assert result.steps == 5 and not result.converged and result.message == "reached the step limit"
    # Each step multiplies the distance to 3 by (1 - 2 eta) = 0.8.
    np.testing.assert_allclose(result.path, 3 - 3 * 0.8 ** np.arange(6))


def test_too_large_eta_warns():
    C, grad = quadratic(np.diag([1.0, 20.0]), np.zeros(2))
    with pytest.warns(fastgd.DescentWarning, match="step 1 increased the cost .* eta=0.11"):
        result = fastgd.minimize(C, grad, [1.0, 1.0], eta=0.11, steps=20)
    assert result.costs[-1] > result.costs[0]


def test_divergence_to_infinity_stops_with_the_step_named():
    with warnings.catch_warnings(), np.errstate(over="ignore"):
        warnings.simplefilter("ignore", fastgd.DescentWarning)
        with pytest.raises(FloatingPointError, match=r"the cost became inf at step \d+"):
            fastgd.minimize(
                lambda v: float(np.exp(v[0] ** 2)),
                lambda v: np.array([2 * v[0] * np.exp(v[0] ** 2)]),
                [2.0],
                eta=1.0,
                steps=100,
            )


def test_nan_cost_stops():
    with pytest.raises(FloatingPointError, match="the cost became nan at step 1"):
        fastgd.minimize(
            lambda v: float(np.sqrt(v[0])) if v[0] >= 0 else float("nan"),
            lambda v: np.array([1.0]),
            [0.5],
            eta=1.0,
            steps=3,
        )


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        (dict(eta=0.1), ValueError, "give steps, tol or both"),
        (dict(eta=0, steps=3), ValueError, "eta must be"),
        (dict(eta=0.1, steps=-1), ValueError, "steps must be at least 0"),
        (dict(eta=0.1, tol=-1.0), ValueError, "tol must be"),
    ],
)
def test_bad_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        fastgd.minimize(lambda v: float(v @ v), lambda v: 2 * v, [1.0, 2.0], **kwargs)


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_finite_differences_agree_with_the_analytic_gradient(name):
    f = FUNCTIONS[name]
    for point in (f.start, (0.3, -0.7), (1.1, 0.4)):
        v = np.array(point)
        np.testing.assert_allclose(
            finite_difference_gradient(f.cost, v), f.grad(v), rtol=1e-7, atol=1e-7
        )


def test_minimize_without_a_gradient_uses_finite_differences():
    f = FUNCTIONS["bowl"]
    exact = fastgd.minimize(f.cost, f.grad, f.start, eta=0.1, steps=30)
    approx = fastgd.minimize(f.cost, None, f.start, eta=0.1, steps=30)
    np.testing.assert_allclose(approx.path, exact.path, atol=1e-8)


def test_the_negative_gradient_is_the_steepest_step():
    """Among moves of length epsilon, -epsilon grad C / ||grad C|| decreases C most (by
    Cauchy-Schwarz, to first order): checked against 2,000 random directions at random points
    of each built-in function."""
    rng = np.random.default_rng(0)
    epsilon = 1e-4
    for f in FUNCTIONS.values():
        for _ in range(5):
            v = rng.uniform(f.window[::2], f.window[1::2])
            g = f.grad(v)
            best = f.cost(v - epsilon * g / np.linalg.norm(g))
            directions = rng.standard_normal((2000, 2))
            directions /= np.linalg.norm(directions, axis=1, keepdims=True)
            others = np.array([f.cost(v + epsilon * d) for d in directions])
            # Second-order terms are O(epsilon^2): allow that much slack.
            assert best <= others.min() + 1e-6 * epsilon
            assert best < f.cost(v)


def test_sgd_full_batch_minibatch_and_online():
    """On least squares, one epoch of online learning or mini-batches gets much closer to the
    minimum than one full-batch step, for the same number of per-example gradients: the speed-up
    the chapter describes."""
    problem = fastgd.LeastSquares.random(n=2000, m=5, seed=1)
    best = problem.cost(problem.solution())
    v0 = np.zeros(5)
    runs = {
        m: fastgd.sgd(
            problem.example_grad,
            v0,
            problem.n_examples,
            eta=0.05,
            mini_batch_size=m,
            epochs=3,
            cost=problem.cost,
            seed=0,
        )
        for m in (2000, 100, 1)
    }
    for result in runs.values():
        assert result.gradient_evaluations == 3 * 2000
        assert len(result.costs) == 4 and result.costs[-1] < result.costs[0]
    gap = {m: r.costs[-1] - best for m, r in runs.items()}
    assert gap[100] < gap[2000] / 100 and gap[1] < gap[2000] / 100
    # Full batch with mean reduction is exactly gradient descent on C.
    gd = fastgd.minimize(problem.cost, problem.grad, v0, eta=0.05, steps=3)
    np.testing.assert_allclose(runs[2000].x, gd.x, rtol=1e-12)


def test_sgd_is_reproducible_from_its_seed():
    problem = fastgd.LeastSquares.random(n=200, m=3, seed=2)
    a, b = (
        fastgd.sgd(
            problem.example_grad, np.zeros(3), 200, eta=0.05, mini_batch_size=10, epochs=2, seed=7
        )
        for _ in range(2)
    )
    np.testing.assert_array_equal(a.x, b.x)


def png_size(path):
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


@pytest.mark.parametrize("dims", [1, 2])
def test_pictures(tmp_path, dims):
    pytest.importorskip("matplotlib")
    if dims == 1:
        result = fastgd.minimize(
            lambda v: float(v[0] ** 2), lambda v: 2 * v, [1.5], eta=0.2, steps=10
        )
        C = lambda v: float(v[0] ** 2)  # noqa: E731
    else:
        f = FUNCTIONS["valley"]
        result, C = fastgd.minimize(f.cost, f.grad, f.start, eta=f.eta, steps=40), f.cost
    path = tmp_path / "descent.png"
    fastgd.plot_descent(result, C, path)
    assert png_size(path) == (1100, 450)


def test_the_valley_command_draws_the_chapters_picture(tmp_path):
    pytest.importorskip("matplotlib")
    out = tmp_path / "valley.png"
    result = run_fastgd("valley", "--eta", 0.1, "--steps", 30, "--out", out, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("bowl: 30 steps of eta = 0.1 from [1.6, 1.2]")
    assert png_size(out) == (1100, 450)
    bad = run_fastgd("valley", "--function", "nope", timeout=60)
    assert bad.returncode == 2 and "invalid choice" in bad.stderr


@pytest.mark.parametrize(
    "v0, example_grad, error, match",
    [
        ([np.nan, 1.0], lambda v, idx: np.zeros(2), ValueError, "v0 must be finite"),
        (
            [0.0, 1.0],
            lambda v, idx: np.array([np.nan, 0.0]),
            FloatingPointError,
            "non-finite in epoch 0, mini-batch 0",
        ),
        (
            [0.0, 1.0],
            lambda v, idx: np.zeros(3),
            ValueError,
            r"returned shape \(3,\) for a point "
            r"of shape \(2,\)",
        ),
    ],
)
def test_sgd_checks_like_minimize(v0, example_grad, error, match):
    with pytest.raises(error, match=match):
        fastgd.sgd(example_grad, v0, 10, eta=0.1, mini_batch_size=5, epochs=1)
