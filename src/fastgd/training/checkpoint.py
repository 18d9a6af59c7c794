"""Checkpoints of a fit: enough to continue the run later, in another process, bit for bit.

A checkpoint is one .npz file (no pickle), written atomically: the arrays of Network.save, plus
"trainer_state", a JSON string holding

    format        "fastgd-checkpoint"
    version       FORMAT_VERSION
    epochs_done   the epochs trained so far
    settings      the run's settings (those fastgd.training.settings marks as its identity):
                  resuming under other settings would not continue the run, and is refused
    rng           the state of the shuffling generator after those epochs
    history       History.to_dict() of those epochs

and, for a run with momentum, the velocities of its weights and biases, arrays
"velocity_weights_<l>" and "velocity_biases_<l>" of the network's shapes and dtype.

Checkpoints of fastgd 0.1 hold no cost among their settings: they trained the quadratic cost;
nor those of 0.2 the update rule's: no penalty, no momentum (fastgd.training.settings' `before`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeGuard

import numpy as np

from ..files import networks
from ..files.networks import (
    ALL_VELOCITY_NAMES,
    CHECKPOINT_MEMBERS,
    MAX_EXPANSION,
    check_finite,
    velocity_names,
)
from ..files.npz import NpzReader
from ..files.writing import atomic_write
from ..history import History
from ..network import Network
from .settings import defaults_before

if TYPE_CHECKING:
    from .._typing import PathLike

FORMAT = "fastgd-checkpoint"
FORMAT_VERSION = 1
# A trainer state is a few kilobytes per hundred epochs; more is not a checkpoint of ours.
MAX_STATE_CHARS = 1 << 24


@dataclass
class Checkpoint:
    network: Network
    settings: dict[str, Any]
    rng_state: dict[str, Any]
    epochs_done: int
    history: History
    velocities: list[np.ndarray] | None = None  # with momentum: weights' then biases'


def save(
    path: PathLike,
    network: Network,
    settings: dict[str, Any],
    rng: np.random.Generator,
    epochs_done: int,
    history: History,
    velocities: list[np.ndarray] | None = None,
) -> None:
    """Write a checkpoint of network, settings, rng's state, history and (with momentum) the
    velocities to path."""
    state = {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "epochs_done": epochs_done,
        "settings": settings,
        "rng": rng.bit_generator.state,
        "history": history.to_dict(),
    }
    arrays = network._arrays()
    check_finite(arrays, f"cannot write the checkpoint {path}:")
    if velocities is not None:
        arrays.update(zip(velocity_names(len(network.sizes) - 1), velocities))
    arrays["trainer_state"] = np.array(json.dumps(state))
    # (NumPy's stubs read a keyword "allow_pickle" into **arrays; none of ours is called so.)
    atomic_write(path, lambda f: np.savez(f, **arrays))  # type: ignore[arg-type]


def load(path: PathLike) -> Checkpoint:
    """The Checkpoint at path, every part of it checked (nothing is applied to any network
    here); ValueError naming the file when it is not one, or is damaged or crafted."""
    with NpzReader(path) as npz:
        if "trainer_state" not in npz.names():
            raise ValueError(
                f"{path} is not a fastgd checkpoint (no trainer state); a saved "
                f"network is loaded with fastgd.Network.load"
            )
        network = Network._from_saved(networks.read(npz, CHECKPOINT_MEMBERS))
        velocities = _read_velocities(npz, network, path)
        state = npz.read_json("trainer_state", MAX_STATE_CHARS)

    def damaged(what: str) -> ValueError:
        return ValueError(f"{path}: the checkpoint's trainer state is damaged ({what})")

    if not isinstance(state, dict):
        raise damaged("not a JSON object")
    if state.get("format") != FORMAT:
        raise damaged(f"format {state.get('format')!r}")
    version = state.get("version")
    if not _is_int(version) or version < 1:
        raise damaged(f"version {version!r}")
    if version > FORMAT_VERSION:
        raise ValueError(
            f"{path} is a checkpoint of version {version}, newer than this fastgd "
            f"reads ({FORMAT_VERSION}); upgrade fastgd"
        )
    epochs_done = state.get("epochs_done")
    if not _is_int(epochs_done) or epochs_done < 0:
        raise damaged(f"epochs_done {epochs_done!r}")
    settings = state.get("settings")
    if not isinstance(settings, dict):
        raise damaged(f"settings {settings!r}")
    rng_state = state.get("rng")
    if not _is_pcg64_state(rng_state):
        raise damaged(f"the shuffling generator's state {str(rng_state)[:120]}")
    try:
        np.random.default_rng().bit_generator.state = rng_state
    except (ValueError, TypeError, KeyError, OverflowError) as exc:
        raise damaged(f"the shuffling generator's state: {exc}") from None
    # (Settings that checkpoints of earlier versions do not name, with the value they had then.)
    settings = {**defaults_before(), **settings}
    try:
        history = History.from_untrusted(state.get("history"), epochs_done)
    except ValueError as exc:
        raise damaged(str(exc)) from None
    if history.cost != settings["cost"]:
        raise damaged(f"a history of the {history.cost!r} cost in a run of {settings['cost']!r}")
    momentum = settings.get("momentum")
    if (velocities is not None) != (isinstance(momentum, (int, float)) and momentum > 0):
        raise damaged(
            f"a run of momentum {momentum!r} with{'' if velocities is not None else 'out'} "
            f"velocities"
        )
    return Checkpoint(network, settings, rng_state, epochs_done, history, velocities)


def _read_velocities(npz: NpzReader, network: Network, path: PathLike) -> list[np.ndarray] | None:
    """The velocities in a checkpoint (None when it has none): all of them or none, each of its
    parameter's shape and dtype, finite, and no more bytes than the file holds."""
    present = npz.names() & ALL_VELOCITY_NAMES
    if not present:
        return None
    names = velocity_names(len(network.sizes) - 1)
    if present != set(names):
        missing = sorted(set(names) - present) or sorted(present - set(names))
        raise ValueError(f"{path}: the velocities of its momentum are incomplete ({missing[0]!r})")
    parameters = network.weights + network.biases
    needed = sum(p.nbytes for p in parameters)
    held = sum(npz.stored_bytes(name) for name in names)
    if needed > held * MAX_EXPANSION + 4096:
        raise ValueError(
            f"{path}: velocities of {needed:,} bytes, but the file holds {held:,} bytes of them"
        )
    velocities = []
    for name, parameter in zip(names, parameters):
        array = npz.read(
            name, shape=parameter.shape, dtype=parameter.dtype, max_bytes=parameter.nbytes
        )
        check_finite({name.removeprefix("velocity_"): array}, f"{path}: velocity")
        velocities.append(array)
    return velocities


