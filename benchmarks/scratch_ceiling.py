"""Is notebook 05's scratch CNN at its ceiling? The same set-up trained longer, and wider.

    python benchmarks/scratch_ceiling.py          # about 5 minutes on 2 cores

Notebook 05 (section 3) trains the course's small CNN from scratch on the 600 ``imagenette_mini`` training photos at
64 px for 30 epochs, and compares the transfer methods with it. A sceptic asks whether 30 epochs stopped it early.
This script repeats the notebook's run exactly (same data, augmentation, optimiser, seed, schedule, memory layout),
then trains the same network for twice as many epochs (60, so the one-cycle schedule stretches over twice as many
steps), and the wider network that ``FULL = True`` trains (widths 32, 64, 128) for its 40 epochs. For each it
records the validation accuracy over the last five epochs, the best, and the test accuracy on the 200 test photos
with its 95% Wilson interval. Results go to clskit/data/runs/scratch_ceiling.json (read by clskit.load_stored_run);
tests/test_cited_runs.py checks notebook 05's sentences about it.
"""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

RUNS = {"notebook: widths 16-32-64, 30 epochs": ((16, 32, 64), 30),
        "same network, 60 epochs": ((16, 32, 64), 60),
        "FULL network: widths 32-64-128, 40 epochs": ((32, 64, 128), 40)}


def main() -> None:
    import clskit
    from clskit import DataLoaders, Learner, augment, create_model, load_dataset, predict_logits
    from clskit.utils import STORED_RUNS
    from clskit.stats import wilson_interval
    from benchmarks.run import machine   # the same date, CPU and torch fields as the course benchmark

    train, valid, test = (load_dataset("imagenette_mini", split=s, size=64) for s in ("train", "valid", "test"))
    rows = []
    for name, (widths, epochs) in RUNS.items():
        clskit.seed_everything(0)
        dls = DataLoaders.from_datasets(train, valid, batch_size=32, seed=0, train_transform=augment("standard", seed=0))
        torch.manual_seed(0)
        # channels-last memory layout, as in the notebook: the same network, computed faster on CPUs
        model = create_model("small_cnn", num_classes=10, widths=widths).to(memory_format=torch.channels_last)
        learner = Learner(model, dls, lr=3e-3, seed=0, progress=False)
        start = time.perf_counter()
        learner.fit(epochs)
        seconds = time.perf_counter() - start
        valid_acc = [r["accuracy"] for r in learner.history]
        logits, _ = predict_logits(model, test)
        right = int((logits.argmax(1) == test.targets).sum())
        rows.append({"run": name, "widths": list(widths), "epochs": epochs,
                     "valid_last5": [round(a, 4) for a in valid_acc[-5:]], "valid_best": round(max(valid_acc), 4),
                     "test_accuracy": right / len(test), "test_interval": [round(v, 4) for v in wilson_interval(right, len(test))],
                     "train_seconds": round(seconds, 1)})
        print(json.dumps(rows[-1]), flush=True)
    out = STORED_RUNS / "scratch_ceiling.json"
    m = machine()
    out.write_text(json.dumps({"date": m["date"], "cpu": m["cpu"], "torch": m["torch"], "threads": m["torch_threads"],
                               "runs": rows}, indent=1) + "\n")
    print("wrote", out.relative_to(ROOT))


if __name__ == "__main__":
    main()
