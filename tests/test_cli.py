"""`python -m fastgd train` end to end, in a subprocess."""
import os
import subprocess
import sys

import pytest


def run(*args, env=None):
    return subprocess.run([sys.executable, "-m", "fastgd", *args], capture_output=True, text=True,
                          timeout=300, env=env)


def test_train_runs_and_reports(mnist_dir):
    result = run("train", "--epochs", "1", "--sizes", "784,20,10", "--seed", "0", "--dtype",
                 "float32", "--data", str(mnist_dir))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("Epoch 0: ") and lines[0].split(":")[1].split(",")[0].endswith(
        " / 10000")
    assert lines[-1].startswith("best test accuracy ")


def test_missing_data_is_a_message_not_a_traceback(tmp_path):
    # Nowhere to find MNIST: not in --data, no $FASTGD_DATA, an empty cache.
    env = {k: v for k, v in os.environ.items() if k != "FASTGD_DATA"}
    env["XDG_CACHE_HOME"] = str(tmp_path / "cache")
    result = run("train", "--epochs", "1", "--data", str(tmp_path), env=env)
    assert result.returncode == 2
    assert "MNIST not found" in result.stderr and str(tmp_path) in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("args, message", [
    (["train", "--sizes", "784,x,10"], "sizes must be integers"),
    (["train", "--mini-batch-size", "0"], "mini_batch_size must be at least 1"),
    (["train", "--eta", "-1"], "eta must be"),
    (["frobnicate"], "invalid choice"),
])
def test_bad_arguments_exit_non_zero(args, message):
    result = run(*args)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert message in result.stderr
