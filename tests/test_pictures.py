"""The pictures: weights, confusion matrix, mistakes, the report page, the learning curves;
each read back from its PNG, and none touching pyplot's state or the user's backend."""

import subprocess
import sys

import numpy as np
import pytest

import fastgd
from fastgd.files.png import read_png

from conftest import make_data, run_fastgd

matplotlib = pytest.importorskip("matplotlib")

SIZES = [20, 9, 4]


@pytest.fixture(scope="module")
def trained():
    X, labels, _ = make_data(400, SIZES, seed=1)
    net = fastgd.Network(SIZES, seed=0)
    history = fastgd.Trainer(net, eta=1.0, mini_batch_size=10, epochs=3, seed=0, verbose=0).fit(
        X, labels, test_data=(X, labels)
    )
    return net, history, X, labels


def read_back(path, fig):
    """The PNG as grey levels, of the figure's size at 100 dpi."""
    image = read_png(path, max_pixels=1 << 23)
    width, height = fig.get_size_inches() * 100
    assert image.shape == (round(height), round(width))
    return image


def drawn_tiles(image, fig):
    """The axes of fig that hold an image, each checked to be drawn in the PNG (its area not
    blank): their count."""
    tiles = [ax for ax in fig.axes if ax.get_images()]
    for ax in tiles:
        box = ax.get_window_extent()
        rows = slice(int(image.shape[0] - box.y1) + 1, int(image.shape[0] - box.y0) - 1)
        columns = slice(int(box.x0) + 1, int(box.x1) - 1)
        assert image[rows, columns].std() > 5, "a tile is blank in the PNG"
    return len(tiles)


def test_weights_draw_a_tile_per_neuron(trained, tmp_path):
    net = trained[0]
    path = tmp_path / "weights.png"
    fig = fastgd.plot_weights(net, path)
    image = read_back(path, fig)
    assert drawn_tiles(image, fig) == 9  # layer 0: 9 neurons
    titles = [ax.get_title() for ax in fig.axes if ax.get_images()]
    assert titles[0] == f"0: b={net.biases[0][0]:.2f}"
    tile = fig.axes[0].get_images()[0]
    assert tile.get_array().shape == (4, 5)  # 20 inputs: a 4x5 tile
    assert tile.get_clim()[0] == -tile.get_clim()[1]  # centred on zero
    second = fastgd.plot_weights(net, layer=1)  # no path: the Figure only
    assert sum(1 for ax in second.axes if ax.get_images()) == 4
    with pytest.raises(ValueError, match="layer"):
        fastgd.plot_weights(net, layer=2)


def test_a_picture_drawn_into_a_subfigure_writes_the_whole_figure(trained, tmp_path):
    """fig= may be a SubFigure of the caller's; with a path, the PNG is the Figure it belongs
    to (a SubFigure cannot be saved alone), and the caller's layout is left as it was."""
    from matplotlib.figure import Figure

    net, history, X, labels = trained
    whole = Figure(figsize=(10, 4))
    left, right = whole.subfigures(1, 2)
    path = tmp_path / "weights.png"
    assert fastgd.plot_weights(net, path, fig=right) is right
    assert drawn_tiles(read_back(path, whole), whole) == 9
    assert whole.get_layout_engine() is None
    history.plot(tmp_path / "curves.png", fig=left)
    assert len(whole.axes) > 9 and (tmp_path / "curves.png").stat().st_size > 0


def test_the_confusion_matrix_has_a_cell_per_class_pair(trained, tmp_path):
    net, _, X, labels = trained
    path = tmp_path / "confusion.png"
    fig = fastgd.plot_confusion(net, X, labels, path)
    read_back(path, fig)
    (ax,) = fig.axes
    assert ax.get_images()[0].get_array().shape == (4, 4)
    predicted = net.predict(X)
    counts = np.zeros((4, 4), dtype=int)
    np.add.at(counts, (labels, predicted), 1)
    shown = sorted(int(t.get_text()) for t in ax.texts)
    assert shown == sorted(counts[counts > 0].tolist())  # every non-zero cell, its count
    accuracy = counts[0, 0] / counts[0].sum()
    assert ax.get_yticklabels()[0].get_text() == f"0: {accuracy:.1%}"


def test_the_mistakes_show_the_requested_number(trained, tmp_path):
    net, _, X, labels = trained
    path = tmp_path / "mistakes.png"
    fig = fastgd.plot_mistakes(net, X, labels, path, n=7)
    image = read_back(path, fig)
    assert drawn_tiles(image, fig) == 7
    wrong = np.flatnonzero(net.predict(X) != labels)
    first = wrong[0]
    title = [ax.get_title() for ax in fig.axes if ax.get_images()][0]
    assert title.startswith(f"{labels[first]} seen as {net.predict(X)[first]}")
    # Fewer mistakes than asked for: all of them.
    few = fastgd.plot_mistakes(net, X[wrong[:3]], labels[wrong[:3]], n=36)
    assert sum(1 for ax in few.axes if ax.get_images()) == 3


