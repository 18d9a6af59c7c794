"""Checkpoints of a fit: enough to continue the run later, in another process, bit for bit.

A checkpoint is one .npz file (no pickle), written atomically: the arrays of Network.save, plus
"trainer_state", a JSON string holding

    format        "fastgd-checkpoint"
    version       FORMAT_VERSION
    epochs_done   the epochs trained so far
    settings      the run's settings (Trainer.run_settings): resuming under other settings
                  would not continue the run, and is refused
    rng           the state of the shuffling generator after those epochs
    history       History.to_dict() of those epochs

Checkpoints of fastgd 0.1 hold no cost among their settings: they trained the quadratic cost.
"""
import json
from dataclasses import dataclass

import numpy as np

from ._io import atomic_write, read_npz
from .history import History
from .network import Network

FORMAT = "fastgd-checkpoint"
FORMAT_VERSION = 1
# Settings that checkpoints of earlier versions do not name, with the value they had then.
SETTINGS_BEFORE = {"cost": "quadratic"}


@dataclass
class Checkpoint:
    network: Network
    settings: dict
    rng_state: dict
    epochs_done: int
    history: History


def save(path, network, settings, rng, epochs_done, history):
    """Write a checkpoint of network, settings, rng's state and history to path."""
    state = {"format": FORMAT, "version": FORMAT_VERSION, "epochs_done": epochs_done,
             "settings": settings, "rng": rng.bit_generator.state,
             "history": history.to_dict()}
    arrays = network._arrays()
    arrays["trainer_state"] = np.array(json.dumps(state))
    atomic_write(path, lambda f: np.savez(f, **arrays))


def load(path):
    """The Checkpoint at path; ValueError naming the file when it is not one or is damaged."""
    arrays = read_npz(path)
    if "trainer_state" not in arrays:
        raise ValueError(f"{path} is not a fastgd checkpoint (no trainer state); a saved "
                         f"network is loaded with fastgd.Network.load")
    try:
        state = json.loads(str(arrays["trainer_state"]))
        if state.get("format", FORMAT) != FORMAT:
            raise ValueError(f"format {state['format']!r}")
        if int(state.get("version", 1)) > FORMAT_VERSION:
            raise ValueError(f"version {state['version']}, newer than this fastgd reads; "
                             f"upgrade fastgd")
        settings = {**SETTINGS_BEFORE, **state["settings"]}
        epochs_done = int(state["epochs_done"])
        history = History.from_dict(state["history"])
        rng_state = state["rng"]
    except (ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"{path}: the checkpoint's trainer state is damaged ({exc})") from exc
    network = Network._from_arrays(arrays, str(path))
    return Checkpoint(network, settings, rng_state, epochs_done, history)


def check_continues(checkpoint, settings, epochs, path):
    """Raise ValueError unless a run of these settings and epochs continues the checkpoint's."""
    differ = {k: (checkpoint.settings.get(k), v) for k, v in settings.items()
              if checkpoint.settings.get(k) != v}
    if differ:
        detail = ", ".join(f"{k}: checkpoint {a!r}, this trainer {b!r}"
                           for k, (a, b) in differ.items())
        raise ValueError(f"{path} was written by a run with other settings ({detail}); "
                         f"resuming would not continue that run")
    if checkpoint.epochs_done > epochs:
        raise ValueError(f"{path} holds {checkpoint.epochs_done} epochs, more than "
                         f"epochs={epochs}")
