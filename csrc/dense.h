/* Small-shape dense kernels of the sigmoid network, compiled once per instruction set.
 *
 * OpenBLAS spends more time deciding and packing than computing on the products of a
 * mini-batch of ten rows against a 784-wide layer. These kernels do those products directly,
 * with vector accumulators, and fuse a layer's weight update with the next mini-batch's forward
 * product so the weights stream through the cache once per step instead of twice.
 *
 * All matrices are row-major and contiguous: W is n_out x n_in, X and Xf are m x n_in,
 * C and Z are m x n_out.
 */
#ifndef FASTGD_DENSE_H
#define FASTGD_DENSE_H

#include <stddef.h>

#define FASTGD_DENSE_SIGNATURES(T, SFX)                                                    \
    /* W += C^T Xu (m_upd rows; C already holds -scale * delta), then                    \
       Zf += Xf W^T with the updated W (m_fwd rows). Either m may be 0. */                \
    void (*update_forward_##SFX)(ptrdiff_t n_out, ptrdiff_t n_in, T *W, ptrdiff_t m_upd,  \
                                 const T *C, const T *Xu, ptrdiff_t m_fwd, const T *Xf,   \
                                 T *Zf);                                                  \
    /* out = D W: out[i, :] = sum_j D[i, j] W[j, :] (D is m x n_out, out m x n_in). */    \
    void (*combine_rows_##SFX)(ptrdiff_t m, ptrdiff_t n_out, ptrdiff_t n_in, const T *D,  \
                               const T *W, T *out);                                       \
    /* x <- 1 / (1 + exp(-x)) element-wise, stable for every x, NaN kept. */              \
    void (*sigmoid_##SFX)(ptrdiff_t n, T *x);

typedef struct {
    const char *name;
    FASTGD_DENSE_SIGNATURES(double, d)
    FASTGD_DENSE_SIGNATURES(float, s)
} fastgd_kernels;

/* The kernel sets this build has, best first, and how many; each entry's name says its ISA. */
int fastgd_kernel_sets(const fastgd_kernels **sets, int capacity);
/* The best set the running CPU supports. */
const fastgd_kernels *fastgd_best_kernels(void);

#endif
