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
    cost.set(xlabel="epoch", ylabel="quadratic cost", title="cost")
    accuracy.set(xlabel="epoch", ylabel="fraction correct", title="accuracy")
    for ax in (cost, accuracy):
        ax.grid(alpha=0.3)
        if ax.get_legend_handles_labels()[0]:
            ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
