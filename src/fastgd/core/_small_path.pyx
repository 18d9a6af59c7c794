"""The small-kernel path: mini-batches of a few rows (the book's m=10, online learning) through
the small-shape kernels of csrc/dense*.c, on one or two threads of the core's own
(csrc/threads.h).

For the run of mini-batches each layer's weights are held transposed and padded to whole cache
lines (WT_l, sizes[l] x pads[l]), so every product is a run of broadcast-multiply-adds into
vector registers. The first layer is the bulk of the work. Its inputs come in INPUT_BLOCKS
blocks, split where the first mini-batch's nonzero inputs divide evenly (on MNIST, about the top
and bottom halves of an image) and never by the thread count, so the sums and the bits are the
same on one thread or two. Block b belongs to thread b % n_threads, which keeps its own rows of
WT_0 and its own partial sum z0[b] of the forward product. A step of mini-batch t:

    thread 0      A_1 = f_0(z0[0] + z0[1]) (in that order); the other layers forward; the
                  output delta; the deltas and updates of the layers above the first; C_0 = -s D_0
    (barrier)
    every thread  W_0 += C_0^T X_t on its blocks, then its blocks' part of X_{t+1} W_0^T,
                  prefetching its columns of the rows of mini-batch t+2 between update tiles
    (barrier)

A penalty or momentum (fastgd._job.Update) changes only the updates: without momentum the
penalty's step goes onto W_l (its blocks of WT_0 by each thread) before the data's; with it, the
data step goes into a zeroed S_l of W_l's layout, and one pass moves the velocity V_l (held
transposed and padded like W_l for the run) and W_l. Either way every weight moves every step,
also those of the inputs the products skip.

Dropout (fastgd._job.Dropout) is thread 0's too: the masks of the hidden layers' outputs A_l
(l >= 1) are drawn in the serial step, the layer above and W_l's update read A_l masked, and
D_{l-1} is multiplied by the mask; the first layer's update reads only X and C_0, which the
masks have already shaped.

The first layer's products leave out the inputs that are zero in every row of the mini-batch
(exact zeros: no sum changes), each thread listing its blocks' nonzero inputs of the next
mini-batch while thread 0 does the serial work. The rows are read where they lie in X, never
copied; rows of bytes (the pixels as stored) are read through a table of x / 255, so they give
the bits of float rows of those values while taking a quarter or an eighth of the memory
traffic.
"""
from libc.string cimport memset

from barrier cimport fastgd_barrier, fastgd_barrier_wait
from fpmode cimport fastgd_flush_subnormals, fastgd_restore_fp
from threads cimport fastgd_run_threads

from fastgd.core._job cimport Rows, Update, batch_scale, drops, plain, weighted_scale
from fastgd.core._kernels cimport (activate, activation_prime_mul, add_inplace, backward_t,
                              column_sums, cost_value, dropout_mask, find_inputs, mask_mul,
                              momentum_apply, penalise_first, weigh_rows, weighted_cost,
                              find_inputs_bytes, forward_bytes, forward_t, update_bytes,
                              gather_rows, lanes, output_delta, pad_rows, prefetch_rows,
                              scale_inplace, transpose_pad,
                              transpose_unpad, unpad_rows, update_t)
from fastgd.core._scratch cimport scratch, whole_lines

# The limit, for the thread policy (fastgd.core.policy).
MAX_THREADS = INPUT_BLOCKS


cdef enum:
    # Consecutive full lists of nonzero inputs after which the run lists only every
    # FULL_LISTS-th mini-batch (on data without zeros listing is pure cost), until one is not
    # full again.
    FULL_LISTS = 8


