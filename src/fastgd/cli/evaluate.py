"""fastgd evaluate: the test accuracy of a saved network."""

from .options import data_options, load_data


def add_parser(commands):
    evaluate = commands.add_parser(
        "evaluate",
        help="test accuracy of a saved network",
        description="Print the accuracy of a saved network on the 10,000 MNIST test images.",
    )
    evaluate.add_argument("model", help="a network saved with fastgd train --save")
    data_options(evaluate)

    return evaluate


def run(args):
    import fastgd

    net = fastgd.Network.load(args.model)
    _, (test_X, test_y) = load_data(args)
    correct = net.evaluate(test_X, test_y)
    print(f"test accuracy {correct} / {len(test_y)} ({correct / len(test_y):.2%})")
    return 0
