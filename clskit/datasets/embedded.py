"""Real images that ship inside the package, so the course runs offline after a plain ``pip install``.

* ``imagenette_mini``: 1,100 real photos of Imagenette's 10 ImageNet classes at 160x160 (60 train,
  30 valid and 20 test per class); valid and test come from ImageNet's validation set, which the pretrained
  backbone never trained on. Card: ``datasets/imagenette_mini.md``.
* ``pneumoniamnist_balanced``: 3,166 paediatric chest X-rays at 28x28 from MedMNIST v2 (CC BY 4.0), a
  class-balanced subset of the official file. Card: ``datasets/pneumoniamnist_balanced.md``.

Both are found by name (:func:`data_path`), never by a path relative to the repository.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from clskit.datasets.base import ImageDataset
from clskit.datasets.registry import register_dataset
from clskit.datasets.splits import ON_DISK

_DATA = Path(__file__).resolve().parents[1] / "data"

# Imagenette's classes in the canonical (WordNet id) order, with their index among ImageNet-1k's 1000
IMAGENETTE_MINI_CLASSES = ["tench", "English springer", "cassette player", "chain saw", "church",
                           "French horn", "garbage truck", "gas pump", "golf ball", "parachute"]
IMAGENET_INDEX = {"tench": 0, "English springer": 217, "cassette player": 482, "chain saw": 491, "church": 497,
                  "French horn": 566, "garbage truck": 569, "gas pump": 571, "golf ball": 574, "parachute": 701}
_SPLITS = ("train", "valid", "test")


def data_path(name: str) -> Path:
    """Where an embedded dataset lies inside the installed package.

    Args:
        name: ``"imagenette_mini"`` (a folder ``{train,val,test}/<class>/*.jpg`` as in ImageNet, usable with
            :func:`~clskit.datasets.folders.load_image_folder` or as a sample "own photos" folder) or
            ``"pneumoniamnist_balanced"`` (an ``.npz`` file).

    Example:
        >>> (data_path("imagenette_mini") / "val" / "church").is_dir()
        True
    """
    paths = {"imagenette_mini": _DATA / "imagenette_mini",
             "pneumoniamnist_balanced": _DATA / "pneumoniamnist_balanced.npz"}
    if name not in paths:
        raise KeyError(f"no embedded dataset {name!r}; embedded: {', '.join(sorted(paths))}")
    path = paths[name]
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing: this clskit install lacks its package data. "
                                "Reinstall with `pip install --force-reinstall clskit` (or from the repository).")
    return path


def _check_split(split: str) -> None:
    if split not in _SPLITS:
        raise ValueError(f"split must be one of {', '.join(map(repr, _SPLITS))}; got {split!r}")


@register_dataset
def imagenette_mini(split: str = "train", size: int = 160) -> ImageDataset:
    """Real photos of 10 ImageNet classes, shipped with the kit (60 / 30 / 20 per class).

    Args:
        split: ``"train"`` (600 photos from ImageNet's training set), ``"valid"`` (300) or ``"test"``
            (200); valid and test come from ImageNet's validation set.
        size: side length in pixels (160 is the stored size; smaller sizes are resized).

    Returns:
        An :class:`ImageDataset` of RGB ``uint8`` images; ``meta["paths"]`` holds each file's path
        relative to the split folder and ``meta["imagenet_index"]`` each class's ImageNet-1k index.

    Example:
        >>> ds = imagenette_mini("valid", size=64)
        >>> len(ds), ds.classes[:2]
        (300, ['tench', 'English springer'])
    """
    from clskit.datasets.folders import load_image_folder

    _check_split(split)
    ds = load_image_folder(data_path("imagenette_mini") / ON_DISK[split], size=size, classes=IMAGENETTE_MINI_CLASSES)
    ds.meta["imagenet_index"] = [IMAGENET_INDEX[c] for c in ds.classes]
    return ds


@register_dataset
def pneumoniamnist_balanced(split: str = "train", rgb: bool = False) -> ImageDataset:
    """Real paediatric chest X-rays (28x28 grey), normal vs pneumonia, shipped with the kit.

    A class-balanced subset of MedMNIST v2's PneumoniaMNIST: every normal image of each official split and
    as many pneumonia images (train 1,214 + 1,214, val 135 + 135, test 234 + 234). The official release is
    imbalanced (about 1 normal : 2.9 pneumonia); :func:`~clskit.datasets.splits.split_indices` or
    ``ds.subset`` recreate any ratio.

    Args:
        split: ``"train"``, ``"valid"`` or ``"test"``.
        rgb: repeat the grey channel three times (for models pretrained on colour photos).

    Example:
        >>> ds = pneumoniamnist_balanced("test")
        >>> len(ds), ds.classes
        (468, ['normal', 'pneumonia'])
    """
    _check_split(split)
    with np.load(data_path("pneumoniamnist_balanced")) as d:  # plain arrays: allow_pickle stays False
        x, y = d[f"{ON_DISK[split]}_images"], d[f"{ON_DISK[split]}_labels"].reshape(-1)
    x = torch.from_numpy(np.ascontiguousarray(x))[:, None]
    if rgb:
        x = x.repeat(1, 3, 1, 1)
    return ImageDataset(x, torch.from_numpy(y.astype(np.int64)), ["normal", "pneumonia"])
