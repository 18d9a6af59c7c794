"""The book's expansion of the training data: each image and its four one-pixel shifts."""

import numpy as np
import pytest

import fastgd
from fastgd.augment import expand_shifts


def book_expand(images, labels):
    """The book's expand_mnist.py, as it is written: roll, then zero the wrapped line."""
    out_x, out_y = [], []
    for x, y in zip(images, labels):
        out_x.append(x)
        out_y.append(y)
        image = np.reshape(x, (-1, 28))
        for d, axis, index_position, index in [
            (1, 0, "first", 0),
            (-1, 0, "first", 27),
            (1, 1, "last", 0),
            (-1, 1, "last", 27),
        ]:
            new_img = np.roll(image, d, axis)
            if index_position == "first":
                new_img[index, :] = np.zeros(28)
            else:
                new_img[:, index] = np.zeros(28)
            out_x.append(np.reshape(new_img, 784))
            out_y.append(y)
    return np.array(out_x), np.array(out_y)


@pytest.mark.parametrize("dtype", [np.uint8, np.float32, np.float64])
def test_the_expansion_is_the_books(dtype):
    rng = np.random.default_rng(0)
    X = rng.integers(0, 256, (20, 784)).astype(dtype)
    y = rng.integers(0, 10, 20)
    got_x, got_y = expand_shifts(X, y)
    want_x, want_y = book_expand(X, y)
    assert got_x.dtype == dtype and got_x.shape == (100, 784)
    assert np.array_equal(got_x, want_x) and np.array_equal(got_y, want_y)


def test_a_shift_moves_every_pixel_by_one_exactly():
    image = np.zeros((1, 784), dtype=np.uint8)
    image[0, 5 * 28 + 7] = 200  # row 5, column 7
    expanded, _ = expand_shifts(image, [1])
    where = [tuple(np.argwhere(e.reshape(28, 28))[0]) for e in expanded]
    assert where == [(5, 7), (6, 7), (4, 7), (5, 8), (5, 6)]
    assert all(e.sum() == 200 for e in expanded)
    # At the edge the pixel leaves the image.
    edge = np.zeros((1, 784))
    edge[0, 27] = 1.0  # row 0, column 27
    expanded, _ = expand_shifts(edge, np.eye(10)[[3]])
    assert [e.sum() for e in expanded] == [1, 1, 0, 0, 1]


def test_target_rows_are_repeated_and_bad_shapes_refused():
    X = np.zeros((3, 784))
    Y = np.eye(10)[[1, 2, 3]]
    _, targets = expand_shifts(X, Y)
    assert np.array_equal(targets.argmax(axis=1), np.repeat([1, 2, 3], 5))
    with pytest.raises(ValueError, match="one image of 28x28 = 784 pixels per row"):
        expand_shifts(np.zeros((3, 100)), [0, 1, 2])
    with pytest.raises(ValueError, match="X has 3 images but y has 2 labels"):
        expand_shifts(X, [0, 1])
    assert fastgd.expand_shifts is expand_shifts


def test_the_expanded_mnist_trains(mnist):
    (train_X, train_y), (test_X, test_y) = mnist
    X, y = expand_shifts(train_X[:2000], train_y[:2000])
    assert len(X) == 10000
    net = fastgd.Network([784, 30, 10], seed=1, init="scaled")
    fastgd.Trainer(net, eta=0.5, mini_batch_size=10, epochs=2, seed=0, verbose=0,
                   cost="cross_entropy").fit(X, y)  # fmt: skip
    assert net.evaluate(test_X, test_y) / len(test_y) > 0.85


# ---- distortions drawn afresh every epoch (Trainer(augment=...)) -------------------------------

from fastgd.augment import Distortions  # noqa: E402
from fastgd.core import _distort, policy  # noqa: E402
from fastgd.core import reference as ref  # noqa: E402
from fastgd.training import chunks  # noqa: E402

from conftest import run_fastgd  # noqa: E402

AFFINE = dict(rotation=10.0, scale=0.1, shear=0.1, shift=2.0)


def core_distort(X, rows, key, n_threads=1, h=28, w=28, **fields):
    out = np.empty((len(rows), X.shape[1]), dtype=X.dtype)
    _distort.distort(X, np.asarray(rows, dtype=np.intp), out, key, h=h, w=w,
                     n_threads=n_threads, **fields)  # fmt: skip
    return out


@pytest.fixture(scope="module")
def digits(mnist_dir):
    (X, _), _ = fastgd.load_mnist(mnist_dir, dtype="uint8")[:2]
    return X[:200]


