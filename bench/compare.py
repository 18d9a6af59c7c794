"""fastgd against the vectorised NumPy reference: the core case by case, then the whole run.

Each pair runs in this one process, one after the other, so the ratio is fair on a noisy machine.

    python bench/compare.py            # the full table, on all 60,000 MNIST training images
    python bench/compare.py --quick    # a smoke run on 3,000 images (times scaled to 60,000)

The first table: seconds per epoch of the compiled core and of its baseline, the speed-up, the
GFLOP/s the core reaches and that as a fraction of this machine's large-GEMM peak (measured here
first, one core and all). GFLOP/s count the dense algorithm's operations: the core leaves out the
inputs that are zero in a whole mini-batch (about half of MNIST's pixels at m=10), so it does
fewer; the "all inputs" rows turn that off to show the kernels' own rate. Rows whose threads read
"auto" train with Trainer.fit's default thread choice (timed as fits, per epoch) against NumPy on
one BLAS thread. fastgd reads the pixels as bytes (uint8, as load_mnist(dtype="uint8") gives
them); NumPy gets them as floats divided by 255, which is what the core computes.

Then what a user times: Trainer.fit per epoch of wall time (verbose=1, test data given) against
the core's epoch, `fastgd train --seed 0` from process start to exit against NumPy's epoch, and
the peak memory of a 30-epoch uint8 run. MNIST is read from $FASTGD_DATA, else from
../shared/data/mnist beside the repository.
"""

import argparse
import contextlib
import io
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

import fastgd
from fastgd import reference as ref
from fastgd.core import _core, policy

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "mnist"
N_TRAIN = 60000


@dataclass
class Case:
    name: str
    sizes: list
    m: int
    dtype: str
    threads: int = 2  # None: Trainer.fit's default choice, timed as fits
    baseline: str = "numpy"  # or "book": the per-sample loop of the book's network.py
    skip_zero_inputs: bool = True  # False: the core computes with every input, zero or not
    baseline_threads: int = None  # BLAS threads of the baseline: None, as many as fastgd's

    @property
    def label(self):
        threads = "auto" if self.threads is None else f"{self.threads}t"
        return f"{','.join(map(str, self.sizes))} m={self.m} {self.dtype} {threads}"

    @property
    def base_threads(self):
        return self.baseline_threads or self.threads


CASES = [
    Case("reference setting", [784, 30, 10], 10, "float64"),
    Case("reference setting", [784, 30, 10], 10, "float32"),
    Case("reference, 1 thread", [784, 30, 10], 10, "float64", threads=1),
    Case("reference, 1 thread", [784, 30, 10], 10, "float32", threads=1),
    Case("ref., all inputs", [784, 30, 10], 10, "float64", skip_zero_inputs=False),
    Case("ref., all inputs", [784, 30, 10], 10, "float32", skip_zero_inputs=False),
    Case("vs the book's loop", [784, 30, 10], 10, "float64", baseline="book"),
    Case("online learning", [784, 30, 10], 1, "float64"),
    Case("online learning", [784, 30, 10], 1, "float32"),
    Case("wider net", [784, 100, 10], 10, "float64"),
    Case("wider net", [784, 100, 10], 10, "float32"),
    Case("m=100, vs NumPy 1t", [784, 30, 10], 100, "float64", threads=None, baseline_threads=1),
    Case("m=100, vs NumPy 1t", [784, 30, 10], 100, "float32", threads=None, baseline_threads=1),
    Case("m=1000, vs NumPy 1t", [784, 30, 10], 1000, "float64", threads=None, baseline_threads=1),
    Case("m=1000, vs NumPy 1t", [784, 30, 10], 1000, "float32", threads=None, baseline_threads=1),
    Case("BLAS-bound", [784, 512, 512, 10], 128, "float32"),
    Case("BLAS-bound, 1 thread", [784, 512, 512, 10], 128, "float32", threads=1),
]
# Epochs of each timed fit of the "auto" rows: the thread choice measures as it trains, so a
# fit of one epoch would weigh its first measurements too heavily.
FIT_EPOCHS = 3


def data_dir():
    return os.environ.get("FASTGD_DATA") or str(DEFAULT_DATA)


