"""In-memory image datasets and fast batch loaders.

Images live in one uint8 tensor ``(N, C, H, W)`` and batches are indexed straight out of it
(the airbench idea: no per-item Python work), which keeps CPU training fast. Folder datasets
that do not fit in memory use the same interface through :class:`torch.utils.data.Dataset`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Iterator, Sequence

import numpy as np
import torch

from clskit.utils import DEFAULTS, as_float_images


@dataclass
class ImageDataset(torch.utils.data.Dataset):
    """A labelled image set held in memory.

    Args:
        images: uint8 tensor ``(N, C, H, W)`` (values 0-255) or float tensor in ``[0, 1]``.
        targets: ``(N,)`` int64 class indices, or ``(N, L)`` float 0/1 label vectors when
            ``multilabel`` is true.
        classes: class (or label) names, index-aligned with the targets.
        multilabel: whether each image can carry several labels.
        transform: optional per-image transform applied in ``__getitem__`` to a float image.
        groups: optional ``(N,)`` source ids (several images from one source share a group).
        meta: free-form extras (for example ``flipped`` for planted label noise).

    Example:
        >>> ds = ImageDataset(torch.zeros(4, 1, 8, 8, dtype=torch.uint8), torch.tensor([0, 1, 0, 1]), ["a", "b"])
        >>> x, y = ds[1]; x.shape, int(y)
        (torch.Size([1, 8, 8]), 1)
    """

    images: torch.Tensor
    targets: torch.Tensor
    classes: list[str]
    multilabel: bool = False
    transform: Callable | None = None
    groups: np.ndarray | None = None
    meta: dict = field(default_factory=dict)

    def __post_init__(self):
        if not isinstance(self.images, torch.Tensor):
            self.images = torch.as_tensor(np.asarray(self.images))
        if not isinstance(self.targets, torch.Tensor):
            t = np.asarray(self.targets)
            if t.dtype.kind in "USO":
                raise TypeError(f"targets must be class indices (0..{len(self.classes) - 1}), not names such as "
                                f"{t.flat[0]!r}; convert with [classes.index(name) for name in names]")
            self.targets = torch.as_tensor(t)
        if self.images.ndim != 4:
            raise ValueError(
                f"images must have shape (N, C, H, W); got {tuple(self.images.shape)}. "
                "Add a channel axis with images[:, None] for grey images."
            )
        if self.images.shape[1] > 4 and self.images.shape[-1] in (1, 3, 4):
            raise ValueError(f"images have shape {tuple(self.images.shape)}, which looks like (N, H, W, C) (NumPy/PIL "
                             "order); the kit wants (N, C, H, W): use images.permute(0, 3, 1, 2)")
        n = len(self.images)
        if len(self.targets) != n:
            raise ValueError(
                f"images and targets have different lengths ({n} vs {len(self.targets)}); "
                "each image needs exactly one target."
            )
        self.classes = [str(c) for c in self.classes]
        _check_classes(self.classes)
        _check_pixels(self.images)
        if self.multilabel:
            if self.targets.ndim != 2 or self.targets.shape[1] != len(self.classes):
                raise ValueError(
                    f"multi-label targets must have shape (N, {len(self.classes)}); got {tuple(self.targets.shape)}"
                )
            self.targets = self.targets.float()
        else:
            if self.targets.ndim != 1:
                raise ValueError(
                    f"single-label targets must have shape (N,); got {tuple(self.targets.shape)}. "
                    "Pass multilabel=True for label vectors."
                )
            self.targets = self.targets.long()
            if n and (int(self.targets.min()) < 0 or int(self.targets.max()) >= len(self.classes)):
                raise ValueError(
                    f"targets must lie in 0..{len(self.classes) - 1} for {len(self.classes)} classes; "
                    f"got values from {int(self.targets.min())} to {int(self.targets.max())}"
                )
        if self.groups is not None:
            self.groups = np.asarray(self.groups)
            if len(self.groups) != n:
                raise ValueError(f"groups has {len(self.groups)} entries for {n} images")

    # -- access ---------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.images)

    def float_images(self, idx=slice(None)) -> torch.Tensor:
        """Images as float32 in ``[0, 1]``, shape ``(n, C, H, W)``."""
        return as_float_images(self.images[idx])

    def __getitem__(self, i):
        x = self.float_images(i)
        if self.transform is not None:
            x = self.transform(x)
        return x, self.targets[i]

    @property
    def num_classes(self) -> int:
        return len(self.classes)

    @property
    def image_shape(self) -> tuple[int, int, int]:
        return tuple(self.images.shape[1:])

    def subset(self, indices: Sequence[int] | np.ndarray) -> "ImageDataset":
        """A new dataset holding only ``indices`` (metadata arrays are sliced alike)."""
        idx = torch.as_tensor(np.asarray(indices, dtype=np.int64))
        meta = {}
        for k, v in self.meta.items():
            if isinstance(v, (np.ndarray, torch.Tensor)) and len(v) == len(self):
                meta[k] = v[idx.numpy()] if isinstance(v, np.ndarray) else v[idx]
            else:
                meta[k] = v
        return ImageDataset(
            self.images[idx], self.targets[idx], list(self.classes), self.multilabel, self.transform,
            None if self.groups is None else self.groups[idx.numpy()], meta,
        )

    def class_counts(self) -> np.ndarray:
        """Images per class (per label for multi-label sets)."""
        if self.multilabel:
            return self.targets.sum(0).long().numpy()
        return np.bincount(self.targets.numpy(), minlength=self.num_classes)

    def __repr__(self) -> str:
        kind = "multi-label" if self.multilabel else "single-label"
        return (f"ImageDataset({len(self)} images of {tuple(self.images.shape[1:])}, "
                f"{self.num_classes} classes, {kind})")


def _check_classes(classes: list[str]) -> None:
    seen, dup = set(), []
    for c in classes:
        if c in seen and c not in dup:
            dup.append(c)
        seen.add(c)
    if dup:
        raise ValueError(f"class names must be distinct; {dup} appear more than once in {classes}. "
                         "Merge those classes (relabel the targets) or give them different names")


def _check_pixels(images: torch.Tensor) -> None:
    """Float images must follow the dataset's convention: values in [0, 1], no NaN or inf."""
    if images.dtype == torch.uint8 or images.numel() == 0:
        return
    if images.dtype == torch.bool or not (images.is_floating_point() or images.dtype in
                                          (torch.int16, torch.int32, torch.int64, torch.int8)):
        raise TypeError(f"images must be uint8 (0-255) or float (0-1); got dtype {images.dtype}")
    if not images.is_floating_point():
        lo, hi = int(images.min()), int(images.max())
        if lo < 0 or hi > 255:
            raise ValueError(f"integer images must hold 0-255; got values from {lo} to {hi}")
        raise TypeError(f"integer images must be uint8; got {images.dtype} (values {lo}-{hi}). "
                        "Convert with images.to(torch.uint8)")
    bad = ~torch.isfinite(images)
    if bad.any():
        first = int(bad.flatten(1).any(1).nonzero()[0, 0])
        raise ValueError(f"images hold NaN or infinite pixels ({int(bad.sum())} of them, first in image {first}); "
                         "fix or drop those images (NaN would turn every loss and gradient into NaN)")
    lo, hi = float(images.min()), float(images.max())
    eps = 1e-3  # rounding from resizing or augmentation
    if lo >= -eps and hi <= 1 + eps:
        return
    if lo >= -eps and hi <= 255 + eps:
        raise ValueError(f"float images must lie in [0, 1], but these go up to {hi:.4g} (0-255 values?). "
                         "Divide by 255, or pass them as uint8: images.round().clamp(0, 255).to(torch.uint8)")
    raise ValueError(f"float images must lie in [0, 1]; got values from {lo:.4g} to {hi:.4g} (normalized "
                     "images?). Store the raw [0, 1] images and normalize in a transform "
                     "(eval_transform=Preprocess(...) or transforms.Normalize)")