cdef struct Shared:
    # What the threads of one run share; float pointers of the run's dtype.
    const fastgd_kernels *kernels
    const Net *net
    const Chunk *chunk
    const void *X               # the inputs' rows: floats, or bytes when x_bytes
    bint x_bytes
    Py_ssize_t x_item           # bytes per element of X
    const void *lut             # with bytes: lut[x] = x / 255
    const void *Y
    const Py_ssize_t *pads      # pads[l]: sizes[l+1] rounded up to whole cache lines
    void **WT                   # WT[l]: W_l transposed and padded, sizes[l] x pads[l] (l > 0)
    void **A                    # A[l]: activations, m x sizes[l], l > 0 (the inputs stay in X)
    # With dropout (fastgd._job.Dropout) at A_l: its mask M[l] and the masked A_l, AD[l], which
    # the layer above reads (AD[l] is A[l] and M[l] NULL where nothing is dropped).
    void **M
    void **AD
    void *delta                 # m x max(sizes[1:]) each
    void *delta_prev
    void *padded_rows           # padded rows of the layers above the first, m x max(pads)
    void *padded_bias           # a padded bias of those layers, max(pads)
    void *transposed            # a block of deltas transposed, max(pads) vectors
    # The first layer by blocks of inputs [block_start[b], block_start[b + 1]).
    int n_blocks
    Py_ssize_t block_start[INPUT_BLOCKS + 1]
    void *WT0[INPUT_BLOCKS]     # block b's rows of WT_0
    void *z0[INPUT_BLOCKS]      # m x pads[0]: b_0 (block 0) or 0, plus the sum over the block
    void *c0                    # C_0 = -s D_0, m x pads[0], padding zero
    void *b0                    # b_0 padded, pads[0]
    void *zeros                 # pads[0] zeros: where the other blocks' sums start
    # With skip_zero, block b's nonzero inputs of two consecutive mini-batches, inputs[b][0]
    # and inputs[b][1], taking turns as the current one; the pair on a cache line of its own,
    # as one thread writes and reads it.
    bint skip_zero
    Inputs *inputs[INPUT_BLOCKS]
    fastgd_barrier *barrier     # on a cache line of its own, zeroed
    double cost_sum             # each mini-batch's cost before its update, summed (thread 0)
    # With momentum: each layer's data step S and velocity V in WT's layout (layer 0 by
    # blocks), and a bias's data step.
    const Update *update
    void **ST
    void **VT
    void *ST0[INPUT_BLOCKS]
    void *VT0[INPUT_BLOCKS]
    void *step_bias


cdef int train(const fastgd_kernels *k, const Net *net, const Chunk *chunk, const Rows *X,
               const floating *Y, int n_threads, bint skip_zero_inputs,
               Py_ssize_t input_split, double *cost_sum) except -1:
    """Train the mini-batches of chunk on n_threads threads (1 .. MAX_THREADS); the same bits
    whatever n_threads is. input_split (1 .. sizes[0] - 1) is where the first layer's inputs
    are split into its two blocks; -1: where this call's first mini-batch divides them.
    cost_sum: the cost of each mini-batch before its update is added to it, in order."""
    cdef const int *sizes = net.sizes
    cdef int L = net.n_layers, b, which
    cdef Py_ssize_t item = sizeof(floating), widest = 0, widest_pad = 0, l, width
    cdef list keep = []
    cdef Shared e
    if not 1 <= n_threads <= INPUT_BLOCKS:
        raise ValueError(f"the small-kernel path runs on 1 to {INPUT_BLOCKS} threads, "
                         f"got n_threads={n_threads}")
    e.kernels = k
    e.net = net
    e.chunk = chunk
    e.X = X.data
    e.x_bytes = X.bytes
    e.x_item = 1 if X.bytes else sizeof(floating)
    e.lut = X.lut
    e.Y = Y
    e.skip_zero = skip_zero_inputs
    e.cost_sum = cost_sum[0]
    e.update = chunk.update
    cdef bint momentum = chunk.update.momentum != 0
    cdef Py_ssize_t *pads = <Py_ssize_t *>scratch(keep, L, sizeof(Py_ssize_t))
    e.pads = pads
    e.WT = <void **>scratch(keep, L, sizeof(void *))
    e.ST = <void **>scratch(keep, L, sizeof(void *))
    e.VT = <void **>scratch(keep, L, sizeof(void *))
    e.A = <void **>scratch(keep, L + 1, sizeof(void *))
    e.A[0] = NULL
    e.M = <void **>scratch(keep, L + 1, sizeof(void *))
    e.AD = <void **>scratch(keep, L + 1, sizeof(void *))
    for l in range(L):
        # Padded to whole cache lines, so that no line is written by two threads.
        pads[l] = whole_lines(sizes[l + 1], item)
        widest = max(widest, sizes[l + 1])
        e.A[l + 1] = scratch(keep, chunk.m * sizes[l + 1], item)
        e.M[l + 1] = NULL
        e.AD[l + 1] = e.A[l + 1]
        if drops(chunk, l + 1):
            e.M[l + 1] = scratch(keep, chunk.m * sizes[l + 1], item)
            e.AD[l + 1] = scratch(keep, chunk.m * sizes[l + 1], item)
        if l > 0:
            widest_pad = max(widest_pad, pads[l])
            e.WT[l] = scratch(keep, sizes[l] * pads[l], item)
            if momentum:
                e.ST[l] = scratch(keep, sizes[l] * pads[l], item)
                e.VT[l] = scratch(keep, sizes[l] * pads[l], item)
    e.delta = scratch(keep, chunk.m * widest, item)
    e.delta_prev = scratch(keep, chunk.m * widest, item)
    e.padded_rows = scratch(keep, chunk.m * widest_pad, item)
    e.padded_bias = scratch(keep, widest_pad, item)
    e.transposed = scratch(keep, widest_pad * lanes(k, item), item)
    e.step_bias = scratch(keep, widest, item)

    split_inputs(&e, keep, input_split, <const floating *>e.lut)
    for b in range(e.n_blocks):
        width = e.block_start[b + 1] - e.block_start[b]
        e.WT0[b] = scratch(keep, width * pads[0], item)
        if momentum:
            e.ST0[b] = scratch(keep, width * pads[0], item)
            e.VT0[b] = scratch(keep, width * pads[0], item)
        e.z0[b] = scratch(keep, chunk.m * pads[0], item)
        e.inputs[b] = <Inputs *>scratch(keep, 2, sizeof(Inputs))
        for which in range(2):
            e.inputs[b][which].n = 0
            e.inputs[b][which].cols = <Py_ssize_t *>scratch(keep, width, sizeof(Py_ssize_t))
    e.c0 = scratch(keep, chunk.m * pads[0], item)
    e.b0 = scratch(keep, pads[0], item)
    e.zeros = scratch(keep, pads[0], item)
    memset(e.zeros, 0, pads[0] * item)
    e.barrier = <fastgd_barrier *>scratch(keep, 1, sizeof(fastgd_barrier))
    memset(e.barrier, 0, sizeof(fastgd_barrier))
    with nogil:
        if floating is double:
            fastgd_run_threads(min(n_threads, e.n_blocks), run_thread_d, &e)
        else:
            fastgd_run_threads(min(n_threads, e.n_blocks), run_thread_s, &e)
    cost_sum[0] = e.cost_sum
    return 0


