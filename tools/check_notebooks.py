#!/usr/bin/env python3
"""Check the course notebooks' stored outputs: no error output, no local path, no file that is too large.

    python tools/check_notebooks.py                    # every notebooks/*.ipynb
    python tools/check_notebooks.py notebooks/05_*.ipynb

Prints one line per problem and exits 1 if there is any. The pre-commit hook runs it on the notebooks a
commit changes; tests/test_habits.py runs it on all of them, so CI checks the same.
"""
from __future__ import annotations

import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# A path from the machine that ran the notebook (a home folder, a virtual environment, a temporary folder):
# it means nothing to a learner and tells others how the author's machine is laid out.
LOCAL_PATH = re.compile(r"/(root|tmp|home|work|Users)/|site-packages|dist-packages|[A-Za-z]:\\\\Users")
# About 1 MB: a notebook is read on the website and in a repository browser; tools.notebooks stores a large
# photo figure as a JPEG (clskit.views.png.lighter_image), which keeps the photo-heavy lessons well under it.
MAX_BYTES = 1_000_000


def notebook_problems(path: str | Path) -> list[str]:
    """What is wrong with one stored notebook (empty when all is well)."""
    path = Path(path)
    problems = []
    size = path.stat().st_size
    if size > MAX_BYTES:
        problems.append(f"{path.name}: {size / 1e6:.1f} MB, over the {MAX_BYTES / 1e6:.0f} MB limit "
                        "(smaller figures, fewer images, or clear a cell's output)")
    nb = json.loads(path.read_text(encoding="utf-8"))
    for i, cell in enumerate(nb.get("cells", [])):
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                problems.append(f"{path.name} cell {i}: stores an error ({out.get('ename')}); re-run the notebook")
            match = LOCAL_PATH.search(json.dumps(out))
            if match:
                problems.append(f"{path.name} cell {i}: shows a local path ({match.group(0)!r})")
    return problems


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    paths = [Path(a) for a in args] or sorted((ROOT / "notebooks").glob("*.ipynb"))
    problems = [p for path in paths for p in notebook_problems(path)]
    print("\n".join(problems) or f"{len(paths)} notebooks: no errors, no local paths, none over the size limit")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
