"""Neurons: the activation a = f(z) of a layer's weighted inputs z, one small object each.

Training needs two things of an activation: f itself, applied to each layer's z, and its
derivative f'(z), which backpropagation multiplies each hidden layer's delta by. Every activation
here gives f'(z) from its output a = f(z), so nothing but the activations is kept::

    sigmoid   a = 1 / (1 + e^-z)                 f'(z) = a (1 - a)         the book's neuron
    tanh      a = tanh z                         f'(z) = 1 - a^2           the book's chapter 3
    relu      a = max(z, 0)                      f'(z) = 1 if a > 0 else 0  rectified linear
    softmax   a_j = e^(z_j) / sum_k e^(z_k)      (an output layer's)       rows of probabilities

A network's hidden layers take any of the first three (Network(sizes, activation=...)); its
output layer is the one its cost pairs with (fastgd.costs): sigmoid for the quadratic and
cross-entropy costs, softmax for the log-likelihood, whose output delta is then a - y.

Every part of fastgd reads an activation from ACTIVATIONS by its name: ``Network``, the compiled
core (which looks up its kernels of the same name in csrc/activations.c), the NumPy reference.
Adding an activation touches this file and that one: its kernels and table row there, here an
Activation with that name, its NumPy ``forward`` and ``prime`` and an entry in ACTIVATIONS. The
tests then check it as they check these: the core against the reference on every path, kernel
set, dtype and thread count, and the gradients against central differences.
"""

from __future__ import annotations

import numpy as np

from ._validation import check_registered


class Activation:
    """A neuron's activation: its name, its NumPy forward, its derivative from its output."""

    name: str
    label: str
    hidden = True  # whether a hidden layer may have it (softmax is an output layer's only)

    def forward(self, Z: np.ndarray) -> np.ndarray:
        """f(Z) for rows of weighted inputs Z (a new array)."""
        raise NotImplementedError

    def prime(self, A: np.ndarray) -> np.ndarray:
        """f'(z) at the z whose activations are A = f(z)."""
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"<fastgd activation {self.name!r}>"


class Sigmoid(Activation):
    name = "sigmoid"
    label = "sigmoid"

    def forward(self, Z: np.ndarray) -> np.ndarray:
        # (Imported here: scipy.special costs an import of fastgd more than all the rest.)
        from scipy.special import expit

        return expit(Z)

    def prime(self, A: np.ndarray) -> np.ndarray:
        return A * (1 - A)


class Tanh(Activation):
    """tanh z = 2 sigma(2z) - 1, a sigmoid stretched to (-1, 1)."""

    name = "tanh"
    label = "tanh"

    def forward(self, Z: np.ndarray) -> np.ndarray:
        return np.tanh(Z)

    def prime(self, A: np.ndarray) -> np.ndarray:
        return 1 - A * A


class ReLU(Activation):
    name = "relu"
    label = "rectified linear"

    def forward(self, Z: np.ndarray) -> np.ndarray:
        return np.maximum(Z, 0)

    def prime(self, A: np.ndarray) -> np.ndarray:
        return (A > 0).astype(A.dtype)


class Softmax(Activation):
    """e^(z_j) / sum_k e^(z_k) over each row, computed as e^(z_j - max z) / sum: nothing
    overflows however large z is, and each row sums to 1."""

    name = "softmax"
    label = "softmax"
    hidden = False

    def forward(self, Z: np.ndarray) -> np.ndarray:
        E = np.exp(Z - Z.max(axis=-1, keepdims=True))
        return E / E.sum(axis=-1, keepdims=True)

    def prime(self, A: np.ndarray) -> np.ndarray:
        raise TypeError("softmax is an output layer's: its cost gives the output delta")


ACTIVATIONS = {a.name: a for a in (Sigmoid(), Tanh(), ReLU(), Softmax())}
HIDDEN = tuple(name for name, a in ACTIVATIONS.items() if a.hidden)
OUTPUTS = ("sigmoid", "softmax")


def get(activation: str | Activation, name: str = "activation") -> Activation:
    """The Activation of ACTIVATIONS called activation; ValueError listing the names."""
    return check_registered(activation, ACTIVATIONS, name)


def hidden_layers(activation: object, n_hidden: int) -> list[str]:
    """The names of the n_hidden hidden layers' activations from Network's activation argument:
    one name for all, or a sequence of one per hidden layer. ValueError or TypeError naming
    what is wrong."""
    if isinstance(activation, (str, Activation)):
        names = [activation] * n_hidden
    else:
        try:
            names = list(activation)  # type: ignore[call-overload]
        except TypeError:
            raise TypeError(
                f"activation must be a name such as 'relu', or a list of one name per hidden "
                f"layer, got {activation!r}"
            ) from None
        if len(names) != n_hidden:
            raise ValueError(
                f"activation lists {len(names)} names for a network of {n_hidden} hidden "
                f"layers; give one name, or one per hidden layer"
            )
    result = []
    for i, name in enumerate(names):
        label = "activation" if isinstance(activation, (str, Activation)) else f"activation[{i}]"
        if isinstance(name, str) and name in ACTIVATIONS and not ACTIVATIONS[name].hidden:
            raise ValueError(
                f"{label} {name!r} is an output layer's (the log-likelihood cost's, "
                f"Network(..., output='softmax')); a hidden layer takes one of {list(HIDDEN)}"
            )
        result.append(check_registered(name, {k: ACTIVATIONS[k] for k in HIDDEN}, label).name)
    return result
