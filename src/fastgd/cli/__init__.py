"""The fastgd command: train, evaluate and predict on MNIST from a shell.

    fastgd train                      the book's run: sizes 784,30,10; m=10; eta=3.0; 30 epochs
    fastgd evaluate MODEL             test accuracy of a saved network
    fastgd predict MODEL IMAGE...     the digit in each 28x28 greyscale PNG
    fastgd report MODEL --out r.png   one page: curves, confusion, weights, mistakes
    fastgd valley                     gradient descent on a 2-variable bowl, drawn (no data needed)
    fastgd sweep --eta 0.5 3 --seeds 5  many runs on worker processes or a Dask cluster

(`python -m fastgd ...` is the same.) Exit status 0 on success, 2 for a usage error or bad
input, 130 when interrupted; errors go to stderr without a traceback.
"""

import argparse
import os
import sys
import warnings

from . import evaluate, predict, report, sweep, train, valley

COMMANDS = {
    "train": train,
    "report": report,
    "evaluate": evaluate,
    "predict": predict,
    "sweep": sweep,
    "valley": valley,
}


def build_parser():
    from .. import __version__

    parser = argparse.ArgumentParser(prog="fastgd", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"fastgd {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in COMMANDS.values():
        command.add_parser(commands)
    return parser


def _show_warning(message, category, filename, lineno, file=None, line=None):
    """A warning as a command's user reads it: "fastgd: SaturationWarning: ...", without the
    file and line inside fastgd (or a library) that Python prints for a programmer."""
    print(f"fastgd: {category.__name__}: {message}", file=file or sys.stderr)


def main(argv=None):
    args = build_parser().parse_args(argv)
    shown = warnings.showwarning
    warnings.showwarning = _show_warning
    try:
        return COMMANDS[args.command].run(args)
    except BrokenPipeError:
        # Whoever read the output stopped (fastgd train | head): end quietly, as Unix tools
        # do, with the status of a SIGPIPE; stdout goes nowhere, so that closing it at exit
        # raises nothing more.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 128 + 13
    except (ValueError, TypeError, OSError, ImportError, FloatingPointError, RuntimeError) as exc:
        # (RuntimeError: a results file another sweep holds, a sweep that lost its cluster.)
        print(f"fastgd: error: {exc}", file=sys.stderr)
        return 2
    except MemoryError:
        print(
            "fastgd: error: out of memory: the network or the data is larger than this "
            "machine can hold",
            file=sys.stderr,
        )
        return 2
    except KeyboardInterrupt:
        print("fastgd: interrupted", file=sys.stderr)
        return 130
    finally:
        warnings.showwarning = shown
