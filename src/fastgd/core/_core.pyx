"""The compiled core's entry points: train a run of mini-batches, the gradient, feedforward.

Notation (rows are samples, as in fastgd's Python API). Layer l = 0 .. L-1 maps sizes[l] inputs to
sizes[l+1] outputs with W_l of shape (sizes[l+1], sizes[l]) and b_l of shape (sizes[l+1],). For a
mini-batch of m rows:

    forward     Z_l = A_l @ W_l^T + b_l,        A_{l+1} = f_l(Z_l)            (A_0 = the inputs X)
    output      D_{L-1} = dC/dZ_{L-1}, the cost's output delta (fastgd.costs, csrc/costs.c)
    backward    D_{l-1} = (D_l @ W_l) * f'_{l-1}(Z_{l-1}), computed from A_l
    gradient    dC/dW_l = D_l^T @ A_l,          dC/db_l = sum over rows of D_l

The update W_l <- W_l - s * D_l^T @ A_l (s = eta/m or eta) is made only after D_{l-1} has been
computed from the old W_l. Two paths do this arithmetic: the small-shape kernels of csrc/dense*.c
(_small_path.pyx) and BLAS gemm (_blas_path.pyx); feedforward of a data set is _forward.pyx.

Every entry point takes its whole configuration as arguments: the layers' activations f_l
(csrc/activations.c, by name: sigmoid throughout unless told), the cost, the path, the kernel set
and the thread count (fastgd.core.policy decides them; nothing here reads a global setting). Each
checks its arrays and collects raw pointers once, holds references to the arrays for the whole
call, then runs its loop without the GIL: nothing crosses back into Python and nothing is
allocated per mini-batch.
"""
from cython cimport floating
from libc.stdint cimport uint64_t

from activations cimport fastgd_activation, fastgd_activation_names, fastgd_find_activation
from costs cimport fastgd_cost, fastgd_cost_names, fastgd_find_cost
from dense cimport fastgd_best_kernels, fastgd_kernel_sets, fastgd_kernels

import numpy as np

from fastgd.core cimport _blas, _blas_path, _forward, _small_path
from fastgd.core._job cimport L1, L2, NO_PENALTY, Chunk, Dropout, Net, Rows, Update
from fastgd.core._kernels cimport byte_lut, first_nonfinite
from fastgd.core._kernels cimport dropout_mask as dropout_mask_of
from fastgd.core._scratch cimport scratch

PATHS = ("small", "blas")

cdef enum:
    MAX_KERNEL_SETS = 8
    MAX_COSTS = 32
    MAX_ACTIVATIONS = 32


def kernel_sets():
    """Names of the kernel sets this CPU can run, best first; the first is the default."""
    cdef const fastgd_kernels *sets[MAX_KERNEL_SETS]
    cdef int i, n = fastgd_kernel_sets(sets, MAX_KERNEL_SETS)
    return [sets[i].name.decode() for i in range(n)]


def cost_names():
    """Names of the costs whose output delta the core has (csrc/costs.c), in table order."""
    cdef const char *names[MAX_COSTS]
    cdef int i, n = fastgd_cost_names(names, MAX_COSTS)
    return [names[i].decode() for i in range(n)]


def activation_names():
    """Names of the activations the core has (csrc/activations.c), in table order."""
    cdef const char *names[MAX_ACTIVATIONS]
    cdef int i, n = fastgd_activation_names(names, MAX_ACTIVATIONS)
    return [names[i].decode() for i in range(n)]


def cost_outputs():
    """The output activation each cost of the core pairs with, by the cost's name."""
    return {name: fastgd_find_cost(name.encode()).output.decode() for name in cost_names()}


cdef const fastgd_kernels *find_kernels(str name) except NULL:
    """The kernel set called name, or the best this CPU runs for None."""
    cdef const fastgd_kernels *sets[MAX_KERNEL_SETS]
    cdef int i, n
    if name is None:
        return fastgd_best_kernels()
    n = fastgd_kernel_sets(sets, MAX_KERNEL_SETS)
    for i in range(n):
        if sets[i].name.decode() == name:
            return sets[i]
    raise ValueError(f"kernel set {name!r} is not available here; this CPU has {kernel_sets()}")


