"""Build the compiled core. Metadata lives in pyproject.toml.

FASTGD_DEBUG=1 turns Cython's bounds, wraparound and initialisation checks on
(and optimisation off) for a debugging or sanitiser build.
"""

import os
import shutil
import sys

from Cython.Build import cythonize
from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

DEBUG = os.environ.get("FASTGD_DEBUG", "") not in ("", "0")

directives = {
    "language_level": 3,
    "boundscheck": DEBUG,
    "wraparound": DEBUG,
    "initializedcheck": DEBUG,
    "cdivision": True,
}
# No -march=native and no -ffast-math: the wheel must run on any x86-64 and keep IEEE exp and NaN
# semantics.
# -ffp-contract=fast: a*b+c becomes one FMA wherever the kernel set has FMA. It is gcc's default
# and not clang's ("on": within one expression only); stating it gives clang builds gcc's bits
# (fastgd 0.1's, and its checkpoints' resumed runs), tested by .ci/clang-build.
contract = ["-ffp-contract=fast"]
compile_args = (["-O3"] if not DEBUG else ["-O0", "-g"]) + contract
dense = [
    "csrc/dense_dispatch.c",
    "csrc/dense_baseline.c",
    "csrc/dense_avx2.c",
    "csrc/dense_avx512.c",
]
headers = [f"csrc/{name}" for name in os.listdir("csrc") if name.endswith((".h", ".pxd"))]


# POSIX threads (glibc before 2.34 keeps them in libpthread).
threads = [] if sys.platform == "win32" else ["-pthread"]


def extension(name, sources, libraries=()):
    """fastgd.core.<name> from src/fastgd/core/<name>.pyx and the C files it calls directly."""
    return Extension(
        f"fastgd.core.{name}",
        [f"src/fastgd/core/{name}.pyx", *sources],
        include_dirs=["csrc"],
        depends=headers,
        extra_compile_args=compile_args + threads,
        extra_link_args=threads,
        libraries=list(libraries),
    )


extensions = [
    extension("_blas", []),
    # The kernel sets, the activations and the costs' kernels live in _core, which hands them to
    # the paths as pointers; the element-wise kernels are linked where they are called.
    extension(
        "_core", ["csrc/activations.c", "csrc/costs.c", "csrc/dropout.c", "csrc/kernels.c", *dense]
    ),
    extension("_blas_path", ["csrc/dropout.c", "csrc/kernels.c", "csrc/fpmode.c"]),
    # Their threads are the core's own (csrc/threads.c), started and joined within each call.
    extension(
        "_small_path",
        ["csrc/dropout.c", "csrc/kernels.c", "csrc/fpmode.c", "csrc/barrier.c", "csrc/threads.c"],
    ),
    extension("_forward", ["csrc/dropout.c", "csrc/kernels.c", "csrc/fpmode.c", "csrc/threads.c"]),
    # Distortions of training images (cos, sin, exp: the C library's maths, libm on POSIX).
    extension(
        "_distort", ["csrc/distort.c", "csrc/threads.c"], [] if sys.platform == "win32" else ["m"]
    ),
]


class BuildExt(build_ext):
    """On Windows, compile with clang-cl: the kernels are written in GNU C's vector extensions,
    which MSVC's cl.exe lacks; clang-cl compiles them and links with MSVC's own tools."""

    def build_extensions(self):
        if self.compiler.compiler_type == "msvc":
            if not self.compiler.initialized:
                self.compiler.initialize()
            clang_cl = shutil.which("clang-cl")
            if clang_cl is None:
                sys.exit(
                    "fastgd: building on Windows needs clang-cl (LLVM: `winget install "
                    "LLVM.LLVM`, or the Visual Studio component 'C++ Clang tools'); "
                    "MSVC's cl.exe cannot compile the kernels' GNU C vector extensions"
                )
            self.compiler.cc = clang_cl
            for ext in self.extensions:
                ext.extra_compile_args = (["/O2"] if not DEBUG else ["/Od", "/Z7"]) + [
                    f"/clang:{flag}" for flag in contract
                ]
        super().build_extensions()


setup(
    ext_modules=cythonize(extensions, compiler_directives=directives, include_path=["csrc"]),
    cmdclass={"build_ext": BuildExt},
)
