"""The network: layers of neurons, sigmoid ones unless told otherwise.

A network with sizes [n_0, n_1, ..., n_L] has L layers of weights: weights[l] has shape
(n_{l+1}, n_l), so that row j holds the weights into neuron j of layer l+1, and biases[l] has shape
(n_{l+1},). A batch of inputs X has one sample per row; its output is
a_{l+1} = f_l(a_l @ weights[l].T + biases[l]), layer after layer, f_l the activation of layer l
(fastgd.activations): the hidden layers' as Network(activation=...) names them, the output
layer's sigmoid, or softmax for the log-likelihood cost (Network(output="softmax")).
"""

from __future__ import annotations

import os
import threading
import weakref
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from . import activations, costs, initializers
from ._validation import (
    check_dtype,
    check_inputs,
    check_int,
    check_targets,
    labels_from,
    nonfinite_error,
)
from .core import _core, machine, policy
from .files import networks
from .files.npz import NpzReader
from .files.writing import atomic_write

if TYPE_CHECKING:
    from ._typing import ArrayLike, PathLike, Seed


class Network:
    """A fully connected network of neurons: sigmoid ones, unless told otherwise.

    Parameters
    ----------
    sizes : sequence of int
        Neurons per layer, input first: ``[784, 30, 10]`` is the book's MNIST network. At least two
        layers, each of at least one neuron.
    seed : int, numpy.random.Generator or None
        Seed of the draw of the initial biases and weights (biases first, as the book draws
        them). The same seed gives the same network in float32 and float64, up to rounding.
    dtype : "float64" (default) or "float32"
        Floating-point type of the parameters, and of the arithmetic when training.
    init : "normal" (default), "scaled" or "he"
        How the weights are drawn (fastgd.initializers): "normal" from N(0, 1), the chapter's;
        "scaled" from N(0, 1/n_in) for a layer of n_in inputs, the book's chapter 3, which keeps
        the hidden neurons out of saturation at the start (biases from N(0, 1) for both); "he"
        from N(0, 2/n_in) with biases 0, for ReLU neurons (He et al. 2015).
    activation : str or sequence of str
        The hidden layers' neurons (fastgd.activations): "sigmoid" (default, the book's),
        "tanh" or "relu"; one name for every hidden layer, or a list of one per hidden layer.
    output : "sigmoid" (default) or "softmax"
        The output layer's activation, which the cost pairs with (fastgd.costs): sigmoid for the
        quadratic and cross-entropy costs, softmax (each row of outputs a probability
        distribution) for the log-likelihood.

    Attributes
    ----------
    weights : list of ndarray, weights[l] of shape (sizes[l+1], sizes[l]), C-contiguous
    biases : list of ndarray, biases[l] of shape (sizes[l+1],)
    init : str, the name of the initialisation the network was drawn with
    activation : list of str, the hidden layers' activations, one per hidden layer
    output : str, the output layer's activation
    """

    def __init__(
        self,
        sizes: Sequence[int],
        *,
        seed: Seed = None,
        dtype: str | np.dtype = "float64",
        init: str = "normal",
        activation: str | Sequence[str] = "sigmoid",
        output: str = "sigmoid",
    ) -> None:
        try:
            sizes = list(sizes)
        except TypeError:
            raise TypeError(
                f"sizes must be a sequence of layer sizes such as [784, 30, 10], got {sizes!r}"
            ) from None
        if len(sizes) < 2:
            raise ValueError(f"sizes needs at least two layers (inputs and outputs), got {sizes}")
        most = networks.MAX_UNITS
        self.sizes = [check_int(s, f"sizes[{i}]", 1, most) for i, s in enumerate(sizes)]
        if len(self.sizes) > networks.MAX_LAYERS:
            raise ValueError(f"sizes holds {len(self.sizes)} layers; at most {networks.MAX_LAYERS}")
        self.dtype = check_dtype(dtype)
        self.activation = activations.hidden_layers(activation, len(self.sizes) - 2)
        self.output = networks.check_output(output)
        drawer = initializers.get(init)
        # Drawn in float64, then cast: both at once at the peak.
        count = networks.parameter_count(self.sizes)
        machine.check_fits(
            count * (8 + self.dtype.itemsize),
            f"a network of sizes {self.sizes} ({count:,} weights and biases, drawn in float64)",
        )
        self.init = drawer.name
        self._init_locks()
        # Drawn in float64 and rounded, so both dtypes start from the same network.
        weights, biases = initializers.draw(drawer, self.sizes, np.random.default_rng(seed))
        self.weights = [w.astype(self.dtype) for w in weights]
        self.biases = [b.astype(self.dtype) for b in biases]

    def _init_locks(self) -> None:
        # _training: held by a fit for its whole run (a second fit of this network is refused);
        # _training_owner: the thread of that fit.
        # _updating: held while the core writes the parameters, a chunk of mini-batches at a
        # time; whatever reads them takes it too, and so sees the network between two chunks.
        self._training = threading.Lock()
        self._training_owner: int | None = None
        self._updating = threading.Lock()
        _LIVE.add(self)

    def __getstate__(self) -> dict[str, Any]:
        # Pickle (and copy.deepcopy) without the locks, taking the parameters between two
        # chunks of a fit in progress, as save does.
        with self._updating:
            state = {k: v for k, v in self.__dict__.items() if k not in _LOCK_ATTRIBUTES}
            state["_weights"] = [w.copy() for w in self._weights]
            state["_biases"] = [b.copy() for b in self._biases]
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        # (Copies: what unpickles may be read-only, as joblib's memory-mapped arrays are.)
        for key in ("_weights", "_biases"):
            state[key] = [np.array(a, order="C", copy=True) for a in state.get(key, ())]
        # (Pickles of fastgd 0.2 name no activations: their neurons were all sigmoid.)
        state.setdefault("activation", ["sigmoid"] * (len(state.get("sizes", [0, 0])) - 2))
        state.setdefault("output", "sigmoid")
        self.__dict__.update(state)
        self._init_locks()
        self.check_parameters()

    @property
    def weights(self) -> list[np.ndarray]:
        """weights[l], of shape (sizes[l+1], sizes[l]): a list of C-contiguous arrays."""
        return self._weights

    @weights.setter
    def weights(self, arrays: Sequence[np.ndarray]) -> None:
        self._weights = _parameter_list(arrays, "weights")

    @property
    def biases(self) -> list[np.ndarray]:
        """biases[l], of shape (sizes[l+1],): a list of arrays."""
        return self._biases

    @biases.setter
    def biases(self, arrays: Sequence[np.ndarray]) -> None:
        self._biases = _parameter_list(arrays, "biases")

    @property
    def num_layers(self) -> int:
        """Number of layers of neurons, the input layer included (as in the book)."""
        return len(self.sizes)

    @property
    def layer_activations(self) -> tuple[str, ...]:
        """Each layer's activation, the hidden layers' then the output's: what the core runs."""
        return (*self.activation, self.output)

    def __repr__(self) -> str:
        extra = ""
        if any(name != "sigmoid" for name in self.activation):
            shown = self.activation[0] if len(set(self.activation)) == 1 else self.activation
            extra += f", activation={shown!r}"
        if self.output != "sigmoid":
            extra += f", output={self.output!r}"
        return f"Network({self.sizes}, dtype={self.dtype.name!r}, init={self.init!r}{extra})"

    def save(self, path: PathLike) -> None:
        """Save sizes, dtype, weights and biases to path as .npz (no pickle), atomically: a
        failure leaves any earlier file at path intact. Network.load reads it back.

        While a fit trains this network in another thread, save waits for the chunk of
        mini-batches in progress and saves the network as it stands between two chunks.
        """
        self.check_parameters()
        with self._updating:
            arrays = {name: np.array(a, copy=True) for name, a in self._arrays().items()}
        # A file that load would refuse is not written.
        networks.check_finite(arrays, f"cannot save to {path}:")
        # (NumPy's stubs read a keyword "allow_pickle" into **arrays; none of ours is called so.)
        atomic_write(path, lambda f: np.savez(f, **arrays))  # type: ignore[arg-type]

    def _arrays(self) -> dict[str, np.ndarray]:
        """The members of this network's file (fastgd.files.networks), its own arrays."""
        return networks.to_arrays(self._saved())

    def _saved(self) -> networks.SavedNetwork:
        return networks.SavedNetwork(
            self.sizes,
            self.dtype,
            self.init,
            self.activation,
            self.output,
            self.weights,
            self.biases,
        )

    @classmethod
    def load(cls, path: PathLike) -> Network:
        """A Network saved with save() (or a checkpoint of Trainer). Read without pickle, each
        array checked before it is inflated; a truncated, foreign, crafted or inconsistent file,
        or one holding NaN or infinite parameters, raises ValueError naming it."""
        with NpzReader(path) as npz:
            return cls._from_saved(networks.read(npz, networks.CHECKPOINT_MEMBERS))

    @classmethod
    def _from_saved(cls, saved: networks.SavedNetwork) -> Network:
        """The Network of a file's contents (checked by networks.read)."""
        net = cls.__new__(cls)
        net._init_locks()
        net.sizes, net.dtype, net.init = saved.sizes, saved.dtype, saved.init
        net.activation, net.output = saved.activation, saved.output
        net.weights, net.biases = saved.weights, saved.biases
        return net

    def _parameters(self) -> list[np.ndarray]:
        """Copies of the weights and biases, weights first (for _set_parameters)."""
        with self._updating:
            return [a.copy() for a in self.weights + self.biases]

    def _set_parameters(self, arrays: Sequence[np.ndarray]) -> None:
        """Write arrays, as _parameters returns them, into the network's own arrays in place;
        each must have the shape and dtype of the array it replaces (no broadcast, no cast)."""
        current = self.weights + self.biases
        if len(arrays) != len(current) or any(
            a.shape != c.shape or a.dtype != c.dtype for a, c in zip(arrays, current)
        ):
            raise ValueError(
                f"parameters of shapes {[a.shape for a in arrays]} do not fit a "
                f"network of sizes {self.sizes} and dtype {self.dtype.name}"
            )
        with self._updating:
            for c, a in zip(current, arrays):
                c[...] = a

    def check_parameters(self) -> None:
        """Raise if weights or biases no longer fit sizes and dtype (e.g. after being replaced).

        The compiled core updates the arrays in place, so they must be writeable, C-contiguous
        and of the network's dtype.
        """
        if len(self.weights) != len(self.sizes) - 1 or len(self.biases) != len(self.sizes) - 1:
            raise ValueError(
                f"the network of sizes {self.sizes} needs {len(self.sizes) - 1} "
                f"weight matrices and bias vectors, it has {len(self.weights)} and "
                f"{len(self.biases)}"
            )
        for l, (n_in, n_out) in enumerate(zip(self.sizes[:-1], self.sizes[1:])):
            for name, arr, shape in (
                ("weights", self.weights[l], (n_out, n_in)),
                ("biases", self.biases[l], (n_out,)),
            ):
                if not isinstance(arr, np.ndarray) or arr.shape != shape or arr.dtype != self.dtype:
                    got = (
                        f"{type(arr).__name__} of shape {getattr(arr, 'shape', None)} and "
                        f"dtype {getattr(arr, 'dtype', None)}"
                    )
                    raise ValueError(
                        f"{name}[{l}] must be an ndarray of shape {shape} and dtype "
                        f"{self.dtype.name}, got {got}"
                    )
                if not arr.flags.c_contiguous or not arr.flags.writeable:
                    raise ValueError(
                        f"{name}[{l}] must be C-contiguous and writeable; "
                        f"use np.ascontiguousarray(...).copy()"
                    )

    def _forward(
        self, X: np.ndarray, n_threads: int | None = None, check_finite: bool = False
    ) -> np.ndarray:
        """Output activations of C-contiguous rows X of the network's dtype; with check_finite
        the core checks X for NaN and infinity on the way (a ValueError names the first)."""
        out = np.empty((X.shape[0], self.sizes[-1]), dtype=self.dtype)
        plan = policy.forward_plan(self.sizes, X.shape[0], n_threads)
        # (Waits while a fit in another thread is inside a chunk: see save.)
        with self._updating:
            bad = _core.feedforward(
                self.weights,
                self.biases,
                X,
                out,
                **plan.core_options(),
                check_finite=check_finite,
                activations=self.layer_activations,
            )
        if bad >= 0:
            raise nonfinite_error(X, bad)
        if bad <= -2:
            row = -2 - bad
            largest = float(np.max(np.abs(X[row]))) if X.dtype != np.uint8 else 1.0
            raise ValueError(
                f"the forward pass of sample {row} overflowed: a weighted input of the network "
                f"became infinite or NaN (its inputs reach {largest:g}; the {self.dtype.name} "
                f"range ends at {np.finfo(self.dtype).max:.4g}), so there is no output to give. "
                f"Scale the inputs (the network reads values in [0, 1])"
            )
        return out

    def feedforward(self, X: ArrayLike) -> np.ndarray:
        """Output activations for one sample (n_inputs,) or a batch (n_samples, n_inputs).

        X may be uint8 (pixels as stored), read as x / 255: the result is, bit for bit, that of
        X.astype(dtype) / 255. Float inputs above 1 get a fastgd.InputRangeWarning."""
        return self._feedforward(X, stacklevel=3)

    def _feedforward(self, X: ArrayLike, stacklevel: int) -> np.ndarray:
        self.check_parameters()
        X, was_1d = check_inputs(
            X, self.sizes[0], self.dtype, allow_1d=True, finite=False, stacklevel=stacklevel
        )
        out = self._forward(X, check_finite=True)
        return out[0] if was_1d else out

    def predict(self, X: ArrayLike) -> np.ndarray | int:
        """The index of the most active output neuron, per sample (an int for one sample); X as
        for feedforward."""
        out = self._feedforward(X, stacklevel=3)
        return int(np.argmax(out)) if out.ndim == 1 else np.argmax(out, axis=1)

    def evaluate(self, X: ArrayLike, y: ArrayLike) -> int:
        """The number of samples whose prediction equals the label.

        y holds integer labels (n_samples,) or target vectors (n_samples, sizes[-1]), whose argmax
        is then the label.
        """
        self.check_parameters()
        X, _ = check_inputs(X, self.sizes[0], self.dtype, finite=False)
        labels = labels_from(y, X.shape[0], self.sizes[-1])
        predicted = np.argmax(self._forward(X, check_finite=True), axis=1)
        return int(np.count_nonzero(predicted == labels))

    def cost(self, X: ArrayLike, y: ArrayLike, cost: str | None = None) -> float:
        """The cost C = 1/n sum_x C_x over the n samples, as a float: "quadratic",
        1/(2n) sum_x ||y(x) - a(x)||^2, "cross_entropy" or "log_likelihood" (fastgd.costs),
        one that pairs with the network's output layer. None (default): the quadratic cost for
        sigmoid outputs, the log-likelihood for softmax ones."""
        the_cost = costs.get(cost if cost is not None else PAIRED_COST[self.output])
        check_pairing(the_cost, self.output, "cost")
        self.check_parameters()
        X, _ = check_inputs(X, self.sizes[0], self.dtype)
        Y = check_targets(y, X.shape[0], self.sizes[-1], self.dtype)
        the_cost.check_targets(Y, "y")
        return the_cost.value(self._forward(X, check_finite=True), Y)


