"""Is notebook 05's scratch CNN at its ceiling? The same set-up trained longer, wider, and without its strided stem.

    python benchmarks/scratch_ceiling.py          # about 2.5 minutes on 2 cores

Notebook 05 (section 3) trains the course's small CNN from scratch on the 600 ``imagenette_mini`` training photos at
64 px for 30 epochs, and compares the transfer methods with it. A sceptic asks whether 30 epochs stopped it early.
This script repeats the notebook's run exactly (same data, network with its strided stem, augmentation, optimiser,
seed, schedule, memory layout), then trains the same network for twice as many epochs (60, so the one-cycle
schedule stretches over twice as many steps), and the wider network that ``FULL = True`` trains (widths 32, 64,
128, the same strided stem) for its 40 epochs. Last, the control for the stem: the notebook's network and recipe
with a first convolution of stride 1, so its first stage runs at the full 64 px (three times the training time).
For each it records the validation accuracy over the last five epochs, the best, and the test accuracy on the 200
test photos with its 95% Wilson interval, and for each other run its paired difference from the notebook's run
on the same test photos (percentage points, 95% bootstrap interval). Results go to
clskit/data/runs/scratch_ceiling.json (read by clskit.load_stored_run); tests/test_cited_runs.py checks notebook 05's
sentences about it.
"""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

RUNS = {"notebook: widths 16-32-64, 30 epochs": ((16, 32, 64), 30, 2),       # (widths, epochs, stem stride)
        "same network, 60 epochs": ((16, 32, 64), 60, 2),
        "FULL network: widths 32-64-128, 40 epochs": ((32, 64, 128), 40, 2),
        "notebook's network without the strided stem, 30 epochs": ((16, 32, 64), 30, 1)}


def main() -> None:
    import clskit
    from clskit import DataLoaders, Learner, augment, create_model, load_dataset, paired_difference, predict_logits
    from clskit.utils import STORED_RUNS
    from clskit.stats import wilson_interval
    from benchmarks.run import machine   # the same date, CPU and torch fields as the course benchmark

    train, valid, test = (load_dataset("imagenette_mini", split=s, size=64) for s in ("train", "valid", "test"))
    rows, hits, base = [], {}, next(iter(RUNS))   # base: the notebook's own run, the others are paired with it
    for name, (widths, epochs, stem_stride) in RUNS.items():
        clskit.seed_everything(0)
        dls = DataLoaders.from_datasets(train, valid, batch_size=32, seed=0, train_transform=augment("standard", seed=0))
        torch.manual_seed(0)
        # as in the notebook: a strided stem (the first convolution halves 64 px to 32; the control: stride 1)
        # and the channels-last memory layout (the same network, computed faster on CPUs)
        model = create_model("small_cnn", num_classes=10, widths=widths, stem_stride=stem_stride)
        model = model.to(memory_format=torch.channels_last)
        learner = Learner(model, dls, lr=3e-3, seed=0, progress=False)
        start = time.perf_counter()
        learner.fit(epochs)
        seconds = time.perf_counter() - start
        valid_acc = [r["accuracy"] for r in learner.history]
        logits, _ = predict_logits(model, test)
        hits[name] = (logits.argmax(1) == test.targets).numpy()
        right = int(hits[name].sum())
        rows.append({"run": name, "widths": list(widths), "stem_stride": stem_stride, "epochs": epochs,
                     "valid_last5": [round(a, 4) for a in valid_acc[-5:]], "valid_best": round(max(valid_acc), 4),
                     "test_accuracy": right / len(test), "test_interval": [round(v, 4) for v in wilson_interval(right, len(test))],
                     "train_seconds": round(seconds, 1)})
        if name != base:   # paired on the same 200 test photos: this run minus the notebook's
            d = paired_difference(hits[name], hits[base])
            rows[-1]["test_minus_notebook"] = {"pts": round(d.diff, 1), "low": round(d.low, 1), "high": round(d.high, 1),
                                               "verdict": d.verdict}
        print(json.dumps(rows[-1]), flush=True)
    out = STORED_RUNS / "scratch_ceiling.json"
    m = machine()
    out.write_text(json.dumps({"date": m["date"], "cpu": m["cpu"], "torch": m["torch"], "threads": m["torch_threads"],
                               "runs": rows}, indent=1) + "\n")
    print("wrote", out.relative_to(ROOT))


if __name__ == "__main__":
    main()
