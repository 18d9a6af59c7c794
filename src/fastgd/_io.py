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


def read_npz(path):
    """The arrays of an .npz file as a dict, read with allow_pickle=False.

    A missing file raises FileNotFoundError; a truncated or foreign one ValueError naming it.
    """
    try:
        with np.load(path, allow_pickle=False) as data:
            if not isinstance(data, np.lib.npyio.NpzFile):
                raise ValueError("it holds a single array, not an .npz archive")
            return {key: data[key] for key in data.files}
    except FileNotFoundError:
        raise
    except (ValueError, OSError, zipfile.BadZipFile, EOFError, KeyError) as exc:
        raise ValueError(f"{path} cannot be read as a fastgd file: {exc}") from exc
