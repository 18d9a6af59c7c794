"""The network's output for a whole data set, two ways.

Through the small kernels (for narrow networks, whose transposed weights stay in L2 while the
rows stream past): the rows split into one consecutive range per thread (threads of the core's
own: csrc/threads.h), each thread feeding
ROWS_PER_CALL rows at a time through every layer. Through BLAS (for wide layers): blocks of
FORWARD_BLOCK rows, one gemm per layer, on BLAS's threads. Either way the rows of X can be
checked for NaN and infinity as they are read, so that the public API needs no separate pass.
Rows of bytes (pixels as stored) are converted a block at a time through a table of x / 255.

With check_finite the weighted inputs Z_l of every layer are looked at too, before their
sigmoid: a NaN or infinity there means a sum of products overflowed (inputs of 1e308, say),
whose value depends on the order of the sum, so that the two ways would give different
made-up outputs (sigma(+-inf) is a finite 1 or 0). It is reported instead, by row.

The entry points return one code: -1 when all is well; i >= 0, the flat index into X of its
first NaN or infinity; or overflow_code(r) <= -2 for row r, whose weighted inputs overflowed.
"""
from fpmode cimport fastgd_flush_subnormals, fastgd_restore_fp
from threads cimport fastgd_run_threads

from fastgd.core._blas_path cimport forward, forward_checked
from fastgd.core._job cimport Rows
from fastgd.core._kernels cimport Inputs, find_inputs, find_inputs_bytes, first_nonfinite, \
    forward_bytes, forward_t, lanes, pad_rows, rows_from_bytes, activate, transpose_pad, \
    unpad_rows
from fastgd.core._scratch cimport scratch, whole_lines

# The limits, for the thread policy (fastgd.core.policy).
MAX_THREADS = FORWARD_MAX_THREADS
ROWS_PER_THREAD_CALL = ROWS_PER_CALL

cdef enum:
    # Rows per block through BLAS: enough for gemm to run near its peak, few enough that the
    # activations of a block stay in cache.
    FORWARD_BLOCK = 2048
    # Rows per group of the first layer's product through the small kernels, each group over
    # the inputs nonzero in one of its rows: on MNIST about half of the 784 pixels for 12
    # images (a few per cent fewer than for the 96 of a call). A register tile's worth of rows.
    GROUP_ROWS = 12


cdef struct Shared:
    # What the threads of one feedforward share; float pointers of the call's dtype.
    const fastgd_kernels *kernels
    const Net *net
    const Py_ssize_t *pads
    void **WT                           # WT[l]: W_l transposed and padded
    void **b_pad                        # b_l padded
    const Rows *X
    Py_ssize_t n_rows
    void *out
    bint check_finite
    void *z[FORWARD_MAX_THREADS]        # each thread's work space
    void *a0[FORWARD_MAX_THREADS]
    void *a1[FORWARD_MAX_THREADS]
    void *listed[FORWARD_MAX_THREADS]   # Inputs with room for sizes[0] columns
    const Py_ssize_t *consecutive       # 0, 1, ..., GROUP_ROWS - 1
    Py_ssize_t first_bad[FORWARD_MAX_THREADS]


cdef inline Py_ssize_t overflow_code(Py_ssize_t row) noexcept nogil:
    return -2 - row


