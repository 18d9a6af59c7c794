"""The same mathematics as the compiled core, in plain vectorised NumPy.

This module is the readable specification of fastgd, the oracle of its tests and the baseline of
its benchmarks. Rows are samples. For a mini-batch X (m, n_in) with targets Y (m, n_out), and
f_l the activation of layer l (fastgd.activations: sigmoid unless told, the output layer's the
one its cost pairs with):

    A_0 = X,   A_{l+1} = f_l(A_l @ W_l.T + b_l)                             feedforward
    D_{L-1} = cost.delta(A_L, Y)          e.g. (A_L - Y) * A_L * (1 - A_L), the quadratic cost's
    D_{l-1} = (D_l @ W_l) * f'_{l-1}(A_l)                                   backpropagation
    dC/dW_l = D_l.T @ A_l,   dC/db_l = D_l.sum(axis=0)                      summed over the batch

and stochastic gradient descent moves every W_l by its data step S_l = -(eta/m) * dC/dW_l
("mean") or -eta * dC/dW_l ("sum"), where m is the size of that mini-batch (the last one may be
shorter), and likewise b_l. The costs, with their values and output deltas, are those of
fastgd.costs. activations is a list of one name per layer (None: sigmoid throughout).

The update rule (Trainer's lmbda, penalty, momentum, nesterov; rate = eta * lmbda / n, n the
number of training samples; biases are never penalised):

    no momentum   L2: W = (1 - rate) W + S      L1: W = (W - rate sgn(W)) + S
    momentum mu   g = S - rate W (L2) or S - rate sgn(W) (L1) or S;  V = mu V + g;
                  W = W + V, or with nesterov W = W + (mu V + g)

Dropout (Trainer's dropout, inverted): in training, each hidden layer's outputs A_l are
multiplied by a mask M_l of 1/(1 - p_l) (kept) and 0 (dropped), dropout_mask's for the rows'
samples; the layer above reads A_l M_l, and D_{l-1} = (D_l @ W_l) * f'(A_l) * M_l. The inputs'
(Trainer's input_dropout) are M_0, layer 0's: the first layer reads X M_0.
"""

import numpy as np
from scipy.special import expit as sigmoid  # noqa: F401  (1 / (1 + exp(-z)), for the tests)

from .. import activations as _activations
from .. import costs


def _layers(activations, n_layers):
    names = ["sigmoid"] * n_layers if activations is None else list(activations)
    return [_activations.get(name) for name in names]


_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_LAYER = np.uint64(0xD1B54A32D192ED03)


def _mix(x):
    """SplitMix64's finaliser, over uint64 arrays (wrapping, as C's uint64_t)."""
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


def dropout_mask(key, layer, rate, samples, n, dtype=np.float64):
    """Dropout's mask (rows of samples, n neurons of A_layer): 1/(1 - rate) where the neuron is
    kept, 0 where dropped; the counter-based draw of csrc/dropout.h, key an integer in
    [0, 2**64)."""
    samples = np.asarray(samples, dtype=np.int64).astype(np.uint64)
    with np.errstate(over="ignore"):
        h = _mix(np.uint64(key) + _GOLDEN * (samples + np.uint64(1)))
        h = _mix(h ^ (_LAYER * np.uint64(layer + 1)))
        j = np.arange(1, n + 1, dtype=np.uint64)
        u = _mix(h[:, None] + _GOLDEN * j[None, :]) >> np.uint64(11)
    kept = u >= np.uint64(int(rate * 2.0**53))
    dtype = np.dtype(dtype)
    return np.where(kept, dtype.type(1.0 / (1.0 - rate)), dtype.type(0)).astype(dtype)


def _masks(key, rates, samples, weights, input_rate=0.0):
    """The masks of a mini-batch, by the index l of A_l (None where nothing is dropped; the
    inputs, A_0, with input_rate)."""
    masks = [None] * (len(weights) + 1)
    if input_rate:
        masks[0] = dropout_mask(key, 0, input_rate, samples, weights[0].shape[1], weights[0].dtype)
    for l, rate in enumerate(rates or (), start=1):
        if rate:
            masks[l] = dropout_mask(key, l, rate, samples, len(weights[l - 1]), weights[0].dtype)
    return masks


def feedforward(weights, biases, X, activations=None):
    """Output activations of the network for the rows of X."""
    a = X
    for w, b, f in zip(weights, biases, _layers(activations, len(weights))):
        a = f.forward(a @ w.T + b)
    return a


