"""Did a change make notebooks faster? Time each one at an older commit and as it is now, alternating, in one run.

    python benchmarks/notebook_ab.py c9f319b 02 03 04       # about (old + new) seconds per notebook

Timings on a shared machine drift by 10-20% from one hour to the next, so a course total measured today
cannot be compared with one measured yesterday. This script runs, for each notebook prefix given, the
notebook as stored at ``REV`` and the notebook in the working tree, one after the other, each in a fresh
kernel with a cold embedding cache and strict claims (``tools.notebooks.run_notebook``, outputs not
stored), and reports both times and their ratio. Only the notebook file is taken from ``REV``: the
``clskit`` package is the working tree's, so the comparison isolates changes to the notebooks (check with
``git diff REV -- clskit`` that the package did not change, or the old notebook may not run).
Results go to benchmarks/results/notebook_ab.json.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main(argv=None) -> int:
    from tools.notebooks import find_notebooks, run_notebook

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("rev", help="the older commit, e.g. c9f319b")
    ap.add_argument("notebooks", nargs="+", help="notebook prefixes, e.g. 02 10")
    args = ap.parse_args(argv)
    rev = subprocess.run(["git", "rev-parse", "--short", args.rev], cwd=ROOT, capture_output=True, text=True,
                         check=True).stdout.strip()
    rows = []
    for new in find_notebooks(args.notebooks):
        old = new.with_name(f"_ab_{rev}_{new.name}")   # beside it: the same working directory and data paths
        old.write_text(subprocess.run(["git", "show", f"{rev}:notebooks/{new.name}"], cwd=ROOT, capture_output=True,
                                      text=True, check=True).stdout)
        times = {}
        try:
            for label, path in (("old", old), ("new", new)):
                r = run_notebook(path, write=False, cold_cache=True)
                if not r.ok:
                    print(f"{label} {new.name} failed: {r.error}", file=sys.stderr)
                times[label] = {"seconds": round(r.seconds, 1), "peak_mb": round(r.peak_mb), "ok": r.ok}
        finally:
            old.unlink()
        rows.append({"notebook": new.name, **times, "ratio": round(times["new"]["seconds"] / times["old"]["seconds"], 3)})
        print(json.dumps(rows[-1]), flush=True)
    old_s, new_s = (round(sum(r[k]["seconds"] for r in rows), 1) for k in ("old", "new"))
    summary = {"rev": rev, "notebooks": rows, "old_seconds": old_s, "new_seconds": new_s,
               "ratio": round(new_s / old_s, 3)}
    print(f"old ({rev}) {old_s} s, new {new_s} s, ratio {summary['ratio']}")
    (ROOT / "benchmarks" / "results" / "notebook_ab.json").write_text(json.dumps(summary, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
