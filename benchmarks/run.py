#!/usr/bin/env python3
"""The course benchmark: run it alone on the machine you want figures for.

    .venv/bin/python benchmarks/run.py                 # everything
    .venv/bin/python benchmarks/run.py --only notebooks import

Writes benchmarks/results/course.json and benchmarks/RESULTS.md (with the date and the machine):
per-notebook wall time and peak kernel memory and the course total; the headline figure each lesson
records with ``clskit.record_result`` (accuracies at the notebook's default budget); ``import clskit``
time; and the Learner throughput against a bare PyTorch loop and fastai (benchmarks/throughput.py).
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
from dataclasses import asdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "benchmarks" / "results"
sys.path.insert(0, str(ROOT))


def machine() -> dict:
    import torch

    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"date": dt.date.today().isoformat(), "cpu": cpu, "cores": os.cpu_count(),
            "torch_threads": torch.get_num_threads(), "python": platform.python_version(),
            "torch": torch.__version__, "platform": platform.platform()}


def bench_import(repeats: int = 7) -> dict:
    times = []
    for _ in range(repeats):
        r = subprocess.run([sys.executable, "-c", "import time; t=time.perf_counter(); import clskit; "
                            "print(time.perf_counter()-t)"], capture_output=True, text=True, check=True)
        times.append(float(r.stdout))
    return {"import_clskit_ms_median": round(1000 * statistics.median(times), 2)}


# The machine's pace: one training step of the course's small CNN (benchmarks/cnn_threads.py's 32-px setting,
# 2 threads, channels-last), timed before and after the notebooks. This shared machine runs up to 1.5 times
# slower in some hours than in others; two course totals compare only at about the same pace.
PACE_SETTING = (32, 3, (16, 32, 64), 2, True)
PACE_REPEATS = 3   # per probe, between notebooks: about 2 s each


def pace_ms(repeats: int = 5) -> float:
    """Median milliseconds per reference training step (see ``PACE_SETTING``)."""
    from benchmarks.cnn_threads import step_ms

    import torch

    threads = torch.get_num_threads()
    try:
        return round(statistics.median(step_ms(*PACE_SETTING) for _ in range(repeats)), 1)
    finally:
        torch.set_num_threads(threads)


def stored_pace() -> dict | None:
    """The same step as benchmarks/cnn_threads.py stored it, with that run's date, if it did."""
    from benchmarks.cnn_threads import variant_name

    path = OUT / "cnn_threads.json"
    if not path.exists():
        return None
    stored = json.loads(path.read_text())
    side, chans, widths, threads, cl = PACE_SETTING
    for row in stored["rows"]:
        if (row["side"], row["in_chans"], tuple(row["widths"])) == (side, chans, widths):
            return {"ms": row["ms_per_step"][variant_name(threads, cl)], "date": stored["date"]}
    return None


def bench_notebooks(selectors: list[str], write: bool = False) -> dict:
    """Each notebook in a fresh kernel with a cold cache, and the machine's pace before each and after the last."""
    from tools.notebooks import find_notebooks, run_notebook

    pace_ms(1)   # discarded: a fresh process's first probe is slow (147 ms once, against 31-45 ms after it)
    paces = [pace_ms(PACE_REPEATS)]
    rows = []
    for nb in find_notebooks(selectors or None):
        with tempfile.NamedTemporaryFile("w+", suffix=".jsonl", delete=False) as f:
            results_file = f.name
        os.environ["CLSKIT_RESULTS_FILE"] = results_file
        r = run_notebook(nb, write=write, cold_cache=True)   # an empty embedding cache, as on a learner's first run
        os.environ.pop("CLSKIT_RESULTS_FILE")
        paces.append(pace_ms(PACE_REPEATS))
        figures = {}
        for line in Path(results_file).read_text().splitlines():
            rec = json.loads(line)
            figures[rec["name"]] = rec["value"]
        os.unlink(results_file)
        pace = round((paces[-2] + paces[-1]) / 2, 1)   # the probes either side of this notebook
        rows.append({**asdict(r), "within_budget": r.within_budget, "figures": figures, "pace_ms": pace})
        print(f"{r.notebook}: {r.seconds:.1f} s at {pace} ms, {r.peak_mb:.0f} MB, ok={r.ok} {figures}", flush=True)
    return {"notebooks": rows, "total_seconds": round(sum(r["seconds"] for r in rows), 1),
            "max_peak_mb": max((r["peak_mb"] for r in rows), default=0),
            "pace_ms": {"before": paces[0], "after": paces[-1], "cnn_threads": stored_pace()}}


