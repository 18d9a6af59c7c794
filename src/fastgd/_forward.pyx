"""The network's output for a whole data set, two ways.

Through the small kernels (for narrow networks, whose transposed weights stay in L2 while the
rows stream past): the rows split into one consecutive range per thread (threads of the core's
own: csrc/threads.h), each thread feeding
ROWS_PER_CALL rows at a time through every layer. Through BLAS (for wide layers): blocks of
FORWARD_BLOCK rows, one gemm per layer, on BLAS's threads. Either way the rows of X can be
checked for NaN and infinity as they are read, so that the public API needs no separate pass.
"""
from fpmode cimport fastgd_flush_subnormals, fastgd_restore_fp
from threads cimport fastgd_run_threads

from fastgd._blas_path cimport forward
from fastgd._kernels cimport first_nonfinite, forward_t, lanes, pad_rows, sigmoid_inplace, \
    transpose_pad, unpad_rows
from fastgd._scratch cimport scratch, whole_lines

# The limits, for the thread policy (fastgd._policy).
MAX_THREADS = FORWARD_MAX_THREADS
ROWS_PER_THREAD_CALL = ROWS_PER_CALL

cdef enum:
    # Rows per block through BLAS: enough for gemm to run near its peak, few enough that the
    # activations of a block stay in cache.
    FORWARD_BLOCK = 2048


cdef struct Rows:
    # What the threads of one feedforward share; float pointers of the call's dtype.
    const fastgd_kernels *kernels
    const Net *net
    const Py_ssize_t *pads
    void **WT                           # WT[l]: W_l transposed and padded
    void **b_pad                        # b_l padded
    const void *X
    Py_ssize_t n_rows
    void *out
    bint check_finite
    void *z[FORWARD_MAX_THREADS]        # each thread's work space
    void *a0[FORWARD_MAX_THREADS]
    void *a1[FORWARD_MAX_THREADS]
    Py_ssize_t first_bad[FORWARD_MAX_THREADS]


cdef Py_ssize_t forward_small(const fastgd_kernels *k, const Net *net, const floating *X,
                              Py_ssize_t n_rows, floating *out, int n_threads,
                              bint check_finite) except -2:
    """out = the output for the n_rows rows of X, on n_threads threads (1 ..
    FORWARD_MAX_THREADS) of the core's own. With check_finite, returns the flat index into X of
    its first NaN or infinity (out is then incomplete), else -1."""
    cdef const int *sizes = net.sizes
    cdef int L = net.n_layers, t, started
    cdef Py_ssize_t item = sizeof(floating), widest = 0, widest_pad = 0, l
    cdef Rows job
    cdef list keep = []
    if not 1 <= n_threads <= FORWARD_MAX_THREADS:
        raise ValueError(f"feedforward runs on 1 to {FORWARD_MAX_THREADS} threads, got "
                         f"n_threads={n_threads}")
    cdef Py_ssize_t *pads = <Py_ssize_t *>scratch(keep, L, sizeof(Py_ssize_t))
    cdef floating **WT = <floating **>scratch(keep, L, sizeof(void *))
    cdef floating **b_pad = <floating **>scratch(keep, L, sizeof(void *))
    for l in range(L):
        pads[l] = whole_lines(sizes[l + 1], item)
        widest = max(widest, sizes[l + 1])
        widest_pad = max(widest_pad, pads[l])
        WT[l] = <floating *>scratch(keep, sizes[l] * pads[l], item)
        b_pad[l] = <floating *>scratch(keep, pads[l], item)
        transpose_pad(sizes[l + 1], sizes[l], (<floating **>net.W)[l], sizes[l], pads[l], WT[l])
        pad_rows(1, sizes[l + 1], sizes[l + 1], pads[l], (<floating **>net.b)[l], b_pad[l])
    job.kernels = k
    job.net = net
    job.pads = pads
    job.WT = <void **>WT
    job.b_pad = <void **>b_pad
    job.X = X
    job.n_rows = n_rows
    job.out = out
    job.check_finite = check_finite
    for t in range(n_threads):
        job.z[t] = scratch(keep, ROWS_PER_CALL * widest_pad, item)
        job.a0[t] = scratch(keep, ROWS_PER_CALL * widest, item)
        job.a1[t] = scratch(keep, ROWS_PER_CALL * widest, item)
        job.first_bad[t] = -1
    with nogil:
        if floating is double:
            started = fastgd_run_threads(n_threads, rows_thread_d, &job)
        else:
            started = fastgd_run_threads(n_threads, rows_thread_s, &job)
    # Threads hold consecutive ranges of rows: the first one that found any, found the first.
    for t in range(started):
        if job.first_bad[t] >= 0:
            return job.first_bad[t]
    return -1


