"""How fast does the course's small CNN train with 1 or 2 threads, contiguous or channels-last?

    python benchmarks/cnn_threads.py          # about a minute on 2 cores

The notebooks that train small CNNs used to start with ``torch.set_num_threads(1)`` ("one thread is as fast").
This script measures that claim: milliseconds per training step (forward, cross-entropy, backward, AdamW step)
of ``create_model("small_cnn", ...)`` at the image sizes and widths the notebooks use, batch 64, for each of
1 thread / 2 threads and the contiguous (NCHW) / channels-last (NHWC) memory format. The four variants of one
setting run interleaved, ``REPEATS`` times, and the median is reported (a shared machine drifts; interleaving
spreads the drift evenly). Results go to benchmarks/results/cnn_threads.json.

On the course's 2-core machine (AMD EPYC, idle) two threads were faster than one in every setting, and
channels-last was faster again in most: the notebooks now use torch's default thread count and convert the
networks where channels-last wins (``model.to(memory_format=torch.channels_last)``).
"""
from __future__ import annotations

import json
import statistics
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# (image side, input channels, widths): the settings of notebooks 02-10 and 14
SETTINGS = [(8, 1, (32, 64, 128)), (8, 1, (16, 32, 64)), (14, 1, (16, 32, 64)), (24, 3, (8, 16, 32)),
            (24, 3, (16, 32, 64)), (28, 1, (8, 16, 32)), (32, 3, (16, 32, 64)), (64, 3, (16, 32, 64))]
VARIANTS = [(1, False), (2, False), (1, True), (2, True)]   # (threads, channels-last)
BATCH, STEPS, WARMUP, REPEATS = 64, 15, 3, 3


def variant_name(threads: int, channels_last: bool) -> str:
    """The key of a variant in cnn_threads.json's ``ms_per_step``, e.g. ``"2T channels-last"``."""
    return f"{threads}T {'channels-last' if channels_last else 'contiguous'}"


def step_ms(side: int, in_chans: int, widths: tuple, threads: int, channels_last: bool) -> float:
    from clskit import create_model

    torch.set_num_threads(threads)
    torch.manual_seed(0)
    model = create_model("small_cnn", num_classes=10, in_chans=in_chans, widths=widths)
    if channels_last:
        model = model.to(memory_format=torch.channels_last)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    x, y = torch.randn(BATCH, in_chans, side, side), torch.randint(0, 10, (BATCH,))
    for i in range(WARMUP + STEPS):
        if i == WARMUP:
            start = time.perf_counter()
        F.cross_entropy(model(x), y).backward()
        opt.step()
        opt.zero_grad()
    return 1000 * (time.perf_counter() - start) / STEPS


def main() -> int:
    from benchmarks.run import machine

    threads_before = torch.get_num_threads()
    rows = []
    for side, in_chans, widths in SETTINGS:
        times = {v: [] for v in VARIANTS}
        for r in range(REPEATS):
            for v in VARIANTS[r % 4:] + VARIANTS[:r % 4]:   # rotate the order
                times[v].append(step_ms(side, in_chans, widths, *v))
        med = {variant_name(t, cl): round(statistics.median(times[(t, cl)]), 2) for t, cl in VARIANTS}
        best = min(med, key=med.get)
        rows.append({"side": side, "in_chans": in_chans, "widths": list(widths), "ms_per_step": med, "best": best,
                     "best_vs_1T_contiguous": round(med[best] / med["1T contiguous"], 2)})
        print(f"{side:2d} px, {in_chans} ch, widths {widths}: " + ", ".join(f"{k} {v}" for k, v in med.items())
              + f" -> {best}", flush=True)
    torch.set_num_threads(threads_before)
    m = machine()   # the same date, CPU and torch fields as the course benchmark
    out = ROOT / "benchmarks" / "results" / "cnn_threads.json"
    out.write_text(json.dumps({"date": m["date"], "cpu": m["cpu"], "torch": m["torch"],
                               "batch": BATCH, "steps": STEPS, "repeats": REPEATS, "rows": rows}, indent=1))
    print(f"wrote {out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
