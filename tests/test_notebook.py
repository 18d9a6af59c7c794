"""examples/chapter1.ipynb runs in a real Jupyter kernel (nbclient), end to end, on MNIST."""

import os
import re
from pathlib import Path

import pytest

NOTEBOOK = Path(__file__).resolve().parents[1] / "examples" / "chapter1.ipynb"


def _needs(module):
    try:
        return pytest.importorskip(module)
    except pytest.skip.Exception:
        if os.environ.get("CI"):
            pytest.fail(f"{module} is not installed: CI installs the test extra, which has it")
        raise


def test_the_notebook_is_committed_without_outputs():
    nbformat = _needs("nbformat")
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None


@pytest.mark.slow
def test_the_chapter_notebook_executes(mnist_dir, tmp_path, monkeypatch):
    nbformat = _needs("nbformat")
    nbclient = _needs("nbclient")
    _needs("ipykernel")
    _needs("matplotlib")
    monkeypatch.setenv("FASTGD_DATA", str(mnist_dir))  # the kernel inherits it
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    nbclient.NotebookClient(
        notebook,
        timeout=600,
        kernel_name="python3",
        resources={"metadata": {"path": str(tmp_path)}},
    ).execute()
    outputs = [cell.outputs for cell in notebook.cells if cell.cell_type == "code"]
    assert not [o for cell in outputs for o in cell if o.output_type == "error"]

    def text(cell):
        return "".join(o.get("text", "") + o.get("data", {}).get("text/plain", "") for o in cell)

    def kinds(cell):
        return {kind for o in cell for kind in o.get("data", {})}

    load, run30, table, curves, seeds, etas, weights, confusion, mistakes, frame = outputs
    assert "(50000, 10000, 10000)" in text(load)
    assert "Epoch 29: " in text(run30)
    # verbose=2 in a notebook, with tqdm (the notebook extra has it): tqdm's widget, or its
    # text bar where ipywidgets is missing.
    assert re.search(r"Epoch \d+:\s+\d+%\|", text(run30)) or (
        "application/vnd.jupyter.widget-view+json" in kinds(run30)
    )
    assert "text/html" in kinds(table) and "<table>" in table[0]["data"]["text/html"]
    for pictured in (curves, weights, confusion, mistakes):
        assert "image/png" in kinds(pictured)
    assert text(seeds).count("final test accuracy") == 4
    assert "SaturationWarning" in text(seeds) and "stuck from epoch" in text(seeds)
    assert "eta=100.0" in text(etas) and "SaturationWarning" in text(etas)
    assert "text/html" in kinds(frame)


def test_the_notebooks_set_up_is_the_one_its_test_runs_it_with():
    """The notebook says `pip install "fastgd[notebook]"` and `jupyter execute` (nbclient's, what
    the test above drives); that extra installs every module the test needs, pandas (its last
    cell) included. 0.2's notebook said fastgd[plot] and jupyter, and its last cell failed."""
    tomllib = pytest.importorskip("tomllib")
    nbformat = _needs("nbformat")
    setup = "".join(nbformat.read(NOTEBOOK, as_version=4).cells[0].source)
    assert 'pip install "fastgd[notebook]"' in setup
    assert "jupyter execute --inplace examples/chapter1.ipynb" in setup
    pyproject = tomllib.loads((NOTEBOOK.parents[1] / "pyproject.toml").read_text())
    extra = pyproject["project"]["optional-dependencies"]["notebook"]
    names = {requirement.split(">")[0].split("=")[0] for requirement in extra}
    assert names >= {"nbformat", "nbclient", "ipykernel", "matplotlib", "pandas"}
