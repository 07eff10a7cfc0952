"""scikit-learn's handwritten digits (1,797 images of 8x8, 16 grey levels): real, tiny, offline."""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from clskit.datasets.base import ImageDataset
from clskit.datasets.registry import register_dataset


@register_dataset
def digits(size: int = 8) -> ImageDataset:
    """Load scikit-learn's digits as an :class:`ImageDataset` of shape ``(1797, 1, size, size)``.

    Args:
        size: side length; 8 is the original, larger values upsample bilinearly (for models
            that need bigger inputs, such as a ViT with 4x4 patches or a pretrained backbone).

    Example:
        >>> ds = digits()
        >>> len(ds), ds.image_shape
        (1797, (1, 8, 8))
    """
    from sklearn.datasets import load_digits

    if size < 8:
        raise ValueError(f"size must be at least 8 (the original resolution); got {size}")
    d = load_digits()
    x = torch.from_numpy(d.images.astype(np.float32) / 16.0)[:, None]  # (N, 1, 8, 8) in [0, 1]
    if size != 8:
        x = F.interpolate(x, size=(size, size), mode="bilinear", align_corners=False)
    images = (x.clamp(0, 1) * 255).round().to(torch.uint8)
    return ImageDataset(images, torch.from_numpy(d.target), [str(i) for i in range(10)])
