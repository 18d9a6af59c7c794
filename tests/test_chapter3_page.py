"""The page "Chapter 3 in numbers" shows what its results files hold: its table is the one
docs/results/chapter3/table.py prints from them, line for line, and every run its script lists
has its results."""

import contextlib
import io
import json
import os
import re
import runpy
from pathlib import Path

DOCS = Path(__file__).resolve().parents[1] / "docs"
RESULTS = DOCS / "results" / "chapter3"


def test_the_pages_table_is_the_one_its_results_give():
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        runpy.run_path(str(RESULTS / "table.py"), run_name="__main__")
    table = printed.getvalue().strip().splitlines()
    assert len(table) >= 12
    page = (DOCS / "chapter3.md").read_text().splitlines()
    start = page.index(table[0])
    assert page[start : start + len(table)] == table


def test_every_sweep_of_the_script_has_its_finished_runs():
    script = (RESULTS / "run.sh").read_text()
    files = re.findall(r"--out (\S+\.jsonl)", script)
    assert len(files) >= 5
    for name in files:
        records = [json.loads(line) for line in (RESULTS / name).read_text().splitlines()]
        assert records and all(r["error"] is None for r in records), name
        assert len({r["settings"]["seed"] for r in records}) == 3, name


def test_the_record_script_runs_short(tmp_path, mnist_dir):
    """bench/record.py, its smoke version: a small network, two epochs, to a saved file that
    loads, with its one line of figures."""
    import subprocess
    import sys

    import fastgd

    script = DOCS.parent / "bench" / "record.py"
    out = subprocess.run(
        [sys.executable, str(script), "--sizes", "784,20,10", "--epochs", "2", "--data",
         str(mnist_dir), "--out", str(tmp_path / "record.npz")],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert re.search(
        r"2 epochs, best validation \d+\.\d+% \(epoch \d\), test \d+\.\d+%", out.stdout
    )
    net = fastgd.Network.load(tmp_path / "record.npz")
    assert net.sizes == [784, 20, 10] and net.output == "softmax"


def test_the_more_data_table_is_the_one_its_results_give():
    import sys

    printed = io.StringIO()
    argv = sys.argv
    sys.argv = ["table.py", "more-data"]
    try:
        with contextlib.redirect_stdout(printed):
            runpy.run_path(str(RESULTS / "table.py"), run_name="__main__")
    finally:
        sys.argv = argv
    table = printed.getvalue().strip().splitlines()
    assert len(table) == 2 + 9
    page = (DOCS / "chapter3.md").read_text().splitlines()
    start = page.index(table[0])
    assert page[start : start + len(table)] == table
    records = [json.loads(line) for line in (RESULTS / "more-data.jsonl").read_text().splitlines()]
    assert {(r["size"], r["seed"]) for r in records} == {
        (n, seed)
        for n in (100, 200, 500, 1000, 2000, 5000, 10000, 20000, 50000)
        for seed in range(3)
    }


def test_the_more_data_script_runs_short(tmp_path, mnist_dir):
    """more_data.py with 2,000 samples a run and one seed: a line per size, each a trained
    network's validation accuracy (above chance), and a second start skips them all."""
    import subprocess
    import sys

    out = tmp_path / "more.jsonl"
    command = [sys.executable, str(RESULTS / "more_data.py"), "--seeds", "1", "--samples",
               "2000", "--out", str(out)]  # fmt: skip
    env = {**os.environ, "FASTGD_DATA": str(mnist_dir)}
    done = subprocess.run(command, capture_output=True, text=True, timeout=600, env=env)
    assert done.returncode == 0, done.stderr
    records = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["size"] for r in records] == [100, 200, 500, 1000, 2000, 5000, 10000, 20000, 50000]
    assert [r["epochs"] for r in records] == [20, 10, 4, 2, 1, 1, 1, 1, 1]
    assert all(0.3 < r["validation_accuracy"] <= 1 for r in records)
    again = subprocess.run(command, capture_output=True, text=True, timeout=600, env=env)
    assert again.returncode == 0 and again.stdout == ""
    assert len(out.read_text().splitlines()) == 9
