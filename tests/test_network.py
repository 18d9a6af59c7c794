import numpy as np
import pytest

import fastgd
from fastgd import reference as ref


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_shapes_dtype_and_layout(dtype):
    net = fastgd.Network([784, 30, 20, 10], seed=0, dtype=dtype)
    assert net.num_layers == 4
    assert [w.shape for w in net.weights] == [(30, 784), (20, 30), (10, 20)]
    assert [b.shape for b in net.biases] == [(30,), (20,), (10,)]
    for arr in net.weights + net.biases:
        assert arr.dtype == np.dtype(dtype) and arr.flags.c_contiguous and arr.flags.writeable


def test_initialisation_is_standard_normal_and_seeded():
    net = fastgd.Network([784, 100, 10], seed=1)
    values = np.concatenate([a.ravel() for a in net.weights + net.biases])
    assert abs(values.mean()) < 0.02 and abs(values.std() - 1) < 0.02
    again = fastgd.Network([784, 100, 10], seed=1)
    other = fastgd.Network([784, 100, 10], seed=2)
    for a, b, c in zip(
        net.weights + net.biases, again.weights + again.biases, other.weights + other.biases
    ):
        np.testing.assert_array_equal(a, b)
        assert not np.array_equal(a, c)


def test_float32_starts_from_the_rounded_float64_network():
    n64 = fastgd.Network([5, 4, 3], seed=3)
    n32 = fastgd.Network([5, 4, 3], seed=3, dtype="float32")
    for a, b in zip(n64.weights + n64.biases, n32.weights + n32.biases):
        np.testing.assert_array_equal(a.astype(np.float32), b)


def test_feedforward_one_sample_or_a_batch():
    net = fastgd.Network([6, 5, 3], seed=4)
    X = np.random.default_rng(0).random((4, 6))
    batch = net.feedforward(X)
    assert batch.shape == (4, 3)
    np.testing.assert_allclose(batch, ref.feedforward(net.weights, net.biases, X), atol=1e-14)
    one = net.feedforward(X[2])
    assert one.shape == (3,)
    np.testing.assert_array_equal(one, batch[2])
    assert net.predict(X[2]) == int(np.argmax(batch[2]))
    np.testing.assert_array_equal(net.predict(X), np.argmax(batch, axis=1))


def test_feedforward_accepts_lists_ints_and_non_contiguous_arrays():
    net = fastgd.Network([3, 2], seed=5)
    X = np.arange(12, dtype=np.int64).reshape(4, 3) % 2
    want = net.feedforward(X.astype(float))
    np.testing.assert_array_equal(net.feedforward(X.tolist()), want)
    np.testing.assert_array_equal(net.feedforward(np.asfortranarray(X)), want)
    wide = np.zeros((4, 6))
    wide[:, ::2] = X
    np.testing.assert_array_equal(net.feedforward(wide[:, ::2]), want)


def test_evaluate_counts_correct_predictions():
    net = fastgd.Network([6, 5, 3], seed=6)
    X = np.random.default_rng(1).random((50, 6))
    predicted = net.predict(X)
    labels = predicted.copy()
    labels[:7] = (labels[:7] + 1) % 3
    assert net.evaluate(X, labels) == 43
    assert net.evaluate(X, np.eye(3)[labels]) == 43


def test_cost_is_the_quadratic_cost():
    net = fastgd.Network([4, 3], seed=7)
    X = np.random.default_rng(2).random((9, 4))
    y = np.arange(9) % 3
    A = ref.feedforward(net.weights, net.biases, X)
    want = np.sum((A - np.eye(3)[y]) ** 2) / (2 * 9)
    assert net.cost(X, y) == pytest.approx(want, rel=1e-12)


@pytest.mark.parametrize(
    "sizes, error, match",
    [
        ([784], ValueError, "at least two layers"),
        ([784, 0, 10], ValueError, r"sizes\[1\] must be at least 1"),
        ([784, 30.5, 10], TypeError, r"sizes\[1\] must be an integer"),
        ([784, True, 10], TypeError, r"sizes\[1\] must be an integer"),
        (784, TypeError, "sequence of layer sizes"),
    ],
)
def test_bad_sizes(sizes, error, match):
    with pytest.raises(error, match=match):
        fastgd.Network(sizes)


@pytest.mark.parametrize("dtype", ["float16", "int32", "complex128", "nonsense"])
def test_bad_dtype(dtype):
    with pytest.raises(TypeError, match="dtype must be 'float32' or 'float64'"):
        fastgd.Network([3, 2], dtype=dtype)


