"""IDX files: a 4-byte magic number (two zero bytes, a type code, the number of dimensions), one
big-endian uint32 per dimension, then the data in C order; unsigned bytes only (MNIST's). The
files may be gzip-compressed. Every header is checked against the file before anything of its
size is allocated, and the data is read in chunks straight into the result.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import zlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .._validation import check_dtype

if TYPE_CHECKING:
    from .._typing import PathLike

Pair = tuple[np.ndarray, np.ndarray]

# Deflate expands at most about 1032-fold: a header that declares more data than that from a
# compressed file of a given size is a lie, refused before anything is allocated.
_MAX_DEFLATE_RATIO = 1032


GZIP_MAGIC = b"\x1f\x8b"
IDX_UBYTE = 0x08


def images_dtype_of(dtype: Any) -> tuple[np.dtype, int | None]:
    """The dtype images are returned in, and the scale to divide pixels by: uint8 as stored
    (None), or float32 or float64 scaled to [0, 1] (255)."""
    try:
        if np.dtype(dtype) == np.uint8:
            return np.dtype(np.uint8), None
        return check_dtype(dtype), 255
    except TypeError:
        raise TypeError(
            f"dtype must be 'uint8' (the pixels as stored), 'float32' or 'float64', got {dtype!r}"
        ) from None


def _open(path: Path) -> Any:
    """path opened for binary reading, through gzip when its first bytes say so."""
    with open(path, "rb") as f:
        head = f.read(2)
    return gzip.open(path, "rb") if head == GZIP_MAGIC else open(path, "rb")


def _read_exactly(f: Any, n: int, source: str, what: str) -> bytes:
    data = f.read(n)
    if len(data) != n:
        raise ValueError(f"{source}: truncated: the file ends inside {what}")
    return data


def read_idx(
    f: Any,
    source: str = "<stream>",
    *,
    dtype: Any = np.uint8,
    scale: float | None = None,
    sha256: str | None = None,
    max_items: int | None = None,
    shape: tuple[int, ...] | None = None,
) -> np.ndarray:
    """An unsigned-byte IDX file read from the binary stream f, its dimensions checked.

    The data is read in chunks straight into the result, converted to dtype (and divided by
    scale) on the way, so no copy of the whole file is ever held. A header that declares more
    than max_items values, or a shape other than shape when it is given, is refused before the
    result is allocated. With sha256, the digest of all the bytes read must match. Raises
    ValueError for anything malformed.
    """
    digest = hashlib.sha256()
    magic = _read_exactly(f, 4, source, "the IDX header")
    if magic[0] != 0 or magic[1] != 0:
        raise ValueError(
            f"{source}: not an IDX file (the magic number must start with two zero "
            f"bytes, got {magic.hex()})"
        )
    if magic[2] != IDX_UBYTE:
        raise ValueError(
            f"{source}: IDX type code 0x{magic[2]:02x}, only unsigned bytes (0x08) are supported"
        )
    ndim = magic[3]
    if ndim == 0:
        raise ValueError(f"{source}: IDX header declares 0 dimensions")
    dims = _read_exactly(f, 4 * ndim, source, f"the {ndim} dimensions of the IDX header")
    digest.update(magic + dims)
    declared = tuple(int.from_bytes(dims[4 * i : 4 * i + 4], "big") for i in range(ndim))
    if shape is not None and declared != tuple(shape):
        raise ValueError(
            f"{source}: IDX header declares shape {declared}; the file of this name has "
            f"shape {tuple(shape)}: the file is not it (pass verify=False for another data "
            f"set in MNIST's format)"
        )
    shape = declared
    count = int(np.prod(shape, dtype=object))
    if max_items is not None and count > max_items:
        raise ValueError(
            f"{source}: IDX header declares shape {shape}, {count} values, more "
            f"than the file can hold ({max_items} at most)"
        )
    out = np.empty(count, dtype=dtype)
    chunk = bytearray(1 << 20)
    done = 0
    while done < count:
        n = f.readinto(memoryview(chunk)[: min(len(chunk), count - done)])
        if not n:
            raise ValueError(
                f"{source}: IDX header declares shape {shape}, which needs "
                f"{4 + 4 * ndim + count} bytes, but the file has "
                f"{4 + 4 * ndim + done}"
            )
        digest.update(memoryview(chunk)[:n])
        part = out[done : done + n]
        part[...] = np.frombuffer(chunk, dtype=np.uint8, count=n)
        if scale is not None:
            part /= scale
        done += n
    extra = len(f.read(1 << 16))
    if extra:
        raise ValueError(
            f"{source}: IDX header declares shape {shape}, which needs "
            f"{4 + 4 * ndim + count} bytes, but the file has more"
        )
    if sha256 is not None and digest.hexdigest() != sha256:
        raise ValueError(
            f"{source}: SHA-256 of the decompressed bytes is {digest.hexdigest()}, "
            f"the canonical MNIST file has {sha256}; the file is corrupt or not "
            f"MNIST (pass verify=False for an MNIST-format data set)"
        )
    return out.reshape(shape)


def parse_idx(data: bytes, source: str = "<bytes>") -> np.ndarray:
    """An unsigned-byte IDX file's content (bytes) as an ndarray of uint8."""
    return read_idx(io.BytesIO(data), source)


