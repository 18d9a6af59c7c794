from cpython.pycapsule cimport PyCapsule_GetName, PyCapsule_GetPointer

# The signatures of scipy.linalg.cython_blas's dgemm and sgemm (Fortran BLAS).
ctypedef void (*dgemm_t)(char *transa, char *transb, int *m, int *n, int *k, double *alpha,
                         double *a, int *lda, double *b, int *ldb, double *beta, double *c,
                         int *ldc) noexcept nogil
ctypedef void (*sgemm_t)(char *transa, char *transb, int *m, int *n, int *k, float *alpha,
                         float *a, int *lda, float *b, int *ldb, float *beta, float *c,
                         int *ldc) noexcept nogil

cdef dgemm_t dgemm = NULL
cdef sgemm_t sgemm = NULL


cpdef load():
    """Fetch gemm from scipy.linalg.cython_blas, once: scipy exports its BLAS wrappers as
    capsules in __pyx_capi__ (what a cimport reads when its module loads; doing it here instead
    keeps scipy.linalg out of processes that never call BLAS)."""
    global dgemm, sgemm
    if dgemm != NULL:
        return
    from scipy.linalg import cython_blas
    capsules = cython_blas.__pyx_capi__
    sgemm = <sgemm_t>PyCapsule_GetPointer(capsules["sgemm"],
                                          PyCapsule_GetName(capsules["sgemm"]))
    dgemm = <dgemm_t>PyCapsule_GetPointer(capsules["dgemm"],
                                          PyCapsule_GetName(capsules["dgemm"]))


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
    load()
    gemm(Trans if transa else NoTrans, Trans if transb else NoTrans, m, n, k,
         <floating>alpha, &A[0, 0], A.shape[1], &B[0, 0], B.shape[1], <floating>beta,
         &C[0, 0], C.shape[1])
