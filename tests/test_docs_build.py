"""The documentation's own configuration: every way of building it fails on a warning (not only
`sphinx-build -W`), and a relative FASTGD_DATA names the directory the build started from."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

for module in ("sphinx", "myst_parser", "numpydoc", "pydata_sphinx_theme", "matplotlib"):
    pytest.importorskip(module)

CONF = Path(__file__).resolve().parents[1] / "docs" / "conf.py"

PAGE = """# A page

```{eval-rst}
.. plot::

   import os

   import matplotlib.pyplot as plt

   assert os.path.isdir(os.environ["FASTGD_DATA"]), os.environ["FASTGD_DATA"]
   plt.plot([0, 1])
```
"""


def build(tmp_path, page, data):
    source = tmp_path / "docs"
    source.mkdir()
    shutil.copy(CONF, source / "conf.py")
    (source / "index.md").write_text(page)
    start = tmp_path / "start"
    (start / data).mkdir(parents=True)
    return subprocess.run(
        [sys.executable, "-m", "sphinx", "-b", "html", "-q", str(source), str(tmp_path / "out")],
        cwd=start,
        env={**os.environ, "FASTGD_DATA": data},
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_a_page_whose_code_finds_the_data_from_a_relative_path_builds(tmp_path):
    done = build(tmp_path, PAGE, "data/mnist")
    assert done.returncode == 0, done.stderr
    assert list((tmp_path / "out" / "_images").glob("*.png"))


def test_a_warning_fails_the_build_without_w(tmp_path):
    done = build(tmp_path, PAGE + "\nSee {doc}`a-page-that-is-not-there`.\n", "data/mnist")
    assert done.returncode != 0
    assert "a-page-that-is-not-there" in done.stderr
    assert "1 warning(s) above" in done.stderr, done.stderr


def test_a_figure_whose_code_fails_fails_the_build(tmp_path):
    # The README's old way: the page's code ran in docs/, the relative data path named nothing
    # there, and the build "succeeded" without the figure.
    done = build(tmp_path, PAGE.replace('os.environ["FASTGD_DATA"]', '"no/such/dir"', 1), "d")
    assert done.returncode != 0
    assert "Exception occurred in plotting" in done.stderr and "AssertionError" in done.stderr