cdef const fastgd_cost *find_cost(str name) except NULL:
    cdef const fastgd_cost *cost = fastgd_find_cost(name.encode())
    if cost == NULL:
        raise ValueError(f"the core has no cost {name!r}; it has {cost_names()}")
    return cost


cdef int collect_layers(list weights, list biases, int *sizes,
                        floating **W, floating **b) except -1:
    """Check that weights[l] (sizes[l+1], sizes[l]) and biases[l] chain up; store their pointers.

    The caller holds references to the arrays for the whole call, so the pointers stay valid.
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


cdef int view_network(list weights, list biases, Net *net, list keep,
                      const floating[:, ::1] X, activations=None) except -1:
    """Fill net with pointers to the arrays, which must be of X's dtype, and to the layers'
    activations, named by activations (one per layer; None: sigmoid throughout), allocating
    into keep. Every layer but the last must have a derivative (an output-only activation such
    as softmax ends the network)."""
    cdef Py_ssize_t n_layers = len(weights), l
    cdef int *sizes = <int *>scratch(keep, n_layers + 1, sizeof(int))
    cdef const fastgd_activation *act
    net.W = <void **>scratch(keep, n_layers, sizeof(void *))
    net.b = <void **>scratch(keep, n_layers, sizeof(void *))
    collect_layers(weights, biases, sizes, <floating **>net.W, <floating **>net.b)
    net.n_layers = <int>n_layers
    net.sizes = sizes
    names = ("sigmoid",) * n_layers if activations is None else tuple(activations)
    if len(names) != n_layers:
        raise ValueError(f"activations names {len(names)} activations for a network of "
                         f"{n_layers} layers; it needs one per layer")
    net.act = <const fastgd_activation **>scratch(keep, n_layers, sizeof(void *))
    for l in range(n_layers):
        if not isinstance(names[l], str):
            raise TypeError(f"activations[{l}] must be a name, got {names[l]!r}")
        act = fastgd_find_activation(names[l].encode())
        if act == NULL:
            raise ValueError(f"the core has no activation {names[l]!r}; it has "
                             f"{activation_names()}")
        if act.prime_mul_d == NULL and l < n_layers - 1:
            raise ValueError(f"{names[l]} is an output layer's activation, not a hidden "
                             f"layer's (layer {l} of {n_layers})")
        net.act[l] = act
    return 0


cdef int view_update(Update *u, const Net *net, str penalty, double rate, double momentum,
                     bint nesterov, velocities, list keep, const floating[:, ::1] like) except -1:
    """The update rule of a training call, checked; with momentum, the velocities' pointers."""
    cdef Net velocity
    cdef int l
    if penalty not in (None, "l2", "l1"):
        raise ValueError(f"penalty must be None, 'l2' or 'l1', got {penalty!r}")
    if not 0 <= rate < 1:
        raise ValueError(f"penalty_rate must be in [0, 1) (eta lmbda / n), got {rate}")
    if not 0 <= momentum < 1:
        raise ValueError(f"momentum must be in [0, 1), got {momentum}")
    u.penalty = NO_PENALTY if penalty is None or rate == 0 else (L2 if penalty == "l2" else L1)
    u.rate = rate if u.penalty != NO_PENALTY else 0
    u.momentum = momentum
    u.nesterov = nesterov and momentum != 0
    u.VW = NULL
    u.Vb = NULL
    if momentum == 0:
        return 0
    if velocities is None or len(velocities) != 2 * net.n_layers:
        raise ValueError(f"momentum needs the velocities of the {net.n_layers} weight matrices "
                         f"and bias vectors")
    n = net.n_layers
    view_network(list(velocities[:n]), list(velocities[n:]), &velocity, keep, like)
    for l in range(n + 1):
        if velocity.sizes[l] != net.sizes[l]:
            raise ValueError("the velocities do not have the shapes of the network")
    u.VW = velocity.W
    u.Vb = velocity.b
    return 0


