# The C kernels of csrc/ under one face for float and double (Cython's fused type floating):
# each wrapper calls the _d or _s kernel, and is inlined into the module that uses it. The
# kernels that exist once per instruction set take the kernel set to use, a fastgd_kernels from
# dense.h, which every call into the core names (no global choice); a layer's activation takes a
# fastgd_activation from activations.h, the output delta a fastgd_cost from costs.h.
from cython cimport floating

from activations cimport fastgd_activation
from costs cimport fastgd_cost
from dense cimport fastgd_kernels, fastgd_prefetch
from dropout cimport (fastgd_dropout_mask_d, fastgd_dropout_mask_s, fastgd_mask_mul_d,
                      fastgd_mask_mul_s)
from libc.stdint cimport uint64_t
from kernels cimport *

from fastgd.core._job cimport L1, L2, Update


cdef struct Inputs:
    # Inputs of a layer nonzero in at least one row of a mini-batch: cols[0:n], increasing.
    # The first layer's products skip the others, whose terms are exact zeros.
    Py_ssize_t n
    Py_ssize_t *cols


cdef inline Py_ssize_t lanes(const fastgd_kernels *k, Py_ssize_t itemsize) noexcept nogil:
    """Elements of itemsize bytes in one vector of the kernel set."""
    return k.vector_bytes // itemsize


# ---- per instruction set -------------------------------------------------------------------------

cdef inline void forward_t(const fastgd_kernels *k, Py_ssize_t m, Py_ssize_t n_in,
                           const Inputs *inputs, const floating *X, Py_ssize_t ldx,
                           const Py_ssize_t *xidx, const floating *WT, Py_ssize_t n_pad,
                           Py_ssize_t q0, Py_ssize_t q1, const floating *b,
                           floating *Z) noexcept nogil:
    """Z = X W^T + b on the vectors q0 <= q < q1 for m rows of n_in inputs, row i at
    X + xidx[i] * ldx (xidx NULL: X + i * ldx); the sums over the inputs of `inputs` (NULL: all
    of them; a list of all of them goes as NULL: the same sums, without the indirection)."""
    cdef Py_ssize_t n = n_in if inputs == NULL else inputs.n
    cdef const Py_ssize_t *cols = NULL if inputs == NULL or inputs.n == n_in else inputs.cols
    if floating is double:
        k.forward_d(m, n, cols, X, ldx, xidx, WT, n_pad, q0, q1, b, Z)
    else:
        k.forward_s(m, n, cols, X, ldx, xidx, WT, n_pad, q0, q1, b, Z)


cdef inline void update_t(const fastgd_kernels *k, Py_ssize_t m, Py_ssize_t n_in,
                          const Inputs *inputs, const floating *X, Py_ssize_t ldx,
                          const Py_ssize_t *xidx, const floating *C, floating *WT,
                          Py_ssize_t n_pad, Py_ssize_t q0, Py_ssize_t q1,
                          const fastgd_prefetch *pf) noexcept nogil:
    """W += C^T X on the vectors q0 <= q < q1 (rows of X as for forward_t), on the inputs of
    `inputs` (NULL: all); meanwhile the rows of pf (NULL: none) are prefetched."""
    cdef Py_ssize_t n = n_in if inputs == NULL else inputs.n
    cdef const Py_ssize_t *cols = NULL if inputs == NULL or inputs.n == n_in else inputs.cols
    if floating is double:
        k.update_d(m, n, cols, X, ldx, xidx, C, WT, n_pad, q0, q1, pf)
    else:
        k.update_s(m, n, cols, X, ldx, xidx, C, WT, n_pad, q0, q1, pf)


cdef inline void find_inputs(const fastgd_kernels *k, Py_ssize_t m, Py_ssize_t n_in,
                             const floating *X, Py_ssize_t ldx, const Py_ssize_t *xidx,
                             Inputs *inputs) noexcept nogil:
    """The inputs k < n_in nonzero in some of the m rows X + xidx[i] * ldx (a mini-batch)."""
    if floating is double:
        inputs.n = k.nonzero_inputs_d(m, n_in, X, ldx, xidx, inputs.cols)
    else:
        inputs.n = k.nonzero_inputs_s(m, n_in, X, ldx, xidx, inputs.cols)


