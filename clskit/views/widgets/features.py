"""Feature-map viewer: pick an image and a layer; see what that layer responds to.

For a CNN the layers are convolutions (early ones respond to edges and blobs, late ones to whole
parts of the digit or object); for a ViT (a model with ``attention_maps``) the "layers" are its
blocks and the view shows where each head's class token looks. Built once; moving a control calls
:mod:`clskit.models.features` and updates one ``ipywidgets.Image`` in place. Hooks live only while a
map is computed.

Example:
    >>> v = FeatureMapViewer(model, images)                   # doctest: +SKIP
    >>> v.index.value = 3; v.layer.value = v.layer.options[-1][1]   # doctest: +SKIP
    >>> v.maps.shape                                            # doctest: +SKIP
"""
from __future__ import annotations

from typing import Callable, Mapping, Sequence

import torch
import torch.nn as nn

from clskit.models.features import cls_attention, conv_layer_names, feature_maps, tile, top_channels
from clskit.views.png import array_to_png
from clskit.utils import as_float_images
from clskit.views.widgets.view import WidgetView
from clskit.views.widgets._html import esc




class FeatureMapViewer(WidgetView):
    """Image slider + layer dropdown; shows the image and the most active maps of that layer.

    Args:
        model: a CNN (any module with Conv2d layers) or a ViT with ``attention_maps`` and ``grid_size``.
        images: ``(N, C, H, W)`` float in ``[0, 1]`` or uint8, as displayed.
        layers: the layers offered: a list of module names or ``{label: name}`` (default: every
            non-depthwise conv; for a ViT, every block).
        transform: batch transform applied before the model (for example ``preprocess_for(model)``).
        n: maps shown (the most active channels, or every head for a ViT).
        scale: display magnification of the maps (nearest-neighbour).

    Attributes:
        index, layer: the controls (set ``.value`` to drive the viewer from Python).
        maps: the ``(n, h, w)`` maps shown; ``picture`` and ``image``: the ``ipywidgets.Image`` s of the
        input and of the maps; ``info``: an HTML caption; ``widget``: the whole view.
    """

    def __init__(self, model: nn.Module, images, layers: Sequence[str] | Mapping[str, str] | None = None,
                 transform: Callable | None = None, n: int = 16, scale: int = 6):
        import ipywidgets as W

        images = torch.as_tensor(images)
        if images.ndim != 4:
            raise ValueError(f"images must be (N, C, H, W); got shape {tuple(images.shape)}")
        self.images = as_float_images(images)
        self.model, self.transform, self.n, self.scale = model, transform, n, scale   # each map restores its mode
        self.is_vit = hasattr(model, "attention_maps")
        if layers is None:
            layers = ({f"block {i + 1}": str(i) for i in range(len(model.blocks))} if self.is_vit
                      else conv_layer_names(model))
        options = list(layers.items()) if isinstance(layers, Mapping) else [(name, name) for name in layers]
        if not options:
            raise ValueError(f"{type(model).__name__} has no layers to show; pass layers=[...] (module names)")
        self.index = W.IntSlider(0, min=0, max=len(self.images) - 1, description="image")
        self.layer = W.Dropdown(options=options, value=options[0][1], description="layer")
        self.picture = W.Image(format="png")
        self.image = W.Image(format="png")
        self.info = W.HTML()
        self.index.observe(self._update, names="value")
        self.layer.observe(self._update, names="value")
        self.widget = W.VBox([W.HBox([self.index, self.layer]), W.HBox([self.picture, self.image]), self.info])
        self.maps: torch.Tensor | None = None
        self._update()

    def _update(self, change=None) -> None:
        x = self.images[self.index.value][None]                           # (1, C, H, W)
        shown = x[0] if x.shape[1] == 3 else x[0, 0]
        self.picture.value = array_to_png(shown.permute(1, 2, 0).numpy() if shown.ndim == 3 else shown.numpy(),
                                          max(1, 96 // x.shape[-1]), cmap="gray_r")
        xin = self.transform(x) if self.transform is not None else x
        if self.is_vit:
            block = int(self.layer.value)
            self.maps = cls_attention(self.model, xin)[block, 0]          # (heads, grid, grid)
            what = f"class-token attention of the {len(self.maps)} heads"
        else:
            out = feature_maps(self.model, xin, [self.layer.value])[self.layer.value][0]   # (C, h, w)
            self.maps = top_channels(out, self.n)
            what = f"the {len(self.maps)} most active of {out.shape[0]} channels"
        h = self.maps.shape[-1]
        self.image.value = array_to_png(tile(self.maps, ncols=8), max(1, self.scale * 16 // max(h, 1) // 2))
        self.info.value = (f"<b>{esc(self.layer.label)}</b>: {what}, each {self.maps.shape[-2]}x{h} "
                           "(bright = strong response; each map scaled on its own)")
