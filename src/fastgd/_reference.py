"""The same mathematics as the compiled core, in plain vectorised NumPy.

This module is the readable specification of fastgd, the oracle of its tests and the baseline of
its benchmarks. Rows are samples. For a mini-batch X (m, n_in) with targets Y (m, n_out):

    A_0 = X,   A_{l+1} = sigma(A_l @ W_l.T + b_l)                           feedforward
    D_{L-1} = cost.delta(A_L, Y)          e.g. (A_L - Y) * A_L * (1 - A_L), the quadratic cost's
    D_{l-1} = (D_l @ W_l) * A_l * (1 - A_l)                                 backpropagation
    dC/dW_l = D_l.T @ A_l,   dC/db_l = D_l.sum(axis=0)                      summed over the batch

and stochastic gradient descent moves every W_l by -(eta/m) * dC/dW_l ("mean") or -eta * dC/dW_l
("sum"), where m is the size of that mini-batch (the last one may be shorter). The costs, with
their values and output deltas, are those of fastgd.costs.
"""

import numpy as np
from scipy.special import expit as sigmoid  # 1 / (1 + exp(-z)), one ufunc, no overflow

from . import costs


def feedforward(weights, biases, X):
    """Output activations of the network for the rows of X."""
    a = X
    for w, b in zip(weights, biases):
        a = sigmoid(a @ w.T + b)
    return a


def backprop(weights, biases, X, Y, cost="quadratic"):
    """Gradients (grad_w, grad_b) of sum_x C_x, the cost of each row summed over the rows of X."""
    activations = [X]
    for w, b in zip(weights, biases):
        activations.append(sigmoid(activations[-1] @ w.T + b))
    delta = costs.get(cost).delta(activations[-1], Y)
    grad_w = [None] * len(weights)
    grad_b = [None] * len(weights)
    for l in range(len(weights) - 1, -1, -1):
        grad_w[l] = delta.T @ activations[l]
        grad_b[l] = delta.sum(axis=0)
        if l > 0:
            a = activations[l]
            delta = (delta @ weights[l]) * a * (1 - a)
    return grad_w, grad_b


def train_epoch(
    weights, biases, X, Y, order, mini_batch_size, eta, reduction="mean", cost="quadratic"
):
    """One epoch of SGD over X[order] in mini-batches, updating weights and biases in place.
    Returns sum_x C_x with each mini-batch's cost taken before its update: divided by the number
    of samples, the epoch's running mean of the cost."""
    the_cost = costs.get(cost)
    total = 0.0
    for start in range(0, len(order), mini_batch_size):
        batch = order[start : start + mini_batch_size]
        total += len(batch) * the_cost.value(feedforward(weights, biases, X[batch]), Y[batch])
        grad_w, grad_b = backprop(weights, biases, X[batch], Y[batch], cost)
        scale = eta / len(batch) if reduction == "mean" else eta
        for w, b, gw, gb in zip(weights, biases, grad_w, grad_b):
            w -= scale * gw
            b -= scale * gb
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
