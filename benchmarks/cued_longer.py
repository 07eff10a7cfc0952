"""Does notebook 11's cued model still read only the marker when it is trained as long as the clean model?

    python benchmarks/cued_longer.py          # about 30 seconds on 2 cores

Notebook 11 (section 2, code cell 18) trains the small CNN on shapes whose top-left 4x4 marker has the class colour
in 95% of the training images, for 3 epochs, while the clean model trains 15 (the notebook's EPOCHS). A sceptic asks
whether the cued model, trained to the clean model's budget, would learn the shapes as well (the 5% of training
images with a random marker reward shape knowledge). This script repeats the notebook's cued run exactly (same data,
split, model, learner settings and seeds), then trains the same network from the same initial weights for 15 and for
30 epochs (the one-cycle schedule stretches over the longer run). For each it records the validation accuracy per
epoch (on the cued validation split), the accuracy on the 400 new images with a random marker and on the clean test
split (150 images, no marker) with 95% Wilson intervals, the share of the new images predicted as the class of the
marker's colour (as cell 18 computes it), the accuracy on the new images whose marker colour disagrees with their
shape, and the paired difference over the new images between the longer run and the 3-epoch run. Results go to
clskit/data/runs/cued_longer.json (read by clskit.load_stored_run); tests/test_cited_runs.py checks notebook 11's
sentence about it.

The cued model's initial weights in the notebook come from the global torch generator right after a
``seed_everything(0)``: the clean model's ``Learner(seed=0).fit`` re-seeds everything and consumes nothing from it,
nor do the cells between it and cell 18. So seeding once here and creating the model gives the notebook's weights.
"""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

N_PER_CLASS = 250       # notebook 11's default (FULL = False)
EPOCH_BUDGETS = (3, 15, 30)   # the notebook's cued run, the clean model's EPOCHS, twice that


def main() -> None:
    import clskit
    from clskit import DataLoaders, Learner, create_model, load_dataset, paired_difference, split_dataset
    from clskit.utils import STORED_RUNS
    from clskit.stats import wilson_interval
    from benchmarks.run import machine   # the same date, CPU and torch fields as the course benchmark

    clean = load_dataset("shapes", n_per_class=N_PER_CLASS, size=32, seed=0)
    _, _, te = split_dataset(clean, valid=0.15, test=0.15)                       # the clean test split (cell 6)
    cued = load_dataset("shapes", n_per_class=N_PER_CLASS, size=32, spurious=0.95, seed=0)
    ctr, cva, _ = split_dataset(cued, valid=0.15, test=0.15)
    random_marker = load_dataset("shapes", n_per_class=100, size=32, spurious=0.0, seed=1)   # the cue says nothing
    x_rm = random_marker.float_images(slice(0, len(random_marker)))
    marker_class = torch.as_tensor(random_marker.meta["marker"])
    disagree = marker_class != random_marker.targets                            # marker colour and shape differ
    x_te = te.float_images(slice(0, len(te)))

    def interval(right: int, n: int) -> list[float]:
        return [round(v, 4) for v in wilson_interval(right, n)]

    rows, right_rm, right_te = [], {}, {}
    for epochs in EPOCH_BUDGETS:
        clskit.seed_everything(0)
        model = create_model("small_cnn", num_classes=4, widths=(16, 32, 64))
        learner = Learner(model, DataLoaders.from_datasets(ctr, cva, batch_size=64), lr=1e-2, seed=0, progress=False)
        start = time.perf_counter()
        learner.fit(epochs)
        seconds = time.perf_counter() - start
        model = model.cpu().eval()
        with torch.no_grad():
            pred_rm, pred_te = model(x_rm).argmax(1), model(x_te).argmax(1)
        right_rm[epochs] = (pred_rm == random_marker.targets).float()
        right_te[epochs] = (pred_te == te.targets).float()
        n_rm, n_te = len(random_marker), len(te)
        k_rm, k_te = int(right_rm[epochs].sum()), int(right_te[epochs].sum())
        k_follow = int((pred_rm == marker_class).sum())
        k_dis = int(right_rm[epochs][disagree].sum())
        row = {"epochs": epochs,
               "valid_per_epoch": [round(h["accuracy"], 4) for h in learner.history],
               "random_marker_accuracy": round(k_rm / n_rm, 4), "random_marker_interval": interval(k_rm, n_rm),
               "random_marker_right": k_rm, "random_marker_n": n_rm,
               "clean_test_accuracy": round(k_te / n_te, 4), "clean_test_interval": interval(k_te, n_te),
               "clean_test_right": k_te, "clean_test_n": n_te,
               "follows_marker": round(k_follow / n_rm, 4), "follows_marker_interval": interval(k_follow, n_rm),
               "disagreeing_marker_accuracy": round(k_dis / int(disagree.sum()), 4),
               "disagreeing_marker_interval": interval(k_dis, int(disagree.sum())),
               "disagreeing_marker_n": int(disagree.sum()),
               "train_seconds": round(seconds, 1)}
        if epochs != EPOCH_BUDGETS[0]:
            d = paired_difference(right_rm[epochs], right_rm[EPOCH_BUDGETS[0]])
            row["random_marker_vs_3_epochs"] = {"diff_pts": round(d.diff, 4), "low_pts": round(d.low, 4),
                                                "high_pts": round(d.high, 4), "verdict": d.verdict, "n": d.n}
            d = paired_difference(right_te[epochs], right_te[EPOCH_BUDGETS[0]])
            row["clean_test_vs_3_epochs"] = {"diff_pts": round(d.diff, 4), "low_pts": round(d.low, 4),
                                             "high_pts": round(d.high, 4), "verdict": d.verdict, "n": d.n}
        rows.append(row)
        print(json.dumps(row), flush=True)
    out = STORED_RUNS / "cued_longer.json"
    m = machine()
    out.write_text(json.dumps({"date": m["date"], "cpu": m["cpu"], "torch": m["torch"], "threads": m["torch_threads"],
                               "runs": rows}, indent=1) + "\n")
    print("wrote", out.relative_to(ROOT))


if __name__ == "__main__":
    main()
