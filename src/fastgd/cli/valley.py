"""fastgd valley: gradient descent rolling down a valley of two variables, drawn."""

import sys

import numpy as np

from .options import MAX_VALLEY_STEPS, int_between, point, positive_float


def add_parser(commands):
    from ..functions import FUNCTIONS

    valley = commands.add_parser(
        "valley",
        help="draw gradient descent rolling down a valley",
        description="Run v -> v - eta * grad C(v) on a built-in function of two variables and "
        "draw the path on its contour map, beside the cost against the step. "
        "Functions: " + "; ".join(f"{f.name}: {f.description}" for f in FUNCTIONS.values()),
    )
    valley.add_argument(
        "--function",
        choices=sorted(FUNCTIONS),
        default="bowl",
        help="the function to descend (default: bowl)",
    )
    valley.add_argument(
        "--eta",
        type=positive_float,
        default=None,
        help="learning rate (default: one that suits the function)",
    )
    valley.add_argument(
        "--steps",
        type=int_between(1, MAX_VALLEY_STEPS),
        default=50,
        help=f"steps of gradient descent, at most {MAX_VALLEY_STEPS:,} (default: 50)",
    )
    valley.add_argument(
        "--start", type=point, default=None, help="starting point v1,v2 (default: the function's)"
    )
    valley.add_argument(
        "--out",
        default="valley.png",
        help="the PNG to write; .png is added to a name without it (default: valley.png)",
    )
    return valley


def run(args):
    import warnings

    import fastgd

    from ..files.writing import check_destination
    from ..functions import get

    function = get(args.function)
    out = args.out if args.out.lower().endswith(".png") else args.out + ".png"
    check_destination(out, "--out")
    eta = args.eta if args.eta is not None else function.eta
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", fastgd.DescentWarning)
        result = fastgd.minimize(
            function.cost, function.grad, args.start or function.start, eta=eta, steps=args.steps
        )
    for warning in caught[:1]:
        print(f"fastgd: warning: {warning.message}", file=sys.stderr)
    fastgd.plot_descent(
        result, function.cost, out, window=function.window, title=f"{function.name}, eta = {eta}"
    )
    x = ", ".join(f"{c:.6g}" for c in result.x)
    print(
        f"{function.name}: {result.steps} steps of eta = {eta} from {result.path[0].tolist()} "
        f"to ({x}), cost {result.cost:.6g} "
        f"(minimum {function.cost(np.array(function.minimum)):.6g}"
        f" at {function.minimum}); picture in {out}"
    )
    return 0
