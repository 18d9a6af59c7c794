# Declarations of dropout.h (dropout's masks from a counter-based generator; see there), for
# Cython.
from libc.stdint cimport uint64_t


cdef extern from "dropout.h" nogil:
    void fastgd_dropout_mask_d(uint64_t key, int layer, double rate, Py_ssize_t rows,
                               Py_ssize_t n, const Py_ssize_t *samples, double *mask)
    void fastgd_dropout_mask_s(uint64_t key, int layer, double rate, Py_ssize_t rows,
                               Py_ssize_t n, const Py_ssize_t *samples, float *mask)
    void fastgd_mask_mul_d(Py_ssize_t n, const double *mask, const double *x, double *out)
    void fastgd_mask_mul_s(Py_ssize_t n, const float *mask, const float *x, float *out)
