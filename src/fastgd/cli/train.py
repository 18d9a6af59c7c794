"""fastgd train: the book's run on MNIST, one line per epoch."""

import numpy as np

from .options import (
    add_run_options,
    add_settings,
    data_options,
    given,
    int_at_least,
    needs_matplotlib,
    png_name,
    training_data,
)


def add_parser(commands):
    train = commands.add_parser(
        "train",
        help="train on MNIST, one line per epoch",
        description="Train the sigmoid network on MNIST with mini-batch "
        "SGD; the defaults are the book's experiment.",
    )
    add_settings(train, grid=False)
    add_run_options(train)
    train.add_argument(
        "--seed",
        type=int_at_least(0),
        default=None,
        help="seed of the initial weights and the shuffling (default: a new one each run)",
    )
    train.add_argument(
        "--threads",
        type=int_at_least(1),
        default=None,
        help="threads (default: two or one, whichever measures faster as it trains)",
    )
    train.add_argument(
        "--verbose",
        type=int,
        choices=[0, 1, 2],
        default=1,
        help="0 quiet, 1 a line per epoch, 2 also a progress bar on a terminal (default: 1)",
    )
    train.add_argument(
        "--save", metavar="FILE", default=None, help="save the trained network to FILE (.npz)"
    )
    train.add_argument(
        "--report",
        metavar="FILE",
        default=None,
        help="draw a report of the run to FILE (.png): learning curves, "
        "confusion matrix, first layer's weights, mistakes (needs "
        "matplotlib)",
    )
    data_options(train)

    return train


def run(args):
    import fastgd

    from ..files.writing import check_destination
    from ..training import settings as _settings

    # The network, the trainer and where the result goes are checked before the data is read.
    # (The output layer is the one the cost pairs with: softmax for the log-likelihood.)
    net = fastgd.Network(
        seed=args.seed,
        output=fastgd.costs.get(args.cost).output,
        **given(args, _settings.NETWORK),
    )
    trainer = fastgd.Trainer(
        net,
        seed=args.seed,
        verbose=args.verbose,
        n_threads=args.threads,
        on_interrupt="stop",  # the command's clean stop: the last line, --save, status 130
        **given(args, _settings.TRAINER),
    )
    if args.save is not None:
        check_destination(args.save, "--save")
    if args.report is not None:
        needs_matplotlib()
        args.report = png_name(args.report)
        check_destination(args.report, "--report")
    (train_X, train_y), validation, test = training_data(args)
    history = trainer.fit(train_X, train_y, test_data=test, validation_data=validation)
    if args.save is not None:
        net.save(args.save)
    print(_summary(history, net, test))
    if args.save is not None:
        print(f"saved the network to {args.save}")
    if args.report is not None:
        fastgd.plot_report(net, *test, history=history, path=args.report)
        print(f"report in {args.report}")
    return 130 if history.interrupted else 0


def _epochs(n):
    return "1 complete epoch" if n == 1 else f"{n} complete epochs"


def _summary(history, net, test):
    """The run's last line. After Ctrl-C the network holds the completed mini-batches of the
    interrupted epoch too, so its accuracy is measured afresh: what is saved is what is said.
    With validation data, the test accuracy is the one at the best validation epoch (the test
    set is for the end, as the book keeps it)."""
    accuracy = net.evaluate(*test) / len(test[1])
    if history.interrupted:
        return (
            f"interrupted after {_epochs(len(history.epoch))}: the network as it "
            f"stands has test accuracy {accuracy:.2%}"
        )
    if not history.epoch:
        return f"no epochs trained: the untrained network has test accuracy {accuracy:.2%}"
    seconds = f"{np.mean(history.seconds):.3f} s per epoch"
    if history.validation_accuracy:
        best = int(np.argmax(history.validation_accuracy))
        return (
            f"best validation accuracy {history.validation_accuracy[best]:.2%} in epoch "
            f"{history.epoch[best]} (test accuracy then {history.test_accuracy[best]:.2%}), "
            f"final test accuracy {accuracy:.2%}, {seconds}"
        )
    return f"best test accuracy {history.best_test_accuracy:.2%}, final {accuracy:.2%}, {seconds}"
