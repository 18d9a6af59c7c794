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
"""

import numpy as np
from scipy.special import expit as sigmoid  # noqa: F401  (1 / (1 + exp(-z)), for the tests)

from .. import activations as _activations
from .. import costs


def _layers(activations, n_layers):
    names = ["sigmoid"] * n_layers if activations is None else list(activations)
    return [_activations.get(name) for name in names]


def feedforward(weights, biases, X, activations=None):
    """Output activations of the network for the rows of X."""
    a = X
    for w, b, f in zip(weights, biases, _layers(activations, len(weights))):
        a = f.forward(a @ w.T + b)
    return a


def backprop(weights, biases, X, Y, cost="quadratic", activations=None):
    """Gradients (grad_w, grad_b) of sum_x C_x, the cost of each row summed over the rows of X."""
    layers = _layers(activations, len(weights))
    outputs = [X]
    for w, b, f in zip(weights, biases, layers):
        outputs.append(f.forward(outputs[-1] @ w.T + b))
    delta = costs.get(cost).delta(outputs[-1], Y)
    grad_w = [None] * len(weights)
    grad_b = [None] * len(weights)
    for l in range(len(weights) - 1, -1, -1):
        grad_w[l] = delta.T @ outputs[l]
        grad_b[l] = delta.sum(axis=0)
        if l > 0:
            delta = (delta @ weights[l]) * layers[l - 1].prime(outputs[l])
    return grad_w, grad_b


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
):
    """One epoch of SGD over X[order] in mini-batches, updating weights and biases in place.
    Returns sum_x C_x with each mini-batch's cost taken before its update: divided by the number
    of samples, the epoch's running mean of the cost. The update rule as in the module's
    docstring, n the training set's size (None: len(X)); with momentum, velocities holds the
    weights' velocities then the biases', updated in place (None: zeros, thrown away)."""
    the_cost = costs.get(cost)
    rate = eta * lmbda / (len(X) if n is None else n)
    if momentum and velocities is None:
        velocities = [np.zeros_like(a) for a in list(weights) + list(biases)]
    total = 0.0
    for start in range(0, len(order), mini_batch_size):
        batch = order[start : start + mini_batch_size]
        out = feedforward(weights, biases, X[batch], activations)
        total += len(batch) * the_cost.value(out, Y[batch])
        grad_w, grad_b = backprop(weights, biases, X[batch], Y[batch], cost, activations)
        scale = eta / len(batch) if reduction == "mean" else eta
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
