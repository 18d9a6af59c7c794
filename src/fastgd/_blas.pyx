from scipy.linalg.cython_blas cimport dgemm, sgemm


cdef void gemm(BLAS_Trans transa, BLAS_Trans transb, int m, int n, int k,
               floating alpha, const floating *A, int lda, const floating *B, int ldb,
               floating beta, floating *C, int ldc) noexcept nogil:
    cdef char ta = <char>transa
    cdef char tb = <char>transb
    # Fortran sees the row-major C as C^T (n x m) = op(B)^T (n x k) @ op(A)^T (k x m).
    if floating is double:
        dgemm(&tb, &ta, &n, &m, &k, &alpha, <double *>B, &ldb, <double *>A, &lda,
              &beta, C, &ldc)
    else:
        sgemm(&tb, &ta, &n, &m, &k, &alpha, <float *>B, &ldb, <float *>A, &lda,
              &beta, C, &ldc)


def _gemm_for_tests(bint transa, bint transb, double alpha, const floating[:, ::1] A,
                    const floating[:, ::1] B, double beta, floating[:, ::1] C):
    """C = alpha * op(A) @ op(B) + beta * C on C-contiguous arrays, in place (for tests only)."""
    cdef int m = C.shape[0], n = C.shape[1]
    cdef int k = A.shape[0] if transa else A.shape[1]
    if (A.shape[1] if transa else A.shape[0]) != m or (B.shape[0] if transb else B.shape[1]) != n \
            or (B.shape[1] if transb else B.shape[0]) != k:
        raise ValueError("gemm: shapes of op(A), op(B) and C do not agree")
    gemm(Trans if transa else NoTrans, Trans if transb else NoTrans, m, n, k,
         <floating>alpha, &A[0, 0], A.shape[1], &B[0, 0], B.shape[1], <floating>beta,
         &C[0, 0], C.shape[1])