# ---- rows of bytes (pixels as stored), each x read as lut[x] = x / 255 ---------------------------

cdef inline void forward_bytes(const fastgd_kernels *k, Py_ssize_t m, Py_ssize_t n_in,
                               const Inputs *inputs, const unsigned char *X, Py_ssize_t ldx,
                               const Py_ssize_t *xidx, const floating *lut, const floating *WT,
                               Py_ssize_t n_pad, Py_ssize_t q0, Py_ssize_t q1, const floating *b,
                               floating *Z) noexcept nogil:
    """forward_t on rows of bytes."""
    cdef Py_ssize_t n = n_in if inputs == NULL else inputs.n
    cdef const Py_ssize_t *cols = NULL if inputs == NULL or inputs.n == n_in else inputs.cols
    if floating is double:
        k.forward_u8_d(m, n, cols, X, ldx, xidx, lut, WT, n_pad, q0, q1, b, Z)
    else:
        k.forward_u8_s(m, n, cols, X, ldx, xidx, lut, WT, n_pad, q0, q1, b, Z)


cdef inline void update_bytes(const fastgd_kernels *k, Py_ssize_t m, Py_ssize_t n_in,
                              const Inputs *inputs, const unsigned char *X, Py_ssize_t ldx,
                              const Py_ssize_t *xidx, const floating *lut, const floating *C,
                              floating *WT, Py_ssize_t n_pad, Py_ssize_t q0, Py_ssize_t q1,
                              const fastgd_prefetch *pf) noexcept nogil:
    """update_t on rows of bytes."""
    cdef Py_ssize_t n = n_in if inputs == NULL else inputs.n
    cdef const Py_ssize_t *cols = NULL if inputs == NULL or inputs.n == n_in else inputs.cols
    if floating is double:
        k.update_u8_d(m, n, cols, X, ldx, xidx, lut, C, WT, n_pad, q0, q1, pf)
    else:
        k.update_u8_s(m, n, cols, X, ldx, xidx, lut, C, WT, n_pad, q0, q1, pf)


cdef inline void find_inputs_bytes(const fastgd_kernels *k, Py_ssize_t m, Py_ssize_t n_in,
                                   const unsigned char *X, Py_ssize_t ldx,
                                   const Py_ssize_t *xidx, Inputs *inputs) noexcept nogil:
    """find_inputs on rows of bytes."""
    inputs.n = k.nonzero_inputs_u8(m, n_in, X, ldx, xidx, inputs.cols)


cdef inline void byte_lut(floating *lut) noexcept nogil:
    if floating is double:
        byte_lut_d(lut)
    else:
        byte_lut_s(lut)


cdef inline void rows_from_bytes(Py_ssize_t n_rows, Py_ssize_t n_cols, const unsigned char *src,
                                 Py_ssize_t ld, const Py_ssize_t *idx, const floating *lut,
                                 floating *dst) noexcept nogil:
    if floating is double:
        rows_from_bytes_d(n_rows, n_cols, src, ld, idx, lut, dst)
    else:
        rows_from_bytes_s(n_rows, n_cols, src, ld, idx, lut, dst)


cdef inline void backward_t(const fastgd_kernels *k, Py_ssize_t m, Py_ssize_t n_in,
                            const floating *D, const floating *WT, Py_ssize_t n_pad,
                            floating *out, floating *scratch) noexcept nogil:
    """out (m x n_in) = D W for D of m padded rows; scratch holds n_pad vectors."""
    if floating is double:
        k.backward_d(m, n_in, D, WT, n_pad, out, scratch)
    else:
        k.backward_s(m, n_in, D, WT, n_pad, out, scratch)


# ---- per activation (csrc/activations.h) ---------------------------------------------------------

cdef inline void activate(const fastgd_activation *act, const fastgd_kernels *k, Py_ssize_t m,
                          Py_ssize_t n, floating *x) noexcept nogil:
    """x <- f(x) for the m rows of n weighted inputs at x (compact rows)."""
    if floating is double:
        act.forward_d(k, m, n, x)
    else:
        act.forward_s(k, m, n, x)


