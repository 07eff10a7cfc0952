"""One figure for comparing explanation maps: a row of images, then one overlay row per method.

Notebook 11 draws this grid several times (methods side by side, a cued and a clean model, a ViT's
attention), so it lives here as one call. A method given by name (a key of
:data:`clskit.interpret.METHOD_TITLES`: ``"gradcam"``, ``"gradcam++"``, ``"saliency"``, ``"smoothgrad"``,
``"rollout"``) is computed by :func:`clskit.interpret.explain`; a callable or a precomputed tensor works
too. Computing and drawing stay apart: the function returns the maps it drew.

Example:
    >>> from clskit.models import create_model
    >>> maps = show_cam_grid(create_model("small_cnn", num_classes=3).eval(), torch.rand(2, 3, 16, 16),
    ...                      ["gradcam", "saliency"], show=False)        # doctest: +SKIP
    >>> sorted(maps)                                                    # doctest: +SKIP
    ['Grad-CAM', 'saliency']
"""
from __future__ import annotations

from typing import Callable, Mapping, Sequence, Union

import torch
import torch.nn as nn

from clskit import interpret
from clskit.interpret.drawing import OVERLAY_CMAP
from clskit.utils import as_float_images, normalize_maps

Method = Union[str, Callable, torch.Tensor]


def show_cam_grid(model: nn.Module | Mapping[str, nn.Module] | None, images: torch.Tensor,
                  methods: Sequence[Method] | Mapping[str, Method] = ("gradcam", "gradcam++", "saliency"), *,
                  targets=None, transform: Callable | None = None, target_layer: nn.Module | str | None = None,
                  classes: Sequence[str] | None = None, titles: Sequence[str] | None = None,
                  alpha: float = 0.5, cell: float = 1.6, colorbar: bool = True,
                  show: bool = True) -> dict[str, torch.Tensor]:
    """Draw ``images`` in the first row and, below, one row of heat-map overlays per (model, method).

    Args:
        model: the classifier to explain, or ``{"label": model, ...}`` for one block of rows per model
            (rows are then labelled ``"label: method"``); ``None`` when every method is a tensor.
        images: ``(B, C, H, W)`` floats in ``[0, 1]`` (what is drawn).
        methods: names (a key of :data:`clskit.interpret.METHOD_TITLES`, computed by
            :func:`clskit.interpret.explain`), callables ``fn(model, x) -> (B, h, w)``, or precomputed
            ``(B, h, w)`` maps (coarser maps are upsampled to the image); a dict gives the rows their labels.
        targets: the class to explain per image (or one for all); ``None`` explains the predicted class.
        transform: applied to ``images`` before the model sees them (e.g. ``preprocess_for(model)``).
        target_layer: layer for the CAMs (default: the last conv).
        classes: class names; when given, every overlay is titled with the model's prediction.
        titles: one title per image for the first row.
        alpha: weight of the heat map in the overlay.
        cell: inches per grid cell.
        colorbar: add one colour bar beside the overlay rows, for the heat scale they share (each map is
            scaled to [0, 1] on its own, so the bar reads "least" to "most" of that map).
        show: call ``plt.show()``; with ``False`` the figure stays open (``plt.gcf()``).

    Returns:
        ``{row label: (B, H, W) maps scaled to [0, 1] per image}``, in row order.

    Example:
        >>> from clskit.models import create_model
        >>> m = create_model("small_cnn", num_classes=3).eval()
        >>> maps = show_cam_grid(m, torch.rand(2, 3, 16, 16), ["gradcam", "saliency"], show=False)
        >>> {k: tuple(v.shape) for k, v in maps.items()}
        {'Grad-CAM': (2, 16, 16), 'saliency': (2, 16, 16)}
    """
    import matplotlib.pyplot as plt

    images = torch.as_tensor(images)
    if images.ndim != 4:
        raise ValueError(f"images must be a batch (B, C, H, W); got shape {tuple(images.shape)}. "
                         "Add a batch axis with x[None].")
    images = as_float_images(images)
    if titles is not None and len(titles) != len(images):
        raise ValueError(f"got {len(titles)} titles for {len(images)} images; pass one per image or None")
    models = model if isinstance(model, Mapping) else {"": model}
    methods = dict(methods) if isinstance(methods, Mapping) else {_label(m, i): m for i, m in enumerate(methods)}
    if not methods:
        raise ValueError("methods is empty; pass at least one, e.g. ['gradcam']")
    x = transform(images) if transform is not None else images

    rows: dict[str, tuple[torch.Tensor, torch.Tensor | None]] = {}
    for model_label, m in models.items():
        for method_label, method in methods.items():
            label = f"{model_label}: {method_label}" if model_label else method_label
            rows[label] = _maps(m, x, method, targets, target_layer, tuple(images.shape[-2:]), classes is not None)

    b = len(images)
    bar_width = 0.9 if colorbar else 0.0                  # inches kept at the right for the colour bar
    fig, axes = plt.subplots(1 + len(rows), b, figsize=(cell * b + bar_width, cell * (1 + len(rows)) + 0.2),
                             squeeze=False)
    for i in range(b):
        axes[0, i].imshow(images[i].permute(1, 2, 0).clamp(0, 1).squeeze(-1).numpy(),
                          cmap="gray" if images.shape[1] == 1 else None)
        if titles is not None:
            axes[0, i].set_title(str(titles[i]), fontsize=8)
    for r, (label, (maps, logits)) in enumerate(rows.items(), start=1):
        for i in range(b):
            axes[r, i].imshow(interpret.overlay(images[i], maps[i], alpha=alpha))
            if classes is not None and logits is not None:
                axes[r, i].set_title(classes[int(logits[i].argmax())], fontsize=8)
        axes[r, 0].set_ylabel(label, fontsize=9)
    for ax in axes.flat:
        ax.set_xticks([])
        ax.set_yticks([])
        for spine in ax.spines.values():
            spine.set_visible(False)
    fig.tight_layout(rect=(0, 0, 1 - bar_width / fig.get_figwidth(), 1))
    if colorbar:
        _add_colorbar(fig, axes[1:], bar_width)
    if show:
        plt.show()
    return {label: maps for label, (maps, _) in rows.items()}


