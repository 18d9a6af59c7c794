/* Small-shape dense kernels of the sigmoid network, compiled once per instruction set.
 *
 * OpenBLAS spends more time deciding and packing than computing on the products of a
 * mini-batch of ten rows against a 784-wide layer. These kernels do those products directly.
 * During an epoch each layer's weights are held transposed and padded, WT (n_in x n_pad) with
 * WT[k, j] = W[j, k] and n_pad the n_out rounded up to whole vectors (zero padding), so every
 * product is a run of broadcast-multiply-adds into vector accumulators.
 *
 * Inputs X are m rows of n_in (row stride ldx; or rows xidx[i] of a matrix: the rows of a
 * mini-batch where they lie in the data set, with no copy); the layer's Z, C, D and b are padded
 * like WT (rows of n_pad, the padding of C, D and b zero). q0 <= q < q1 selects vectors of
 * columns, so two threads can share a layer. The forward product and the update can skip
 * inputs: given the list of the inputs that are nonzero in some row of X (about half of
 * MNIST's 784 pixels in a mini-batch of ten), they do that share of the work, and the sums
 * they leave out are exact zeros.
 */
#ifndef FASTGD_DENSE_H
#define FASTGD_DENSE_H

#include <stddef.h>
#include <stdint.h>

/* Rows of a matrix that a kernel brings into L2 while it computes, a few cache lines after
 * each tile of its own work: the row_bytes bytes at base + idx[r] * stride for r < n_rows (a
 * block of columns of the rows of a matrix of row stride `stride`; the kernel takes the whole
 * cache lines they touch). (A burst of a thousand prefetches stalls the core on its dozen
 * outstanding misses; spread out they do not, though the rows' memory traffic still slows the
 * kernel about as much.) */
typedef struct {
    const char *base;
    const ptrdiff_t *idx;
    ptrdiff_t n_rows;
    ptrdiff_t stride;
    ptrdiff_t row_bytes;
} fastgd_prefetch;

#define FASTGD_DENSE_SIGNATURES(T, SFX)                                                     \
    /* Z[:, q0:q1] = X W^T + b on the vectors q0 <= q < q1 of the padded rows, the sums     \
       over the n inputs k = inputs[0] < inputs[1] < ... (NULL: k = 0 .. n-1); row i of X   \
       at X + xidx[i] * ldx (xidx NULL: X + i * ldx). */                                    \
    void (*forward_##SFX)(ptrdiff_t m, ptrdiff_t n, const ptrdiff_t *inputs, const T *X,    \
                          ptrdiff_t ldx, const ptrdiff_t *xidx, const T *WT,                \
                          ptrdiff_t n_pad, ptrdiff_t q0, ptrdiff_t q1, const T *b, T *Z);   \
    /* W += C^T X on those vectors (C = -scale * delta), on the same choice of inputs and   \
       rows of X; meanwhile the rows of pf (may be NULL) are prefetched. */                 \
    void (*update_##SFX)(ptrdiff_t m, ptrdiff_t n, const ptrdiff_t *inputs, const T *X,     \
                         ptrdiff_t ldx, const ptrdiff_t *xidx, const T *C, T *WT,           \
                         ptrdiff_t n_pad, ptrdiff_t q0, ptrdiff_t q1,                       \
                         const fastgd_prefetch *pf);                                        \
    /* The inputs k < n nonzero or NaN in some of the m rows X + xidx[i] * ldx,             \
       increasing, into cols (room for n); returns how many. */                             \
    ptrdiff_t (*nonzero_inputs_##SFX)(ptrdiff_t m, ptrdiff_t n, const T *X, ptrdiff_t ldx,  \
                                      const ptrdiff_t *xidx, ptrdiff_t *cols);              \
    /* out = D W (m x n_in, compact); scratch holds n_pad vectors. */                       \
    void (*backward_##SFX)(ptrdiff_t m, ptrdiff_t n_in, const T *D, const T *WT,            \
                           ptrdiff_t n_pad, T *out, T *scratch);                            \
    /* x <- 1 / (1 + exp(-x)) element-wise, stable for every x, NaN kept. */                \
    void (*sigmoid_##SFX)(ptrdiff_t n, T *x);                                               \
    /* x <- tanh x element-wise, within a few ulps for every x, NaN kept. */                \
    void (*tanh_##SFX)(ptrdiff_t n, T *x);                                                  \
    /* forward and update on rows of bytes, each x read as lut[x] (lut[v] = v / 255 in T). */ \
    void (*forward_u8_##SFX)(ptrdiff_t m, ptrdiff_t n, const ptrdiff_t *inputs,              \
                             const uint8_t *X, ptrdiff_t ldx, const ptrdiff_t *xidx,         \
                             const T *lut, const T *WT, ptrdiff_t n_pad, ptrdiff_t q0,       \
                             ptrdiff_t q1, const T *b, T *Z);                                \
    void (*update_u8_##SFX)(ptrdiff_t m, ptrdiff_t n, const ptrdiff_t *inputs,               \
                            const uint8_t *X, ptrdiff_t ldx, const ptrdiff_t *xidx,          \
                            const T *lut, const T *C, T *WT, ptrdiff_t n_pad, ptrdiff_t q0,  \
                            ptrdiff_t q1, const fastgd_prefetch *pf);

typedef struct {
    const char *name;
    int vector_bytes; /* n_pad is n_out rounded up to a multiple of vector_bytes / sizeof(T) */
    FASTGD_DENSE_SIGNATURES(double, d)
    FASTGD_DENSE_SIGNATURES(float, s)
    /* nonzero_inputs for rows of bytes. */
    ptrdiff_t (*nonzero_inputs_u8)(ptrdiff_t m, ptrdiff_t n, const uint8_t *X, ptrdiff_t ldx,
                                   const ptrdiff_t *xidx, ptrdiff_t *cols);
} fastgd_kernels;

/* The kernel sets this build has, best first, and how many; each entry's name says its ISA. */
int fastgd_kernel_sets(const fastgd_kernels **sets, int capacity);
/* The best set the running CPU supports. */
const fastgd_kernels *fastgd_best_kernels(void);

#endif
