"""A heat-map viewer: pick an image, a class and a method; see where the model looks.

Built once (controls, one ``ipywidgets.Image`` updated in place, an HTML panel of the top
predictions); moving a control calls the pure functions of :mod:`clskit.interpret` (the maps, through
:func:`~clskit.interpret.explain`) and :mod:`clskit.inference` (the predictions) and re-renders.
Hooks are attached only while a map is computed, and the model's mode is restored after each, so the
viewer leaves the model as it found it.

A redraw does only the work that changed: the predictions of each image (one forward pass) and each
(image, class, method) map are computed once and kept, so going back to an image, or moving the
heat-map slider, only blends and encodes a small PNG. The CAMs themselves cost about one forward
pass (:class:`clskit.interpret.BaseCAM` back-propagates from the target layer only).

Example:
    >>> v = CAMViewer(model, images, classes, targets=targets)     # doctest: +SKIP
    >>> v.index.value = 5; v.target.value = 2; v.method.value = "gradcam++"  # doctest: +SKIP
    >>> v.top_predictions                                             # doctest: +SKIP
"""
from __future__ import annotations

from typing import Sequence

import torch
import torch.nn as nn

from clskit.inference import predict_probs
from clskit.interpret import METHOD_TITLES, explain, overlay
from clskit.views.png import array_to_png
from clskit.utils import as_float_images
from clskit.views.widgets.view import WidgetView
from clskit.views.widgets._html import esc

PREDICTED = -1  # the class dropdown's value for "explain the predicted class"


def heatmap_for(model: nn.Module, image: torch.Tensor, target: int | None, method: str = "gradcam",
                target_layer: nn.Module | None = None) -> torch.Tensor:
    """One ``(H, W)`` heat map in ``[0, 1]`` for ``image`` ``(C, H, W)`` and class ``target``.

    Args:
        method: a key of :data:`~clskit.interpret.METHOD_TITLES` (see :func:`~clskit.interpret.explain`):
            ``"gradcam"``, ``"gradcam++"``, ``"saliency"``, ``"smoothgrad"`` or ``"rollout"`` (ViTs with
            ``attention_maps``; class-independent).
        target: class index, or ``None`` for the predicted class.

    Example:
        >>> from clskit.models import create_model
        >>> heatmap_for(create_model("small_cnn", in_chans=1), torch.rand(1, 8, 8), 3).shape
        torch.Size([8, 8])
    """
    targets = None if target is None else [target]
    return explain(model, image[None].float(), method, targets=targets, layer=target_layer)[0]


class CAMViewer(WidgetView):
    """Image slider, class and method dropdowns, a heat map over the image, and the top predictions.

    Args:
        model: a classifier returning logits.
        images: ``(N, C, H, W)`` float in ``[0, 1]`` or uint8, in the form the model takes.
        classes: class names.
        targets: optional ``(N,)`` true labels (shown next to the predictions).
        methods: the methods offered (see :func:`heatmap_for`); the first is shown first. For ViTs
            (models with ``attention_maps``) ``"rollout"`` is added in front.
        target_layer: layer for the CAMs (default: the last conv).
        top_k: predictions listed.
        scale: display magnification (nearest-neighbour, so pixels stay visible).

    Attributes:
        index, target, method, alpha: the controls (set ``.value`` to drive the viewer from Python).
        image: the ``ipywidgets.Image`` showing the overlay; ``info``: the HTML predictions panel.
        heatmap: the ``(H, W)`` map shown; ``top_predictions``: ``[(class, prob), ...]``.
        widget: the whole view.
    """

    def __init__(self, model: nn.Module, images, classes: Sequence[str], targets=None,
                 methods: Sequence[str] = ("gradcam", "gradcam++", "saliency", "smoothgrad"),
                 target_layer: nn.Module | None = None, top_k: int = 3, scale: int = 6):
        import ipywidgets as W

        images = torch.as_tensor(images)
        if images.ndim != 4:
            raise ValueError(f"images must be (N, C, H, W); got shape {tuple(images.shape)}")
        self.images = as_float_images(images)
        self.model, self.classes, self.target_layer = model, list(classes), target_layer
        self.targets = None if targets is None else torch.as_tensor(targets)
        self.top_k, self.scale = min(top_k, len(self.classes)), scale
        methods = list(methods)
        if hasattr(model, "attention_maps") and "rollout" not in methods:
            methods.insert(0, "rollout")  # a ViT: start with its attention
        self.index = W.IntSlider(0, min=0, max=len(self.images) - 1, description="image")
        self.target = W.Dropdown(options=[("predicted", PREDICTED)] + [(c, i) for i, c in enumerate(self.classes)],
                                 value=PREDICTED, description="class")
        self.method = W.Dropdown(options=[(METHOD_TITLES.get(m, m), m) for m in methods], value=methods[0],
                                 description="method")
        self.alpha = W.FloatSlider(0.5, min=0.0, max=1.0, step=0.05, description="heat map")
        self.image = W.Image(format="png")
        self.info = W.HTML()
        for control in (self.index, self.target, self.method, self.alpha):
            control.observe(self._update, names="value")
        self.widget = W.VBox([W.HBox([self.index, self.target]), W.HBox([self.method, self.alpha]),
                              W.HBox([self.image, self.info])])
        self.heatmap: torch.Tensor | None = None
        self.top_predictions: list[tuple[str, float]] = []
        self._probs: dict[int, torch.Tensor] = {}                    # image index -> (num_classes,) probabilities
        self._maps: dict[tuple[int, int, str], torch.Tensor] = {}    # (image, class, method) -> (H, W) map
        self._update()

    def probabilities(self, i: int) -> torch.Tensor:
        """The model's class probabilities for image ``i``, computed on the first visit and kept."""
        if i not in self._probs:
            self._probs[i] = predict_probs(self.model, self.images[i][None])[0]
        return self._probs[i]

    def map_for(self, i: int, target: int, method: str) -> torch.Tensor:
        """The ``(H, W)`` map of ``method`` for image ``i`` and class ``target``, computed once and kept."""
        key = (i, target, method)
        if key not in self._maps:
            self._maps[key] = heatmap_for(self.model, self.images[i], target, method, self.target_layer)
        return self._maps[key]

    def _update(self, change=None) -> None:
        i = self.index.value
        top = self.probabilities(i).topk(self.top_k)
        self.top_predictions = [(self.classes[c], float(p)) for p, c in zip(top.values, top.indices)]
        # "predicted" is the top class, so its map is shared with choosing that class by name
        target = int(top.indices[0]) if self.target.value == PREDICTED else int(self.target.value)
        explained = self.classes[target]
        self.heatmap = self.map_for(i, target, self.method.value)
        self.image.value = array_to_png(overlay(self.images[i], self.heatmap, alpha=self.alpha.value), self.scale)
        rows = "".join(f"<tr><td>{esc(c)}</td><td style='text-align:right'>{p:.1%}</td></tr>" for c, p in self.top_predictions)
        truth = "" if self.targets is None else f"<p>true class: <b>{esc(self.classes[int(self.targets[self.index.value])])}</b></p>"
        self.info.value = (f"<div style='padding-left:1em'>{truth}<p>top predictions</p><table>{rows}</table>"
                           f"<p>map explains: <b>{esc(explained)}</b> ({esc(self.method.value)})</p></div>")
