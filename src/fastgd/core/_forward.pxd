from cython cimport floating

from dense cimport fastgd_kernels

from fastgd.core._job cimport Net, Rows

cdef enum:
    # Threads of a feedforward through the small kernels, at most.
    FORWARD_MAX_THREADS = 16
    # Rows per call of the small-shape forward kernel: its activations stay in L1.
    ROWS_PER_CALL = 96

cdef Py_ssize_t forward_small(const fastgd_kernels *k, const Net *net, const Rows *X,
                              Py_ssize_t n_rows, floating *out, int n_threads,
                              bint check_finite) except? -3
cdef Py_ssize_t forward_blas(const fastgd_kernels *k, const Net *net, const Rows *X,
                             Py_ssize_t n_rows, floating *out, bint check_finite) except? -3
