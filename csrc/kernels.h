/* Element-wise kernels of the sigmoid network, in plain C99.
 *
 * Every array is row-major: a matrix of n_rows x n_cols has row i at x + i * n_cols.
 * No allocation, no Python, one job each; the BLAS products live in _blas.pyx, the small
 * products and the sigmoid in the per-ISA kernels of dense.h, the costs' output deltas in
 * costs.h.
 * Each kernel comes in double (_d) and float (_s).
 */
#ifndef FASTGD_KERNELS_H
#define FASTGD_KERNELS_H

#include <stddef.h>
#include <stdint.h>

#define FASTGD_DECLARE(T, SUFFIX)                                                        \
    /* dst[i, :] = src[idx[i], :] for i < n_rows: the rows of one mini-batch. */         \
    void gather_rows_##SUFFIX(ptrdiff_t n_rows, ptrdiff_t n_cols, const T *src,          \
                              const ptrdiff_t *idx, T *dst);                             \
    /* Ask for the rows src[idx[i], :] to be brought towards L2 while other work runs. */  \
    void prefetch_rows_##SUFFIX(ptrdiff_t n_rows, ptrdiff_t n_cols, const T *src,        \
                                const ptrdiff_t *idx);                                   \
    /* dst[i, :] = row for i < n_rows: the bias, ready for a gemm with beta = 1. */      \
    void broadcast_row_##SUFFIX(ptrdiff_t n_rows, ptrdiff_t n_cols, const T *row,        \
                                T *dst);                                                 \
    /* WT[k, j] = W[j, k] for W n_out x n_in (row stride ldw); WT has n_pad >= n_out     \
       columns, the rest 0. */                                                           \
    void transpose_pad_##SUFFIX(ptrdiff_t n_out, ptrdiff_t n_in, const T *W, ptrdiff_t ldw, \
                                ptrdiff_t n_pad, T *WT);                                 \
    /* W[j, k] = WT[k, j]: back from the padded transpose. */                            \
    void transpose_unpad_##SUFFIX(ptrdiff_t n_out, ptrdiff_t n_in, const T *WT,          \
                                  ptrdiff_t n_pad, T *W, ptrdiff_t ldw);                 \
    /* dst[i, :n] = src[i, :n] (row stride ld_src), dst[i, n:n_pad] = 0 (rows of n_pad). */ \
    void pad_rows_##SUFFIX(ptrdiff_t n_rows, ptrdiff_t n, ptrdiff_t ld_src, ptrdiff_t n_pad, \
                           const T *src, T *dst);                                        \
    /* dst[i, :n] = src[i, :n]: compact rows (stride ld_dst) back from padded ones. */    \
    void unpad_rows_##SUFFIX(ptrdiff_t n_rows, ptrdiff_t n, ptrdiff_t n_pad, const T *src, \
                             ptrdiff_t ld_dst, T *dst);                                  \
    /* Index of the first NaN or infinity among x[0:n], or -1: by the exponent bits, so the \
       integer loop vectorises without reordering any floating-point sum. */             \
    ptrdiff_t first_nonfinite_##SUFFIX(ptrdiff_t n, const T *x);                         \
    /* x <- alpha * x */                                                                 \
    void scale_inplace_##SUFFIX(ptrdiff_t n, T alpha, T *x);                             \
    /* y <- y + x */                                                                     \
    void add_inplace_##SUFFIX(ptrdiff_t n, const T *x, T *y);                            \
    /* w <- w - c sgn(w) (sgn(0) = 0): the step of an L1 penalty, sgn from w before it. */ \
    void l1_shrink_##SUFFIX(ptrdiff_t n, T c, T *w);                                     \
    /* The step s of the data (s = -eta times the gradient's sum or mean) with the          \
       penalty's (l2 * w for L2, l1 * sgn(w) for L1) taken from it, into the velocity and   \
       the weights: g = s - l2 w - l1 sgn(w); v <- mu v + g; w <- w + v, or with nesterov    \
       w <- w + mu v + g; element-wise, every value from before the step. */                \
    void momentum_step_##SUFFIX(ptrdiff_t n, T mu, int nesterov, T l2, T l1, const T *s, \
                                T *v, T *w);                                             \
    /* b <- beta * b + alpha * sum_i delta[i, :]; beta == 0 overwrites b. */             \
    void column_sums_##SUFFIX(ptrdiff_t n_rows, ptrdiff_t n_cols, T alpha,               \
                              const T *delta, T beta, T *b);                             \
    /* lut[v] = v / 255 for the 256 byte values, one IEEE division each: the values       \
       NumPy's X.astype(T) / 255 gives, so that byte rows read through it give the bits   \
       of those float rows. */                                                           \
    void byte_lut_##SUFFIX(T *lut);                                                      \
    /* dst[i, :] = lut[src row i] for i < n_rows: row idx[i] of src (row stride ld), or   \
       row i when idx is NULL. */                                                        \
    void rows_from_bytes_##SUFFIX(ptrdiff_t n_rows, ptrdiff_t n_cols, const uint8_t *src, \
                                  ptrdiff_t ld, const ptrdiff_t *idx, const T *lut,       \
                                  T *dst);

FASTGD_DECLARE(double, d)
FASTGD_DECLARE(float, s)

#undef FASTGD_DECLARE

#endif
