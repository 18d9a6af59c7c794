"""The book's curve of accuracy against the size of the training set (its more_data.py and
more_data.json), run by fastgd: for each size n of the first n training images, `[784,30,10]`
with the cross-entropy cost and N(0,1) weights trains on 1,500,000 samples (1,500,000/n
epochs), mini-batch 10, eta=0.5, L2 lmbda = n/10,000, and is measured once, at the end, on the
10,000 validation images:

    python docs/results/chapter3/more_data.py [--seeds 3] [--samples 1500000] [--out FILE]

This is the one row of the page that is not a `fastgd sweep`: a sweep measures its evaluation
sets after every epoch, and at 100 images that is 15,000 passes over the 10,000 validation
images, a hundred times the training. Here each run is Network + Trainer.fit with no
evaluation set, then Network.evaluate on the validation images, as the book's script does.
One line per run goes to more-data.jsonl beside this script (size, seed, epochs, lmbda, the
validation accuracy, seconds); run again, it skips the runs the file holds.
"""

import argparse
import json
import time
from pathlib import Path

import fastgd

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "more-data.jsonl"
SIZES = (100, 200, 500, 1000, 2000, 5000, 10000, 20000, 50000)
# The book's more_data.json, its network's validation accuracy at each size.
BOOK = (69.09, 76.37, 85.29, 88.85, 91.27, 93.24, 94.89, 95.85, 95.97)
SAMPLES = 1_500_000


def done(results):
    if not results.exists():
        return {}
    runs = (json.loads(line) for line in results.read_text().splitlines() if line.strip())
    return {(r["size"], r["seed"]): r for r in runs}


def run(size, seed, train, validation, samples=SAMPLES):
    epochs, lmbda = max(1, samples // size), size * 0.0001
    start = time.perf_counter()
    net = fastgd.Network([784, 30, 10], seed=seed)
    trainer = fastgd.Trainer(
        net,
        eta=0.5,
        mini_batch_size=10,
        epochs=epochs,
        cost="cross_entropy",
        lmbda=lmbda,
        seed=seed,
        n_threads=1,
        verbose=0,
    )
    trainer.fit(train[0][:size], train[1][:size])
    accuracy = net.evaluate(*validation) / len(validation[1])
    return {
        "size": size,
        "seed": seed,
        "epochs": epochs,
        "lmbda": lmbda,
        "validation_accuracy": accuracy,
        "seconds": time.perf_counter() - start,
        "version": fastgd.__version__,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=3, help="seeds 0 .. SEEDS-1 (default 3)")
    parser.add_argument(
        "--samples", type=int, default=SAMPLES, help="samples each run trains on (the book's)"
    )
    parser.add_argument("--out", type=Path, default=RESULTS, help="the results file")
    args = parser.parse_args()
    train, validation, _ = fastgd.load_mnist(validation_size=10_000)
    have = done(args.out)
    for seed in range(args.seeds):
        for size in SIZES:
            if (size, seed) in have:
                continue
            record = run(size, seed, train, validation, args.samples)
            with args.out.open("a") as out:
                out.write(json.dumps(record) + "\n")
            print(
                f"n={size:>6} seed {seed}: {100 * record['validation_accuracy']:.2f}% "
                f"({record['epochs']} epochs, {record['seconds']:.0f} s)",
                flush=True,
            )


if __name__ == "__main__":
    main()
