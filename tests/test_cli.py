"""`python -m fastgd train` end to end, in a subprocess."""

import os
import re
import shutil
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

import fastgd
from fastgd.files.png import write_png

from conftest import run_fastgd


@pytest.fixture(scope="module")
def model(mnist_dir, tmp_path_factory):
    """A network trained by `fastgd train` on a slice of MNIST and saved."""
    path = tmp_path_factory.mktemp("cli") / "model.npz"
    result = run_fastgd(
        "train",
        "--epochs",
        "2",
        "--train-size",
        "5000",
        "--validation-size",
        "10000",
        "--seed",
        "0",
        "--data",
        str(mnist_dir),
        "--save",
        str(path),
    )
    assert result.returncode == 0, result.stderr
    return path, result.stdout


def test_train_runs_reports_and_saves(model):
    path, out = model
    lines = out.splitlines()
    assert len(lines) == 4
    for k in range(2):
        assert re.match(rf"Epoch {k}: \d+ / 10000, validation \d+\.\d\d%, train cost ", lines[k])
    assert re.fullmatch(
        r"best validation accuracy \d+\.\d\d% in epoch [01] \(test accuracy "
        r"then \d+\.\d\d%\), final test accuracy \d+\.\d\d%, \d\.\d{3} s per "
        r"epoch",
        lines[2],
    )
    assert lines[3] == f"saved the network to {path}"
    assert fastgd.Network.load(path).sizes == [784, 30, 10]


def test_evaluate_prints_the_test_accuracy(model, mnist_dir, mnist):
    path, _ = model
    result = run_fastgd("evaluate", str(path), "--data", str(mnist_dir))
    assert result.returncode == 0, result.stderr
    correct = fastgd.Network.load(path).evaluate(*mnist[1])
    assert result.stdout == f"test accuracy {correct} / 10000 ({correct / 10000:.2%})\n"


def test_predict_reads_pngs_like_the_network(model, mnist, tmp_path):
    path, _ = model
    test_X = mnist[1][0]
    files = []
    for i in range(6):
        files.append(tmp_path / f"digit{i}.png")
        write_png(files[-1], np.rint(test_X[i].reshape(28, 28) * 255).astype(np.uint8))
    result = run_fastgd("predict", str(path), *map(str, files))
    assert result.returncode == 0, result.stderr
    expected = fastgd.Network.load(path).predict(test_X[:6])
    assert result.stdout.splitlines() == [f"{f}: {d}" for f, d in zip(files, expected)]


def test_predict_refuses_other_sizes(model, tmp_path):
    path, _ = model
    image = tmp_path / "big.png"
    write_png(image, np.zeros((32, 30), dtype=np.uint8))
    result = run_fastgd("predict", str(path), str(image))
    assert result.returncode == 2
    assert "the image is 30x32" in result.stderr and "resize it to 28x28" in result.stderr
    assert "Traceback" not in result.stderr
    text = tmp_path / "not.png"
    text.write_text("hello")
    result = run_fastgd("predict", str(path), str(text))
    assert result.returncode == 2 and "not a PNG file" in result.stderr


def test_predict_reports_a_bad_file_and_goes_on(model, mnist, tmp_path):
    path, _ = model
    test_X = mnist[1][0]
    good = [tmp_path / "a.png", tmp_path / "c.png"]
    for i, f in enumerate(good):
        write_png(f, np.rint(test_X[i].reshape(28, 28) * 255).astype(np.uint8))
    bad = tmp_path / "b.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 20)
    result = run_fastgd("predict", str(path), str(good[0]), str(bad), str(good[1]))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    expected = fastgd.Network.load(path).predict(test_X[:2])
    assert result.stdout.splitlines() == [f"{f}: {d}" for f, d in zip(good, expected)]
    assert f"fastgd: error: {bad}: damaged PNG" in result.stderr


def test_predict_warns_about_a_dark_digit_on_light(model, mnist, tmp_path):
    path, _ = model
    image = tmp_path / "inverted.png"
    write_png(image, 255 - np.rint(mnist[1][0][0].reshape(28, 28) * 255).astype(np.uint8))
    result = run_fastgd("predict", str(path), str(image))
    assert result.returncode == 0
    assert "its border is light; the network reads light digits on a dark" in result.stderr
    assert result.stdout.startswith(f"{image}: ")


def test_train_with_the_cross_entropy_and_scaled_weights(mnist_dir, tmp_path):
    path = tmp_path / "ce.npz"
    result = run_fastgd(
        "train",
        "--epochs",
        "1",
        "--train-size",
        "3000",
        "--cost",
        "cross_entropy",
        "--init",
        "scaled",
        "--eta",
        "0.5",
        "--seed",
        "1",
        "--data",
        str(mnist_dir),
        "--save",
        str(path),
    )
    assert result.returncode == 0, result.stderr
    net = fastgd.Network.load(path)
    assert net.init == "scaled"
    # One epoch on 3,000 images: the scaled start and the cross-entropy learn quickly.
    assert net.evaluate(*fastgd.load_mnist(mnist_dir)[1]) > 8000


