# The one place fastgd calls BLAS: gemm from scipy.linalg.cython_blas (no link step), fetched on
# first use (load), so that a process that never takes the BLAS path never imports scipy.linalg.
# Row-major on our side: a C-contiguous (m, n) array is, to Fortran BLAS, the (n, m) matrix in
# column order, so C = op(A) op(B) is computed as the Fortran product C^T = op(B)^T op(A)^T.
from cython cimport floating

cpdef enum BLAS_Trans:
    NoTrans = 110  # ord('n')
    Trans = 116    # ord('t')

# gemm's pointers, fetched from scipy (~0.2 s of imports, once); with the GIL, before any gemm.
cpdef load()

# C (m x n) = alpha * op(A) (m x k) @ op(B) (k x n) + beta * C, all row-major.
# lda, ldb, ldc are the row strides (in elements) of A, B, C as stored. load() first.
cdef void gemm(BLAS_Trans transa, BLAS_Trans transb, int m, int n, int k,
               floating alpha, const floating *A, int lda, const floating *B, int ldb,
               floating beta, floating *C, int ldc) noexcept nogil
