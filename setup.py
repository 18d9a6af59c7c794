"""Build the compiled core. Metadata lives in pyproject.toml.

FASTGD_DEBUG=1 turns Cython's bounds, wraparound and initialisation checks on
(and optimisation off) for a debugging or sanitiser build.
"""
import os

from Cython.Build import cythonize
from setuptools import Extension, setup

DEBUG = os.environ.get("FASTGD_DEBUG", "") not in ("", "0")

directives = {
    "language_level": 3,
    "boundscheck": DEBUG,
    "wraparound": DEBUG,
    "initializedcheck": DEBUG,
    "cdivision": True,
}
# No -march=native and no -ffast-math: the wheel must run on any x86-64 and keep IEEE exp/NaN semantics.
compile_args = ["-O0", "-g"] if DEBUG else ["-O3"]
# OpenMP runs the threads of an epoch (libgomp comes with gcc).
openmp = ["-fopenmp"]

extensions = [
    Extension(
        "fastgd._blas",
        ["src/fastgd/_blas.pyx"],
        extra_compile_args=compile_args,
    ),
    Extension(
        "fastgd._core",
        ["src/fastgd/_core.pyx", "csrc/kernels.c", "csrc/dense_dispatch.c",
         "csrc/dense_baseline.c", "csrc/dense_avx2.c", "csrc/dense_avx512.c"],
        include_dirs=["csrc"],
        # (so that an in-place rebuild notices an edited kernel header)
        depends=["csrc/kernels.h", "csrc/dense.h", "csrc/dense_impl.h", "csrc/dense_isa.h"],
        extra_compile_args=compile_args + openmp,
        extra_link_args=openmp,
    ),
]

setup(ext_modules=cythonize(extensions, compiler_directives=directives))