cdef Py_ssize_t forward_small(const fastgd_kernels *k, const Net *net, const Rows *X,
                              Py_ssize_t n_rows, floating *out, int n_threads,
                              bint check_finite) except? -3:
    """out = the output for the n_rows rows of X, on n_threads threads (1 ..
    FORWARD_MAX_THREADS) of the core's own. Returns the code of the module's docstring (with
    check_finite; -1 without): out is incomplete unless it is -1."""
    cdef const int *sizes = net.sizes
    cdef int L = net.n_layers, t, started
    cdef Py_ssize_t item = sizeof(floating), widest = 0, widest_pad = 0, l
    cdef Shared shared
    cdef Inputs *listed
    cdef Py_ssize_t *consecutive
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
    shared.kernels = k
    shared.net = net
    shared.pads = pads
    shared.WT = <void **>WT
    shared.b_pad = <void **>b_pad
    shared.X = X
    shared.n_rows = n_rows
    shared.out = out
    shared.check_finite = check_finite
    consecutive = <Py_ssize_t *>scratch(keep, GROUP_ROWS, sizeof(Py_ssize_t))
    for t in range(GROUP_ROWS):
        consecutive[t] = t
    shared.consecutive = consecutive
    for t in range(n_threads):
        shared.z[t] = scratch(keep, ROWS_PER_CALL * widest_pad, item)
        shared.a0[t] = scratch(keep, ROWS_PER_CALL * widest, item)
        shared.a1[t] = scratch(keep, ROWS_PER_CALL * widest, item)
        listed = <Inputs *>scratch(keep, 1, sizeof(Inputs))
        listed.cols = <Py_ssize_t *>scratch(keep, sizes[0], sizeof(Py_ssize_t))
        shared.listed[t] = listed
        shared.first_bad[t] = -1
    with nogil:
        if floating is double:
            started = fastgd_run_threads(n_threads, rows_thread_d, &shared)
        else:
            started = fastgd_run_threads(n_threads, rows_thread_s, &shared)
    # Threads hold consecutive ranges of rows: the first one that found any, found the first.
    for t in range(started):
        if shared.first_bad[t] != -1:
            return shared.first_bad[t]
    return -1


cdef void rows_thread(Shared *shared, int tid, int n_threads, floating *out) noexcept nogil:
    """Thread tid's consecutive share of the rows."""
    cdef const int *sizes = shared.net.sizes
    cdef Py_ssize_t first = shared.n_rows * tid // n_threads
    cdef Py_ssize_t last = shared.n_rows * (tid + 1) // n_threads
    cdef Rows part = shared.X[0]
    part.data = <const char *>shared.X.data + first * sizes[0] * (
        1 if shared.X.bytes else sizeof(floating))
    cdef Py_ssize_t bad = forward_rows(
        shared.kernels, shared.net, shared.pads, <floating **>shared.WT,
        <floating **>shared.b_pad, &part, last - first,
        out + first * sizes[shared.net.n_layers], <floating *>shared.z[tid],
        <floating *>shared.a0[tid], <floating *>shared.a1[tid], <Inputs *>shared.listed[tid],
        shared.consecutive, shared.check_finite)
    if bad >= 0:
        shared.first_bad[tid] = bad + first * sizes[0]
    elif bad <= -2:
        shared.first_bad[tid] = overflow_code(-2 - bad + first)
    else:
        shared.first_bad[tid] = -1


cdef void rows_thread_d(void *shared, int tid, int n_threads) noexcept nogil:
    rows_thread(<Shared *>shared, tid, n_threads, <double *>(<Shared *>shared).out)


cdef void rows_thread_s(void *shared, int tid, int n_threads) noexcept nogil:
    rows_thread(<Shared *>shared, tid, n_threads, <float *>(<Shared *>shared).out)


