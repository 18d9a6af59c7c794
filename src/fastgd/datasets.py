"""MNIST in its original IDX files: found, checked against the canonical digests, and loaded.

IDX: a 4-byte magic number (two zero bytes, a type code, the number of dimensions), one big-endian
uint32 per dimension, then the data in C order. MNIST's images are uint8 of shape (n, 28, 28) and
its labels uint8 of shape (n,). The files may be gzip-compressed; digests are of the decompressed
bytes, as published.
"""
import gzip
import hashlib
import io
import os
import zlib
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


def _open(path):
    """path opened for binary reading, through gzip when its first bytes say so."""
    with open(path, "rb") as f:
        head = f.read(2)
    return gzip.open(path, "rb") if head == _GZIP_MAGIC else open(path, "rb")


def _read_exactly(f, n, source, what):
    data = f.read(n)
    if len(data) != n:
        raise ValueError(f"{source}: truncated: the file ends inside {what}")
    return data


def read_idx(f, source="<stream>", *, dtype=np.uint8, scale=None, sha256=None):
    """An unsigned-byte IDX file read from the binary stream f, its dimensions checked.

    The data is read in chunks straight into the result, converted to dtype (and divided by
    scale) on the way, so no copy of the whole file is ever held. With sha256, the digest of all
    the bytes read must match. Raises ValueError for anything malformed.
    """
    digest = hashlib.sha256()
    magic = _read_exactly(f, 4, source, "the IDX header")
    if magic[0] != 0 or magic[1] != 0:
        raise ValueError(f"{source}: not an IDX file (the magic number must start with two zero "
                         f"bytes, got {magic.hex()})")
    if magic[2] != _IDX_UBYTE:
        raise ValueError(f"{source}: IDX type code 0x{magic[2]:02x}, only unsigned bytes (0x08) "
                         f"are supported")
    ndim = magic[3]
    if ndim == 0:
        raise ValueError(f"{source}: IDX header declares 0 dimensions")
    dims = _read_exactly(f, 4 * ndim, source, f"the {ndim} dimensions of the IDX header")
    digest.update(magic + dims)
    shape = tuple(int.from_bytes(dims[4 * i:4 * i + 4], "big") for i in range(ndim))
    count = int(np.prod(shape, dtype=object))
    out = np.empty(count, dtype=dtype)
    chunk = bytearray(1 << 20)
    done = 0
    while done < count:
        n = f.readinto(memoryview(chunk)[:min(len(chunk), count - done)])
        if not n:
            raise ValueError(f"{source}: IDX header declares shape {shape}, which needs "
                             f"{4 + 4 * ndim + count} bytes, but the file has "
                             f"{4 + 4 * ndim + done}")
        digest.update(memoryview(chunk)[:n])
        part = out[done:done + n]
        part[...] = np.frombuffer(chunk, dtype=np.uint8, count=n)
        if scale is not None:
            part /= scale
        done += n
    extra = len(f.read(1 << 16))
    if extra:
        raise ValueError(f"{source}: IDX header declares shape {shape}, which needs "
                         f"{4 + 4 * ndim + count} bytes, but the file has more")
    if sha256 is not None and digest.hexdigest() != sha256:
        raise ValueError(f"{source}: SHA-256 of the decompressed bytes is {digest.hexdigest()}, "
                         f"the canonical MNIST file has {sha256}; the file is corrupt or not "
                         f"MNIST (pass verify=False for an MNIST-format data set)")
    return out.reshape(shape)


def parse_idx(data, source="<bytes>"):
    """An unsigned-byte IDX file's content (bytes) as an ndarray of uint8."""
    return read_idx(io.BytesIO(data), source)


def _load(path, name, verify, dtype=np.uint8, scale=None):
    """read_idx on a file, gzip-compressed or not; a damaged gzip stream is a ValueError."""
    try:
        with _open(path) as f:
            return read_idx(f, str(path), dtype=dtype, scale=scale,
                            sha256=MNIST_FILES[name] if verify else None)
    except (OSError, EOFError, zlib.error) as exc:
        raise ValueError(f"{path}: cannot be read as a gzip file ({exc})") from exc


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
        X = _load(_find(directory, images), images, verify, dtype=dtype, scale=255)
        y = _load(_find(directory, labels), labels, verify)
        if X.ndim != 3 or y.ndim != 1 or len(X) != len(y):
            raise ValueError(f"{directory}: {images} of shape {X.shape} and {labels} of "
                             f"shape {y.shape} are not a matching image/label pair")
        pairs.append((X.reshape(len(X), -1), y))
    return tuple(pairs)
