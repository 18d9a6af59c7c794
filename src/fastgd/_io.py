"""Files written whole or not at all, and .npz files read member by member without pickle."""

import errno
import json
import os
import secrets
import stat
import zipfile
import zlib
from pathlib import Path

import numpy as np

# Deflate expands at most about 1032-fold: a member that declares more bytes than its compressed
# size can give is a lie, refused before anything is inflated.
MAX_DEFLATE_RATIO = 1032


# ---- writing ------------------------------------------------------------------------------------


def _kind(mode):
    """What a file of this st_mode is, in words, when it is not a regular file (else None)."""
    for test, kind in (
        (stat.S_ISDIR, "a directory"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISFIFO, "a FIFO (named pipe)"),
        (stat.S_ISSOCK, "a socket"),
    ):
        if test(mode):
            return kind
    return None if stat.S_ISREG(mode) else "not a regular file"


def _refuse_special(path, target, what):
    """Raise unless target (path with its links followed) is absent or a regular file: saving
    renames a new file over it, which would replace a device, a FIFO or a socket by a regular
    file (as root, --save /dev/null would replace the system's)."""
    try:
        mode = os.stat(target).st_mode
    except FileNotFoundError:
        return
    kind = _kind(mode)
    named = f"{what} {path}" if what else f"{path}"
    if kind == "a directory":
        raise IsADirectoryError(
            errno.EISDIR, f"{named} is a directory; name a file in it", str(path)
        )
    if kind is not None:
        if str(target) != os.path.abspath(path):
            named += f" (a link to {target})"
        raise ValueError(
            f"{named} is {kind}, not a regular file; fastgd writes only regular files (it "
            f"would replace this one): name a new file or a regular one"
        )


def check_destination(path, what="the file"):
    """Check, before any long work, that a file can be written at path: absent or a regular
    file (not a directory, device, FIFO or socket, links followed), in a directory that exists
    and may be written in. Errors name path (and what it is for)."""
    if os.fspath(path) == "":  # (Path("") would be ".")
        raise ValueError(f"{what}: an empty file name")
    path = Path(path)
    target = Path(os.path.realpath(path))
    _refuse_special(path, target, what)
    directory = target.parent
    if not directory.is_dir():
        raise FileNotFoundError(
            errno.ENOENT, f"{what} {path}: the directory {directory} does not exist", str(path)
        )
    if not os.access(directory, os.W_OK | os.X_OK):
        raise PermissionError(
            errno.EACCES,
            f"{what} {path}: the directory {directory} may not be written in",
            str(path),
        )
    return path


def _open_temporary(directory, name, mode):
    """A new file beside the target, opened for writing: (fd, path). The mode goes through the
    umask, as for any new file."""
    for _ in range(100):
        tmp = directory / f".{name}.{secrets.token_hex(6)}.tmp"
        try:
            return os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode), tmp
        except FileExistsError:
            continue
    raise FileExistsError(errno.EEXIST, "no free temporary file name", str(directory))


def atomic_write(path, write):
    """Call write(file) on a temporary file beside path's target, then rename it over the target.

    As numpy.savez writing in place would: a link is followed and its target written; a new
    file gets the mode the umask gives (0644 under the usual 022), an existing one keeps its
    mode. The target must be absent or a regular file (a device, FIFO, socket or directory is
    refused, by name, before anything is written). Unlike writing in place, a failure at any
    point (a full disk, a read-only directory, an exception in write) leaves the file that was
    there untouched and no temporary file behind. Errors name path, not the temporary file.
    """
    path = Path(path)
    target = Path(os.path.realpath(path))
    _refuse_special(path, target, "")
    try:
        existing = stat.S_IMODE(os.stat(target).st_mode)
    except FileNotFoundError:
        existing = None
    try:
        fd, tmp = _open_temporary(target.parent, target.name, 0o666)
    except OSError as exc:
        raise OSError(exc.errno, f"cannot write {path}: {exc.strerror}", str(path)) from None
    try:
        if existing is not None:
            os.chmod(fd, existing)
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except BaseException:
        os.unlink(tmp)
        raise


# ---- reading ------------------------------------------------------------------------------------


