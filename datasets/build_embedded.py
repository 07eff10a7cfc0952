"""Build the real images that ship inside clskit (``clskit/data/``) from their public sources.

This is the script that made the embedded subsets; it is kept so anyone can check or rebuild them.

    python datasets/build_embedded.py IMAGENETTE_GIT_DIR PNEUMONIA_GIT_DIR

``IMAGENETTE_GIT_DIR`` is a git directory of github.com/thunderInfy/imagenette (``train/<wnid>/*.JPEG``,
``val/<wnid>/*.JPEG``, 224x224); ``PNEUMONIA_GIT_DIR`` one of github.com/aksufatih/snn-medmnist (its
``pneumoniamnist.npz``). Both are read with ``git show`` so a bare clone is enough.

What it writes (seeded, so a rebuild gives the same files):

* ``clskit/data/imagenette_mini/{train,val,test}/<class name>/<source stem>.jpg``: 160x160 JPEGs
  (quality 85). ``train``: 60 photos per class drawn from Imagenette's files that come from the
  ImageNet-1k *training* set. ``val`` (30 per class) and ``test`` (20 per class): the 50 photos per class
  that come from the ImageNet-1k *validation* set (file names ``ILSVRC2012_val_*``), which no ImageNet
  classifier was trained on, so accuracies of the pretrained backbone measured there are not inflated.
* ``clskit/data/pneumoniamnist_balanced.npz``: the source file, copied byte for byte.
* ``clskit/data/MANIFEST.sha256``: a SHA-256 per shipped file (checked by the tests).
"""
from __future__ import annotations

import hashlib
import io
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "clskit" / "data"
WNIDS = {"n01440764": "tench", "n02102040": "English springer", "n02979186": "cassette player",
         "n03000684": "chain saw", "n03028079": "church", "n03394916": "French horn",
         "n03417042": "garbage truck", "n03425413": "gas pump", "n03445777": "golf ball",
         "n03888257": "parachute"}
N_TRAIN, N_VAL, N_TEST, SIZE, QUALITY, SEED = 60, 30, 20, 160, 85, 0


def _git(gitdir: Path, *args: str) -> bytes:
    return subprocess.run(["git", f"--git-dir={gitdir}", *args], check=True, capture_output=True).stdout


def build_imagenette(gitdir: Path) -> None:
    files = _git(gitdir, "ls-tree", "-r", "--name-only", "HEAD").decode().split("\n")
    out = OUT / "imagenette_mini"
    shutil.rmtree(out, ignore_errors=True)
    rng = np.random.default_rng(SEED)
    for wnid, name in WNIDS.items():
        mine = sorted(f for f in files if f.split("/")[1:2] == [wnid] and f.endswith(".JPEG"))
        from_val = [f for f in mine if Path(f).name.startswith("ILSVRC2012_val_")]
        from_train = [f for f in mine if not Path(f).name.startswith("ILSVRC2012_val_")]
        train = [from_train[i] for i in sorted(rng.choice(len(from_train), N_TRAIN, replace=False))]
        held = [from_val[i] for i in rng.permutation(len(from_val))[:N_VAL + N_TEST]]
        for split, chosen in (("train", train), ("val", sorted(held[:N_VAL])), ("test", sorted(held[N_VAL:]))):
            folder = out / split / name
            folder.mkdir(parents=True, exist_ok=True)
            for f in chosen:
                img = Image.open(io.BytesIO(_git(gitdir, "show", f"HEAD:{f}"))).convert("RGB")
                img = img.resize((SIZE, SIZE), Image.Resampling.LANCZOS)
                img.save(folder / (Path(f).stem + ".jpg"), quality=QUALITY, optimize=True)


def build_pneumonia(gitdir: Path) -> None:
    (OUT / "pneumoniamnist_balanced.npz").write_bytes(_git(gitdir, "show", "HEAD:pneumoniamnist.npz"))


def write_manifest() -> None:
    paths = sorted(p for p in (OUT / "imagenette_mini").rglob("*.jpg")) + [OUT / "pneumoniamnist_balanced.npz"]
    lines = [f"{hashlib.sha256(p.read_bytes()).hexdigest()}  {p.relative_to(OUT).as_posix()}" for p in paths]
    (OUT / "MANIFEST.sha256").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    build_imagenette(Path(sys.argv[1]))
    build_pneumonia(Path(sys.argv[2]))
    write_manifest()
    total = sum(p.stat().st_size for p in (OUT / "imagenette_mini").rglob("*.jpg"))
    print(f"imagenette_mini: {total / 1e6:.2f} MB; pneumoniamnist_balanced.npz: "
          f"{(OUT / 'pneumoniamnist_balanced.npz').stat().st_size / 1e6:.2f} MB")
