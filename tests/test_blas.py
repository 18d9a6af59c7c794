"""The one BLAS seam: every transpose combination, both dtypes, against NumPy."""

import subprocess
import sys
import textwrap

import numpy as np
import pytest

from fastgd.core._blas import _gemm_for_tests


@pytest.mark.parametrize("dtype, rtol", [(np.float64, 1e-12), (np.float32, 1e-5)])
@pytest.mark.parametrize("transa", [False, True])
@pytest.mark.parametrize("transb", [False, True])
@pytest.mark.parametrize("beta", [0.0, 1.0, 0.5])
def test_gemm_matches_numpy(dtype, rtol, transa, transb, beta):
    rng = np.random.default_rng(0)
    m, n, k = 5, 7, 3
    A = rng.standard_normal((k, m) if transa else (m, k)).astype(dtype)
    B = rng.standard_normal((n, k) if transb else (k, n)).astype(dtype)
    C = rng.standard_normal((m, n)).astype(dtype)
    alpha = -1.5
    expected = alpha * ((A.T if transa else A) @ (B.T if transb else B)) + beta * C
    _gemm_for_tests(transa, transb, alpha, A, B, beta, C)
    assert C.dtype == dtype
    np.testing.assert_allclose(C, expected, rtol=rtol, atol=rtol)


def test_gemm_rejects_mismatched_shapes():
    A = np.ones((2, 3))
    with pytest.raises(ValueError, match="shapes"):
        _gemm_for_tests(False, False, 1.0, A, np.ones((4, 2)), 0.0, np.ones((2, 2)))


def test_scipy_is_imported_only_when_blas_is_called():
    """import fastgd and the small path leave scipy (0.2 s of imports) unloaded; the first BLAS
    path call loads it and gives the same numbers as in a process that imported it first."""
    script = textwrap.dedent("""
        import sys
        lazy = sys.argv[1] == "lazy"
        if not lazy:
            import scipy.linalg
        import numpy as np
        import fastgd
        from fastgd.core import policy
        assert not lazy or "scipy" not in sys.modules, "scipy imported with fastgd"
        rng = np.random.default_rng(0)
        X, y = rng.random((40, 6)), rng.integers(0, 3, 40)
        for path in ("small", "blas"):
            net = fastgd.Network([6, 5, 3], seed=1)
            with policy.overrides(training_path=path):
                fastgd.Trainer(net, eta=1.0, mini_batch_size=4, epochs=1, seed=0,
                               verbose=0).fit(X, y)
            assert not lazy or path == "blas" or "scipy" not in sys.modules, path
            print(path, repr(net.weights[0].sum()))
        assert "scipy.linalg.cython_blas" in sys.modules, "the BLAS path ran without BLAS"
    """)
    runs = [
        subprocess.run(
            [sys.executable, "-c", script, how], capture_output=True, text=True, timeout=120
        )
        for how in ("lazy", "eager")
    ]
    for run in runs:
        assert run.returncode == 0, run.stderr
    assert runs[0].stdout == runs[1].stdout and runs[0].stdout.count("\n") == 2
