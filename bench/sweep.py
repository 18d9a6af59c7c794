"""A sweep on two local worker processes against the same runs one after another in one process.

    python bench/sweep.py            # 16 runs: [784,30,10], 10,000 MNIST images, 3 epochs
    python bench/sweep.py --quick    # 4 runs of 1 epoch: a smoke test

Prints both wall times and their ratio (the throughput of the sweep), and the sweep's overhead
per run: its wall time beyond the runs' own seconds spread over the workers, as a fraction of a
run. The data reaches each worker once, when the pool starts it (inherited through fork: no
bytes pickled); the sequential side trains each run with one thread, as a sweep's run does.
MNIST is read from $FASTGD_DATA, else from ../shared/data/mnist beside the repository.
"""
import argparse
import time

import fastgd
from compare import load_data


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="4 runs of 1 epoch")
    args = parser.parse_args(argv)
    X, y, X_test, y_test = load_data(10000)
    grid = {"eta": [0.5, 1.0, 3.0, 5.0], "seed": [0, 1, 2, 3]}
    if args.quick:
        grid = {"eta": [1.0, 3.0], "seed": [0, 1]}
    fixed = dict(sizes=[784, 30, 10], mini_batch_size=10, epochs=1 if args.quick else 3)
    runs = [{"eta": eta, "seed": seed} for eta in grid["eta"] for seed in grid["seed"]]

    started = time.perf_counter()
    for run in runs:
        net = fastgd.Network(fixed["sizes"], seed=run["seed"])
        fastgd.Trainer(net, eta=run["eta"], mini_batch_size=fixed["mini_batch_size"],
                       epochs=fixed["epochs"], seed=run["seed"], verbose=0, n_threads=1).fit(
            X, y, test_data=(X_test, y_test))
    sequential = time.perf_counter() - started

    started = time.perf_counter()
    result = fastgd.sweep(grid, (X, y), test_data=(X_test, y_test), workers=2, verbose=0,
                          **fixed)
    swept = time.perf_counter() - started
    run_seconds = sum(r["seconds"] for r in result.records)
    overhead = (swept - run_seconds / 2) * 2 / len(runs)
    print(f"{len(runs)} runs of {fixed['sizes']}, m={fixed['mini_batch_size']}, "
          f"{fixed['epochs']} epochs on {len(X)} images: one after another {sequential:.2f} s, "
          f"sweep on 2 workers {swept:.2f} s: {sequential / swept:.2f}x; overhead per run "
          f"{overhead:.3f} s, {overhead / (run_seconds / len(runs)):.1%} of a run "
          f"({run_seconds / len(runs):.3f} s); data {(X.nbytes + X_test.nbytes) / 2**20:.1f} MiB "
          f"to each worker once")


if __name__ == "__main__":
    main()
