"""The page "Chapter 3 in numbers" shows what its results files hold: its table is the one
docs/results/chapter3/table.py prints from them, line for line, and every run its script lists
has its results."""

import contextlib
import io
import json
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