def bench_throughput() -> dict:
    script = ROOT / "benchmarks" / "throughput.py"
    if not script.exists():
        return {}
    subprocess.run([sys.executable, str(script)], check=True, cwd=ROOT)
    path = OUT / "throughput.json"
    return json.loads(path.read_text()) if path.exists() else {}


def markdown(res: dict) -> str:
    m = res["machine"]
    lines = ["# Benchmark results", "",
             f"Measured {m['date']} on {m['cpu']} ({m['cores']} cores, torch {m['torch']}, "
             f"{m['torch_threads']} threads, Python {m['python']}), the machine otherwise idle. "
             "Regenerate with `.venv/bin/python benchmarks/run.py`.", ""]
    if "import" in res:
        lines += [f"`import clskit`: {res['import']['import_clskit_ms_median']} ms (median of 7 fresh processes).", ""]
    if "notebooks" in res:
        nb = res["notebooks"]
        lines += ["## Notebooks (defaults, fresh kernel and an empty embedding cache each)", "",
                  "| notebook | wall time (s) | peak kernel memory (MB) | within budget (90 s, 1.5 GB) | headline figures |",
                  "|---|---:|---:|---|---|"]
        for r in nb["notebooks"]:
            figs = ", ".join(f"{k} = {v:.4g}" for k, v in r["figures"].items()) or ""
            ok = "yes" if r["within_budget"] else ("ERROR " + r["error"] if not r["ok"] else "NO")
            lines.append(f"| {r['notebook']} | {r['seconds']:.1f} | {r['peak_mb']:.0f} | {ok} | {figs} |")
        lines += [f"| **whole course** | **{nb['total_seconds']:.1f}** | max {nb['max_peak_mb']:.0f} | | |", ""]
        pace = nb.get("pace_ms")
        if pace:
            stored = pace.get("cnn_threads")
            quiet = (f" (`benchmarks/cnn_threads.py` stored {stored['ms']} ms for the same step on {stored['date']})"
                     if stored else "")
            lines += [f"The machine's pace during this run: one training step of `small_cnn` (widths 16-32-64, 32 px, "
                      f"batch 64, 2 threads, channels-last) took {pace['before']} ms before the notebooks and "
                      f"{pace['after']} ms after{quiet}. This shared machine is up to 1.5 times slower in some hours "
                      "than in others: compare course totals only at about the same pace.", ""]
            paced = [r for r in nb["notebooks"] if "pace_ms" in r]
            if paced:
                lines += ["The same step, timed between notebooks (each notebook's figure is the mean of the probes "
                          "either side of it): " + ", ".join(f"{r['notebook'][:2]} {r['pace_ms']}" for r in paced)
                          + " ms. The probe is a rough gauge only: a run can read 30-32 ms between notebooks and "
                          "still take up to 40% longer over some of them than another run at the same reading did, "
                          "so no total is scaled by it; `benchmarks/notebook_ab.py` compares two trees in one run.",
                          ""]
    if res.get("throughput"):
        t = res["throughput"]
        lines += ["## Learner throughput (images/s, same model, data and batch size)", "", "```",
                  json.dumps(t, indent=1), "```", ""]
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--only", nargs="*", choices=["import", "notebooks", "throughput"], default=None)
    ap.add_argument("--notebooks", nargs="*", default=[], help="notebook prefixes (default: all)")
    ap.add_argument("--write", action="store_true", help="also store the notebooks' outputs (as tools.notebooks run does)")
    args = ap.parse_args(argv)
    parts = args.only or ["import", "notebooks", "throughput"]
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / "course.json"
    res = json.loads(path.read_text()) if path.exists() else {}
    res["machine"] = machine()
    if "import" in parts:
        res["import"] = bench_import()
    if "notebooks" in parts:
        new = bench_notebooks(args.notebooks, write=args.write)
        if args.notebooks and res.get("notebooks"):  # a partial run updates its rows, keeps the others
            rows = {r["notebook"]: r for r in res["notebooks"]["notebooks"]}
            rows.update({r["notebook"]: r for r in new["notebooks"]})
            ordered = [rows[k] for k in sorted(rows)]
            new = {"notebooks": ordered, "total_seconds": round(sum(r["seconds"] for r in ordered), 1),
                   "max_peak_mb": max(r["peak_mb"] for r in ordered), "pace_ms": new["pace_ms"]}
        res["notebooks"] = new
    if "throughput" in parts:
        res["throughput"] = bench_throughput()
    elif (OUT / "throughput.json").exists():   # throughput.py run on its own: report its latest figures
        res["throughput"] = json.loads((OUT / "throughput.json").read_text())
    path.write_text(json.dumps(res, indent=1))
    (ROOT / "benchmarks" / "RESULTS.md").write_text(markdown(res))
    print(markdown(res))
    return 0


if __name__ == "__main__":
    sys.exit(main())
