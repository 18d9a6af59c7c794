"""Paired A/B of two builds of fastgd at the reference setting, in alternating processes.

    python bench/ab.py OLD_PYTHON NEW_PYTHON [--rounds 8]
    python bench/ab.py OLD_PYTHON NEW_PYTHON --instructions

Each Python is an interpreter with a build of fastgd installed (a virtual environment's
bin/python). Every round starts one process of each build, in turns (A B, then B A, ...), and
each process times, for float64 and float32 on one and two threads, one epoch of the core over
all 60,000 MNIST images ([784, 30, 10], m=10, eta=3.0; best of five after a warm-up) and one
epoch of Trainer.fit (verbose=0: the core and fit's pass for the training cost). A slow spell of
the shared machine then falls on both builds alike; the table gives, per case, the median over
the rounds of the ratio new / old of the same round, a bootstrap 95% interval of that median,
and the range. --case limits the run to some cases (more rounds in the same time).

On a shared machine the rounds' ratios spread widely. --instructions counts instead, under
valgrind's callgrind, the instructions one epoch of the small-kernel path executes on one thread
(3,000 images, both dtypes): the same count on every run, whatever else the machine does, so one
run of each build settles a small difference in the work (not in memory or cache behaviour).

The measuring code runs in both builds, so it speaks both core APIs: fastgd 0.1's
_core.train_epoch and today's _core.train_chunk. MNIST comes from $FASTGD_DATA, else
../shared/data/mnist beside the repository.
"""

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "mnist"
CASES = [(dtype, threads) for dtype in ("float64", "float32") for threads in (1, 2)]

CHILD = r"""
import json, sys, time
import numpy as np
import fastgd
try:
    from fastgd.core import _core, policy as _policy  # 0.3's layout
except ImportError:
    from fastgd import _core  # 0.1's and 0.2's
    if hasattr(_core, "train_chunk"):
        from fastgd import _policy

(X64, y), _ = fastgd.load_mnist(sys.argv[1])
M, ETA, REPEATS = 10, 3.0, 5

if hasattr(_core, "train_chunk"):

    def core_epoch(net, X, Y, order, threads):
        options = _policy.training_plan(M, threads).core_options()
        _core.train_chunk(net.weights, net.biases, X, Y, order, M, ETA, True,
                          cost="quadratic", **options)
else:
    def core_epoch(net, X, Y, order, threads):
        _core.train_epoch(net.weights, net.biases, X, Y, order, M, ETA, True, threads)


def best(fn):
    fn()
    times = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


results = {}
for dtype, threads in json.loads(sys.argv[2]):
    X = np.ascontiguousarray(X64, dtype=dtype)
    Y = np.eye(10, dtype=dtype)[y]
    order = np.random.default_rng(0).permutation(len(X)).astype(np.intp)
    net = fastgd.Network([784, 30, 10], seed=0, dtype=dtype)
    core = best(lambda: core_epoch(net, X, Y, order, threads))
    net = fastgd.Network([784, 30, 10], seed=0, dtype=dtype)
    trainer = fastgd.Trainer(net, eta=ETA, mini_batch_size=M, epochs=1, seed=0, verbose=0,
                             n_threads=threads)
    fit = best(lambda: trainer.fit(X, y))
    results[f"{dtype} {threads}t"] = {"core": core, "fit": fit}
print(json.dumps(results))
"""


INSTRUCTIONS_CHILD = r"""
import sys
import numpy as np
import fastgd
try:
    from fastgd.core import _core  # 0.3's layout
except ImportError:
    from fastgd import _core  # 0.1's and 0.2's

(X64, y), _ = fastgd.load_mnist(sys.argv[1])
dtype, n = sys.argv[2], int(sys.argv[3])
X = np.ascontiguousarray(X64[:n], dtype=dtype)
Y = np.eye(10, dtype=dtype)[y[:n]]
order = np.random.default_rng(0).permutation(n).astype(np.intp)
net = fastgd.Network([784, 30, 10], seed=0, dtype=dtype)
if hasattr(_core, "train_chunk"):
    _core.train_chunk(net.weights, net.biases, X, Y, order, 10, 3.0, True, cost="quadratic",
                      path="small", n_threads=1)
else:
    _core.train_epoch(net.weights, net.biases, X, Y, order, 10, 3.0, True, 1)
"""


