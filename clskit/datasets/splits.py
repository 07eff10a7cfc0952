"""Train / validation / test splits that keep class proportions (and groups) intact."""
from __future__ import annotations

from typing import TYPE_CHECKING
import math

import numpy as np

from clskit.datasets.base import ImageDataset

if TYPE_CHECKING:
    import torch


def split_indices(targets, valid: float = 0.15, test: float = 0.15, *, stratify: bool = True,
                  groups=None, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Indices of a train/valid/test split.

    Args:
        targets: ``(N,)`` class indices, or ``(N, L)`` label vectors (stratified on label combinations
            made coarse enough to split: the rarest labels are merged).
        valid, test: fractions for validation and test (each in ``[0, 1)``, sum below 1).
        stratify: keep class proportions equal across splits.
        groups: optional ``(N,)`` source ids; all images of one group land in the same split.
        seed: random seed.

    Example:
        >>> tr, va, te = split_indices(np.repeat([0, 1], 50), valid=0.2, test=0.2)
        >>> len(tr), len(va), len(te)
        (60, 20, 20)
    """
    from sklearn.model_selection import GroupShuffleSplit, train_test_split

    from clskit.utils import check_seed

    seed = check_seed(seed)
    y = np.asarray(targets)
    n = len(y)
    if not (0 <= valid < 1 and 0 <= test < 1 and valid + test < 1):
        raise ValueError(f"valid and test must be fractions in [0, 1) that sum below 1; got valid={valid}, test={test}")
    if n < 3:
        raise ValueError(f"need at least 3 samples to split into train/valid/test; got {n}")
    if groups is None:
        _check_split_sizes(y, valid, test)
    idx = np.arange(n)
    if groups is not None:
        groups = np.asarray(groups)
        if len(groups) != n:
            raise ValueError(f"groups has {len(groups)} entries for {n} targets")

        def cut(ix, frac, name="test", asked=test):
            if frac == 0:
                return ix, ix[:0]
            g = GroupShuffleSplit(n_splits=1, test_size=frac, random_state=seed)
            a, b = next(g.split(ix, groups=groups[ix]))
            return ix[a], ix[b]
    else:
        strat = _strat_key(y) if stratify else None

        def cut(ix, frac, name="test", asked=test):
            if frac == 0:
                return ix, ix[:0]
            s = None if strat is None else strat[ix]
            if s is not None and np.bincount(np.unique(s, return_inverse=True)[1]).min() < 2:
                s = None  # a class with one sample cannot be stratified; fall back to a random cut
            size, k = math.ceil(frac * len(ix)), 0 if s is None else len(np.unique(s))
            if size < k:   # scikit-learn's rule, said with the argument to change
                raise ValueError(f"{name}={asked} gives {size} of {n} images to the {name} split, fewer than the {k} "
                                 f"classes a stratified split puts in it; raise {name} to at least {k / n:.2f}, "
                                 "or pass stratify=False")
            return train_test_split(ix, test_size=frac, random_state=seed, stratify=s)

    rest, te = cut(idx, test)
    tr, va = cut(rest, valid / (1 - test) if test < 1 else 0, "valid", valid)
    return np.sort(tr), np.sort(va), np.sort(te)


def _check_split_sizes(y: np.ndarray, valid: float, test: float) -> None:
    """The sizes the cuts below will give (scikit-learn rounds a test part up, the rest down): a clear
    error when one comes out empty."""
    n_test = math.ceil(test * len(y)) if test else 0
    rest = len(y) - n_test
    n_val = math.ceil(valid / (1 - test) * rest) if valid else 0
    sizes = {"train": rest - n_val, "valid": n_val, "test": n_test}
    fix = ("lower valid/test, or use more images" if sizes["train"] < 1 else
           "raise it, or pass 0 to leave that split out")
    for name, size in sizes.items():
        if size < 1 and (name == "train" or (valid if name == "valid" else test)):
            raise ValueError(f"valid={valid}, test={test} leave the {name} split empty for {len(y)} images "
                             f"(train {sizes['train']}, valid {n_val}, test {n_test}); {fix}")


def _strat_key(y: np.ndarray) -> np.ndarray:
    if y.ndim == 1:
        return y
    # Multi-label: stratify on the rarest positive label of each row (a simple, stable proxy
    # for iterative stratification); rows with no label form their own stratum.
    freq = y.sum(0)
    key = np.full(len(y), -1)
    for j in np.argsort(-freq):  # rarest label assigned last, so it wins
        key[y[:, j] > 0] = j
    return key


def split_dataset(ds: ImageDataset, valid: float = 0.15, test: float = 0.15, *, stratify: bool = True,
                  seed: int = 0, use_groups: bool = True) -> tuple[ImageDataset, ImageDataset, ImageDataset]:
    """Split a dataset into train, validation and test parts (stratified; group-aware when it has groups).

    Example:
        >>> from clskit.datasets import load_dataset
        >>> tr, va, te = split_dataset(load_dataset("digits"))
        >>> len(tr), len(va), len(te)
        (1257, 270, 270)
    """
    groups = ds.groups if use_groups else None
    tr, va, te = split_indices(ds.targets.numpy(), valid, test, stratify=stratify, groups=groups, seed=seed)
    return ds.subset(tr), ds.subset(va), ds.subset(te)


# The kit calls the validation split "valid" (as ``DataLoaders.valid``); the datasets it ships or downloads
# (ImageNet and Imagenette folders, MedMNIST arrays) name it "val" on disk.
ON_DISK = {"train": "train", "valid": "val", "test": "test"}


# -- what is in each split ------------------------------------------------------------------------
def _as_named(splits) -> dict[str, ImageDataset]:
    if isinstance(splits, dict):
        return dict(splits)
    splits = list(splits)
    names = ["train", "valid", "test"][:len(splits)] if len(splits) <= 3 else [f"split{i}" for i in range(len(splits))]
    return dict(zip(names, splits))


def class_count_table(splits):
    """Images per class in each split, with each split's share of the class, as a pandas DataFrame.

    Args:
        splits: ``{"train": ds, ...}`` or a sequence of datasets (named train, valid, test).

    Example:
        >>> from clskit.datasets import load_dataset
        >>> t = class_count_table(split_dataset(load_dataset("digits")))
        >>> list(t.columns)[:3], int(t.loc["total", "train"])
        (['train', 'valid', 'test'], 1257)
    """
    import pandas as pd

    named = _as_named(splits)
    classes = next(iter(named.values())).classes
    table = pd.DataFrame({name: ds.class_counts() for name, ds in named.items()}, index=classes)
    table.loc["total"] = [len(ds) for ds in named.values()]
    for name in named:
        table[f"{name} %"] = (100 * table[name] / table[list(named)].sum(axis=1)).round(1)
    return table


def plot_class_counts(splits, ax=None, normalize: bool = False):
    """Grouped bar chart of class counts per split (``normalize``: each split's class fractions).

    Returns the matplotlib axes. Example:
        >>> from clskit.datasets import load_dataset
        >>> ax = plot_class_counts(split_dataset(load_dataset("digits")))  # doctest: +SKIP
    """
    import matplotlib.pyplot as plt

    named = _as_named(splits)
    classes = next(iter(named.values())).classes
    if ax is None:
        _, ax = plt.subplots(figsize=(max(4, 0.6 * len(classes) * len(named) / 2), 3))
    width = 0.8 / len(named)
    for k, (name, ds) in enumerate(named.items()):
        counts = ds.class_counts().astype(float)
        if normalize:
            counts = counts / max(len(ds), 1)
        ax.bar(np.arange(len(classes)) + (k - (len(named) - 1) / 2) * width, counts, width, label=f"{name} ({len(ds)})")
    ax.set_xticks(np.arange(len(classes)), classes, rotation=45 if len(classes) > 6 else 0)
    ax.set_ylabel("fraction of the split" if normalize else "images")
    ax.legend(frameon=False)
    return ax


# -- leaks: the same (or nearly the same) image in two splits --------------------------------------
def thumbnails(ds: ImageDataset, size: int = 16) -> "torch.Tensor":
    """Each image shrunk to ``size x size`` (area average), flattened: ``(N, C * size * size)`` in [0, 1].

    Small thumbnails ignore re-encoding noise and tiny edits, so near-identical images end up close.

    Example:
        >>> from clskit.datasets import load_dataset
        >>> thumbnails(load_dataset("digits"), size=4).shape
        torch.Size([1797, 16])
    """
    import torch.nn.functional as F

    return F.adaptive_avg_pool2d(ds.float_images(), size).flatten(1)


def find_leaks(splits, threshold: float = 0.03, size: int = 16):
    """Pairs of identical or near-identical images in *different* splits (a leak inflates test scores).

    Compares :func:`thumbnails` by root-mean-square difference (0 = identical, 1 = black vs white);
    only pairs across splits are reported, not duplicates inside one split.

    Args:
        splits: ``{"train": ds, ...}`` or a sequence of datasets.
        threshold: largest RMS difference of the thumbnails counted as a leak (0.03: a few grey levels).
        size: thumbnail side length.

    Returns:
        A pandas DataFrame with columns ``split_a, index_a, split_b, index_b, distance``, closest first.

    Example:
        >>> from clskit.datasets import load_dataset
        >>> ds = load_dataset("digits")
        >>> leaks = find_leaks({"train": ds.subset(range(0, 100)), "test": ds.subset(range(90, 120))})
        >>> len(leaks)    # images 90-99 are in both
        10
    """
    import pandas as pd
    import torch

    named = _as_named(splits)
    thumbs = {name: thumbnails(ds, size) for name, ds in named.items()}
    rows = []
    names = list(named)
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            ta, tb = thumbs[a], thumbs[b]
            for start in range(0, len(ta), 1024):          # chunks keep the distance matrix small
                d = torch.cdist(ta[start:start + 1024], tb) / ta.shape[1] ** 0.5
                ia, ib = torch.nonzero(d <= threshold, as_tuple=True)
                rows += [(a, int(p) + start, b, int(q), round(float(d[p, q]), 4)) for p, q in zip(ia, ib)]
    df = pd.DataFrame(rows, columns=["split_a", "index_a", "split_b", "index_b", "distance"])
    return df.sort_values(["distance", "split_a", "index_a"], ignore_index=True)
