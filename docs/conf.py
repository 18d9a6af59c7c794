"""Sphinx configuration: MyST pages, numpydoc API reference, figures drawn at build time.

Build with
    pip install ".[docs]" && sphinx-build -b html docs build/docs
from any directory: every warning fails the build, with -W or without (setup() below). The
tutorial trains on the real MNIST while the docs build: FASTGD_DATA (a relative path is taken
from where the build started), else the cache, else a download on first use (as
`fastgd.load_mnist` does).
"""

import logging
import os
import sys

import fastgd

project = "fastgd"
author = "the fastgd developers"
copyright = "2026, the fastgd developers"
release = fastgd.__version__
version = ".".join(release.split(".")[:2])

extensions = [
    "myst_parser",
    "numpydoc",
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "matplotlib.sphinxext.plot_directive",
]
source_suffix = {".md": "markdown", ".rst": "restructuredtext"}
exclude_patterns = ["_build"]
myst_enable_extensions = ["colon_fence", "deflist"]
myst_heading_anchors = 3

# The API reference: numpydoc renders the docstrings' sections; the summaries list only the
# members documented in fastgd's docstrings. The page's contents name each function with its
# module (fastgd.costs.get, fastgd.activations.get: not "get()" three times).
toc_object_entries_show_parents = "all"
autosummary_generate = False
autodoc_typehints = "none"
numpydoc_show_class_members = False
numpydoc_xref_param_type = False

# Figures: the code on the page runs when the docs build, and its figures are what you see.
plot_include_source = True
plot_html_show_source_link = False
plot_html_show_formats = False
plot_formats = [("png", 100)]
plot_rcparams = {"figure.autolayout": False}

html_theme = "pydata_sphinx_theme"
html_title = f"fastgd {release}"
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "secondary_sidebar_items": ["page-toc"],
    "footer_start": ["copyright"],
    "footer_end": [],
}
html_static_path: list[str] = []
# No left sidebar: the pages are one level deep, the top bar lists them all.
html_sidebars = {"**": []}


# ---- every build: the data wherever it is started from, and no warning let through ----------


def _data_from_where_the_build_started(app):
    """A relative FASTGD_DATA (the README's ../shared/data/mnist) names a directory from where
    sphinx-build was started; the plot directive runs the pages' code in docs/. Made absolute
    once the build starts (conf.py itself is read from docs/, the start is the process's
    directory again by then)."""
    for name in ("FASTGD_DATA", "FASTGD_CACHE_DIR"):
        value = os.environ.get(name)
        if value and not os.path.isabs(value):
            os.environ[name] = os.path.abspath(value)


class _Warnings(logging.Handler):
    """Collects what Sphinx reports at WARNING or above, whatever the command line said (each
    once: Sphinx holds some back and hands them on again)."""

    def __init__(self):
        super().__init__(logging.WARNING)
        self.seen = set()

    def emit(self, record):
        self.seen.add((record.getMessage(), str(getattr(record, "location", ""))))

    @property
    def count(self):
        return len(self.seen)


def _fail_on_warnings(warnings):
    def check(app, error):
        if error is None and warnings.count:
            app.statuscode = 1  # sphinx-build's exit status
            print(
                f"fastgd's docs: {warnings.count} warning(s) above, and the documentation builds "
                "without any (a figure whose code fails is one): failed",
                file=sys.stderr,
            )

    return check


def setup(app):
    app.connect("builder-inited", _data_from_where_the_build_started)
    warnings = _Warnings()
    logging.getLogger("sphinx").addHandler(warnings)
    app.connect("build-finished", _fail_on_warnings(warnings))
