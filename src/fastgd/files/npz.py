"""An .npz file read member by member, without pickle, each member checked before it is inflated."""

import json
import zipfile
import zlib

import numpy as np

# Deflate expands at most about 1032-fold: a member that declares more bytes than its compressed
# size can give is a lie, refused before anything is inflated.
MAX_DEFLATE_RATIO = 1032


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