cdef int view_dropout(Dropout *d, const Net *net, dropout, dropout_key, list keep) except -1:
    """Dropout's rates of a training call (one per hidden layer), checked, and its key."""
    cdef int l, L = net.n_layers
    cdef double *rate = <double *>scratch(keep, L + 1, sizeof(double))
    rates = tuple(dropout)
    if len(rates) != L - 1:
        raise ValueError(f"dropout names {len(rates)} rates for a network of {L - 1} hidden "
                         f"layers; it needs one per hidden layer")
    for l in range(L + 1):
        rate[l] = 0
    for l in range(1, L):
        rate[l] = rates[l - 1]
        if not 0 <= rate[l] < 1:
            raise ValueError(f"dropout rates must be in [0, 1), got {rates[l - 1]!r} for "
                             f"hidden layer {l}")
    if not isinstance(dropout_key, int) or not 0 <= dropout_key < 2**64:
        raise ValueError(f"dropout_key must be an integer in [0, 2**64), got {dropout_key!r}")
    d.key = dropout_key
    d.rate = rate
    return 0


def dropout_mask(uint64_t key, int layer, double rate, const Py_ssize_t[::1] samples,
                 floating[:, ::1] mask):
    """mask = dropout's mask (csrc/dropout.h) of layer's mask.shape[1] neurons for the rows
    of samples, under key (an integer in [0, 2**64)). For the tests against the NumPy twin,
    fastgd.core.reference.dropout_mask."""
    if mask.shape[0] != samples.shape[0]:
        raise ValueError("mask needs a row per sample")
    if not 0 <= rate < 1:
        raise ValueError(f"rate must be in [0, 1), got {rate}")
    if mask.shape[0] and mask.shape[1]:
        dropout_mask_of(key, layer, rate, mask.shape[0], mask.shape[1], &samples[0],
                        &mask[0, 0])


cdef int check_output(const Net *net, const fastgd_cost *cost) except -1:
    """The cost's delta holds only with the output activation it pairs with."""
    cdef bytes output = net.act[net.n_layers - 1].name
    if output != cost.output:
        raise ValueError(f"the {cost.name.decode()} cost pairs with a {cost.output.decode()} "
                         f"output layer, and this network's output layer is "
                         f"{output.decode()}")
    return 0


cdef int check_columns(const floating[:, ::1] data, int n_cols, str name) except -1:
    if data.shape[1] != n_cols:
        raise ValueError(f"{name} has {data.shape[1]} columns, the network expects {n_cols}")
    return 0


cdef int view_rows(object X, const floating[:, ::1] like, Rows *rows, list keep) except -1:
    """rows: the C-contiguous 2-D array X, of bytes (uint8: pixels, read as x / 255) or of
    like's dtype; X is kept alive in keep."""
    cdef const unsigned char[:, ::1] as_bytes
    cdef const floating[:, ::1] as_floats
    cdef floating *lut
    keep.append(X)
    dtype = getattr(X, "dtype", None)
    if dtype == np.uint8:
        as_bytes = X
        rows.data = &as_bytes[0, 0] if as_bytes.shape[0] and as_bytes.shape[1] else NULL
        rows.n_rows, rows.n_cols = as_bytes.shape[0], as_bytes.shape[1]
        lut = <floating *>scratch(keep, 256, sizeof(floating))
        byte_lut(lut)
        rows.bytes, rows.lut = True, lut
        return 0
    network_dtype = np.dtype(np.float64 if sizeof(floating) == 8 else np.float32)
    if dtype != network_dtype:
        raise TypeError(f"X must be a C-contiguous 2-D array of uint8 (pixels) or of the "
                        f"network's dtype, {network_dtype}; got {type(X).__name__} of dtype "
                        f"{dtype}")
    as_floats = X
    rows.data = &as_floats[0, 0] if as_floats.shape[0] and as_floats.shape[1] else NULL
    rows.n_rows, rows.n_cols = as_floats.shape[0], as_floats.shape[1]
    rows.bytes, rows.lut = False, NULL
    return 0


