"""pytest-benchmark: one epoch of the compiled core and of the NumPy reference, case by case.

    pytest bench/ --benchmark-group-by=param:case

runs on the first 10,000 MNIST training images; compare.py prints the ratio table.
"""
import pytest

from compare import CASES, load_training_data, make_epoch

N_SAMPLES = 10000


@pytest.fixture(scope="module")
def data():
    return load_training_data(N_SAMPLES)


@pytest.mark.parametrize("kind", ["fastgd", "numpy"])
@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{','.join(map(str, c[1]))}-m{c[2]}-{c[3]}")
def test_epoch(benchmark, data, case, kind):
    _, sizes, m, dtype = case
    epoch = make_epoch(kind, sizes, m, dtype, *data)
    benchmark.extra_info.update(sizes=sizes, mini_batch_size=m, dtype=dtype, n=N_SAMPLES)
    benchmark.pedantic(epoch, rounds=3 if kind == "fastgd" else 1, warmup_rounds=1)