def instructions(python, data, dtype, n):
    """Instructions executed by the small-kernel path's thread body, the whole epoch but its
    set-up (fastgd 0.2 and later: _small_path's run_thread_d and _s, the entry of the core's
    own threads, into which the compiler inlines train_thread).
    Callgrind's toggle flips at every entry of a matching function, so the pattern must match
    no function that it calls or is called by. (fastgd 0.1's body was an OpenMP region,
    *train*_omp_fn*: this count no longer compares with it.)"""
    out = Path(tempfile.mkdtemp()) / "callgrind.out"
    subprocess.run(
        [
            "valgrind",
            "--tool=callgrind",
            f"--callgrind-out-file={out}",
            "--toggle-collect=*_small_path_run_thread_*",
            python,
            "-c",
            INSTRUCTIONS_CHILD,
            str(data),
            dtype,
            str(n),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    for line in out.read_text().splitlines():
        if line.startswith("summary:") or line.startswith("totals:"):
            return int(line.split()[1])
    raise RuntimeError(f"no instruction total in {out}")


def measure(python, data, cases):
    out = subprocess.run(
        [python, "-c", CHILD, str(data), json.dumps(cases)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return json.loads(out)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("old", help="the Python of build A (the baseline)")
    parser.add_argument("new", help="the Python of build B")
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument(
        "--instructions",
        action="store_true",
        help="count the core's instructions on one thread under callgrind",
    )
    parser.add_argument(
        "--case",
        action="append",
        choices=[f"{d} {t}t" for d, t in CASES],
        help="only this case (repeatable; default: all)",
    )
    args = parser.parse_args(argv)
    data = os.environ.get("FASTGD_DATA") or DEFAULT_DATA
    if args.instructions:
        n = 3000
        print(f"instructions of one epoch of the core, {n} images, [784, 30, 10], m=10, 1 thread")
        for dtype in ("float64", "float32"):
            old, new = (instructions(python, data, dtype, n) for python in (args.old, args.new))
            if not old or not new:
                sys.exit(
                    f"{dtype}: no instructions counted (old {old}, new {new}): the "
                    f"thread body's name did not match the toggle"
                )
            print(f"{dtype}: old {old:,}  new {new:,}  new/old {new / old:.4f}")
        return
    ratios = {}
    seconds = {}
    for r in range(args.rounds):
        order = [("old", args.old), ("new", args.new)]
        if r % 2:
            order.reverse()
        cases = [(d, t) for d, t in CASES if not args.case or f"{d} {t}t" in args.case]
        got = {name: measure(python, data, cases) for name, python in order}
        for case, kinds in got["new"].items():
            for kind, value in kinds.items():
                ratios.setdefault((case, kind), []).append(value / got["old"][case][kind])
                for name in ("old", "new"):
                    seconds.setdefault((case, kind, name), []).append(got[name][case][kind])
        print(f"round {r + 1}/{args.rounds} done", file=sys.stderr, flush=True)
    print(
        f"{'case':<14} {'what':<5} {'old s':>7} {'new s':>7} {'new/old median':>15} "
        f"{'95% interval':>14} {'range':>13}"
    )
    for (case, kind), values in ratios.items():
        old = statistics.median(seconds[case, kind, "old"])
        new = statistics.median(seconds[case, kind, "new"])
        low, high = median_interval(values)
        print(
            f"{case:<14} {kind:<5} {old:>7.4f} {new:>7.4f} {statistics.median(values):>15.3f} "
            f"{low:>7.3f}-{high:.3f} {min(values):>6.3f}-{max(values):.3f}"
        )


def median_interval(values, resamples=4000):
    """A bootstrap 95% interval of the median of values (percentiles of resampled medians)."""
    rng = random.Random(0)
    medians = sorted(
        statistics.median(rng.choices(values, k=len(values))) for _ in range(resamples)
    )
    return medians[int(0.025 * resamples)], medians[int(0.975 * resamples) - 1]


if __name__ == "__main__":
    main()
