"""The file of a saved network: an .npz of plain arrays, no pickle.

    format      "fastgd-network"
    version     1: fastgd 0.1 and 0.2, sigmoid neurons throughout (still written for such
                networks, so that those versions read them); 2: with the neurons named
    sizes       int64, the units of each layer, inputs first
    dtype       "float64" or "float32"
    init        how the weights were drawn (fastgd.initializers; files of 0.1 have none)
    activation  version 2: the hidden layers' activations, JSON, one per hidden layer
    output      version 2: the output layer's activation
    weights_<l>, biases_<l>   the parameters of layer l, of the shapes the sizes give

Read back, every member is checked before it is inflated (fastgd.files.npz), and the sizes are a
claim: before anything of their size is allocated, the file must hold the bytes they imply and
the machine must have room for them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .. import activations
from .._validation import check_dtype
from ..core import machine
from .npz import NpzReader

FORMAT = "fastgd-network"
FORMAT_VERSION = 2
_META_MEMBERS = ("format", "version", "sizes", "dtype", "init", "activation", "output")
LAYER_MEMBER = re.compile(r"(weights|biases)_(0|[1-9][0-9]{0,3})")
# Bounds that no network of this package comes near, against headers that claim anything.
MAX_LAYERS = 1000
MAX_UNITS = 2**31 - 1  # (the core counts units in a C int)
# What a checkpoint adds to a network's file (fastgd.training.checkpoint): the trainer's state,
# and with momentum the velocities of the weights and biases.


def velocity_names(n_layers: int) -> list[str]:
    """The members of a checkpoint's velocities, the weights' then the biases'."""
    return [f"velocity_weights_{l}" for l in range(n_layers)] + [
        f"velocity_biases_{l}" for l in range(n_layers)
    ]


ALL_VELOCITY_NAMES = frozenset(velocity_names(MAX_LAYERS))
CHECKPOINT_MEMBERS = ("trainer_state", *sorted(ALL_VELOCITY_NAMES))
# How many bytes of parameters a deflated member may stand for, per byte it takes in the file:
# fastgd writes its members uncompressed; float parameters deflate about 1.05x, even half of
# them zero under 2x.
MAX_EXPANSION = 32


@dataclass
class SavedNetwork:
    """What a file holds of a network: its architecture and its parameters."""

    sizes: list[int]
    dtype: np.dtype
    init: str
    activation: list[str]
    output: str
    weights: list[np.ndarray]
    biases: list[np.ndarray]


def parameter_count(sizes: Sequence[int]) -> int:
    """The number of weights and biases of a network of sizes."""
    return sum(n_in * n_out + n_out for n_in, n_out in zip(sizes[:-1], sizes[1:]))


def check_output(output: object) -> str:
    """An output layer's activation: sigmoid or softmax (ValueError otherwise)."""
    if output not in activations.OUTPUTS:
        raise ValueError(f"output must be one of {list(activations.OUTPUTS)}, got {output!r}")
    return str(output)


def check_finite(arrays: dict[str, np.ndarray], context: str) -> None:
    """ValueError naming the first weights_l or biases_l of arrays that holds NaN or infinity,
    and where."""
    for name, array in arrays.items():
        if not LAYER_MEMBER.fullmatch(name):
            continue
        bad = np.flatnonzero(~np.isfinite(array))
        if len(bad):
            index = tuple(int(i) for i in np.unravel_index(bad[0], array.shape))
            raise ValueError(
                f"{context} {name} holds {array[index]} at index {index}; a network's "
                f"parameters are finite numbers (did training diverge?)"
            )


def to_arrays(network: SavedNetwork) -> dict[str, np.ndarray]:
    """The members of the file of network (its own arrays, not copies)."""
    # A network of sigmoid neurons throughout is written as fastgd 0.1 and 0.2 wrote it, so that
    # they read it; any other says which neurons it has, in a version they refuse with "upgrade
    # fastgd" instead of running it with the wrong ones.
    sigmoid = network.output == "sigmoid" and all(a == "sigmoid" for a in network.activation)
    arrays = {
        "format": np.array(FORMAT),
        "version": np.array(1 if sigmoid else FORMAT_VERSION),
        "sizes": np.array(network.sizes, dtype=np.int64),
        "dtype": np.array(network.dtype.name),
        "init": np.array(network.init),
    }
    if not sigmoid:
        arrays["activation"] = np.array(json.dumps(network.activation))
        arrays["output"] = np.array(network.output)
    for l, (w, b) in enumerate(zip(network.weights, network.biases)):
        arrays[f"weights_{l}"] = w
        arrays[f"biases_{l}"] = b
    return arrays