cdef void run_thread_d(void *e, int tid, int n_threads) noexcept nogil:
    train_thread(<Shared *>e, tid, n_threads, <const double *>(<Shared *>e).lut)


cdef void run_thread_s(void *e, int tid, int n_threads) noexcept nogil:
    train_thread(<Shared *>e, tid, n_threads, <const float *>(<Shared *>e).lut)


cdef int split_inputs(Shared *e, list keep, Py_ssize_t input_split,
                      const floating *lut) except -1:
    """The first layer's blocks of inputs: INPUT_BLOCKS of them (one with a single input),
    split at input_split, or where the call's first mini-batch's nonzero inputs divide evenly
    (evenly when it has fewer nonzero inputs than blocks). The sums, and so the bits, depend on
    the split, never on the threads; a fit passes one split to all its calls, so that where a
    call begins changes nothing either."""
    cdef Py_ssize_t n_in = e.net.sizes[0]
    cdef Inputs first
    e.n_blocks = <int>min(<Py_ssize_t>INPUT_BLOCKS, n_in)
    e.block_start[0] = 0
    e.block_start[e.n_blocks] = n_in
    if e.n_blocks < 2:
        return 0
    if input_split >= 0:
        e.block_start[1] = input_split
        return 0
    first.cols = <Py_ssize_t *>scratch(keep, n_in, sizeof(Py_ssize_t))
    list_columns(e, 0, n_in, e.chunk.m, e.chunk.order, &first, lut)
    e.block_start[1] = first.cols[first.n // 2] if first.n >= 2 else n_in // 2
    return 0


# ---- the first layer's reads of X: float rows, or bytes through the table --------------------

cdef inline void list_columns(Shared *e, Py_ssize_t start, Py_ssize_t width, Py_ssize_t rows,
                              const Py_ssize_t *xidx, Inputs *inputs,
                              const floating *lut) noexcept nogil:
    """The inputs start .. start + width - 1 nonzero in some of the rows xidx[0:rows] of X
    (counted from start)."""
    cdef Py_ssize_t n_in = e.net.sizes[0]
    if e.x_bytes:
        find_inputs_bytes(e.kernels, rows, width, <const unsigned char *>e.X + start, n_in,
                          xidx, inputs)
    else:
        find_inputs(e.kernels, rows, width, <const floating *>e.X + start, n_in, xidx, inputs)


cdef inline void block_forward(Shared *e, int b, Py_ssize_t rows, const Inputs *inputs,
                               const Py_ssize_t *xidx, const floating *lut) noexcept nogil:
    """z0[b] = (b_0 for block 0, else 0) + the block's part of X W_0^T for the rows xidx."""
    cdef Py_ssize_t n_in = e.net.sizes[0], pad = e.pads[0], start = e.block_start[b]
    cdef Py_ssize_t q1 = pad // lanes(e.kernels, sizeof(floating))
    cdef const floating *bias = <floating *>(e.b0 if b == 0 else e.zeros)
    if e.x_bytes:
        forward_bytes(e.kernels, rows, block_width(e, b), inputs,
                      <const unsigned char *>e.X + start, n_in, xidx, lut,
                      <floating *>e.WT0[b], pad, 0, q1, bias, <floating *>e.z0[b])
    else:
        forward_t(e.kernels, rows, block_width(e, b), inputs, <const floating *>e.X + start,
                  n_in, xidx, <floating *>e.WT0[b], pad, 0, q1, bias, <floating *>e.z0[b])


cdef inline void block_update(Shared *e, int b, Py_ssize_t rows, const Inputs *inputs,
                              const Py_ssize_t *xidx, const fastgd_prefetch *pf,
                              const floating *lut) noexcept nogil:
    """W_0 += C_0^T X on block b's rows of WT_0 for the rows xidx, prefetching pf: as the
    update rule says (the data step, the penalty's, the velocity's)."""
    cdef Py_ssize_t n_in = e.net.sizes[0], pad = e.pads[0], start = e.block_start[b]
    cdef Py_ssize_t q1 = pad // lanes(e.kernels, sizeof(floating))
    cdef Py_ssize_t n = block_width(e, b) * pad
    cdef floating *target = <floating *>e.WT0[b]
    if not plain(e.update):
        if e.update.momentum == 0:
            penalise_first(e.update, n, target)
        else:
            target = <floating *>e.ST0[b]
            memset(target, 0, n * sizeof(floating))
    if e.x_bytes:
        update_bytes(e.kernels, rows, block_width(e, b), inputs,
                     <const unsigned char *>e.X + start, n_in, xidx, lut, <floating *>e.c0,
                     target, pad, 0, q1, pf)
    else:
        update_t(e.kernels, rows, block_width(e, b), inputs, <const floating *>e.X + start,
                 n_in, xidx, <floating *>e.c0, target, pad, 0, q1, pf)
    if e.update.momentum != 0:
        momentum_apply(e.update, n, target, <floating *>e.VT0[b], <floating *>e.WT0[b], True)


cdef inline void sync(Shared *e, int n_threads, int *sense) noexcept nogil:
    """All threads of the run meet here (none waits when there is one thread)."""
    if n_threads > 1:
        fastgd_barrier_wait(e.barrier, n_threads, sense)


cdef inline Py_ssize_t block_width(const Shared *e, int b) noexcept nogil:
    return e.block_start[b + 1] - e.block_start[b]


cdef inline Inputs *listed(Shared *e, int b, int which) noexcept nogil:
    """Block b's list `which` (0 or 1), or NULL (all inputs) without skip_zero."""
    return &e.inputs[b][which] if e.skip_zero else NULL


cdef inline void list_inputs(Shared *e, int tid, int n_threads, Py_ssize_t batch,
                             Py_ssize_t batch_rows, const Py_ssize_t *xidx, int which,
                             int *full_lists, const floating *lut) noexcept nogil:
    """Into list `which` of this thread's blocks: their nonzero inputs in mini-batch number
    `batch`, the rows xidx[0:batch_rows] of X (counted from each block's first input). On data
    with no zeros every list comes out full: after FULL_LISTS of them in a row (counted in
    full_lists), only every FULL_LISTS-th mini-batch is listed, until one is not full again."""
    cdef int b = tid
    cdef bint full = True
    cdef Inputs *inputs
    if full_lists[0] < FULL_LISTS or batch % FULL_LISTS == 0:
        while b < e.n_blocks:
            inputs = &e.inputs[b][which]
            list_columns(e, e.block_start[b], block_width(e, b), batch_rows, xidx, inputs, lut)
            full = full and inputs.n == block_width(e, b)
            b += n_threads
        full_lists[0] = full_lists[0] + 1 if full else 0
    else:
        while b < e.n_blocks:
            e.inputs[b][which].n = block_width(e, b)
            b += n_threads


cdef void serial_step(Shared *e, Py_ssize_t start, Py_ssize_t batch_rows,
                      floating *z0) noexcept nogil:
    """Thread 0's part of the step of the mini-batch order[start:start + batch_rows], whose
    first-layer sums are in z0: everything but the first layer's update, ending with C_0 and
    the updated b_0 ready for the threads."""
    cdef const fastgd_kernels *k = e.kernels
    cdef const int *sizes = e.net.sizes
    cdef const Py_ssize_t *pads = e.pads
    cdef int L = e.net.n_layers, b, l
    cdef Py_ssize_t q1
    cdef floating **bias = <floating **>e.net.b
    cdef floating **WT = <floating **>e.WT
    cdef floating **A = <floating **>e.A
    cdef floating **AD = <floating **>e.AD
    cdef floating **M = <floating **>e.M
    cdef floating *padded = <floating *>e.padded_rows
    cdef floating *delta = <floating *>e.delta
    cdef floating *delta_prev = <floating *>e.delta_prev
    cdef floating *swap
    cdef floating scale = -<floating>batch_scale(e.chunk, batch_rows)

    # A_1 = f_0(z0[0] + z0[1] + ...): the sums padding and all, as one run of rows.
    for b in range(1, e.n_blocks):
        add_inplace(batch_rows * pads[0], <floating *>e.z0[b], z0)
    unpad_rows(batch_rows, sizes[1], pads[0], z0, sizes[1], A[1])
    activate(e.net.act[0], k, batch_rows, sizes[1], A[1])
    drop(e, A, 1, start, batch_rows)
    for l in range(1, L):
        q1 = pads[l] // lanes(k, sizeof(floating))
        pad_rows(1, sizes[l + 1], sizes[l + 1], pads[l], bias[l], <floating *>e.padded_bias)
        forward_t(k, batch_rows, sizes[l], NULL, AD[l], sizes[l], NULL, WT[l], pads[l], 0, q1,
                  <floating *>e.padded_bias, padded)
        unpad_rows(batch_rows, sizes[l + 1], pads[l], padded, sizes[l + 1], A[l + 1])
        activate(e.net.act[l], k, batch_rows, sizes[l + 1], A[l + 1])
        drop(e, A, l + 1, start, batch_rows)
    # The targets wait in delta_prev; the output delta reads them before it is overwritten.
    gather_rows(batch_rows, sizes[L], <const floating *>e.Y, &e.chunk.order[start], delta_prev)
    cdef const floating *weights = <const floating *>e.chunk.weights
    if weights == NULL:
        e.cost_sum += cost_value(e.chunk.cost, batch_rows, sizes[L], A[L], delta_prev)
        output_delta(e.chunk.cost, batch_rows, sizes[L], A[L], delta_prev, delta)
    else:
        e.cost_sum += weighted_cost(e.chunk.cost, batch_rows, sizes[L], weights,
                                    &e.chunk.order[start], A[L], delta_prev)
        output_delta(e.chunk.cost, batch_rows, sizes[L], A[L], delta_prev, delta)
        scale = -<floating>weighted_scale(
            e.chunk, weigh_rows(batch_rows, sizes[L], weights, &e.chunk.order[start], delta))
    for l in range(L - 1, 0, -1):
        q1 = pads[l] // lanes(k, sizeof(floating))
        # D_{l-1} = (D_l @ W_l) * f'_{l-1}(Z_{l-1}), from W_l before its update.
        pad_rows(batch_rows, sizes[l + 1], sizes[l + 1], pads[l], delta, padded)
        backward_t(k, batch_rows, sizes[l], padded, WT[l], pads[l], delta_prev,
                   <floating *>e.transposed)
        activation_prime_mul(e.net.act[l - 1], batch_rows * sizes[l], A[l], delta_prev)
        if M[l] != NULL:
            mask_mul(batch_rows * sizes[l], M[l], delta_prev, delta_prev)
        # C = -s D_l: W_l += C^T A_l, b_l += the column sums of C (as the update rule says).
        scale_inplace(batch_rows * sizes[l + 1], scale, delta)
        bias_step(e, batch_rows, sizes[l + 1], delta, bias[l], l)
        pad_rows(batch_rows, sizes[l + 1], sizes[l + 1], pads[l], delta, padded)
        weights_step(e, batch_rows, l, AD[l], padded, WT[l], q1)
        swap = delta
        delta = delta_prev
        delta_prev = swap
    scale_inplace(batch_rows * sizes[1], scale, delta)
    bias_step(e, batch_rows, sizes[1], delta, bias[0], 0)
    pad_rows(batch_rows, sizes[1], sizes[1], pads[0], delta, <floating *>e.c0)
    pad_rows(1, sizes[1], sizes[1], pads[0], bias[0], <floating *>e.b0)


cdef inline void drop(Shared *e, floating **A, int l, Py_ssize_t start,
                      Py_ssize_t rows) noexcept nogil:
    """With dropout at A_l: its mask M_l for the mini-batch's samples, and AD_l = A_l M_l."""
    cdef Py_ssize_t n = e.net.sizes[l]
    if e.M[l] == NULL:
        return
    dropout_mask(e.chunk.dropout.key, l, e.chunk.dropout.rate[l], rows, n,
                 &e.chunk.ids[start], <floating *>e.M[l])
    mask_mul(rows * n, <floating *>e.M[l], A[l], <floating *>e.AD[l])


cdef inline void bias_step(Shared *e, Py_ssize_t rows, Py_ssize_t n, const floating *C,
                           floating *bias, int l) noexcept nogil:
    """b_l += the column sums of C (rows x n), or through its velocity with momentum."""
    if e.update.momentum == 0:
        column_sums(rows, n, <floating>1, C, <floating>1, bias)
    else:
        column_sums(rows, n, <floating>1, C, <floating>0, <floating *>e.step_bias)
        momentum_apply(e.update, n, <floating *>e.step_bias, (<floating **>e.update.Vb)[l], bias,
                       False)


cdef inline void weights_step(Shared *e, Py_ssize_t rows, int l, const floating *A,
                              const floating *C, floating *WT, Py_ssize_t q1) noexcept nogil:
    """W_l += C^T A (C padded) on its transpose WT, as the update rule says."""
    cdef const int *sizes = e.net.sizes
    cdef Py_ssize_t n = sizes[l] * e.pads[l]
    cdef floating *target = WT
    if not plain(e.update):
        if e.update.momentum == 0:
            penalise_first(e.update, n, WT)
        else:
            target = <floating *>e.ST[l]
            memset(target, 0, n * sizeof(floating))
    update_t(e.kernels, rows, sizes[l], NULL, A, sizes[l], NULL, C, target, e.pads[l], 0, q1,
             NULL)
    if e.update.momentum != 0:
        momentum_apply(e.update, n, target, <floating *>e.VT[l], WT, True)


cdef void first_layer_step(Shared *e, int tid, int n_threads, Py_ssize_t start,
                           Py_ssize_t batch_rows, Py_ssize_t next_rows, int now,
                           const floating *lut) noexcept nogil:
    """This thread's blocks: W_0 += C_0^T X_t, then their part of X_{t+1} W_0^T; meanwhile
    their columns of the rows of mini-batch t+2 (random rows of X, far out of cache) are asked
    for, to be read a step later."""
    cdef const Chunk *chunk = e.chunk
    cdef Py_ssize_t later = start + batch_rows + next_rows
    cdef int b = tid
    cdef fastgd_prefetch pf
    pf.idx = &chunk.order[later]
    pf.n_rows = min(chunk.m, chunk.n_order - later)
    pf.stride = e.net.sizes[0] * e.x_item
    while b < e.n_blocks:
        pf.base = <const char *>e.X + e.block_start[b] * e.x_item
        pf.row_bytes = block_width(e, b) * e.x_item
        block_update(e, b, batch_rows, listed(e, b, now), &chunk.order[start], &pf, lut)
        block_forward(e, b, next_rows, listed(e, b, 1 - now), &chunk.order[start + batch_rows],
                      lut)
        b += n_threads
    if tid == n_threads - 1:
        # The targets of mini-batch t+2, wanted by the serial step a step from now.
        prefetch_rows(pf.n_rows, e.net.sizes[e.net.n_layers], <const floating *>e.Y, pf.idx)


cdef void train_thread(Shared *e, int tid, int n_threads, const floating *lut) noexcept nogil:
    """One thread's share of the run: the transposes in, the steps, the transposes out."""
    cdef const Chunk *chunk = e.chunk
    cdef const int *sizes = e.net.sizes
    cdef const Py_ssize_t *pads = e.pads
    cdef floating **W = <floating **>e.net.W
    cdef floating **WT = <floating **>e.WT
    cdef int L = e.net.n_layers, b, l
    cdef Py_ssize_t start = 0, batch_rows, next_rows
    cdef int full_lists = 0, sense = 0, now = 0     # now: the current mini-batch's lists
    cdef unsigned int fp_state = fastgd_flush_subnormals()

    cdef bint momentum = e.update.momentum != 0
    cdef floating **VW = <floating **>e.update.VW
    batch_rows = min(chunk.m, chunk.n_order)
    if tid == 0:
        for l in range(1, L):
            transpose_pad(sizes[l + 1], sizes[l], W[l], sizes[l], pads[l], WT[l])
            if momentum:
                transpose_pad(sizes[l + 1], sizes[l], VW[l], sizes[l], pads[l],
                              <floating *>e.VT[l])
        pad_rows(1, sizes[1], sizes[1], pads[0], (<floating **>e.net.b)[0], <floating *>e.b0)
    if e.skip_zero:
        list_inputs(e, tid, n_threads, 0, batch_rows, chunk.order, now, &full_lists, lut)
    b = tid
    while b < e.n_blocks:
        transpose_pad(sizes[1], block_width(e, b), W[0] + e.block_start[b], sizes[0], pads[0],
                      <floating *>e.WT0[b])
        if momentum:
            transpose_pad(sizes[1], block_width(e, b), VW[0] + e.block_start[b], sizes[0],
                          pads[0], <floating *>e.VT0[b])
        b += n_threads
    sync(e, n_threads, &sense)
    b = tid
    while b < e.n_blocks:
        block_forward(e, b, batch_rows, listed(e, b, now), chunk.order, lut)
        b += n_threads
    sync(e, n_threads, &sense)

    while start < chunk.n_order:
        batch_rows = min(chunk.m, chunk.n_order - start)
        next_rows = min(chunk.m, chunk.n_order - start - batch_rows)
        # The other threads list their inputs of the next mini-batch while thread 0 works alone.
        if e.skip_zero and (tid > 0 or n_threads == 1):
            list_inputs(e, tid, n_threads, start // chunk.m + 1, next_rows,
                        &chunk.order[start + batch_rows], 1 - now, &full_lists, lut)
        if tid == 0:
            serial_step(e, start, batch_rows, <floating *>e.z0[0])
        sync(e, n_threads, &sense)
        if e.skip_zero and tid == 0 and n_threads > 1:
            list_inputs(e, tid, n_threads, start // chunk.m + 1, next_rows,
                        &chunk.order[start + batch_rows], 1 - now, &full_lists, lut)
        first_layer_step(e, tid, n_threads, start, batch_rows, next_rows, now, lut)
        sync(e, n_threads, &sense)
        now = 1 - now
        start += batch_rows

    b = tid
    while b < e.n_blocks:
        transpose_unpad(sizes[1], block_width(e, b), <floating *>e.WT0[b], pads[0],
                        W[0] + e.block_start[b], sizes[0])
        if momentum:
            transpose_unpad(sizes[1], block_width(e, b), <floating *>e.VT0[b], pads[0],
                            VW[0] + e.block_start[b], sizes[0])
        b += n_threads
    if tid == 0:
        for l in range(1, L):
            transpose_unpad(sizes[l + 1], sizes[l], WT[l], pads[l], W[l], sizes[l])
            if momentum:
                transpose_unpad(sizes[l + 1], sizes[l], <floating *>e.VT[l], pads[l], VW[l],
                                sizes[l])
    fastgd_restore_fp(fp_state)
