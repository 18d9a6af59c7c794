"""Files written whole or not at all, and only over regular files."""

import errno
import os
import secrets
import stat
from pathlib import Path


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
