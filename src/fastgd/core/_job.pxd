# What the entry points of _core.pyx hand to the training paths (_small_path, _blas_path) and to
# feedforward: the network's arrays and the run of mini-batches as raw pointers, checked and
# collected once per call. The float pointers are of the call's dtype (void * because a struct
# cannot hold fused types); the caller keeps the arrays alive for the whole call.
from libc.stdint cimport uint64_t

from activations cimport fastgd_activation
from costs cimport fastgd_cost


cdef struct Net:
    int n_layers
    const int *sizes      # sizes[0 .. n_layers]: units per layer, inputs first
    void **W              # W[l]: sizes[l+1] x sizes[l], row-major, updated in place
    void **b              # b[l]: sizes[l+1]
    # act[l]: the activation of layer l's outputs (act[n_layers - 1]: the output layer's)
    const fastgd_activation **act


cdef struct Rows:
    # The inputs X, n_rows rows of n_cols (the row stride): floats of the call's dtype, or
    # bytes (the pixels as stored), each read as lut[x] = x / 255 in the call's dtype.
    const void *data
    Py_ssize_t n_rows
    Py_ssize_t n_cols
    bint bytes
    const void *lut             # 256 entries with bytes, else NULL


cdef enum Penalty:
    NO_PENALTY = 0
    L2 = 1
    L1 = 2


cdef struct Update:
    # How a step moves a layer's parameters by its data step S (-eta times the sum or the mean
    # of the mini-batch's gradients; fastgd.training.trainer). Plainly W += S. A penalty (on
    # weights, never biases) adds -rate W (L2) or -rate sgn(W) (L1) to the step, rate =
    # eta lmbda / n with n the training set's size: without momentum applied to W first
    # (W *= 1 - rate, the book's weight decay; W -= rate sgn(W)), then W += S. With momentum
    # mu > 0 the step g goes through the velocity V (VW, Vb: of the shapes of W, b):
    # V = mu V + g, W += V, or with nesterov W += mu V + g.
    Penalty penalty
    double rate
    double momentum
    bint nesterov
    void **VW                   # with momentum: V of each layer's weights, row-major as W
    void **Vb                   # and of its biases


cdef struct Dropout:
    # Inverted dropout (csrc/dropout.h): in training, the outputs A_l of hidden layer l - 1
    # (l = 1 .. n_layers - 1) are multiplied by a mask M_l of 1 / (1 - rate[l]) (kept) and 0
    # (dropped), drawn for (key, the sample's row in X, l, neuron); the layer above reads them
    # masked, backpropagation multiplies D_{l-1} by M_l. rate[0] and rate[n_layers] are 0.
    uint64_t key
    const double *rate


cdef struct Chunk:
    # The mini-batches X[order[0:m]], X[order[m:2m]], ... (the last may be shorter), trained in
    # that order with the targets Y of the same rows.
    const Py_ssize_t *order
    # The samples the rows X[order[i]] are, which dropout's masks are drawn for: order itself,
    # or the rows of the training data that a buffer of distorted images holds.
    const Py_ssize_t *ids
    Py_ssize_t n_order
    Py_ssize_t m                # the mini-batch size, at most n_order
    double eta
    bint mean                   # each update scaled by eta / (that batch's size), else eta
    # Sample weights, one per row of X in the call's dtype (NULL: none, every weight 1): each
    # output delta row times its sample's weight, the mean's divisor the batch's sum of them.
    const void *weights
    const fastgd_cost *cost
    const Update *update
    const Dropout *dropout      # NULL: none


cdef inline double batch_scale(const Chunk *chunk, Py_ssize_t rows) noexcept nogil:
    """The step size of a mini-batch of rows samples: eta / rows for the mean of its gradients,
    eta for their sum."""
    return chunk.eta / rows if chunk.mean else chunk.eta


cdef inline double weighted_scale(const Chunk *chunk, double weight_sum) noexcept nogil:
    """The step size of a mini-batch whose sample weights sum to weight_sum: eta / weight_sum
    for the weighted mean of its gradients (0, no data step, for weights that sum to 0), eta
    for their weighted sum."""
    if not chunk.mean:
        return chunk.eta
    return chunk.eta / weight_sum if weight_sum > 0 else 0.0


cdef inline bint drops(const Chunk *chunk, int l) noexcept nogil:
    """Whether the chunk's training drops neurons of A_l."""
    return chunk.dropout != NULL and chunk.dropout.rate[l] > 0


cdef inline bint plain(const Update *u) noexcept nogil:
    """W += S and nothing else: the book's chapter 1 (the paths' code of fastgd 0.2)."""
    return u.penalty == NO_PENALTY and u.momentum == 0