@pytest.mark.parametrize("dtype", [np.uint8, np.float64, np.float32])
@pytest.mark.parametrize("elastic", [0.0, 34.0])
def test_the_core_distorts_as_the_numpy_twin_on_any_thread_count(digits, dtype, elastic):
    X = digits if dtype == np.uint8 else (digits / 255).astype(dtype)
    rows = np.arange(0, 200, 7)
    fields = dict(AFFINE, alpha=elastic, sigma=4.0)
    one = core_distort(X, rows, 2**63 + 5, 1, **fields)
    two = core_distort(X, rows, 2**63 + 5, 2, **fields)
    assert one.tobytes() == two.tobytes()
    want = ref.distort(X, rows, 2**63 + 5, h=28, w=28, **fields)
    tolerance = {np.uint8: 0, np.float64: 1e-12, np.float32: 1e-6}[dtype]
    np.testing.assert_allclose(one.astype(float), want.astype(float), rtol=0, atol=tolerance)
    assert not np.array_equal(one, X[rows])  # they moved
    # Another key (the next epoch), other images.
    assert not np.array_equal(one, core_distort(X, rows, 2**63 + 6, **fields))


@pytest.mark.parametrize("dtype", [np.uint8, np.float64])
def test_no_move_is_the_identity(digits, dtype):
    X = digits if dtype == np.uint8 else digits / 255
    same = core_distort(X, range(50), 7, rotation=0, scale=0, shear=0, shift=0)
    assert same.tobytes() == X[:50].tobytes()


def test_a_shift_moves_each_image_by_its_drawn_amount(digits):
    X = digits / 255
    rows = np.arange(40)
    moved = core_distort(X, rows, 11, rotation=0, scale=0, shear=0, shift=2.0)
    grid = np.mgrid[0:28, 0:28]
    checked = 0
    for row, image, out in zip(rows, X, moved):
        u = ref._uniform(ref._stream(11, row), np.arange(5))
        tx, ty = 2.0 * (2 * u[3] - 1), 2.0 * (2 * u[4] - 1)
        # An image whose ink keeps 3 pixels from the edges loses none of it, and its centre
        # of mass moves by exactly (ty, tx).
        ink = np.argwhere(image.reshape(28, 28) > 0)
        if ink.min() < 3 or ink.max() > 24:
            continue
        checked += 1
        assert out.sum() == pytest.approx(image.sum(), rel=1e-12)
        centre = [(g * image.reshape(28, 28)).sum() / image.sum() for g in grid]
        after = [(g * out.reshape(28, 28)).sum() / out.sum() for g in grid]
        assert after == pytest.approx([centre[0] + ty, centre[1] + tx], abs=1e-9)
    assert checked >= 20


def fit_augmented(X, labels, epochs=3, **options):
    net = fastgd.Network([784, 16, 10], seed=2, init="scaled")
    trainer = fastgd.Trainer(
        net, eta=0.5, mini_batch_size=10, epochs=epochs, seed=4, verbose=0, cost="cross_entropy",
        augment="affine", **options,
    )  # fmt: skip
    return net, trainer.fit(X, labels, test_data=(X, labels))


def same_bits(a, b):
    return all(
        x.tobytes() == y.tobytes() for x, y in zip(a.weights + a.biases, b.weights + b.biases)
    )


def test_augmented_runs_are_the_same_bits_on_any_threads_chunks_and_resume(
    monkeypatch, tmp_path, mnist
):
    (X, labels), _ = mnist[:2]
    X, labels = X[:600], labels[:600]
    base, history = fit_augmented(X, labels, n_threads=1, dropout=0.3)
    assert same_bits(base, fit_augmented(X, labels, n_threads=2, dropout=0.3)[0])
    with monkeypatch.context() as patch:
        patch.setattr(chunks, "CHUNK_SAMPLES", 70)
        patch.setattr(chunks, "FIRST_CHUNK_SAMPLES", 30)
        patch.setattr(chunks, "CHUNK_SECONDS", 1e9)
        assert same_bits(base, fit_augmented(X, labels, n_threads=2, dropout=0.3)[0])
    saved = tmp_path / "run.npz"
    fit_augmented(X, labels, epochs=1, dropout=0.3, checkpoint_every=1, checkpoint_path=saved)
    resumed = fastgd.Network([784, 16, 10], seed=9, init="scaled")
    again = fastgd.Trainer(
        resumed, eta=0.5, mini_batch_size=10, epochs=3, seed=4, verbose=0, cost="cross_entropy",
        augment="affine", dropout=0.3,
    ).fit(X, labels, test_data=(X, labels), resume=saved)  # fmt: skip
    assert same_bits(base, resumed) and again.test_cost == history.test_cost
    # Without augmentation, another run.
    plain = fastgd.Network([784, 16, 10], seed=2, init="scaled")
    fastgd.Trainer(
        plain, eta=0.5, mini_batch_size=10, epochs=3, seed=4, verbose=0, cost="cross_entropy",
        dropout=0.3,
    ).fit(X, labels)  # fmt: skip
    assert not same_bits(base, plain)


