"""Files written whole or not at all, and .npz files read without pickle."""
import os
import tempfile
import zipfile
from pathlib import Path

import numpy as np


def atomic_write(path, write):
    """Call write(file) on a temporary file beside path, then rename it over path.

    A failure at any point (a full disk, a read-only directory, an exception in write) leaves
    the file that was at path untouched and no temporary file behind.
    """
    path = Path(path)
    directory = path.parent if str(path.parent) else Path(".")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def _check_members(path):
    """Read every array header of the archive first: an object dtype (which needs pickle) or a
    declared shape the member's bytes cannot hold is refused before any array is allocated."""
    with zipfile.ZipFile(path) as archive:
        for info in archive.infolist():
            with archive.open(info) as f:
                version = np.lib.format.read_magic(f)
                if version == (1, 0):
                    shape, _, dtype = np.lib.format.read_array_header_1_0(f)
                else:
                    shape, _, dtype = np.lib.format.read_array_header_2_0(f)
                header = f.tell()
            if dtype.hasobject:
                raise ValueError(f"{info.filename} holds Python objects, which only pickle can "
                                 f"load, and fastgd files never use pickle")
            declared = int(np.prod(shape, dtype=object)) * dtype.itemsize
            if declared != info.file_size - header:
                raise ValueError(f"{info.filename} declares shape {shape} of {dtype} "
                                 f"({declared} bytes) but holds {info.file_size - header} bytes")


def read_npz(path):
    """The arrays of an .npz file as a dict, read with allow_pickle=False after checking every
    member's header against its size.

    A missing file raises FileNotFoundError; a truncated, crafted or foreign one ValueError
    naming it.
    """
    try:
        _check_members(path)
        with np.load(path, allow_pickle=False) as data:
            return {key: data[key] for key in data.files}
    except FileNotFoundError:
        raise
    except (ValueError, OSError, zipfile.BadZipFile, EOFError, KeyError) as exc:
        raise ValueError(f"{path} cannot be read as a fastgd file: {exc}") from exc
