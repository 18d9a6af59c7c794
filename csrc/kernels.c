#include "kernels.h"

#include <stdint.h>
#include <string.h>

#define FASTGD_DEFINE(T, SUFFIX, BITS, EXPONENT)                                                  \
    void gather_rows_##SUFFIX(ptrdiff_t n_rows, ptrdiff_t n_cols, const T *src,          \
                              const ptrdiff_t *idx, T *dst)                              \
    {                                                                                    \
        for (ptrdiff_t i = 0; i < n_rows; ++i)                                           \
            memcpy(dst + i * n_cols, src + idx[i] * n_cols, (size_t)n_cols * sizeof(T)); \
    }                                                                                    \
                                                                                         \
    void prefetch_rows_##SUFFIX(ptrdiff_t n_rows, ptrdiff_t n_cols, const T *src,        \
                                const ptrdiff_t *idx)                                    \
    {                                                                                    \
        for (ptrdiff_t i = 0; i < n_rows; ++i) {                                         \
            const char *row = (const char *)(src + idx[i] * n_cols);                     \
            for (size_t byte = 0; byte < (size_t)n_cols * sizeof(T); byte += 64)         \
                __builtin_prefetch(row + byte, 0, 2);                                    \
        }                                                                                \
    }                                                                                    \
                                                                                         \
    void broadcast_row_##SUFFIX(ptrdiff_t n_rows, ptrdiff_t n_cols, const T *row,        \
                                T *dst)                                                  \
    {                                                                                    \
        for (ptrdiff_t i = 0; i < n_rows; ++i)                                           \
            memcpy(dst + i * n_cols, row, (size_t)n_cols * sizeof(T));                   \
    }                                                                                    \
                                                                                         \
    void transpose_pad_##SUFFIX(ptrdiff_t n_out, ptrdiff_t n_in, const T *W, ptrdiff_t ldw, \
                                ptrdiff_t n_pad, T *WT)                                  \
    {                                                                                    \
        for (ptrdiff_t k = 0; k < n_in; ++k) {                                           \
            for (ptrdiff_t j = 0; j < n_out; ++j)                                        \
                WT[k * n_pad + j] = W[j * ldw + k];                                      \
            for (ptrdiff_t j = n_out; j < n_pad; ++j)                                    \
                WT[k * n_pad + j] = 0;                                                   \
        }                                                                                \
    }                                                                                    \
                                                                                         \
    void transpose_unpad_##SUFFIX(ptrdiff_t n_out, ptrdiff_t n_in, const T *WT,          \
                                  ptrdiff_t n_pad, T *W, ptrdiff_t ldw)                  \
    {                                                                                    \
        for (ptrdiff_t j = 0; j < n_out; ++j)                                            \
            for (ptrdiff_t k = 0; k < n_in; ++k)                                         \
                W[j * ldw + k] = WT[k * n_pad + j];                                      \
    }                                                                                    \
                                                                                         \
    void pad_rows_##SUFFIX(ptrdiff_t n_rows, ptrdiff_t n, ptrdiff_t ld_src, ptrdiff_t n_pad, \
                           const T *src, T *dst)                                         \
    {                                                                                    \
        for (ptrdiff_t i = 0; i < n_rows; ++i) {                                         \
            memcpy(dst + i * n_pad, src + i * ld_src, (size_t)n * sizeof(T));            \
            for (ptrdiff_t j = n; j < n_pad; ++j)                                        \
                dst[i * n_pad + j] = 0;                                                  \
        }                                                                                \
    }                                                                                    \
                                                                                         \
    void unpad_rows_##SUFFIX(ptrdiff_t n_rows, ptrdiff_t n, ptrdiff_t n_pad, const T *src, \
                             ptrdiff_t ld_dst, T *dst)                                   \
    {                                                                                    \
        for (ptrdiff_t i = 0; i < n_rows; ++i)                                           \
            memcpy(dst + i * ld_dst, src + i * n_pad, (size_t)n * sizeof(T));            \
    }                                                                                    \
                                                                                         \
    ptrdiff_t first_nonfinite_##SUFFIX(ptrdiff_t n, const T *x)                          \
    {                                                                                    \
        const ptrdiff_t block = 256;                                                     \
        for (ptrdiff_t start = 0; start < n; start += block) {                           \
            ptrdiff_t stop = start + block < n ? start + block : n;                      \
            BITS any = 0;                                                                \
            for (ptrdiff_t i = start; i < stop; ++i) {                                   \
                BITS bits;                                                               \
                memcpy(&bits, x + i, sizeof bits);                                       \
                any |= (BITS)((bits & EXPONENT) == EXPONENT);                            \
            }                                                                            \
            if (any)                                                                     \
                for (ptrdiff_t i = start; i < stop; ++i) {                               \
                    BITS bits;                                                           \
                    memcpy(&bits, x + i, sizeof bits);                                   \
                    if ((bits & EXPONENT) == EXPONENT)                                   \
                        return i;                                                        \
                }                                                                        \
        }                                                                                \
        return -1;                                                                       \
    }                                                                                    \
                                                                                         \
    void scale_inplace_##SUFFIX(ptrdiff_t n, T alpha, T *x)                              \
    {                                                                                    \
        for (ptrdiff_t i = 0; i < n; ++i)                                                \
            x[i] *= alpha;                                                               \
    }                                                                                    \
                                                                                         \
    void add_inplace_##SUFFIX(ptrdiff_t n, const T *x, T *y)                             \
    {                                                                                    \
        for (ptrdiff_t i = 0; i < n; ++i)                                                \
            y[i] += x[i];                                                                \
    }                                                                                    \
                                                                                         \
    /* (sgn as the difference of two comparisons: no branch, so the loops vectorise; the    \
       signs of weights are a coin toss, which a branch would mispredict half the time.) */ \
    void l1_shrink_##SUFFIX(ptrdiff_t n, T c, T *w)                                      \
    {                                                                                    \
        for (ptrdiff_t i = 0; i < n; ++i)                                                \
            w[i] -= c * ((T)(w[i] > 0) - (T)(w[i] < 0));                                 \
    }                                                                                    \
                                                                                         \
    void momentum_step_##SUFFIX(ptrdiff_t n, T mu, int nesterov, T l2, T l1,             \
                                const T *restrict s, T *restrict v, T *restrict w)       \
    {                                                                                    \
        if (nesterov) {                                                                  \
            for (ptrdiff_t i = 0; i < n; ++i) {                                          \
                T g = s[i] - l2 * w[i] - l1 * ((T)(w[i] > 0) - (T)(w[i] < 0));           \
                T velocity = mu * v[i] + g;                                              \
                v[i] = velocity;                                                         \
                w[i] += mu * velocity + g;                                               \
            }                                                                            \
        } else {                                                                         \
            for (ptrdiff_t i = 0; i < n; ++i) {                                          \
                T g = s[i] - l2 * w[i] - l1 * ((T)(w[i] > 0) - (T)(w[i] < 0));           \
                T velocity = mu * v[i] + g;                                              \
                v[i] = velocity;                                                         \
                w[i] += velocity;                                                        \
            }                                                                            \
        }                                                                                \
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
    }                                                                                    \
                                                                                         \
    void byte_lut_##SUFFIX(T *lut)                                                       \
    {                                                                                    \
        for (int v = 0; v < 256; ++v)                                                    \
            lut[v] = (T)v / (T)255;                                                      \
    }                                                                                    \
                                                                                         \
    void rows_from_bytes_##SUFFIX(ptrdiff_t n_rows, ptrdiff_t n_cols, const uint8_t *src, \
                                  ptrdiff_t ld, const ptrdiff_t *idx, const T *lut,       \
                                  T *dst)                                                \
    {                                                                                    \
        for (ptrdiff_t i = 0; i < n_rows; ++i) {                                         \
            const uint8_t *row = src + (idx ? idx[i] : i) * ld;                          \
            for (ptrdiff_t j = 0; j < n_cols; ++j)                                       \
                dst[i * n_cols + j] = lut[row[j]];                                       \
        }                                                                                \
    }

FASTGD_DEFINE(double, d, uint64_t, UINT64_C(0x7ff0000000000000))
FASTGD_DEFINE(float, s, uint32_t, UINT32_C(0x7f800000))
