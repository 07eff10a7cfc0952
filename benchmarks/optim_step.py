"""How long does one AdamW step take for the course's networks, looping over the weights or in one call?

    python benchmarks/optim_step.py          # about 20 s on 2 cores

PyTorch's AdamW on a CPU defaults to a Python loop over the weight tensors (``foreach=False``);
``foreach=True`` updates them all in one call per operation. Both give bitwise the same weights
(tests/test_learner.py::test_default_optimiser_gives_the_weights_of_plain_adamw), so the Learner's default,
``clskit.training.learner.ADAMW``, is the faster one. This script times the optimiser step alone (gradients
fixed, no forward or backward) for the networks the notebooks train most, the two variants interleaved,
``REPEATS`` times, and reports the median in milliseconds per step. Results go to
benchmarks/results/optim_step.json.
"""
from __future__ import annotations

import json
import statistics
import sys
import time
from pathlib import Path

import torch
import torch.nn as nn

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
OUT = ROOT / "benchmarks" / "results" / "optim_step.json"
STEPS, REPEATS = 300, 7


def networks() -> dict[str, nn.Module]:
    from clskit import create_model

    return {"small_cnn, default widths (00, 12, 14)": create_model("small_cnn", num_classes=10, in_chans=1),
            "small_cnn, widths 16-32-64 (07, 11, 12)": create_model("small_cnn", num_classes=10, in_chans=1,
                                                                    widths=(16, 32, 64)),
            "MLP 64-256-256-10 (07)": nn.Sequential(nn.Linear(64, 256), nn.Linear(256, 256), nn.Linear(256, 10))}


def ms_per_step(params: list[torch.Tensor], foreach: bool) -> float:
    opt = torch.optim.AdamW(params, lr=1e-3, weight_decay=0.01, foreach=foreach)
    opt.step()                                   # the moments are allocated at the first step
    t = time.perf_counter()
    for _ in range(STEPS):
        opt.step()
    return (time.perf_counter() - t) / STEPS * 1e3


def main() -> int:
    from benchmarks.run import machine

    torch.manual_seed(0)
    rows = {}
    for name, net in networks().items():
        params = list(net.parameters())
        for p in params:
            p.grad = torch.randn_like(p)
        times = {False: [], True: []}
        for _ in range(REPEATS):
            for foreach in (False, True):
                times[foreach].append(ms_per_step(params, foreach))
        loop, one_call = statistics.median(times[False]), statistics.median(times[True])
        rows[name] = {"tensors": len(params), "ms_per_step_loop": round(loop, 4),
                      "ms_per_step_foreach": round(one_call, 4), "saved_ms": round(loop - one_call, 4)}
        print(f"{name}: {len(params)} tensors, {loop:.3f} ms per step looping, {one_call:.3f} ms in one call")
    OUT.write_text(json.dumps({"machine": machine(), "threads": torch.get_num_threads(), "steps": STEPS,
                               "repeats": REPEATS, "networks": rows}, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