cdef void rows_thread(Rows *job, const floating *X, int tid, int n_threads) noexcept nogil:
    """Thread tid's consecutive share of the rows."""
    cdef const int *sizes = job.net.sizes
    cdef Py_ssize_t first = job.n_rows * tid // n_threads
    cdef Py_ssize_t last = job.n_rows * (tid + 1) // n_threads
    cdef Py_ssize_t bad = forward_rows(
        job.kernels, job.net, job.pads, <floating **>job.WT, <floating **>job.b_pad,
        X + first * sizes[0], last - first, <floating *>job.out + first * sizes[job.net.n_layers],
        <floating *>job.z[tid], <floating *>job.a0[tid], <floating *>job.a1[tid],
        job.check_finite)
    job.first_bad[tid] = bad + first * sizes[0] if bad >= 0 else -1


cdef void rows_thread_d(void *job, int tid, int n_threads) noexcept nogil:
    rows_thread(<Rows *>job, <const double *>(<Rows *>job).X, tid, n_threads)


cdef void rows_thread_s(void *job, int tid, int n_threads) noexcept nogil:
    rows_thread(<Rows *>job, <const float *>(<Rows *>job).X, tid, n_threads)


cdef Py_ssize_t forward_rows(const fastgd_kernels *k, const Net *net, const Py_ssize_t *pads,
                             floating **WT, floating **b_pad, const floating *X,
                             Py_ssize_t n_rows, floating *out, floating *z, floating *a0,
                             floating *a1, bint check_finite) noexcept nogil:
    """One thread's rows: out = the output for the n_rows rows of X, ROWS_PER_CALL at a time
    through the transposed weights WT and padded biases b_pad; z, a0, a1 are this thread's.
    With check_finite each call's rows are checked on their way into the cache; the flat index
    (into X) of the first NaN or infinity stops the work and is returned, else -1."""
    cdef const int *sizes = net.sizes
    cdef int L = net.n_layers
    cdef Py_ssize_t start = 0, rows, l, bad = -1
    cdef const floating *a_in
    cdef floating *a_out
    cdef unsigned int fp_state = fastgd_flush_subnormals()
    while start < n_rows:
        rows = min(<Py_ssize_t>ROWS_PER_CALL, n_rows - start)
        a_in = X + start * sizes[0]
        if check_finite:
            bad = first_nonfinite(rows * sizes[0], a_in)
            if bad >= 0:
                bad += start * sizes[0]
                break
        for l in range(L):
            forward_t(k, rows, sizes[l], NULL, a_in, sizes[l], NULL, WT[l], pads[l], 0,
                      pads[l] // lanes(k, sizeof(floating)), b_pad[l], z)
            a_out = out + start * sizes[L] if l == L - 1 else (a0 if l % 2 == 0 else a1)
            unpad_rows(rows, sizes[l + 1], pads[l], z, sizes[l + 1], a_out)
            sigmoid_inplace(k, rows * sizes[l + 1], a_out)
            a_in = a_out
        start += rows
    fastgd_restore_fp(fp_state)
    return bad


cdef Py_ssize_t forward_blas(const fastgd_kernels *k, const Net *net, const floating *X,
                             Py_ssize_t n_rows, floating *out, bint check_finite) except -2:
    """out = the output for the n_rows rows of X, FORWARD_BLOCK rows at a time through gemm.
    With check_finite each block of X is checked first; returns the flat index into X of the
    first NaN or infinity (out is then incomplete), else -1."""
    cdef const int *sizes = net.sizes
    cdef int L = net.n_layers, l
    cdef Py_ssize_t block = min(<Py_ssize_t>FORWARD_BLOCK, n_rows), start = 0, rows, bad = -1
    cdef list keep = []
    cdef floating **A = <floating **>scratch(keep, L + 1, sizeof(void *))
    for l in range(1, L):
        A[l] = <floating *>scratch(keep, block * sizes[l], sizeof(floating))
    with nogil:
        while start < n_rows:
            rows = min(block, n_rows - start)
            if check_finite:
                bad = first_nonfinite(rows * sizes[0], X + start * sizes[0])
                if bad >= 0:
                    bad += start * sizes[0]
                    break
            # The block reads its rows of X and writes its rows of out in place.
            A[0] = <floating *>(X + start * sizes[0])
            A[L] = out + start * sizes[L]
            forward(k, net, <int>rows, A)
            start += rows
    return bad
