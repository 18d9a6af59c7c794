"""Pictures with matplotlib, an optional extra: pip install "fastgd[plot]".

Every picture is drawn on a matplotlib Figure object, never through pyplot: the caller's
backend and pyplot's current figure are left as they were (a notebook keeps showing its inline
figures). Each function returns its Figure, writes a PNG when given a path, and draws into a
Figure or SubFigure of the caller's when given one (fig=), or, for the one-panel pictures, into
an Axes (ax=); a notebook shows a returned Figure inline.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure, SubFigure

    from .._typing import ArrayLike, PathLike
    from ..descent import DescentResult
    from ..network import Network

    AnyFigure = Figure | SubFigure


class History(Protocol):
    """What the pictures read of a fastgd.History: the figures of each epoch and the cost's name
    (named here by what is drawn, so that this module and fastgd.history need not import each
    other: History.plot calls plot_history)."""

    epoch: list[int]
    cost: str
    train_cost: list[float]
    train_accuracy: list[float]
    validation_cost: list[float]
    validation_accuracy: list[float]
    test_cost: list[float]
    test_accuracy: list[float]


# One colour per series, the same in every panel.
SERIES_COLOURS = {"train": "C0", "validation": "C1", "test": "C2"}


_FIGURE: list[type] = []


def _figure_class() -> type[Figure]:
    """matplotlib's Figure, made to show itself in a notebook (a Figure outside pyplot has only
    its text repr there unless pyplot's inline backend was started), or an ImportError naming
    the extra."""
    if not _FIGURE:
        try:
            from matplotlib.figure import Figure
        except ImportError:
            raise ImportError(
                'plotting needs matplotlib: pip install "fastgd[plot]" (or pip install matplotlib)'
            ) from None

        class ShownFigure(Figure):
            """A matplotlib Figure that a Jupyter notebook shows as a PNG."""

            def _repr_png_(self) -> bytes:
                import io

                buffer = io.BytesIO()
                self.savefig(buffer, format="png", dpi=100)
                return buffer.getvalue()

        _FIGURE.append(ShownFigure)
    return _FIGURE[0]


def _new_figure(figsize: tuple[float, float], fig: AnyFigure | None = None) -> AnyFigure:
    """fig when given (a Figure or SubFigure), else a new Figure of figsize inches."""
    return fig if fig is not None else _figure_class()(figsize=figsize)


def _finish(fig: AnyFigure, path: PathLike | None, top_level: bool) -> AnyFigure:
    """Lay out a figure this module made and write it to path (as PNG) when given (the whole
    figure, when fig is a SubFigure of it)."""
    root = fig.figure  # fig itself, or the Figure a SubFigure belongs to
    if top_level:
        root.set_layout_engine("constrained")
    if path is not None:
        save_figure(root, path)
    return fig


def save_figure(fig: Figure, path: PathLike) -> None:
    """fig written to path in the format its suffix names (PNG without one, ".png" then added
    to the name, as matplotlib does), atomically: a failure leaves the file there before, and
    a device, FIFO or directory at path is refused (fastgd.files.writing.atomic_write)."""
    from pathlib import Path

    from ..files.writing import atomic_write

    path = Path(path)
    fmt = path.suffix[1:].lower()
    if not fmt:
        path, fmt = path.with_name(path.name + ".png"), "png"
    atomic_write(path, lambda f: fig.savefig(f, format=fmt, dpi=100))


def _whole_epochs(ax: Axes) -> None:
    from matplotlib.ticker import MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(integer=True))


def plot_history(
    history: History, path: PathLike | None = None, fig: AnyFigure | None = None
) -> AnyFigure:
    """The learning curves: cost and accuracy against the epoch, a series per data set in the
    same colour in both panels (the accuracy panel only when the fit measured one). Returns
    the Figure; writes a PNG to path when given; draws into fig (a Figure or SubFigure) when
    given."""
    top_level = fig is None
    fig = _new_figure((10, 4), fig)
    accuracies = [name for name in SERIES_COLOURS if getattr(history, f"{name}_accuracy")]
    axes = fig.subplots(1, 2 if accuracies else 1, squeeze=False)[0]
    cost = axes[0]
    for name, colour in SERIES_COLOURS.items():
        values = getattr(history, f"{name}_cost")
        if values:
            cost.plot(history.epoch[: len(values)], values, marker=".", color=colour, label=name)
    from ..costs import COSTS

    label = COSTS[history.cost].label if history.cost in COSTS else f"{history.cost} cost"
    cost.set(xlabel="epoch", ylabel=label, title="cost")
    if accuracies:
        accuracy = axes[1]
        for name in accuracies:
            values = getattr(history, f"{name}_accuracy")
            accuracy.plot(
                history.epoch[: len(values)],
                values,
                marker=".",
                color=SERIES_COLOURS[name],
                label=name,
            )
        accuracy.set(xlabel="epoch", ylabel="fraction correct", title="accuracy")
    for ax in axes:
        _whole_epochs(ax)
        ax.grid(alpha=0.3)
        if ax.get_legend_handles_labels()[0]:
            ax.legend()
    return _finish(fig, path, top_level)


def _tile_shape(n: int) -> tuple[int, int]:
    """An image shape for n inputs: 28x28 for MNIST's 784, else near square (rows <= columns)."""
    if n == 784:
        return 28, 28
    rows = int(np.floor(np.sqrt(n)))
    return rows, int(np.ceil(n / rows))


