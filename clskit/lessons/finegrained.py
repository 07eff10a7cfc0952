"""Fine-grained classification: classes that differ in small details (dog breeds, bird species, car models).

A fine-grained task has small differences between classes and large variation inside a class (pose,
lighting, background). The kit's offline probe of it is the pretrained ImageNet head: ImageNet-1k holds
118 dog breeds (indices 151-268), so a photo of an English springer can be "right" coarsely (a dog)
and wrong finely (a Welsh springer spaniel). These helpers give the 1000-class scores from cached
embeddings and score a prediction against a *group* of classes.

Example:
    >>> names = __import__("clskit.models.pretrained", fromlist=["x"]).imagenet_classes()
    >>> names[IMAGENET_DOGS[0]], names[IMAGENET_DOGS[-1]], len(IMAGENET_DOGS)
    ('Chihuahua', 'Mexican hairless', 118)
"""
from __future__ import annotations

from typing import Iterable, Sequence

import numpy as np
import torch
import torch.nn as nn

# The 118 dog breeds of ImageNet-1k (WordNet hyponyms of "dog": Chihuahua .. Mexican hairless).
IMAGENET_DOGS = range(151, 269)


def imagenet_logits(model: nn.Module, data, size: int | None = None, **embed_kw) -> torch.Tensor:
    """Scores ``(N, num_classes)`` of a pretrained model's own head, computed from cached embeddings.

    The head of a timm model is a linear layer on the pooled features, so ``head(embed(x))`` equals
    ``model(x)`` (in eval mode) while the expensive part, the backbone, is cached on disk by
    :func:`clskit.lessons.transfer.embed`. Preprocessing is :func:`~clskit.models.pretrained.preprocess_for`
    at ``size`` pixels.

    Args:
        model: a pretrained model that keeps its classifier (e.g. ``num_classes=1000``).
        data: an :class:`~clskit.datasets.ImageDataset` or float tensor ``(N, C, H, W)`` in ``[0, 1]``.
        size: the side length the network sees (``None``: the model's training size).
        **embed_kw: passed to :func:`clskit.lessons.transfer.embed` (``batch_size``, ``cache_dir``, ...).

    Example:
        >>> from clskit.models import create_model
        >>> m = create_model("efficientnet_lite0", pretrained=True, num_classes=1000)
        >>> imagenet_logits(m, torch.rand(2, 3, 32, 32), size=32, cache=False).shape
        torch.Size([2, 1000])
    """
    from clskit.models.pretrained import preprocess_for
    from clskit.models.heads import find_head
    from clskit.lessons.transfer import embed

    head = model.get_submodule(find_head(model))
    if not isinstance(head, nn.Linear):
        raise TypeError(f"the head {find_head(model)!r} is a {type(head).__name__}, not a linear layer; "
                        "compute the scores with model(preprocess(x)) instead")
    emb = embed(model, data, transform=preprocess_for(model, size), **embed_kw)
    with torch.inference_mode():   # the head stays where it is (the kit's policy: the caller's model is left as it was)
        return head(emb.to(head.weight.device, head.weight.dtype)).float().cpu()


def in_group_accuracy(logits, group: Iterable[int]) -> float:
    """Fraction of images whose top-1 class lies in ``group``: a coarse label such as "any dog".

    Args:
        logits: ``(N, C)`` scores.
        group: the class indices that count as right (e.g. :data:`IMAGENET_DOGS`).

    Example:
        >>> in_group_accuracy(torch.tensor([[0., 1, 0], [3., 0, 0]]), group=[1, 2])
        0.5
    """
    top1 = torch.as_tensor(logits).argmax(1).numpy()
    return float(np.isin(top1, np.asarray(list(group))).mean())


def accuracy_among(logits, targets, columns: Sequence[int]) -> float:
    """Accuracy of the decision among ``columns`` only: the coarser task "which of these k classes?".

    ``targets[i]`` indexes ``columns`` (class ``j`` of the small task is column ``columns[j]`` of the
    big head), as in Imagenette, whose 10 classes are 10 of ImageNet's 1000. (Not
    :func:`clskit.metrics.subset_accuracy`, the multi-label exact-match accuracy.)

    Example:
        >>> accuracy_among(torch.tensor([[5., 1, 2], [0., 9, 1]]), [0, 0], columns=[1, 2])
        0.5
    """
    x = torch.as_tensor(logits)
    cols = list(columns)
    y = torch.as_tensor(targets)
    if len(y) != len(x):
        raise ValueError(f"logits have {len(x)} rows but targets has {len(y)} labels")
    if len(y) and (int(y.min()) < 0 or int(y.max()) >= len(cols)):
        raise ValueError(f"targets must index columns (0..{len(cols) - 1}); got values up to {int(y.max())}")
    return float((x[:, cols].argmax(1) == y).float().mean())
