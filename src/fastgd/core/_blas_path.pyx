"""The BLAS path: mini-batches through gemm (scipy's BLAS, via _blas), for mini-batches large
enough to amortise BLAS's packing; its forward and backward pass also give the gradient and
feed wide networks forward.

For a mini-batch of m rows (notation of _core.pyx):

    forward     A_{l+1} = f_l(A_l @ W_l^T + b_l): b_l broadcast into A_{l+1}, one gemm, beta = 1
    output      D_{L-1} = the cost's output delta
    backward    D_{l-1} = (D_l @ W_l) * f'_{l-1}(Z_{l-1}) (from A_l), from W_l before its update
    dropout     A_l <- A_l * M_l for the hidden layers that drop (fastgd._job.Dropout), after
                f_{l-1}: the layer above and the update read it masked; f' reads it unmasked,
                and D_{l-1} is multiplied by M_l
    update      W_l <- W_l - s * D_l^T @ A_l: the gradient folded into one gemm (beta = 1; the
                L2 penalty's decay is its beta, 1 - rate; the L1 penalty's step a pass before it;
                with momentum the gemm writes the data step S, beta = 0, and one pass moves
                the velocity and W: fastgd._job.Update)
"""
from fastgd.core._blas cimport NoTrans, Trans, gemm
from fastgd.core._job cimport L2, Rows, Update, batch_scale, drops, plain, weighted_scale
from fastgd.core._kernels cimport (activate, activation_prime_mul, broadcast_row, column_sums,
                              cost_value, dropout_mask, first_nonfinite, gather_rows, mask_mul,
                              momentum_apply, output_delta, penalise_first, rows_from_bytes,
                              weigh_rows, weighted_cost)
from fastgd.core._scratch cimport scratch
from fpmode cimport fastgd_flush_subnormals, fastgd_restore_fp


cdef void forward(const fastgd_kernels *k, const Net *net, int m, floating **A) noexcept nogil:
    """A[l+1] = f_l(A[l] @ W[l]^T + b[l]) for every layer; A[0] holds the m input rows."""
    cdef const int *sizes = net.sizes
    cdef floating **W = <floating **>net.W
    cdef floating **b = <floating **>net.b
    cdef int l
    for l in range(net.n_layers):
        broadcast_row(m, sizes[l + 1], b[l], A[l + 1])
        gemm(NoTrans, Trans, m, sizes[l + 1], sizes[l], <floating>1, A[l], sizes[l],
             W[l], sizes[l], <floating>1, A[l + 1], sizes[l + 1])
        activate(net.act[l], k, m, sizes[l + 1], A[l + 1])


cdef void forward_train(const fastgd_kernels *k, const Net *net, const Chunk *chunk,
                        const Py_ssize_t *samples, int m, floating **A, floating **AD,
                        floating **M) noexcept nogil:
    """forward for training: where the chunk drops neurons of A_l, their mask M_l for the rows'
    samples and AD_l = A_l M_l, which the layer above reads (elsewhere AD_l is A_l)."""
    cdef const int *sizes = net.sizes
    cdef floating **W = <floating **>net.W
    cdef floating **b = <floating **>net.b
    cdef int l
    for l in range(net.n_layers):
        broadcast_row(m, sizes[l + 1], b[l], A[l + 1])
        gemm(NoTrans, Trans, m, sizes[l + 1], sizes[l], <floating>1, AD[l], sizes[l],
             W[l], sizes[l], <floating>1, A[l + 1], sizes[l + 1])
        activate(net.act[l], k, m, sizes[l + 1], A[l + 1])
        if M[l + 1] != NULL:
            dropout_mask(chunk.dropout.key, l + 1, chunk.dropout.rate[l + 1], m, sizes[l + 1],
                         samples, M[l + 1])
            mask_mul(<Py_ssize_t>m * sizes[l + 1], M[l + 1], A[l + 1], AD[l + 1])


