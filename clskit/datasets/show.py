"""Look at the data: a grid of images with their labels (matplotlib, imported when drawing)."""
from __future__ import annotations

from typing import Sequence

import torch

from clskit.utils import as_float_images


def label_text(ds, i: int) -> str:
    """The label of item ``i`` as text: a class name, or the names of all positive labels."""
    y = ds.targets[i]
    if getattr(ds, "multilabel", False):
        names = [c for c, v in zip(ds.classes, y.tolist()) if v > 0.5]
        return "+".join(names) if names else "(none)"
    return ds.classes[int(y)]


def show_images(data, indices: Sequence[int] | None = None, titles: Sequence[str] | None = None, ncols: int = 8,
                size: float = 1.2, n: int = 16):
    """Draw images in a grid; titles default to the labels of an :class:`ImageDataset`.

    Args:
        data: an :class:`ImageDataset`, or a tensor ``(N, C, H, W)`` (uint8, or float in [0, 1]).
        indices: which images (default: the first ``n``).
        titles: one title per shown image.
        ncols: images per row.
        size: inches per image.

    Returns:
        The matplotlib figure.

    Example:
        >>> from clskit.datasets import load_dataset
        >>> fig = show_images(load_dataset("shapes", n_per_class=4), n=8)   # doctest: +SKIP
    """
    import matplotlib.pyplot as plt

    is_ds = hasattr(data, "float_images")
    total = len(data)
    indices = list(range(min(n, total))) if indices is None else [int(i) for i in indices]
    if not indices:
        raise ValueError("no images to show: indices is empty")
    if is_ds:
        x = data.float_images(torch.as_tensor(indices))
    else:
        x = as_float_images(data[torch.as_tensor(indices)])
    if titles is None:
        titles = [label_text(data, i) for i in indices] if is_ds else [str(i) for i in indices]
    ncols = min(ncols, len(indices))
    nrows = -(-len(indices) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(size * ncols, (size + 0.25) * nrows), squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for ax, img, title in zip(axes.flat, x, titles):
        img = img.clamp(0, 1).permute(1, 2, 0).numpy()
        ax.imshow(img[..., 0] if img.shape[-1] == 1 else img, cmap="gray" if img.shape[-1] == 1 else None,
                  vmin=0, vmax=1)
        ax.set_title(str(title), fontsize=8)
    fig.tight_layout()
    return fig
