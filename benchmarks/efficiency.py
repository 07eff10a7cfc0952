"""Measure what torch.compile and channels-last buy for the course's small CNN on the CPU.

    .venv/bin/python benchmarks/efficiency.py
    .venv/bin/python benchmarks/efficiency.py --note "measured while shared: latencies inflated"

torch.compile needs tens of seconds to minutes to compile (much more on a busy machine), which does
not fit a notebook's one-minute budget, so notebook 12 loads the figures cached here in
benchmarks/results/efficiency.json (clearly labelled as cached). Random weights: latency does not
depend on the values. Run it on an otherwise idle machine.
"""
from __future__ import annotations

import argparse
import datetime
import json
import platform
import sys
import time
import warnings
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from clskit.lessons.efficiency import ChannelsLast  # noqa: E402
from clskit.models.measure import measure_latency  # noqa: E402
from clskit.models import create_model  # noqa: E402

OUT = ROOT / "benchmarks" / "results" / "efficiency.json"
CONFIG = {
    "model": "small_cnn",        # the teacher of notebook 12: widths (32, 64, 128), 1 grey channel, 10 classes
    "input_sizes": [8, 32],      # 8 x 8 (the digits: overhead-bound) and 32 x 32 (compute-bound)
    "batch_sizes": [1, 32],
    "threads": 1,                # as in the notebook's tables
    "n_iter": 30,
}


def compile_and_time(model: torch.nn.Module, x: torch.Tensor) -> tuple[torch.nn.Module, float]:
    """torch.compile the model and run it once; returns the compiled model and the compile time in s."""
    compiled = torch.compile(model)
    t0 = time.perf_counter()
    with torch.inference_mode():
        compiled(x)
    return compiled, time.perf_counter() - t0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--note", default="", help="a remark stored with the results (e.g. 'machine was shared')")
    args = ap.parse_args(argv)
    torch.manual_seed(0)
    torch.set_num_threads(CONFIG["threads"])
    rows = []
    for size in CONFIG["input_sizes"]:
        shape = (1, size, size)
        model = create_model(CONFIG["model"], num_classes=10, in_chans=1).eval()
        variants = {"eager": model, "channels_last": ChannelsLast(model)}
        compile_s = {}
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                for bs in CONFIG["batch_sizes"]:
                    # compile per batch size: a new shape triggers a recompile (dynamic shapes aside)
                    compiled, secs = compile_and_time(model, torch.rand(bs, *shape))
                    compile_s[bs] = secs
                    variants[f"compiled (b{bs})"] = compiled
        except Exception as e:  # no C++ compiler, unsupported platform
            print(f"torch.compile failed: {type(e).__name__}: {e}", file=sys.stderr)
        for name, m in variants.items():
            for bs in CONFIG["batch_sizes"]:
                if name.startswith("compiled") and f"(b{bs})" not in name:
                    continue
                r = measure_latency(m, shape, batch_size=bs, n_iter=CONFIG["n_iter"], threads=CONFIG["threads"])
                row = {"input": f"{size}x{size}", "variant": name.split(" (")[0], "batch_size": bs,
                       "median_ms": round(r["median_ms"], 3), "throughput": round(r["throughput"], 1)}
                if name.startswith("compiled"):
                    row["compile_s"] = round(compile_s[bs], 1)
                rows.append(row)
                print(row, flush=True)
    result = {"date": datetime.date.today().isoformat(), "machine": f"{platform.machine()} {platform.processor()}".strip(),
              "torch": torch.__version__, "config": CONFIG, "note": args.note, "rows": rows}
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(result, indent=1))
    print(f"wrote {OUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