@pytest.mark.parametrize(
    "option, value, valid",
    [
        ("--cost", "mse", "'quadratic', 'cross_entropy', 'log_likelihood'"),
        ("--init", "xavier", "'normal', 'scaled', 'he'"),
    ],
)
def test_unknown_cost_or_init_lists_the_valid_names(option, value, valid):
    result = run_fastgd("train", option, value)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert f"invalid choice: '{value}' (choose from {valid})" in result.stderr


@pytest.mark.parametrize("command", [[], ["train"], ["evaluate"], ["predict"]])
def test_help(command):
    result = run_fastgd(*command, "--help")
    assert result.returncode == 0 and "usage: fastgd" in result.stdout


def test_console_script_is_installed():
    script = shutil.which("fastgd", path=os.path.dirname(sys.executable))
    assert script is not None
    result = subprocess.run([script, "--help"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and "train" in result.stdout


def test_missing_data_is_a_message_not_a_traceback(tmp_path):
    # Nowhere to find MNIST: not in --data, no $FASTGD_DATA, an empty cache.
    env = {k: v for k, v in os.environ.items() if k != "FASTGD_DATA"}
    env["XDG_CACHE_HOME"] = str(tmp_path / "cache")
    result = run_fastgd("train", "--epochs", "1", "--data", str(tmp_path), "--no-download", env=env)
    assert result.returncode == 2
    assert "MNIST not found" in result.stderr and str(tmp_path) in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    "args, message",
    [
        (["train", "--sizes", "784,x,10"], "sizes must be integers"),
        (["evaluate", "/no/such/model.npz"], "No such file"),
        (["train", "--mini-batch-size", "0"], "argument --mini-batch-size/-m: must be at least 1"),
        (["train", "--eta", "-1"], "argument --eta: must be a finite number greater than 0"),
        (["train", "--seed", "-1"], "argument --seed: must be at least 0, got -1"),
        (["train", "--threads", "4294967296"], "n_threads must be at most 1024"),
        (["train", "--data", "/nonexistent"], "/nonexistent is not a directory"),
        (["train", "--save", ""], "--save: an empty file name"),
        (["frobnicate"], "invalid choice"),
    ],
)
def test_bad_arguments_exit_non_zero(args, message):
    result = run_fastgd(*args)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert message in result.stderr


@pytest.mark.parametrize("command", ["train", "sweep"])
def test_a_train_size_beyond_the_data_is_refused(command, mnist_dir):
    result = run_fastgd(command, "--train-size", 60001, "--epochs", 1, "--data", mnist_dir)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "--train-size must be at most 60000, got 60001" in result.stderr


def test_ctrl_c_reports_the_network_as_saved(mnist_dir, tmp_path):
    """After Ctrl-C the network holds the completed chunks of the interrupted epoch: the last
    line measures that network, the one saved."""
    path = tmp_path / "net.npz"
    process = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import signal, sys\n"
            "signal.signal(signal.SIGINT, signal.default_int_handler)\n"
            "from fastgd.cli import main\nsys.exit(main())",
            "train",
            "--epochs",
            "100",
            "--seed",
            "0",
            "--data",
            str(mnist_dir),
            "--save",
            str(path),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        first = process.stdout.readline()
        assert first.startswith("Epoch 0: ")
        time.sleep(0.05)
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=120)
    finally:
        process.kill()
        process.wait()
    assert process.returncode == 130, err
    match = re.search(
        r"interrupted after (\d+) complete epochs?: the network as it stands has "
        r"test accuracy (\d+\.\d\d)%",
        out,
    )
    assert match, out
    saved = run_fastgd("evaluate", str(path), "--data", str(mnist_dir))
    assert f"({match.group(2)}%)" in saved.stdout


def test_a_closed_pipe_ends_quietly(mnist_dir):
    """fastgd train | head -1: the reader goes away; fastgd ends as Unix tools do."""
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "fastgd",
            "train",
            "--epochs",
            "20",
            "--train-size",
            "3000",
            "--data",
            str(mnist_dir),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        process.stdout.readline()
        process.stdout.close()
        err = process.stderr.read()
        process.wait(timeout=120)
    finally:
        process.kill()
    assert process.returncode == 141 and err == b""


def test_zero_epochs_and_valley_names(mnist_dir, tmp_path):
    result = run_fastgd("train", "--epochs", "0", "--train-size", "100", "--data", str(mnist_dir))
    assert result.returncode == 0
    assert re.fullmatch(
        r"no epochs trained: the untrained network has test accuracy "
        r"\d+\.\d\d%\n",
        result.stdout,
    )
    out = tmp_path / "mypic"
    result = run_fastgd("valley", "--steps", "5", "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "mypic.png").is_file() and result.stdout.rstrip().endswith(
        f"picture in {out}.png"
    )