def backprop(weights, biases, X, Y, cost="quadratic", activations=None, masks=None):
    """Gradients (grad_w, grad_b) of sum_x C_x, the cost of each row summed over the rows of X;
    masks: dropout's, by the index l of A_l (None: none)."""
    grad_w, grad_b, _ = _backprop(weights, biases, X, Y, cost, activations, masks)
    return grad_w, grad_b


def _backprop(weights, biases, X, Y, cost, activations, masks, row_weights=None):
    """backprop, and the output activations of the forward pass it made; row_weights (None:
    all 1) weigh each row's gradient."""
    layers = _layers(activations, len(weights))
    masks = masks or [None] * (len(weights) + 1)
    outputs = [X]  # A_l as f gave it
    inputs = [X if masks[0] is None else X * masks[0]]  # A_l as the layer above read it
    for w, b, f, mask in zip(weights, biases, layers, masks[1:]):
        outputs.append(f.forward(inputs[-1] @ w.T + b))
        inputs.append(outputs[-1] if mask is None else outputs[-1] * mask)
    delta = costs.get(cost).delta(outputs[-1], Y)
    if row_weights is not None:
        delta = delta * row_weights[:, None]
    grad_w = [None] * len(weights)
    grad_b = [None] * len(weights)
    for l in range(len(weights) - 1, -1, -1):
        grad_w[l] = delta.T @ inputs[l]
        grad_b[l] = delta.sum(axis=0)
        if l > 0:
            delta = (delta @ weights[l]) * layers[l - 1].prime(outputs[l])
            if masks[l] is not None:
                delta = delta * masks[l]
    return grad_w, grad_b, outputs[-1]


def train_epoch(
    weights,
    biases,
    X,
    Y,
    order,
    mini_batch_size,
    eta,
    reduction="mean",
    cost="quadratic",
    activations=None,
    *,
    lmbda=0.0,
    penalty="l2",
    n=None,
    momentum=0.0,
    nesterov=False,
    velocities=None,
    dropout=None,
    dropout_key=0,
    input_dropout=0.0,
    sample_weight=None,
):
    """One epoch of SGD over X[order] in mini-batches, updating weights and biases in place.
    Returns sum_x C_x with each mini-batch's cost taken before its update: divided by the number
    of samples, the epoch's running mean of the cost. The update rule as in the module's
    docstring, n the training set's size (None: len(X)); with momentum, velocities holds the
    weights' velocities then the biases', updated in place (None: zeros, thrown away). dropout:
    a rate per hidden layer (None: none), its masks drawn under dropout_key; input_dropout the
    inputs' rate (their mask is layer 0's). sample_weight (None: all 1), one per row of X: each
    sample's gradient and cost times its weight, the mean's divisor the batch's sum of weights
    (no data step where it is 0)."""
    the_cost = costs.get(cost)
    rate = eta * lmbda / (len(X) if n is None else n)
    if momentum and velocities is None:
        velocities = [np.zeros_like(a) for a in list(weights) + list(biases)]
    total = 0.0
    for start in range(0, len(order), mini_batch_size):
        batch = order[start : start + mini_batch_size]
        masks = _masks(dropout_key, dropout, batch, weights, input_dropout)
        row_weights = None if sample_weight is None else sample_weight[batch]
        grad_w, grad_b, out = _backprop(
            weights, biases, X[batch], Y[batch], cost, activations, masks, row_weights
        )
        if row_weights is None:
            total += len(batch) * the_cost.value(out, Y[batch])
            scale = eta / len(batch) if reduction == "mean" else eta
        else:
            total += sum(
                float(w) * the_cost.value(out[j : j + 1], Y[batch][j : j + 1])
                for j, w in enumerate(row_weights)
            )
            weight_sum = float(np.sum(row_weights, dtype=np.float64))
            if reduction == "sum":
                scale = eta
            else:
                scale = eta / weight_sum if weight_sum > 0 else 0.0
        for l, (w, b, gw, gb) in enumerate(zip(weights, biases, grad_w, grad_b)):
            if not momentum:
                if rate and penalty == "l2":
                    w *= 1 - rate
                elif rate and penalty == "l1":
                    w -= rate * np.sign(w)
                w -= scale * gw
                b -= scale * gb
                continue
            g = -scale * gw
            if rate:
                g -= rate * (w if penalty == "l2" else np.sign(w))
            for param, v, step in (
                (w, velocities[l], g),
                (b, velocities[len(weights) + l], -scale * gb),
            ):
                v *= momentum
                v += step
                param += momentum * v + step if nesterov else v
    return total


