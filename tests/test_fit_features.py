"""Day-to-day use of Trainer.fit: history, plots, callbacks, checkpoints, Ctrl-C, save/load."""

import os
import signal
import threading
import time

import numpy as np
import pytest

import fastgd
from fastgd.callbacks import EarlyStopping

from conftest import make_data

SIZES = [20, 12, 4]


def data(n=400, seed=0):
    X, labels, _ = make_data(n, SIZES, seed=seed)
    return X, labels


def trainer(net, epochs=3, **kwargs):
    options = dict(eta=2.0, mini_batch_size=10, epochs=epochs, seed=3, verbose=0)
    options.update(kwargs)
    return fastgd.Trainer(net, **options)


def same_bits(a, b):
    return all(
        x.tobytes() == y.tobytes() for x, y in zip(a.weights + a.biases, b.weights + b.biases)
    )


def test_history_has_every_figure_and_a_dict():
    X, y = data()
    history = trainer(fastgd.Network(SIZES, seed=0), train_accuracy=True).fit(
        X[:300], y[:300], test_data=(X[350:], y[350:]), validation_data=(X[300:350], y[300:350])
    )
    d = history.to_dict()
    for key in (
        "train_cost",
        "train_accuracy",
        "validation_cost",
        "validation_accuracy",
        "test_cost",
        "test_accuracy",
        "test_correct",
        "seconds",
    ):
        assert len(d[key]) == 3, key
    assert d["epoch"] == [0, 1, 2] and d["interrupted"] is False
    assert all(0 <= a <= 1 for a in d["validation_accuracy"] + d["train_accuracy"])
    assert fastgd.History.from_dict(d) == history


def test_history_plot_writes_a_png(tmp_path):
    pytest.importorskip("matplotlib")
    X, y = data()
    history = trainer(fastgd.Network(SIZES, seed=0)).fit(X, y, test_data=(X, y))
    path = tmp_path / "curves.png"
    history.plot(path)
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")
    assert (width, height) == (1000, 400)


def test_callbacks_receive_the_figures_and_can_stop():
    X, y = data()
    seen = []

    def log(epoch, logs, trainer):
        seen.append((epoch, sorted(logs)))
        if epoch == 1:
            trainer.stop_training = True

    history = trainer(fastgd.Network(SIZES, seed=0), epochs=10).fit(
        X, y, test_data=(X, y), callbacks=[log]
    )
    assert [e for e, _ in seen] == [0, 1]
    assert seen[0][1] == [
        "epoch",
        "seconds",
        "test_accuracy",
        "test_correct",
        "test_cost",
        "train_cost",
    ]
    assert history.stopped_early and history.epoch == [0, 1]


def test_callback_hooks_run_in_order():
    from fastgd.callbacks import Callback

    X, y = data()
    calls = []

    class Recorder(Callback):
        def on_train_begin(self, trainer):
            calls.append("begin")

        def on_epoch_end(self, epoch, logs, trainer):
            calls.append(("epoch", epoch, logs["epoch"]))

        def on_train_end(self, trainer, history):
            calls.append(("end", history.epoch))

    class OnlyEpochs(Callback):
        def on_epoch_end(self, epoch, logs, trainer):
            calls.append("only")

    trainer(fastgd.Network(SIZES, seed=0), epochs=2).fit(X, y, callbacks=[Recorder(), OnlyEpochs()])
    assert calls == ["begin", ("epoch", 0, 0), "only", ("epoch", 1, 1), "only", ("end", [0, 1])]


@pytest.mark.parametrize(
    "callback, match",
    [
        (42, "callbacks must be fastgd.callbacks.Callback objects or functions"),
        (
            type(
                "Hooks",
                (),
                {"on_train_begin": lambda self, t: None, "__call__": lambda self, *a: None},
            )(),
            "Hooks defines on_train_begin but is not a fastgd.callbacks.Callback; "
            "subclass Callback",
        ),
    ],
)
def test_callbacks_that_would_not_run_as_meant_are_refused(callback, match):
    X, y = data()
    net = fastgd.Network(SIZES, seed=0)
    before = [a.copy() for a in net.weights]
    with pytest.raises(TypeError, match=match):
        trainer(net).fit(X, y, callbacks=[callback])
    assert all(np.array_equal(a, b) for a, b in zip(net.weights, before))


def test_early_stopping_stops_and_restores_the_best_weights():
    """train_cost falls every epoch; watched with mode="max", epoch 0 stays the best, so with
    patience 2 training stops after epoch 2 and the weights of epoch 0 come back."""
    X, y = data()
    stopper = EarlyStopping("train_cost", mode="max", patience=2)
    net = fastgd.Network(SIZES, seed=0)
    history = trainer(net, epochs=20).fit(X, y, callbacks=[stopper])
    assert history.epoch == [0, 1, 2] and history.stopped_early
    assert stopper.best_epoch == 0 and stopper.stopped_epoch == 2
    one_epoch = fastgd.Network(SIZES, seed=0)
    trainer(one_epoch, epochs=1).fit(X, y)
    assert same_bits(net, one_epoch)


