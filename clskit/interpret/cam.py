"""Class activation maps after pytorch-grad-cam: :class:`BaseCAM` owns the hooks and the forward and
backward pass; a variant overrides :meth:`BaseCAM.cam_weights`."""
from __future__ import annotations

from typing import Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F

from clskit.inference import running
from clskit.utils import normalize_maps


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


class BaseCAM:
    """Shared work of the class-activation-map family: hooks, forward, backward, resizing.

    Args:
        model: a classifier returning logits ``(B, num_classes)``; it runs in eval mode while a map is
            computed and is left in the mode it was in.
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
        self.model = model
        self.target_layer = target_layer if target_layer is not None else last_conv_layer(model)
        self.activations: torch.Tensor | None = None
        self.gradients: torch.Tensor | None = None
        self.logits: torch.Tensor | None = None
        self._leaf: torch.Tensor | None = None
        self._computing = False
        # A forward hook replaces A by a copy that starts a new graph (a full backward hook on the
        # module misbehaves with in-place ReLUs; pytorch/pytorch#61519).
        self._handle = self.target_layer.register_forward_hook(self._save)

    def _save(self, module, inputs, output):
        if not self._computing:                      # a forward pass of the model outside __call__: leave it alone
            return None
        # The layers before the target run without a graph (see __call__); from here on autograd
        # records, starting at a leaf copy of A. So the backward pass stops at the target layer and
        # no weight gradient is ever computed: a CAM costs about one forward pass, frozen weights or not.
        torch.set_grad_enabled(True)                 # undone when __call__'s no_grad block ends
        self._leaf = output.detach().requires_grad_(True)
        self.activations = self._leaf.detach()
        return self._leaf.clone()                    # a non-leaf, so in-place ops after the layer are allowed

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
        self.activations = self.gradients = self._leaf = None
        self._computing = True
        try:
            with running(self.model), torch.no_grad():   # the hook turns the graph on at the target layer
                logits = self.model(x.detach())
        finally:
            self._computing = False
        targets = _as_targets(targets, logits)
        if self._leaf is None or not logits.requires_grad:
            raise RuntimeError(f"the target layer {type(self.target_layer).__name__} produced no gradient; "
                               "pick a layer on the path from input to logits")
        with torch.enable_grad():                    # also when the caller is inside torch.no_grad()
            score = logits.gather(1, targets[:, None]).sum()
        # dy_c/dA only: torch.autograd.grad leaves the weights' .grad alone
        (grad,) = torch.autograd.grad(score, self._leaf, allow_unused=True)
        self.logits, self._leaf = logits.detach(), None
        if grad is None:
            raise RuntimeError(f"the target layer {type(self.target_layer).__name__} produced no gradient; "
                               "pick a layer on the path from input to logits")
        self.gradients = grad
        if self.activations.ndim != 4:
            raise ValueError(f"the target layer's output has shape {tuple(self.activations.shape)}; CAMs need "
                             "(B, K, h, w) feature maps (for a ViT use attention_rollout)")
        weights = self.cam_weights(self.activations, self.gradients)             # (B, K)
        cam = (weights[:, :, None, None] * self.activations).sum(1)              # (B, h, w)
        if relu:
            cam = cam.clamp(min=0)
        if normalize:
            cam = normalize_maps(cam)
        size = size or tuple(x.shape[-2:])
        cam = F.interpolate(cam[:, None], size=size, mode="bilinear", align_corners=False)[:, 0]
        return normalize_maps(cam) if normalize else cam

    def release(self) -> None:
        """Remove the hook from the target layer (safe to call twice)."""
        if getattr(self, "_handle", None) is not None:
            self._handle.remove()
            self._handle = None
        self.activations = self.gradients = self._leaf = None

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
