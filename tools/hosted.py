"""Hosted notebooks (Colab and alike): the "Open in Colab" badge and the set-up cell of every notebook.

Every course notebook starts with a title cell, then a badge cell and a set-up cell made here, so that a
notebook opened on its own, next to nothing but a Python kernel, installs clskit (with its data) and runs:

    python -m tools.hosted notebooks/*.ipynb      # add or refresh the two cells (idempotent)
    python -m tools.hosted --check notebooks/*.ipynb

The repository URL comes from ``[project.urls] Repository`` in ``pyproject.toml``; change it there and
re-run the command. The set-up cell does nothing where clskit is importable (a clone set up with
``python3 tasks.py lab``, Binder, the test suite). Both cells are tagged ``remove-cell``, so the course
website leaves them out.
"""
from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

BADGE_TAG = "clskit-badge"
SETUP_TAG = "clskit-setup"
# MyST-NB's tag: the course website (``python3 tasks.py site``) leaves both cells out; its pages have launch
# buttons instead, and a reader there has nothing to set up
HIDDEN_ON_SITE = "remove-cell"


def repository_url(pyproject: str | Path | None = None) -> str:
    """``[project.urls] Repository`` from ``pyproject.toml`` (the repository this course is published from).

    Example:
        >>> repository_url().startswith("https://github.com/")   # doctest: +SKIP
        True
    """
    import tomllib

    path = Path(pyproject) if pyproject else Path(__file__).resolve().parents[1] / "pyproject.toml"
    if not path.exists():
        raise FileNotFoundError(f"{path} not found: run this from a clone of the repository")
    url = tomllib.loads(path.read_text()).get("project", {}).get("urls", {}).get("Repository")
    m = re.fullmatch(r"https://github\.com/([\w.-]+)/([\w.-]+?)/?", url or "")
    if not m:
        raise ValueError(f"[project.urls] Repository in {path} must be a https://github.com/OWNER/NAME URL; got {url!r}")
    return f"https://github.com/{m[1]}/{m[2]}"


def badge_source(notebook: str, repo_url: str, branch: str = "main") -> str:
    """Markdown of the "Open in Colab" badge for ``notebooks/<notebook>``."""
    owner_repo = repo_url.removeprefix("https://github.com/")
    link = f"https://colab.research.google.com/github/{owner_repo}/blob/{branch}/notebooks/{notebook}"
    return (f"[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]({link}) "
            "Running on Colab or another hosted notebook? Run the set-up cell below first; "
            "in a clone set up with `python3 tasks.py lab` it does nothing.")


def setup_source(repo_url: str) -> str:
    """The set-up cell: installs clskit (code and embedded data) only where it is not importable."""
    return ("# Set-up: does nothing where clskit is installed (a clone, Binder). On Colab and other hosted\n"
            "# notebooks it installs clskit with its data, once per session (about a minute).\n"
            "import importlib.util\n"
            "\n"
            "if importlib.util.find_spec(\"clskit\") is None:\n"
            f"    %pip install -q \"clskit @ git+{repo_url}\"")


def _cell(kind: str, source: str, tag: str) -> dict:
    # nbformat 4.5 cells carry an id; the tag is unique within a notebook, so it serves as one
    cell = {"cell_type": kind, "id": tag, "metadata": {"tags": [tag, HIDDEN_ON_SITE]},
            "source": source.splitlines(keepends=True)}
    if kind == "code":
        cell.update(execution_count=None, outputs=[])
    return cell


def _tagged(cells: list, tag: str) -> int | None:
    return next((i for i, c in enumerate(cells) if tag in c.get("metadata", {}).get("tags", [])), None)


def prepare(path: str | Path, repo_url: str) -> bool:
    """Put the badge and set-up cells right after the title cell of one notebook; True if it changed."""
    path = Path(path)
    nb = json.loads(path.read_text())
    cells = [c for c in nb["cells"] if not {BADGE_TAG, SETUP_TAG} & set(c.get("metadata", {}).get("tags", []))]
    old = {t: nb["cells"][i] for t in (BADGE_TAG, SETUP_TAG) if (i := _tagged(nb["cells"], t)) is not None}
    badge, setup = _cell("markdown", badge_source(path.name, repo_url), BADGE_TAG), _cell("code", setup_source(repo_url), SETUP_TAG)
    if SETUP_TAG in old and "".join(old[SETUP_TAG]["source"]) == "".join(setup["source"]):
        # keep a stored execution count and output as they are
        setup = {**old[SETUP_TAG], "id": SETUP_TAG, "metadata": {**old[SETUP_TAG]["metadata"], **setup["metadata"]}}
    at = 1 if cells and cells[0]["cell_type"] == "markdown" else 0
    new = cells[:at] + [badge, setup] + cells[at:]
    if new == nb["cells"]:
        return False
    nb["cells"] = new
    path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n")
    return True


def check(path: str | Path, repo_url: str) -> list[str]:
    """What is missing or stale in one notebook's badge and set-up cells (empty when all is well)."""
    nb = json.loads(Path(path).read_text())
    problems = []
    for tag, want in ((BADGE_TAG, badge_source(Path(path).name, repo_url)), (SETUP_TAG, setup_source(repo_url))):
        i = _tagged(nb["cells"], tag)
        if i is None:
            problems.append(f"{Path(path).name}: no cell tagged {tag!r}")
        elif "".join(nb["cells"][i]["source"]) != want:
            problems.append(f"{Path(path).name}: the {tag!r} cell is out of date")
        elif i > 2:
            problems.append(f"{Path(path).name}: the {tag!r} cell is not at the top")
        elif HIDDEN_ON_SITE not in nb["cells"][i]["metadata"]["tags"]:
            problems.append(f"{Path(path).name}: the {tag!r} cell is not tagged {HIDDEN_ON_SITE!r} (shown on the website)")
    return problems


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tools.hosted", description=__doc__.split("\n\n")[0])
    ap.add_argument("notebooks", nargs="+")
    ap.add_argument("--check", action="store_true", help="report missing or stale cells; change nothing")
    args = ap.parse_args(argv)
    url = repository_url()
    if args.check:
        problems = [p for nb in args.notebooks for p in check(nb, url)]
        print("\n".join(problems) or "every notebook has its badge and set-up cell")
        return 1 if problems else 0
    changed = [nb for nb in args.notebooks if prepare(nb, url)]
    print(f"updated {len(changed)} of {len(args.notebooks)} notebooks")
    return 0


if __name__ == "__main__":
    sys.exit(main())
