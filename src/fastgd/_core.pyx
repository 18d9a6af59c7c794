"""The compiled core: feedforward, backpropagation and the mini-batch update.

Notation (rows are samples, as in fastgd's Python API). Layer l = 0 .. L-1 maps sizes[l] inputs to
sizes[l+1] outputs with W_l of shape (sizes[l+1], sizes[l]) and b_l of shape (sizes[l+1],). For a
mini-batch of m rows:

    forward     Z_l = A_l @ W_l^T + b_l,        A_{l+1} = sigma(Z_l)          (A_0 = the inputs X)
    output      D_{L-1} = (A_L - Y) * A_L * (1 - A_L)                         (quadratic cost)
    backward    D_{l-1} = (D_l @ W_l) * A_l * (1 - A_l)
    gradient    dC/dW_l = D_l^T @ A_l,          dC/db_l = sum over rows of D_l

The update W_l <- W_l - s * D_l^T @ A_l (s = eta/m or eta) is done only after D_{l-1} has been
computed from the old W_l. Two paths do this arithmetic: mini-batches of up to small_batch_max
rows through the small-shape kernels of csrc/dense*.c (weights held transposed for the epoch,
threads splitting the first layer's columns), larger ones through BLAS gemm with the update
folded into the gemm (beta = 1). Each Python-facing function here prepares raw pointers once,
then runs its whole loop without the GIL: nothing crosses back into Python and nothing is
allocated per mini-batch.
"""
cimport openmp
from cython cimport floating
from cython.parallel cimport parallel, threadid
from libc.stdlib cimport free
from libc.string cimport memset
from posix.stdlib cimport posix_memalign

from fastgd._blas cimport gemm, NoTrans, Trans


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
    void scale_inplace_d(Py_ssize_t n, double alpha, double *x)
    Py_ssize_t first_nonfinite_s(Py_ssize_t n, const float *x)
    void scale_inplace_s(Py_ssize_t n, float alpha, float *x)
    void add_inplace_d(Py_ssize_t n, const double *x, double *y)
    void add_inplace_s(Py_ssize_t n, const float *x, float *y)
    void output_delta_d(Py_ssize_t n, const double *a, const double *y, double *delta)
    void output_delta_s(Py_ssize_t n, const float *a, const float *y, float *delta)
    void sigmoid_prime_mul_d(Py_ssize_t n, const double *a, double *delta)
    void sigmoid_prime_mul_s(Py_ssize_t n, const float *a, float *delta)
    void column_sums_d(Py_ssize_t n_rows, Py_ssize_t n_cols, double alpha, const double *delta,
                       double beta, double *b)
    void column_sums_s(Py_ssize_t n_rows, Py_ssize_t n_cols, float alpha, const float *delta,
                       float beta, float *b)


cdef extern from * nogil:
    """
    /* The n threads of an epoch meet here, each passing its own sense (0 at the start; b
       zeroed). A spinning barrier: libgomp's `omp barrier` wakes the waiting threads with a
       futex system call even when they are spinning, which cost about 0.4 us per barrier here,
       twice in a mini-batch step of ~12 us. After 256 pauses (1-10 us, depending on the CPU) a
       waiting thread gives its core away with sched_yield at every check, so that a thread
       that is not running (more threads than free cores) gets the core: two threads on one
       core then ran an epoch in 0.19 s against libgomp's 0.22 s and one thread's 0.09 s (a
       limit of 4096 pauses: 0.43 s). The counter's read-modify-write (acquire-release) and
       the sense's release/acquire order every write before the barrier before every read
       after it. */
    #include <sched.h>
    #if defined(__x86_64__) || defined(__i386__)
    #include <immintrin.h>
    #define FASTGD_PAUSE() _mm_pause()
    #elif defined(__aarch64__)
    #define FASTGD_PAUSE() __asm__ __volatile__("yield")
    #else
    #define FASTGD_PAUSE() ((void)0)
    #endif
    typedef struct { int count; int sense; } fastgd_spin_barrier;
    static void fastgd_barrier(fastgd_spin_barrier *b, int n, int *sense) {
        int mine = !*sense;
        *sense = mine;
        if (__atomic_add_fetch(&b->count, 1, __ATOMIC_ACQ_REL) == n) {
            __atomic_store_n(&b->count, 0, __ATOMIC_RELAXED);
            __atomic_store_n(&b->sense, mine, __ATOMIC_RELEASE);
            return;
        }
        for (long spins = 0; __atomic_load_n(&b->sense, __ATOMIC_ACQUIRE) != mine; ++spins) {
            if (spins < 256)
                FASTGD_PAUSE();
            else
                sched_yield();
        }
    }
    /* Subnormal numbers (below 2.2e-308 in double, 1.2e-38 in float) cost a microcode assist
       of ~100 cycles per operation on x86; deltas of saturated sigmoids reach them. The core
       flushes them to zero (FTZ and DAZ in MXCSR, as TensorFlow and XLA do on CPUs) for the
       duration of a call and then restores the caller's mode. */
    #if defined(__SSE__) || defined(__x86_64__)
    #include <xmmintrin.h>
    static unsigned int fastgd_flush_denormals(void) {
        unsigned int old = _mm_getcsr();
        _mm_setcsr(old | 0x8040);
        return old;
    }
    static void fastgd_restore_fp(unsigned int old) { _mm_setcsr(old); }
    #else
    static unsigned int fastgd_flush_denormals(void) { return 0; }
    static void fastgd_restore_fp(unsigned int old) { (void)old; }
    #endif
    """
    ctypedef struct fastgd_spin_barrier:
        int count
        int sense
    void fastgd_barrier(fastgd_spin_barrier *b, int n, int *sense)
    unsigned int fastgd_flush_denormals()
    void fastgd_restore_fp(unsigned int)


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
        void (*forward_d)(Py_ssize_t m, Py_ssize_t n, const Py_ssize_t *rows, const double *X,
                          Py_ssize_t ldx, const Py_ssize_t *xidx, const double *WT,
                          Py_ssize_t n_pad, Py_ssize_t q0, Py_ssize_t q1, const double *b,
                          double *Z) noexcept nogil
        void (*update_d)(Py_ssize_t m, Py_ssize_t n, const Py_ssize_t *rows, const double *X,
                         Py_ssize_t ldx, const Py_ssize_t *xidx, const double *C, double *WT,
                         Py_ssize_t n_pad, Py_ssize_t q0, Py_ssize_t q1,
                         const fastgd_prefetch *pf) noexcept nogil
        Py_ssize_t (*nonzero_inputs_d)(Py_ssize_t m, Py_ssize_t n, const double *X,
                                        Py_ssize_t ldx, const Py_ssize_t *xidx,
                                        Py_ssize_t *cols) noexcept nogil
        void (*backward_d)(Py_ssize_t m, Py_ssize_t n_in, const double *D, const double *WT,
                           Py_ssize_t n_pad, double *out, double *scratch) noexcept nogil
        void (*sigmoid_d)(Py_ssize_t n, double *x) noexcept nogil
        void (*forward_s)(Py_ssize_t m, Py_ssize_t n, const Py_ssize_t *rows, const float *X,
                          Py_ssize_t ldx, const Py_ssize_t *xidx, const float *WT,
                          Py_ssize_t n_pad, Py_ssize_t q0, Py_ssize_t q1, const float *b,
                          float *Z) noexcept nogil
        void (*update_s)(Py_ssize_t m, Py_ssize_t n, const Py_ssize_t *rows, const float *X,
                         Py_ssize_t ldx, const Py_ssize_t *xidx, const float *C, float *WT,
                         Py_ssize_t n_pad, Py_ssize_t q0, Py_ssize_t q1,
                         const fastgd_prefetch *pf) noexcept nogil
        Py_ssize_t (*nonzero_inputs_s)(Py_ssize_t m, Py_ssize_t n, const float *X,
                                        Py_ssize_t ldx, const Py_ssize_t *xidx,
                                        Py_ssize_t *cols) noexcept nogil
        void (*backward_s)(Py_ssize_t m, Py_ssize_t n_in, const float *D, const float *WT,
                           Py_ssize_t n_pad, float *out, float *scratch) noexcept nogil
        void (*sigmoid_s)(Py_ssize_t n, float *x) noexcept nogil
    int fastgd_kernel_sets(const fastgd_kernels **sets, int capacity)
    const fastgd_kernels *fastgd_best_kernels()


