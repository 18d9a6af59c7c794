"""MNIST in its original IDX files: found, checked against the canonical digests, and loaded.

IDX: a 4-byte magic number (two zero bytes, a type code, the number of dimensions), one big-endian
uint32 per dimension, then the data in C order. MNIST's images are uint8 of shape (n, 28, 28) and
its labels uint8 of shape (n,). The files may be gzip-compressed; digests are of the decompressed
bytes, as published.
"""
import gzip
import hashlib
import os
from pathlib import Path

import numpy as np

MNIST_FILES = {
    "train-images-idx3-ubyte": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
    "train-labels-idx1-ubyte": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
    "t10k-images-idx3-ubyte": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
    "t10k-labels-idx1-ubyte": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
}

_GZIP_MAGIC = b"\x1f\x8b"
_IDX_UBYTE = 0x08


def cache_dir():
    """Where fastgd keeps data it fetched: $XDG_CACHE_HOME/fastgd, else ~/.cache/fastgd."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "fastgd"


def _find(directory, name):
    """The file name or name.gz in directory, or None."""
    for candidate in (directory / name, directory / (name + ".gz")):
        if candidate.is_file():
            return candidate
    return None


def _read_bytes(path):
    """The decompressed content of path, gzip recognised by its magic bytes, not its name."""
    with open(path, "rb") as f:
        head = f.read(2)
    opener = gzip.open if head == _GZIP_MAGIC else open
    try:
        with opener(path, "rb") as f:
            return f.read()
    except (OSError, EOFError) as exc:
        raise ValueError(f"{path}: cannot be read as a gzip file ({exc})") from exc


def parse_idx(data, source="<bytes>"):
    """An unsigned-byte IDX file's content as an ndarray of uint8, its dimensions checked."""
    if len(data) < 4:
        raise ValueError(f"{source}: {len(data)} bytes is too short for an IDX header")
    if data[0] != 0 or data[1] != 0:
        raise ValueError(f"{source}: not an IDX file (the magic number must start with two zero "
                         f"bytes, got {data[:4].hex()})")
    if data[2] != _IDX_UBYTE:
        raise ValueError(f"{source}: IDX type code 0x{data[2]:02x}, only unsigned bytes (0x08) "
                         f"are supported")
    ndim = data[3]
    header = 4 + 4 * ndim
    if ndim == 0 or len(data) < header:
        raise ValueError(f"{source}: IDX header declares {ndim} dimensions but the file has "
                         f"{len(data)} bytes")
    shape = tuple(int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim))
    expected = header + int(np.prod(shape, dtype=object))
    if len(data) != expected:
        raise ValueError(f"{source}: IDX header declares shape {shape}, which needs {expected} "
                         f"bytes, but the file has {len(data)}")
    return np.frombuffer(data, dtype=np.uint8, offset=header).reshape(shape)


def _search_dirs(path):
    dirs = []
    if path is not None:
        dirs.append(("path", Path(path)))
    if os.environ.get("FASTGD_DATA"):
        dirs.append(("$FASTGD_DATA", Path(os.environ["FASTGD_DATA"])))
    dirs.append(("cache", cache_dir()))
    return dirs


def locate_mnist(path=None):
    """The directory holding all four MNIST files: path, then $FASTGD_DATA, then the cache."""
    tried = []
    for origin, directory in _search_dirs(path):
        missing = [name for name in MNIST_FILES if _find(directory, name) is None]
        if not missing:
            return directory
        tried.append(f"  {directory} ({origin}): missing {', '.join(missing)}")
    raise FileNotFoundError(
        "MNIST not found. Looked in:\n" + "\n".join(tried) + "\n"
        "Put the four files train-images-idx3-ubyte, train-labels-idx1-ubyte, "
        "t10k-images-idx3-ubyte and t10k-labels-idx1-ubyte (gzip-compressed or not) in one "
        "directory and pass it as load_mnist(path) or set FASTGD_DATA to it.")


def _load_checked(directory, name, verify):
    path = _find(directory, name)
    data = _read_bytes(path)
    if verify:
        digest = hashlib.sha256(data).hexdigest()
        if digest != MNIST_FILES[name]:
            raise ValueError(f"{path}: SHA-256 of the decompressed bytes is {digest}, the "
                             f"canonical MNIST file has {MNIST_FILES[name]}; the file is corrupt "
                             f"or not MNIST (pass verify=False for an MNIST-format data set)")
    return parse_idx(data, source=str(path))


def load_mnist(path=None, *, dtype="float64", verify=True):
    """MNIST as ((train_X, train_y), (test_X, test_y)).

    X has shape (n, 784), one image per row, with pixel values scaled to [0, 1] in dtype
    ("float64" or "float32"); y holds the digits 0-9 as uint8. 60,000 training and 10,000 test
    samples. The files are looked for in path, then in $FASTGD_DATA, then in the cache directory
    (see cache_dir); with verify, each is checked against the canonical SHA-256 digest.
    """
    dtype = np.dtype(dtype)
    if dtype not in (np.float32, np.float64):
        raise TypeError(f"dtype must be 'float32' or 'float64', got {dtype.name!r}")
    directory = locate_mnist(path)
    pairs = []
    for images, labels in (("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
                           ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")):
        pixels = _load_checked(directory, images, verify)
        y = _load_checked(directory, labels, verify)
        if pixels.ndim != 3 or y.ndim != 1 or len(pixels) != len(y):
            raise ValueError(f"{directory}: {images} of shape {pixels.shape} and {labels} of "
                             f"shape {y.shape} are not a matching image/label pair")
        X = pixels.reshape(len(pixels), -1).astype(dtype)
        X /= 255
        pairs.append((X, y.copy()))
    return tuple(pairs)