def load_data(n_samples=None):
    """MNIST training and test images (uint8, as stored) and labels."""
    (X, y), (X_test, y_test) = fastgd.load_mnist(data_dir(), dtype="uint8")
    if n_samples is not None:
        X, y = X[:n_samples], y[:n_samples]
    return X, y, X_test, y_test


def as_floats(X, dtype):
    """Pixels as the NumPy baseline takes them: X / 255 in dtype (what the core reads uint8 as)."""
    return X.astype(dtype) / np.asarray(255, dtype)


def epoch_flops(sizes, n):
    """Floating-point operations of one epoch: forward, backward deltas and weight updates."""
    products = [a * b for a, b in zip(sizes[:-1], sizes[1:])]
    # Every layer: the forward product and the update; all but the first: the delta product.
    return 2 * n * (2 * sum(products) + sum(products[1:]))


def make_epoch(kind, case, X, y, seed=0):
    """A function that trains one epoch over X (uint8 pixels): kind "fastgd" (the core, one
    call), "fit" (Trainer.fit, FIT_EPOCHS epochs a call, default threads), "numpy" or "book"."""
    net = fastgd.Network(case.sizes, seed=seed, dtype=case.dtype)
    Y = np.eye(case.sizes[-1], dtype=case.dtype)[y]
    order = np.random.default_rng(seed).permutation(len(X))
    if kind == "fastgd":
        # The path and thread count fit would use (BLAS's threads are set by the caller).
        options = policy.training_plan(case.m, case.threads, case.sizes).core_options()

        def epoch():
            _core.train_chunk(
                net.weights,
                net.biases,
                X,
                Y,
                order,
                case.m,
                3.0,
                True,
                cost="quadratic",
                skip_zero_inputs=case.skip_zero_inputs,
                **options,
            )

        return epoch
    if kind == "fit":
        trainer = fastgd.Trainer(
            net,
            eta=3.0,
            mini_batch_size=case.m,
            epochs=FIT_EPOCHS,
            seed=seed,
            verbose=0,
            n_threads=case.threads,
        )
        return lambda: trainer.fit(X, y)
    X = as_floats(X, case.dtype)
    loop = ref.train_epoch if kind == "numpy" else ref.train_epoch_per_sample
    return lambda: loop(net.weights, net.biases, X, Y, order, case.m, 3.0)


def best_time(fn, repeats):
    """The fastest of repeats timed calls, after one warm-up call."""
    fn()
    return min(timed(fn) for _ in range(repeats))


def gemm_peak(dtype, threads):
    """GFLOP/s of a large square matrix product through NumPy's BLAS: the machine's practical
    peak for this dtype and thread count."""
    a = np.random.default_rng(0).random((2048, 2048)).astype(dtype)
    with threadpool_limits(threads, user_api="blas"):
        return 2 * 2048**3 / best_time(lambda: a @ a, 3) / 1e9


def timed(fn):
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def compare_training(case, X, y, repeats, peaks):
    """One row: seconds per 60,000 images for the baseline and fastgd, each the best of repeats
    epochs taken in turns (fastgd, baseline, fastgd, ...) so that a slow spell of the machine
    falls on both; the book's loop, at ten seconds an epoch, runs once. fastgd's side is the
    core with the baseline's BLAS thread count, or, for an "auto" row, fits on the default
    thread choice against the baseline on its own count."""
    scale = N_TRAIN / len(X)
    auto = case.threads is None
    ours = make_epoch("fit" if auto else "fastgd", case, X, y)
    per_call = FIT_EPOCHS if auto else 1
    base_epoch = make_epoch(case.baseline, case, X, y)
    base_repeats = 1 if case.baseline == "book" else repeats
    core = base = float("inf")
    ours()
    with threadpool_limits(case.base_threads, user_api="blas"):
        base_epoch()
    for r in range(repeats):
        # OpenBLAS's idle threads keep spinning for a while after NumPy's last product, and
        # would take the second core from the core's own threads: let them stop first.
        settle()
        if auto:
            core = min(core, timed(ours) / per_call * scale)
        else:
            with threadpool_limits(case.threads, user_api="blas"):
                core = min(core, timed(ours) * scale)
        if r < base_repeats:
            with threadpool_limits(case.base_threads, user_api="blas"):
                base = min(base, timed(base_epoch) * scale)
    gflops = epoch_flops(case.sizes, N_TRAIN) / core / 1e9
    peak = peaks[case.dtype, case.threads or policy.default_threads()]
    return base, core, gflops, gflops / peak