# The dense kernels of the running CPU's instruction set (widest vectors it supports).
cdef const fastgd_kernels *kernels = fastgd_best_kernels()

# Mini-batches of at most this many rows train with the small-shape kernels of csrc/dense*.c;
# larger ones with BLAS gemm, which wins once the products are big enough to amortise its
# packing (measured on 784,30,10 and 784,100,10 with one thread: the kernels win at 1, 10 and
# 32 rows, BLAS from 64 on the wider net).
cdef Py_ssize_t small_batch_max = 32

# train_epoch calls running now (counted with the GIL held). An epoch that starts while another
# runs takes one thread, so concurrent fits share the cores instead of spinning at barriers.
cdef int active_epochs = 0


def kernel_sets():
    """Names of the kernel sets this CPU can run, best first; the first is the default."""
    cdef const fastgd_kernels *sets[8]
    cdef int i, n = fastgd_kernel_sets(sets, 8)
    return [sets[i].name.decode() for i in range(n)]


def kernel_set():
    """Name of the kernel set in use."""
    return kernels.name.decode()


def use_kernel_set(name):
    """Switch to another kernel set of kernel_sets() (for tests and benchmarks); returns the old.

    Not safe while another thread trains.
    """
    global kernels
    cdef const fastgd_kernels *sets[8]
    cdef int i, n = fastgd_kernel_sets(sets, 8)
    old = kernel_set()
    for i in range(n):
        if sets[i].name.decode() == name:
            kernels = sets[i]
            return old
    raise ValueError(f"kernel set {name!r} is not available here; this CPU has {kernel_sets()}")


def get_small_batch_max():
    """Largest mini-batch trained by the small-shape kernels (larger ones go through BLAS)."""
    return small_batch_max


def set_small_batch_max(Py_ssize_t rows):
    """Largest mini-batch trained by the small-shape kernels (0: always BLAS); returns the old."""
    global small_batch_max
    old = small_batch_max
    small_batch_max = rows
    return old


# Whether the small-shape kernels skip the inputs that are zero in every row of a mini-batch.
cdef bint skip_zero_inputs = True


def set_skip_zero_inputs(bint skip):
    """Whether the small-kernel path leaves out the first layer's inputs that are zero in every
    row of a mini-batch (the default; for tests and benchmarks); returns the old setting.

    The terms it leaves out are exact zeros, so the results are the same either way (up to the
    sign of a zero weight, and apart from runs whose weights or deltas are already infinite)."""
    global skip_zero_inputs
    old = skip_zero_inputs
    skip_zero_inputs = skip
    return old


# Rows per block when feeding forward a whole data set: large enough for BLAS to run near peak,
# small enough that the activations of a block stay in cache.
cdef enum:
    FORWARD_BLOCK = 2048


cdef struct Inputs:
    # The inputs of a mini-batch that are nonzero in at least one of its rows: cols[0:n],
    # increasing. The first layer's products skip the others (their terms are exact zeros).
    Py_ssize_t n
    Py_ssize_t *cols


# ---- fused-type dispatch to the C kernels -------------------------------------------------------

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


cdef inline void sigmoid_inplace(Py_ssize_t n, floating *x) noexcept nogil:
    if floating is double:
        kernels.sigmoid_d(n, x)
    else:
        kernels.sigmoid_s(n, x)


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


cdef inline void forward_t(Py_ssize_t m, Py_ssize_t n_in, const Inputs *inputs, const floating *X,
                           Py_ssize_t ldx, const Py_ssize_t *xidx, const floating *WT,
                           Py_ssize_t n_pad, Py_ssize_t q0, Py_ssize_t q1, const floating *b,
                           floating *Z) noexcept nogil:
    """Z = X W^T + b on the vectors q0 <= q < q1 for m rows of n_in inputs, row i at
    X + xidx[i] * ldx (xidx NULL: X + i * ldx); the sums over the inputs of `inputs` (NULL: all
    of them; a list of all of them goes as NULL: the same sums, without the indirection)."""
    cdef Py_ssize_t n = n_in if inputs == NULL else inputs.n
    cdef const Py_ssize_t *rows = NULL if inputs == NULL or inputs.n == n_in else inputs.cols
    if floating is double:
        kernels.forward_d(m, n, rows, X, ldx, xidx, WT, n_pad, q0, q1, b, Z)
    else:
        kernels.forward_s(m, n, rows, X, ldx, xidx, WT, n_pad, q0, q1, b, Z)