def _check_batch_size(batch_size) -> int:
    import numbers

    if isinstance(batch_size, bool) or not isinstance(batch_size, numbers.Integral):
        raise ValueError(f"batch_size must be a whole number of images; got {batch_size!r}"
                         + (f" (use {max(1, round(batch_size))})" if isinstance(batch_size, float) else ""))
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1; got {batch_size}")
    return int(batch_size)


class ArrayLoader:
    """Batches indexed straight from an :class:`ImageDataset`'s tensors.

    Args:
        dataset: the dataset to batch.
        batch_size: images per batch.
        shuffle: reshuffle every epoch (seeded, so runs repeat).
        seed: seed of the shuffling generator.
        transform: optional batch-level transform ``f(x) -> x`` on float ``(B, C, H, W)``
            (augmentation, resizing, normalization); runs on every batch.
        sampler: optional iterable of indices (for example a weighted sampler); replaces shuffling.
        drop_last: drop the last incomplete batch.

    Example:
        >>> ds = ImageDataset(torch.zeros(10, 1, 8, 8, dtype=torch.uint8), torch.zeros(10, dtype=torch.long), ["a"])
        >>> [xb.shape[0] for xb, yb in ArrayLoader(ds, batch_size=4)]
        [4, 4, 2]
    """

    def __init__(self, dataset: ImageDataset, batch_size: int = 64, shuffle: bool = False, seed: int = 0,
                 transform: Callable | None = None, sampler=None, drop_last: bool = False):
        if not (hasattr(dataset, "float_images") and hasattr(dataset, "targets")):
            raise TypeError(f"ArrayLoader batches an ImageDataset; got {type(dataset).__name__}. Wrap tensors with "
                            "ImageDataset(images, targets, classes), or use torch.utils.data.DataLoader for other datasets")
        if len(dataset) == 0:
            raise ValueError("cannot batch an empty dataset; check the split sizes or the data folder")
        self.dataset, self.batch_size, self.shuffle = dataset, _check_batch_size(batch_size), shuffle
        self.transform, self.sampler, self.drop_last = transform, sampler, drop_last
        self.generator = torch.Generator().manual_seed(seed)

    def _order(self) -> torch.Tensor:
        if self.sampler is not None:
            return torch.as_tensor(list(iter(self.sampler)), dtype=torch.long)
        n = len(self.dataset)
        return torch.randperm(n, generator=self.generator) if self.shuffle else torch.arange(n)

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        order = self._order()
        n = len(order)
        stop = n - n % self.batch_size if self.drop_last else n
        ds = self.dataset
        for start in range(0, stop, self.batch_size):
            idx = order[start:start + self.batch_size]
            x = ds.float_images(idx)
            if ds.transform is not None:
                x = torch.stack([ds.transform(xi) for xi in x])
            if self.transform is not None:
                x = self.transform(x)
            yield x, ds.targets[idx]

    def __len__(self) -> int:
        n = len(self.sampler) if self.sampler is not None else len(self.dataset)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)