@pytest.mark.parametrize(
    "X, error, match",
    [
        (np.zeros((2, 5)), ValueError, r"5 features per sample .* 4 \(sizes\[0\]\)"),
        (np.zeros(5), ValueError, "5 features per sample"),
        (np.zeros((2, 2, 4)), ValueError, "must be a 2-D array"),
        (np.array([[0, np.nan, 0, 0]]), ValueError, r"NaN or infinity \(first at index \(0, 1\)"),
        (np.array([[0, 0, np.inf, 0]]), ValueError, "NaN or infinity"),
        (np.array([["a", "b", "c", "d"]]), TypeError, "must hold real numbers"),
        (np.zeros((2, 4), dtype=complex), TypeError, "must hold real numbers"),
    ],
)
def test_feedforward_bad_input(X, error, match):
    net = fastgd.Network([4, 2], seed=0)
    with pytest.raises(error, match=match):
        net.feedforward(X)


@pytest.mark.parametrize("sizes", [[20, 30, 4], [20, 200, 4]], ids=["narrow", "wide"])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_nan_far_into_a_large_batch_is_found(sizes, dtype):
    """The core checks rows as it reads them (in the second thread's half, or a later BLAS block,
    here) and names the first bad element, for feedforward, predict and evaluate alike."""
    net = fastgd.Network(sizes, seed=0, dtype=dtype)
    X = np.random.default_rng(0).random((9000, 20))
    X[7000, 5] = np.nan
    X[8000, 1] = np.inf
    for call in (net.feedforward, net.predict, lambda X: net.evaluate(X, np.zeros(9000, int))):
        with pytest.raises(
            ValueError,
            match=r"X contains NaN or infinity \(first at index "
            r"\(7000, 5\), value nan\)",
        ):
            call(X)


def test_replaced_parameters_are_caught():
    net = fastgd.Network([4, 3, 2], seed=0)
    net.weights[1] = np.asfortranarray(np.ones((2, 3)))[:, :]
    net.weights[1] = np.ones((3, 2)).T
    with pytest.raises(ValueError, match=r"weights\[1\] must be C-contiguous"):
        net.feedforward(np.zeros(4))
    net.weights[1] = np.ones((2, 3), dtype=np.float32)
    with pytest.raises(
        ValueError,
        match=r"weights\[1\] must be an ndarray of shape \(2, 3\) "
        r"and dtype float64",
    ):
        net.feedforward(np.zeros(4))


def test_a_value_beyond_float32_is_named_as_such():
    net = fastgd.Network([3, 2], seed=0, dtype="float32")
    with pytest.raises(
        ValueError,
        match=r"X holds 1e\+39 at index \(1, 2\), beyond the range "
        r"of float32 \(largest 3.403e\+38\)",
    ):
        net.feedforward(np.array([[0.0, 1, 2], [3, 4, 1e39]]))
    with pytest.raises(ValueError, match="NaN or infinity"):
        net.feedforward(np.array([[0.0, 1, np.inf]]))


def test_parameters_given_as_tuples_become_lists():
    net = fastgd.Network([4, 3, 2], seed=0)
    net.weights = tuple(w.copy() for w in net.weights)
    assert isinstance(net.weights, list)
    assert net.feedforward(np.zeros(4)).shape == (2,)
    with pytest.raises(TypeError, match="biases must be a list of arrays, one per layer, got int"):
        net.biases = 3


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_uint8_pixels_are_read_as_x_over_255_bit_for_bit(dtype):
    """feedforward, predict, evaluate and cost on uint8 rows give, bit for bit, what they give
    on X.astype(dtype) / 255, on both feedforward paths (narrow and wide networks)."""
    rng = np.random.default_rng(0)
    pixels = rng.integers(0, 256, (300, 20)).astype(np.uint8)
    pixels[rng.random(pixels.shape) < 0.5] = 0
    labels = rng.integers(0, 4, 300)
    for sizes in ([20, 12, 4], [20, 200, 4]):
        net = fastgd.Network(sizes, seed=1, dtype=dtype)
        floats = pixels.astype(dtype) / 255
        assert net.feedforward(pixels).tobytes() == net.feedforward(floats).tobytes()
        assert net.feedforward(pixels[7]).tobytes() == net.feedforward(floats[7]).tobytes()
        np.testing.assert_array_equal(net.predict(pixels), net.predict(floats))
        assert net.evaluate(pixels, labels) == net.evaluate(floats, labels)
        assert net.cost(pixels, labels) == net.cost(floats, labels)


def test_floats_above_one_get_a_warning_naming_the_largest_and_the_fix():
    net = fastgd.Network([3, 2], seed=0)
    with pytest.warns(
        fastgd.InputRangeWarning,
        match=r"X holds values up to 255, .*divide by 255 \(for pixels\), or pass pixels as "
        r"uint8, which fastgd reads as x / 255",
    ):
        net.feedforward(np.array([[0.0, 17.0, 255.0]]))
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        net.feedforward(np.array([[0.0, 0.5, 1.0]]))
        net.feedforward(np.array([[0, 17, 255]], dtype=np.uint8))
