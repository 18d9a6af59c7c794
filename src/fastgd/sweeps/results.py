"""A sweep's results file: one JSON record per finished run, a line each, appended and synced.

The file may come from anywhere (a colleague's, an old version's, one edited by hand, a crash in
mid-write), so every line is checked before any run starts: each complete line must be a record
of a run, to the types a sweep writes (check_record); a damaged line is an error naming it.
Nothing is ever cut from a file but what is provably the torn last write of a sweep: a last line
without its newline that begins as every record begins, after at least one complete record. A
last line that is a whole record without its newline is kept (the next record starts on a line
of its own), and a file holding no record of a sweep is never changed.

Records of the same run may follow each other (a failed run tried again with retry_failed): the
last one is the run's (latest()).
"""

import json
import math
import os
import stat
from pathlib import Path

from ..files.writing import check_destination
from ..history import History
from ..training import settings as table
from .grid import PARAMETERS, run_key

# Every record a sweep writes begins so (json.dumps of a dict whose first key is "settings").
RECORD_START = b'{"settings": {'
# A record is a run's settings and figures, with its History: a few kB per hundred epochs.
MAX_LINE_BYTES = 1 << 24
FIGURES = (
    "best_test_accuracy",
    "final_test_accuracy",
    "best_validation_accuracy",
    "final_validation_accuracy",
    "test_accuracy_at_best_validation",
)


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value):
    return (isinstance(value, (int, float)) and not isinstance(value, bool)) and math.isfinite(
        value
    )


def _check_settings(settings):
    """Each setting a parameter of a sweep, with a value its check takes
    (fastgd.training.settings)."""
    if not isinstance(settings, dict):
        raise ValueError("its settings are not a JSON object")
    for name, value in settings.items():
        if name not in PARAMETERS:
            raise ValueError(f"setting {name!r} is not a parameter of a sweep")
        try:
            table.check(name, value)
        except (ValueError, TypeError) as error:
            raise ValueError(f"setting {name} is {str(value)[:80]} ({error})") from None
    if "sizes" not in settings:
        raise ValueError("its settings have no sizes")


def check_record(record):
    """Raise ValueError saying what is wrong unless record is a run's record as a sweep writes
    it: settings, figures (numbers in [0, 1] or null), seconds, the History or null, the error
    (a string or null), where it ran."""
    if not isinstance(record, dict):
        raise ValueError("not a JSON object")
    _check_settings(record.get("settings"))
    for figure in FIGURES:
        value = record.get(figure)
        if value is not None and not (_is_number(value) and 0 <= value <= 1):
            raise ValueError(f"{figure} is {str(value)[:80]}, not an accuracy")
    seconds = record.get("seconds")
    if seconds is not None and not (_is_number(seconds) and seconds >= 0):
        raise ValueError(f"seconds is {str(seconds)[:80]}")
    for name in ("error", "traceback", "host", "fastgd_version"):
        if record.get(name) is not None and not isinstance(record[name], str):
            raise ValueError(f"{name} is {str(record[name])[:80]}, not a string")
    for name in ("pid", "threads"):
        if record.get(name) is not None and not _is_int(record[name]):
            raise ValueError(f"{name} is {str(record[name])[:80]}, not an integer")
    found = record.get("warnings")
    if found is not None and not (
        isinstance(found, list) and all(isinstance(w, str) for w in found)
    ):
        raise ValueError(f"warnings is {str(found)[:80]}, not a list of strings")
    if record.get("history") is not None:
        History.from_untrusted(record["history"])
    elif not record.get("error"):
        raise ValueError("a run that did not fail has no history")
    halving = record.get("halving")
    if halving is not None and not (
        isinstance(halving, dict) and all(_is_int(v) for v in halving.values())
    ):
        raise ValueError(f"halving is {str(halving)[:80]}")


