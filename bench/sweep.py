"""A sweep on two local worker processes against the same runs one after another in one process.

    python bench/sweep.py            # 16 runs: [784,30,10], 10,000 MNIST images, 3 epochs
    python bench/sweep.py --quick    # 4 runs of 1 epoch: a smoke test

Each of --rounds rounds times the runs one after another (one thread each, as a sweep's run
has), the same runs on two forked children with half of them each and nothing to schedule (the
best two processes do on this machine: a shared machine's two vCPUs rarely give 2x), and the
sweep on two workers; it prints the ratios and the sweep's wall time beyond its runs' own seconds
(scheduling, and a worker idle at the end while the other finishes). Then the machinery's cost
per run alone: 64 runs that train one mini-batch, swept on one worker against the same runs in
this process. The data reaches each worker once, when the pool forks it: a run sends only its
settings and the data's token.
MNIST is read from $FASTGD_DATA, else from ../shared/data/mnist beside the repository.
"""

import argparse
import os
import statistics
import time

import fastgd

from compare import load_data


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="4 runs of 1 epoch")
    parser.add_argument("--rounds", type=int, default=5, help="rounds of the three timings")
    parser.add_argument(
        "--dask",
        action="store_true",
        help="also the same sweep on a distributed.LocalCluster of two "
        "one-thread workers, and the bytes of data each received",
    )
    args = parser.parse_args(argv)
    X, y, X_test, y_test = load_data(10000)
    grid = {"eta": [0.5, 1.0, 3.0, 5.0], "seed": [0, 1, 2, 3]}
    if args.quick:
        grid = {"eta": [1.0, 3.0], "seed": [0, 1]}
    fixed = dict(sizes=[784, 30, 10], mini_batch_size=10, epochs=1 if args.quick else 3)
    runs = [{"eta": eta, "seed": seed} for eta in grid["eta"] for seed in grid["seed"]]

    def train(runs):
        for run in runs:
            net = fastgd.Network(fixed["sizes"], seed=run["seed"])
            fastgd.Trainer(
                net,
                eta=run["eta"],
                mini_batch_size=fixed["mini_batch_size"],
                epochs=fixed["epochs"],
                seed=run["seed"],
                verbose=0,
                n_threads=1,
            ).fit(X, y, test_data=(X_test, y_test))

    def sequential():
        started = time.perf_counter()
        train(runs)
        return time.perf_counter() - started

    def halves():
        # What the machine gives two processes at best: two forked children, each training
        # half of the runs with nothing to schedule (a shared machine's two vCPUs rarely give
        # 2x).
        started = time.perf_counter()
        children = []
        for half in (runs[0::2], runs[1::2]):
            pid = os.fork()
            if pid == 0:
                try:
                    train(half)
                finally:
                    os._exit(0)
            children.append(pid)
        for pid in children:
            os.waitpid(pid, 0)
        return time.perf_counter() - started

    def swept():
        started = time.perf_counter()
        result = fastgd.sweep(
            grid, (X, y), test_data=(X_test, y_test), workers=2, verbose=0, **fixed
        )
        seconds = time.perf_counter() - started
        run_seconds = sum(r["seconds"] for r in result.records)
        # The sweep's wall time beyond its runs' own (spread over the two workers), per run.
        return seconds, (seconds - run_seconds / 2) * 2 / len(runs), run_seconds / len(runs)

    print(
        f"{len(runs)} runs of {fixed['sizes']}, m={fixed['mini_batch_size']}, "
        f"{fixed['epochs']} epochs on {len(X)} images; data "
        f"{(X.nbytes + X_test.nbytes) / 2**20:.1f} MiB, reaching each worker once, when the "
        f"pool forks it"
    )
    ratios, ceilings, overheads, rounds = [], [], [], []
    for round_ in range(args.rounds):
        one, two, (sweep_seconds, overhead, run) = sequential(), halves(), swept()
        rounds.append((one, two, sweep_seconds, overhead, run))
        ratios.append(one / sweep_seconds)
        ceilings.append(one / two)
        overheads.append(overhead / run)
        print(
            f"round {round_ + 1}: one after another {one:.2f} s, sweep on 2 workers "
            f"{sweep_seconds:.2f} s: {ratios[-1]:.2f}x (two forked processes with half the "
            f"runs each: {ceilings[-1]:.2f}x); wall time beyond the runs' own per run "
            f"{overhead * 1000:.1f} ms, {overheads[-1]:.1%} of a run ({run:.3f} s)"
        )
    # The machinery's own cost per run (settings checked, scheduled, sent; the record made
    # and sent back), apart from parallelism and run length: 64 runs that train one
    # mini-batch, swept on one worker against the same runs one after another here.
    tiny = [{"eta": eta, "seed": seed} for eta in (0.5, 1.0, 3.0, 5.0) for seed in range(16)]
    tiny_fixed = dict(sizes=fixed["sizes"], mini_batch_size=10, epochs=1)
    started = time.perf_counter()
    for run in tiny:
        net = fastgd.Network(tiny_fixed["sizes"], seed=run["seed"])
        fastgd.Trainer(
            net,
            eta=run["eta"],
            mini_batch_size=10,
            epochs=1,
            seed=run["seed"],
            verbose=0,
            n_threads=1,
        ).fit(X[:10], y[:10])
    here = (time.perf_counter() - started) / len(tiny)
    started = time.perf_counter()
    fastgd.sweep(tiny, (X[:10], y[:10]), workers=1, verbose=0, **tiny_fixed)
    there = (time.perf_counter() - started) / len(tiny)
    run = statistics.median(r[-1] for r in rounds)
    print(
        f"64 runs that train one mini-batch: {here * 1000:.1f} ms each here, "
        f"{there * 1000:.1f} ms each swept on one worker: the sweep costs "
        f"{(there - here) * 1000:.1f} ms per run, {(there - here) / run:.1%} of a run above "
        f"(a worker's first-run costs and the pool's start and stop included)"
    )
    if args.dask:
        dask_sweep(grid, fixed, X, y, X_test, y_test, statistics.median(r[0] for r in rounds))
    print(
        f"median of {args.rounds} rounds: sweep {statistics.median(ratios):.2f}x, two forked "
        f"processes {statistics.median(ceilings):.2f}x, wall time beyond the "
        f"runs' own {statistics.median(overheads):.1%} of a run"
    )


def dask_sweep(grid, fixed, X, y, X_test, y_test, sequential):
    """The sweep on a LocalCluster: its wall time against the sequential runs', and what each
    worker received of the data (by transfer from the other worker; the worker that ran the
    data task got it with the task) and how often the data task ran."""
    import distributed

    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        started = time.perf_counter()
        fastgd.sweep(grid, (X, y), test_data=(X_test, y_test), executor=client, verbose=0, **fixed)
        seconds = time.perf_counter() - started

        def received(dask_worker):
            return sum(
                size
                for log in dask_worker.transfer_incoming_log
                for key, size in log["keys"].items()
                if key.startswith("fastgd-sweep")
            )

        def computed(dask_scheduler):
            return sum(
                1
                for key, start, finish, *_ in dask_scheduler.transition_log
                if str(key).startswith("fastgd-sweep-data")
                and (start, finish) == ("processing", "memory")
            )

        per_worker = sorted(client.run(received).values())
        print(
            f"on a LocalCluster of 2 one-thread workers: {seconds:.2f} s, "
            f"{sequential / seconds:.2f}x the runs one after another; the data task ran "
            f"{client.run_on_scheduler(computed)} time(s); bytes of data each worker "
            f"received from the other: {per_worker}"
        )


if __name__ == "__main__":
    main()
