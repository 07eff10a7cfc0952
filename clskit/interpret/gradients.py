"""Gradient saliency: vanilla gradients (Simonyan et al. 2014) and SmoothGrad (Smilkov et al. 2017)."""
from __future__ import annotations

import torch
import torch.nn as nn

from clskit.interpret.cam import _as_targets


def saliency(model: nn.Module, x: torch.Tensor, targets=None, reduce: str = "max",
             batch_size: int | None = None) -> torch.Tensor:
    """Vanilla-gradient saliency (Simonyan et al. 2014): ``|d y_c / d x|``, reduced over channels.

    Args:
        model: a classifier returning logits.
        x: images ``(B, C, H, W)``.
        targets: class per image (default: the predicted class).
        reduce: ``"max"`` (the paper) or ``"mean"`` of the absolute gradient over colour channels.
        batch_size: images per backward pass; by default as many as hold about two 160x160 photos' worth
            of pixels (2 photos at 160 px, 50 images at 32 px). A backward pass keeps every layer's
            activations, about 40 MB per 160-px photo through EfficientNet-Lite0, so this bounds the
            memory. The maps do not depend on it (the model is in eval mode).

    Returns:
        ``(B, H, W)`` non-negative maps (not normalized).

    Example:
        >>> from clskit.models import create_model
        >>> saliency(create_model("small_cnn", in_chans=1).eval(), torch.rand(2, 1, 8, 8)).shape
        torch.Size([2, 8, 8])
    """
    return _reduce(_input_gradient(model, x, targets, batch_size).abs(), reduce)


def _reduce(g: torch.Tensor, reduce: str) -> torch.Tensor:
    if reduce == "max":
        return g.amax(1)
    if reduce == "mean":
        return g.mean(1)
    raise ValueError(f"reduce must be 'max' or 'mean'; got {reduce!r}")


_PIXELS_PER_PASS = 2 * 160 * 160  # the default batch of a backward pass: two 160-px photos' worth of pixels


def _input_gradient(model: nn.Module, x: torch.Tensor, targets=None, batch_size: int | None = None) -> torch.Tensor:
    """``d y_c / d x`` for images ``x`` ``(B, C, H, W)``, ``batch_size`` images per backward pass
    (default: about ``_PIXELS_PER_PASS`` pixels per pass)."""
    if x.ndim != 4:
        raise ValueError(f"expected images (B, C, H, W); got shape {tuple(x.shape)}")
    if batch_size is not None and batch_size < 1:
        raise ValueError(f"batch_size must be at least 1 (or None for the default); got {batch_size}")
    if targets is not None:
        targets = torch.as_tensor(targets, dtype=torch.long).reshape(-1)
        if targets.numel() not in (1, len(x)):
            raise ValueError(f"got {targets.numel()} targets for {len(x)} images; pass one class per image, "
                             "one for all, or None")
    step = batch_size or max(1, _PIXELS_PER_PASS // (x.shape[-2] * x.shape[-1]))
    grads = []
    for start in range(0, len(x), step):
        xb = x[start:start + step].detach().clone().requires_grad_(True)
        tb = targets if targets is None or targets.numel() == 1 else targets[start:start + step]
        with torch.enable_grad():
            logits = model(xb)
            t = _as_targets(tb, logits)
            (grad,) = torch.autograd.grad(logits.gather(1, t[:, None]).sum(), xb)
        grads.append(grad)
    return torch.cat(grads) if grads else torch.zeros_like(x)


def smoothgrad(model: nn.Module, x: torch.Tensor, targets=None, n: int = 25, sigma: float = 0.15,
               reduce: str = "max", seed: int = 0, batch_size: int | None = None) -> torch.Tensor:
    """SmoothGrad (Smilkov et al. 2017): average ``|d y_c / d x|`` over ``n`` noisy copies of ``x``.

    Args:
        sigma: noise standard deviation as a fraction of each image's value range (the paper: 10-20 %).
        targets: classes to explain; by default the class predicted on the *clean* image, so every
            noisy copy explains the same class.
        seed: seeds the noise, so maps repeat.
        batch_size: images per backward pass (see :func:`saliency`).

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
        total += _input_gradient(model, x + noise, targets, batch_size).abs()
    return _reduce(total / n, reduce)
