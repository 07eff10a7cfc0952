"""Train / validation / test splits that keep class proportions (and groups) intact."""
from __future__ import annotations

import numpy as np

from .base import ImageDataset


def split_indices(targets, val: float = 0.15, test: float = 0.15, *, stratify: bool = True,
                  groups=None, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Indices of a train/val/test split.

    Args:
        targets: ``(N,)`` class indices, or ``(N, L)`` label vectors (stratified on label combinations
            made coarse enough to split: the rarest labels are merged).
        val, test: fractions for validation and test (each in ``[0, 1)``, sum below 1).
        stratify: keep class proportions equal across splits.
        groups: optional ``(N,)`` source ids; all images of one group land in the same split.
        seed: random seed.

    Example:
        >>> tr, va, te = split_indices(np.repeat([0, 1], 50), val=0.2, test=0.2)
        >>> len(tr), len(va), len(te)
        (60, 20, 20)
    """
    from sklearn.model_selection import GroupShuffleSplit, train_test_split

    y = np.asarray(targets)
    n = len(y)
    if not (0 <= val < 1 and 0 <= test < 1 and val + test < 1):
        raise ValueError(f"val and test must be fractions in [0, 1) that sum below 1; got val={val}, test={test}")
    if n < 3:
        raise ValueError(f"need at least 3 samples to split into train/val/test; got {n}")
    idx = np.arange(n)
    if groups is not None:
        groups = np.asarray(groups)
        if len(groups) != n:
            raise ValueError(f"groups has {len(groups)} entries for {n} targets")

        def cut(ix, frac):
            if frac == 0:
                return ix, ix[:0]
            g = GroupShuffleSplit(n_splits=1, test_size=frac, random_state=seed)
            a, b = next(g.split(ix, groups=groups[ix]))
            return ix[a], ix[b]
    else:
        strat = _strat_key(y) if stratify else None

        def cut(ix, frac):
            if frac == 0:
                return ix, ix[:0]
            s = None if strat is None else strat[ix]
            if s is not None and np.bincount(np.unique(s, return_inverse=True)[1]).min() < 2:
                s = None  # a class with one sample cannot be stratified; fall back to a random cut
            return train_test_split(ix, test_size=frac, random_state=seed, stratify=s)

    rest, te = cut(idx, test)
    tr, va = cut(rest, val / (1 - test) if test < 1 else 0)
    return np.sort(tr), np.sort(va), np.sort(te)


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


def split_dataset(ds: ImageDataset, val: float = 0.15, test: float = 0.15, *, stratify: bool = True,
                  seed: int = 0, use_groups: bool = True) -> tuple[ImageDataset, ImageDataset, ImageDataset]:
    """Split a dataset into train, validation and test parts (stratified; group-aware when it has groups).

    Example:
        >>> from clskit.datasets import load_dataset
        >>> tr, va, te = split_dataset(load_dataset("digits"))
        >>> len(tr), len(va), len(te)
        (1257, 270, 270)
    """
    groups = ds.groups if use_groups else None
    tr, va, te = split_indices(ds.targets.numpy(), val, test, stratify=stratify, groups=groups, seed=seed)
    return ds.subset(tr), ds.subset(va), ds.subset(te)