def load_file(
    path: Path,
    *,
    sha256: str | None = None,
    dtype: Any = np.uint8,
    scale: float | None = None,
    shape: tuple[int, ...] | None = None,
) -> np.ndarray:
    """read_idx on a file, gzip-compressed or not; a damaged gzip stream is a ValueError, a
    missing file a FileNotFoundError naming it."""
    compressed = False
    try:
        with _open(path) as f:
            compressed = isinstance(f, gzip.GzipFile)
            size = os.path.getsize(path)
            limit = size * _MAX_DEFLATE_RATIO if compressed else size
            return read_idx(
                f, str(path), dtype=dtype, scale=scale, sha256=sha256, max_items=limit, shape=shape
            )
    except (FileNotFoundError, IsADirectoryError, PermissionError):
        raise
    except (OSError, EOFError, zlib.error) as exc:
        kind = "a gzip file" if compressed else "an IDX file"
        raise ValueError(f"{path}: cannot be read as {kind} ({exc})") from exc


def load_idx(images_path: PathLike, labels_path: PathLike, *, dtype: str = "float64") -> Pair:
    """An IDX image/label pair of any image size, as (X, y).

    X has one flattened image per row, pixel values scaled to [0, 1] in dtype (or as stored, with
    dtype="uint8"); y holds the labels as uint8. Both files may be gzip-compressed. Malformed
    files (bad magic number, dimensions that do not match the file's size, a label count other
    than the image count) raise ValueError. For Fashion-MNIST and other sets in MNIST's format
    and file names, load_mnist(path, verify=False) does the same for all four files.
    """
    image_dtype, scale = images_dtype_of(dtype)
    X = load_file(Path(images_path), dtype=image_dtype, scale=scale)
    y = load_file(Path(labels_path))
    if X.ndim < 2:
        raise ValueError(
            f"{images_path}: an image file needs at least 2 dimensions (count, "
            f"pixels...), its header declares shape {X.shape}"
        )
    if y.ndim != 1:
        raise ValueError(
            f"{labels_path}: a label file has 1 dimension, its header declares shape {y.shape}"
        )
    if len(X) != len(y):
        raise ValueError(
            f"{images_path} holds {len(X)} images but {labels_path} holds {len(y)} labels"
        )
    return as_rows(X), y


def as_rows(images: np.ndarray) -> np.ndarray:
    """Images (n, ...) as rows of pixels (n, pixels), also for n = 0."""
    return images.reshape(len(images), int(np.prod(images.shape[1:])))


def idx_bytes(shape: tuple[int, ...]) -> int:
    """The size of an unsigned-byte IDX file of shape."""
    return 4 + 4 * len(shape) + int(np.prod(shape))
