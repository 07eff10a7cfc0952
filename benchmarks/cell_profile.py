"""Which cells of a notebook spend its time and memory budget.

    .venv/bin/python benchmarks/cell_profile.py notebooks/05_transfer_learning.ipynb [--top 10]

Runs the notebook in a fresh kernel (nothing is written back) and prints, per code cell, its wall time,
the kernel's resident memory when the cell started and the peak while it ran (sampled every 50 ms,
children included, as ``tools.notebooks`` measures the budget).
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from tools.notebooks import _MemorySampler


_TRIM = "import ctypes, gc; gc.collect(); ctypes.CDLL('libc.so.6').malloc_trim(0)"


def profile(path: Path, timeout: int = 600, trim: bool = False) -> list[dict]:
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    rows = []
    with client.setup_kernel():
        pid = client.km.provisioner.process.pid
        for i, cell in enumerate(nb.cells):
            if cell.cell_type != "code":
                continue
            sampler = _MemorySampler(pid)
            sampler.start()
            time.sleep(0.06)
            start_mb = sampler.peak / 2**20
            t0 = time.perf_counter()
            client.execute_cell(cell, i)
            if trim:   # what the run would cost if freed memory went back to the system after each cell
                client.execute_cell(nbformat.v4.new_code_cell(_TRIM), i)
            dt = time.perf_counter() - t0
            peak = sampler.stop()
            rows.append({"cell": i, "seconds": dt, "start_mb": start_mb, "peak_mb": peak,
                         "first_line": cell.source.strip().splitlines()[0][:70] if cell.source.strip() else ""})
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("notebook", type=Path)
    ap.add_argument("--top", type=int, default=0, help="show only the N slowest cells")
    ap.add_argument("--trim", action="store_true", help="return freed memory to the system after each cell (glibc)")
    args = ap.parse_args()
    t0 = time.perf_counter()
    rows = profile(args.notebook, trim=args.trim)
    total = time.perf_counter() - t0
    shown = sorted(rows, key=lambda r: -r["seconds"])[: args.top] if args.top else rows
    print(f"{args.notebook.name}: {total:.1f} s with kernel start, peak {max(r['peak_mb'] for r in rows):.0f} MB")
    print(f"{'cell':>4} {'s':>6} {'start MB':>9} {'peak MB':>8}  first line")
    for r in shown:
        print(f"{r['cell']:>4} {r['seconds']:6.1f} {r['start_mb']:9.0f} {r['peak_mb']:8.0f}  {r['first_line']}")


if __name__ == "__main__":
    main()
