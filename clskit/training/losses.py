"""Losses for imbalanced data: class weights from counts, and focal loss (softmax and sigmoid).

Example:
    >>> w = class_weights([900, 100], method="inverse")
    >>> [round(v, 3) for v in w.tolist()]
    [0.2, 1.8]
    >>> loss_func = torch.nn.CrossEntropyLoss(weight=w)      # a class-weighted loss for the Learner
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


def class_weights(counts, method: str = "inverse", beta: float = 0.999, num_classes: int | None = None) -> torch.Tensor:
    """Per-class loss weights from class counts (or from the targets themselves), normalized to mean 1.

    Args:
        counts: images per class ``(K,)``, or single-label targets ``(N,)`` when ``num_classes`` is
            given, or a dataset with ``class_counts()``.
        method: ``"inverse"`` (``1/n_k``), ``"sqrt_inverse"`` (``1/sqrt(n_k)``, gentler) or
            ``"effective"`` (``(1 - beta) / (1 - beta^n_k)``, Cui et al., 2019: the "effective number"
            of samples saturates, so very large classes are not pushed down forever).
        beta: the effective-number parameter in ``[0, 1)``; 0 gives equal weights, near 1 approaches inverse.
        num_classes: treat ``counts`` as targets and count them into this many classes.

    Returns:
        float32 tensor ``(K,)`` with mean 1, for ``nn.CrossEntropyLoss(weight=...)`` or :class:`FocalLoss`.

    Example:
        >>> [round(v, 3) for v in class_weights([10, 10, 40], method="inverse").tolist()]
        [1.333, 1.333, 0.333]
    """
    if hasattr(counts, "class_counts"):
        counts = counts.class_counts()
    c = counts.detach().cpu().numpy() if isinstance(counts, torch.Tensor) else np.asarray(counts)
    if num_classes is not None:
        c = np.bincount(c.astype(np.int64), minlength=num_classes)
    c = c.astype(np.float64)
    if c.ndim != 1 or len(c) == 0:
        raise ValueError(f"counts must be a 1-D sequence of images per class; got shape {c.shape}")
    if (c <= 0).any():
        raise ValueError(f"every class needs at least one sample to get a weight; counts are {c.astype(int).tolist()}. "
                         "Drop the empty classes or gather examples for them")
    if method == "inverse":
        w = 1 / c
    elif method == "sqrt_inverse":
        w = 1 / np.sqrt(c)
    elif method == "effective":
        if not 0 <= beta < 1:
            raise ValueError(f"beta must lie in [0, 1); got {beta}")
        w = (1 - beta) / (1 - beta ** c)
    else:
        raise ValueError(f"method must be 'inverse', 'sqrt_inverse' or 'effective'; got {method!r}")
    return torch.tensor(w / w.mean(), dtype=torch.float32)


def focal_loss(logits: torch.Tensor, targets: torch.Tensor, gamma: float = 2.0, alpha=None,
               reduction: str = "mean") -> torch.Tensor:
    """Softmax focal loss (Lin et al., 2017): ``-alpha_y (1 - p_y)^gamma log p_y``.

    The factor ``(1 - p_y)^gamma`` shrinks the loss of examples the model already gets right with
    confidence, so the many easy majority-class images stop dominating the gradient. ``gamma=0``
    and no ``alpha`` give plain cross-entropy.

    Args:
        logits: ``(N, K)`` raw scores.
        targets: ``(N,)`` class indices.
        gamma: focusing parameter (2 in the paper).
        alpha: optional per-class weights ``(K,)`` (for example from :func:`class_weights`).
        reduction: ``"mean"``, ``"sum"`` or ``"none"``.

    Example:
        >>> x, y = torch.tensor([[2.0, 0.0], [0.0, 1.0]]), torch.tensor([0, 0])
        >>> bool(focal_loss(x, y, gamma=0) - F.cross_entropy(x, y) == 0)
        True
    """
    if logits.ndim != 2:
        raise ValueError(f"focal_loss expects logits of shape (N, num_classes); got {tuple(logits.shape)}")
    if targets.ndim != 1 or len(targets) != len(logits):
        raise ValueError(f"targets must be (N,) class indices for {len(logits)} logits; got shape {tuple(targets.shape)}")
    if gamma < 0:
        raise ValueError(f"gamma must be non-negative; got {gamma}")
    logp = F.log_softmax(logits.float(), dim=1).gather(1, targets.long()[:, None])[:, 0]  # (N,) log p_y
    loss = -((1 - logp.exp()) ** gamma) * logp
    if alpha is not None:
        loss = loss * _weights(alpha, logits.shape[1], logits.device)[targets.long()]
    return _reduce(loss, reduction)


def sigmoid_focal_loss(logits: torch.Tensor, targets: torch.Tensor, gamma: float = 2.0, alpha: float | None = 0.25,
                       reduction: str = "mean") -> torch.Tensor:
    """Sigmoid (binary / multi-label) focal loss, element-wise over ``(N, L)``, as in RetinaNet.

    ``loss = -alpha_t (1 - p_t)^gamma log p_t`` with ``p_t = p`` for a positive and ``1 - p`` for a
    negative label, and ``alpha_t = alpha`` for positives, ``1 - alpha`` for negatives (``None``: no
    weighting). Same numbers as ``torchvision.ops.sigmoid_focal_loss``; ``"mean"`` averages over
    every element.

    Example:
        >>> x, y = torch.tensor([[3.0, -1.0]]), torch.tensor([[1.0, 0.0]])
        >>> round(float(sigmoid_focal_loss(x, y, gamma=0, alpha=None)), 4) == round(float(F.binary_cross_entropy_with_logits(x, y)), 4)
        True
    """
    if logits.shape != targets.shape:
        raise ValueError(f"logits and targets must have the same shape; got {tuple(logits.shape)} and "
                         f"{tuple(targets.shape)}. For class indices use focal_loss (softmax)")
    if gamma < 0:
        raise ValueError(f"gamma must be non-negative; got {gamma}")
    x, y = logits.float(), targets.float()
    p = torch.sigmoid(x)
    ce = F.binary_cross_entropy_with_logits(x, y, reduction="none")
    p_t = p * y + (1 - p) * (1 - y)
    loss = ce * (1 - p_t) ** gamma
    if alpha is not None:
        if not 0 <= alpha <= 1:
            raise ValueError(f"alpha must lie in [0, 1] (the weight of positives) or be None; got {alpha}")
        loss = (alpha * y + (1 - alpha) * (1 - y)) * loss
    return _reduce(loss, reduction)


class FocalLoss(nn.Module):
    """Focal loss as a module for ``Learner(loss_func=...)``: softmax for class indices, sigmoid for label vectors.

    Args:
        gamma: focusing parameter; 0 recovers (weighted) cross-entropy.
        alpha: softmax: per-class weights ``(K,)`` or ``None``; sigmoid: weight of positives in ``[0, 1]``.
        reduction: ``"mean"``, ``"sum"`` or ``"none"``.

    Example:
        >>> crit = FocalLoss(gamma=2.0)
        >>> float(crit(torch.zeros(4, 3), torch.tensor([0, 1, 2, 0]))) > 0
        True
    """

    def __init__(self, gamma: float = 2.0, alpha=None, reduction: str = "mean"):
        super().__init__()
        self.gamma, self.reduction = gamma, reduction
        self.alpha = alpha

    def forward(self, logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        if targets.ndim == logits.ndim and targets.is_floating_point():  # multi-label / binary label vectors
            return sigmoid_focal_loss(logits, targets, self.gamma, self.alpha, self.reduction)
        return focal_loss(logits, targets, self.gamma, self.alpha, self.reduction)

    def extra_repr(self) -> str:
        return f"gamma={self.gamma}, alpha={self.alpha}"


def _weights(alpha, k: int, device) -> torch.Tensor:
    a = torch.as_tensor(alpha, dtype=torch.float32, device=device)
    if a.shape != (k,):
        raise ValueError(f"alpha must hold one weight per class ({k}); got shape {tuple(a.shape)}")
    return a


def _reduce(loss: torch.Tensor, reduction: str) -> torch.Tensor:
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    if reduction == "none":
        return loss
    raise ValueError(f"reduction must be 'mean', 'sum' or 'none'; got {reduction!r}")


def weighted_bce(pos_counts: Sequence[int], n: int) -> nn.BCEWithLogitsLoss:
    """BCE-with-logits whose positives of each label are weighted by ``negatives / positives``.

    The multi-label counterpart of class weights: a rare label's few positives count as much as its
    many negatives.

    Example:
        >>> weighted_bce([10, 50], n=100).pos_weight.tolist()
        [9.0, 1.0]
    """
    pos = torch.as_tensor(np.asarray(pos_counts), dtype=torch.float32)
    if (pos <= 0).any() or (pos >= n).any():
        raise ValueError(f"every label needs between 1 and n-1 positives; got {pos.long().tolist()} of n={n}")
    return nn.BCEWithLogitsLoss(pos_weight=(n - pos) / pos)
