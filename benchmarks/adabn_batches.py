"""Does notebook 13's AdaBN verdict depend on how the target photos are batched?

    python benchmarks/adabn_batches.py          # about 90 seconds on 2 cores

``adapt_bn`` averages the statistics of its batches (``momentum=None``): the mean is that of all the photos,
but the variance is the average of the batches' own variances, which leaves out how far the batch means differ.
Notebook 13 adapts on 100 photos stored class by class, in batches of 10, so every batch holds one class. This
script repeats the notebook's first AdaBN setting (EfficientNet-Lite0 with ImageNet's statistics, the probe on
the 600 clean training photos, 128 px, severity 3) three ways: batches of 10 in the stored order (the notebook),
batches of 10 after shuffling the photos, and all 100 photos in one batch (the exact statistics of the set).
Each row is AdaBN's paired change in test accuracy against no adaptation, over the 200 test photos.
Results go to benchmarks/results/adabn_batches.json; tests/test_cited_runs.py checks notebook 13's sentence
about them.
"""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SIZE = 128


def main() -> None:
    import clskit
    from clskit import (adapt_bn, corrupt_dataset, create_model, embed, linear_probe, load_dataset,
                        paired_difference, per_class_indices, preprocess_for)

    clskit.seed_everything(0)
    backbone = create_model("efficientnet_lite0", pretrained=True)
    tf = preprocess_for(backbone, SIZE)
    train, valid, test = (load_dataset("imagenette_mini", split=s, size=SIZE) for s in ("train", "valid", "test"))
    probe = linear_probe(embed(backbone, train, transform=tf), train.targets)

    def right(model, data):
        return (torch.as_tensor(probe.predict(embed(model, data, transform=tf))) == data.targets).float().numpy()

    pool = valid.subset(per_class_indices(valid.targets, 10, seed=0))   # as in the notebook: class by class
    order = torch.randperm(len(pool), generator=torch.Generator().manual_seed(0)).tolist()
    rows = []
    for name in ("clean", "gaussian_blur", "gaussian_noise"):
        target = test if name == "clean" else corrupt_dataset(test, name, 3, seed=1)
        target_pool = pool if name == "clean" else corrupt_dataset(pool, name, 3, seed=2)
        before = right(backbone, target)
        ways = {"batches of 10, one class each (notebook)": (target_pool, 10),
                "batches of 10, shuffled": (target_pool.subset(order), 10),
                "one batch of 100": (target_pool, 100)}
        for way, (photos, batch_size) in ways.items():
            after = right(adapt_bn(backbone, photos, transform=tf, batch_size=batch_size), target)
            d = paired_difference(after, before)
            rows.append({"domain": name, "batching": way, "before": float(before.mean()), "after": float(after.mean()),
                         "change_pts": round(d.diff, 1), "low": round(d.low, 1), "high": round(d.high, 1),
                         "verdict": d.verdict})
            print(json.dumps(rows[-1]), flush=True)
    out = ROOT / "benchmarks" / "results" / "adabn_batches.json"
    out.write_text(json.dumps({"date": time.strftime("%Y-%m-%d"), "torch": torch.__version__, "rows": rows},
                              indent=1) + "\n")
    print("wrote", out.relative_to(ROOT))


if __name__ == "__main__":
    main()