def test_the_learning_curves_share_colours_whole_epochs_and_no_empty_panel(trained):
    history = trained[1]
    fig = history.plot()
    cost, accuracy = fig.axes
    colours = {line.get_label(): line.get_color() for line in cost.lines}
    assert {line.get_label(): line.get_color() for line in accuracy.lines} == {
        k: v for k, v in colours.items() if k != "train"
    }
    fig.canvas.draw()
    assert all(float(t).is_integer() for t in cost.get_xticks())
    only_cost = fastgd.History(epoch=[0, 1], train_cost=[2.0, 1.0], cost="cross_entropy")
    (single,) = only_cost.plot().axes
    assert single.get_ylabel() == "cross-entropy cost"


def test_the_report_has_every_part(trained, tmp_path):
    net, history, X, labels = trained
    path = tmp_path / "report.png"
    fig = fastgd.plot_report(net, X, labels, history=history, path=path, n_mistakes=5)
    image = read_back(path, fig)
    titles = [ax.get_title() for ax in fig.axes]
    assert "cost" in titles and "accuracy" in titles
    assert any(t.startswith("confusion matrix") for t in titles)
    assert drawn_tiles(image, fig) == 1 + 9 + 5  # confusion, weights, mistakes


def test_plotting_leaves_pyplot_and_the_backend_alone(tmp_path):
    script = (
        "import sys, matplotlib; matplotlib.use('svg'); import fastgd\n"
        "h = fastgd.History(epoch=[0, 1], train_cost=[2.0, 1.0], test_accuracy=[0.1, 0.2])\n"
        f"h.plot({str(tmp_path / 'c.png')!r})\n"
        "print(matplotlib.get_backend(), 'matplotlib.pyplot' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["svg", "False"]
    assert (tmp_path / "c.png").read_bytes()[:4] == b"\x89PNG"


def test_the_report_command(tmp_path, mnist_dir):
    net = fastgd.Network([784, 12, 10], seed=0)
    (X, y), test = fastgd.load_mnist(mnist_dir, dtype="uint8")
    path = tmp_path / "run.npz"
    fastgd.Trainer(
        net,
        eta=3.0,
        mini_batch_size=10,
        epochs=2,
        seed=0,
        verbose=0,
        checkpoint_every=2,
        checkpoint_path=path,
    ).fit(X[:2000], y[:2000], test_data=test)
    net.save(tmp_path / "net.npz")
    for model in ("net.npz", "run.npz"):
        out = tmp_path / f"{model}-report"
        result = run_fastgd("report", tmp_path / model, "--out", out, "--data", mnist_dir)
        assert result.returncode == 0, result.stderr
        assert f"report in {out}.png" in result.stdout
        image = read_png(f"{out}.png", max_pixels=1 << 23)
        # A checkpoint's page has the curves on top; a network's, which holds no history, has
        # no band for them (it had a blank quarter that said so): no band of it is empty.
        assert image.shape == ((1500, 1600) if model == "run.npz" else (1100, 1600))
        bands = image.reshape(-1, 100, 1600)
        assert all(band.std() > 5 for band in bands), [round(b.std(), 1) for b in bands]
    result = run_fastgd("report", tmp_path / "none.npz", "--data", mnist_dir)
    assert result.returncode == 2 and "none.npz" in result.stderr
    assert "Traceback" not in result.stderr


def test_without_matplotlib_the_error_names_the_extra(tmp_path):
    script = (
        "import sys; sys.modules['matplotlib'] = None; import fastgd\n"
        "try:\n    fastgd.History(epoch=[0], train_cost=[1.0]).plot()\n"
        "except ImportError as e:\n    print(e)\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert 'pip install "fastgd[plot]"' in out.stdout


def test_train_draws_its_report(tmp_path, mnist_dir):
    out = tmp_path / "run.png"
    result = run_fastgd(
        "train",
        "--epochs",
        2,
        "--train-size",
        3000,
        "--sizes",
        "784,16,10",
        "--seed",
        0,
        "--verbose",
        0,
        "--report",
        out,
        "--data",
        mnist_dir,
    )
    assert result.returncode == 0, result.stderr
    assert f"report in {out}" in result.stdout
    image = read_png(out, max_pixels=1 << 23)
    assert image.shape == (1500, 1600) and image[:400].std() > 5
    # A report that cannot be written is refused before the data is read or a run trained.
    refused = run_fastgd(
        "train", "--report", tmp_path / "no" / "dir" / "r.png", "--data", tmp_path / "nowhere"
    )
    assert refused.returncode == 2 and "--report" in refused.stderr