def _is_int(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_pcg64_state(state: object) -> TypeGuard[dict[str, Any]]:
    """Whether state is what numpy's PCG64 (default_rng's generator) writes, to the types: a
    generator would take False for 0, and so continue another run."""
    return (
        isinstance(state, dict)
        and set(state) == {"bit_generator", "state", "has_uint32", "uinteger"}
        and state["bit_generator"] == "PCG64"
        and isinstance(state["state"], dict)
        and set(state["state"]) == {"state", "inc"}
        and all(_is_int(v) and 0 <= v < 2**128 for v in state["state"].values())
        and state["has_uint32"] in (0, 1)
        and _is_int(state["has_uint32"])
        and _is_int(state["uinteger"])
        and 0 <= state["uinteger"] < 2**32
    )


def _same(a: object, b: object) -> bool:
    """Equal as settings: a bool only equals a bool (True == 1 in Python), numbers by value
    (a checkpoint of fastgd 0.1 may hold eta=3 where a trainer now holds 3.0), lists element
    by element."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    return type(a) is type(b) and a == b


def check_continues(
    checkpoint: Checkpoint, network: Network, settings: dict[str, Any], epochs: int, path: PathLike
) -> None:
    """Raise ValueError unless a run of network, settings and epochs continues the
    checkpoint's."""
    saved = checkpoint.network
    if saved.sizes != network.sizes or saved.dtype != network.dtype:
        raise ValueError(
            f"{path} holds a network of sizes {saved.sizes} and dtype "
            f"{saved.dtype.name}; this trainer's is of sizes {network.sizes} and "
            f"dtype {network.dtype.name}"
        )
    if saved.layer_activations != network.layer_activations:
        raise ValueError(
            f"{path} holds a network whose layers' activations are "
            f"{list(saved.layer_activations)}; this trainer's network has "
            f"{list(network.layer_activations)}"
        )
    differ = {
        k: (checkpoint.settings.get(k), v)
        for k, v in settings.items()
        if not _same(checkpoint.settings.get(k), v)
    }
    if differ:
        detail = ", ".join(
            f"{k}: checkpoint {a!r}, this trainer {b!r}" for k, (a, b) in differ.items()
        )
        raise ValueError(
            f"{path} was written by a run with other settings ({detail}); "
            f"resuming would not continue that run"
        )
    if checkpoint.epochs_done > epochs:
        raise ValueError(f"{path} holds {checkpoint.epochs_done} epochs, more than epochs={epochs}")