cdef inline void update_t(Py_ssize_t m, Py_ssize_t n_in, const Inputs *inputs, const floating *X,
                          Py_ssize_t ldx, const Py_ssize_t *xidx, const floating *C,
                          floating *WT, Py_ssize_t n_pad, Py_ssize_t q0, Py_ssize_t q1,
                          const fastgd_prefetch *pf) noexcept nogil:
    """W += C^T X on the vectors q0 <= q < q1 (rows of X as for forward_t), on the inputs of
    `inputs` (NULL: all)."""
    cdef Py_ssize_t n = n_in if inputs == NULL else inputs.n
    cdef const Py_ssize_t *rows = NULL if inputs == NULL or inputs.n == n_in else inputs.cols
    if floating is double:
        kernels.update_d(m, n, rows, X, ldx, xidx, C, WT, n_pad, q0, q1, pf)
    else:
        kernels.update_s(m, n, rows, X, ldx, xidx, C, WT, n_pad, q0, q1, pf)


cdef inline void find_inputs(Py_ssize_t m, Py_ssize_t n_in, const floating *X, Py_ssize_t ldx,
                             const Py_ssize_t *xidx, Inputs *inputs) noexcept nogil:
    """The inputs k < n_in nonzero in some of the m rows X + xidx[i] * ldx (a mini-batch)."""
    if floating is double:
        inputs.n = kernels.nonzero_inputs_d(m, n_in, X, ldx, xidx, inputs.cols)
    else:
        inputs.n = kernels.nonzero_inputs_s(m, n_in, X, ldx, xidx, inputs.cols)


cdef inline void backward_t(Py_ssize_t m, Py_ssize_t n_in, const floating *D, const floating *WT,
                            Py_ssize_t n_pad, floating *out, floating *scratch) noexcept nogil:
    if floating is double:
        kernels.backward_d(m, n_in, D, WT, n_pad, out, scratch)
    else:
        kernels.backward_s(m, n_in, D, WT, n_pad, out, scratch)


cdef inline void pad_rows(Py_ssize_t n_rows, Py_ssize_t n, Py_ssize_t ld_src, Py_ssize_t n_pad,
                          const floating *src, floating *dst) noexcept nogil:
    if floating is double:
        pad_rows_d(n_rows, n, ld_src, n_pad, src, dst)
    else:
        pad_rows_s(n_rows, n, ld_src, n_pad, src, dst)


cdef inline void unpad_rows(Py_ssize_t n_rows, Py_ssize_t n, Py_ssize_t n_pad, const floating *src,
                            Py_ssize_t ld_dst, floating *dst) noexcept nogil:
    if floating is double:
        unpad_rows_d(n_rows, n, n_pad, src, ld_dst, dst)
    else:
        unpad_rows_s(n_rows, n, n_pad, src, ld_dst, dst)


cdef inline void output_delta(Py_ssize_t n, const floating *a, const floating *y,
                              floating *delta) noexcept nogil:
    if floating is double:
        output_delta_d(n, a, y, delta)
    else:
        output_delta_s(n, a, y, delta)


cdef inline void sigmoid_prime_mul(Py_ssize_t n, const floating *a, floating *delta) noexcept nogil:
    if floating is double:
        sigmoid_prime_mul_d(n, a, delta)
    else:
        sigmoid_prime_mul_s(n, a, delta)


cdef inline void column_sums(Py_ssize_t n_rows, Py_ssize_t n_cols, floating alpha,
                             const floating *delta, floating beta, floating *b) noexcept nogil:
    if floating is double:
        column_sums_d(n_rows, n_cols, alpha, delta, beta, b)
    else:
        column_sums_s(n_rows, n_cols, alpha, delta, beta, b)


# ---- one mini-batch -----------------------------------------------------------------------------

cdef void forward(int n_layers, const int *sizes, floating **W, floating **b, int m,
                  floating **A) noexcept nogil:
    """A[l+1] = sigma(A[l] @ W[l]^T + b[l]) for every layer; A[0] holds the m input rows."""
    cdef int l
    for l in range(n_layers):
        # Z_l = A_l @ W_l^T + b_l: b_l broadcast into the output, then one gemm with beta = 1.
        broadcast_row(m, sizes[l + 1], b[l], A[l + 1])
        gemm(NoTrans, Trans, m, sizes[l + 1], sizes[l], <floating>1, A[l], sizes[l],
             W[l], sizes[l], <floating>1, A[l + 1], sizes[l + 1])
        sigmoid_inplace(<Py_ssize_t>m * sizes[l + 1], A[l + 1])


cdef void backward(int n_layers, const int *sizes, floating **W, int m, floating **A,
                   const floating *Y, floating *delta, floating *delta_prev,
                   floating **W_out, floating **b_out, floating alpha, floating beta) noexcept nogil:
    """Backpropagate the quadratic cost of the m rows whose activations are in A.

    For every layer: W_out[l] <- beta * W_out[l] + alpha * D_l^T @ A_l, and the same for b_out[l]
    with the column sums of D_l. Training passes W_out = W, alpha = -s, beta = 1; the gradient
    passes fresh arrays with alpha = 1, beta = 0. delta and delta_prev hold m * max(sizes[1:]).
    """
    cdef int l
    cdef floating *swap
    output_delta(<Py_ssize_t>m * sizes[n_layers], A[n_layers], Y, delta)
    for l in range(n_layers - 1, -1, -1):
        if l > 0:
            # D_{l-1} = (D_l @ W_l) * sigma'(Z_{l-1}), from W_l before its update below.
            gemm(NoTrans, NoTrans, m, sizes[l], sizes[l + 1], <floating>1, delta, sizes[l + 1],
                 W[l], sizes[l], <floating>0, delta_prev, sizes[l])
            sigmoid_prime_mul(<Py_ssize_t>m * sizes[l], A[l], delta_prev)
        # W_l <- beta * W_l + alpha * D_l^T @ A_l: the gradient folded into the gemm.
        gemm(Trans, NoTrans, sizes[l + 1], sizes[l], m, alpha, delta, sizes[l + 1],
             A[l], sizes[l], beta, W_out[l], sizes[l])
        column_sums(m, sizes[l + 1], alpha, delta, beta, b_out[l])
        swap = delta
        delta = delta_prev
        delta_prev = swap


# ---- from Python lists of arrays to raw pointers ------------------------------------------------

