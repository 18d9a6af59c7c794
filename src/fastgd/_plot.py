"""Pictures with matplotlib, an optional extra: pip install "fastgd[plot]"."""


def pyplot():
    """matplotlib.pyplot on a file-only backend, or a clear ImportError."""
    try:
        import matplotlib
    except ImportError:
        raise ImportError('plotting needs matplotlib: pip install "fastgd[plot]" '
                          '(or pip install matplotlib)') from None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def plot_history(history, path):
    """Cost and accuracy against the epoch, side by side, as a PNG."""
    plt = pyplot()
    fig, (cost, accuracy) = plt.subplots(1, 2, figsize=(10, 4))
    for name in ("train", "validation", "test"):
        values = getattr(history, f"{name}_cost")
        if values:
            cost.plot(history.epoch, values, marker=".", label=name)
        values = getattr(history, f"{name}_accuracy")
        if values:
            accuracy.plot(history.epoch, values, marker=".", label=name)
    from .costs import COSTS
    label = COSTS[history.cost].label if history.cost in COSTS else f"{history.cost} cost"
    cost.set(xlabel="epoch", ylabel=label, title="cost")
    accuracy.set(xlabel="epoch", ylabel="fraction correct", title="accuracy")
    for ax in (cost, accuracy):
        ax.grid(alpha=0.3)
        if ax.get_legend_handles_labels()[0]:
            ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def plot_descent(result, C, path, *, window=None, title=None):
    """The descent of a 1- or 2-variable cost as a PNG: the curve or the contour map with the
    path of the ball drawn on it, beside the cost against the step."""
    import numpy as np
    plt = pyplot()
    points = np.asarray(result.path, dtype=float)
    points = points.reshape(len(points), -1)
    if points.shape[1] not in (1, 2):
        raise ValueError(f"only 1- and 2-variable descents can be drawn, this one has "
                         f"{points.shape[1]} variables")
    fig, (space, curve) = plt.subplots(1, 2, figsize=(11, 4.5))
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
        space.plot(*points[-1], "*", color="yellow", markeredgecolor="k", markersize=12,
                   label="end")
        space.set(xlabel="v1", ylabel="v2", xlim=window[:2], ylim=window[2:])
        space.legend(loc="upper right")
    space.set_title(title or "the ball rolling down")
    curve.semilogy(np.arange(len(result.costs)), np.maximum(result.costs, 1e-300), ".-")
    curve.set(xlabel="step", ylabel="C", title="cost against step")
    curve.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def sweep_figure(result, path=None):
    """Test accuracy against epoch for each setting of a sweep (the mean over its seeds, the
    band from the lowest seed to the highest; at each epoch, over the seeds that reached it),
    written to path when given; the Figure. Built
    on a Figure object, not pyplot's state: the caller's backend is never changed."""
    import json

    import numpy as np
    try:
        from matplotlib.figure import Figure
    except ImportError:
        raise ImportError('plotting needs matplotlib: pip install "fastgd[plot]" '
                          '(or pip install matplotlib)') from None
    fig = Figure(figsize=(8, 5))
    ax = fig.add_subplot()
    from ._sweep import varying_keys
    groups = result.groups()
    settings = [json.loads(key) for key in groups]
    varying = varying_keys(settings) if len(settings) > 1 else []
    drawn = 0
    for (key, records), setting in zip(groups.items(), settings):
        curves = [r["history"]["test_accuracy"] for r in records
                  if r.get("history") and r["history"].get("test_accuracy")]
        if not curves:
            continue
        # Runs stopped early (successive halving, Ctrl-C) count at the epochs they reached.
        length = max(len(c) for c in curves)
        values = np.full((len(curves), length), np.nan)
        for row, curve in zip(values, curves):
            row[:len(curve)] = curve
        epochs = np.arange(length)
        label = ", ".join(f"{k}={setting.get(k)}" for k in varying) or "all runs"
        # (A line of one or two epochs, a run stopped at its first rung, shows as points.)
        line, = ax.plot(epochs, np.nanmean(values, axis=0), marker="o" if length < 3 else None,
                        markersize=4, label=f"{label} ({len(curves)} seeds)")
        if len(curves) > 1 and length == 1:
            ax.vlines(epochs, np.nanmin(values, axis=0), np.nanmax(values, axis=0),
                      color=line.get_color(), alpha=0.4)
        elif len(curves) > 1:
            ax.fill_between(epochs, np.nanmin(values, axis=0), np.nanmax(values, axis=0),
                            color=line.get_color(), alpha=0.2, linewidth=0)
        drawn += 1
    if not drawn:
        raise ValueError("no run of the sweep has test accuracies to draw (give test_data)")
    ax.set(xlabel="epoch", ylabel="test accuracy", title="test accuracy: mean over seeds, "
           "band from the lowest to the highest")
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.grid(alpha=0.3)
    ax.legend(fontsize="small")
    fig.tight_layout()
    if path is not None:
        fig.savefig(path, dpi=100)
    return fig
