"""More training data from the data you have (the book's chapter 3, "Expanding the training
data"): every image shifted by one pixel in each of four directions, as the book's
expand_mnist.py does, which turns MNIST's 50,000 training images into 250,000
(expand_shifts); and images distorted afresh every epoch while training, by affine moves and
elastic fields (Distortions, Trainer(augment=...))."""

from __future__ import annotations

from dataclasses import asdict, dataclass
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

    The images of the book's expand_mnist.py (which rolls each image and zeroes the row or
    column that wrapped around: these shifts), in its order. Train on the result as on any
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
    check_fits(6 * X.nbytes + 5 * y.nbytes, f"the expanded set of {5 * len(X)} images")
    out = np.empty((5 * len(X), h * w), dtype=X.dtype)
    out[0::5] = X  # each image, then its four shifts
    for k, (rows, cols) in enumerate(SHIFTS, start=1):
        out[k::5] = shift(X, rows, cols, shape)
    return out, np.repeat(y, 5, axis=0)


@dataclass(frozen=True)
class Distortions:
    """Images distorted afresh every epoch while training: Trainer(augment=Distortions(...)).

    Each training sample of each epoch is moved by its own random affine map (a rotation of up
    to rotation degrees, a zoom of up to 1 +- scale, a shear of up to shear, a shift of up to
    shift pixels each way) and, with elastic > 0, Simard et al.'s elastic distortion (a random
    field of displacements in [-1, 1] smoothed by a Gaussian of sigma pixels, times elastic),
    read back by bilinear interpolation (csrc/distort.h). The distorted images are made per
    chunk of mini-batches on the core's threads and never kept: memory does not grow with the
    epochs. What each sample becomes is a function of the run's seed, the epoch and the
    sample's row, so a run is the same bits on any thread count, any chunking and after a
    resume. Evaluation and test data are never distorted.

    shape is the images' (height, width); None: square images (784 inputs: 28 x 28).
    """

    rotation: float = 10.0
    scale: float = 0.1
    shear: float = 0.1
    shift: float = 2.0
    elastic: float = 0.0
    sigma: float = 4.0
    shape: tuple[int, int] | None = None

    def __post_init__(self) -> None:
        for name in ("rotation", "scale", "shear", "shift", "elastic", "sigma"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(
                value, (int, float, np.integer, np.floating)
            ):
                raise TypeError(f"Distortions' {name} must be a number, got {value!r}")
            if not np.isfinite(value) or value < 0 or value > 1e6:
                raise ValueError(
                    f"Distortions' {name} must be a finite number >= 0 (at most 1e6), got {value}"
                )
            object.__setattr__(self, name, float(value))
        if self.scale >= 1:
            raise ValueError(
                f"Distortions' scale must be below 1 (a zoom above 0), got {self.scale}"
            )
        if self.sigma <= 0:
            raise ValueError(f"Distortions' sigma must be above 0, got {self.sigma}")
        if self.rotation > 180:
            raise ValueError(
                f"Distortions' rotation is in degrees, at most 180, got {self.rotation}"
            )
        if self.shape is not None:
            shape = tuple(self.shape)
            if len(shape) != 2 or not all(
                isinstance(s, (int, np.integer)) and s >= 1 for s in shape
            ):
                raise ValueError(f"Distortions' shape must be (height, width), got {self.shape!r}")
            object.__setattr__(self, "shape", (int(shape[0]), int(shape[1])))

    def image_shape(self, n_inputs: int) -> tuple[int, int]:
        """(height, width) of the images of n_inputs pixels, or ValueError."""
        if self.shape is not None:
            if self.shape[0] * self.shape[1] != n_inputs:
                raise ValueError(
                    f"Distortions' shape {self.shape} holds {self.shape[0] * self.shape[1]} "
                    f"pixels, and the network has {n_inputs} inputs"
                )
            shape = self.shape
        else:
            side = int(round(n_inputs**0.5))
            if side * side != n_inputs:
                raise ValueError(
                    f"the network's {n_inputs} inputs are not a square image: give Distortions "
                    f"the shape (height, width)"
                )
            shape = (side, side)
        if self.sigma > max(shape):
            raise ValueError(
                f"Distortions' sigma ({self.sigma}) smooths over more than the image's side "
                f"({max(shape)} pixels): at most {max(shape)}"
            )
        return shape

    def apply(self, X: np.ndarray, rows: np.ndarray, key: int, n_threads: int = 1) -> np.ndarray:
        """The images X[rows] (C-contiguous, uint8 or float), each distorted as the draws of
        key give it for its row (csrc/distort.h), on n_threads of the core's threads."""
        from .core import _distort

        h, w = self.image_shape(X.shape[1])
        out = np.empty((len(rows), X.shape[1]), dtype=X.dtype)
        _distort.distort(
            X,
            rows,
            out,
            key,
            h=h,
            w=w,
            rotation=self.rotation,
            scale=self.scale,
            shear=self.shear,
            shift=self.shift,
            alpha=self.elastic,
            sigma=self.sigma,
            n_threads=n_threads,
        )
        return out

    def as_dict(self) -> dict[str, Any]:
        """The settings as plain values (what checkpoints and sweeps record)."""
        values = asdict(self)
        values["shape"] = None if self.shape is None else list(self.shape)
        return values


# Named distortions: the command line's --augment and Trainer(augment="...").
PRESETS = {
    "affine": Distortions(),
    # Simard et al. 2003's elastic field (alpha=34, sigma=4 on 29x29 images), after the moves.
    "elastic": Distortions(elastic=34.0, sigma=4.0),
}


def distortions(value: Any, name: str = "augment") -> Distortions | None:
    """augment's value as Distortions (None: none): Distortions, a dict of its fields, a
    preset's name ("affine", "elastic", "none"), or "field=value,..." as the command line
    writes it."""
    if value is None or value == "none":
        return None
    if isinstance(value, Distortions):
        return value
    if isinstance(value, dict):
        try:
            return Distortions(**value)
        except TypeError as error:
            raise ValueError(f"{name}: {error}") from None
    if isinstance(value, str):
        if value in PRESETS:
            return PRESETS[value]
        if "=" in value:
            fields: dict[str, Any] = {}
            for part in value.split(","):
                key, _, text = part.partition("=")
                try:
                    fields[key.strip()] = float(text)
                except ValueError:
                    raise ValueError(f"{name}: {part!r} is not field=number") from None
            return distortions(fields, name)
    raise ValueError(
        f"{name} must be Distortions(...), a dict of its fields, one of "
        f"{sorted(PRESETS) + ['none']} or 'field=value,...', got {value!r}"
    )
