"""fastgd sweep: many runs on worker processes or a Dask cluster, a table over the seeds."""

import sys

from .options import add_run_options, add_settings, data_options, int_at_least, training_data


def add_parser(commands):
    sweep = commands.add_parser(
        "sweep",
        help="train many settings and seeds, on worker processes or a Dask cluster",
        description="Train one network for every combination of the values given (each seed "
        "of each setting), one thread per run, on worker processes of this machine "
        "or on a Dask cluster, and print a table over the seeds. With --out, each "
        "finished run is a line of that file, and running the same command again "
        "skips the runs it holds.",
    )
    add_settings(sweep, grid=True)
    sweep.add_argument(
        "--seeds",
        type=int_at_least(1),
        default=1,
        help="seeds 0 .. N-1 of every setting (default: 1)",
    )
    add_run_options(sweep)
    sweep.add_argument(
        "--out",
        metavar="FILE",
        default=None,
        help="results file (JSON lines), appended as runs finish; an existing one is resumed",
    )
    sweep.add_argument(
        "--plot",
        metavar="FILE",
        default=None,
        help="draw test accuracy against epoch per setting to FILE (.png)",
    )
    sweep.add_argument(
        "--workers",
        type=int_at_least(1),
        default=None,
        help="worker processes on this machine (default: one per CPU)",
    )
    sweep.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        default=None,
        help="run on the Dask cluster of this scheduler, e.g. "
        'tcp://host:8786 (needs pip install "fastgd[dask]")',
    )
    sweep.add_argument(
        "--threads", type=int_at_least(1), default=1, help="threads of each run (default: 1)"
    )
    sweep.add_argument(
        "--halving",
        type=int_at_least(2),
        default=None,
        metavar="FACTOR",
        help="successive halving: every run trains a few epochs, the best "
        "1/FACTOR train further, and so on up to --epochs (by validation "
        "accuracy with --validation-size, else test accuracy)",
    )
    sweep.add_argument(
        "--retry-failed",
        action="store_true",
        help="train again the runs that the --out file records as failed (default: skip them "
        "like the finished runs)",
    )
    sweep.add_argument(
        "--verbose",
        type=int,
        choices=[0, 1],
        default=1,
        help="0 only the table, 1 also a line per finished run (default: 1)",
    )
    data_options(sweep)

    return sweep


def run(args):
    import fastgd

    from ..files.writing import check_destination
    from ..sweeps.results import check_results_file
    from ..sweeps.runners import client_for
    from ..training import settings as _settings

    for path, option in ((args.out, "--out"), (args.plot, "--plot")):
        if path is not None:
            check_destination(path, option)
    if args.out is not None:
        check_results_file(args.out)  # (not in use by another sweep, a sweep's: before MNIST)
    if args.workers is not None and args.scheduler is not None:
        raise ValueError(
            "--workers and --scheduler exclude each other: the cluster's workers are its own"
        )
    executor = client_for(args.scheduler) if args.scheduler is not None else None
    train, validation, test = training_data(args)
    grid = {s.name: getattr(args, s.name) for s in _settings.SETTINGS if s.flag and s.grid}
    grid["seed"] = list(range(args.seeds))
    fixed = {s.name: getattr(args, s.name) for s in _settings.SETTINGS if s.flag and not s.grid}
    try:
        result = fastgd.sweep(
            grid,
            train,
            test_data=test,
            validation_data=validation,
            executor=executor,
            results=args.out,
            workers=args.workers,
            threads=args.threads,
            halving=args.halving,
            retry_failed=args.retry_failed,
            verbose=args.verbose,
            **fixed,
        )
    finally:
        if executor is not None:
            executor.close()
    print(
        result.table("best_validation_accuracy" if validation is not None else "best_test_accuracy")
    )
    if result.failed:
        print(
            f"{len(result.failed)} runs failed; their errors are in the records"
            f"{' of ' + args.out if args.out else ''}"
        )
    if args.plot is not None and result.records:
        result.plot(args.plot)
        print(f"plot in {args.plot}")
    if result.interrupted:
        print(
            "interrupted: the finished runs are kept"
            + (f" in {args.out}; run the same command again to go on" if args.out else ""),
            file=sys.stderr,
        )
        return 130
    return 0
