"""MNIST and other data sets in its format: found or downloaded, checked, and loaded.

MNIST's images are uint8 of shape (n, 28, 28) and its labels uint8 of shape (n,), in IDX files
(fastgd.files.idx), perhaps gzip-compressed; its digests are of the decompressed bytes, as
published, and its shapes are known, so that a file of its name that declares another is refused
from its header alone.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import pickle
import sys
import tempfile
import zlib
from pathlib import Path
from typing import IO, TYPE_CHECKING, cast

import numpy as np

from .._validation import check_dtype
from .idx import (
    GZIP_MAGIC,
    IDX_UBYTE,
    Pair,
    as_rows,
    idx_bytes,
    images_dtype_of,
    load_file,
)

if TYPE_CHECKING:
    from .._typing import PathLike


MNIST_FILES = {
    "train-images-idx3-ubyte": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
    "train-labels-idx1-ubyte": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
    "t10k-images-idx3-ubyte": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
    "t10k-labels-idx1-ubyte": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
}

# The shapes of those files, which their headers must declare before anything is read: a file
# of MNIST's name that declares more is refused from its first bytes.
MNIST_SHAPES = {
    "train-images-idx3-ubyte": (60000, 28, 28),
    "train-labels-idx1-ubyte": (60000,),
    "t10k-images-idx3-ubyte": (10000, 28, 28),
    "t10k-labels-idx1-ubyte": (10000,),
}

# Where the gzip-compressed files are published, tried in order: the mirrors torchvision and
# TensorFlow use, then the original host (often down).
MIRRORS = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
    "http://yann.lecun.com/exdb/mnist/",
)


class DownloadError(OSError):
    """Every mirror failed for a file; the message names the file, each URL and its error."""


def cache_dir(directory: PathLike | None = None) -> Path:
    """Where fastgd keeps the data it downloads: directory if given, else $FASTGD_CACHE_DIR,
    else $XDG_CACHE_HOME/fastgd, else ~/.cache/fastgd."""
    if directory is not None:
        return Path(directory)
    if os.environ.get("FASTGD_CACHE_DIR"):
        return Path(os.environ["FASTGD_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "fastgd"


def _find(directory: Path, name: str) -> Path | None:
    """The file name or name.gz in directory, or None."""
    for candidate in (directory / name, directory / (name + ".gz")):
        if candidate.is_file():
            return candidate
    return None


def _verified_images(
    path: Path, name: str, dtype: np.dtype, scale: float | None, cache: PathLike | None
) -> np.ndarray:
    """MNIST's images file at path, checked against its canonical digest. A gzip file is
    decompressed once: its verified bytes are kept in cache_dir(cache)/decoded (written
    atomically, the digest in the name) and read from there next time, checked again (reading
    and hashing 47 MB takes a few hundredths of a second, decompressing them a few tenths). A
    damaged or unreadable copy is dropped and decoded anew; a cache that cannot be written is
    not used."""
    digest, shape = MNIST_FILES[name], MNIST_SHAPES[name]
    with open(path, "rb") as f:
        compressed = f.read(2) == GZIP_MAGIC
    if not compressed:
        return load_file(path, sha256=digest, dtype=dtype, scale=scale, shape=shape)
    decoded = cache_dir(cache) / "decoded" / f"{name}-{digest[:16]}"
    pixels = None
    if decoded.is_file():
        try:
            pixels = load_file(decoded, sha256=digest, shape=shape)
        except (ValueError, OSError):
            try:
                decoded.unlink()
            except OSError:
                pass
    if pixels is None:
        pixels = load_file(path, sha256=digest, shape=shape)
        _keep_decoded(decoded, pixels)
    if scale is None:
        return pixels
    X = pixels.astype(dtype)
    X /= scale  # (what read_idx does: the same bits)
    return X


def _keep_decoded(path: Path, pixels: np.ndarray) -> None:
    """Write pixels as an IDX file at path, best effort."""
    from .writing import atomic_write

    header = bytes([0, 0, IDX_UBYTE, pixels.ndim]) + b"".join(
        int(n).to_bytes(4, "big") for n in pixels.shape
    )
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, lambda f: (f.write(header), f.write(np.ascontiguousarray(pixels).data)))
    except (OSError, ValueError):  # (ValueError: something other than a file is in the way)
        pass


def _search_dirs(cache: Path) -> list[tuple[str, Path]]:
    dirs = []
    if os.environ.get("FASTGD_DATA"):
        dirs.append(("$FASTGD_DATA", Path(os.environ["FASTGD_DATA"])))
    dirs.append(("cache", cache))
    return dirs


def _present(directory: Path, name: str) -> Path:
    """The file name or name.gz in directory, which locate_mnist found there."""
    found = _find(directory, name)
    if found is None:
        raise FileNotFoundError(f"MNIST's {name} is no longer in {directory}")
    return found


def _missing(directory: Path) -> list[str]:
    return [name for name in MNIST_FILES if _find(directory, name) is None]


_WHERE = (
    "Put the four files train-images-idx3-ubyte, train-labels-idx1-ubyte, "
    "t10k-images-idx3-ubyte and t10k-labels-idx1-ubyte (gzip-compressed or not) in one "
    "directory and name it (load_mnist(path), or fastgd's --data) or set FASTGD_DATA to "
    "it, or allow a download (load_mnist's download=True, fastgd without --no-download)."
)


def locate_mnist(path: PathLike | None = None, cache: PathLike | None = None) -> Path:
    """The directory holding all four MNIST files: path alone when given (a typo must not
    load other data), else $FASTGD_DATA, then the cache."""
    if path is not None:
        directory = Path(path)
        if not directory.is_dir():
            raise FileNotFoundError(
                f"MNIST not found: {directory} is not a directory (a path "
                f"given is the only place looked in)"
            )
        missing = _missing(directory)
        if missing:
            raise FileNotFoundError(
                f"MNIST not found in {directory}: missing "
                f"{', '.join(missing)} (a path given is the only place "
                f"looked in)"
            )
        return directory
    tried = []
    for origin, directory in _search_dirs(cache_dir(cache)):
        missing = _missing(directory)
        if not missing:
            return directory
        tried.append(f"  {directory} ({origin}): missing {', '.join(missing)}")
    raise FileNotFoundError("MNIST not found. Looked in:\n" + "\n".join(tried) + "\n" + _WHERE)


class _Progress:
    """A one-line progress report of a download on a terminal; silent otherwise."""

    def __init__(self, name: str, total: int | None, stream: IO[str] | None = None) -> None:
        self.name, self.total = name, total
        self.stream = stream if stream is not None else sys.stderr
        self.active = hasattr(self.stream, "isatty") and self.stream.isatty()

    def update(self, done: int) -> None:
        if self.active:
            of = f" of {self.total / 1e6:.1f} MB ({done / self.total:.0%})" if self.total else ""
            self.stream.write(f"\rdownloading {self.name}: {done / 1e6:.1f} MB{of}")
            self.stream.flush()

    def close(self) -> None:
        if self.active:
            self.stream.write("\n")


def _sha256_of_gzip(path: PathLike, most: int) -> str:
    """The SHA-256 of the decompressed bytes, of which there may be most (a mirror serving
    more is refused once it has given most + 1, however much it would inflate to)."""
    digest = hashlib.sha256()
    done = 0
    with gzip.open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            done += len(block)
            if done > most:
                raise ValueError(f"the file inflates to more than the {most} bytes it holds")
            digest.update(block)
    return digest.hexdigest()


def _download(
    name: str, directory: Path, mirrors: list[str] | tuple[str, ...], timeout: float
) -> None:
    """Fetch name.gz into directory from the first mirror that serves it intact.

    Each attempt streams into a temporary file beside the target, checks the SHA-256 of the
    decompressed bytes, and only then renames it into place: a failed, truncated or wrong
    download leaves nothing behind.
    """
    # (Imported here: only downloads need them, and they cost an import of fastgd 20 ms.)
    import http.client
    import urllib.request

    errors = []
    for mirror in mirrors:
        url = mirror.rstrip("/") + "/" + name + ".gz"
        fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".part", dir=directory)
        try:
            with os.fdopen(fd, "wb") as out, urllib.request.urlopen(url, timeout=timeout) as r:
                length = r.headers.get("Content-Length")
                progress = _Progress(name, int(length) if length and length.isdigit() else None)
                done = 0
                for block in iter(lambda: r.read(1 << 16), b""):
                    out.write(block)
                    done += len(block)
                    progress.update(done)
                progress.close()
                if length and length.isdigit() and done != int(length):
                    raise ValueError(f"got {done} of {length} bytes")
            digest = _sha256_of_gzip(tmp, idx_bytes(MNIST_SHAPES[name]))
            if digest != MNIST_FILES[name]:
                raise ValueError(
                    f"SHA-256 of the decompressed file is {digest}, expected {MNIST_FILES[name]}"
                )
            os.replace(tmp, directory / (name + ".gz"))
            return
        except (OSError, ValueError, EOFError, zlib.error, http.client.HTTPException) as exc:
            errors.append(f"{url}: {type(exc).__name__}: {exc}")
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
    raise DownloadError(
        f"could not download {name}; every mirror failed:\n  "
        + "\n  ".join(errors)
        + "\nWith the files on this machine, name their directory: set FASTGD_DATA to it, or "
        "pass it (load_mnist(path), fastgd's --data)."
    )


def download_mnist(
    cache: PathLike | None = None,
    *,
    mirrors: list[str] | tuple[str, ...] = MIRRORS,
    timeout: float = 30.0,
) -> Path:
    """Download the MNIST files the cache directory lacks (see cache_dir); returns it."""
    directory = cache_dir(cache)
    directory.mkdir(parents=True, exist_ok=True)
    for name in _missing(directory):
        _download(name, directory, mirrors, timeout)
    return directory


def load_mnist(
    path: PathLike | None = None,
    *,
    dtype: str = "float64",
    verify: bool = True,
    download: bool = True,
    mirrors: list[str] | tuple[str, ...] | None = None,
    cache_dir: PathLike | None = None,
    validation_size: int = 0,
    timeout: float = 30.0,
) -> tuple[Pair, ...]:
    """MNIST as ((train_X, train_y), (test_X, test_y)), or with a validation set
    ((train_X, train_y), (validation_X, validation_y), (test_X, test_y)).

    X has shape (n, 784), one image per row, pixel values scaled to [0, 1] in dtype
    ("float64" or "float32"), or with dtype="uint8" as stored, 0..255 (an eighth of float64's
    memory: fit, evaluate, predict and feedforward read them as x / 255, bit for bit as the
    floats); y holds the digits 0-9 as uint8. 60,000 training and 10,000 test samples.

    The files are read from path when it is given, and from nowhere else (a FileNotFoundError
    names what is missing there). Without a path they are looked for in $FASTGD_DATA, then in
    the cache directory ($FASTGD_CACHE_DIR, else $XDG_CACHE_HOME/fastgd or ~/.cache/fastgd;
    cache_dir overrides), and when neither has them and download is true, fetched into the
    cache from mirrors
    (default MIRRORS, tried in order; every request times out after timeout seconds) and
    checked before they are kept; no request is made when the files are present.
    With verify, each file is checked against the canonical SHA-256 digest; verify=False loads
    other data sets in MNIST's format and names, such as Fashion-MNIST.

    validation_size > 0 keeps the last validation_size training images apart, as the book does
    with 10,000 (50,000 remain for training): tune eta on them, keep the test set for the end.
    The three parts are views of one array, no copy.
    """
    image_dtype, scale = images_dtype_of(dtype)
    if (
        isinstance(validation_size, bool)
        or not isinstance(validation_size, (int, np.integer))
        or not 0 <= validation_size < 60000
    ):
        raise ValueError(
            f"validation_size must be an integer in [0, 60000), got {validation_size!r}"
        )
    try:
        directory = locate_mnist(path, cache_dir)
    except FileNotFoundError:
        if not download or path is not None:
            raise
        directory = download_mnist(cache_dir, mirrors=mirrors or MIRRORS, timeout=timeout)
    pairs = []
    for images, labels in (
        ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
        ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
    ):
        if verify:
            X = _verified_images(_present(directory, images), images, image_dtype, scale, cache_dir)
        else:
            X = load_file(_present(directory, images), dtype=image_dtype, scale=scale)
        y = load_file(
            _present(directory, labels),
            sha256=MNIST_FILES[labels] if verify else None,
            shape=MNIST_SHAPES[labels] if verify else None,
        )
        if X.ndim != 3 or y.ndim != 1 or len(X) != len(y):
            raise ValueError(
                f"{directory}: {images} of shape {X.shape} and {labels} of "
                f"shape {y.shape} are not a matching image/label pair"
            )
        pairs.append((as_rows(X), y))
    if not validation_size:
        return tuple(pairs)
    (X, y), test = pairs
    if validation_size >= len(X):
        raise ValueError(f"validation_size={validation_size} leaves no training images of {len(X)}")
    cut = len(X) - validation_size
    return (X[:cut], y[:cut]), (X[cut:], y[cut:]), test


def load_book_pickle(
    path: PathLike, *, allow_pickle: bool = False, dtype: str = "float64"
) -> tuple[Pair, Pair, Pair]:
    """The book's own mnist.pkl.gz: ((train_X, train_y), (validation_X, validation_y),
    (test_X, test_y)) with 50,000, 10,000 and 10,000 images, X scaled to [0, 1] in dtype.

    The file is a Python pickle, and unpickling a file can run arbitrary code: load only a file
    you trust, and say so with allow_pickle=True (the name NumPy uses for the same risk). It is
    read with encoding="latin1", since it was written by Python 2. The IDX files of
    load_mnist carry the same images without that risk.
    """
    if allow_pickle is not True:
        raise ValueError(
            "mnist.pkl.gz is a pickle, and loading a pickle can run arbitrary "
            "code; pass allow_pickle=True if you trust this file, or use "
            "load_mnist(), which reads the IDX files without pickle"
        )
    pixel_dtype = check_dtype(dtype)
    with gzip.open(path, "rb") as f:
        parts = pickle.load(f, encoding="latin1")
    try:
        (train, validation, test) = parts
        result = cast(
            "tuple[Pair, Pair, Pair]",
            tuple(
                (np.ascontiguousarray(X, dtype=pixel_dtype), np.asarray(y).astype(np.uint8))
                for X, y in (train, validation, test)
            ),
        )
    except (TypeError, ValueError) as exc:
        raise ValueError(
            f"{path}: not the book's (training, validation, test) tuple of "
            f"(images, labels) pairs ({exc})"
        ) from exc
    for X, y in result:
        if X.ndim != 2 or y.shape != (len(X),):
            raise ValueError(
                f"{path}: images of shape {X.shape} and labels of shape {y.shape} "
                f"are not a matching pair"
            )
    return result
