"""pytest-benchmark: one epoch of the compiled core and of its baseline, case by case.

    pytest bench/ --benchmark-group-by=param:case

runs every case of compare.py on the first 6,000 MNIST training images (fastgd against the
NumPy reference, or the book's per-sample loop, with the same BLAS thread count);
`python bench/compare.py` prints the ratio table on all 60,000.
"""

import pytest
from threadpoolctl import threadpool_limits

from compare import CASES, load_data, make_epoch

N_SAMPLES = 6000


@pytest.fixture(scope="module")
def data():
    X, y, _, _ = load_data(N_SAMPLES)
    return X, y


@pytest.mark.parametrize("kind", ["fastgd", "baseline"])
@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.name}-{c.label}".replace(" ", "_"))
def test_epoch(benchmark, data, case, kind):
    benchmark.group = f"{case.name}: {case.label}"
    epoch = make_epoch("fastgd" if kind == "fastgd" else case.baseline, case, *data)
    # An "auto" case's core runs on the thread count fit would start with (None: BLAS unlimited).
    threads = case.threads if kind == "fastgd" else case.base_threads
    benchmark.extra_info.update(
        sizes=case.sizes, mini_batch_size=case.m, dtype=case.dtype, threads=threads, n=N_SAMPLES
    )
    with threadpool_limits(threads, user_api="blas"):
        benchmark.pedantic(epoch, rounds=3 if kind == "fastgd" else 1, warmup_rounds=1)