cdef inline void activation_prime_mul(const fastgd_activation *act, Py_ssize_t n,
                                      const floating *a, floating *delta) noexcept nogil:
    """delta <- delta * f'(z), from the activations a = f(z) (n entries; act is a hidden
    layer's, which has a derivative)."""
    if floating is double:
        act.prime_mul_d(n, a, delta)
    else:
        act.prime_mul_s(n, a, delta)


# ---- per cost ------------------------------------------------------------------------------------

cdef inline void output_delta(const fastgd_cost *cost, Py_ssize_t m, Py_ssize_t n,
                              const floating *a, const floating *y, floating *delta) noexcept nogil:
    """delta = dC/dz at the output for activations a and targets y (m rows of n)."""
    if floating is double:
        cost.delta_d(m, n, a, y, delta)
    else:
        cost.delta_s(m, n, a, y, delta)


cdef inline double cost_value(const fastgd_cost *cost, Py_ssize_t m, Py_ssize_t n,
                              const floating *a, const floating *y) noexcept nogil:
    """sum_x C_x over the m rows of n activations a and targets y, in double."""
    if floating is double:
        return cost.value_d(m, n, a, y)
    else:
        return cost.value_s(m, n, a, y)


cdef inline double weighted_cost(const fastgd_cost *cost, Py_ssize_t m, Py_ssize_t n,
                                 const floating *w, const Py_ssize_t *rows, const floating *a,
                                 const floating *y) noexcept nogil:
    """sum_x w_x C_x over the m rows of n activations a and targets y, w_x = w[rows[r]]."""
    cdef Py_ssize_t r
    cdef double total = 0
    for r in range(m):
        total += w[rows[r]] * cost_value(cost, 1, n, a + r * n, y + r * n)
    return total


cdef inline double weigh_rows(Py_ssize_t m, Py_ssize_t n, const floating *w,
                              const Py_ssize_t *rows, floating *delta) noexcept nogil:
    """Each of the m rows of n output deltas times its sample's weight w[rows[r]] (delta NULL:
    none); returns the sum of those weights, in double."""
    cdef Py_ssize_t r, j
    cdef double total = 0
    cdef floating wr
    for r in range(m):
        wr = w[rows[r]]
        total += wr
        if delta != NULL:
            for j in range(n):
                delta[r * n + j] *= wr
    return total


cdef inline void dropout_mask(uint64_t key, int layer, double rate, Py_ssize_t rows,
                              Py_ssize_t n, const Py_ssize_t *samples,
                              floating *mask) noexcept nogil:
    """mask: dropout's mask of layer's n neurons for the rows of those samples (dropout.h)."""
    if floating is double:
        fastgd_dropout_mask_d(key, layer, rate, rows, n, samples, mask)
    else:
        fastgd_dropout_mask_s(key, layer, rate, rows, n, samples, mask)


cdef inline void mask_mul(Py_ssize_t n, const floating *mask, const floating *x,
                          floating *out) noexcept nogil:
    """out = x * mask, element-wise over n entries (out may be x)."""
    if floating is double:
        fastgd_mask_mul_d(n, mask, x, out)
    else:
        fastgd_mask_mul_s(n, mask, x, out)


# ---- element-wise, csrc/kernels.h ----------------------------------------------------------------

cdef inline void gather_rows(Py_ssize_t n_rows, Py_ssize_t n_cols, const floating *src,
                             const Py_ssize_t *idx, floating *dst) noexcept nogil:
    if floating is double:
        gather_rows_d(n_rows, n_cols, src, idx, dst)
    else:
        gather_rows_s(n_rows, n_cols, src, idx, dst)


cdef inline void prefetch_rows(Py_ssize_t n_rows, Py_ssize_t n_cols, const floating *src,
                               const Py_ssize_t *idx) noexcept nogil:
    if floating is double:
        prefetch_rows_d(n_rows, n_cols, src, idx)
    else:
        prefetch_rows_s(n_rows, n_cols, src, idx)


