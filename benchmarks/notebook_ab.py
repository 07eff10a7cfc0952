"""Did a change make notebooks faster? Time each one at an older commit and as it is now, alternating, in one run.

    python benchmarks/notebook_ab.py c9f319b 02 03 04               # a change to the notebooks
    python benchmarks/notebook_ab.py --whole-tree HEAD 13 15        # a change to the clskit package

Timings on a shared machine drift by 10-20% from one hour to the next, so a course total measured today
cannot be compared with one measured yesterday. This script runs, for each notebook prefix given, the
notebook as stored at ``REV`` and the notebook in the working tree, one after the other, each in a fresh
kernel with a cold embedding cache and strict claims (``tools.notebooks.run_notebook``, outputs not
stored), and reports both times and their ratio. By default only the notebook file is taken from ``REV``: the
``clskit`` package is the working tree's, so the comparison isolates changes to the notebooks (check with
``git diff REV -- clskit`` that the package did not change, or the old notebook may not run). With
``--whole-tree`` the old arm runs in a temporary checkout of ``REV`` (``git worktree``), its kernel importing
that checkout's ``clskit`` (``PYTHONPATH``): the way to time a change to the package.
Results go to benchmarks/results/notebook_ab.json.
"""
from __future__ import annotations

import argparse
import json
import os
import tempfile
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main(argv=None) -> int:
    from tools.notebooks import find_notebooks

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("rev", help="the older commit, e.g. c9f319b")
    ap.add_argument("notebooks", nargs="+", help="notebook prefixes, e.g. 02 10")
    ap.add_argument("--whole-tree", action="store_true",
                    help="run the old arm in a checkout of REV, with that checkout's clskit package")
    args = ap.parse_args(argv)
    rev = subprocess.run(["git", "rev-parse", "--short", args.rev], cwd=ROOT, capture_output=True, text=True,
                         check=True).stdout.strip()
    tree = Path(tempfile.mkdtemp(prefix=f"clskit-ab-{rev}-")) / "tree" if args.whole_tree else None
    if tree is not None:
        subprocess.run(["git", "worktree", "add", "--detach", str(tree), rev], cwd=ROOT, capture_output=True, check=True)
    rows = []
    try:
        for new in find_notebooks(args.notebooks):
            rows.append(_pair(new, rev, tree))
            print(json.dumps(rows[-1]), flush=True)
    finally:
        if tree is not None:
            subprocess.run(["git", "worktree", "remove", "--force", str(tree)], cwd=ROOT, capture_output=True)
    old_s, new_s = (round(sum(r[k]["seconds"] for r in rows), 1) for k in ("old", "new"))
    summary = {"rev": rev, "whole_tree": args.whole_tree, "notebooks": rows, "old_seconds": old_s, "new_seconds": new_s,
               "ratio": round(new_s / old_s, 3)}
    print(f"old ({rev}) {old_s} s, new {new_s} s, ratio {summary['ratio']}")
    (ROOT / "benchmarks" / "results" / "notebook_ab.json").write_text(json.dumps(summary, indent=1))
    return 0


def _pair(new: Path, rev: str, tree: Path | None) -> dict:
    """One notebook, old then new, each in a fresh kernel with a cold cache: both times and their ratio."""
    from tools.notebooks import run_notebook

    if tree is None:
        old = new.with_name(f"_ab_{rev}_{new.name}")   # beside it: the same working directory and data paths
        old.write_text(subprocess.run(["git", "show", f"{rev}:notebooks/{new.name}"], cwd=ROOT, capture_output=True,
                                      text=True, check=True).stdout)
    else:
        old = tree / "notebooks" / new.name
    times = {}
    try:
        for label, path in (("old", old), ("new", new)):
            pythonpath = os.environ.get("PYTHONPATH")
            if label == "old" and tree is not None:   # the kernel imports the checkout's clskit first
                os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(tree), pythonpath]))
            try:
                r = run_notebook(path, write=False, cold_cache=True)
            finally:
                if pythonpath is None:
                    os.environ.pop("PYTHONPATH", None)
                else:
                    os.environ["PYTHONPATH"] = pythonpath
            if not r.ok:
                print(f"{label} {new.name} failed: {r.error}", file=sys.stderr)
            times[label] = {"seconds": round(r.seconds, 1), "peak_mb": round(r.peak_mb), "ok": r.ok}
    finally:
        if tree is None:
            old.unlink()
    return {"notebook": new.name, **times, "ratio": round(times["new"]["seconds"] / times["old"]["seconds"], 3)}


if __name__ == "__main__":
    sys.exit(main())