def train_chunk(list weights, list biases, X, const floating[:, ::1] Y,
                const Py_ssize_t[::1] order, Py_ssize_t mini_batch_size, double eta, bint mean,
                *, str cost, str path, int n_threads, str kernel_set=None,
                bint skip_zero_inputs=True, input_split=None, double cost_sum=0.0,
                activations=None, str penalty=None, double penalty_rate=0.0,
                double momentum=0.0, bint nesterov=False, velocities=None, dropout=None,
                dropout_key=0, sample_ids=None, sample_weight=None):
    """Run SGD over the rows X[order] in consecutive mini-batches, updating weights in place.

    X holds the inputs' rows: of Y's dtype, or uint8 (pixels), each x read as x / 255 (the
    bits of passing X.astype(dtype) / 255). The samples order[0:m], order[m:2m], ... form the
    mini-batches (m = mini_batch_size); a last, shorter one is scaled by its own size. With
    mean, each update is W -= (eta / m) * the sum of the mini-batch's gradients of the cost,
    else eta * the sum.
    Y holds the target rows (n, n_out). activations names each layer's activation (None:
    sigmoid throughout); the last must be the one the cost pairs with (cost_outputs()).

    The update rule (fastgd._job.Update): penalty None, "l2" or "l1" at penalty_rate (eta lmbda
    / n: the step's part of the penalty, on weights only); momentum in [0, 1), Nesterov's form
    with nesterov; with momentum, velocities holds the weights' velocities then the biases'
    (arrays of their shapes and dtype, C-contiguous), updated in place.

    dropout: None, or a rate in [0, 1) per hidden layer: inverted dropout (csrc/dropout.h),
    each sample's neurons kept by the masks of (dropout_key, its row in X, the layer, the
    neuron), an integer key in [0, 2**64). sample_ids (intp, one per entry of order): the
    samples the rows are, for the masks, when X is a buffer of distorted images (None: order).

    sample_weight (None: every weight 1): one weight per row of X, of Y's dtype, finite and at
    least 0 (the caller checks): each sample's gradient times its weight, and with mean each
    update scaled by eta / (the batch's sum of weights), no data step where that sum is 0
    (scikit-learn's MLP's rule); the returned costs are weighted the same way.

    path "small" runs the small-shape kernels on n_threads threads (1 or 2: the first layer's
    inputs come in two blocks), the same bits whatever n_threads is; "blas" runs gemm on
    BLAS's own threads (set by the caller) and takes n_threads=1. kernel_set names one of
    kernel_sets() (None: the best). skip_zero_inputs lets the small kernels leave out the
    first layer's inputs that are zero in a whole mini-batch (exact zeros: the same bits).
    input_split (1 .. sizes[0] - 1, or None) is where the small path splits the first layer's
    inputs into its two blocks, which the bits depend on; None: where this call's first
    mini-batch divides its nonzero inputs (so a run split into calls differently differs in
    the last bits). fit passes one split to all its calls: see input_split().

    Returns cost_sum plus the cost of each mini-batch before its update, summed over the
    samples in order (as a float): passing each call the total so far, an epoch's sum is the
    same however the epoch is cut into calls; divided by the number of samples, it is the
    epoch's running mean of the cost.
    """
    cdef list keep = [tuple(weights), tuple(biases)]   # the arrays, alive until we return
    cdef Py_ssize_t n, i
    cdef bint bad_index = False
    cdef Net net
    cdef Chunk chunk
    cdef Rows rows
    cdef const fastgd_kernels *k = find_kernels(kernel_set)
    if mini_batch_size < 1:
        raise ValueError(f"mini_batch_size must be at least 1, got {mini_batch_size}")
    if path not in PATHS:
        raise ValueError(f"path must be one of {PATHS}, got {path!r}")
    if path == "blas" and n_threads != 1:
        raise ValueError(f"the BLAS path runs on BLAS's threads: pass n_threads=1 and set "
                         f"BLAS's thread count, got n_threads={n_threads}")
    view_rows(X, Y, &rows, keep)
    n = rows.n_rows
    if Y.shape[0] != n:
        raise ValueError(f"X has {n} rows but Y has {Y.shape[0]}")
    chunk.cost = find_cost(cost)
    chunk.order = &order[0] if order.shape[0] > 0 else NULL
    chunk.ids = chunk.order
    cdef const Py_ssize_t[::1] ids
    if sample_ids is not None:
        ids = sample_ids
        if ids.shape[0] != order.shape[0]:
            raise ValueError(f"sample_ids has {ids.shape[0]} entries for {order.shape[0]} rows")
        chunk.ids = &ids[0] if ids.shape[0] > 0 else NULL
        keep.append(sample_ids)
    chunk.n_order = order.shape[0]
    chunk.m = min(mini_batch_size, chunk.n_order)
    chunk.eta = eta
    chunk.mean = mean
    chunk.weights = NULL
    cdef const floating[::1] sample_weights
    if sample_weight is not None:
        sample_weights = sample_weight
        if sample_weights.shape[0] != n:
            raise ValueError(f"sample_weight has {sample_weights.shape[0]} weights for {n} rows")
        chunk.weights = &sample_weights[0] if n > 0 else NULL
        keep.append(sample_weight)
    view_network(weights, biases, &net, keep, Y, activations)
    check_output(&net, chunk.cost)
    cdef Update update
    keep.append(tuple(velocities or ()))
    view_update(&update, &net, penalty, penalty_rate, momentum, nesterov, velocities, keep, Y)
    chunk.update = &update
    cdef Dropout drop
    chunk.dropout = NULL
    if dropout is not None:
        view_dropout(&drop, &net, dropout, dropout_key, keep)
        if any(rate > 0 for rate in dropout):
            chunk.dropout = &drop
    if rows.n_cols != net.sizes[0]:
        raise ValueError(f"X has {rows.n_cols} columns, the network expects {net.sizes[0]}")
    check_columns(Y, net.sizes[net.n_layers], "Y")
    if chunk.m == 0:
        return cost_sum
    if chunk.m > 2**31 - 1:
        raise ValueError("mini_batch_size must be below 2**31")
    with nogil:
        for i in range(chunk.n_order):
            if order[i] < 0 or order[i] >= n:
                bad_index = True
                break
    if bad_index:
        raise IndexError(f"order holds an index outside [0, {n})")
    cdef Py_ssize_t split = -1
    if input_split is not None:
        if net.sizes[0] < 2 or not 1 <= input_split < net.sizes[0]:
            raise ValueError(f"input_split must be between 1 and {net.sizes[0] - 1} (the "
                             f"network has {net.sizes[0]} inputs), got {input_split}")
        split = input_split
    if path == "small":
        _small_path.train(k, &net, &chunk, &rows, &Y[0, 0], n_threads, skip_zero_inputs,
                          split, &cost_sum)
    else:
        _blas.load()
        _blas_path.train(k, &net, &chunk, &rows, &Y[0, 0], &cost_sum)
    return cost_sum


