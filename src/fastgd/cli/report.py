"""fastgd report: one page on a saved network or a checkpoint."""

from .options import data_options, load_data, needs_matplotlib, png_name


def add_parser(commands):
    report = commands.add_parser(
        "report",
        help="one page on a saved network: what it learned and where it fails",
        description="Draw one page on a saved network or a checkpoint, on the 10,000 MNIST "
        "test images: the confusion matrix, the first layer's weights as images, "
        "the mistakes, and the learning curves when the file is a checkpoint "
        "(which holds the fit's history). Needs matplotlib.",
    )
    report.add_argument("model", help="a network saved with fastgd train --save, or a checkpoint")
    report.add_argument(
        "--out",
        default="report.png",
        help="the PNG to write; .png is added to a name without it (default: report.png)",
    )
    data_options(report)

    return report


def run(args):
    import fastgd

    from ..files.npz import NpzReader
    from ..files.writing import check_destination
    from ..training import checkpoint

    needs_matplotlib()
    out = png_name(args.out)
    check_destination(out, "--out")
    net = fastgd.Network.load(args.model)
    with NpzReader(args.model) as npz:
        has_history = "trainer_state" in npz.names()
    history = checkpoint.load(args.model).history if has_history else None
    _, (test_X, test_y) = load_data(args)
    fastgd.plot_report(net, test_X, test_y, history=history, path=out)
    correct = net.evaluate(test_X, test_y)
    print(f"{args.model}: test accuracy {correct / len(test_y):.2%}; report in {out}")
    return 0
