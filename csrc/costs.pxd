# Declarations of costs.h (the costs' output deltas; see there), for Cython.
cdef extern from "costs.h" nogil:
    ctypedef struct fastgd_cost:
        const char *name
        const char *output
        void (*delta_d)(Py_ssize_t m, Py_ssize_t n, const double *a, const double *y,
                        double *delta) noexcept nogil
        void (*delta_s)(Py_ssize_t m, Py_ssize_t n, const float *a, const float *y,
                        float *delta) noexcept nogil
        double (*value_d)(Py_ssize_t m, Py_ssize_t n, const double *a,
                          const double *y) noexcept nogil
        double (*value_s)(Py_ssize_t m, Py_ssize_t n, const float *a,
                          const float *y) noexcept nogil
    const fastgd_cost *fastgd_find_cost(const char *name)
    int fastgd_cost_names(const char **names, int capacity)