cdef int collect_layers(list weights, list biases, int *sizes,
                        floating **W, floating **b) except -1:
    """Check that weights[l] (sizes[l+1], sizes[l]) and biases[l] chain up; store their pointers.

    The arrays stay alive in the caller's lists for the whole call, so the pointers stay valid.
    """
    cdef floating[:, ::1] w
    cdef floating[::1] v
    cdef Py_ssize_t l, n_layers = len(weights)
    if n_layers < 1 or len(biases) != n_layers:
        raise ValueError(f"expected as many bias vectors as weight matrices (at least one), "
                         f"got {n_layers} weights and {len(biases)} biases")
    for l in range(n_layers):
        w = weights[l]
        v = biases[l]
        if l == 0:
            sizes[0] = <int>w.shape[1]
        if w.shape[1] != sizes[l] or v.shape[0] != w.shape[0] or w.shape[0] < 1 or w.shape[1] < 1:
            raise ValueError(f"layer {l}: weights of shape ({w.shape[0]}, {w.shape[1]}) and "
                             f"biases of shape ({v.shape[0]},) do not follow a layer of "
                             f"{sizes[l]} units")
        sizes[l + 1] = <int>w.shape[0]
        W[l] = &w[0, 0]
        b[l] = &v[0]
    return 0


cdef int check_rows(const floating[:, ::1] data, int n_cols, str name) except -1:
    if data.shape[1] != n_cols:
        raise ValueError(f"{name} has {data.shape[1]} columns, the network expects {n_cols}")
    return 0


cdef enum:
    CACHE_LINE = 64


cdef class _Buffers:
    """A block of scratch memory aligned to a cache line (see alloc)."""
    cdef void *data

    def __cinit__(self, Py_ssize_t n_items, Py_ssize_t itemsize):
        if posix_memalign(&self.data, CACHE_LINE, max(n_items, 1) * itemsize) != 0:
            self.data = NULL
            raise MemoryError(f"could not allocate {n_items * itemsize} bytes of work space")

    def __dealloc__(self):
        free(self.data)


cdef inline Py_ssize_t whole_lines(Py_ssize_t n_items, Py_ssize_t itemsize) noexcept nogil:
    """n_items rounded up to fill whole cache lines."""
    cdef Py_ssize_t per_line = CACHE_LINE // itemsize
    return (n_items + per_line - 1) // per_line * per_line


cdef void *alloc(list keep, Py_ssize_t n_items, Py_ssize_t itemsize) except NULL:
    """Scratch for one call: n_items of itemsize bytes starting on a cache line of their own (so
    buffers written by different threads never share one), freed with keep. A call allocates a
    few dozen of these, never one per mini-batch."""
    buffer = _Buffers(n_items, itemsize)
    keep.append(buffer)
    return buffer.data


# ---- the Python-facing functions ----------------------------------------------------------------

cdef inline double batch_scale(double eta, Py_ssize_t rows, bint mean) noexcept nogil:
    """The step size of one mini-batch: eta / m for the mean of its gradients, eta for their sum."""
    return eta / rows if mean else eta


cdef void epoch_blas(int n_layers, const int *sizes, floating **W, floating **b,
                     const floating *X, const floating *Y, const Py_ssize_t *order,
                     Py_ssize_t n_order, Py_ssize_t m_max, double eta, bint mean, floating **A,
                     floating *delta, floating *delta_prev) noexcept nogil:
    """Mini-batches X[order[start:start + m]] through gemm: forward, backward, folded update."""
    cdef Py_ssize_t start = 0, rows
    cdef unsigned int fp_state = fastgd_flush_denormals()
    while start < n_order:
        rows = min(m_max, n_order - start)
        gather_rows(rows, sizes[0], X, &order[start], A[0])
        gather_rows(rows, sizes[n_layers], Y, &order[start], delta_prev)
        forward(n_layers, sizes, W, b, <int>rows, A)
        # The targets sit in delta_prev; output_delta reads them before anything overwrites it.
        backward(n_layers, sizes, W, <int>rows, A, delta_prev, delta, delta_prev,
                 W, b, -<floating>batch_scale(eta, rows, mean), <floating>1)
        start += rows
    fastgd_restore_fp(fp_state)


cdef enum:
    MAX_THREADS = 16
    # The first layer's inputs come in this many blocks, whatever the number of threads: each
    # block's share of a forward sum is a partial sum, and the blocks fix how they are added.
    ROW_BLOCKS = 2


cdef struct SmallEpoch:
    # What the threads of one small-kernel epoch share; the float pointers are of the epoch's
    # dtype (void * because a struct cannot hold fused types).
    int n_layers
    const int *sizes
    const Py_ssize_t *pads          # pads[l]: sizes[l+1] rounded up to whole cache lines
    void **W                        # the network's arrays, W[l] and b[l]
    void **b
    void **WT                       # WT[l]: W[l] transposed and padded, sizes[l] x pads[l] (l > 0)
    void **A                        # A[l]: activations, m_max x sizes[l], l > 0 (the inputs
                                    # are read in X: A[0] is epoch_blas's)
    const void *X
    const void *Y
    const Py_ssize_t *order
    Py_ssize_t n_order
    Py_ssize_t m_max
    double eta
    bint mean
    void *delta                     # m_max x max(sizes[1:]) each
    void *delta_prev
    void *pad_rows_buf              # padded rows for layers 1.., m_max x max(pads)
    void *pad_bias_buf              # a padded bias for layers 1.., max(pads)
    void *transpose_buf             # a block of deltas transposed, max(pads) vectors
    # The first layer, split by inputs into blocks [row[t], row[t + 1]), block t to thread
    # t % n_threads. Each block has its own rows of the padded transpose of W_0 (so that they
    # live in the cache of the one thread that works on them) and its own partial sum of the
    # forward product, z0[t] = (b_0 if t == 0 else 0) + the sum over the block's inputs; the
    # product is z0[0] + z0[1] + ... (in that order).
    int n_blocks
    Py_ssize_t row[ROW_BLOCKS + 1]
    void *WT0[ROW_BLOCKS]           # (row[t + 1] - row[t]) x pads[0]
    void *z0[ROW_BLOCKS]            # m_max x pads[0]
    void *c0                        # -s D_0, m_max x pads[0], padding zero
    void *b0                        # b_0 padded, pads[0]
    void *zeros                     # pads[0] zeros: the other blocks' start
    # With skip_zero, block t's nonzero inputs in two consecutive mini-batches, inputs[t][0]
    # and inputs[t][1] (taking turns as the current one), each cols holding the block's width;
    # the two on a cache line of their own, as one thread writes them and reads them.
    bint skip_zero
    Inputs *inputs[ROW_BLOCKS]
    fastgd_spin_barrier *barrier    # on a cache line of its own, zeroed


cdef enum:
    # Consecutive full lists of nonzero inputs after which an epoch lists only now and then.
    FULL_LISTS = 8


cdef inline void sync(SmallEpoch *e, int n_threads, int *sense) noexcept nogil:
    """All threads of the epoch meet here (none waits when there is one thread)."""
    if n_threads > 1:
        fastgd_barrier(e.barrier, n_threads, sense)