def test_early_stopping_says_when_it_stops_and_restores(capsys):
    X, y = data()
    stopper = EarlyStopping("train_cost", mode="max", patience=2)
    trainer(fastgd.Network(SIZES, seed=0), epochs=20, verbose=1).fit(X, y, callbacks=[stopper])
    lines = capsys.readouterr().out.splitlines()
    assert lines[-2].startswith("EarlyStopping: train_cost has not improved for 2 epochs (best ")
    assert lines[-2].endswith("in epoch 0): stopping after epoch 2")
    assert lines[-1] == "EarlyStopping: restored the weights of epoch 0"
    trainer(fastgd.Network(SIZES, seed=0), epochs=20).fit(
        X, y, callbacks=[EarlyStopping("train_cost", mode="max", patience=2)]
    )
    assert capsys.readouterr().out == ""


def test_early_stopping_on_a_figure_that_is_not_measured():
    X, y = data()
    with pytest.raises(ValueError, match="monitors 'validation_accuracy', which this fit"):
        trainer(fastgd.Network(SIZES, seed=0)).fit(X, y, callbacks=[EarlyStopping()])


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_resume_equals_the_uninterrupted_run(tmp_path, dtype):
    X, y = data()
    test = (X[:100], y[:100])
    whole = fastgd.Network(SIZES, seed=0, dtype=dtype)
    whole_history = trainer(whole, epochs=10).fit(X, y, test_data=test)

    path = tmp_path / "run.npz"
    first = fastgd.Network(SIZES, seed=0, dtype=dtype)
    trainer(first, epochs=5, checkpoint_every=5, checkpoint_path=path).fit(X, y, test_data=test)
    resumed = fastgd.Network.load(path)  # a fresh process would start from the file alone
    history = trainer(resumed, epochs=10).fit(X, y, test_data=test, resume=path)
    assert same_bits(whole, resumed)
    assert history.epoch == list(range(10))
    assert history.test_accuracy == whole_history.test_accuracy
    assert history.train_cost == whole_history.train_cost


def test_resume_refuses_other_settings(tmp_path):
    X, y = data()
    path = tmp_path / "run.npz"
    trainer(fastgd.Network(SIZES, seed=0), epochs=2, checkpoint_every=1, checkpoint_path=path).fit(
        X, y
    )
    with pytest.raises(ValueError, match=r"other settings \(eta: checkpoint 2.0, this trainer 1.0"):
        trainer(fastgd.Network(SIZES, seed=0), eta=1.0).fit(X, y, resume=path)
    with pytest.raises(ValueError, match="not a fastgd checkpoint"):
        saved = tmp_path / "net.npz"
        fastgd.Network(SIZES, seed=0).save(saved)
        trainer(fastgd.Network(SIZES, seed=0)).fit(X, y, resume=saved)


@pytest.fixture
def ctrl_c_raises():
    """SIGINT raises KeyboardInterrupt, as in a terminal, even when the test runner was started
    with SIGINT ignored (as a shell starts background jobs; Python then installs no handler)."""
    old = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, old)


@pytest.mark.parametrize("on_interrupt", ["raise", "stop"])
def test_ctrl_c_stops_after_the_current_chunk(ctrl_c_raises, on_interrupt):
    """Either way the fit stops cleanly; "raise" (the default) then lets KeyboardInterrupt
    through, its History in trainer.history, and "stop" returns the History."""
    X, y = make_data(20000, [200, 30, 10], seed=4)[:2]
    net = fastgd.Network([200, 30, 10], seed=0)
    trainer = fastgd.Trainer(
        net, eta=1.0, mini_batch_size=1, epochs=1000, seed=0, verbose=0, on_interrupt=on_interrupt
    )
    timer = threading.Timer(0.5, lambda: signal.raise_signal(signal.SIGINT))
    timer.start()
    started = time.perf_counter()
    if on_interrupt == "raise":
        with pytest.raises(KeyboardInterrupt):
            trainer.fit(X, y)
        history = trainer.history
    else:
        history = trainer.fit(X, y)
        assert history is trainer.history
    elapsed = time.perf_counter() - started
    timer.join()
    assert history.interrupted
    assert elapsed < 5  # 1000 epochs would take minutes: the interrupt was answered
    lengths = {
        len(v) for k, v in history.to_dict().items() if k in ("epoch", "train_cost", "seconds")
    }
    assert len(lengths) == 1
    assert all(np.isfinite(a).all() for a in net.weights + net.biases)


def test_save_and_load_roundtrip(tmp_path):
    net = fastgd.Network([7, 5, 3, 2], seed=1, dtype="float32")
    path = tmp_path / "net.npz"
    net.save(path)
    back = fastgd.Network.load(path)
    assert back.sizes == net.sizes and back.dtype == net.dtype and same_bits(net, back)
    assert not [p for p in os.listdir(tmp_path) if p != "net.npz"]