class NpzReader:
    """An .npz file read one member at a time, each checked before it is inflated.

    Opening reads the zip's directory alone. check_names refuses members that do not belong.
    read() reads a member's .npy header first and refuses a dtype that needs pickle, a shape or
    dtype other than the caller expects, and more bytes than the caller allows or the member's
    compressed size can hold; then it inflates exactly the declared bytes, and refuses a member
    holding more. Every failure of a damaged, crafted or foreign file is a ValueError naming it.
    """

    def __init__(self, path):
        self.path = path
        try:
            self.archive = zipfile.ZipFile(path)
        except (FileNotFoundError, IsADirectoryError, PermissionError):
            raise
        except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError) as exc:
            # (NotImplementedError: a "version needed to extract" that zipfile does not know.)
            raise ValueError(f"{path} cannot be read as a fastgd file: {exc}") from None
        self.members = {
            info.filename[:-4]: info
            for info in self.archive.infolist()
            if info.filename.endswith(".npy")
        }
        others = [
            info.filename for info in self.archive.infolist() if not info.filename.endswith(".npy")
        ]
        if others:
            self.close()
            raise ValueError(
                f"{path} holds {others[0]!r}, which is not an array: not a fastgd file"
            )

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        self.archive.close()

    def names(self):
        return set(self.members)

    def stored_bytes(self, name):
        """The bytes member name takes in the file (compressed, if it is)."""
        return self.members[name].compress_size

    def check_names(self, allowed, what):
        """Refuse members not in allowed (a set of names), before any is inflated."""
        unknown = sorted(self.names() - set(allowed))
        if unknown:
            raise ValueError(
                f"{self.path} holds {unknown[0]!r}, which does not belong in {what}"
                f"{f' (and {len(unknown) - 1} more)' if len(unknown) > 1 else ''}"
            )

    def read(self, name, *, max_bytes, shape=None, kinds="biuf", dtype=None):
        """Member name as an array: of the given shape (None: any) and dtype (None: any of
        kinds, numpy's dtype kind letters), of at most max_bytes bytes."""
        info = self.members.get(name)
        if info is None:
            raise ValueError(f"{self.path} is not a complete fastgd file: no {name!r} in it")
        where = f"{self.path}: {name}"
        if info.flag_bits & 0x1:
            raise ValueError(f"{where} is encrypted; fastgd files never are")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise ValueError(
                f"{where} is compressed with method {info.compress_type}; fastgd "
                f"files are stored or deflated"
            )
        # From the zip's directory alone, before anything is inflated.
        ratio = MAX_DEFLATE_RATIO if info.compress_type == zipfile.ZIP_DEFLATED else 1
        if info.file_size > info.compress_size * ratio or info.file_size > max_bytes + 4096:
            raise ValueError(
                f"{where} declares {info.file_size} bytes, more than its "
                f"{info.compress_size} compressed bytes can hold"
                if info.file_size > info.compress_size * ratio
                else f"{where} declares {info.file_size} bytes, more than such a file "
                f"holds ({max_bytes})"
            )
        try:
            with self.archive.open(info) as f:
                version = np.lib.format.read_magic(f)
                read_header = (
                    np.lib.format.read_array_header_1_0
                    if version == (1, 0)
                    else np.lib.format.read_array_header_2_0
                )
                declared_shape, fortran, declared_dtype = read_header(f)
                header_bytes = f.tell()
                nbytes = self._check(
                    where,
                    info,
                    declared_shape,
                    declared_dtype,
                    header_bytes,
                    max_bytes,
                    shape,
                    kinds,
                    dtype,
                )
                # Straight into the array, a block at a time: no second copy of the member.
                array = np.empty(
                    declared_shape, dtype=declared_dtype, order="F" if fortran else "C"
                )
                into = memoryview(array.reshape(-1, order="A").view(np.uint8))
                done = 0
                while done < nbytes:
                    block = f.read(min(1 << 20, nbytes - done))
                    if not block:
                        raise ValueError(f"{where} is truncated: {done} of {nbytes} bytes")
                    into[done : done + len(block)] = block
                    done += len(block)
                if f.read(1):
                    raise ValueError(f"{where} holds more bytes than its header declares")
        except (
            zipfile.BadZipFile,
            zlib.error,
            EOFError,
            OSError,
            RuntimeError,
            NotImplementedError,
            SyntaxError,
        ) as exc:
            raise ValueError(f"{where} cannot be read: {exc}") from None
        except ValueError as exc:
            if str(exc).startswith(str(self.path)):
                raise
            raise ValueError(f"{where} cannot be read: {exc}") from None
        return array if array.flags.c_contiguous else np.array(array, order="C")

    def _check(
        self, where, info, shape, dtype, header_bytes, max_bytes, want_shape, kinds, want_dtype
    ):
        if dtype.hasobject:
            raise ValueError(
                f"{where} holds Python objects, which only pickle can load, and "
                f"fastgd files never use pickle"
            )
        if want_dtype is not None and dtype != want_dtype:
            raise ValueError(f"{where} is of dtype {dtype}, expected {np.dtype(want_dtype)}")
        if dtype.kind not in kinds:
            raise ValueError(f"{where} is of dtype {dtype}, not a number")
        if want_shape is not None and tuple(shape) != tuple(want_shape):
            raise ValueError(f"{where} has shape {tuple(shape)}, expected {tuple(want_shape)}")
        nbytes = int(np.prod(shape, dtype=object)) * dtype.itemsize
        if nbytes > max_bytes:
            raise ValueError(
                f"{where} declares shape {tuple(shape)} of {dtype} ({nbytes} "
                f"bytes), more than such a file holds ({max_bytes})"
            )
        if nbytes != info.file_size - header_bytes:
            raise ValueError(
                f"{where} declares shape {tuple(shape)} of {dtype} ({nbytes} bytes) "
                f"but holds {info.file_size - header_bytes} bytes"
            )
        return nbytes

    def read_text(self, name, max_chars=256):
        """Member name, a 0-d string array, as str."""
        value = self.read(name, max_bytes=4 * max_chars, shape=(), kinds="U")
        return str(value)

    def read_int(self, name):
        """Member name, a 0-d integer array, as int."""
        return int(self.read(name, max_bytes=8, shape=(), kinds="iu"))

    def read_json(self, name, max_chars):
        """Member name, a 0-d string of JSON, parsed."""
        text = self.read_text(name, max_chars)
        try:
            return json.loads(text)
        except (ValueError, RecursionError) as exc:
            raise ValueError(f"{self.path}: {name} is not valid JSON ({exc})") from None