def compare_evaluation(X_test, dtype, threads, repeats):
    """Seconds to feed the 10,000 test images forward through [784, 30, 10]."""
    net = fastgd.Network([784, 30, 10], seed=0, dtype=dtype)
    X_float = as_floats(X_test, dtype)
    with threadpool_limits(threads, user_api="blas"):
        settle()
        core = best_time(lambda: net.feedforward(X_test), repeats)
        base = best_time(lambda: ref.feedforward(net.weights, net.biases, X_float), repeats)
    return base, core


def compare_fit(dtype, X, y, X_test, y_test, epochs, rounds):
    """Trainer.fit's wall time per epoch at the reference setting, as a user runs it (verbose=1,
    its lines captured; test data given; default threads), against the core's epoch on two
    threads: rounds of a fit of epochs epochs and as many core epochs, one after the other.
    Returns the median fit and core seconds per epoch and the median of the rounds' ratios (a
    round's two runs share the machine's mood of that moment; the best of each side would
    pair a calm spell of one with any of the other)."""
    case = Case("", [784, 30, 10], 10, dtype)
    core_epoch = make_epoch("fastgd", case, X, y)
    fits, cores = [], []
    for _ in range(rounds):
        settle()
        net = fastgd.Network(case.sizes, seed=0, dtype=dtype)
        trainer = fastgd.Trainer(net, eta=3.0, mini_batch_size=10, epochs=epochs, seed=0)
        with contextlib.redirect_stdout(io.StringIO()):
            fits.append(
                timed(lambda trainer=trainer: trainer.fit(X, y, test_data=(X_test, y_test)))
                / epochs
            )
        settle()
        with threadpool_limits(2, user_api="blas"):
            cores.append(timed(lambda: [core_epoch() for _ in range(epochs)]) / epochs)
    ratios = [f / c for f, c in zip(fits, cores)]
    return float(np.median(fits)), float(np.median(cores)), float(np.median(ratios))


def compare_whole_run(dtype, repeats):
    """`fastgd train --seed 0` (30 epochs, MNIST read from disk, its output discarded), from
    process start to exit, against an epoch of the NumPy reference at the same setting with
    NumPy's default BLAS threads: (best seconds of the command, best NumPy epoch)."""
    command = [
        sys.executable,
        "-m",
        "fastgd",
        "train",
        "--seed",
        "0",
        "--dtype",
        dtype,
        "--data",
        data_dir(),
        "--no-download",
    ]
    case = Case("", [784, 30, 10], 10, dtype)
    X, y, _, _ = load_data()
    numpy_epoch = make_epoch("numpy", case, X, y)
    run = epoch = float("inf")
    for _ in range(repeats):
        settle()
        started = time.perf_counter()
        subprocess.run(command, stdout=subprocess.DEVNULL, check=True)
        run = min(run, time.perf_counter() - started)
        settle()
        epoch = min(epoch, timed(numpy_epoch))
    return run, epoch


def settle():
    """Wait for OpenBLAS's threads to stop spinning after NumPy's last product (a fraction of a
    second), so that they do not compete with the next measurement for the cores."""
    time.sleep(0.5)


MEMORY_RUN = """
import sys
def peak():  # VmHWM: this process's peak resident memory (ru_maxrss may carry the parent's)
    line = [l for l in open("/proc/self/status") if l.startswith("VmHWM")][0]
    return int(line.split()[1]) * 1024
import numpy as np, fastgd
imports = peak()
(X, y), (Xt, yt) = fastgd.load_mnist(sys.argv[1], dtype="uint8")
data = X.nbytes + y.nbytes + Xt.nbytes + yt.nbytes
loaded = peak()
net = fastgd.Network([784, 30, 10], seed=0, dtype="float32")
fastgd.Trainer(net, eta=3.0, mini_batch_size=10, epochs=int(sys.argv[2]), seed=0,
               verbose=0).fit(X, y, test_data=(Xt, yt))
print(data, imports, loaded, peak())
"""


