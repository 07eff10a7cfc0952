"""Samplers for imbalanced data (the loss-side fix, class weights, is ``clskit.training.losses.class_weights``).

A sampler is an iterable of indices that decides which images a training epoch sees. Both
samplers here are :class:`torch.utils.data.Sampler` s, so they work in ``ArrayLoader(sampler=...)``,
``DataLoaders.from_datasets(sampler=...)`` and a plain ``torch.utils.data.DataLoader``. They are
seeded, and draw a new order every epoch.
"""
from __future__ import annotations

from typing import Iterator

import numpy as np
import torch


def _labels(targets) -> np.ndarray:
    y = targets.numpy() if isinstance(targets, torch.Tensor) else np.asarray(targets)
    if y.ndim != 1:
        raise ValueError(f"samplers balance single-label targets of shape (N,); got shape {y.shape}. "
                         "For multi-label data weight the loss per label instead (pos_weight in BCEWithLogitsLoss).")
    if len(y) == 0:
        raise ValueError("cannot sample from zero targets")
    return y.astype(np.int64)


class WeightedSampler(torch.utils.data.Sampler):
    """Draw ``num_samples`` indices per epoch with probability proportional to ``weights`` (with replacement).

    Args:
        weights: one non-negative weight per sample.
        num_samples: draws per epoch (default: the number of samples).
        seed: seed of the sampler's own generator.

    Example:
        >>> s = WeightedSampler([0.0, 1.0, 0.0], num_samples=4)
        >>> list(s)
        [1, 1, 1, 1]
    """

    def __init__(self, weights, num_samples: int | None = None, seed: int = 0):
        w = torch.as_tensor(np.asarray(weights, dtype=np.float64))
        if w.ndim != 1 or len(w) == 0:
            raise ValueError(f"weights must be a non-empty 1-D sequence (one per sample); got shape {tuple(w.shape)}")
        if (w < 0).any() or not torch.isfinite(w).all() or w.sum() <= 0:
            raise ValueError("weights must be finite, non-negative, and not all zero")
        self.weights = w
        self.num_samples = int(num_samples or len(w))
        self.generator = torch.Generator().manual_seed(seed)

    @classmethod
    def balanced(cls, targets, power: float = 1.0, num_samples: int | None = None, seed: int = 0) -> "WeightedSampler":
        """A sampler that draws every class equally often on average (weight ``1 / count(class)``).

        Example:
            >>> s = WeightedSampler.balanced([0] * 90 + [1] * 10, num_samples=1000)
            >>> 400 < sum(1 for i in s if i >= 90) < 600
            True
        """
        y = _labels(targets)
        counts = np.bincount(y)
        return cls(1.0 / counts[y] ** power, num_samples, seed)

    def __iter__(self) -> Iterator[int]:
        idx = torch.multinomial(self.weights, self.num_samples, replacement=True, generator=self.generator)
        return iter(idx.tolist())

    def __len__(self) -> int:
        return self.num_samples


class OverSampler(torch.utils.data.Sampler):
    """Oversample minority classes: each epoch holds every image once, plus random repeats of the
    smaller classes until each class has as many images as the largest one.

    Unlike :class:`WeightedSampler` no image is ever left out of an epoch. ``mode="under"`` does the
    opposite: each epoch takes a random subset of every class the size of the smallest.

    Args:
        targets: ``(N,)`` class indices.
        mode: ``"over"`` (default) or ``"under"``.
        seed: seed of the sampler's own generator.

    Example:
        >>> s = OverSampler([0, 0, 0, 0, 1])
        >>> len(s), sorted(s)
        (8, [0, 1, 2, 3, 4, 4, 4, 4])
    """

    def __init__(self, targets, mode: str = "over", seed: int = 0):
        if mode not in ("over", "under"):
            raise ValueError(f"mode must be 'over' or 'under'; got {mode!r}")
        y = _labels(targets)
        self.mode = mode
        self.by_class = [np.flatnonzero(y == c) for c in np.unique(y)]
        sizes = [len(ix) for ix in self.by_class]
        self.per_class = max(sizes) if mode == "over" else min(sizes)
        self.rng = np.random.default_rng(seed)

    def __iter__(self) -> Iterator[int]:
        parts = []
        for ix in self.by_class:
            if self.mode == "under":
                parts.append(self.rng.choice(ix, self.per_class, replace=False))
            else:
                extra = self.rng.choice(ix, self.per_class - len(ix), replace=True)
                parts.append(np.concatenate([ix, extra]))
        order = np.concatenate(parts)
        return iter(order[self.rng.permutation(len(order))].tolist())

    def __len__(self) -> int:
        return self.per_class * len(self.by_class)
