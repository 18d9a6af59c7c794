# Declarations of activations.h (the neurons' activations and their derivatives; see there), for
# Cython.
from dense cimport fastgd_kernels


cdef extern from "activations.h" nogil:
    ctypedef struct fastgd_activation:
        const char *name
        void (*forward_d)(const fastgd_kernels *k, Py_ssize_t m, Py_ssize_t n,
                          double *x) noexcept nogil
        void (*forward_s)(const fastgd_kernels *k, Py_ssize_t m, Py_ssize_t n,
                          float *x) noexcept nogil
        void (*prime_mul_d)(Py_ssize_t n, const double *a, double *delta) noexcept nogil
        void (*prime_mul_s)(Py_ssize_t n, const float *a, float *delta) noexcept nogil
    const fastgd_activation *fastgd_find_activation(const char *name)
    int fastgd_activation_names(const char **names, int capacity)