def _parse(data, path):
    """(records, keep, whole): the records of a results file's bytes; how many of its bytes
    to keep (all but a torn last write); whether the kept bytes end a line. ValueError naming
    the line and what is wrong with it when the file is not a sweep's."""
    lines = data.split(b"\n")
    complete, tail = lines[:-1], lines[-1]
    records = []
    for number, line in enumerate(complete, 1):
        if not line.strip():
            continue
        record = make_record(line, path, number)
        records.append(record)
    if not tail.strip():
        return records, len(data), True
    number = len(complete) + 1
    try:
        records.append(make_record(tail, path, number))
        return records, len(data), False  # a whole record, only its newline missing
    except ValueError as error:
        if not tail.startswith(RECORD_START):
            raise
        if not records:
            raise ValueError(
                f"{path} holds only the beginning of a record, as a sweep that crashed while "
                f"writing its first run would leave ({error}); it is not changed: delete it "
                f"to start afresh"
            ) from None
    # The torn last write of a sweep: cut off, and its run done again.
    return records, len(data) - len(tail), True


def make_record(line, path, number):
    where = f"{path}, line {number}"
    if len(line) > MAX_LINE_BYTES:
        raise ValueError(
            f"{where}, is {len(line)} bytes long, more than a record of a run holds "
            f"({MAX_LINE_BYTES}): the file is not a sweep's results file"
        )
    try:
        record = json.loads(line)
        check_record(record)
    except (ValueError, RecursionError) as error:
        reason = "nested too deeply" if isinstance(error, RecursionError) else error
        raise ValueError(
            f"{where}, is not a record of a sweep's run ({reason}); the file is not a "
            f"sweep's results file, or it was edited"
        ) from None
    return record


def _read(path):
    with open(path, "rb") as f:
        return f.read()


def read_records(path):
    """The complete records of a results file, in the order written (a torn last line, from a
    crash mid-write, is left out; a damaged line elsewhere is a ValueError naming it)."""
    return _parse(_read(path), path)[0]


def latest(records):
    """The last record of each run (by its settings), in the order of the runs' first records."""
    by_run = {}
    for record in records:
        by_run[run_key(record["settings"])] = record
    return list(by_run.values())


class ResultsFile:
    """A results file held for one sweep: locked against a second sweep, checked whole, its
    torn last write cut off; append() adds a record, flushed and synced."""

    def __init__(self, path):
        self.path = Path(path)
        check_destination(self.path, "results")
        # Opened without blocking and looked at again once open: a FIFO put there since the
        # check would otherwise hold the open until a reader came.
        flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_NONBLOCK", 0)
        try:
            fd = os.open(self.path, flags, 0o666)
        except OSError as error:
            raise ValueError(f"results {self.path} cannot be opened as a file: {error}") from None
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            os.close(fd)
            raise ValueError(f"results {self.path} is not a regular file")
        if hasattr(os, "O_NONBLOCK"):
            os.set_blocking(fd, True)
        self.file = os.fdopen(fd, "ab")
        try:
            self._lock()
            data = _read(self.path)
            self.records, keep, self.whole = _parse(data, self.path)
            if keep < len(data):
                self.file.truncate(keep)
                self.file.seek(keep)
        except BaseException:
            self.file.close()
            raise

    def _lock(self):
        """One sweep at a time per file: two would each run the runs missing from it, and
        write them twice."""
        lock(self.file, self.path)

    def append(self, record):
        line = json.dumps(record).encode() + b"\n"
        if not self.whole:  # a last record without its newline: end its line first
            line = b"\n" + line
        self.file.write(line)
        self.file.flush()
        os.fsync(self.file.fileno())
        self.whole = True

    def close(self):
        self.file.close()


def lock(file, path):
    """An exclusive lock on the open file, or a RuntimeError saying another sweep holds it
    (nothing on Windows, which has no flock: a file is not locked there)."""
    try:
        import fcntl
    except ImportError:
        return
    try:
        fcntl.flock(file.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        raise RuntimeError(
            f"another sweep is writing to {path}; wait for it to end, or give this one "
            f"another results file"
        ) from None


def check_results_file(path):
    """What sweep() checks of a results file, done ahead of long work (the CLI does it before
    loading MNIST): a regular file or none, not held by another sweep, holding only records
    of runs. Creates nothing."""
    check_destination(path, "results")
    if not Path(path).exists():
        return
    with open(path, "rb") as f:
        lock(f, path)
        _parse(f.read(), path)