def read(npz: NpzReader, extra_members: Sequence[str] = ()) -> SavedNetwork:
    """The network in an open NpzReader; members other than its own and extra_members are
    refused before any is inflated. ValueError naming the file for anything wrong."""
    source = npz.path
    layers = {name for name in npz.names() if LAYER_MEMBER.fullmatch(name)}
    npz.check_names(set(_META_MEMBERS) | layers | set(extra_members), "a saved network")
    fmt = npz.read_text("format", 64) if "format" in npz.names() else None
    if fmt != FORMAT:
        raise ValueError(f"{source} is not a saved fastgd network (format {fmt!r})")
    version = npz.read_int("version")
    if version > FORMAT_VERSION:
        raise ValueError(
            f"{source} is of format version {version}, newer than this fastgd "
            f"reads ({FORMAT_VERSION}); upgrade fastgd"
        )
    if version < 1:
        raise ValueError(f"{source} is of format version {version}, which does not exist")
    raw_sizes = npz.read("sizes", max_bytes=8 * MAX_LAYERS, kinds="iu")
    if raw_sizes.ndim != 1 or not 2 <= len(raw_sizes) <= MAX_LAYERS:
        raise ValueError(
            f"{source}: sizes {raw_sizes.tolist()} is not a list of 2 to {MAX_LAYERS} layer sizes"
        )
    if raw_sizes.min() < 1 or raw_sizes.max() > MAX_UNITS:
        raise ValueError(
            f"{source}: sizes {raw_sizes.tolist()}: each layer must be of 1 to {MAX_UNITS} units"
        )
    sizes = [int(n) for n in raw_sizes]
    try:
        dtype = check_dtype(npz.read_text("dtype", 16))
    except TypeError as exc:
        raise ValueError(f"{source}: {exc}") from None
    # (Files of fastgd 0.1 have no init: their networks were all drawn from N(0, 1).)
    init = npz.read_text("init", 64) if "init" in npz.names() else "normal"
    # (Nor those of 0.1 and 0.2 activations: their neurons were all sigmoid.)
    try:
        hidden = (
            npz.read_json("activation", 64 * MAX_LAYERS)
            if "activation" in npz.names()
            else "sigmoid"
        )
        activation = activations.hidden_layers(hidden, len(sizes) - 2)
        output = check_output(npz.read_text("output", 64) if "output" in npz.names() else "sigmoid")
    except TypeError as exc:
        raise ValueError(f"{source}: {exc}") from None
    except ValueError as exc:
        if str(exc).startswith(str(source)):
            raise
        raise ValueError(f"{source}: {exc}") from None
    expected = {f"weights_{l}" for l in range(len(sizes) - 1)} | {
        f"biases_{l}" for l in range(len(sizes) - 1)
    }
    if layers - expected:
        raise ValueError(
            f"{source}: {sorted(layers - expected)[0]!r} does not belong in a network of "
            f"sizes {sizes}"
        )
    if expected - layers:
        raise ValueError(
            f"{source}: a network of sizes {sizes} has no {sorted(expected - layers)[0]!r}"
        )
    needed = parameter_count(sizes) * dtype.itemsize
    held = sum(npz.stored_bytes(name) for name in expected)
    if needed > held * MAX_EXPANSION + 4096:
        raise ValueError(
            f"{source}: sizes {sizes} in {dtype.name} need {needed:,} bytes of weights and "
            f"biases, but the file holds {held:,} bytes of them: a crafted or damaged file"
        )
    machine.check_fits(needed, f"{source}: a network of sizes {sizes}")
    weights: list[np.ndarray] = []
    biases: list[np.ndarray] = []
    for l, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        for name, shape, arrays in (
            (f"weights_{l}", (n_out, n_in), weights),
            (f"biases_{l}", (n_out,), biases),
        ):
            array = npz.read(
                name, shape=shape, dtype=dtype, max_bytes=int(np.prod(shape)) * dtype.itemsize
            )
            check_finite({name: array}, f"{source}:")
            arrays.append(array)
    return SavedNetwork(sizes, dtype, init, activation, output, weights, biases)
