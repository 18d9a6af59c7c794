"""Network(init=...): the chapter's N(0, 1) draw unchanged, and the book's scaled N(0, 1/n_in)."""

import numpy as np
import pytest

import fastgd
from fastgd import initializers

SIZES = [784, 100, 30, 10]


@pytest.mark.parametrize("seed", [0, 1, 7, 12345])
def test_normal_is_the_chapters_draw_bit_for_bit(seed):
    """Biases first, then weights, every value one standard normal of one generator: the
    draw of fastgd 0.1 (and of the book's network.py, with NumPy's new generator)."""
    rng = np.random.default_rng(seed)
    biases = [rng.standard_normal(n) for n in SIZES[1:]]
    weights = [rng.standard_normal((n_out, n_in)) for n_in, n_out in zip(SIZES[:-1], SIZES[1:])]
    for net in (fastgd.Network(SIZES, seed=seed), fastgd.Network(SIZES, seed=seed, init="normal")):
        assert net.init == "normal"
        for got, want in zip(net.weights + net.biases, weights + biases):
            assert got.tobytes() == want.tobytes()


def test_scaled_draws_weights_from_n_0_1_over_n_in_layer_by_layer():
    net = fastgd.Network(SIZES, seed=3, init="scaled")
    assert net.init == "scaled"
    for w, n_in in zip(net.weights, SIZES[:-1]):
        assert abs(w.mean()) < 4 / np.sqrt(w.size) / np.sqrt(n_in)  # 4 standard errors
        assert w.std() * np.sqrt(n_in) == pytest.approx(1, abs=4 / np.sqrt(2 * w.size))
    biases = np.concatenate(net.biases)
    assert abs(biases.mean()) < 4 / np.sqrt(biases.size)
    assert biases.std() == pytest.approx(1, abs=4 / np.sqrt(2 * biases.size))


def test_scaled_is_the_normal_draw_divided_by_the_root_of_n_in():
    normal = fastgd.Network(SIZES, seed=4)
    scaled = fastgd.Network(SIZES, seed=4, init="scaled")
    for w_scaled, w_normal, n_in in zip(scaled.weights, normal.weights, SIZES[:-1]):
        np.testing.assert_array_equal(w_scaled, w_normal / np.sqrt(n_in))
    for b_scaled, b_normal in zip(scaled.biases, normal.biases):
        np.testing.assert_array_equal(b_scaled, b_normal)


@pytest.mark.parametrize("init", list(initializers.INITS))
def test_seeded_reproducible_and_both_dtypes_start_alike(init):
    a = fastgd.Network([20, 8, 3], seed=5, init=init)
    b = fastgd.Network([20, 8, 3], seed=5, init=init)
    c = fastgd.Network([20, 8, 3], seed=6, init=init)
    f32 = fastgd.Network([20, 8, 3], seed=5, init=init, dtype="float32")
    for x, y, z, w in zip(
        a.weights + a.biases, b.weights + b.biases, c.weights + c.biases, f32.weights + f32.biases
    ):
        assert x.tobytes() == y.tobytes()
        # (Every draw differs with the seed; he's biases are no draw: 0 whatever the seed.)
        assert not np.array_equal(x, z) or (init == "he" and x.ndim == 1 and not x.any())
        np.testing.assert_array_equal(x.astype(np.float32), w)


def test_he_draws_weights_from_n_0_2_over_n_in_and_zero_biases():
    net = fastgd.Network(SIZES, seed=3, init="he", activation="relu")
    assert net.init == "he"
    for w, n_in in zip(net.weights, SIZES[:-1]):
        assert abs(w.mean()) < 4 * np.sqrt(2 / n_in) / np.sqrt(w.size)
        assert w.std() * np.sqrt(n_in / 2) == pytest.approx(1, abs=4 / np.sqrt(2 * w.size))
    assert all(b.dtype == np.float64 and not b.any() for b in net.biases)
    # The weights are the generator's first draws (no biases drawn before them): scaled's
    # weights of the same seed, had it drawn no biases, times sqrt(2).
    rng = np.random.default_rng(3)
    first = rng.standard_normal((SIZES[1], SIZES[0])) * np.sqrt(2.0 / SIZES[0])
    np.testing.assert_array_equal(net.weights[0], first)


@pytest.mark.parametrize("init", ["xavier", "Normal", None, 1])
def test_unknown_init_is_refused_with_the_list(init):
    with pytest.raises(ValueError, match=r"init must be one of \['he', 'normal', 'scaled'\], got"):
        fastgd.Network([3, 2], init=init)


def test_save_and_load_keep_the_init(tmp_path):
    net = fastgd.Network([6, 4, 2], seed=0, init="scaled")
    net.save(tmp_path / "net.npz")
    back = fastgd.Network.load(tmp_path / "net.npz")
    assert back.init == "scaled"
    assert repr(back) == "Network([6, 4, 2], dtype='float64', init='scaled')"
