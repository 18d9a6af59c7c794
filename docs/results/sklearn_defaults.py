"""The sweeps that chose NetworkClassifier's defaults (docs/sklearn.md), as they were run.

Round 1, from a shell (two seeds; sklearn-defaults-round1.jsonl):

    fastgd sweep --sizes 784,30,10 --activation sigmoid relu tanh \\
        --cost cross_entropy log_likelihood --momentum 0 0.9 --eta 0.5 0.1 0.02 \\
        --init scaled --seeds 2 --epochs 30 --validation-size 10000 \\
        --out sklearn-defaults-round1.jsonl

Round 2, this script (three seeds; sklearn-defaults-round2.jsonl). Run again with the same file,
a sweep trains only the runs it lacks; `python -m fastgd sweep`'s table, or
fastgd.SweepResult.load(path).table("best_validation_accuracy"), gives the figures.
"""

import sys

import fastgd

grid = []
for activation, etas in (("sigmoid", [0.1, 0.2]), ("relu", [0.02, 0.05]), ("tanh", [0.02, 0.05])):
    for eta in etas:
        for lmbda in (0.0, 0.5):  # (0.5 is alpha=0.0001 for 50,000 images in mini-batches of 10)
            for seed in (0, 1, 2):
                grid.append(dict(activation=activation, eta=eta, lmbda=lmbda, seed=seed))

if __name__ == "__main__":
    result = fastgd.sweep(
        grid,
        "mnist",
        validation_data="mnist",
        results=sys.argv[1] if len(sys.argv) > 1 else "sklearn-defaults-round2.jsonl",
        verbose=0,
        sizes=[784, 30, 10],
        cost="log_likelihood",
        init="scaled",
        mini_batch_size=10,
        epochs=30,
    )
    print(result.table("best_validation_accuracy"))
