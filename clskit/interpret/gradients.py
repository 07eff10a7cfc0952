"""Gradient saliency: vanilla gradients (Simonyan et al. 2014) and SmoothGrad (Smilkov et al. 2017)."""
from __future__ import annotations

import torch
import torch.nn as nn

from .cam import _as_targets


def saliency(model: nn.Module, x: torch.Tensor, targets=None, reduce: str = "max") -> torch.Tensor:
    """Vanilla-gradient saliency (Simonyan et al. 2014): ``|d y_c / d x|``, reduced over channels.

    Args:
        model: a classifier returning logits.
        x: images ``(B, C, H, W)``.
        targets: class per image (default: the predicted class).
        reduce: ``"max"`` (the paper) or ``"mean"`` of the absolute gradient over colour channels.

    Returns:
        ``(B, H, W)`` non-negative maps (not normalised).

    Example:
        >>> from clskit.models import create_model
        >>> saliency(create_model("small_cnn", in_chans=1).eval(), torch.rand(2, 1, 8, 8)).shape
        torch.Size([2, 8, 8])
    """
    return _reduce(_input_gradient(model, x, targets).abs(), reduce)


def _reduce(g: torch.Tensor, reduce: str) -> torch.Tensor:
    if reduce == "max":
        return g.amax(1)
    if reduce == "mean":
        return g.mean(1)
    raise ValueError(f"reduce must be 'max' or 'mean'; got {reduce!r}")


def _input_gradient(model: nn.Module, x: torch.Tensor, targets=None) -> torch.Tensor:
    if x.ndim != 4:
        raise ValueError(f"expected images (B, C, H, W); got shape {tuple(x.shape)}")
    x = x.detach().clone().requires_grad_(True)
    with torch.enable_grad():
        logits = model(x)
        t = _as_targets(targets, logits)
        (grad,) = torch.autograd.grad(logits.gather(1, t[:, None]).sum(), x)
    return grad


def smoothgrad(model: nn.Module, x: torch.Tensor, targets=None, n: int = 25, sigma: float = 0.15,
               reduce: str = "max", seed: int = 0) -> torch.Tensor:
    """SmoothGrad (Smilkov et al. 2017): average ``|d y_c / d x|`` over ``n`` noisy copies of ``x``.

    Args:
        sigma: noise standard deviation as a fraction of each image's value range (the paper: 10-20 %).
        targets: classes to explain; by default the class predicted on the *clean* image, so every
            noisy copy explains the same class.
        seed: seeds the noise, so maps repeat.

    Example:
        >>> from clskit.models import create_model
        >>> smoothgrad(create_model("small_cnn", in_chans=1).eval(), torch.rand(1, 1, 8, 8), n=4).shape
        torch.Size([1, 8, 8])
    """
    if n < 1:
        raise ValueError(f"n (noisy samples) must be at least 1; got {n}")
    if targets is None:
        with torch.no_grad():
            targets = model(x).argmax(1)
    gen = torch.Generator(device=x.device).manual_seed(seed)
    scale = sigma * (x.amax(dim=(1, 2, 3), keepdim=True) - x.amin(dim=(1, 2, 3), keepdim=True))
    total = torch.zeros_like(x)
    for _ in range(n):
        noise = torch.randn(x.shape, generator=gen, device=x.device) * scale
        total += _input_gradient(model, x + noise, targets).abs()
    return _reduce(total / n, reduce)
