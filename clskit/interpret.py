"""Where does the model look? Class activation maps, gradient saliency and attention rollout.

The CAM classes follow pytorch-grad-cam's design: :class:`BaseCAM` owns the hooks and does the
forward and backward pass; a variant overrides one method, :meth:`BaseCAM.cam_weights`, which
turns the target layer's activations ``A`` and gradients ``dy_c/dA`` into one weight per channel.
Hooks are released by :meth:`BaseCAM.release` (or by leaving a ``with`` block). Everything here
returns tensors; drawing is the separate pure function :func:`overlay`.

Example:
    >>> from clskit.models import create_model
    >>> model = create_model("small_cnn", num_classes=3, in_chans=1).eval()
    >>> with GradCAM(model) as cam:
    ...     maps = cam(torch.rand(2, 1, 16, 16))
    >>> maps.shape
    torch.Size([2, 16, 16])
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


def last_conv_layer(model: nn.Module) -> nn.Module:
    """The last ``nn.Conv2d`` in ``model`` (in definition order): the usual Grad-CAM target layer.

    Example:
        >>> from clskit.models import create_model
        >>> last_conv_layer(create_model("small_cnn", in_chans=1)).out_channels
        128
    """
    convs = [m for m in model.modules() if isinstance(m, nn.Conv2d)]
    if not convs:
        raise ValueError(f"{type(model).__name__} has no nn.Conv2d layer; pass target_layer= explicitly "
                         "(for a ViT use attention_rollout instead)")
    return convs[-1]


def _normalize(maps: torch.Tensor) -> torch.Tensor:
    """Scale each map of ``(B, H, W)`` to ``[0, 1]`` (min-max; an all-equal map becomes 0)."""
    flat = maps.flatten(1)
    lo = flat.min(1).values[:, None, None]
    maps = maps - lo
    hi = maps.flatten(1).max(1).values[:, None, None]
    return maps / (hi + 1e-7)


class BaseCAM:
    """Shared work of the class-activation-map family: hooks, forward, backward, resizing.

    Args:
        model: a classifier returning logits ``(B, num_classes)``; it is put in eval mode.
        target_layer: the layer whose output ``A (B, K, h, w)`` is explained (default: the last conv).

    The map for class ``c`` is ``ReLU(sum_k w_k A_k)`` with weights from :meth:`cam_weights`,
    resized to the input with bilinear interpolation and scaled to ``[0, 1]`` per image (the
    same conventions as pytorch-grad-cam).
    """

    def __init__(self, model: nn.Module, target_layer: nn.Module | None = None):
        self._handle = None
        if not isinstance(model, nn.Module):
            raise TypeError(f"model must be a torch.nn.Module; got {type(model).__name__}")
        if isinstance(target_layer, str):  # a layer name such as "features.3": look it up
            names = dict(model.named_modules())
            if target_layer not in names:
                raise ValueError(f"model has no layer {target_layer!r}; pick one of model.named_modules(), "
                                 f"for example {list(names)[-3:]}, or leave target_layer=None for the last conv layer")
            target_layer = names[target_layer]
        elif target_layer is not None and not isinstance(target_layer, nn.Module):
            raise TypeError(f"target_layer must be a module of the model (or its name); got {type(target_layer).__name__}")
        self.model = model.eval()
        self.target_layer = target_layer if target_layer is not None else last_conv_layer(model)
        self.activations: torch.Tensor | None = None
        self.gradients: torch.Tensor | None = None
        self.logits: torch.Tensor | None = None
        # A forward hook stores A and hangs a tensor hook on it for dy/dA (a full backward hook on
        # the module misbehaves with in-place ReLUs; pytorch/pytorch#61519).
        self._handle = self.target_layer.register_forward_hook(self._save)

    def _save(self, module, inputs, output):
        self.activations = output.detach()
        if output.requires_grad:
            def store(grad):
                self.gradients = grad.detach()
            output.register_hook(store)

    def cam_weights(self, activations: torch.Tensor, gradients: torch.Tensor) -> torch.Tensor:
        """One weight per channel, ``(B, K)``, from ``A`` and ``dy_c/dA`` (both ``(B, K, h, w)``)."""
        raise NotImplementedError("a CAM variant implements cam_weights(activations, gradients)")

    def __call__(self, x: torch.Tensor, targets: int | Sequence[int] | torch.Tensor | None = None,
                 size: tuple[int, int] | None = None, relu: bool = True, normalize: bool = True) -> torch.Tensor:
        """Maps for images ``x`` ``(B, C, H, W)`` and classes ``targets`` (default: the predicted ones).

        Returns:
            ``(B, H, W)`` float maps (``size`` overrides ``(H, W)``); ``self.logits`` holds the outputs.
        """
        if self._handle is None:
            raise RuntimeError("this CAM's hooks were released; create a new one (or use it inside `with`)")
        if x.ndim == 3:
            x = x[None]
        if x.ndim != 4:
            raise ValueError(f"expected images (B, C, H, W); got shape {tuple(x.shape)}")
        x = x.detach().requires_grad_(True)  # makes A require grad even when the early layers are frozen
        self.gradients = None
        with torch.enable_grad():
            logits = self.model(x)
            targets = _as_targets(targets, logits)
            self.model.zero_grad(set_to_none=True)
            logits.gather(1, targets[:, None]).sum().backward()
        self.logits = logits.detach()
        if self.activations is None or self.gradients is None:
            raise RuntimeError(f"the target layer {type(self.target_layer).__name__} produced no gradient; "
                               "pick a layer on the path from input to logits")
        if self.activations.ndim != 4:
            raise ValueError(f"the target layer's output has shape {tuple(self.activations.shape)}; CAMs need "
                             "(B, K, h, w) feature maps (for a ViT use attention_rollout)")
        weights = self.cam_weights(self.activations, self.gradients)             # (B, K)
        cam = (weights[:, :, None, None] * self.activations).sum(1)              # (B, h, w)
        if relu:
            cam = cam.clamp(min=0)
        if normalize:
            cam = _normalize(cam)
        size = size or tuple(x.shape[-2:])
        cam = F.interpolate(cam[:, None], size=size, mode="bilinear", align_corners=False)[:, 0]
        return _normalize(cam) if normalize else cam

    def release(self) -> None:
        """Remove the hook from the target layer (safe to call twice)."""
        if getattr(self, "_handle", None) is not None:
            self._handle.remove()
            self._handle = None
        self.activations = self.gradients = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.release()

    def __del__(self):
        self.release()


class GradCAM(BaseCAM):
    """Grad-CAM (Selvaraju et al. 2017): channel weights are the spatially averaged gradients.

    ``w_k = mean_ij dy_c/dA_k[i, j]``; the map is ``ReLU(sum_k w_k A_k)``.

    Example:
        >>> from clskit.models import create_model
        >>> m = create_model("small_cnn", num_classes=3, in_chans=1)
        >>> with GradCAM(m) as cam:
        ...     cam(torch.rand(1, 1, 8, 8), targets=[2]).shape
        torch.Size([1, 8, 8])
    """

    def cam_weights(self, activations, gradients):
        return gradients.mean(dim=(2, 3))


class GradCAMPlusPlus(BaseCAM):
    """Grad-CAM++ (Chattopadhay et al. 2018, eq. 19): pixel-wise weighted positive gradients.

    ``alpha = g^2 / (2 g^2 + sum_ij A * g^3)`` and ``w_k = sum_ij alpha * ReLU(g)``, which lets
    several instances of a class each contribute to the map.

    Example:
        >>> from clskit.models import create_model
        >>> with GradCAMPlusPlus(create_model("small_cnn", in_chans=1)) as cam:
        ...     cam(torch.rand(1, 1, 8, 8)).shape
        torch.Size([1, 8, 8])
    """

    def cam_weights(self, activations, gradients):
        g2 = gradients.pow(2)
        g3 = g2 * gradients
        sum_a = activations.sum(dim=(2, 3), keepdim=True)
        alpha = g2 / (2 * g2 + sum_a * g3 + 1e-6)
        alpha = torch.where(gradients != 0, alpha, torch.zeros_like(alpha))
        return (alpha * gradients.clamp(min=0)).sum(dim=(2, 3))


CAMS = {"gradcam": GradCAM, "gradcam++": GradCAMPlusPlus}


def _as_targets(targets, logits: torch.Tensor) -> torch.Tensor:
    b, n = logits.shape
    if targets is None:
        return logits.argmax(1)
    t = torch.as_tensor(targets, dtype=torch.long, device=logits.device).reshape(-1)
    if t.numel() == 1 and b > 1:
        t = t.expand(b)
    if t.numel() != b:
        raise ValueError(f"got {t.numel()} targets for {b} images; pass one class per image, one for all, or None")
    if int(t.min()) < 0 or int(t.max()) >= n:
        raise ValueError(f"target classes must lie in 0..{n - 1}; got {t.tolist()}")
    return t


# -- gradient saliency ------------------------------------------------------------------------
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


# -- attention rollout ------------------------------------------------------------------------
def attention_rollout(attentions: Sequence[torch.Tensor], residual: bool = True) -> torch.Tensor:
    """Attention rollout (Abnar & Zuidema 2020): how much each token draws on each input token.

    For every block: average the heads, add the identity for the residual connection, renormalise
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
    model.eval()
    with torch.no_grad():
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
    return _normalize(m)


