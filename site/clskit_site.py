"""A small Sphinx extension for the course website (see ``conf.py``).

* ``index.html`` sends a reader to the landing page (the README), which gets the site's table of contents
  (added while it is read, so the README itself stays as GitHub shows it);
* every notebook page gets one line under its title: the notebook's measured time and peak memory on 2
  cores (``benchmarks/results/course.json``), the date of that run and the tested versions of the main
  packages (the lock ``clskit/data/tested-versions.txt``, read by :func:`clskit.doctor.tested_versions`). Nothing is typed by hand;
* a link to a Markdown file of the repository that is not a page of the site (``benchmarks/RESULTS.md``)
  points at that file in the repository (``[project.urls] Repository``).
"""
from __future__ import annotations

import json
from pathlib import Path

from docutils import nodes
from sphinx import addnodes

from clskit.doctor import tested_versions

ROOT = Path(__file__).resolve().parent.parent
COURSE = ROOT / "benchmarks" / "results" / "course.json"
VERSIONS_SHOWN = ("torch", "torchvision", "timm", "ipywidgets", "matplotlib")

TOCTREES = """

```{toctree}
:hidden:
:caption: Course

notebooks/README
%s
```

```{toctree}
:hidden:
:caption: Data and licences

datasets/README
%s
DATA_LICENSES
site/license
```
"""


def cost_line(notebook: str, course: dict, pins: dict[str, str]) -> str:
    """The sentence shown under a notebook's title, from the course benchmark and the lock.

    Example:
        >>> course = {"machine": {"date": "2026-12-02", "cores": 2}, "notebooks": {"notebooks": [
        ...     {"notebook": "00_welcome.ipynb", "seconds": 35.4, "peak_mb": 876.0}]}}
        >>> cost_line("00_welcome.ipynb", course, {"torch": "2.4.0"})
        'Measured on 2 CPU cores: 35 s, 876 MB peak memory (last run 2026-12-02). Tested with torch 2.4.0.'
    """
    rows = {r["notebook"]: r for r in course["notebooks"]["notebooks"]}
    if notebook not in rows:
        raise KeyError(f"{notebook} has no row in {COURSE.relative_to(ROOT)}: run `python benchmarks/run.py`")
    row, machine = rows[notebook], course["machine"]
    versions = ", ".join(f"{name} {pins[name]}" for name in VERSIONS_SHOWN if name in pins)
    return (f"Measured on {machine['cores']} CPU cores: {row['seconds']:.0f} s, {row['peak_mb']:.0f} MB peak memory "
            f"(last run {machine['date']}). Tested with {versions}.")


def _add_toctrees(app, docname: str, source: list[str]) -> None:
    if docname != app.config.root_doc:
        return
    notebooks = sorted(p.stem for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    cards = sorted(p.stem for p in (ROOT / "datasets").glob("*.md") if p.stem != "README")
    source[0] += TOCTREES % ("\n".join(f"notebooks/{n}" for n in notebooks), "\n".join(f"datasets/{c}" for c in cards))


def _add_cost_line(app, doctree) -> None:
    docname = app.env.docname
    if not (docname.startswith("notebooks/") and app.env.doc2path(docname).suffix == ".ipynb"):
        return
    course = json.loads(COURSE.read_text())
    line = nodes.paragraph("", "", nodes.emphasis(text=cost_line(docname.split("/")[1] + ".ipynb", course, tested_versions())),
                           classes=["clskit-cost"])
    section = next(iter(doctree.findall(nodes.section)))
    section.insert(1, line)  # right after the title


def _link_to_repository(app, doctree) -> None:
    """Links to a Markdown file of the repository that is not a page of the site go to the repository."""
    for node in list(doctree.findall(addnodes.pending_xref)):
        if node.get("reftype") != "myst" or node.get("refdomain") != "doc" or node["reftarget"] in app.env.found_docs:
            continue
        path = next((node["reftarget"] + s for s in (".md", ".ipynb", "") if (ROOT / (node["reftarget"] + s)).exists()), None)
        if path is None:
            continue  # not a file either: MyST reports the broken link
        kind = "tree" if (ROOT / path).is_dir() else "blob"
        url = f"{app.config.html_theme_options['repository_url']}/{kind}/main/{path}"
        node.replace_self(nodes.reference("", "", *node.children, internal=False, refuri=url))


def _write_entry_page(app, exception) -> None:
    """``index.html``, the page a static host serves first, sends the reader to the landing page."""
    if exception is None and app.builder.format == "html":
        target = f"{app.config.root_doc}.html"
        (Path(app.outdir) / "index.html").write_text(
            f'<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>clskit</title>'
            f'<meta http-equiv="refresh" content="0; url={target}"><link rel="canonical" href="{target}"></head>'
            f'<body><a href="{target}">clskit: the course</a></body></html>\n')


def setup(app):
    app.connect("source-read", _add_toctrees)
    app.connect("doctree-read", _add_cost_line)
    app.connect("doctree-read", _link_to_repository)
    app.connect("build-finished", _write_entry_page)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
