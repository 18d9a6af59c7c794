"""Sphinx configuration: MyST pages, numpydoc API reference, figures drawn at build time.

Build with warnings as errors (as CI does):
    pip install ".[docs]" && sphinx-build -W --keep-going -b html docs build/docs
The tutorial trains on the real MNIST while the docs build: FASTGD_DATA, else the cache, else a
download on first use (as `fastgd.load_mnist` does).
"""

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
# members documented in fastgd's docstrings.
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
