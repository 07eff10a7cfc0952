"""Which input size should ``train_transfer`` use on real photos? 128 vs 160 vs 224 px, measured.

    python benchmarks/transfer_sizes.py               # 3 two-class folders and the 10-class folder
    python benchmarks/transfer_sizes.py --threads 2

The own-photos recipe on real photo folders cut from the embedded Imagenette subset
(``clskit.datasets.data_path("imagenette_mini")``): the folder's ``train/`` photos (60 per class, from
ImageNet's training set) are split 75/25 into training and the recipe's own validation split; the
exported model is then scored on the ``val/`` + ``test/`` photos of the same classes (50 per class, from
ImageNet's validation set: photos the backbone never trained on). Each accuracy comes with its 95%
Wilson interval. Times are the linear probe's (embedding every photo once, fresh cache), as wall and as
CPU seconds of this process (less sensitive to other processes on a shared machine).

The stored photos are 160 px, so 224 px upsamples them; the network was trained on 224 px crops, so
the upsampled object still appears at the scale the filters expect. Results go to
benchmarks/results/transfer_sizes.json.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

FOLDERS = {"springer vs French horn": ["English springer", "French horn"],
           "cassette player vs gas pump": ["cassette player", "gas pump"],
           "chain saw vs garbage truck": ["chain saw", "garbage truck"],
           "all 10 classes": None}
SIZES = (128, 160, 224)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    os.environ["CLSKIT_CACHE_DIR"] = tempfile.mkdtemp(prefix="clskit-sizes-")   # every size pays its embedding

    from clskit.datasets import data_path, split_dataset
    from clskit.datasets.embedded import IMAGENETTE_MINI_CLASSES
    from clskit.datasets.folders import load_image_folder
    from clskit.stats import wilson_interval
    from clskit.models.heads import find_head
    from clskit.lessons.transfer import clear_embedding_cache, embed, train_transfer

    root = data_path("imagenette_mini")
    rows = []
    for name, classes in FOLDERS.items():
        classes = classes or IMAGENETTE_MINI_CLASSES
        photos = load_image_folder(root / "train", size=160, classes=classes)
        new = load_image_folder(root / "val", size=160, classes=classes)
        new_test = load_image_folder(root / "test", size=160, classes=classes)
        new.images = torch.cat([new.images, new_test.images])
        new.targets = torch.cat([new.targets, new_test.targets])
        train, valid, _ = split_dataset(photos, valid=0.25, test=0.0, seed=0)
        for size in SIZES:
            clear_embedding_cache()
            c0, w0 = time.process_time(), time.perf_counter()
            res = train_transfer("linear_probe", train, valid, size=size)
            cpu, wall = time.process_time() - c0, time.perf_counter() - w0
            emb = embed(res.model, new, transform=res.transform)
            with torch.no_grad():
                pred = res.model.get_submodule(find_head(res.model))(emb).argmax(1)
            correct_new = int((pred == new.targets).sum())
            correct_own = round(res.accuracy * len(valid))
            row = {"folder": name, "size": size, "n_train": len(train), "n_valid": len(valid), "n_new": len(new),
                   "own_accuracy": correct_own / len(valid), "own_interval": wilson_interval(correct_own, len(valid)),
                   "new_accuracy": correct_new / len(new), "new_interval": wilson_interval(correct_new, len(new)),
                   "probe_wall_s": wall, "probe_cpu_s": cpu}
            rows.append(row)
            print(f"{name:<28} {size:>4} px  own valid {row['own_accuracy']:.3f} "
                  f"[{row['own_interval'][0]:.3f}, {row['own_interval'][1]:.3f}] (n={len(valid)})  "
                  f"new photos {row['new_accuracy']:.3f} [{row['new_interval'][0]:.3f}, {row['new_interval'][1]:.3f}] "
                  f"(n={len(new)})  probe {wall:.1f} s wall, {cpu:.1f} s CPU", flush=True)
    out = ROOT / "benchmarks" / "results" / "transfer_sizes.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"threads": args.threads, "rows": rows}, indent=1))
    print("wrote", out.relative_to(ROOT))


if __name__ == "__main__":
    main()
