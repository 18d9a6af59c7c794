"""What this machine lends a process: its CPUs (and the most threads anything of fastgd takes),
and how much memory it may still take, with a clear error before asking for more.

The CPUs are those this process may run on (its affinity, as `taskset` sets it), not all the
machine has: every default thread and worker count starts from cpus().

A size that comes from outside (a layer's width, a file's header, a number of steps) is checked
here before anything of that size is allocated: more than the machine can give is a ValueError
naming what asked and how much, instead of a MemoryError traceback, a machine swapping for
minutes, or the out-of-memory killer.

What may still be taken is the smallest of the memory the system has available (Linux's
MemAvailable; elsewhere the physical memory), what is left under the container's limit (the
cgroup's memory.max, or memory.limit_in_bytes of cgroup v1, less what it uses beyond reclaimable
file pages) and what is left of the process's address-space limit (RLIMIT_AS, as `ulimit -v`
sets it, less what the process has mapped already).
"""

import os

# More threads than any machine of ours has (BLAS takes a C int): the bound of every thread and
# worker count a user gives (Trainer's n_threads, a sweep's threads and workers).
MAX_THREADS = 1024


def cpus():
    """The CPUs this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _meminfo_available():
    try:
        with open("/proc/meminfo", "rb") as f:
            for line in f:
                if line.startswith(b"MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def _read_int(path):
    try:
        with open(path, "rb") as f:
            return int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def _stat_value(path, key):
    try:
        with open(path, "rb") as f:
            for line in f:
                name, _, value = line.partition(b" ")
                if name == key:
                    return int(value)
    except (OSError, ValueError):
        pass
    return 0


def _cgroup_left():
    """What is left under this container's memory limit (None when there is none)."""
    for folder, limit, usage, inactive in (
        ("/sys/fs/cgroup", "memory.max", "memory.current", b"inactive_file"),
        (
            "/sys/fs/cgroup/memory",
            "memory.limit_in_bytes",
            "memory.usage_in_bytes",
            b"total_inactive_file",
        ),
    ):
        most = _read_int(os.path.join(folder, limit))  # ("max": no limit, read as None)
        used = _read_int(os.path.join(folder, usage))
        if most is None or used is None or most >= 1 << 60:
            continue
        reclaimable = _stat_value(os.path.join(folder, "memory.stat"), inactive)
        return max(0, most - used + reclaimable)
    return None


def _physical():
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def _address_space_left():
    try:
        import resource
    except ImportError:
        return None
    soft, _ = resource.getrlimit(resource.RLIMIT_AS)
    if soft == resource.RLIM_INFINITY:
        return None
    try:
        with open("/proc/self/statm", "rb") as f:
            mapped = int(f.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        mapped = 0
    return max(0, soft - mapped)


def available():
    """Bytes this process may still allocate (None when nothing says)."""
    system = _meminfo_available() or _physical()
    known = [b for b in (system, _cgroup_left(), _address_space_left()) if b is not None]
    return min(known) if known else None


def _size(nbytes):
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if nbytes >= scale:
            return f"{nbytes / scale:.1f} {unit}"
    return f"{nbytes} bytes"


def check_fits(nbytes, what):
    """Raise ValueError unless nbytes more can be allocated; what says what asked for them
    ("a network of sizes [...]"), and the message how much that is against what is left."""
    left = available()
    if left is not None and nbytes > left:
        raise ValueError(
            f"{what} needs {_size(nbytes)} of memory, and this process can take {_size(left)} more"
        )