@dataclass
class DataLoaders:
    """Train, validation and (optional) test loaders of one task, with its class names.

    Example:
        >>> from clskit.datasets import load_dataset, split_dataset
        >>> dls = DataLoaders.from_datasets(*split_dataset(load_dataset("digits")), batch_size=64)
        >>> dls.classes[:3]
        ['0', '1', '2']
    """

    train: object
    valid: object
    test: object | None = None
    classes: list[str] = field(default_factory=list)
    multilabel: bool = False

    @classmethod
    def from_datasets(cls, train: ImageDataset, valid: ImageDataset, test: ImageDataset | None = None, *,
                      batch_size: int = 64, seed: int = 0, train_transform: Callable | None = None,
                      eval_transform: Callable | None = None, sampler=None) -> "DataLoaders":
        """Wrap datasets in :class:`ArrayLoader` s (the training one shuffled and seeded)."""
        batch_size = _check_batch_size(batch_size)
        for name, ds in (("valid", valid), ("test", test)):
            if ds is not None and (list(ds.classes) != list(train.classes) or ds.multilabel != train.multilabel):
                raise ValueError(f"the {name} set's classes {list(ds.classes)} differ from the training set's "
                                 f"{list(train.classes)}: target k would mean different classes. Load both with the "
                                 "same classes= (load_image_folder(..., classes=train.classes))")
        eval_batch_size = batch_size * DEFAULTS["eval_batch_factor"]
        mk = lambda ds, tfm: None if ds is None else ArrayLoader(ds, eval_batch_size, transform=tfm)
        return cls(
            ArrayLoader(train, batch_size, shuffle=True, seed=seed, transform=train_transform, sampler=sampler),
            mk(valid, eval_transform), mk(test, eval_transform), list(train.classes), train.multilabel,
        )

    @property
    def num_classes(self) -> int:
        return len(self.classes)
