import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[1]
DEFAULT_MNIST = REPO.parent / "shared" / "data" / "mnist"


def run_fastgd(*args, env=None, timeout=300):
    """`python -m fastgd ARGS...` in a subprocess, as a user runs it: its CompletedProcess."""
    return subprocess.run(
        [sys.executable, "-m", "fastgd", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
    )


@pytest.fixture(scope="session", autouse=True)
def own_cache_dir(tmp_path_factory):
    """The tests' own fastgd cache (load_mnist keeps decoded images there), not the user's: set
    for the session and for the subprocesses it starts."""
    previous = os.environ.get("FASTGD_CACHE_DIR")
    os.environ["FASTGD_CACHE_DIR"] = str(tmp_path_factory.mktemp("fastgd-cache"))
    yield
    if previous is None:
        del os.environ["FASTGD_CACHE_DIR"]
    else:
        os.environ["FASTGD_CACHE_DIR"] = previous


@pytest.fixture(scope="session")
def mnist_dir():
    """The real MNIST files: $FASTGD_DATA, else ../shared/data/mnist beside the repository.

    Missing files skip the test on a developer's machine but fail it in CI, where the end-to-end
    run must happen.
    """
    # Absolute: a relative $FASTGD_DATA (the README says ../shared/data/mnist) must still name
    # the files from a test's temporary directory, as a symbolic link's target does not.
    directory = Path(os.environ.get("FASTGD_DATA") or DEFAULT_MNIST).resolve()
    if (
        not (directory / "train-images-idx3-ubyte.gz").exists()
        and not (directory / "train-images-idx3-ubyte").exists()
    ):
        message = f"MNIST files not found in {directory} (set FASTGD_DATA)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return directory


@pytest.fixture(scope="session")
def mnist(mnist_dir):
    import fastgd

    return fastgd.load_mnist(mnist_dir)


def make_data(n, sizes, dtype=np.float64, seed=0):
    """Small synthetic inputs in [0, 1) and one-hot targets for a network of sizes."""
    rng = np.random.default_rng(seed)
    X = rng.random((n, sizes[0])).astype(dtype)
    labels = rng.integers(0, sizes[-1], n)
    Y = np.eye(sizes[-1], dtype=dtype)[labels]
    return X, labels, Y


def copy_params(net):
    return [w.copy() for w in net.weights], [b.copy() for b in net.biases]


@pytest.fixture(scope="module")
def dask_client():
    """A real distributed.LocalCluster: two worker processes of one thread each."""
    try:
        distributed = pytest.importorskip("distributed")
    except pytest.skip.Exception:
        if os.environ.get("CI"):
            pytest.fail("distributed is not installed: CI installs the test extra, which has it")
        raise
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        yield client