cdef inline void broadcast_row(Py_ssize_t n_rows, Py_ssize_t n_cols, const floating *row,
                               floating *dst) noexcept nogil:
    if floating is double:
        broadcast_row_d(n_rows, n_cols, row, dst)
    else:
        broadcast_row_s(n_rows, n_cols, row, dst)


cdef inline void transpose_pad(Py_ssize_t n_out, Py_ssize_t n_in, const floating *W,
                               Py_ssize_t ldw, Py_ssize_t n_pad, floating *WT) noexcept nogil:
    if floating is double:
        transpose_pad_d(n_out, n_in, W, ldw, n_pad, WT)
    else:
        transpose_pad_s(n_out, n_in, W, ldw, n_pad, WT)


cdef inline void transpose_unpad(Py_ssize_t n_out, Py_ssize_t n_in, const floating *WT,
                                 Py_ssize_t n_pad, floating *W, Py_ssize_t ldw) noexcept nogil:
    if floating is double:
        transpose_unpad_d(n_out, n_in, WT, n_pad, W, ldw)
    else:
        transpose_unpad_s(n_out, n_in, WT, n_pad, W, ldw)


cdef inline void pad_rows(Py_ssize_t n_rows, Py_ssize_t n, Py_ssize_t ld_src, Py_ssize_t n_pad,
                          const floating *src, floating *dst) noexcept nogil:
    if floating is double:
        pad_rows_d(n_rows, n, ld_src, n_pad, src, dst)
    else:
        pad_rows_s(n_rows, n, ld_src, n_pad, src, dst)


cdef inline void unpad_rows(Py_ssize_t n_rows, Py_ssize_t n, Py_ssize_t n_pad,
                            const floating *src, Py_ssize_t ld_dst, floating *dst) noexcept nogil:
    if floating is double:
        unpad_rows_d(n_rows, n, n_pad, src, ld_dst, dst)
    else:
        unpad_rows_s(n_rows, n, n_pad, src, ld_dst, dst)


cdef inline Py_ssize_t first_nonfinite(Py_ssize_t n, const floating *x) noexcept nogil:
    if floating is double:
        return first_nonfinite_d(n, x)
    else:
        return first_nonfinite_s(n, x)


cdef inline void scale_inplace(Py_ssize_t n, floating alpha, floating *x) noexcept nogil:
    if floating is double:
        scale_inplace_d(n, alpha, x)
    else:
        scale_inplace_s(n, alpha, x)


cdef inline void add_inplace(Py_ssize_t n, const floating *x, floating *y) noexcept nogil:
    if floating is double:
        add_inplace_d(n, x, y)
    else:
        add_inplace_s(n, x, y)


cdef inline void column_sums(Py_ssize_t n_rows, Py_ssize_t n_cols, floating alpha,
                             const floating *delta, floating beta, floating *b) noexcept nogil:
    if floating is double:
        column_sums_d(n_rows, n_cols, alpha, delta, beta, b)
    else:
        column_sums_s(n_rows, n_cols, alpha, delta, beta, b)


# ---- the update rule (fastgd._job.Update) --------------------------------------------------------

cdef inline void penalise_first(const Update *u, Py_ssize_t n, floating *W) noexcept nogil:
    """Without momentum, the penalty's part of a step on n weights W, before the data's."""
    if u.momentum != 0:
        return
    if u.penalty == L2:
        scale_inplace(n, <floating>(1 - u.rate), W)
    elif u.penalty == L1:
        if floating is double:
            l1_shrink_d(n, u.rate, W)
        else:
            l1_shrink_s(n, <float>u.rate, W)


cdef inline void momentum_apply(const Update *u, Py_ssize_t n, const floating *S, floating *V,
                                floating *W, bint penalised) noexcept nogil:
    """With momentum: the data step S of n parameters W (their penalty's too when penalised)
    into their velocity V and into W."""
    cdef double l2 = u.rate if penalised and u.penalty == L2 else 0
    cdef double l1 = u.rate if penalised and u.penalty == L1 else 0
    if floating is double:
        momentum_step_d(n, u.momentum, u.nesterov, l2, l1, S, V, W)
    else:
        momentum_step_s(n, <float>u.momentum, u.nesterov, <float>l2, <float>l1, S, V, W)
