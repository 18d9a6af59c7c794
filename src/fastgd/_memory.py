"""How much memory this process may still take, and a clear error before asking for more.

A size that comes from outside (a layer's width, a file's header, a number of steps) is checked
here before anything of that size is allocated: more than the machine can give is a ValueError
naming what asked and how much, instead of a MemoryError traceback, a machine swapping for
minutes, or the out-of-memory killer.

What may still be taken is the smaller of the memory the system has available (Linux's
MemAvailable; elsewhere the physical memory) and what is left of the process's address-space
limit (RLIMIT_AS, as `ulimit -v` sets it), less what the process has mapped already.
"""

import os


def _meminfo_available():
    try:
        with open("/proc/meminfo", "rb") as f:
            for line in f:
                if line.startswith(b"MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
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
    known = [b for b in (system, _address_space_left()) if b is not None]
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
