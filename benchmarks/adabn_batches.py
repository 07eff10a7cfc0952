"""Do notebook 13's two AdaBN verdicts depend on how the photos are batched?

    python benchmarks/adabn_batches.py          # 2 to 3 minutes on 2 cores, peak memory about 5 GB

``adapt_bn`` averages the statistics of its batches (``momentum=None``): the mean is that of all the photos,
but the variance is the average of the batches' own variances, which leaves out how far the batch means differ.
Notebook 13 adapts on 100 photos stored class by class, in batches of 10, so every batch holds one class; its
matched protocol also re-estimates the source statistics on the 600 training photos, stored the same way, in
batches of 10. This script repeats both of the notebook's AdaBN settings (EfficientNet-Lite0, 128 px, severity 3,
the same target pool and 200 test photos) three ways each:

* ``rows``: the first setting, ImageNet's statistics and the probe on the 600 clean training photos, where AdaBN
  on the 100 target photos hurts. Batches of 10 in the stored order (the notebook), batches of 10 after shuffling
  the photos, and all 100 photos in one batch (the exact statistics of the set).
* ``matched_rows``: the matched protocol, where AdaBN helps. The source statistics are re-estimated on the 600
  clean training photos, the probe is refitted on that source model's embeddings, then AdaBN re-estimates the
  statistics on each target pool. The batching is the same in both steps: batches of 10 in the stored order (the
  notebook's cell ``source_model = adapt_bn(backbone, train, transform=tf, batch_size=10)``), batches of 10 after
  shuffling (the 600 training photos and the 100 target photos each shuffled with seed 0), and one batch of all
  the photos (600, then 100: the exact statistics of each set).

Each row is AdaBN's paired change in test accuracy against no adaptation (the same source model without AdaBN), over
the 200 test photos, with ``paired_difference``'s 95% bootstrap interval and verdict. In the matched protocol the
"before" arm differs between batchings, since the source statistics do. Results go to
clskit/data/runs/adabn_batches.json (read by clskit.load_stored_run); tests/test_cited_runs.py checks notebook 13's
sentences about them.
"""
from __future__ import annotations

import json
import resource
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SIZE = 128
DOMAINS = ("clean", "gaussian_blur", "gaussian_noise")


def main() -> None:
    import clskit
    from clskit import (adapt_bn, corrupt_dataset, create_model, embed, linear_probe, load_dataset,
                        paired_difference, per_class_indices, preprocess_for)
    from clskit.utils import STORED_RUNS

    start = time.time()
    clskit.seed_everything(0)
    backbone = create_model("efficientnet_lite0", pretrained=True)
    tf = preprocess_for(backbone, SIZE)
    train, valid, test = (load_dataset("imagenette_mini", split=s, size=SIZE) for s in ("train", "valid", "test"))
    probe = linear_probe(embed(backbone, train, transform=tf), train.targets)

    def right(model, data, probe=probe):
        return (torch.as_tensor(probe.predict(embed(model, data, transform=tf))) == data.targets).float().numpy()

    def row(name, way, after, before):
        d = paired_difference(after, before)
        r = {"domain": name, "batching": way, "before": float(before.mean()), "after": float(after.mean()),
             "change_pts": round(d.diff, 1), "low": round(d.low, 1), "high": round(d.high, 1), "verdict": d.verdict}
        print(json.dumps(r), flush=True)
        return r

    pool = valid.subset(per_class_indices(valid.targets, 10, seed=0))   # as in the notebook: class by class
    order = torch.randperm(len(pool), generator=torch.Generator().manual_seed(0)).tolist()
    targets = {name: (test if name == "clean" else corrupt_dataset(test, name, 3, seed=1),
                      pool if name == "clean" else corrupt_dataset(pool, name, 3, seed=2)) for name in DOMAINS}

    # 1. ImageNet's statistics, the probe on the clean training photos (the notebook's first AdaBN setting)
    rows = []
    for name, (target, target_pool) in targets.items():
        before = right(backbone, target)
        ways = {"batches of 10, one class each (notebook)": (target_pool, 10),
                "batches of 10, shuffled": (target_pool.subset(order), 10),
                "one batch of 100": (target_pool, 100)}
        for way, (photos, batch_size) in ways.items():
            rows.append(row(name, way, right(adapt_bn(backbone, photos, transform=tf, batch_size=batch_size), target),
                            before))

    # 2. the matched protocol: source statistics from the 600 training photos, probe refitted, then AdaBN
    train_order = torch.randperm(len(train), generator=torch.Generator().manual_seed(0)).tolist()
    matched_ways = {  # batching of the training photos (step 1) and of each target pool (step 2)
        "batches of 10, one class each (notebook)": (lambda: (train, 10), lambda p: (p, 10)),
        "batches of 10, shuffled": (lambda: (train.subset(train_order), 10), lambda p: (p.subset(order), 10)),
        "one batch of all photos (600, then 100)": (lambda: (train, len(train)), lambda p: (p, len(p))),
    }
    matched_rows = []
    for way, (source_batches, target_batches) in matched_ways.items():
        photos, batch_size = source_batches()
        source_model = adapt_bn(backbone, photos, transform=tf, batch_size=batch_size)
        source_probe = linear_probe(embed(source_model, train, transform=tf), train.targets)
        for name, (target, target_pool) in targets.items():
            photos, batch_size = target_batches(target_pool)
            adapted = adapt_bn(source_model, photos, transform=tf, batch_size=batch_size)
            matched_rows.append(row(name, way, right(adapted, target, source_probe),
                                    right(source_model, target, source_probe)))

    seconds = round(time.time() - start)
    peak_gb = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20, 1)   # ru_maxrss is in KiB on Linux
    out = STORED_RUNS / "adabn_batches.json"
    out.write_text(json.dumps({"date": time.strftime("%Y-%m-%d"), "torch": torch.__version__, "seconds": seconds,
                               "peak_memory_gb": peak_gb, "rows": rows, "matched_rows": matched_rows},
                              indent=1) + "\n")
    print(f"wrote {out.relative_to(ROOT)} in {seconds} s (peak memory {peak_gb} GB)")


if __name__ == "__main__":
    main()
