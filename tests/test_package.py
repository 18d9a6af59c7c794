"""The package's own facts: one version everywhere, show_config, the files a project has."""

import importlib.metadata
import io
import subprocess
import sys
from pathlib import Path

import fastgd

REPO = Path(__file__).resolve().parents[1]


def test_the_version_is_the_same_everywhere():
    assert fastgd.__version__ == importlib.metadata.version("fastgd")
    out = subprocess.run(
        [sys.executable, "-m", "fastgd", "--version"], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == f"fastgd {fastgd.__version__}"
    assert f"## {fastgd.__version__}" in (REPO / "CHANGELOG.md").read_text()


def test_show_config_says_what_a_bug_report_needs():
    text = io.StringIO()
    fastgd.show_config(file=text)
    lines = text.getvalue().splitlines()
    assert lines[0] == f"fastgd {fastgd.__version__}"
    assert lines[1].startswith(f"python {sys.version.split()[0]} on ")
    kernel_sets = fastgd.core._core.kernel_sets()
    assert f"(in use: {kernel_sets[0]})" in text.getvalue() and "baseline" in kernel_sets
    assert any(line.startswith("blas: ") for line in lines)
    config = fastgd._config.config()
    assert config["threads"]["default"] in (1, 2) and config["numpy"]


def test_the_licence_is_bsd_3_clause():
    assert importlib.metadata.metadata("fastgd")["License-Expression"] == "BSD-3-Clause"
    assert (REPO / "LICENSE").read_text().startswith("BSD 3-Clause License")


def test_the_installed_package_is_typed():
    """PEP 561: py.typed and the compiled modules' stubs are installed with the package, so
    that a user's type checker reads fastgd's annotations."""
    installed = Path(fastgd.__file__).parent
    assert (installed / "py.typed").is_file()
    for stub in ("_core.pyi", "_small_path.pyi", "_forward.pyi"):
        assert (installed / "core" / stub).is_file(), stub
    # The stubs name what the Python code calls in the compiled modules.
    core = (installed / "core" / "_core.pyi").read_text()
    for name in ("kernel_sets", "train_chunk", "feedforward", "all_finite", "input_split"):
        assert f"def {name}(" in core and callable(getattr(fastgd.core._core, name))


def test_no_module_is_over_500_lines():
    """The layout's promise (CHANGELOG, issue 26): modules small enough to read whole."""
    from pathlib import Path

    src = Path(__file__).resolve().parents[1] / "src" / "fastgd"
    long = {
        str(p.relative_to(src)): n
        for p in sorted(src.rglob("*.py"))
        if (n := len(p.read_text().splitlines())) > 500
    }
    assert not long, long
