"""Drawing maps: :func:`overlay` blends one map over one image; :func:`show_cams` draws an image row
plus one overlay row per method (or per model, with :func:`show_map_grid`)."""
from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np
import torch
import torch.nn as nn

from .attention import rollout_map
from .cam import CAMS
from .gradients import saliency, smoothgrad


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


# method name -> title in a figure; every name works in explain() and show_cams()
METHOD_TITLES = {"gradcam": "Grad-CAM", "gradcam++": "Grad-CAM++", "saliency": "saliency",
                 "smoothgrad": "SmoothGrad", "rollout": "attention rollout"}


def explain(model: nn.Module, images: torch.Tensor, method: str = "gradcam", targets=None,
            layer: nn.Module | str | None = None) -> torch.Tensor:
    """Heat maps ``(B, H, W)`` in ``[0, 1]`` of one method, chosen by name.

    Args:
        model: a classifier returning logits (put in eval mode).
        images: ``(B, C, H, W)`` float images (as the model takes them).
        method: ``"gradcam"``, ``"gradcam++"`` (the classes in ``CAMS``), ``"saliency"``,
            ``"smoothgrad"`` (scaled by each map's maximum) or ``"rollout"`` (a ViT with ``attention_maps``).
        targets: the class to explain per image (default: the predicted class).
        layer: the CAM target layer (a module or its name; default: the last conv layer).

    Example:
        >>> from clskit.models import create_model
        >>> explain(create_model("small_cnn", in_chans=1).eval(), torch.rand(2, 1, 8, 8), "gradcam++").shape
        torch.Size([2, 8, 8])
    """
    model.eval()
    if method in CAMS:
        with CAMS[method](model, layer) as cam:
            return cam(images, targets=targets)
    if method in ("saliency", "smoothgrad"):
        maps = (saliency if method == "saliency" else smoothgrad)(model, images, targets)
        return maps / maps.amax(dim=(1, 2), keepdim=True).clamp(min=1e-12)
    if method == "rollout":
        return rollout_map(model, images)
    raise ValueError(f"unknown method {method!r}; choose from {', '.join(METHOD_TITLES)}")


def show_map_grid(images: torch.Tensor, rows: Mapping[str, torch.Tensor | tuple[torch.Tensor, Sequence[str]]],
                  titles: Sequence[str] | None = None, *, raw: Sequence[str] = (), alpha: float = 0.5,
                  cmap: str = "jet", size: float = 1.5):
    """Draw an image row plus one row per entry of ``rows``: each map blended over its image.

    Args:
        images: ``(B, C, H, W)`` float images in ``[0, 1]`` (grey images are drawn grey).
        rows: row label -> maps ``(B, h, w)``, or ``(maps, per-image titles)``. Maps at the image
            size are overlaid; rows named in ``raw`` (or maps of another size) are drawn as plain heat maps.
        titles: a title above each image of the first row.
        raw: row labels to draw as plain heat maps instead of overlays.
        alpha: weight of the heat map in an overlay.
        cmap: colormap of the maps.
        size: inches per cell.

    Returns:
        the matplotlib ``Figure`` (call ``plt.show()`` in a notebook).

    Example:
        >>> import matplotlib; matplotlib.use("Agg")
        >>> x = torch.rand(3, 3, 8, 8)
        >>> fig = show_map_grid(x, {"a map": torch.rand(3, 8, 8)}, titles=["x", "y", "z"])
        >>> len(fig.axes)
        6
    """
    import matplotlib.pyplot as plt

    if images.ndim != 4:
        raise ValueError(f"images must be a batch (B, C, H, W); got shape {tuple(images.shape)}")
    n = len(images)
    fig, axes = plt.subplots(1 + len(rows), n, figsize=(size * n, size * (1 + len(rows)) + 0.3), squeeze=False)
    grey = images.shape[1] == 1
    for i in range(n):
        img = images[i].detach().float().cpu()
        axes[0, i].imshow((img[0] if grey else img.permute(1, 2, 0).clamp(0, 1)).numpy(), cmap="gray" if grey else None,
                          vmin=0, vmax=1)
        if titles is not None:
            axes[0, i].set_title(str(titles[i]), fontsize=8)
    for r, (label, value) in enumerate(rows.items(), start=1):
        maps, row_titles = value if isinstance(value, tuple) else (value, None)
        if len(maps) != n:
            raise ValueError(f"row {label!r} has {len(maps)} maps for {n} images; pass one map per image")
        for i in range(n):
            m = maps[i].detach().float().cpu()
            if label in raw or tuple(m.shape) != tuple(images.shape[-2:]):
                axes[r, i].imshow(m.numpy(), cmap="inferno")
            else:
                axes[r, i].imshow(overlay(images[i].detach().float().cpu(), m, alpha=alpha, cmap=cmap))
            if row_titles is not None:
                axes[r, i].set_title(str(row_titles[i]), fontsize=8)
        axes[r, 0].set_ylabel(label, fontsize=9)
    for ax in axes.flat:
        ax.set_xticks([])
        ax.set_yticks([])
        for spine in ax.spines.values():
            spine.set_visible(False)
    fig.tight_layout()
    return fig


def show_cams(model: nn.Module, images: torch.Tensor, methods: Sequence[str] = ("gradcam", "gradcam++", "saliency"),
              targets=None, layer: nn.Module | str | None = None, *, titles: Sequence[str] | None = None,
              alpha: float = 0.5, size: float = 1.5):
    """An image row plus one overlay row per explanation method, for the same images and classes.

    Each method is dispatched by name (:func:`explain`; the CAMs come from ``CAMS``), all explain
    the same ``targets`` (default: the class the model predicts for each image).

    Args:
        model: a classifier returning logits (put in eval mode).
        images: ``(B, C, H, W)`` float images in ``[0, 1]``.
        methods: names from ``METHOD_TITLES``: ``"gradcam"``, ``"gradcam++"``, ``"saliency"``,
            ``"smoothgrad"``, ``"rollout"``.
        targets: the class to explain per image (one int for all, one per image, or ``None``).
        layer: the CAM target layer (a module or its name; default: the last conv layer).
        titles: a title above each image (e.g. ``"true -> predicted"``).
        alpha, size: as in :func:`show_map_grid`.

    Returns:
        the matplotlib ``Figure``; ``fig.maps`` holds the maps by method name.

    Example:
        >>> import matplotlib; matplotlib.use("Agg")
        >>> from clskit.models import create_model
        >>> fig = show_cams(create_model("small_cnn", in_chans=1).eval(), torch.rand(4, 1, 8, 8))
        >>> len(fig.axes), sorted(fig.maps)
        (16, ['gradcam', 'gradcam++', 'saliency'])
    """
    if not methods:
        raise ValueError("methods is empty; pass names such as ('gradcam', 'saliency')")
    unknown = [m for m in methods if m not in METHOD_TITLES]
    if unknown:
        raise ValueError(f"unknown methods {unknown}; choose from {', '.join(METHOD_TITLES)}")
    model.eval()
    if targets is None:
        with torch.no_grad():
            targets = model(images).argmax(1)   # one class per image, the same for every method
    maps = {m: explain(model, images, m, targets=targets, layer=layer) for m in methods}
    fig = show_map_grid(images, {METHOD_TITLES[m]: v for m, v in maps.items()}, titles, alpha=alpha, size=size)
    fig.maps = maps
    return fig
