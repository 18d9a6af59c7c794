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
