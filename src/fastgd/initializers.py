"""How a new Network draws its weights, one small object each.

Every initialisation draws the biases first, layer by layer (the book's from N(0, 1)), then the
weights layer by layer, all from one numpy.random.Generator, in float64 (rounded afterwards to
the network's dtype, so both dtypes start from the same network). They differ in the weights'
spread, and so in the spread of a neuron's weighted input z = w . x + b, of variance
var(b) + var(w) ||x||^2::

    normal   W_l[j, k] ~ N(0, 1)          the chapter's; on an MNIST image ||x||^2 is about
                                          90, so z spreads over +-10 and many neurons start
                                          saturated, learning slowly
    scaled   W_l[j, k] ~ N(0, 1 / n_in)   the book's chapter 3: z of order 1
    he       W_l[j, k] ~ N(0, 2 / n_in),  He et al. (2015), for ReLU neurons: a ReLU passes
             b = 0                        half of z's variance on, which the 2 makes up, and
                                          biases of N(0, 1) would switch off (or on) a neuron
                                          for most inputs from the start

Adding an initialisation: a subclass of Init here with a name and ``weights`` (and ``biases``
when not the book's), and an entry in INITS; ``Network(init=...)`` and the command line's
``--init`` read INITS.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ._validation import check_registered


class Init:
    """An initialisation: its name and how it draws one layer's weights."""

    name: str

    def weights(self, rng: np.random.Generator, n_out: int, n_in: int) -> np.ndarray:
        """A float64 array (n_out, n_in) of weights from rng."""
        raise NotImplementedError

    def biases(self, rng: np.random.Generator, n_out: int) -> np.ndarray:
        """A float64 array (n_out,) of biases from rng: N(0, 1), the book's."""
        return rng.standard_normal(n_out)

    def __repr__(self) -> str:
        return f"<fastgd init {self.name!r}>"


class NormalInit(Init):
    """Weights from N(0, 1), as the chapter's network.py draws them."""

    name = "normal"

    def weights(self, rng: np.random.Generator, n_out: int, n_in: int) -> np.ndarray:
        return rng.standard_normal((n_out, n_in))


class ScaledInit(Init):
    """Weights from N(0, 1/n_in): the same draws as "normal", divided by sqrt(n_in)."""

    name = "scaled"

    def weights(self, rng: np.random.Generator, n_out: int, n_in: int) -> np.ndarray:
        return rng.standard_normal((n_out, n_in)) / np.sqrt(n_in)


class HeInit(Init):
    """Weights from N(0, 2/n_in) and biases 0 (He et al. 2015): for ReLU neurons."""

    name = "he"

    def weights(self, rng: np.random.Generator, n_out: int, n_in: int) -> np.ndarray:
        return rng.standard_normal((n_out, n_in)) * np.sqrt(2.0 / n_in)

    def biases(self, rng: np.random.Generator, n_out: int) -> np.ndarray:
        return np.zeros(n_out)


INITS = {init.name: init for init in (NormalInit(), ScaledInit(), HeInit())}


def get(init: str | Init, name: str = "init") -> Init:
    """The Init of INITS called init (an Init of INITS passes through); ValueError listing the
    names."""
    return check_registered(init, INITS, name)


def draw(
    init: Init, sizes: Sequence[int], rng: np.random.Generator
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Biases and weights (float64 lists) of a network of sizes, drawn from rng by init."""
    biases = [init.biases(rng, n) for n in sizes[1:]]
    weights = [init.weights(rng, n_out, n_in) for n_in, n_out in zip(sizes[:-1], sizes[1:])]
    return weights, biases
