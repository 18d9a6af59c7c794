"""Every code block a user can copy from the README and the documentation pages runs here, or
says why not.

A block is a fenced ```python or ```sh block. The HTML comments on the lines just above its
fence (invisible on the rendered page) say how it is checked:

    (none)                          run as it stands
    <!-- run with: A => B; C => D -->  run with these replacements (each A must be in the block:
                                    smaller grids and fewer epochs, named where the reader sees
                                    the source)
    <!-- prints: TEXT -->           and its output must hold TEXT
    <!-- not run: REASON -->        not run, for the reason given (installs, servers, hours)
    <!-- run by: tests/F.py::T -->  run by that test (which must exist)
    <!-- given: a.png, b.png -->    files the reader brings, here MNIST test digits as PNGs

A page's Python blocks run in order in one namespace (a session, as a reader pastes them), its
shell blocks one command line at a time with `fastgd` the installed command, all in one fresh
directory per page, with $FASTGD_DATA naming MNIST. A block that stops running, a name it uses
and no block defines, an output it no longer prints: a failure naming the page and line.
"""

import contextlib
import io
import json
import os
import re
import shlex
import subprocess
import sys
import time
import warnings
from pathlib import Path

import pytest

import fastgd
from fastgd.files.png import write_png

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
DIRECTIVE = re.compile(r"<!--\s*(run with|prints|not run|run by|given):\s*(.*?)\s*-->")


class Block:
    def __init__(self, page, line, language, code, directives):
        self.page, self.line, self.language, self.code = page, line, language, code
        self.directives = directives

    def __repr__(self):
        return f"{self.page.relative_to(ROOT)}:{self.line}"

    def get(self, kind):
        return [value for key, value in self.directives if key == kind]

    def runnable_code(self):
        code = self.code
        for replacements in self.get("run with"):
            for pair in replacements.split(";"):
                old, new = (part.strip() for part in pair.split("=>"))
                assert old in code, f"{self}: 'run with' replaces {old!r}, which the block lacks"
                code = code.replace(old, new)
        return code


def blocks(page):
    """The page's ```python and ```sh blocks, each with the directives just above it."""
    lines = page.read_text().splitlines()
    found, i = [], 0
    while i < len(lines):
        fence = re.fullmatch(r"```(python|sh)\s*", lines[i])
        if not fence:
            i += 1
            continue
        directives, j = [], i - 1
        while j >= 0 and DIRECTIVE.search(lines[j]):
            directives += DIRECTIVE.findall(lines[j])
            j -= 1
        end = lines.index("```", i + 1)
        found.append(Block(page, i + 1, fence[1], "\n".join(lines[i + 1 : end]), directives))
        i = end + 1
    return found


def commands(code):
    """The command lines of a shell block: continuations joined, comments dropped."""
    joined = code.replace("\\\n", " ")
    out = []
    for line in joined.splitlines():
        words = shlex.split(line, comments=True)
        if words:
            out.append(words)
    return out


