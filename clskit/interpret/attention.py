"""Attention rollout (Abnar & Zuidema 2020) for vision transformers."""
from __future__ import annotations

from typing import Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F

from clskit.inference import running
from clskit.utils import normalize_maps


def attention_rollout(attentions: Sequence[torch.Tensor], residual: bool = True) -> torch.Tensor:
    """Attention rollout (Abnar & Zuidema 2020): how much each token draws on each input token.

    For every block: average the heads, add the identity for the residual connection, renormalize
    the rows to sum to 1, then multiply the blocks' matrices in order:
    ``R = A_L' @ ... @ A_2' @ A_1'`` with ``A' = norm(mean_heads(A) + I)``.

    Args:
        attentions: one ``(B, heads, T, T)`` attention tensor per block, first block first.
        residual: add the identity (the paper's treatment of skip connections).

    Returns:
        ``(B, T, T)``; row ``i`` says how much output token ``i`` depends on each input token.

    Example:
        >>> a = torch.full((1, 2, 3, 3), 1 / 3)
        >>> attention_rollout([a, a])[0, 0]
        tensor([0.5000, 0.2500, 0.2500])
    """
    if len(attentions) == 0:
        raise ValueError("attention_rollout needs at least one attention tensor (B, heads, T, T)")
    rollout = None
    for i, a in enumerate(attentions):
        if a.ndim != 4 or a.shape[-1] != a.shape[-2]:
            raise ValueError(f"attention {i} must have shape (B, heads, T, T); got {tuple(a.shape)}")
        a = a.detach().float().mean(1)                                   # (B, T, T)
        if residual:
            a = a + torch.eye(a.shape[-1], device=a.device)
        a = a / a.sum(-1, keepdim=True)
        rollout = a if rollout is None else a @ rollout
    return rollout


def rollout_map(model: nn.Module, x: torch.Tensor, residual: bool = True, cls_token: bool | None = None) -> torch.Tensor:
    """Attention-rollout heat maps for a ViT with ``model.attention_maps(x)`` (the kit's ``tiny_vit``).

    With a class token (the first token) the map is its rollout row over the patch tokens; without
    one, the patch tokens' rollout rows are averaged. The patch grid is assumed square.

    Returns:
        ``(B, H, W)`` maps in ``[0, 1]`` at the input's size.

    Example:
        >>> from clskit.models import create_model          # doctest: +SKIP
        >>> rollout_map(create_model("tiny_vit", in_chans=1), torch.rand(1, 1, 16, 16)).shape  # doctest: +SKIP
        torch.Size([1, 16, 16])
    """
    if not hasattr(model, "attention_maps"):
        raise TypeError(f"{type(model).__name__} has no attention_maps(x); rollout needs a ViT that returns "
                        "its attention weights (for example create_model('tiny_vit'))")
    with running(model), torch.no_grad():
        r = attention_rollout(model.attention_maps(x), residual=residual)   # (B, T, T)
    t = r.shape[-1]
    if cls_token is None:
        cls_token = int(round((t - 1) ** 0.5)) ** 2 == t - 1
    if cls_token:
        m = r[:, 0, 1:]                                                      # (B, T-1)
    else:
        m = r.mean(1)
    side = int(round(m.shape[-1] ** 0.5))
    if side * side != m.shape[-1]:
        raise ValueError(f"{m.shape[-1]} patch tokens do not form a square grid; pass cls_token= explicitly")
    m = m.reshape(-1, 1, side, side)
    m = F.interpolate(m, size=tuple(x.shape[-2:]), mode="bilinear", align_corners=False)[:, 0]
    return normalize_maps(m)
