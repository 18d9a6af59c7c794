"""How the files of this folder were made: with fastgd 0.1.0 (commit a558946) installed,

    python tests/data/make_v0_1_files.py tests/data

wrote network-v0.1.npz (a saved Network) and checkpoint-v0.1.npz (a checkpoint after 2 of 4
epochs). The tests load them with today's fastgd: files of earlier versions must keep loading,
and the checkpoint must resume to exactly the run it came from.
"""

import sys
from pathlib import Path

import numpy as np

import fastgd

SIZES = [6, 4, 3]


def data():
    """The training data of the checkpoint's run (also rebuilt by the tests)."""
    rng = np.random.default_rng(5)
    return rng.random((40, SIZES[0])), rng.integers(0, SIZES[-1], 40)


if __name__ == "__main__":
    out = Path(sys.argv[1])
    fastgd.Network(SIZES, seed=0).save(out / "network-v0.1.npz")
    X, y = data()
    net = fastgd.Network(SIZES, seed=1)
    fastgd.Trainer(
        net,
        eta=2.0,
        mini_batch_size=5,
        epochs=2,
        seed=3,
        verbose=0,
        checkpoint_every=2,
        checkpoint_path=out / "checkpoint-v0.1.npz",
    ).fit(X, y, test_data=(X, y))
