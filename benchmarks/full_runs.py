"""Which of the lessons' claims survive the notebooks' larger budgets (``FULL = True``)?

    python benchmarks/full_runs.py              # every notebook: about an hour on 2 cores
    python benchmarks/full_runs.py 09 10        # some of them (the others' stored rows are kept)

Each notebook's prose is written for its default run, which has to fit 90 s on a laptop CPU; ``FULL = True``
trains longer, on more seeds, images or settings. A sceptic asks which statements would change under that
larger budget. This script runs every notebook once with ``FULL = True`` in a fresh kernel (outputs are not
stored), lets each claim check print its note instead of failing, and records the claims the larger run does
not support. A listed claim is not necessarily wrong: many name a count or a rounded figure of the default
run, and the verdicts of a run with more seeds have narrower intervals. Read the list for the verdicts that
turn ("better" into "no clear difference", or the other way).

Results go to benchmarks/results/full_runs.json (processor and torch of the last run, and per notebook: the date,
seconds, peak memory, whether it ran to the end, and the claims not supported).
"""
from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
OUT = ROOT / "benchmarks" / "results" / "full_runs.json"


def main(argv: list[str] | None = None) -> int:
    from benchmarks.run import machine
    from tools.notebooks import find_notebooks, run_notebook

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("notebooks", nargs="*", help="number prefixes (default: all)")
    ap.add_argument("--timeout", type=int, default=1800, help="seconds per cell (default 1800)")
    args = ap.parse_args(argv)
    stored = json.loads(OUT.read_text())["notebooks"] if OUT.exists() else {}
    for path in find_notebooks(args.notebooks or None):
        result = run_notebook(path, write=False, timeout=args.timeout, full=True, strict=False,
                              cold_cache=True)   # an empty embedding cache, as in the course benchmark
        m = machine()
        stored[path.name] = {"date": m["date"], **{k: v for k, v in asdict(result).items() if k != "notebook"}}
        notes = result.claim_notes
        print(f"{path.name}: {result.seconds:.0f} s, {result.peak_mb:.0f} MB, "
              f"{'ran to the end' if result.ok else 'ERROR ' + result.error}, {len(notes)} claims not supported",
              flush=True)
        for note in notes:
            print("   -", note.replace("\n", " "), flush=True)
        OUT.write_text(json.dumps({"date": m["date"], "cpu": m["cpu"], "torch": m["torch"],
                                   "notebooks": dict(sorted(stored.items()))}, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
