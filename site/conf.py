"""Sphinx configuration of the course website: ``python3 tasks.py site`` builds it into ``_build/site``.

The source folder is the repository root (so the README's and the course map's relative links to the
notebooks resolve as they do on GitHub); ``include_patterns`` picks the pages. Notebooks are rendered
from their stored outputs and never executed. ``clskit_site`` (next to this file) adds the table of
contents, each notebook's measured cost line, and sends links to files outside the site to the repository.
"""
from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))  # tools.hosted reads the repository URL from pyproject.toml

from tools.hosted import repository_url  # noqa: E402

project = "clskit"
author = "clskit developers"
copyright = "clskit developers; code Apache-2.0, data under its own licences"
repository = repository_url()

# MathJax is served from the site itself (sphinx-mathjax-offline ships it), not from a CDN
extensions = ["myst_nb", "sphinx-mathjax-offline", "clskit_site"]
root_doc = "README"
include_patterns = ["README.md", "notebooks/README.md", "notebooks/[0-9][0-9]_*.ipynb", "datasets/*.md",
                    "DATA_LICENSES.md", "site/*.md"]
exclude_patterns = ["_build", ".venv", "**/.ipynb_checkpoints"]

# the stored outputs are the course: render them as they are, never run a notebook here
nb_execution_mode = "off"
# a page has no kernel: it shows a widget's static view (the figure or table the widget shows at its
# default setting, stored as text/html beside it by clskit.views.widgets._display), never the widget view, and
# loads no widget JavaScript (it would come from a CDN)
nb_mime_priority_overrides = [
    ("html", "text/html", 0),
    ("html", "application/vnd.jupyter.widget-view+json", None),
]
nb_ipywidgets_js = {}
myst_enable_extensions = ["dollarmath", "amsmath"]
myst_heading_anchors = 3

html_theme = "sphinx_book_theme"
html_title = "clskit: image classification, taught in notebooks"
html_favicon = "favicon.svg"  # else every first visit asks for /favicon.ico and logs a 404
html_theme_options = {
    "repository_url": repository,
    "repository_branch": "main",
    "path_to_docs": "",
    "use_repository_button": True,
    "launch_buttons": {"colab_url": "https://colab.research.google.com", "binderhub_url": "https://mybinder.org",
                       "notebook_interface": "jupyterlab"},
    "show_toc_level": 2,
}
# a reader's first visit has no stored light/dark choice: start from the light theme (else the theme logs an error)
html_context = {"default_mode": "light"}
