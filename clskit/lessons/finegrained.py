"""Fine-grained classification: classes that differ in small details (dog breeds, bird species, car models).

A fine-grained task has small differences between classes and large variation inside a class (pose,
lighting, background). The kit's offline probe of it is the pretrained ImageNet head: ImageNet-1k holds
118 dog breeds (indices 151-268), so a photo of an English springer can be "right" coarsely (a dog)
and wrong finely (a Welsh springer spaniel). These helpers give the 1000-class scores from cached
embeddings, score a prediction against a *group* of classes (:data:`IMAGENETTE_GROUPS`: each Imagenette
class's WordNet super-class, such as "dog" or "vehicle"), and compare how much of two accuracies'
margin over chance survives a change (:func:`retention_difference`).

Example:
    >>> names = __import__("clskit.models.pretrained", fromlist=["x"]).imagenet_classes()
    >>> names[IMAGENET_DOGS[0]], names[IMAGENET_DOGS[-1]], len(IMAGENET_DOGS)
    ('Chihuahua', 'Mexican hairless', 118)
"""
from __future__ import annotations

import numpy as np
import torch
import torch.nn as nn

from clskit.lessons._imagenette_groups import IMAGENETTE_GROUPS
from clskit.stats import PairedDifference

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


def group_hits(logits, targets, groups=IMAGENETTE_GROUPS) -> np.ndarray:
    """Per image 1.0 when the top-1 class lies in the *group* of the true class, else 0.0: super-class credit.

    The same argmax over all classes as exact-class credit, scored more leniently: with the default
    :data:`IMAGENETTE_GROUPS`, a springer photo named "Welsh springer spaniel" counts (both are dogs), one named
    "shovel" does not.

    Args:
        logits: ``(N, C)`` scores.
        targets: ``(N,)`` the true class of each image as an index of the ``C`` columns.
        groups: true class -> ``(name, member classes)``; every target needs an entry.

    Example:
        >>> groups = {0: ("small", (0, 1)), 2: ("big", (2,))}
        >>> group_hits(torch.tensor([[0., 1, 0], [3., 0, 0], [0., 0, 1]]), [0, 0, 2], groups).tolist()
        [1.0, 1.0, 1.0]
        >>> group_hits(torch.tensor([[0., 0, 1]]), [0], groups).tolist()
        [0.0]
    """
    top1 = torch.as_tensor(logits).argmax(1).tolist()
    targets = torch.as_tensor(targets).tolist()
    if len(targets) != len(top1):
        raise ValueError(f"logits have {len(top1)} rows but targets has {len(targets)} labels")
    missing = sorted(set(targets) - set(groups))
    if missing:
        raise KeyError(f"no group for the classes {missing[:5]}; groups has entries for {sorted(groups)[:10]}")
    return np.array([float(p in groups[t][1]) for p, t in zip(top1, targets)])


def _kept(ref_mean, now_mean, chance: float):
    """Share of the reference accuracy's margin over chance left now (accuracies, or arrays of them)."""
    return (now_mean - chance) / (ref_mean - chance)


def retention_difference(coarse_ref, coarse, fine_ref, fine, *, coarse_chance: float, fine_chance: float,
                         confidence: float = 0.95, n_resamples: int = 10_000, seed: int = 0) -> PairedDifference:
    """How much more of its margin over chance the coarse score keeps than the fine one, with a paired interval.

    Each score's *retention* is ``(accuracy - chance) / (reference accuracy - chance)``: 1 when a change (a
    smaller input, say) costs nothing, 0 when it leaves chance. The difference ``coarse - fine`` is in
    percentage points of retention; its interval is a percentile bootstrap over images that resamples the
    same images for all four arrays (both retentions are recomputed, denominators included, in each
    resample), so it is paired like :func:`clskit.paired_difference`.

    Args:
        coarse_ref, coarse: per image 1/0 for the coarse credit at the reference and at the changed setting.
        fine_ref, fine: the same for the fine credit, on the same images in the same order.
        coarse_chance, fine_chance: the accuracy of a random guess under each credit.

    Example:
        >>> ref = np.ones(100)
        >>> d = retention_difference(ref, np.r_[np.ones(60), np.zeros(40)], ref, np.r_[np.ones(30), np.zeros(70)],
        ...                          coarse_chance=0.0, fine_chance=0.0)
        >>> round(d.diff, 1), d.verdict
        (30.0, 'better')
    """
    arrays = [np.asarray(a, dtype=float).ravel() for a in (coarse_ref, coarse, fine_ref, fine)]
    n = arrays[0].size
    if any(a.size != n for a in arrays) or n == 0:
        raise ValueError(f"all four arrays need one score per image, the same images; got sizes "
                         f"{[a.size for a in arrays]}")
    for name, ref, chance in (("coarse", arrays[0], coarse_chance), ("fine", arrays[2], fine_chance)):
        if ref.mean() <= chance:
            raise ValueError(f"the {name} reference accuracy {ref.mean():.3f} is not above its chance level "
                             f"{chance}: there is no margin to keep")
    stacked = np.stack(arrays)                                              # (4, n)

    def difference(means):   # means: (4, ...) accuracies of coarse_ref, coarse, fine_ref, fine
        return _kept(means[0], means[1], coarse_chance) - _kept(means[2], means[3], fine_chance)

    diff = float(difference(stacked.mean(1)))
    rng = np.random.default_rng(seed)
    boot = []
    for start in range(0, n_resamples, 1000):   # 1000 resamples at a time keeps memory small
        idx = rng.integers(0, n, size=(min(1000, n_resamples - start), n))
        boot.append(difference(stacked[:, idx].mean(-1)))
    boot = np.concatenate(boot)
    boot = boot[np.isfinite(boot)]   # a resample whose reference sits exactly at chance has no retention
    tail = 100 * (1 - confidence) / 2
    low, high = np.percentile(boot, [tail, 100 - tail])
    return PairedDifference(100 * diff, 100 * float(low), 100 * float(high), n, "images", confidence)