def test_version_and_defaults_in_help():
    result = run_fastgd("--version")
    assert result.returncode == 0 and result.stdout.strip() == f"fastgd {fastgd.__version__}"
    text = run_fastgd("train", "--help").stdout
    for option in ("--epochs", "--seed", "--dtype", "--threads", "--eta"):
        part = text[text.index(option) :].split("\n  -", 1)[0]
        assert part.count("default") == 1, part


def test_sweep_trains_every_setting_and_seed_and_resumes(mnist_dir, tmp_path):
    out, plot = tmp_path / "sweep.jsonl", tmp_path / "sweep.png"
    args = [
        "sweep",
        "--sizes",
        "784,30,10",
        "784,20,10",
        "--eta",
        "3",
        "--seeds",
        "2",
        "--epochs",
        "1",
        "--train-size",
        "3000",
        "--workers",
        "2",
        "--data",
        str(mnist_dir),
        "--out",
        str(out),
    ]
    if _has_matplotlib():
        args += ["--plot", str(plot)]
    result = run_fastgd(*args)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert sum(line.startswith("run ") for line in lines) == 4
    table = [line for line in lines if line.startswith("sizes=")]
    assert len(table) == 2 and all(line.endswith(" 2") for line in table)
    records = fastgd.SweepResult.load(out).records
    assert sorted((r["settings"]["sizes"][1], r["settings"]["seed"]) for r in records) == [
        (20, 0),
        (20, 1),
        (30, 0),
        (30, 1),
    ]
    if "--plot" in args:
        assert plot.read_bytes()[:4] == b"\x89PNG"
    again = run_fastgd(*args)
    assert again.returncode == 0 and "4 of 4 runs already in" in again.stdout
    assert len(out.read_bytes().splitlines()) == 4


def test_sweep_with_successive_halving(mnist_dir, tmp_path):
    out = tmp_path / "sweep.jsonl"
    result = run_fastgd(
        "sweep",
        "--eta",
        "0.5",
        "1",
        "2",
        "3",
        "--seeds",
        "1",
        "--epochs",
        "2",
        "--halving",
        "2",
        "--train-size",
        "2000",
        "--validation-size",
        "10000",
        "--workers",
        "2",
        "--verbose",
        "0",
        "--data",
        str(mnist_dir),
        "--out",
        str(out),
    )
    assert result.returncode == 0, result.stderr
    assert "stopped at epoch" in result.stdout.splitlines()[0]
    stopped = sorted(r["halving"]["stopped_at_epoch"] for r in fastgd.SweepResult.load(out).records)
    assert stopped == [1, 1, 2, 2]
    refused = run_fastgd("sweep", "--halving", "1", "--data", str(tmp_path / "nowhere"))
    assert refused.returncode == 2 and "--halving" in refused.stderr


def _has_matplotlib():
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return False
    return True


def test_sweep_refuses_bad_options_before_reading_data(tmp_path):
    result = run_fastgd(
        "sweep",
        "--workers",
        "2",
        "--scheduler",
        "tcp://127.0.0.1:1",
        "--data",
        str(tmp_path / "nowhere"),
    )
    assert result.returncode == 2 and "exclude each other" in result.stderr
    result = run_fastgd(
        "sweep",
        "--out",
        str(tmp_path / "no" / "such" / "dir" / "s.jsonl"),
        "--data",
        str(tmp_path / "nowhere"),
    )
    assert result.returncode == 2 and "--out" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_scheduler_without_distributed_names_the_extra(monkeypatch):
    from fastgd.sweeps.runners import client_for

    monkeypatch.setitem(sys.modules, "distributed", None)
    with pytest.raises(ImportError, match=r'pip install "fastgd\[dask\]"'):
        client_for("tcp://127.0.0.1:8786")


def test_the_interrupted_summary_counts_epochs_in_english():
    from fastgd.cli.train import _epochs

    assert [_epochs(n) for n in (0, 1, 2)] == [
        "0 complete epochs",
        "1 complete epoch",
        "2 complete epochs",
    ]


def test_a_warning_reads_as_the_commands_not_as_a_source_line(mnist_dir):
    """The CLI prints a warning as "fastgd: SaturationWarning: ...", not Python's
    ".../fastgd/training/trainer.py:367: SaturationWarning" meant for a programmer."""
    result = run_fastgd(
        "train", "--eta", "100", "--epochs", "3", "--train-size", "3000", "--seed", "0",
        "--data", mnist_dir,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stderr.startswith("fastgd: SaturationWarning: the network looks stuck")
    assert ".py:" not in result.stderr
