"""NetworkClassifier against scikit-learn's MLPClassifier on MNIST: the same network (784-30-10,
logistic hidden units), plain SGD on mini-batches of 10, the same epochs.

    python bench/sklearn_mlp.py              # 10 epochs, 50,000 training images
    python bench/sklearn_mlp.py --quick      # 1 epoch on 5,000 images: a smoke test

MLPClassifier(hidden_layer_sizes=(30,), activation="logistic", solver="sgd", batch_size=10,
learning_rate="constant", momentum=0, alpha=0) has a softmax output layer with log-loss, so its
learning rate is not comparable with eta: each side trains a few rates with --seeds seeds each
and keeps the rate of the best mean accuracy on the validation images (the last 10,000 of
MNIST's training set); the table gives the test accuracy of that rate's seeds. Seconds per
epoch are fit's wall time over the epochs, in one process, one after the other; both use this
machine's BLAS threads (fastgd its own two). Pixels are scaled to [0, 1] as floats for both.
MNIST is read from $FASTGD_DATA, else ../shared/data/mnist.
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
    """Every rate trained with every seed; the rate of the best mean validation accuracy:
    (rate, test accuracies of its seeds, seconds per epoch of every fit)."""
    results, per_epoch = {}, []
    for rate in rates:
        valid, test = [], []
        for seed in range(seeds):
            estimator = make(rate, seed)
            per_epoch.append(timed_fit(estimator, X, y) / epochs)
            valid.append(estimator.score(X_valid, y_valid))
            test.append(estimator.score(X_test, y_test))
        results[rate] = (np.mean(valid), test)
        print(
            f"  rate {rate}: validation {np.mean(valid):.2%} (mean of {seeds} seeds), "
            f"{np.median(per_epoch[-seeds:]):.3f} s per epoch",
            flush=True,
        )
    rate = max(results, key=lambda r: results[r][0])
    return rate, results[rate][1], per_epoch


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--quick", action="store_true", help="1 epoch on 5,000 images")
    parser.add_argument("--seeds", type=int, default=3, help="seeds of every rate (default 3)")
    args = parser.parse_args(argv)
    from sklearn.neural_network import MLPClassifier

    from fastgd.sklearn import NetworkClassifier

    X, y, X_test, y_test = load_data(60000)
    X, X_test = X / 255.0, X_test / 255.0
    X, y, X_valid, y_valid = X[:50000], y[:50000], X[50000:], y[50000:]
    epochs = args.epochs
    if args.quick:
        X, y, epochs = X[:5000], y[:5000], 1

    def mlp(rate, seed=0):
        return MLPClassifier(
            hidden_layer_sizes=(30,),
            activation="logistic",
            solver="sgd",
            batch_size=10,
            learning_rate="constant",
            learning_rate_init=rate,
            momentum=0.0,
            alpha=0.0,
            max_iter=epochs,
            n_iter_no_change=epochs + 1,
            shuffle=True,
            random_state=seed,
        )

    def ours(rate, seed=0):
        return NetworkClassifier(
            (30,), eta=rate, mini_batch_size=10, epochs=epochs, random_state=seed
        )

    def book(rate, seed=0):
        return NetworkClassifier(
            (30,),
            eta=rate,
            mini_batch_size=10,
            epochs=epochs,
            cost="quadratic",
            init="normal",
            random_state=seed,
        )

    rows = []
    for name, make, rates in (
        ("MLPClassifier (softmax, log-loss)", mlp, [0.01, 0.05, 0.1, 0.2, 0.5]),
        ("NetworkClassifier (cross-entropy, scaled init)", ours, [0.05, 0.1, 0.2, 0.5, 1.0]),
        ("NetworkClassifier, the book's (quadratic, N(0,1))", book, [3.0]),
    ):
        print(name, flush=True)
        rate, accuracies, per_epoch = best_of(
            make, rates, args.seeds, X, y, X_valid, y_valid, X_test, y_test, epochs
        )
        print(
            f"  chosen rate {rate}: test accuracy of seeds 0-{args.seeds - 1}: "
            f"{', '.join(f'{a:.2%}' for a in accuracies)}",
            flush=True,
        )
        rows.append((name, rate, float(np.median(per_epoch)), accuracies))
    mlp_seconds = rows[0][2]
    print(
        f"\n{epochs} epochs on {len(X)} images; seconds per epoch: the median over every fit "
        f"of each side; test accuracy at the rate chosen on validation, mean ± std over "
        f"{args.seeds} seeds\n"
    )
    print("| estimator | rate chosen | s/epoch | vs MLPClassifier | test accuracy |")
    print("|---|---|---|---|---|")
    for name, rate, seconds, accuracies in rows:
        print(
            f"| {name} | {rate} | {seconds:.3f} | {mlp_seconds / seconds:.1f}x | "
            f"{np.mean(accuracies):.2%} ± {np.std(accuracies):.2%} |"
        )


if __name__ == "__main__":
    main()
