"""Is notebook 07's weight decay of 3 the value the validation set would pick?

    python benchmarks/wd_choice.py          # about a minute on 2 cores (25 to 100 s, with the machine's load)

Notebook 07 compares four regularisers with none, among them weight decay 3 (``Learner(..., wd=3)``), on 120
digits with clean labels (section 2) and with about 30% wrong labels in training and validation (section 4).
A single value of weight decay, if chosen by looking at test scores, would flatter it. This script repeats the
notebook's set-up exactly (same split, the same 120 training images, the same wrong labels, the wide MLP, AdamW
at a constant 3e-3, batches of 32, 100 epochs, seeds 0 to 4) and trains it with weight decay 0.3, 1, 3 and 10,
and with none (0, for reference), in both settings. For each value it records, averaged over the seeds, the
validation loss and accuracy after the last epoch (in the noisy setting measured against the noisy validation
labels, as the notebook's early stopping sees them), the mean confidence of its validation predictions (the
largest probability) and, for information only, the test accuracy, with each test image right (1) or wrong (0)
per seed. Each value's test accuracy is then compared with none's exactly as the notebook compares its arms
"over images": ``clskit.paired_difference`` of each image's correctness averaged over the seeds, with that
value's minus none's (a paired bootstrap over the 270 test images; diff, 95% interval and verdict, in points),
and, as the notebook also prints, over the seeds (a paired t-interval on the 5 per-seed accuracies).

The selection rule, fixed before running: among 0.3, 1, 3 and 10, pick the value with the lowest mean validation
loss at the end of training (the notebook trains a fixed 100 epochs and keeps the last weights). The test accuracy
plays no part in it. Results go to clskit/data/runs/wd_choice.json (read by clskit.load_stored_run);
tests/test_cited_runs.py checks notebook 07's sentence about them.
"""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CANDIDATES = (0.3, 1.0, 3.0, 10.0)     # the values the rule chooses among
REFERENCE = 0.0                        # no weight decay: the notebook's "none", recorded for comparison only
SEEDS = range(5)                       # the notebook's seeds (FULL = False)
EPOCHS = 100                           # the notebook's EPOCHS


def wide_mlp(dropout=0.0):
    """Notebook 07's model: 64 pixels -> 256 -> 256 -> 10 logits."""
    return nn.Sequential(nn.Flatten(),
                         nn.Linear(64, 256), nn.ReLU(), nn.Dropout(dropout),
                         nn.Linear(256, 256), nn.ReLU(), nn.Dropout(dropout),
                         nn.Linear(256, 10))


def with_wrong_labels(data, rate, seed):
    """Notebook 07's label noise: each label, with probability `rate`, replaced by a random other class."""
    rng = np.random.default_rng(seed)
    noisy = data.subset(np.arange(len(data)))
    noisy.targets = noisy.targets.clone()
    wrong = torch.as_tensor(rng.random(len(noisy)) < rate)
    noisy.targets[wrong] = (noisy.targets[wrong] + torch.as_tensor(rng.integers(1, 10, int(wrong.sum())))) % 10
    return noisy


def difference(d) -> dict:
    """A clskit.PairedDifference as the JSON stores it: points, rounded as the notebook prints them (and to 2)."""
    return {"diff": round(d.diff, 2), "low": round(d.low, 2), "high": round(d.high, 2), "verdict": d.verdict,
            "text": str(d)}


def main() -> None:
    import clskit
    from clskit import ArrayLoader, DataLoaders, Learner, load_dataset, paired_difference, split_dataset, split_indices
    from clskit.utils import STORED_RUNS
    from benchmarks.run import machine   # the same date, CPU and torch fields as the course benchmark

    # torch's default threads, as notebook 07 runs: its weight-decay-3 and no-decay runs are then the notebook's own
    clskit.seed_everything(0)
    train, valid, test = split_dataset(load_dataset("digits"), seed=0)
    keep, _, _ = split_indices(train.targets.numpy(), valid=0, test=1 - 120 / len(train), seed=0)
    small = train.subset(keep)
    noisy_small, noisy_valid = with_wrong_labels(small, 0.3, seed=0), with_wrong_labels(valid, 0.3, seed=1)
    test_loader = ArrayLoader(test, batch_size=270)

    def mlp_learner(data, val, seed, wd):
        dls = DataLoaders.from_datasets(data, val, batch_size=32, seed=seed)
        torch.manual_seed(seed)
        return Learner(wide_mlp(), dls, lr=3e-3, wd=wd, sched="constant", seed=seed, progress=False)

    settings = {"clean": (small, valid), "noisy": (noisy_small, noisy_valid)}
    start = time.perf_counter()
    results = {}
    for setting, (data, val) in settings.items():
        rows, right = [], {}
        for wd in (REFERENCE, *CANDIDATES):
            right[wd] = []
            per_seed = []
            for seed in SEEDS:
                learn = mlp_learner(data, val, seed, wd)
                learn.fit(EPOCHS)
                val_probs, val_y = learn.get_preds()
                probs, y = learn.get_preds(dl=test_loader)
                right[wd].append((probs.argmax(1) == y).int().numpy())
                per_seed.append({"valid_loss": float(F.nll_loss(val_probs.clamp_min(1e-12).log(), val_y)),
                                 "valid_acc": clskit.accuracy(val_y, val_probs),
                                 "valid_confidence": float(val_probs.max(1).values.mean()),
                                 "test_acc": float((probs.argmax(1) == y).float().mean())})
            row = {"wd": wd, **{f"mean_{k}": round(float(np.mean([r[k] for r in per_seed])), 4) for k in per_seed[0]}}
            if wd != REFERENCE:        # minus none, as the notebook's summarise(): over images, and over seeds
                a, b = np.array(right[wd], dtype=float), np.array(right[REFERENCE], dtype=float)   # (seeds, images)
                row["test_minus_none"] = difference(paired_difference(a.mean(0), b.mean(0), over="images"))
                row["test_minus_none_over_seeds"] = difference(paired_difference(a.mean(1), b.mean(1), over="seeds"))
            row["per_seed"] = [{**{k: round(v, 4) for k, v in r.items()},
                                "test_right": "".join(map(str, right[wd][i].tolist()))}   # one 0/1 per test image
                               for i, r in enumerate(per_seed)]
            rows.append(row)
            print(setting, json.dumps({k: v for k, v in row.items() if k != "per_seed"}), flush=True)
        picked = min((r for r in rows if r["wd"] in CANDIDATES), key=lambda r: r["mean_valid_loss"])["wd"]
        results[setting] = {"rows": rows, "picked": picked}
        print(setting, "validation picks wd =", picked, flush=True)
    seconds = time.perf_counter() - start

    out = STORED_RUNS / "wd_choice.json"
    m = machine()
    out.write_text(json.dumps({"date": m["date"], "cpu": m["cpu"], "torch": m["torch"], "threads": torch.get_num_threads(),
                               "rule": "among wd in " + ", ".join(f"{v:g}" for v in CANDIDATES)
                                       + ": lowest mean validation loss after the last epoch, over seeds "
                                       + ", ".join(map(str, SEEDS)),
                               "epochs": EPOCHS, "seconds": round(seconds, 1), "settings": results}, indent=1) + "\n")
    print(f"wrote {out.relative_to(ROOT)} ({seconds:.0f} s)")


if __name__ == "__main__":
    main()
