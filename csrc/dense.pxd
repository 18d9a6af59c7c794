# Declarations of dense.h (the small-shape kernels and their sets; see there), for Cython.
cdef extern from "dense.h" nogil:
    ctypedef struct fastgd_prefetch:
        const char *base
        const Py_ssize_t *idx
        Py_ssize_t n_rows
        Py_ssize_t stride
        Py_ssize_t row_bytes
    ctypedef struct fastgd_kernels:
        const char *name
        int vector_bytes
        void (*forward_d)(Py_ssize_t m, Py_ssize_t n, const Py_ssize_t *inputs, const double *X,
                          Py_ssize_t ldx, const Py_ssize_t *xidx, const double *WT,
                          Py_ssize_t n_pad, Py_ssize_t q0, Py_ssize_t q1, const double *b,
                          double *Z) noexcept nogil
        void (*update_d)(Py_ssize_t m, Py_ssize_t n, const Py_ssize_t *inputs, const double *X,
                         Py_ssize_t ldx, const Py_ssize_t *xidx, const double *C, double *WT,
                         Py_ssize_t n_pad, Py_ssize_t q0, Py_ssize_t q1,
                         const fastgd_prefetch *pf) noexcept nogil
        Py_ssize_t (*nonzero_inputs_d)(Py_ssize_t m, Py_ssize_t n, const double *X,
                                        Py_ssize_t ldx, const Py_ssize_t *xidx,
                                        Py_ssize_t *cols) noexcept nogil
        void (*backward_d)(Py_ssize_t m, Py_ssize_t n_in, const double *D, const double *WT,
                           Py_ssize_t n_pad, double *out, double *scratch) noexcept nogil
        void (*sigmoid_d)(Py_ssize_t n, double *x) noexcept nogil
        void (*tanh_d)(Py_ssize_t n, double *x) noexcept nogil
        void (*forward_s)(Py_ssize_t m, Py_ssize_t n, const Py_ssize_t *inputs, const float *X,
                          Py_ssize_t ldx, const Py_ssize_t *xidx, const float *WT,
                          Py_ssize_t n_pad, Py_ssize_t q0, Py_ssize_t q1, const float *b,
                          float *Z) noexcept nogil
        void (*update_s)(Py_ssize_t m, Py_ssize_t n, const Py_ssize_t *inputs, const float *X,
                         Py_ssize_t ldx, const Py_ssize_t *xidx, const float *C, float *WT,
                         Py_ssize_t n_pad, Py_ssize_t q0, Py_ssize_t q1,
                         const fastgd_prefetch *pf) noexcept nogil
        Py_ssize_t (*nonzero_inputs_s)(Py_ssize_t m, Py_ssize_t n, const float *X,
                                        Py_ssize_t ldx, const Py_ssize_t *xidx,
                                        Py_ssize_t *cols) noexcept nogil
        void (*backward_s)(Py_ssize_t m, Py_ssize_t n_in, const float *D, const float *WT,
                           Py_ssize_t n_pad, float *out, float *scratch) noexcept nogil
        void (*sigmoid_s)(Py_ssize_t n, float *x) noexcept nogil
        void (*tanh_s)(Py_ssize_t n, float *x) noexcept nogil
        void (*forward_u8_d)(Py_ssize_t m, Py_ssize_t n, const Py_ssize_t *inputs,
                             const unsigned char *X, Py_ssize_t ldx, const Py_ssize_t *xidx,
                             const double *lut, const double *WT, Py_ssize_t n_pad,
                             Py_ssize_t q0, Py_ssize_t q1, const double *b,
                             double *Z) noexcept nogil
        void (*update_u8_d)(Py_ssize_t m, Py_ssize_t n, const Py_ssize_t *inputs,
                            const unsigned char *X, Py_ssize_t ldx, const Py_ssize_t *xidx,
                            const double *lut, const double *C, double *WT, Py_ssize_t n_pad,
                            Py_ssize_t q0, Py_ssize_t q1, const fastgd_prefetch *pf) noexcept nogil
        void (*forward_u8_s)(Py_ssize_t m, Py_ssize_t n, const Py_ssize_t *inputs,
                             const unsigned char *X, Py_ssize_t ldx, const Py_ssize_t *xidx,
                             const float *lut, const float *WT, Py_ssize_t n_pad,
                             Py_ssize_t q0, Py_ssize_t q1, const float *b, float *Z) noexcept nogil
        void (*update_u8_s)(Py_ssize_t m, Py_ssize_t n, const Py_ssize_t *inputs,
                            const unsigned char *X, Py_ssize_t ldx, const Py_ssize_t *xidx,
                            const float *lut, const float *C, float *WT, Py_ssize_t n_pad,
                            Py_ssize_t q0, Py_ssize_t q1, const fastgd_prefetch *pf) noexcept nogil
        Py_ssize_t (*nonzero_inputs_u8)(Py_ssize_t m, Py_ssize_t n, const unsigned char *X,
                                        Py_ssize_t ldx, const Py_ssize_t *xidx,
                                        Py_ssize_t *cols) noexcept nogil
    int fastgd_kernel_sets(const fastgd_kernels **sets, int capacity)
    const fastgd_kernels *fastgd_best_kernels()
