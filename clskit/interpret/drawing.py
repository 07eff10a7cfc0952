"""Drawing maps: :func:`overlay` blends one map over one image; :func:`explain` computes one method's maps
by name. The grid of an image row plus one overlay row per method and model is
:func:`clskit.interpret.camgrid.show_cam_grid`."""
from __future__ import annotations

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from clskit.inference import running
from clskit.utils import normalize_maps
from clskit.interpret.attention import rollout_map
from clskit.interpret.cam import CAMS
from clskit.interpret.gradients import saliency, smoothgrad


OVERLAY_CMAP = "jet"   # overlay()'s colours; show_cam_grid's colour bar uses the same


def overlay(image, heatmap, alpha: float = 0.5, cmap: str = OVERLAY_CMAP) -> np.ndarray:
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


# method name -> title in a figure: the one title table (explain, camgrid.show_cam_grid and the CAM viewer)
METHOD_TITLES = {"gradcam": "Grad-CAM", "gradcam++": "Grad-CAM++", "saliency": "saliency",
                 "smoothgrad": "SmoothGrad", "rollout": "attention rollout"}


def explain(model: nn.Module, images: torch.Tensor, method: str = "gradcam", targets=None,
            layer: nn.Module | str | None = None, size: tuple[int, int] | None = None) -> torch.Tensor:
    """Heat maps ``(B, H, W)`` in ``[0, 1]`` of one method, chosen by name: the kit's one dispatch.

    :func:`clskit.interpret.camgrid.show_cam_grid` and the CAM viewer call it. Every map is scaled to ``[0, 1]``
    on its own with :func:`clskit.utils.normalize_maps` (min-max).

    Args:
        model: a classifier returning logits (run in eval mode, then left in the mode it was in).
        images: ``(B, C, H, W)`` float images (as the model takes them).
        method: ``"gradcam"``, ``"gradcam++"`` (the classes in ``CAMS``), ``"saliency"``,
            ``"smoothgrad"`` or ``"rollout"`` (a ViT with ``attention_maps``): a key of :data:`METHOD_TITLES`.
        targets: the class to explain per image (default: the predicted class; rollout has none).
        layer: the CAM target layer (a module or its name; default: the last conv layer).
        size: ``(H, W)`` of the maps (default: the images' size); coarser maps are upsampled bilinearly.

    Example:
        >>> from clskit.models import create_model
        >>> explain(create_model("small_cnn", in_chans=1).eval(), torch.rand(2, 1, 8, 8), "gradcam++").shape
        torch.Size([2, 8, 8])
    """
    if method not in METHOD_TITLES:
        raise ValueError(f"unknown method {method!r}; choose from {', '.join(METHOD_TITLES)}")
    size = tuple(size) if size is not None else tuple(images.shape[-2:])
    if method in CAMS:
        with CAMS[method](model, layer) as cam:
            return cam(images, targets=targets, size=size)
    with running(model):
        if method == "rollout":
            maps = rollout_map(model, images)
        else:
            maps = (saliency if method == "saliency" else smoothgrad)(model, images, targets)
    if tuple(maps.shape[-2:]) != size:
        maps = F.interpolate(maps[:, None], size=size, mode="bilinear", align_corners=False)[:, 0]
    return normalize_maps(maps)