cdef Py_ssize_t forward_checked(const fastgd_kernels *k, const Net *net, int m,
                                floating **A) noexcept nogil:
    """forward, looking at every weighted input Z_l before its sigmoid: the first row where one
    is NaN or infinite (it overflowed: a sum of products beyond the dtype's range, whose value
    then depends on the order of the sum), or -1. The rows after it are not computed."""
    cdef const int *sizes = net.sizes
    cdef floating **W = <floating **>net.W
    cdef floating **b = <floating **>net.b
    cdef int l
    cdef Py_ssize_t bad
    for l in range(net.n_layers):
        broadcast_row(m, sizes[l + 1], b[l], A[l + 1])
        gemm(NoTrans, Trans, m, sizes[l + 1], sizes[l], <floating>1, A[l], sizes[l],
             W[l], sizes[l], <floating>1, A[l + 1], sizes[l + 1])
        bad = first_nonfinite(<Py_ssize_t>m * sizes[l + 1], A[l + 1])
        if bad >= 0:
            return bad // sizes[l + 1]
        activate(net.act[l], k, m, sizes[l + 1], A[l + 1])
    return -1


cdef void backward(const fastgd_cost *cost, const Net *net, int m, floating **A,
                   floating **AD, floating **M, const floating *Y, floating *delta,
                   floating *delta_prev, floating **W_out, floating **b_out, floating alpha,
                   floating beta, const Update *u, floating *step,
                   const floating *weights, const Py_ssize_t *rows) noexcept nogil:
    """Backpropagate the cost of the m rows whose activations are in A, targets Y: AD[l] the
    inputs of layer l as its forward read them, M[l] the masks of dropout (NULL: none; the
    gradient passes A and NULL).

    For every layer: W_out[l] <- beta * W_out[l] + alpha * D_l^T @ A_l, and the same for b_out[l]
    with the column sums of D_l. Training passes the network's own arrays with alpha = -s,
    beta = 1, and its update rule u (which adds the penalty and the momentum; step then holds
    the largest layer's weights and biases); the gradient passes fresh arrays with alpha = 1,
    beta = 0 and u NULL. delta and delta_prev hold m * max(sizes[1:]); Y may be delta_prev (it
    is read first). weights (NULL: none): each output delta row r times weights[rows[r]].
    """
    cdef const int *sizes = net.sizes
    cdef floating **W = <floating **>net.W
    cdef int l, L = net.n_layers
    cdef floating *swap
    output_delta(cost, m, sizes[L], A[L], Y, delta)
    if weights != NULL:
        weigh_rows(m, sizes[L], weights, rows, delta)
    for l in range(L - 1, -1, -1):
        if l > 0:
            # D_{l-1} = (D_l @ W_l) * f'(Z_{l-1}), from W_l before its update below.
            gemm(NoTrans, NoTrans, m, sizes[l], sizes[l + 1], <floating>1, delta, sizes[l + 1],
                 W[l], sizes[l], <floating>0, delta_prev, sizes[l])
            activation_prime_mul(net.act[l - 1], <Py_ssize_t>m * sizes[l], A[l], delta_prev)
            if M != NULL and M[l] != NULL:
                mask_mul(<Py_ssize_t>m * sizes[l], M[l], delta_prev, delta_prev)
        if u == NULL or plain(u):
            gemm(Trans, NoTrans, sizes[l + 1], sizes[l], m, alpha, delta, sizes[l + 1],
                 AD[l], sizes[l], beta, W_out[l], sizes[l])
            column_sums(m, sizes[l + 1], alpha, delta, beta, b_out[l])
        elif u.momentum == 0:
            # W *= 1 - rate as gemm's beta (L2), or W -= rate sgn(W) first (L1).
            if u.penalty != L2:
                penalise_first(u, <Py_ssize_t>sizes[l + 1] * sizes[l], W_out[l])
            gemm(Trans, NoTrans, sizes[l + 1], sizes[l], m, alpha, delta, sizes[l + 1],
                 AD[l], sizes[l], <floating>(1 - u.rate) if u.penalty == L2 else beta,
                 W_out[l], sizes[l])
            column_sums(m, sizes[l + 1], alpha, delta, beta, b_out[l])
        else:
            # S = alpha D^T A (the data step), then the velocity and W in one pass.
            gemm(Trans, NoTrans, sizes[l + 1], sizes[l], m, alpha, delta, sizes[l + 1],
                 AD[l], sizes[l], <floating>0, step, sizes[l])
            momentum_apply(u, <Py_ssize_t>sizes[l + 1] * sizes[l], step,
                           (<floating **>u.VW)[l], W_out[l], True)
            column_sums(m, sizes[l + 1], alpha, delta, <floating>0, step)
            momentum_apply(u, sizes[l + 1], step, (<floating **>u.Vb)[l], b_out[l], False)
        swap = delta
        delta = delta_prev
        delta_prev = swap