def train_epoch_per_sample(weights, biases, X, Y, order, mini_batch_size, eta, reduction="mean"):
    """The book's network.py loop: backpropagate one sample at a time and sum the gradients.

    Mathematically the same epoch as train_epoch; kept as the slow baseline of the benchmarks.
    """
    for start in range(0, len(order), mini_batch_size):
        batch = order[start : start + mini_batch_size]
        nabla_w = [np.zeros_like(w) for w in weights]
        nabla_b = [np.zeros_like(b) for b in biases]
        for j in batch:
            grad_w, grad_b = backprop(weights, biases, X[j : j + 1], Y[j : j + 1])
            for nw, nb, gw, gb in zip(nabla_w, nabla_b, grad_w, grad_b):
                nw += gw
                nb += gb
        scale = eta / len(batch) if reduction == "mean" else eta
        for w, b, nw, nb in zip(weights, biases, nabla_w, nabla_b):
            w -= scale * nw
            b -= scale * nb


def _uniform(stream, i):
    """Draws number i (an array) of a stream: doubles in [0, 1), as csrc/counter.h's."""
    with np.errstate(over="ignore"):
        bits = _mix(np.uint64(stream) + _GOLDEN * (np.asarray(i, dtype=np.uint64) + np.uint64(1)))
    return (bits >> np.uint64(11)).astype(np.float64) * 2.0**-53


def _stream(key, sample):
    with np.errstate(over="ignore"):
        return _mix(np.uint64(key) + _GOLDEN * (np.uint64(sample) + np.uint64(1)))


def distort(X, rows, key, *, h, w, rotation, scale, shear, shift, alpha=0.0, sigma=4.0):
    """The distorted images of X[rows] (csrc/distort.h's formulas, as float64 before they are
    stored in X's dtype; uint8 rounded to nearest)."""
    out = np.empty((len(rows), h * w), dtype=X.dtype)
    cy, cx = (h - 1) / 2, (w - 1) / 2
    ii, jj = np.meshgrid(np.arange(h), np.arange(w), indexing="ij")
    r = int(np.ceil(3 * sigma)) if alpha > 0 else 0
    k = np.arange(-r, r + 1)
    g = np.exp(-(k.astype(np.float64) ** 2) / (2 * sigma * sigma))
    g = g / g.sum()

    def blur(field):  # rows, then columns, zero beyond the edges
        padded = np.pad(field, ((0, 0), (r, r)))
        across = sum(g[t] * padded[:, t : t + w] for t in range(2 * r + 1))
        padded = np.pad(across, ((r, r), (0, 0)))
        return sum(g[t] * padded[t : t + h, :] for t in range(2 * r + 1))

    for n, row in enumerate(rows):
        stream = _stream(key, row)
        u = _uniform(stream, np.arange(5))
        angle = rotation * (2 * u[0] - 1) * np.pi / 180
        zoom = 1 + scale * (2 * u[1] - 1)
        sh = shear * (2 * u[2] - 1)
        tx, ty = shift * (2 * u[3] - 1), shift * (2 * u[4] - 1)
        c, s = np.cos(angle), np.sin(angle)
        m = zoom * np.array([[c, c * sh - s], [s, s * sh + c]])
        inv = np.array([[m[1, 1], -m[0, 1]], [-m[1, 0], m[0, 0]]]) / (
            m[0, 0] * m[1, 1] - m[0, 1] * m[1, 0]
        )
        x, y = jj - cx - tx, ii - cy - ty
        sx = inv[0, 0] * x + inv[0, 1] * y + cx
        sy = inv[1, 0] * x + inv[1, 1] * y + cy
        if alpha > 0:
            draws = _uniform(stream, 16 + np.arange(2 * h * w)).reshape(h * w, 2)
            sx = sx + alpha * blur((2 * draws[:, 0] - 1).reshape(h, w))
            sy = sy + alpha * blur((2 * draws[:, 1] - 1).reshape(h, w))
        image = X[row].reshape(h, w).astype(np.float64)
        x0, y0 = np.floor(sx), np.floor(sy)
        ax, ay = sx - x0, sy - y0
        value = np.zeros((h, w))
        for dy in (0, 1):
            for dx in (0, 1):
                yy, xx = (y0 + dy).astype(int), (x0 + dx).astype(int)
                inside = (yy >= 0) & (yy < h) & (xx >= 0) & (xx < w)
                weight = (ay if dy else 1 - ay) * (ax if dx else 1 - ax)
                value += np.where(inside, weight * image[yy.clip(0, h - 1), xx.clip(0, w - 1)], 0)
        if X.dtype == np.uint8:
            value = np.floor(np.clip(value, 0, 255) + 0.5)
        out[n] = value.reshape(-1)
    return out