# ---- fork -----------------------------------------------------------------------------------
# A process forked while another thread trains a network gets a copy of that network with its
# locks as they were, held, and no thread to release them: predict, save or pickle in the child
# would wait forever. So a fork waits for every network to be between two chunks (it takes each
# one's _updating, as a reader does: at most one chunk's wait) and the child gets the network as
# it stood there, unlocked; a fit's _training lock is dropped in the child unless the fit is the
# forking thread's own (a callback that forks: its fit goes on in the child).
_LIVE: weakref.WeakSet[Network] = weakref.WeakSet()
_LOCK_ATTRIBUTES = ("_training", "_updating", "_training_owner")
_held_for_fork: list[Network] = []


def _before_fork() -> None:
    for net in list(_LIVE):
        net._updating.acquire()
        _held_for_fork.append(net)


def _after_fork_in_parent() -> None:
    while _held_for_fork:
        _held_for_fork.pop()._updating.release()


def _after_fork_in_child() -> None:
    _after_fork_in_parent()
    me = threading.get_ident()
    for net in list(_LIVE):
        if net._training.locked() and net._training_owner != me:
            net._training = threading.Lock()
            net._training_owner = None


if hasattr(os, "register_at_fork"):
    os.register_at_fork(
        before=_before_fork,
        after_in_parent=_after_fork_in_parent,
        after_in_child=_after_fork_in_child,
    )


# The cost a network's output layer pairs with when none is named (Network.cost).
PAIRED_COST = {"sigmoid": "quadratic", "softmax": "log_likelihood"}


def check_pairing(cost: costs.Cost, output: str, what: str) -> None:
    """ValueError unless cost pairs with an output layer of activation output, saying how to
    build the network that does."""
    if cost.output != output:
        raise ValueError(
            f"{what}={cost.name!r} pairs with a {cost.output} output layer, and the network's "
            f"output layer is {output}: build the network with "
            f"Network(sizes, output={cost.output!r}), or use "
            f"{' or '.join(repr(c.name) for c in costs.COSTS.values() if c.output == output)}"
        )


def _parameter_list(arrays: Sequence[np.ndarray], name: str) -> list[np.ndarray]:
    """weights or biases as the list the network keeps (a tuple or other sequence becomes one;
    check_parameters checks the arrays)."""
    if isinstance(arrays, list):
        return arrays
    try:
        return list(arrays)
    except TypeError:
        raise TypeError(
            f"{name} must be a list of arrays, one per layer, got {type(arrays).__name__}"
        ) from None