cdef inline Inputs *listed(SmallEpoch *e, int t, int which) noexcept nogil:
    """Block t's list `which` (0 or 1), or NULL (all inputs) without skip_zero."""
    return &e.inputs[t][which] if e.skip_zero else NULL


cdef inline void list_inputs(SmallEpoch *e, int tid, int n_threads, Py_ssize_t batch,
                             Py_ssize_t rows, const floating *X, const Py_ssize_t *xidx,
                             int which, int *full_lists) noexcept nogil:
    """Into list `which` of this thread's blocks: their nonzero inputs in mini-batch number
    `batch`, the rows xidx[0:rows] of X (counted from each block's first input; the thread
    asked for those columns of the rows a step earlier). On data with no zeros every list comes
    out full: after FULL_LISTS of them in a row (counted in full_lists), only every
    FULL_LISTS-th mini-batch is listed, until one is not full again."""
    cdef int t = tid
    cdef bint full = True
    cdef Inputs *inputs
    if full_lists[0] < FULL_LISTS or batch % FULL_LISTS == 0:
        while t < e.n_blocks:
            inputs = &e.inputs[t][which]
            find_inputs(rows, e.row[t + 1] - e.row[t], X + e.row[t], e.sizes[0], xidx, inputs)
            full = full and inputs.n == e.row[t + 1] - e.row[t]
            t += n_threads
        full_lists[0] = full_lists[0] + 1 if full else 0
    else:
        while t < e.n_blocks:
            e.inputs[t][which].n = e.row[t + 1] - e.row[t]
            t += n_threads


cdef inline void forward_block(SmallEpoch *e, int t, Py_ssize_t rows, const Inputs *inputs,
                               const floating *X, const Py_ssize_t *xidx) noexcept nogil:
    """Block t's partial sum z0[t] of the first layer's forward product for the mini-batch of
    rows xidx[0:rows] of X."""
    cdef Py_ssize_t lanes = kernels.vector_bytes // sizeof(floating)
    forward_t(rows, e.row[t + 1] - e.row[t], inputs, X + e.row[t], e.sizes[0], xidx,
              <floating *>e.WT0[t], e.pads[0], 0, e.pads[0] // lanes,
              <floating *>(e.b0 if t == 0 else e.zeros), <floating *>e.z0[t])