def _as_tile(values: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    tile = np.full(shape[0] * shape[1], np.nan)
    tile[: len(values)] = values
    return tile.reshape(shape)


def _tiles(
    count: int, fig: AnyFigure | None, tile_inches: tuple[float, float]
) -> tuple[AnyFigure, list[Axes]]:
    """fig (or a new Figure of tiles of tile_inches) holding a grid of count tiles as square as
    its area allows, and the tiles' axes; every axis is off, a grid cell beyond count blank."""
    aspect = 1.0
    if fig is not None and fig.bbox.height > 0:
        aspect = fig.bbox.width / fig.bbox.height
    columns = max(1, min(count, int(np.ceil(np.sqrt(count * aspect)))))
    rows = int(np.ceil(max(count, 1) / columns))
    fig = _new_figure((tile_inches[0] * columns + 0.5, tile_inches[1] * rows + 0.6), fig)
    axes = list(fig.subplots(rows, columns, squeeze=False).flat)
    for ax in axes:
        ax.set_axis_off()
    return fig, axes[:count]


def plot_weights(
    network: Network, path: PathLike | None = None, layer: int = 0, fig: AnyFigure | None = None
) -> AnyFigure:
    """Each neuron of a layer as an image of its incoming weights in the shape of its inputs
    (28x28 for MNIST), one tile per neuron, a diverging colour map centred on 0 (each tile
    scaled to its largest weight), its bias in the tile's title. Returns the Figure; writes a
    PNG to path when given; draws into fig when given."""
    from .._validation import check_int

    layer = check_int(layer, "layer", 0, len(network.weights) - 1)
    weights = np.asarray(network.weights[layer], dtype=np.float64)
    biases = np.asarray(network.biases[layer], dtype=np.float64)
    n_out, n_in = weights.shape
    top_level = fig is None
    fig, axes = _tiles(n_out, fig, (1.3, 1.45))
    shape = _tile_shape(n_in)
    for k, ax in enumerate(axes):
        limit = float(np.max(np.abs(weights[k]))) or 1.0
        ax.imshow(
            _as_tile(weights[k], shape),
            cmap="RdBu_r",
            vmin=-limit,
            vmax=limit,
            interpolation="nearest",
        )
        ax.set_title(f"{k}: b={biases[k]:.2f}", fontsize=7)
    fig.suptitle(f"layer {layer + 1}'s weights: a tile per neuron (red > 0 > blue)")
    return _finish(fig, path, top_level)


def _outputs(
    network: Network, X: ArrayLike, y: ArrayLike
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The network's output activations for X, the labels of y and the predictions."""
    from .._validation import check_inputs, labels_from

    X, _ = check_inputs(X, network.sizes[0], network.dtype, finite=False, stacklevel=3)
    labels = labels_from(y, X.shape[0], network.sizes[-1])
    out = network._forward(X, check_finite=True)
    return X, labels, out, np.argmax(out, axis=1)


def confusion_matrix(labels: np.ndarray, predicted: np.ndarray, n_classes: int) -> np.ndarray:
    """counts[i, j]: samples of class i predicted as j."""
    counts = np.zeros((n_classes, n_classes), dtype=np.int64)
    np.add.at(counts, (labels, predicted), 1)
    return counts


def plot_confusion(
    network: Network,
    X: ArrayLike,
    y: ArrayLike,
    path: PathLike | None = None,
    ax: Axes | None = None,
) -> AnyFigure:
    """The confusion matrix of network on X, y: a cell per (true, predicted) class with its
    count, the accuracy of each true class beside its row. Returns the Figure; writes a PNG to
    path when given; draws into ax (an Axes) when given."""
    _, labels, _, predicted = _outputs(network, X, y)
    n = network.sizes[-1]
    counts = confusion_matrix(labels, predicted, n)
    top_level = ax is None
    fig = _new_figure((6.5, 5.5)) if ax is None else ax.figure
    ax = ax if ax is not None else fig.add_subplot()
    shown = np.where(counts > 0, np.log10(np.maximum(counts, 1)) + 1, 0)  # log: the diagonal
    ax.imshow(shown, cmap="Blues", interpolation="nearest")  # dwarfs the rest
    for i in range(n):
        for j in range(n):
            if counts[i, j]:
                ax.text(
                    j,
                    i,
                    str(counts[i, j]),
                    ha="center",
                    va="center",
                    fontsize=7,
                    color="white" if shown[i, j] > 0.6 * shown.max() else "black",
                )
    totals = counts.sum(axis=1)
    ax.set_xticks(range(n))
    ax.set_yticks(range(n))
    ax.set_yticklabels(
        [f"{i}: {counts[i, i] / totals[i]:.1%}" if totals[i] else f"{i}: -" for i in range(n)],
        fontsize=8,
    )
    ax.set(
        xlabel="predicted",
        ylabel="true class: its accuracy",
        title=f"confusion matrix: {np.trace(counts) / max(len(labels), 1):.2%} correct of "
        f"{len(labels)}",
    )
    return _finish(fig, path, top_level)


def plot_mistakes(
    network: Network,
    X: ArrayLike,
    y: ArrayLike,
    path: PathLike | None = None,
    n: int = 36,
    fig: AnyFigure | None = None,
) -> AnyFigure:
    """Up to n misclassified samples (the first ones) as images in the shape of the input, each
    titled with its true and predicted class and the output activation of both. Returns the
    Figure; writes a PNG to path when given; draws into fig when given."""
    from .._validation import check_int

    n = check_int(n, "n", 1)
    X, labels, out, predicted = _outputs(network, X, y)
    mistakes = np.flatnonzero(predicted != labels)
    wrong = mistakes[:n]
    top_level = fig is None
    fig, axes = _tiles(len(wrong), fig, (1.35, 1.55))
    shape = _tile_shape(network.sizes[0])
    scale = 255.0 if X.dtype == np.uint8 else 1.0
    for i, ax in zip(wrong, axes):
        ax.imshow(
            _as_tile(X[i] / scale, shape), cmap="gray", vmin=0, vmax=1, interpolation="nearest"
        )
        ax.set_title(
            f"{labels[i]} seen as {predicted[i]}\n"
            f"a={out[i, predicted[i]]:.2f} / {out[i, labels[i]]:.2f}",
            fontsize=7,
        )
    total = len(mistakes)
    # Two lines: on one line the title is wider than a figure of 6 columns.
    fig.suptitle(
        f"{len(wrong)} of the {total} mistakes on {len(labels)} samples\ntrue class "
        f"seen as predicted; a = output of the predicted / the true class"
        if total
        else f"no mistakes on {len(labels)} samples"
    )
    return _finish(fig, path, top_level)


def plot_report(
    network: Network,
    X: ArrayLike,
    y: ArrayLike,
    history: History | None = None,
    path: PathLike | None = None,
    n_mistakes: int = 24,
) -> AnyFigure:
    """One page: the learning curves (when history is given), the confusion matrix on X, y,
    the first layer's weights and the mistakes. Without a history (a network file holds none)
    the page has no band for the curves. Returns the Figure; writes a PNG to path when given."""
    n_hidden = network.sizes[1]
    curves = history is not None and bool(history.epoch)
    height = (17 if n_hidden > 40 else 15) - (0 if curves else 4)
    fig = _new_figure((16, height))
    rows: Any
    if history is not None and curves:
        rows = fig.subfigures(3, 1, height_ratios=[1, 1.5, 1.5])
        top, middle, bottom = rows
        plot_history(history, fig=top)
    else:
        rows = fig.subfigures(2, 1, height_ratios=[1.5, 1.5])
        middle, bottom = rows
    left, right = middle.subfigures(1, 2, width_ratios=[1, 1.4])
    plot_confusion(network, X, y, ax=left.add_subplot())
    plot_weights(network, layer=0, fig=right)
    plot_mistakes(network, X, y, n=n_mistakes, fig=bottom)
    return _finish(fig, path, True)


def plot_descent(
    result: DescentResult,
    C: Callable[[np.ndarray], float],
    path: PathLike | None = None,
    *,
    window: tuple[float, float, float, float] | None = None,
    title: str | None = None,
    fig: AnyFigure | None = None,
) -> AnyFigure:
    """The descent of a 1- or 2-variable cost: the curve or the contour map with the path of
    the ball drawn on it, beside the cost against the step. Returns the Figure; writes a PNG to
    path when given; draws into fig when given."""
    points = np.asarray(result.path, dtype=float)
    points = points.reshape(len(points), -1)
    if points.shape[1] not in (1, 2):
        raise ValueError(
            f"only 1- and 2-variable descents can be drawn, this one has "
            f"{points.shape[1]} variables"
        )
    top_level = fig is None
    fig = _new_figure((11, 4.5), fig)
    space, curve = fig.subplots(1, 2)
    if points.shape[1] == 1:
        lo, hi = window[:2] if window else (points.min() - 1, points.max() + 1)
        xs = np.linspace(lo, hi, 400)
        space.plot(xs, [C(np.array([x])) for x in xs], color="0.3")
        space.plot(points[:, 0], result.costs, "o-", color="tab:red", markersize=3)
        space.set(xlabel="v", ylabel="C(v)")
    else:
        if window is None:
            pad = 0.5 + 0.1 * np.ptp(points, axis=0)
            lo, hi = points.min(axis=0) - pad, points.max(axis=0) + pad
            window = (lo[0], hi[0], lo[1], hi[1])
        xs = np.linspace(window[0], window[1], 200)
        ys = np.linspace(window[2], window[3], 200)
        grid = np.array([[C(np.array([x, y])) for x in xs] for y in ys])
        levels = np.quantile(grid, np.linspace(0, 1, 25) ** 2)
        space.contourf(xs, ys, grid, levels=np.unique(levels), cmap="viridis", alpha=0.8)
        space.contour(xs, ys, grid, levels=np.unique(levels), colors="k", linewidths=0.3)
        space.plot(points[:, 0], points[:, 1], "o-", color="tab:red", markersize=3, linewidth=1)
        space.plot(*points[0], "s", color="white", markeredgecolor="k", label="start")
        space.plot(
            *points[-1], "*", color="yellow", markeredgecolor="k", markersize=12, label="end"
        )
        space.set(xlabel="v1", ylabel="v2", xlim=window[:2], ylim=window[2:])
        space.legend(loc="upper right")
    space.set_title(title or "the ball rolling down")
    curve.semilogy(np.arange(len(result.costs)), np.maximum(result.costs, 1e-300), ".-")
    curve.set(xlabel="step", ylabel="C", title="cost against step")
    curve.grid(alpha=0.3)
    return _finish(fig, path, top_level)
