# Declarations of distort.h (distortions of training images from a counter-based generator; see
# there), for Cython.
from libc.stdint cimport uint64_t


cdef extern from "distort.h" nogil:
    ctypedef struct fastgd_distortion:
        int h
        int w
        double rotation
        double scale
        double shear
        double shift
        double alpha
        double sigma
    Py_ssize_t fastgd_distort_scratch(const fastgd_distortion *d)
    void fastgd_distort_u8(const fastgd_distortion *d, uint64_t key, const unsigned char *src,
                           const Py_ssize_t *rows, Py_ssize_t r0, Py_ssize_t r1,
                           unsigned char *dst, double *scratch)
    void fastgd_distort_d(const fastgd_distortion *d, uint64_t key, const double *src,
                          const Py_ssize_t *rows, Py_ssize_t r0, Py_ssize_t r1, double *dst,
                          double *scratch)
    void fastgd_distort_s(const fastgd_distortion *d, uint64_t key, const float *src,
                          const Py_ssize_t *rows, Py_ssize_t r0, Py_ssize_t r1, float *dst,
                          double *scratch)