cdef void small_epoch_thread(SmallEpoch *e, const floating *X, int tid, int n_threads) noexcept nogil:
    """One thread's share of an epoch through the small-shape kernels of dense.h.

    The first layer is the bulk of the work. Its inputs come in blocks, block t to thread
    t % n_threads: each thread updates its blocks' rows of W_0 for mini-batch t, then computes
    their partial sums of the forward product for mini-batch t+1, reading the rows where they
    lie in X (no copy), each thread only its blocks' columns; during the update it asks for
    those columns of the rows of mini-batch t+2. Both products run over the inputs that are
    nonzero in some row of their mini-batch (all of them without skip_zero), each block's
    listed by its thread. Thread 0 alone does the rest of each step (the sum of the partial
    products, the other layers, the deltas), while the others list their inputs of the next
    mini-batch (thread 0 lists its own after). Two barriers per step separate the phases. The
    mathematics is epoch_blas's.
    """
    cdef const int *sizes = e.sizes
    cdef const Py_ssize_t *pads = e.pads
    cdef int L = e.n_layers, t
    cdef floating **W = <floating **>e.W
    cdef floating **b = <floating **>e.b
    cdef floating **WT = <floating **>e.WT
    cdef floating **A = <floating **>e.A
    cdef const floating *Y = <const floating *>e.Y
    cdef floating *delta
    cdef floating *delta_prev
    cdef floating *swap
    cdef floating *z0 = <floating *>e.z0[0]
    cdef floating *rows_buf = <floating *>e.pad_rows_buf
    cdef floating *bias_buf = <floating *>e.pad_bias_buf
    cdef Py_ssize_t lanes = kernels.vector_bytes // sizeof(floating)
    cdef Py_ssize_t start = 0, rows, next_rows, l, later, ahead
    cdef floating scale
    cdef fastgd_prefetch pf
    cdef int full_lists = 0, sense = 0, now = 0     # now: the current mini-batch's lists
    pf.stride = sizes[0] * sizeof(floating)
    cdef unsigned int fp_state = fastgd_flush_denormals()

    rows = min(e.m_max, e.n_order)
    if tid == 0:
        for l in range(1, L):
            transpose_pad(sizes[l + 1], sizes[l], W[l], sizes[l], pads[l], WT[l])
        pad_rows(1, sizes[1], sizes[1], pads[0], b[0], <floating *>e.b0)
    if e.skip_zero:
        list_inputs(e, tid, n_threads, 0, rows, X, e.order, now, &full_lists)
    t = tid
    while t < e.n_blocks:
        transpose_pad(sizes[1], e.row[t + 1] - e.row[t], W[0] + e.row[t], sizes[0], pads[0],
                      <floating *>e.WT0[t])
        t += n_threads
    sync(e, n_threads, &sense)
    t = tid
    while t < e.n_blocks:
        forward_block(e, t, rows, listed(e, t, now), X, e.order)
        t += n_threads
    sync(e, n_threads, &sense)

    while start < e.n_order:
        rows = min(e.m_max, e.n_order - start)
        next_rows = min(e.m_max, e.n_order - start - rows)
        if e.skip_zero and (tid > 0 or n_threads == 1):
            list_inputs(e, tid, n_threads, start // e.m_max + 1, next_rows, X,
                         &e.order[start + rows], 1 - now, &full_lists)
        if tid == 0:
            # A_1 = sigma(z0[0] + z0[1] + ...), padding and all, as one run of rows.
            for t in range(1, e.n_blocks):
                add_inplace(rows * pads[0], <floating *>e.z0[t], z0)
            sigmoid_inplace(rows * pads[0], z0)
            unpad_rows(rows, sizes[1], pads[0], z0, sizes[1], A[1])
            delta = <floating *>e.delta
            delta_prev = <floating *>e.delta_prev
            for l in range(1, L):
                pad_rows(1, sizes[l + 1], sizes[l + 1], pads[l], b[l], bias_buf)
                forward_t(rows, sizes[l], NULL, A[l], sizes[l], NULL, WT[l], pads[l], 0,
                          pads[l] // lanes, bias_buf, rows_buf)
                unpad_rows(rows, sizes[l + 1], pads[l], rows_buf, sizes[l + 1], A[l + 1])
                sigmoid_inplace(rows * sizes[l + 1], A[l + 1])
            gather_rows(rows, sizes[L], Y, &e.order[start], delta_prev)
            output_delta(rows * sizes[L], A[L], delta_prev, delta)
            scale = -<floating>batch_scale(e.eta, rows, e.mean)
            for l in range(L - 1, 0, -1):
                # D_{l-1} = (D_l @ W_l) * sigma'(Z_{l-1}), from W_l before its update.
                pad_rows(rows, sizes[l + 1], sizes[l + 1], pads[l], delta, rows_buf)
                backward_t(rows, sizes[l], rows_buf, WT[l], pads[l], delta_prev,
                           <floating *>e.transpose_buf)
                sigmoid_prime_mul(rows * sizes[l], A[l], delta_prev)
                # C = -s D_l: W_l += C^T A_l and b_l += the column sums of C.
                scale_inplace(rows * sizes[l + 1], scale, delta)
                column_sums(rows, sizes[l + 1], <floating>1, delta, <floating>1, b[l])
                pad_rows(rows, sizes[l + 1], sizes[l + 1], pads[l], delta, rows_buf)
                update_t(rows, sizes[l], NULL, A[l], sizes[l], NULL, rows_buf, WT[l], pads[l],
                         0, pads[l] // lanes, NULL)
                swap = delta
                delta = delta_prev
                delta_prev = swap
            scale_inplace(rows * sizes[1], scale, delta)
            column_sums(rows, sizes[1], <floating>1, delta, <floating>1, b[0])
            pad_rows(rows, sizes[1], sizes[1], pads[0], delta, <floating *>e.c0)
            pad_rows(1, sizes[1], sizes[1], pads[0], b[0], <floating *>e.b0)
        sync(e, n_threads, &sense)
        if e.skip_zero and tid == 0 and n_threads > 1:
            list_inputs(e, tid, n_threads, start // e.m_max + 1, next_rows, X,
                         &e.order[start + rows], 1 - now, &full_lists)
        # The rows of mini-batch t+2, random rows of X far out of cache: each block asks for its
        # columns of them while its update computes; they are read from a step later.
        later = start + rows + next_rows
        ahead = min(e.m_max, e.n_order - later)
        pf.idx = &e.order[later]
        pf.n_rows = ahead
        # W_0 += C^T X_t on this thread's blocks, then their part of X_{t+1} W_0^T.
        t = tid
        while t < e.n_blocks:
            pf.base = <const char *>(X + e.row[t])
            pf.row_bytes = (e.row[t + 1] - e.row[t]) * sizeof(floating)
            update_t(rows, e.row[t + 1] - e.row[t], listed(e, t, now), X + e.row[t], sizes[0],
                     &e.order[start], <floating *>e.c0, <floating *>e.WT0[t], pads[0], 0,
                     pads[0] // lanes, &pf)
            forward_block(e, t, next_rows, listed(e, t, 1 - now), X, &e.order[start + rows])
            t += n_threads
        if tid == n_threads - 1:
            # The targets of mini-batch t+2, wanted by the serial phase a step from now.
            prefetch_rows(ahead, sizes[L], Y, &e.order[later])
        sync(e, n_threads, &sense)
        now = 1 - now
        start += rows

    t = tid
    while t < e.n_blocks:
        transpose_unpad(sizes[1], e.row[t + 1] - e.row[t], <floating *>e.WT0[t], pads[0],
                        W[0] + e.row[t], sizes[0])
        t += n_threads
    if tid == 0:
        for l in range(1, L):
            transpose_unpad(sizes[l + 1], sizes[l], WT[l], pads[l], W[l], sizes[l])
    fastgd_restore_fp(fp_state)


def train_epoch(list weights, list biases, const floating[:, ::1] X, const floating[:, ::1] Y,
                const Py_ssize_t[::1] order, Py_ssize_t mini_batch_size, double eta, bint mean,
                int n_threads=1):
    """Run SGD over the rows X[order] in consecutive mini-batches, updating weights in place.

    The samples order[0:m], order[m:2m], ... form the mini-batches; a last, shorter one is scaled
    by its own size. With mean, each update is W -= (eta / m) * sum of gradients, else eta * sum.
    Y holds the target rows (n, n_out). The whole run executes without the GIL, on up to
    n_threads threads for the small-kernel path, at most two (one per block of the first
    layer's inputs; the BLAS path uses BLAS's own threads); the small-kernel path gives the same
    bits whatever the number of threads.
    """
    global active_epochs
    active_epochs += 1
    try:
        _train_epoch(weights, biases, X, Y, order, mini_batch_size, eta, mean,
                     n_threads if active_epochs == 1 else 1)
    finally:
        active_epochs -= 1


def _train_epoch(list weights, list biases, const floating[:, ::1] X, const floating[:, ::1] Y,
                 const Py_ssize_t[::1] order, Py_ssize_t mini_batch_size, double eta, bint mean,
                 int n_threads):
    cdef Py_ssize_t n_layers = len(weights)
    cdef Py_ssize_t n = X.shape[0], n_order = order.shape[0]
    cdef Py_ssize_t i, l, widest = 0, widest_pad = 0, m_max
    cdef Py_ssize_t item = sizeof(floating), lanes = kernels.vector_bytes // sizeof(floating)
    cdef int t, n_blocks
    cdef bint bad_index = False
    cdef list keep = []
    cdef SmallEpoch e

    if mini_batch_size < 1:
        raise ValueError(f"mini_batch_size must be at least 1, got {mini_batch_size}")
    if n_threads < 1:
        raise ValueError(f"n_threads must be at least 1, got {n_threads}")
    if Y.shape[0] != n:
        raise ValueError(f"X has {n} rows but Y has {Y.shape[0]}")
    m_max = min(mini_batch_size, n_order)
    if m_max == 0:
        return
    if m_max > 2**31 - 1:
        raise ValueError("mini_batch_size must be below 2**31")
    cdef int *sizes = <int *>alloc(keep, n_layers + 1, sizeof(int))
    cdef floating **W = <floating **>alloc(keep, n_layers, sizeof(void *))
    cdef floating **b = <floating **>alloc(keep, n_layers, sizeof(void *))
    cdef floating **A = <floating **>alloc(keep, n_layers + 1, sizeof(void *))
    collect_layers(weights, biases, sizes, W, b)
    check_rows(X, sizes[0], "X")
    check_rows(Y, sizes[n_layers], "Y")
    with nogil:
        for i in range(n_order):
            if order[i] < 0 or order[i] >= n:
                bad_index = True
                break
    if bad_index:
        raise IndexError(f"order holds an index outside [0, {n})")

    for l in range(n_layers + 1):
        A[l] = <floating *>alloc(keep, m_max * sizes[l], item)
        if l > 0:
            widest = max(widest, sizes[l])
    cdef floating *delta = <floating *>alloc(keep, m_max * widest, item)
    cdef floating *delta_prev = <floating *>alloc(keep, m_max * widest, item)
    if m_max > small_batch_max:
        with nogil:
            epoch_blas(<int>n_layers, sizes, W, b, &X[0, 0], &Y[0, 0], &order[0], n_order,
                       m_max, eta, mean, A, delta, delta_prev)
        return

    cdef Py_ssize_t *pads = <Py_ssize_t *>alloc(keep, n_layers, sizeof(Py_ssize_t))
    cdef floating **WT = <floating **>alloc(keep, n_layers, sizeof(void *))
    for l in range(n_layers):
        # Each layer's transposed weights padded to whole cache lines, so that no line is
        # written by two threads.
        pads[l] = whole_lines(sizes[l + 1], item)
        if l > 0:
            widest_pad = max(widest_pad, pads[l])
            WT[l] = <floating *>alloc(keep, sizes[l] * pads[l], item)
    # The first layer in ROW_BLOCKS blocks of inputs (fewer if it has fewer inputs), split where
    # the first mini-batch's nonzero inputs divide evenly: on MNIST, the two halves of an image
    # share the work of most mini-batches about equally. The split depends on the data alone,
    # never on the number of threads, and so do the sums.
    cdef Inputs first
    first.cols = <Py_ssize_t *>alloc(keep, sizes[0], sizeof(Py_ssize_t))
    find_inputs(m_max, sizes[0], &X[0, 0], sizes[0], &order[0], &first)
    n_blocks = <int>min(ROW_BLOCKS, sizes[0])
    e.n_blocks = n_blocks
    e.row[0] = 0
    e.row[n_blocks] = sizes[0]
    for t in range(1, n_blocks):
        if first.n >= n_blocks:
            e.row[t] = first.cols[t * first.n // n_blocks]
        else:
            e.row[t] = t * sizes[0] // n_blocks
    for t in range(n_blocks):
        e.WT0[t] = alloc(keep, (e.row[t + 1] - e.row[t]) * pads[0], item)
        e.z0[t] = alloc(keep, m_max * pads[0], item)
        e.inputs[t] = <Inputs *>alloc(keep, 2, sizeof(Inputs))
        for i in range(2):
            e.inputs[t][i].n = 0
            e.inputs[t][i].cols = <Py_ssize_t *>alloc(keep, e.row[t + 1] - e.row[t],
                                                       sizeof(Py_ssize_t))
    e.c0 = alloc(keep, m_max * pads[0], item)
    e.b0 = alloc(keep, pads[0], item)
    e.zeros = alloc(keep, pads[0], item)
    memset(e.zeros, 0, pads[0] * item)
    e.barrier = <fastgd_spin_barrier *>alloc(keep, 1, sizeof(fastgd_spin_barrier))
    memset(e.barrier, 0, sizeof(fastgd_spin_barrier))
    e.n_layers = <int>n_layers
    e.sizes = sizes
    e.pads = pads
    e.W = <void **>W
    e.b = <void **>b
    e.WT = <void **>WT
    e.A = <void **>A
    e.X = &X[0, 0]
    e.Y = &Y[0, 0]
    e.order = &order[0]
    e.n_order = n_order
    e.m_max = m_max
    e.eta = eta
    e.mean = mean
    e.delta = delta
    e.delta_prev = delta_prev
    e.pad_rows_buf = alloc(keep, m_max * widest_pad, item)
    e.pad_bias_buf = alloc(keep, widest_pad, item)
    e.transpose_buf = alloc(keep, widest_pad * lanes, item)
    e.skip_zero = skip_zero_inputs
    with nogil, parallel(num_threads=min(n_threads, n_blocks)):
        small_epoch_thread(&e, &X[0, 0], threadid(), openmp.omp_get_num_threads())


def gradient(list weights, list biases, const floating[:, ::1] X, const floating[:, ::1] Y,
             list grad_weights, list grad_biases):
    """Write into grad_weights / grad_biases the gradient of (1/2) sum_x ||y(x) - a(x)||^2.

    The sum runs over all rows of X (no division by n): the same forward and backward code as
    train_epoch's BLAS path, with the gemm writing the gradient instead of updating the weights.
    """
    cdef Py_ssize_t n_layers = len(weights), n = X.shape[0], widest = 0, l
    cdef list keep = []

    if Y.shape[0] != n:
        raise ValueError(f"X has {n} rows but Y has {Y.shape[0]}")
    if n < 1 or n > 2**31 - 1:
        raise ValueError(f"the gradient needs between 1 and 2**31 - 1 rows, got {n}")
    cdef int *sizes = <int *>alloc(keep, n_layers + 1, sizeof(int))
    cdef int *grad_sizes = <int *>alloc(keep, n_layers + 1, sizeof(int))
    cdef floating **W = <floating **>alloc(keep, n_layers, sizeof(void *))
    cdef floating **b = <floating **>alloc(keep, n_layers, sizeof(void *))
    cdef floating **GW = <floating **>alloc(keep, n_layers, sizeof(void *))
    cdef floating **Gb = <floating **>alloc(keep, n_layers, sizeof(void *))
    cdef floating **A = <floating **>alloc(keep, n_layers + 1, sizeof(void *))
    collect_layers(weights, biases, sizes, W, b)
    collect_layers(grad_weights, grad_biases, grad_sizes, GW, Gb)
    for l in range(n_layers + 1):
        if grad_sizes[l] != sizes[l]:
            raise ValueError("the gradient arrays do not have the shapes of the network")
    check_rows(X, sizes[0], "X")
    check_rows(Y, sizes[n_layers], "Y")
    A[0] = <floating *>&X[0, 0]
    for l in range(1, n_layers + 1):
        A[l] = <floating *>alloc(keep, n * sizes[l], sizeof(floating))
        widest = max(widest, sizes[l])
    cdef floating *delta = <floating *>alloc(keep, n * widest, sizeof(floating))
    cdef floating *delta_prev = <floating *>alloc(keep, n * widest, sizeof(floating))
    with nogil:
        forward(<int>n_layers, sizes, W, b, <int>n, A)
        backward(<int>n_layers, sizes, W, <int>n, A, &Y[0, 0], delta, delta_prev,
                 GW, Gb, <floating>1, <floating>0)


cdef enum:
    # Layers no wider than this feed forward through the small-shape kernels (their transposed
    # weights stay in L2 while rows stream past); wider ones through BLAS gemm.
    NARROW_MAX = 128
    # Rows per call of the small-shape forward kernel when feeding a whole data set forward.
    FORWARD_CHUNK = 96


cdef Py_ssize_t forward_rows_t(int n_layers, const int *sizes, const Py_ssize_t *pads,
                               floating **WT, floating **b_pad, const floating *X,
                               Py_ssize_t n_rows, floating *out, floating *z, floating *a0,
                               floating *a1, bint check_finite) noexcept nogil:
    """out = the network's output for the n_rows rows of X, FORWARD_CHUNK rows at a time,
    through the transposed weights WT and padded biases b_pad; z, a0, a1 are this thread's.

    With check_finite, each chunk of X is first checked while it is on its way into the cache;
    the flat index (into X) of the first NaN or infinity stops the work and is returned, else -1.
    """
    cdef Py_ssize_t start = 0, rows, l, bad = -1
    cdef Py_ssize_t lanes = kernels.vector_bytes // sizeof(floating)
    cdef const floating *a_in
    cdef floating *a_out
    cdef unsigned int fp_state = fastgd_flush_denormals()
    while start < n_rows:
        rows = min(<Py_ssize_t>FORWARD_CHUNK, n_rows - start)
        a_in = X + start * sizes[0]
        if check_finite:
            bad = first_nonfinite(rows * sizes[0], a_in)
            if bad >= 0:
                bad += start * sizes[0]
                break
        for l in range(n_layers):
            forward_t(rows, sizes[l], NULL, a_in, sizes[l], NULL, WT[l], pads[l], 0,
                      pads[l] // lanes, b_pad[l], z)
            a_out = out + start * sizes[n_layers] if l == n_layers - 1 else (a0 if l % 2 == 0 else a1)
            unpad_rows(rows, sizes[l + 1], pads[l], z, sizes[l + 1], a_out)
            sigmoid_inplace(rows * sizes[l + 1], a_out)
            a_in = a_out
        start += rows
    fastgd_restore_fp(fp_state)
    return bad


def feedforward(list weights, list biases, const floating[:, ::1] X, floating[:, ::1] out,
                int n_threads=1, bint check_finite=False):
    """out = the output activations of the network for every row of X.

    Narrow networks (no layer wider than NARROW_MAX) go through the small-shape kernels, the rows
    split between n_threads threads; others through BLAS gemm in blocks of rows. With
    check_finite, returns the flat index into X of its first NaN or infinity (out is then
    incomplete), else -1.
    """
    cdef Py_ssize_t n_layers = len(weights), n = X.shape[0], start, rows, l
    cdef Py_ssize_t block = min(<Py_ssize_t>FORWARD_BLOCK, n), widest = 0, widest_pad = 0
    cdef Py_ssize_t item = sizeof(floating), r0, r1, bad = -1
    cdef Py_ssize_t first_bad[MAX_THREADS]
    cdef int t, tid, threads_now
    cdef bint narrow = True
    cdef list keep = []
    cdef Py_ssize_t *pads
    cdef floating **WT
    cdef floating **b_pad
    cdef floating *z[MAX_THREADS]
    cdef floating *a0[MAX_THREADS]
    cdef floating *a1[MAX_THREADS]

    if out.shape[0] != n:
        raise ValueError(f"X has {n} rows but out has {out.shape[0]}")
    if n_threads < 1:
        raise ValueError(f"n_threads must be at least 1, got {n_threads}")
    if n == 0:
        return -1
    n_threads = min(n_threads, MAX_THREADS, (n + FORWARD_CHUNK - 1) // FORWARD_CHUNK)
    cdef int *sizes = <int *>alloc(keep, n_layers + 1, sizeof(int))
    cdef floating **W = <floating **>alloc(keep, n_layers, sizeof(void *))
    cdef floating **b = <floating **>alloc(keep, n_layers, sizeof(void *))
    collect_layers(weights, biases, sizes, W, b)
    check_rows(X, sizes[0], "X")
    check_rows(out, sizes[n_layers], "out")
    for l in range(1, n_layers + 1):
        narrow = narrow and sizes[l] <= NARROW_MAX
        widest = max(widest, sizes[l])

    if narrow:
        pads = <Py_ssize_t *>alloc(keep, n_layers, sizeof(Py_ssize_t))
        WT = <floating **>alloc(keep, n_layers, sizeof(void *))
        b_pad = <floating **>alloc(keep, n_layers, sizeof(void *))
        for l in range(n_layers):
            pads[l] = whole_lines(sizes[l + 1], item)
            widest_pad = max(widest_pad, pads[l])
            WT[l] = <floating *>alloc(keep, sizes[l] * pads[l], item)
            b_pad[l] = <floating *>alloc(keep, pads[l], item)
            transpose_pad(sizes[l + 1], sizes[l], W[l], sizes[l], pads[l], WT[l])
            pad_rows(1, sizes[l + 1], sizes[l + 1], pads[l], b[l], b_pad[l])
        for t in range(n_threads):
            z[t] = <floating *>alloc(keep, FORWARD_CHUNK * widest_pad, item)
            a0[t] = <floating *>alloc(keep, FORWARD_CHUNK * widest, item)
            a1[t] = <floating *>alloc(keep, FORWARD_CHUNK * widest, item)
            first_bad[t] = -1
        with nogil, parallel(num_threads=n_threads):
            tid = threadid()
            threads_now = openmp.omp_get_num_threads()
            r0 = n * tid // threads_now
            r1 = n * (tid + 1) // threads_now
            first_bad[tid] = forward_rows_t(
                <int>n_layers, sizes, pads, WT, b_pad, &X[0, 0] + r0 * sizes[0], r1 - r0,
                &out[0, 0] + r0 * sizes[n_layers], z[tid], a0[tid], a1[tid], check_finite)
            if first_bad[tid] >= 0:
                first_bad[tid] += r0 * sizes[0]
        # Threads hold consecutive ranges of rows: the first one that found any, found the first.
        for t in range(n_threads):
            if first_bad[t] >= 0:
                return first_bad[t]
        return -1

    cdef floating **A = <floating **>alloc(keep, n_layers + 1, sizeof(void *))
    for l in range(1, n_layers):
        A[l] = <floating *>alloc(keep, block * sizes[l], item)
    with nogil:
        start = 0
        while start < n:
            rows = min(block, n - start)
            if check_finite:
                bad = first_nonfinite(rows * sizes[0], &X[start, 0])
                if bad >= 0:
                    bad += start * sizes[0]
                    break
            # The block reads its rows of X in place and writes its rows of out in place.
            A[0] = <floating *>&X[start, 0]
            A[n_layers] = &out[start, 0]
            forward(<int>n_layers, sizes, W, b, <int>rows, A)
            start += rows
    return bad
