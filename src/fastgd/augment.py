"""More training data from the data you have (the book's chapter 3, "Expanding the training
data"): every image shifted by one pixel in each of four directions, as the book's
expand_mnist.py does, which turns MNIST's 50,000 training images into 250,000."""

from __future__ import annotations

from typing import Any

import numpy as np

from .core.machine import check_fits

# The book's four shifts, as (rows, columns): down, up, right, left.
SHIFTS = ((1, 0), (-1, 0), (0, 1), (0, -1))


def shift(images: np.ndarray, rows: int, cols: int, shape: tuple[int, int]) -> np.ndarray:
    """images (n, h*w) moved by rows down and cols right (negative: up, left); what moves in
    from the edge is 0, what moves out is lost."""
    h, w = shape
    grid = images.reshape(len(images), h, w)
    out = np.zeros_like(grid)
    out[:, max(rows, 0) : h + min(rows, 0), max(cols, 0) : w + min(cols, 0)] = grid[
        :, max(-rows, 0) : h + min(-rows, 0), max(-cols, 0) : w + min(-cols, 0)
    ]
    return out.reshape(len(images), h * w)


def expand_shifts(
    X: Any, y: Any, shape: tuple[int, int] = (28, 28)
) -> tuple[np.ndarray, np.ndarray]:
    """The training set with each image's four one-pixel shifts (down, up, right, left) after
    it: 5 n images and their labels (or target rows), of X's dtype (uint8 pixels stay uint8).

    The book's expand_mnist.py, with one difference: the book rolls the image and zeroes the
    row or column that wrapped around, which is the same image. Train on the result as on any
    data; shuffling mixes the shifts of an image among the others.
    """
    X = np.asarray(X)
    y = np.asarray(y)
    h, w = shape
    if X.ndim != 2 or X.shape[1] != h * w:
        raise ValueError(
            f"X must hold one image of {h}x{w} = {h * w} pixels per row, got shape {X.shape}"
        )
    if len(y) != len(X):
        raise ValueError(f"X has {len(X)} images but y has {len(y)} labels")
    check_fits(5 * (X.nbytes + y.nbytes), f"the expanded set of {5 * len(X)} images")
    parts = [X] + [shift(X, rows, cols, shape) for rows, cols in SHIFTS]
    order = np.arange(5 * len(X)).reshape(5, len(X)).T.reshape(-1)  # each image, then its shifts
    return np.concatenate(parts)[order], np.concatenate([y] * 5)[order]