def measure_memory(epochs):
    """Peak resident memory of a float32 reference run on uint8 pixels, in a fresh process:
    (data bytes, peak after the imports, after loading, after training)."""
    out = subprocess.run(
        [sys.executable, "-c", MEMORY_RUN, data_dir(), str(epochs)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return [int(v) for v in out.split()]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick",
        action="store_true",
        help="3,000 images, one repeat, 2-epoch memory run: a smoke test",
    )
    args = parser.parse_args(argv)
    X, y, X_test, y_test = load_data(3000 if args.quick else None)
    repeats = 1 if args.quick else 3
    peaks = {(d, t): gemm_peak(d, t) for d in ("float64", "float32") for t in (1, 2)}
    print(
        f"fastgd kernels: {_core.kernel_sets()[0]}; {len(X)} training images, seconds per epoch "
        f"scaled to {N_TRAIN}; each side best of {repeats}, taken in turns; GFLOP/s of the "
        f"dense algorithm (the core skips inputs zero in a whole mini-batch)"
    )
    print(
        "large-GEMM peak, GFLOP/s: "
        + ", ".join(f"{d} {t} thread{'s' if t > 1 else ''} {p:.0f}" for (d, t), p in peaks.items())
    )
    header = (
        f"{'case':<22} {'sizes, m, dtype, threads':<30} {'baseline':>8} {'base s':>8} "
        f"{'fastgd s':>9} {'speed-up':>9} {'GFLOP/s':>8} {'of peak':>8}"
    )
    print(header)
    print("-" * len(header))
    for case in CASES:
        if args.quick and case.baseline == "book":
            continue
        base, core, gflops, fraction = compare_training(case, X, y, repeats, peaks)
        print(
            f"{case.name:<22} {case.label:<30} {case.baseline:>8} {base:>8.3f} {core:>9.3f} "
            f"{base / core:>8.1f}x {gflops:>8.1f} {fraction:>8.0%}",
            flush=True,
        )
    for dtype in ("float64", "float32"):
        base, core = compare_evaluation(X_test, dtype, 2, repeats)
        print(
            f"{'evaluate 10,000':<22} {'784,30,10 ' + dtype + ' 2t':<30} {'numpy':>8} "
            f"{base:>8.4f} {core:>9.4f} {base / core:>8.1f}x",
            flush=True,
        )
    epochs = 2 if args.quick else 30
    print()
    rounds = 1 if args.quick else 5
    print(
        f"What a user times, the reference setting ({len(X)} training images; fit and core: "
        f"medians of {rounds} rounds of {epochs} epochs each, in turns):"
    )
    for dtype in ("float64", "float32"):
        fit, core, ratio = compare_fit(dtype, X, y, X_test, y_test, epochs, rounds)
        print(
            f"  Trainer.fit, {dtype}: {fit:.4f} s per epoch of wall time (verbose=1, test "
            f"data), the core {core:.4f} s: fit/core {ratio:.2f}",
            flush=True,
        )
    if not args.quick:
        for dtype in ("float64", "float32"):
            run, epoch = compare_whole_run(dtype, repeats)
            print(
                f"  fastgd train --seed 0, {dtype}, 30 epochs, process start to exit: "
                f"{run:.2f} s = {run / epoch:.1f} NumPy epochs ({epoch:.3f} s each)",
                flush=True,
            )
    data, imports, loaded, trained = measure_memory(epochs)
    mib = 2**20
    print(
        f"  memory, float32 run of {epochs} epochs on uint8 pixels: data arrays "
        f"{data / mib:.0f} MiB; peak resident {imports / mib:.0f} MiB after the imports, "
        f"{loaded / mib:.0f} MiB after loading, {trained / mib:.0f} MiB after training: "
        f"{(trained - data) / mib:.0f} MiB above the data, "
        f"{(trained - data - imports) / mib:.0f} MiB above data and imports"
    )


if __name__ == "__main__":
    main()
