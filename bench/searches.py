"""The pruned searches users run over NetworkClassifier, on MNIST: Optuna's OptunaSearchCV with
pruning, and dask-ml's HyperbandSearchCV on a distributed.LocalCluster. Each searches the
learning rate, the hidden layer's width and its neurons for at most 10 epochs, on the first
10,000 training images, and the best estimator is scored once on MNIST's 10,000 test images:

    python bench/searches.py optuna
    python bench/searches.py hyperband   # needs dask < 2025.3 (dask/dask-ml#1016)

Prints the best settings, the search's own score of them (Optuna: 3-fold cross-validation;
Hyperband: its held-out 15%), the test accuracy, the trials trained to the end and pruned, and
the wall time of the search. MNIST is read from $FASTGD_DATA, else ../shared/data/mnist.
"""

import argparse
import os
import time
import warnings
from pathlib import Path

import fastgd
from fastgd.sklearn import NetworkClassifier

HERE = Path(__file__).resolve().parent
TRAIN = 10_000
EPOCHS = 10


def data():
    path = os.environ.get("FASTGD_DATA") or HERE.parent.parent / "shared" / "data" / "mnist"
    (X, y), (X_test, y_test) = fastgd.load_mnist(path)
    return X[:TRAIN], y[:TRAIN], X_test, y_test


def optuna_search(X, y):
    import optuna
    from optuna.distributions import CategoricalDistribution, FloatDistribution
    from optuna_integration import OptunaSearchCV

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    search = OptunaSearchCV(
        NetworkClassifier(epochs=EPOCHS, n_threads=1, random_state=0),
        {
            "eta": FloatDistribution(1e-3, 1.0, log=True),
            "hidden_layer_sizes": CategoricalDistribution([30, 100]),
            "activation": CategoricalDistribution(["sigmoid", "relu"]),
        },
        enable_pruning=True,
        max_iter=EPOCHS,
        n_trials=24,
        cv=3,
        n_jobs=2,
        random_state=0,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        warnings.simplefilter("ignore", FutureWarning)
        search.fit(X, y)
    states = [trial.state.name for trial in search.study_.trials]
    return search, states.count("COMPLETE"), states.count("PRUNED")


def hyperband_search(X, y):
    import dask.array as da
    from dask_ml.model_selection import HyperbandSearchCV
    from distributed import Client, LocalCluster

    with (
        LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=None) as cluster,
        Client(cluster),
    ):
        search = HyperbandSearchCV(
            NetworkClassifier(n_threads=1, random_state=0),
            {
                "eta": [1e-3, 3e-3, 0.01, 0.03, 0.1, 0.3, 1.0],
                "hidden_layer_sizes": [(30,), (100,)],
                "activation": ["sigmoid", "relu"],
            },
            max_iter=EPOCHS,
            random_state=0,
        )
        # One chunk: each partial_fit call is one pass over the training part (dask-ml trains
        # every call on one chunk), so max_iter counts epochs as Optuna's does.
        search.fit(da.from_array(X, chunks=(len(X), 784)), da.from_array(y, chunks=len(y)),
                   classes=list(range(10)))  # fmt: skip
    calls = search.cv_results_["partial_fit_calls"]
    return search, sum(c == max(calls) for c in calls), sum(c < max(calls) for c in calls)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("search", choices=["optuna", "hyperband"])
    args = parser.parse_args(argv)
    X, y, X_test, y_test = data()
    started = time.perf_counter()
    run = optuna_search if args.search == "optuna" else hyperband_search
    search, complete, pruned = run(X, y)
    seconds = time.perf_counter() - started
    print(
        f"{args.search}: best {search.best_params_}, search score {search.best_score_:.2%}, "
        f"test {search.best_estimator_.score(X_test, y_test):.2%}; {complete} trained to the "
        f"end, {pruned} pruned; {seconds:.0f} s"
    )


if __name__ == "__main__":
    main()