@pytest.mark.parametrize("path", ["small", "blas"])
def test_memory_does_not_grow_with_the_epochs(monkeypatch, mnist, path):
    """Each chunk's distorted images are made and dropped: with chunks of one length, four
    epochs take no more memory at their peak than one."""
    import tracemalloc

    monkeypatch.setattr(chunks, "CHUNK_SAMPLES", 1000)
    monkeypatch.setattr(chunks, "FIRST_CHUNK_SAMPLES", 1000)
    monkeypatch.setattr(chunks, "CHUNK_SECONDS", 1e9)
    (X, labels), _ = mnist[:2]
    X, labels = X[:3000], labels[:3000]
    peaks = []
    with policy.overrides(training_path=path):
        for epochs in (1, 4):
            tracemalloc.start()
            fit_augmented(X, labels, epochs=epochs)
            peaks.append(tracemalloc.get_traced_memory()[1])
            tracemalloc.stop()
    assert peaks[1] < 1.1 * peaks[0], peaks


def test_augmented_training_learns(mnist):
    (X, labels), (test_X, test_y) = mnist[:2]
    net, history = fit_augmented(X[:10000], labels[:10000], epochs=3)
    assert net.evaluate(test_X, test_y) / len(test_y) > 0.88


@pytest.mark.parametrize(
    ("augment", "sizes", "match"),
    [
        ("wobbly", [784, 10], "augment must be Distortions"),
        ({"rotate": 5}, [784, 10], "unexpected keyword argument 'rotate'"),
        (Distortions(rotation=5), [100, 10], None),
        (Distortions(rotation=5), [99, 10], "not a square image"),
        (Distortions(shape=(9, 11)), [100, 10], r"shape \(9, 11\) holds 99 pixels"),
        ("rotation=x", [784, 10], "'rotation=x' is not field=number"),
    ],
)
def test_bad_distortions_are_refused_by_name(augment, sizes, match):
    def make():
        return fastgd.Trainer(
            fastgd.Network(sizes), eta=1.0, mini_batch_size=1, epochs=1, augment=augment
        )

    if match is None:
        assert make().augment["rotation"] == 5.0
        return
    with pytest.raises(ValueError, match=match):
        make()


@pytest.mark.parametrize(
    ("fields", "match"),
    [
        (dict(scale=1.0), "scale must be below 1"),
        (dict(sigma=0.0), "sigma must be above 0"),
        (dict(shift=-1), "shift must be a finite number >= 0"),
        (dict(rotation=float("inf")), "rotation must be a finite number"),
        (dict(rotation=200), "at most 180"),
        (dict(shear="0.1"), "shear must be a number"),
    ],
)
def test_bad_fields_are_refused(fields, match):
    with pytest.raises((TypeError, ValueError), match=match):
        Distortions(**fields)


def test_augment_from_the_command_line(tmp_path, mnist_dir):
    out = run_fastgd(
        "train", "--data", str(mnist_dir), "--epochs", "1", "--train-size", "2000",
        "--augment", "rotation=5,shift=1", "--cost", "cross_entropy", "--eta", "0.5",
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    bad = run_fastgd("train", "--data", str(mnist_dir), "--augment", "twist")
    assert bad.returncode == 2 and "augment must be Distortions" in bad.stderr


def test_extreme_distortions_give_blank_or_moved_images_not_crashes(digits):
    """An attacker's sizes: shifts, shears and fields that throw every pixel far outside the
    image (where a conversion to integer would overflow), within the allowed 1e6."""
    X = digits[:20]
    for fields in (
        dict(rotation=0, scale=0, shear=0, shift=1e6),
        dict(rotation=180, scale=0.99, shear=1e6, shift=0),
        dict(rotation=0, scale=0, shear=0, shift=0, alpha=1e6, sigma=28.0),
    ):
        out = core_distort(X, range(20), 3, **fields)
        assert out.shape == X.shape
    far = core_distort(X, range(20), 3, rotation=0, scale=0, shear=0, shift=1e6)
    assert np.count_nonzero(far) < np.count_nonzero(X)
    with pytest.raises(ValueError, match="at most the image's side"):
        core_distort(X, range(20), 3, rotation=0, scale=0, shear=0, shift=0, alpha=1, sigma=1e9)
    with pytest.raises(ValueError, match=r"smooths over more than the image's side \(28"):
        fastgd.Trainer(
            fastgd.Network([784, 10]), eta=1.0, mini_batch_size=1, epochs=1,
            augment=Distortions(elastic=1.0, sigma=100.0),
        )  # fmt: skip
    with pytest.raises(ValueError, match="at most 1e6"):
        Distortions(shift=1e300)
