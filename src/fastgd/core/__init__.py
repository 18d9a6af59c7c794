"""The compiled core and what drives it.

_core (entry points: train a run of mini-batches, the gradient, feedforward), the two training
drivers _small_path (the small-shape kernels on the core's own threads) and _blas_path (gemm),
_forward (a data set's outputs), _blas (the one place that calls BLAS); policy (which path,
kernel set and thread count each call runs with), machine (CPUs, thread limits, memory left) and
reference (the same mathematics in NumPy: the tests' oracle). csrc/README.md maps the C files
into these modules.
"""