def _add_colorbar(fig, overlay_axes, bar_width: float) -> None:
    """One colour bar at the right of the figure, as tall as the overlay rows: the colours of ``overlay``."""
    import matplotlib as mpl

    top, bottom = overlay_axes[0, -1].get_position(), overlay_axes[-1, -1].get_position()
    left = 1 - 0.75 * bar_width / fig.get_figwidth()
    cax = fig.add_axes((left, bottom.y0, 0.12 / fig.get_figwidth(), top.y1 - bottom.y0))
    bar = fig.colorbar(mpl.cm.ScalarMappable(mpl.colors.Normalize(0, 1), cmap=OVERLAY_CMAP), cax=cax,
                       ticks=[0, 0.5, 1])
    bar.set_label("heat (each map scaled to [0, 1])", fontsize=8)
    bar.ax.tick_params(labelsize=7)


def _label(method: Method, i: int) -> str:
    if isinstance(method, str):
        return interpret.METHOD_TITLES.get(method, method)
    return getattr(method, "__name__", f"method {i}")


def _maps(model, x, method, targets, target_layer, size, need_logits=True) -> tuple[torch.Tensor, torch.Tensor | None]:
    """``(B, H, W)`` maps in [0, 1] and the logits (``None`` when the method gives none)."""
    from clskit.inference import predict_logits

    if isinstance(method, torch.Tensor):
        if method.ndim != 3 or len(method) != len(x):
            raise ValueError(f"precomputed maps have shape {tuple(method.shape)}; expected ({len(x)}, h, w), "
                             "one map per image")
        return normalize_maps(_resize(method.detach().float(), size)), None
    if model is None:
        raise ValueError("model is None but a method needs one; pass the model, or only precomputed maps")
    if isinstance(method, str):
        maps = interpret.explain(model, x, method, targets=targets, layer=target_layer, size=size)
    elif callable(method):
        maps = normalize_maps(_resize(torch.as_tensor(method(model, x)).detach().float(), size))
    else:
        raise ValueError(f"unknown method {method!r}; use one of {sorted(interpret.METHOD_TITLES)}, a callable "
                         "fn(model, x) or a tensor of maps")
    logits = predict_logits(model, x)[0] if need_logits else None
    return maps, logits


def _resize(maps: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    # a coarse map (a ViT's patch grid) is upsampled to the image, as the CAMs do
    if tuple(maps.shape[-2:]) == size:
        return maps
    return torch.nn.functional.interpolate(maps[:, None], size=size, mode="bilinear", align_corners=False)[:, 0]