# -- drawing ----------------------------------------------------------------------------------
def overlay(image, heatmap, alpha: float = 0.5, cmap: str = "jet") -> np.ndarray:
    """Blend a heat map over an image: a pure function returning an RGB float array in ``[0, 1]``.

    Args:
        image: ``(C, H, W)`` tensor or ``(H, W[, C])`` array in ``[0, 1]``; grey images are repeated to RGB.
        heatmap: ``(H, W)`` values in ``[0, 1]`` (as returned by the CAMs).
        alpha: weight of the heat map (0 shows only the image).
        cmap: a matplotlib colormap name.

    Example:
        >>> overlay(torch.zeros(1, 4, 4), torch.ones(4, 4)).shape
        (4, 4, 3)
    """
    from matplotlib import colormaps

    img = image.detach().cpu().numpy() if isinstance(image, torch.Tensor) else np.asarray(image, dtype=float)
    if isinstance(image, torch.Tensor) and img.ndim == 3:
        img = img.transpose(1, 2, 0)                                         # (C, H, W) -> (H, W, C)
    if img.ndim == 2:
        img = img[..., None]
    if img.shape[-1] == 1:
        img = np.repeat(img, 3, axis=-1)
    h = heatmap.detach().cpu().numpy() if isinstance(heatmap, torch.Tensor) else np.asarray(heatmap, dtype=float)
    if h.shape != img.shape[:2]:
        raise ValueError(f"heatmap shape {h.shape} does not match the image's (H, W) {img.shape[:2]}; "
                         "compute the map at the image size (CAMs take size=)")
    if not 0 <= alpha <= 1:
        raise ValueError(f"alpha must lie in [0, 1]; got {alpha}")
    colour = colormaps[cmap](np.clip(h, 0, 1))[..., :3]
    return np.clip((1 - alpha) * np.clip(img, 0, 1) + alpha * colour, 0, 1)
