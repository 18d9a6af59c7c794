"""The tables of docs/chapter3.md, from the results files beside this script (run.sh and
more_data.py make them):

    python docs/results/chapter3/table.py             # the book's table
    python docs/results/chapter3/table.py more-data   # accuracy against the training set's size

Each row: the book's figure, and fastgd's over the seeds of the runs that row names (mean ±
standard deviation, the lowest and highest), with the seconds a run took (one thread).
"""

import json
import statistics
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))  # more_data.py


def records(name, **settings):
    """The finished records of a results file whose settings include these."""
    found = []
    for line in (HERE / name).read_text().splitlines():
        record = json.loads(line)
        if record.get("error") is None and all(
            record["settings"].get(key) == value for key, value in settings.items()
        ):
            found.append(record)
    if not found:
        raise SystemExit(f"{name} holds no finished run with {settings}: run run.sh")
    return found


def spread(values, percent=True):
    scale = 100 if percent else 1
    values = [scale * v for v in values]
    mean = statistics.fmean(values)
    sd = statistics.stdev(values) if len(values) > 1 else 0.0
    unit = "%" if percent else ""
    return f"{mean:.2f}{unit} ± {sd:.2f} ({len(values)} seeds)"


def seconds(runs):
    return f"{statistics.fmean(r['seconds'] for r in runs):.0f} s"


def rows():
    ce = "ce-eta0.5-30epochs.jsonl"
    small, wide = [784, 30, 10], [784, 100, 10]
    yield from (
        (
            "`[784,30,10]` cross-entropy, eta=0.5, 30 epochs, N(0,1) weights",
            "95.49% test",
            records(ce, sizes=small, lmbda=0.0),
            "final_test_accuracy",
        ),
        (
            "`[784,100,10]` the same",
            "96.82% test",
            records(ce, sizes=wide, lmbda=0.0),
            "final_test_accuracy",
        ),
        (
            "`[784,30,10]` first 1,000 training images, 400 epochs",
            "82.27% test at best",
            records("overfitting-1000-images.jsonl", lmbda=0.0),
            "best_test_accuracy",
        ),
        (
            "the same with L2, lmbda=0.1",
            "87.1% test at best",
            records("overfitting-1000-images.jsonl", lmbda=0.1),
            "best_test_accuracy",
        ),
        (
            "`[784,30,10]` 50,000 images, L2 lmbda=5.0, 30 epochs",
            "96.49% test",
            records(ce, sizes=small, lmbda=5.0),
            "final_test_accuracy",
        ),
        (
            "`[784,100,10]` L2 lmbda=5.0, eta=0.5, 30 epochs",
            "97.92% validation",
            records(ce, sizes=wide, lmbda=5.0),
            "best_validation_accuracy",
        ),
        (
            "`[784,100,10]` L2 lmbda=5.0, eta=0.1, 60 epochs",
            "98.04% validation",
            records("ce-100-eta0.1-60epochs.jsonl"),
            "best_validation_accuracy",
        ),
    )
    init = "init-30epochs.jsonl"
    for sizes, name, book in (
        (small, "`[784,30,10]`", ("86.43% / 96.37%", "92.70% / 96.50%")),
        (wide, "`[784,100,10]`", ("– / 97.42%", "– / 97.81%")),
    ):
        for kind, figure in zip(("normal", "scaled"), book):
            runs = records(init, sizes=sizes, init=kind)
            after = [
                f"{spread([r['history']['validation_accuracy'][epoch] for r in runs])}"
                for epoch in (0, 29)
            ]
            label = "N(0,1)" if kind == "normal" else "N(0,1/n_in)"
            yield (
                f"{name} lmbda=5.0, eta=0.1, {label} weights: validation after epoch 1 / 30",
                figure,
                runs,
                " / ".join(after),
            )
    yield (
        "chapter 6: `[784,100,10]` sigmoid + softmax output, eta=0.1, 60 epochs",
        "97.80% test",
        records("softmax-100-60epochs.jsonl"),
        "final_test_accuracy",
    )
    by_size = more_data_runs()
    ends = [spread([r["validation_accuracy"] for r in by_size[n]]) for n in (100, 50000)]
    yield (
        "`[784,30,10]` trained on 100 ... 50,000 images (1,500,000 samples, lmbda=n/10,000), "
        "validation at the end (the table below)",
        "69.09% ... 95.97% validation",
        [r for runs in by_size.values() for r in runs],
        " ... ".join(ends),
    )


def more_data_runs():
    """The runs of more_data.py by training set size: {size: [record, ...]}."""
    from more_data import SIZES

    lines = (HERE / "more-data.jsonl").read_text().splitlines()
    runs = [json.loads(line) for line in lines if line.strip()]
    by_size = {size: [r for r in runs if r["size"] == size] for size in SIZES}
    missing = [size for size, found in by_size.items() if not found]
    if missing:
        raise SystemExit(f"more-data.jsonl holds no run of size {missing}: run more_data.py")
    return by_size


def more_data():
    from more_data import BOOK

    print(
        "| training images | epochs | the book (validation) | fastgd (validation) | seconds a run |"
    )
    print("|---|---|---|---|---|")
    for (size, runs), book in zip(more_data_runs().items(), BOOK):
        figure = spread([r["validation_accuracy"] for r in runs])
        print(f"| {size:,} | {runs[0]['epochs']:,} | {book:.2f}% | {figure} | {seconds(runs)} |")


def main():
    if sys.argv[1:] == ["more-data"]:
        more_data()
        return
    print("| experiment (MNIST, mini-batch 10) | the book | fastgd | seconds a run |")
    print("|---|---|---|---|")
    for name, book, runs, measure in rows():
        figure = spread([r[measure] for r in runs]) if measure in runs[0] else measure
        what = {
            "final_test_accuracy": " test",
            "best_test_accuracy": " test at best",
            "best_validation_accuracy": " validation at best",
        }.get(measure, "")
        print(f"| {name} | {book} | {figure}{what} | {seconds(runs)} |")


if __name__ == "__main__":
    main()
