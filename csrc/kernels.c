#include "kernels.h"

#include <string.h>

#define FASTGD_DEFINE(T, SUFFIX)                                                  \
    void gather_rows_##SUFFIX(ptrdiff_t n_rows, ptrdiff_t n_cols, const T *src,          \
                              const ptrdiff_t *idx, T *dst)                              \
    {                                                                                    \
        for (ptrdiff_t i = 0; i < n_rows; ++i)                                           \
            memcpy(dst + i * n_cols, src + idx[i] * n_cols, (size_t)n_cols * sizeof(T)); \
    }                                                                                    \
                                                                                         \
    void broadcast_row_##SUFFIX(ptrdiff_t n_rows, ptrdiff_t n_cols, const T *row,        \
                                T *dst)                                                  \
    {                                                                                    \
        for (ptrdiff_t i = 0; i < n_rows; ++i)                                           \
            memcpy(dst + i * n_cols, row, (size_t)n_cols * sizeof(T));                   \
    }                                                                                    \
                                                                                         \
    void scale_inplace_##SUFFIX(ptrdiff_t n, T alpha, T *x)                              \
    {                                                                                    \
        for (ptrdiff_t i = 0; i < n; ++i)                                                \
            x[i] *= alpha;                                                               \
    }                                                                                    \
                                                                                         \
    void output_delta_##SUFFIX(ptrdiff_t n, const T *a, const T *y, T *delta)            \
    {                                                                                    \
        for (ptrdiff_t i = 0; i < n; ++i)                                                \
            delta[i] = (a[i] - y[i]) * (a[i] * ((T)1 - a[i]));                           \
    }                                                                                    \
                                                                                         \
    void sigmoid_prime_mul_##SUFFIX(ptrdiff_t n, const T *a, T *delta)                   \
    {                                                                                    \
        for (ptrdiff_t i = 0; i < n; ++i)                                                \
            delta[i] *= a[i] * ((T)1 - a[i]);                                            \
    }                                                                                    \
                                                                                         \
    void column_sums_##SUFFIX(ptrdiff_t n_rows, ptrdiff_t n_cols, T alpha,               \
                              const T *delta, T beta, T *b)                              \
    {                                                                                    \
        if (beta == 0) {                                                                 \
            for (ptrdiff_t j = 0; j < n_cols; ++j)                                       \
                b[j] = 0;                                                                \
        } else if (beta != 1) {                                                          \
            for (ptrdiff_t j = 0; j < n_cols; ++j)                                       \
                b[j] *= beta;                                                            \
        }                                                                                \
        for (ptrdiff_t i = 0; i < n_rows; ++i) {                                         \
            const T *row = delta + i * n_cols;                                           \
            for (ptrdiff_t j = 0; j < n_cols; ++j)                                       \
                b[j] += alpha * row[j];                                                  \
        }                                                                                \
    }

FASTGD_DEFINE(double, d)
FASTGD_DEFINE(float, s)
