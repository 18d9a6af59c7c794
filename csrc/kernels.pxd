# Declarations of kernels.h (element-wise kernels; see there), for Cython.
cdef extern from "kernels.h" nogil:
    void gather_rows_d(Py_ssize_t n_rows, Py_ssize_t n_cols, const double *src,
                       const Py_ssize_t *idx, double *dst)
    void gather_rows_s(Py_ssize_t n_rows, Py_ssize_t n_cols, const float *src,
                       const Py_ssize_t *idx, float *dst)
    void prefetch_rows_d(Py_ssize_t n_rows, Py_ssize_t n_cols, const double *src,
                         const Py_ssize_t *idx)
    void prefetch_rows_s(Py_ssize_t n_rows, Py_ssize_t n_cols, const float *src,
                         const Py_ssize_t *idx)
    void broadcast_row_d(Py_ssize_t n_rows, Py_ssize_t n_cols, const double *row, double *dst)
    void broadcast_row_s(Py_ssize_t n_rows, Py_ssize_t n_cols, const float *row, float *dst)
    void transpose_pad_d(Py_ssize_t n_out, Py_ssize_t n_in, const double *W, Py_ssize_t ldw,
                         Py_ssize_t n_pad, double *WT)
    void transpose_pad_s(Py_ssize_t n_out, Py_ssize_t n_in, const float *W, Py_ssize_t ldw,
                         Py_ssize_t n_pad, float *WT)
    void transpose_unpad_d(Py_ssize_t n_out, Py_ssize_t n_in, const double *WT, Py_ssize_t n_pad,
                           double *W, Py_ssize_t ldw)
    void transpose_unpad_s(Py_ssize_t n_out, Py_ssize_t n_in, const float *WT, Py_ssize_t n_pad,
                           float *W, Py_ssize_t ldw)
    void pad_rows_d(Py_ssize_t n_rows, Py_ssize_t n, Py_ssize_t ld_src, Py_ssize_t n_pad,
                    const double *src, double *dst)
    void pad_rows_s(Py_ssize_t n_rows, Py_ssize_t n, Py_ssize_t ld_src, Py_ssize_t n_pad,
                    const float *src, float *dst)
    void unpad_rows_d(Py_ssize_t n_rows, Py_ssize_t n, Py_ssize_t n_pad, const double *src,
                      Py_ssize_t ld_dst, double *dst)
    void unpad_rows_s(Py_ssize_t n_rows, Py_ssize_t n, Py_ssize_t n_pad, const float *src,
                      Py_ssize_t ld_dst, float *dst)
    Py_ssize_t first_nonfinite_d(Py_ssize_t n, const double *x)
    Py_ssize_t first_nonfinite_s(Py_ssize_t n, const float *x)
    void scale_inplace_d(Py_ssize_t n, double alpha, double *x)
    void scale_inplace_s(Py_ssize_t n, float alpha, float *x)
    void add_inplace_d(Py_ssize_t n, const double *x, double *y)
    void add_inplace_s(Py_ssize_t n, const float *x, float *y)
    void l1_shrink_d(Py_ssize_t n, double c, double *w)
    void l1_shrink_s(Py_ssize_t n, float c, float *w)
    void momentum_step_d(Py_ssize_t n, double mu, int nesterov, double l2, double l1,
                         const double *s, double *v, double *w)
    void momentum_step_s(Py_ssize_t n, float mu, int nesterov, float l2, float l1,
                         const float *s, float *v, float *w)
    void column_sums_d(Py_ssize_t n_rows, Py_ssize_t n_cols, double alpha, const double *delta,
                       double beta, double *b)
    void column_sums_s(Py_ssize_t n_rows, Py_ssize_t n_cols, float alpha, const float *delta,
                       float beta, float *b)
    void byte_lut_d(double *lut)
    void byte_lut_s(float *lut)
    void rows_from_bytes_d(Py_ssize_t n_rows, Py_ssize_t n_cols, const unsigned char *src,
                           Py_ssize_t ld, const Py_ssize_t *idx, const double *lut, double *dst)
    void rows_from_bytes_s(Py_ssize_t n_rows, Py_ssize_t n_cols, const unsigned char *src,
                           Py_ssize_t ld, const Py_ssize_t *idx, const float *lut, float *dst)
