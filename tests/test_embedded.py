"""The real images that ship with the kit: present, unchanged, loadable by name."""
import hashlib

import pytest

from clskit.datasets import data_path, load_dataset
from clskit.datasets.embedded import IMAGENET_INDEX, _DATA


def test_manifest_checksums_hold():
    lines = (_DATA / "MANIFEST.sha256").read_text().split("\n")
    entries = [ln.split("  ", 1) for ln in lines if ln.strip()]
    assert len(entries) == 1101
    for digest, rel in entries:
        assert hashlib.sha256((_DATA / rel).read_bytes()).hexdigest() == digest, rel


def test_imagenette_mini_splits():
    sizes = {"train": 600, "valid": 300, "test": 200}
    seen = set()
    for split, n in sizes.items():
        ds = load_dataset("imagenette_mini", split=split, size=32)
        assert len(ds) == n and ds.images.shape[1:] == (3, 32, 32)
        assert ds.targets.bincount().tolist() == [n // 10] * 10
        assert ds.meta["imagenet_index"] == [IMAGENET_INDEX[c] for c in ds.classes]
        names = {p.rsplit("/", 1)[-1] for p in ds.meta["paths"]}
        assert not names & seen, "a photo appears in two splits"
        seen |= names
        if split != "train":  # held-out photos come from ImageNet's validation set
            assert all(n.startswith("ILSVRC2012_val_") for n in names)


def test_pneumonia_balanced():
    counts = {"train": 1214, "valid": 135, "test": 234}
    for split, n in counts.items():
        ds = load_dataset("pneumoniamnist_balanced", split=split)
        assert ds.images.shape[1:] == (1, 28, 28)
        assert ds.targets.bincount().tolist() == [n, n]
    assert load_dataset("pneumoniamnist_balanced", split="test", rgb=True).images.shape[1] == 3


def test_bad_names_are_clear():
    with pytest.raises(KeyError, match="embedded"):
        data_path("imagenet")
    with pytest.raises(ValueError, match="split must be"):
        load_dataset("imagenette_mini", split="validation")