cdef Py_ssize_t forward_rows(const fastgd_kernels *k, const Net *net, const Py_ssize_t *pads,
                             floating **WT, floating **b_pad, const Rows *X,
                             Py_ssize_t n_rows, floating *out, floating *z, floating *a0,
                             floating *a1, Inputs *listed, const Py_ssize_t *consecutive,
                             bint check_finite) noexcept nogil:
    """One thread's rows: out = the output for the n_rows rows of X, ROWS_PER_CALL at a time
    through the transposed weights WT and padded biases b_pad; z, a0, a1 and listed are this
    thread's. The first layer reads X where it lies (bytes through their table), GROUP_ROWS
    rows at a time over the inputs nonzero in the group (the terms left out are exact zeros).
    With check_finite each call's rows are checked on their way into the cache, and each
    layer's weighted inputs before their sigmoid; the first problem stops the work and its code
    is returned (the module's docstring; rows counted from X's first), else -1."""
    cdef const int *sizes = net.sizes
    cdef int L = net.n_layers
    cdef Py_ssize_t start = 0, rows, l, bad = -1, g, group
    cdef Py_ssize_t q1 = pads[0] // lanes(k, sizeof(floating))
    cdef const unsigned char *bytes_in
    cdef const floating *a_in
    cdef floating *a_out
    cdef unsigned int fp_state = fastgd_flush_subnormals()
    while start < n_rows:
        rows = min(<Py_ssize_t>ROWS_PER_CALL, n_rows - start)
        bytes_in = <const unsigned char *>X.data + start * sizes[0]
        a_in = <const floating *>X.data + start * sizes[0]
        if check_finite and not X.bytes:
            bad = first_nonfinite(rows * sizes[0], a_in)
            if bad >= 0:
                bad += start * sizes[0]
                break
        g = 0
        while g < rows:
            group = min(<Py_ssize_t>GROUP_ROWS, rows - g)
            if X.bytes:
                find_inputs_bytes(k, group, sizes[0], bytes_in + g * sizes[0], sizes[0],
                                  consecutive, listed)
                forward_bytes(k, group, sizes[0], listed, bytes_in + g * sizes[0], sizes[0],
                              NULL, <const floating *>X.lut, WT[0], pads[0], 0, q1, b_pad[0],
                              z + g * pads[0])
            else:
                find_inputs(k, group, sizes[0], a_in + g * sizes[0], sizes[0], consecutive,
                            listed)
                forward_t(k, group, sizes[0], listed, a_in + g * sizes[0], sizes[0], NULL,
                          WT[0], pads[0], 0, q1, b_pad[0], z + g * pads[0])
            g += group
        for l in range(L):
            if l > 0:
                forward_t(k, rows, sizes[l], NULL, a_in, sizes[l], NULL, WT[l], pads[l], 0,
                          pads[l] // lanes(k, sizeof(floating)), b_pad[l], z)
            a_out = out + start * sizes[L] if l == L - 1 else (a0 if l % 2 == 0 else a1)
            unpad_rows(rows, sizes[l + 1], pads[l], z, sizes[l + 1], a_out)
            if check_finite:
                g = first_nonfinite(rows * sizes[l + 1], a_out)
                if g >= 0:
                    bad = overflow_code(start + g // sizes[l + 1])
                    break
            activate(net.act[l], k, rows, sizes[l + 1], a_out)
            a_in = a_out
        if bad != -1:
            break
        start += rows
    fastgd_restore_fp(fp_state)
    return bad


cdef Py_ssize_t forward_blas(const fastgd_kernels *k, const Net *net, const Rows *X,
                             Py_ssize_t n_rows, floating *out, bint check_finite) except? -3:
    """out = the output for the n_rows rows of X, FORWARD_BLOCK rows at a time through gemm.
    With check_finite each block of X is checked first, and every layer's weighted inputs;
    returns the code of the module's docstring (out is incomplete unless it is -1)."""
    cdef const int *sizes = net.sizes
    cdef int L = net.n_layers, l
    cdef Py_ssize_t block = min(<Py_ssize_t>FORWARD_BLOCK, n_rows), start = 0, rows, bad = -1
    cdef Py_ssize_t overflow
    cdef list keep = []
    cdef floating **A = <floating **>scratch(keep, L + 1, sizeof(void *))
    cdef floating *x_rows = <floating *>scratch(keep, block * sizes[0] if X.bytes else 0,
                                                sizeof(floating))
    for l in range(1, L):
        A[l] = <floating *>scratch(keep, block * sizes[l], sizeof(floating))
    with nogil:
        while start < n_rows:
            rows = min(block, n_rows - start)
            if X.bytes:
                rows_from_bytes(rows, sizes[0], <const unsigned char *>X.data + start * sizes[0],
                                sizes[0], NULL, <const floating *>X.lut, x_rows)
                A[0] = x_rows
            else:
                if check_finite:
                    bad = first_nonfinite(rows * sizes[0],
                                          <const floating *>X.data + start * sizes[0])
                    if bad >= 0:
                        bad += start * sizes[0]
                        break
                # The block reads its rows of X in place.
                A[0] = <floating *>X.data + start * sizes[0]
            A[L] = out + start * sizes[L]
            if check_finite:
                overflow = forward_checked(k, net, <int>rows, A)
                if overflow >= 0:
                    bad = overflow_code(start + overflow)
                    break
            else:
                forward(k, net, <int>rows, A)
            start += rows
    return bad
