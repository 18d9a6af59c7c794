"""fastgd.show_config(): what a bug report needs to know about this installation."""

from __future__ import annotations

import platform
import sys
from typing import Any, TextIO


def config() -> dict[str, Any]:
    """The installation as a dict: versions, the kernel sets this CPU runs (the first is used),
    the core's threading, and the BLAS libraries threadpoolctl finds with their threads."""
    import numpy as np
    import scipy
    from threadpoolctl import threadpool_info

    from ._version import __version__
    from .core import _core, _small_path, machine, policy

    return {
        "fastgd": __version__,
        "python": sys.version.split()[0],
        "platform": f"{platform.system()} {platform.machine()}",
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "kernel_sets": _core.kernel_sets(),
        "threads": {
            "library": f"{'Win32' if sys.platform == 'win32' else 'POSIX'} threads "
            f"of fastgd's own (no OpenMP runtime)",
            "most_on_the_small_kernel_path": int(_small_path.MAX_THREADS),
            "default": policy.default_threads(),
            "cpus_available": machine.cpus(),
        },
        "blas": [
            {
                key: info.get(key)
                for key in (
                    "internal_api",
                    "version",
                    "num_threads",
                    "architecture",
                    "threading_layer",
                    "filepath",
                )
            }
            for info in threadpool_info()
            if info.get("user_api") == "blas"
        ],
    }


def show_config(file: TextIO | None = None) -> None:
    """Print fastgd's version, the kernel set it trains with, its threads, the BLAS libraries
    and their threads, and the Python, NumPy and SciPy versions: paste it into a bug report."""
    c = config()
    lines = [
        f"fastgd {c['fastgd']}",
        f"python {c['python']} on {c['platform']}",
        f"numpy {c['numpy']}, scipy {c['scipy']}",
        f"kernel sets: {', '.join(c['kernel_sets'])} (in use: {c['kernel_sets'][0]})",
        f"threads: {c['threads']['library']}; by default {c['threads']['default']} "
        f"(at most {c['threads']['most_on_the_small_kernel_path']} on the small-kernel "
        f"path), {c['threads']['cpus_available']} CPUs available",
    ]
    for blas in c["blas"] or [{}]:
        if not blas:
            lines.append("blas: none found by threadpoolctl")
            continue
        lines.append(
            f"blas: {blas['internal_api']} {blas['version']}, {blas['num_threads']} "
            f"threads, {blas['architecture']}, {blas['threading_layer']} "
            f"({blas['filepath']})"
        )
    print("\n".join(lines), file=file or sys.stdout)