def test_a_failed_save_leaves_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / "net.npz"
    old = fastgd.Network([4, 3], seed=1)
    old.save(path)
    before = path.read_bytes()

    def broken_savez(f, **arrays):
        f.write(b"PK\x03\x04 half a file")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(np, "savez", broken_savez)
    with pytest.raises(OSError, match="No space left"):
        fastgd.Network([4, 3], seed=2).save(path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["net.npz"]


def test_saving_into_a_missing_directory_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError):
        fastgd.Network([4, 3], seed=1).save(tmp_path / "no such directory" / "net.npz")
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize(
    "content, match",
    [
        (b"", "cannot be read as a fastgd file"),
        (b"hello, world", "cannot be read as a fastgd file"),
        (None, "holds 'something', which does not belong in a saved network"),
        ("truncated", "cannot be read as a fastgd file"),
    ],
)
def test_loading_a_bad_file(tmp_path, content, match):
    path = tmp_path / "bad.npz"
    if content is None:
        np.savez(path, something=np.zeros(3))
    elif content == "truncated":
        fastgd.Network([30, 20, 10], seed=0).save(path)
        path.write_bytes(path.read_bytes()[:2000])
    else:
        path.write_bytes(content)
    with pytest.raises(ValueError, match=match):
        fastgd.Network.load(path)


def test_loading_refuses_pickled_objects(tmp_path):
    path = tmp_path / "evil.npz"
    np.savez(
        path,
        format=np.array("fastgd-network"),
        version=np.array(1),
        sizes=np.array([2, 1]),
        dtype=np.array("float64"),
        weights_0=np.array([object()], dtype=object),
        biases_0=np.zeros(1),
    )
    with pytest.raises(ValueError, match="pickle"):
        fastgd.Network.load(path)


def test_progress_bar_stays_off_when_not_a_terminal(capsys):
    X, y = data()
    trainer(fastgd.Network(SIZES, seed=0), verbose=2).fit(X, y)
    out, err = capsys.readouterr()
    assert err == ""
    assert len(out.splitlines()) == 3 and all(l.startswith("Epoch ") for l in out.splitlines())


def test_on_a_terminal_without_tqdm_the_bar_is_a_line_of_text(monkeypatch):
    """verbose=2 on a terminal: tqdm's bar, or without tqdm a line of fastgd's own redrawn in
    place; the sweep's bar over runs has no such fallback and is simply left out."""
    import io
    import sys

    from fastgd.training import progress as _report

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    monkeypatch.setitem(sys.modules, "tqdm", None)  # an import of tqdm now fails
    bar = _report.progress_bar(3, 10)
    assert isinstance(bar, _report._PlainBar)
    assert _report.interactive_bar(10, desc="runs") is None
    X, y = data()
    monkeypatch.setattr(_report._PlainBar, "every", 0.0)  # (these epochs take milliseconds)
    trainer(fastgd.Network(SIZES, seed=0), verbose=2).fit(X, y)
    assert "\rEpoch 0 [" in terminal.getvalue()


def test_the_plain_bar_redraws_at_most_once_a_second(monkeypatch):
    """Without tqdm in a notebook every redraw is an output chunk (a 30-epoch fit made 181):
    the bar draws once a second at most, and an epoch shorter than that draws nothing."""
    import io
    import sys

    from fastgd.training import progress as _report

    err = io.StringIO()
    monkeypatch.setattr(sys, "stderr", err)
    now = [0.0]
    quick = _report._PlainBar(0, 100, clock=lambda: now[0])
    for _ in range(100):
        now[0] += 0.005
        quick.update(1)
    quick.close()
    assert err.getvalue() == ""
    slow = _report._PlainBar(1, 100, clock=lambda: now[0])
    for _ in range(100):
        now[0] += 0.1
        slow.update(1)
    slow.close()
    draws = err.getvalue().count("\rEpoch 1 [")
    assert 9 <= draws <= 10  # 10 s of updates
    assert err.getvalue().endswith("\r")  # cleared at the end


def test_history_shows_itself_in_one_line_a_table_and_a_dataframe():
    history = fastgd.History(
        epoch=[0, 1, 2],
        train_cost=[0.3, 0.2, 0.1],
        test_accuracy=[0.5, 0.75, 0.7],
        test_correct=[5, 7, 7],
        seconds=[0.1, 0.1, 0.1],
        interrupted=True,
    )
    assert repr(history) == (
        "History(3 epochs, cost='quadratic', test accuracy best 75.00%, final 70.00%, interrupted)"
    )
    html = history._repr_html_()
    assert html.count("<tr>") == 4 and "<th>test accuracy</th>" in html
    assert "<td>0.7500</td>" in html and "<td>7</td>" in html
    pd = pytest.importorskip("pandas")
    frame = history.to_pandas()
    assert list(frame.index) == [0, 1, 2] and frame.index.name == "epoch"
    assert list(frame.columns) == ["train_cost", "test_accuracy", "test_correct", "seconds"]
    pd.testing.assert_series_equal(
        frame["test_accuracy"], pd.Series([0.5, 0.75, 0.7], index=frame.index, name="test_accuracy")
    )
