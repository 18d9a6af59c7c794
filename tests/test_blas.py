"""The one BLAS seam: every transpose combination, both dtypes, against NumPy."""
import numpy as np
import pytest

from fastgd._blas import _gemm_for_tests


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