cdef int train(const fastgd_kernels *k, const Net *net, const Chunk *chunk, const Rows *X,
               const floating *Y, double *cost_sum) except -1:
    """The mini-batches of chunk through gemm: gathered, forward, backward with the update.
    cost_sum: the cost of each mini-batch before its update is added to it, in order."""
    cdef const int *sizes = net.sizes
    cdef int L = net.n_layers, l
    cdef Py_ssize_t widest = 0, start = 0, rows
    cdef list keep = []
    cdef floating **A = <floating **>scratch(keep, L + 1, sizeof(void *))
    cdef floating **AD = <floating **>scratch(keep, L + 1, sizeof(void *))
    cdef floating **M = <floating **>scratch(keep, L + 1, sizeof(void *))
    for l in range(L + 1):
        A[l] = <floating *>scratch(keep, chunk.m * sizes[l], sizeof(floating))
        AD[l], M[l] = A[l], NULL
        if drops(chunk, l):
            M[l] = <floating *>scratch(keep, chunk.m * sizes[l], sizeof(floating))
            AD[l] = <floating *>scratch(keep, chunk.m * sizes[l], sizeof(floating))
        if l > 0:
            widest = max(widest, sizes[l])
    cdef floating *delta = <floating *>scratch(keep, chunk.m * widest, sizeof(floating))
    cdef floating *delta_prev = <floating *>scratch(keep, chunk.m * widest, sizeof(floating))
    cdef Py_ssize_t largest = 0
    for l in range(L):
        largest = max(largest, <Py_ssize_t>sizes[l + 1] * sizes[l])
    cdef floating *step = <floating *>scratch(
        keep, largest if chunk.update.momentum != 0 else 0, sizeof(floating))
    cdef unsigned int fp_state
    cdef double total = cost_sum[0], scale
    cdef const floating *weights = <const floating *>chunk.weights
    with nogil:
        fp_state = fastgd_flush_subnormals()
        while start < chunk.n_order:
            rows = min(chunk.m, chunk.n_order - start)
            if X.bytes:
                rows_from_bytes(rows, sizes[0], <const unsigned char *>X.data, sizes[0],
                                &chunk.order[start], <const floating *>X.lut, A[0])
            else:
                gather_rows(rows, sizes[0], <const floating *>X.data, &chunk.order[start], A[0])
            # The targets wait in delta_prev; the output delta reads them before anything
            # overwrites it.
            gather_rows(rows, sizes[L], Y, &chunk.order[start], delta_prev)
            forward_train(k, net, chunk, &chunk.ids[start], <int>rows, A, AD, M)
            if weights == NULL:
                total += cost_value(chunk.cost, rows, sizes[L], A[L], delta_prev)
                scale = batch_scale(chunk, rows)
            else:
                total += weighted_cost(chunk.cost, rows, sizes[L], weights, &chunk.order[start],
                                       A[L], delta_prev)
                scale = weighted_scale(
                    chunk, weigh_rows(rows, sizes[L], weights, &chunk.order[start], NULL))
            backward(chunk.cost, net, <int>rows, A, AD, M, delta_prev, delta, delta_prev,
                     <floating **>net.W, <floating **>net.b, -<floating>scale, <floating>1,
                     chunk.update, step, weights,
                     &chunk.order[start] if weights != NULL else NULL)
            start += rows
        fastgd_restore_fp(fp_state)
    cost_sum[0] = total
    return 0
