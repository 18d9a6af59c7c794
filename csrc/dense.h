/* Small-shape dense kernels of the sigmoid network, compiled once per instruction set.
 *
 * OpenBLAS spends more time deciding and packing than computing on the products of a
 * mini-batch of ten rows against a 784-wide layer. These kernels do those products directly.
 * During an epoch each layer's weights are held transposed and padded, WT (n_in x n_pad) with
 * WT[k, j] = W[j, k] and n_pad the n_out rounded up to whole vectors (zero padding), so every
 * product is a run of broadcast-multiply-adds into vector accumulators.
 *
 * Other matrices are row-major and compact: X is m x n_in (row stride ldx), Z, C and D are
 * m x n_out, b has n_out entries. scratch holds (m + 1) * n_pad elements.
 */
#ifndef FASTGD_DENSE_H
#define FASTGD_DENSE_H

#include <stddef.h>

#define FASTGD_DENSE_SIGNATURES(T, SFX)                                                    \
    /* Z = X W^T + b. */                                                                  \
    void (*forward_##SFX)(ptrdiff_t m, ptrdiff_t n_in, ptrdiff_t n_out, const T *X,       \
                          ptrdiff_t ldx, const T *WT, ptrdiff_t n_pad, const T *b, T *Z,  \
                          T *scratch);                                                    \
    /* W += C^T X, i.e. WT += X^T C (C = -scale * delta). */                              \
    void (*update_##SFX)(ptrdiff_t m, ptrdiff_t n_in, ptrdiff_t n_out, const T *X,        \
                         ptrdiff_t ldx, const T *C, T *WT, ptrdiff_t n_pad, T *scratch);  \
    /* out = D W (m x n_in). */                                                           \
    void (*backward_##SFX)(ptrdiff_t m, ptrdiff_t n_in, ptrdiff_t n_out, const T *D,      \
                           const T *WT, ptrdiff_t n_pad, T *out, T *scratch);             \
    /* x <- 1 / (1 + exp(-x)) element-wise, stable for every x, NaN kept. */              \
    void (*sigmoid_##SFX)(ptrdiff_t n, T *x);

typedef struct {
    const char *name;
    int vector_bytes; /* n_pad is n_out rounded up to a multiple of vector_bytes / sizeof(T) */
    FASTGD_DENSE_SIGNATURES(double, d)
    FASTGD_DENSE_SIGNATURES(float, s)
} fastgd_kernels;

/* The kernel sets this build has, best first, and how many; each entry's name says its ISA. */
int fastgd_kernel_sets(const fastgd_kernels **sets, int capacity);
/* The best set the running CPU supports. */
const fastgd_kernels *fastgd_best_kernels(void);

#endif