@pytest.fixture
def fastgd_on_path(tmp_path):
    """A `fastgd` command that is this interpreter's (python -m fastgd), first on PATH."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    shim = bin_dir / "fastgd"
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m fastgd "$@"\n')
    shim.chmod(0o755)
    return f"{bin_dir}{os.pathsep}{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"


@contextlib.contextmanager
def _chdir(path):
    """contextlib.chdir, which Python 3.10 lacks."""
    before = os.getcwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(before)


def run_python(block, namespace, cwd):
    printed = io.StringIO()
    with _chdir(cwd), contextlib.redirect_stdout(printed), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # (a page's example may warn: a stuck run, say)
        try:
            exec(compile(block.runnable_code(), str(block), "exec"), namespace)
        except Exception as error:
            raise AssertionError(f"{block} raised {type(error).__name__}: {error}") from error
    return printed.getvalue()


def run_sh(block, cwd, path, mnist_dir):
    printed = []
    env = {**os.environ, "PATH": path, "FASTGD_DATA": str(mnist_dir), "MPLBACKEND": "Agg"}
    for words in commands(block.runnable_code()):
        done = subprocess.run(words, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, f"{block}: {shlex.join(words)} failed:\n{done.stderr}"
        printed.append(done.stdout)
    return "".join(printed)


def test_every_block_is_run_or_says_why_not():
    seen = 0
    for page in PAGES:
        for block in blocks(page):
            seen += 1
            for reason in block.get("not run"):
                assert len(reason) > 10, f"{block}: 'not run' needs a reason"
            for given in block.get("given"):
                assert all(name.strip().endswith(".png") for name in given.split(","))
            for target in block.get("run by"):
                path, name = target.split("::")
                assert f"def {name}(" in (ROOT / path).read_text(), f"{block}: no test {target}"
            for replacements in block.get("run with"):
                for pair in replacements.split(";"):
                    old = pair.split("=>")[0].strip()
                    assert old in block.code, f"{block}: 'run with' replaces missing {old!r}"
    assert seen >= 20


def runnable(page):
    return [b for b in blocks(page) if not b.get("not run") and not b.get("run by")]


@pytest.mark.parametrize("page", [p for p in PAGES if runnable(p)], ids=lambda p: p.name)
def test_the_pages_examples_run(page, tmp_path, mnist_dir, fastgd_on_path, monkeypatch):
    monkeypatch.setenv("FASTGD_DATA", str(mnist_dir))
    monkeypatch.setenv("MPLBACKEND", "Agg")
    work = tmp_path / "work"
    work.mkdir()
    namespace = {"__name__": "__main__"}
    for block in runnable(page):
        for k, name in enumerate(n for given in block.get("given") for n in given.split(",")):
            _, (test_X, _) = fastgd.load_mnist(mnist_dir, dtype="uint8")
            write_png(work / name.strip(), test_X[k].reshape(28, 28))
        if block.language == "python":
            printed = run_python(block, namespace, work)
        else:
            printed = run_sh(block, work, fastgd_on_path, mnist_dir)
        for text in block.get("prints"):
            assert text in printed, f"{block} should print {text!r}; it printed:\n{printed[-2000:]}"


def test_the_dask_commands_of_the_sweeps_page(tmp_path, mnist_dir, fastgd_on_path):
    """The sweeps page's cluster: its `dask scheduler` and `dask worker` commands, started as
    the page has them (on this machine, HOST its address), then its `fastgd sweep --scheduler`
    with one seed of one epoch instead of ten of thirty."""
    pytest.importorskip("distributed")
    (block,) = [b for b in blocks(ROOT / "docs" / "sweeps.md") if "dask scheduler" in b.code]
    scheduler_line, worker_line, sweep_line = commands(block.code)
    assert scheduler_line == ["dask", "scheduler"] and worker_line[:2] == ["dask", "worker"]
    env = {**os.environ, "PATH": fastgd_on_path, "FASTGD_DATA": str(mnist_dir)}
    options = ["--host", "127.0.0.1", "--port", "0", "--no-dashboard"]
    started = []
    try:
        started.append(
            subprocess.Popen(
                [*scheduler_line, *options, "--scheduler-file", str(tmp_path / "s.json")],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
        deadline = time.monotonic() + 60
        while not (tmp_path / "s.json").exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        address = json.loads((tmp_path / "s.json").read_text())["address"]
        worker = [w.replace("tcp://HOST:8786", address) for w in worker_line]
        started.append(
            subprocess.Popen(
                [*worker, "--no-dashboard"],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
        sweep = [w.replace("tcp://HOST:8786", address) for w in sweep_line]
        sweep[sweep.index("--seeds") + 1] = "1"
        done = subprocess.run(
            [*sweep, "--epochs", "1"],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert done.returncode == 0, done.stderr
        records = [json.loads(line) for line in (tmp_path / "sweep.jsonl").read_text().splitlines()]
        assert sorted(r["settings"]["eta"] for r in records) == [0.1, 0.5, 1.0, 3.0]
        assert all(r["error"] is None and r["history"]["epoch"] == [0] for r in records)
    finally:
        for process in started:
            process.kill()
            process.wait()
