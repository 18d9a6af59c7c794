"""NetworkClassifier against scikit-learn's MLPClassifier on MNIST: the same networks, the same
update rule, mini-batches of 10, the same epochs.

    python bench/sklearn_mlp.py                  # both networks, 10 epochs, 50,000 images
    python bench/sklearn_mlp.py --network relu   # one of them
    python bench/sklearn_mlp.py --quick          # 1 epoch on 5,000 images, one rate: a smoke test

Two networks, each given to both estimators with the same settings:
  book  784-30-10, logistic (sigmoid) hidden neurons, softmax output and log-loss, plain SGD
        (momentum 0), no penalty (alpha 0): the book's chapter 3 network with chapter 6's output;
  relu  784-100-10, ReLU hidden neurons, softmax and log-loss, alpha=1e-4 (MLPClassifier's
        default L2 penalty, scaled the same way on both sides), Nesterov's momentum 0.9
        (MLPClassifier's default update).
Both sides initialise their weights their own way: MLPClassifier Glorot's uniform, fastgd
N(0, 1/n_in) for sigmoid neurons and He's N(0, 2/n_in) with biases 0 for ReLU neurons. Each
side trains a few rates with seed 0 and keeps the rate of the best accuracy on the validation
images (the last 10,000 of MNIST's training set); the table gives the test accuracy of --seeds
seeds at that rate (mean and standard deviation). Seconds per epoch are
fit's wall time over the epochs, the median over every fit of that side, in one process, one
after the other; both use this machine's BLAS threads (fastgd its own). Pixels are scaled to
[0, 1] as floats for both. MNIST is read from $FASTGD_DATA, else ../shared/data/mnist.
"""

import argparse
import time
import warnings

import numpy as np

from compare import load_data


def timed_fit(estimator, X, y):
    started = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # MLPClassifier: "maximum iterations reached"
        estimator.fit(X, y)
    return time.perf_counter() - started


def best_of(make, rates, seeds, X, y, X_valid, y_valid, X_test, y_test, epochs):
    """Every rate trained with seed 0; the rate of the best validation accuracy, trained with
    the other seeds too: (rate, test accuracies of its seeds, seconds per epoch of every fit)."""
    results, per_epoch = {}, []
    for rate in rates:
        estimator = make(rate, 0)
        per_epoch.append(timed_fit(estimator, X, y) / epochs)
        results[rate] = (estimator.score(X_valid, y_valid), estimator.score(X_test, y_test))
        print(
            f"  rate {rate}: validation {results[rate][0]:.2%}, {per_epoch[-1]:.3f} s per epoch",
            flush=True,
        )
    rate = max(results, key=lambda r: results[r][0])
    test = [results[rate][1]]
    for seed in range(1, seeds):
        estimator = make(rate, seed)
        per_epoch.append(timed_fit(estimator, X, y) / epochs)
        test.append(estimator.score(X_test, y_test))
    return rate, test, per_epoch


def estimators(hidden, theirs, ours, alpha, momentum, init, epochs):
    """The makers (rate, seed) -> estimator of both sides for one network."""
    from sklearn.neural_network import MLPClassifier

    from fastgd.sklearn import NetworkClassifier

    def mlp(rate, seed):
        return MLPClassifier(
            hidden_layer_sizes=hidden,
            activation=theirs,
            solver="sgd",
            batch_size=10,
            learning_rate="constant",
            learning_rate_init=rate,
            momentum=momentum,
            nesterovs_momentum=True,
            alpha=alpha,
            max_iter=epochs,
            n_iter_no_change=epochs + 1,
            shuffle=True,
            random_state=seed,
        )

    def fastgd(rate, seed):
        return NetworkClassifier(
            hidden,
            activation=ours,
            eta=rate,
            mini_batch_size=10,
            epochs=epochs,
            cost="log_likelihood",
            alpha=alpha,
            momentum=momentum,
            nesterovs_momentum=True,
            init=init,
            random_state=seed,
        )

    return mlp, fastgd


NETWORKS = {
    # name: hidden layers, MLPClassifier's activation, fastgd's, alpha, momentum, fastgd's
    # initial weights, the rates tried by MLPClassifier and by NetworkClassifier
    "book": ((30,), "logistic", "sigmoid", 0.0, 0.0, "scaled", (0.1, 0.2, 0.5), (0.1, 0.2, 0.5)),
    "relu": (
        (100,),
        "relu",
        "relu",
        1e-4,
        0.9,
        "he",
        (0.001, 0.003, 0.01),
        (0.001, 0.003, 0.01),
    ),
}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--network", choices=[*NETWORKS, "all"], default="all")
    parser.add_argument("--quick", action="store_true", help="1 epoch on 5,000 images")
    parser.add_argument("--seeds", type=int, default=3, help="seeds at the chosen rate (default 3)")
    args = parser.parse_args(argv)
    X, y, X_test, y_test = load_data(60000)
    X, X_test = X / 255.0, X_test / 255.0
    X, y, X_valid, y_valid = X[:50000], y[:50000], X[50000:], y[50000:]
    epochs = args.epochs
    if args.quick:
        X, y, epochs = X[:5000], y[:5000], 1
    names = list(NETWORKS) if args.network == "all" else [args.network]
    table = []
    for network in names:
        hidden, theirs, ours, alpha, momentum, init, mlp_rates, our_rates = NETWORKS[network]
        if args.quick:
            mlp_rates, our_rates = mlp_rates[1:2], our_rates[1:2]

        mlp, fastgd = estimators(hidden, theirs, ours, alpha, momentum, init, epochs)
        rows = []
        for name, make, rates in (
            ("MLPClassifier", mlp, mlp_rates),
            ("NetworkClassifier", fastgd, our_rates),
        ):
            print(f"{network}: {name}", flush=True)
            rate, accuracies, per_epoch = best_of(
                make, rates, args.seeds, X, y, X_valid, y_valid, X_test, y_test, epochs
            )
            print(
                f"  chosen rate {rate}: test accuracy of seeds 0-{args.seeds - 1}: "
                f"{', '.join(f'{a:.2%}' for a in accuracies)}",
                flush=True,
            )
            rows.append((f"{network}: {name}", rate, float(np.median(per_epoch)), accuracies))
        table.append(rows)
    print(
        f"\n{epochs} epochs on {len(X)} images, mini-batch 10; seconds per epoch: the median "
        f"over every fit of each side; test accuracy at the rate chosen on validation, mean ± "
        f"std over {args.seeds} seeds\n"
    )
    print("| network: estimator | rate chosen | s/epoch | vs MLPClassifier | test accuracy |")
    print("|---|---|---|---|---|")
    for rows in table:
        mlp_seconds = rows[0][2]
        for name, rate, seconds, accuracies in rows:
            print(
                f"| {name} | {rate} | {seconds:.3f} | {mlp_seconds / seconds:.1f}x | "
                f"{np.mean(accuracies):.2%} ± {np.std(accuracies):.2%} |"
            )


if __name__ == "__main__":
    main()
