"""Digests of what training gives, for comparing two builds bit for bit: for every kernel set
of this CPU, both dtypes and both costs, online learning on one thread and mini-batches of 10
on two, one epoch on 6,000 MNIST images, then the outputs on 1,000 test images."""

import hashlib

import fastgd
from fastgd.core import _core, policy

(X, y), (test_X, _) = fastgd.load_mnist(dtype="uint8")
X, y = X[:6000], y[:6000]
for kernel_set in _core.kernel_sets():
    for dtype in ("float64", "float32"):
        for cost, init in (("quadratic", "normal"), ("cross_entropy", "scaled")):
            for m, threads in ((10, 2), (1, 1)):
                net = fastgd.Network([784, 30, 10], seed=1, dtype=dtype, init=init)
                with policy.overrides(kernel_set=kernel_set):
                    fastgd.Trainer(
                        net,
                        eta=0.5,
                        mini_batch_size=m,
                        epochs=1,
                        seed=2,
                        cost=cost,
                        n_threads=threads,
                        verbose=0,
                    ).fit(X, y)
                    out = net.feedforward(test_X[:1000])
                digest = hashlib.sha256(
                    b"".join(a.tobytes() for a in net.weights + net.biases) + out.tobytes()
                ).hexdigest()[:16]
                print(kernel_set, dtype, cost, f"m={m}", f"threads={threads}", digest)