def all_finite(list arrays, const floating[::1] dtype_tag):
    """Whether every value of the arrays (C-contiguous, of dtype_tag's dtype) is finite: a scan
    of their exponent bits, no allocation (fit checks the parameters after every chunk)."""
    cdef const floating[::1] flat
    for array in arrays:
        flat = array.reshape(-1)
        if flat.shape[0] and first_nonfinite(flat.shape[0], &flat[0]) >= 0:
            return False
    return True


def input_split(X, Py_ssize_t n_rows):
    """Where a fit splits the first layer's inputs between the small path's two blocks: the
    median of the inputs nonzero in the first n_rows rows of X (in data order, so that the split
    is the same whatever the shuffling, the chunks and a resumed run), which shares a
    mini-batch's work about evenly between the blocks on data such as MNIST; the middle when
    fewer than two are nonzero. None for a single input."""
    n_in = X.shape[1]
    if n_in < 2:
        return None
    columns = np.flatnonzero(np.any(X[:n_rows] != 0, axis=0))
    return int(columns[len(columns) // 2]) if len(columns) >= 2 else n_in // 2


def gradient(list weights, list biases, const floating[:, ::1] X, const floating[:, ::1] Y,
             list grad_weights, list grad_biases, *, str cost, str kernel_set=None,
             activations=None):
    """Write into grad_weights / grad_biases the gradient of sum_x C_x, the cost of each row
    summed over all rows of X (no division by n).

    The BLAS path's forward and backward code, with the gemm writing the gradient instead of
    updating the weights.
    """
    cdef list keep = [tuple(weights), tuple(biases), tuple(grad_weights), tuple(grad_biases)]
    cdef Py_ssize_t n = X.shape[0], widest = 0
    cdef int l
    cdef Net net, grad
    cdef const fastgd_kernels *k = find_kernels(kernel_set)
    cdef const fastgd_cost *c = find_cost(cost)
    if Y.shape[0] != n:
        raise ValueError(f"X has {n} rows but Y has {Y.shape[0]}")
    if n < 1 or n > 2**31 - 1:
        raise ValueError(f"the gradient needs between 1 and 2**31 - 1 rows, got {n}")
    view_network(weights, biases, &net, keep, X, activations)
    check_output(&net, c)
    view_network(grad_weights, grad_biases, &grad, keep, X)
    for l in range(net.n_layers + 1):
        if grad.n_layers != net.n_layers or grad.sizes[l] != net.sizes[l]:
            raise ValueError("the gradient arrays do not have the shapes of the network")
    check_columns(X, net.sizes[0], "X")
    check_columns(Y, net.sizes[net.n_layers], "Y")
    cdef floating **A = <floating **>scratch(keep, net.n_layers + 1, sizeof(void *))
    A[0] = <floating *>&X[0, 0]
    for l in range(1, net.n_layers + 1):
        A[l] = <floating *>scratch(keep, n * net.sizes[l], sizeof(floating))
        widest = max(widest, net.sizes[l])
    cdef floating *delta = <floating *>scratch(keep, n * widest, sizeof(floating))
    cdef floating *delta_prev = <floating *>scratch(keep, n * widest, sizeof(floating))
    _blas.load()
    with nogil:
        _blas_path.forward(k, &net, <int>n, A)
        _blas_path.backward(c, &net, <int>n, A, A, NULL, &Y[0, 0], delta, delta_prev,
                            <floating **>grad.W, <floating **>grad.b, <floating>1, <floating>0,
                            NULL, NULL, NULL, NULL)


def feedforward(list weights, list biases, X, floating[:, ::1] out,
                *, str path, int n_threads, str kernel_set=None, bint check_finite=False,
                activations=None):
    """out = the output activations of the network for every row of X (of out's dtype, or
    uint8 pixels read as x / 255).

    path "small" feeds the rows through the small-shape kernels on n_threads threads of the
    core's own (1 to 16); "blas" through gemm in blocks of rows, on BLAS's threads
    (n_threads=1). With check_finite, returns the flat index into X of its first NaN or
    infinity, or -2 - r when the weighted inputs of row r overflowed in some layer (NaN or
    infinite before their sigmoid; fastgd.core._forward); out is then incomplete. Else -1.
    """
    cdef list keep = [tuple(weights), tuple(biases)]
    cdef Py_ssize_t n
    cdef Net net
    cdef Rows rows
    cdef const fastgd_kernels *k = find_kernels(kernel_set)
    if path not in PATHS:
        raise ValueError(f"path must be one of {PATHS}, got {path!r}")
    if path == "blas" and n_threads != 1:
        raise ValueError(f"the BLAS path runs on BLAS's threads: pass n_threads=1 and set "
                         f"BLAS's thread count, got n_threads={n_threads}")
    view_rows(X, out, &rows, keep)
    n = rows.n_rows
    if out.shape[0] != n:
        raise ValueError(f"X has {n} rows but out has {out.shape[0]}")
    view_network(weights, biases, &net, keep, out, activations)
    if rows.n_cols != net.sizes[0]:
        raise ValueError(f"X has {rows.n_cols} columns, the network expects {net.sizes[0]}")
    check_columns(out, net.sizes[net.n_layers], "out")
    if n == 0:
        return -1
    if path == "small":
        return _forward.forward_small(k, &net, &rows, n, &out[0, 0], n_threads, check_finite)
    _blas.load()
    return _forward.forward_blas(k, &net, &rows, n, &out[0, 0], check_finite)
