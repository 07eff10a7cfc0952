"""What the layers learn: first-layer filters, feature maps of any layer, and ViT attention maps.

Computation only (tensors and arrays); the drawing helpers at the bottom import matplotlib when
called, and :mod:`clskit.views.widgets.features` builds the interactive viewer on top.

Forward hooks record a layer's output while the model runs; :class:`FeatureExtractor` owns its
hooks and removes them on exit, so a model never keeps stray hooks after a plot.
"""
from __future__ import annotations

from contextlib import closing
from typing import Sequence

import numpy as np
import torch
import torch.nn as nn

from clskit.utils import normalize_maps


class FeatureExtractor:
    """Record the outputs of named layers during a forward pass (a context manager).

    Args:
        model: any ``nn.Module``.
        layers: dotted module names (see :func:`conv_layer_names` or ``model.named_modules()``).

    Example:
        >>> from clskit.models import create_model
        >>> m = create_model("small_cnn", in_chans=1)
        >>> with FeatureExtractor(m, ["features.0", "features.3"]) as fx:
        ...     maps = fx(torch.rand(2, 1, 8, 8))
        >>> maps["features.0"].shape
        torch.Size([2, 32, 8, 8])
        >>> len(m.features[0]._forward_hooks)   # hooks removed on exit
        0
    """

    def __init__(self, model: nn.Module, layers: Sequence[str]):
        modules = dict(model.named_modules())
        missing = [name for name in layers if name not in modules]
        if missing:
            hint = ", ".join(conv_layer_names(model)[:8])
            raise KeyError(f"model has no layer(s) {missing}; conv layers include: {hint} "
                           "(all names: [n for n, _ in model.named_modules()])")
        self.model, self.layers = model, list(layers)
        self._modules = [modules[name] for name in self.layers]
        self._handles: list = []
        self.features: dict[str, torch.Tensor] = {}

    def _hook(self, name: str):
        def record(module, inputs, output):
            self.features[name] = output.detach()
        return record

    def __enter__(self) -> "FeatureExtractor":
        self._handles = [m.register_forward_hook(self._hook(n)) for n, m in zip(self.layers, self._modules)]
        return self

    def __exit__(self, *exc) -> None:
        self.remove()

    def remove(self) -> None:
        """Remove the hooks (called on exit of the ``with`` block)."""
        for h in self._handles:
            h.remove()
        self._handles = []

    @torch.no_grad()
    def __call__(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        """Run the model (in eval mode, restored afterwards) and return ``{layer: output}``."""
        if not self._handles:
            raise RuntimeError("use the extractor inside `with FeatureExtractor(model, layers) as fx:`")
        from clskit.inference import running

        self.features = {}
        with running(self.model):
            self.model(x)
        return {name: self.features[name] for name in self.layers}


def feature_maps(model: nn.Module, x: torch.Tensor, layers: Sequence[str]) -> dict[str, torch.Tensor]:
    """Outputs of ``layers`` for images ``x`` ``(B, C, H, W)``: ``{name: (B, channels, h, w)}``.

    Example:
        >>> from clskit.models import create_model
        >>> m = create_model("small_cnn", in_chans=1)
        >>> {k: tuple(v.shape) for k, v in feature_maps(m, torch.rand(1, 1, 8, 8), ["features.6"]).items()}
        {'features.6': (1, 128, 2, 2)}
    """
    with FeatureExtractor(model, layers) as fx:
        return fx(x)


def conv_layer_names(model: nn.Module, depthwise: bool = False) -> list[str]:
    """Names of the model's ``Conv2d`` layers in forward order (depthwise ones skipped unless asked).

    Example:
        >>> from clskit.models import create_model
        >>> conv_layer_names(create_model("small_cnn"))[:2]
        ['features.0.0', 'features.1.0']
    """
    return [name for name, m in model.named_modules()
            if isinstance(m, nn.Conv2d) and (depthwise or m.groups == 1 or m.groups != m.in_channels)]


def pick_layers(model: nn.Module, names: Sequence[str] | None = None) -> dict[str, str]:
    """An early, a middle and a late layer: ``{"early": name, "middle": name, "late": name}``.

    Args:
        model: the network.
        names: candidate layers in forward order (default: :func:`conv_layer_names`).

    Example:
        >>> from clskit.models import create_model
        >>> pick_layers(create_model("small_cnn"))
        {'early': 'features.0.0', 'middle': 'features.4.0', 'late': 'features.7.0'}
    """
    names = list(names) if names is not None else conv_layer_names(model)
    if not names:
        raise ValueError(f"{type(model).__name__} has no Conv2d layers; pass the layer names to compare")
    return {"early": names[0], "middle": names[len(names) // 2], "late": names[-1]}


def first_layer_filters(model: nn.Module) -> torch.Tensor:
    """Weights of the first convolution, ``(out_channels, in_channels, kh, kw)`` (a detached copy).

    Example:
        >>> from clskit.models import create_model
        >>> first_layer_filters(create_model("small_cnn", in_chans=1)).shape
        torch.Size([32, 1, 3, 3])
    """
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            return m.weight.detach().cpu().clone()
    raise ValueError(f"{type(model).__name__} has no Conv2d layer (a ViT's first layer is its patch embedding)")


def tile(images: np.ndarray | torch.Tensor, ncols: int = 8, pad: int = 1, normalize: bool = True) -> np.ndarray:
    """Arrange ``(N, h, w)`` (grey) or ``(N, 3, h, w)`` (colour) images in one grid image.

    Each tile is scaled to ``[0, 1]`` on its own when ``normalize`` (filters and feature maps have
    arbitrary ranges); the padding is white (1).

    Example:
        >>> tile(np.zeros((5, 3, 3)), ncols=4).shape
        (7, 15)
    """
    a = images.detach().cpu().numpy() if isinstance(images, torch.Tensor) else np.asarray(images)
    colour = a.ndim == 4 and a.shape[1] == 3
    if not (a.ndim == 3 or colour):
        raise ValueError(f"tile expects (N, h, w) or (N, 3, h, w) images; got shape {a.shape}")
    if colour:
        a = a.transpose(0, 2, 3, 1)                                  # (N, h, w, 3)
    if normalize:   # one min-max per tile (all of a colour tile's channels together)
        a = normalize_maps(torch.as_tensor(a), dims=a.ndim - 1).numpy()
    n, h, w = a.shape[:3]
    ncols = max(1, min(ncols, n))
    nrows = -(-n // ncols)
    grid = np.ones((nrows * (h + pad) - pad, ncols * (w + pad) - pad) + a.shape[3:], dtype=np.float32)
    for k in range(n):
        r, c = divmod(k, ncols)
        grid[r * (h + pad):r * (h + pad) + h, c * (w + pad):c * (w + pad) + w] = a[k]
    return grid


def top_channels(maps: torch.Tensor, n: int = 16) -> torch.Tensor:
    """The ``n`` most active channels of one image's feature maps ``(C, h, w)`` (by mean activation).

    Example:
        >>> top_channels(torch.arange(3.).view(3, 1, 1).expand(3, 2, 2), n=2)[:, 0, 0]
        tensor([2., 1.])
    """
    if maps.ndim != 3:
        raise ValueError(f"expected one image's maps (C, h, w); got shape {tuple(maps.shape)}")
    order = maps.flatten(1).mean(1).argsort(descending=True)[:n]
    return maps[order]


def cls_attention(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """Where the class token looks, per block and head: ``(blocks, B, heads, grid, grid)``.

    ``model`` needs ``attention_maps(x)`` and ``grid_size`` (as :class:`~clskit.models.tiny_vit.TinyViT`).

    Example:
        >>> from clskit.models import create_model
        >>> cls_attention(create_model("tiny_vit", in_chans=1), torch.rand(2, 1, 16, 16)).shape
        torch.Size([4, 2, 4, 4, 4])
    """
    if not hasattr(model, "attention_maps"):
        raise TypeError(f"{type(model).__name__} has no attention_maps(x); use a model like create_model('tiny_vit')")
    from clskit.inference import running

    with running(model):
        maps = torch.stack(model.attention_maps(x))              # (blocks, B, heads, T, T)
    g = model.grid_size
    return maps[:, :, :, 0, 1:].reshape(*maps.shape[:3], g, g)  # class-token row, patches only


# -- drawing (matplotlib imported here only) -------------------------------------------------------
def plot_filters(model: nn.Module, ncols: int = 8, ax=None):
    """Show the first-layer filters as small images (colour for RGB inputs); returns the axes."""
    import matplotlib.pyplot as plt

    w = first_layer_filters(model)                               # (O, C, kh, kw)
    imgs = w if w.shape[1] == 3 else w[:, 0]
    ax = ax or plt.subplots(figsize=(min(12, ncols * 0.8), 2.5))[1]
    ax.imshow(tile(imgs, ncols), cmap=None if w.shape[1] == 3 else "RdBu_r", interpolation="nearest")
    ax.set_title(f"first-layer filters {tuple(w.shape)}")
    ax.axis("off")
    return ax


def plot_feature_maps(maps: torch.Tensor, n: int = 16, ncols: int = 8, title: str = "", ax=None):
    """Show the ``n`` most active channels of one image's maps ``(C, h, w)``; returns the axes."""
    import matplotlib.pyplot as plt

    ax = ax or plt.subplots(figsize=(6, 3))[1]
    ax.imshow(tile(top_channels(maps, n), ncols), cmap="viridis", interpolation="nearest")
    ax.set_title(title or f"{maps.shape[0]} maps of {maps.shape[1]}x{maps.shape[2]}")
    ax.axis("off")
    return ax


# -- the hierarchy, measured: pooled features and the size / receptive field of each layer ----------
def pooled_features(model: nn.Module, x: torch.Tensor, layers: Sequence[str], *, transform=None,
                    batch_size: int = 50) -> dict[str, torch.Tensor]:
    """Each layer's output averaged over its spatial positions: ``{name: (N, channels)}``.

    One vector per image and layer, the input of a linear probe that asks "how much does this layer
    already know about the classes?" (Alain & Bengio 2016, *Understanding intermediate layers using
    linear classifier probes*). Runs in batches, so a few hundred photos fit in memory.

    Args:
        model: the network (run in eval mode, restored afterwards).
        x: images ``(N, C, H, W)``, float in ``[0, 1]`` or ``uint8``.
        layers: dotted module names whose outputs are ``(N, C, h, w)`` maps.
        transform: batch preprocessing applied first (e.g. :func:`~clskit.models.pretrained.preprocess_for`).
        batch_size: images per forward pass.

    Example:
        >>> from clskit.models import create_model
        >>> m = create_model("small_cnn", in_chans=1)
        >>> {k: tuple(v.shape) for k, v in pooled_features(m, torch.rand(3, 1, 8, 8), ["features.0", "features.6"]).items()}
        {'features.0': (3, 32), 'features.6': (3, 128)}
    """
    from clskit.inference import run_batches

    if len(x) == 0:
        raise ValueError("pooled_features needs at least one image; x is empty")
    chunks: dict[str, list[torch.Tensor]] = {name: [] for name in layers}
    with FeatureExtractor(model, layers) as fx:
        # the inference loop, with the extractor's layer outputs as the forward pass
        batches = run_batches(model, torch.as_tensor(x), transform, forward=lambda _, xb: fx(xb),
                              batch_size=batch_size)
        with closing(batches):   # the model's modes are restored at once, also when a layer is refused below
            for maps, _ in batches:
                for name, m in maps.items():
                    if m.ndim != 4:
                        raise ValueError(f"layer {name!r} gives shape {tuple(m.shape)}, not (B, C, h, w) maps; "
                                         "pick a convolutional layer (see conv_layer_names(model))")
                    chunks[name].append(m.mean(dim=(2, 3)))         # (B, C): global average pooling
    return {name: torch.cat(parts) for name, parts in chunks.items()}


def describe_layers(model: nn.Module, layers: Sequence[str], size: int = 224, in_chans: int = 3) -> list[dict]:
    """Channels, map size, stride ("jump") and receptive field at the output of each layer.

    The receptive field follows the main path of conv and pooling layers in module order
    (:func:`clskit.models.scratch.receptive_field`): residual shortcuts add no pixels to it. The map
    size comes from one forward pass of a ``size`` x ``size`` input.

    Returns:
        One dict per layer: ``layer, channels, map, jump, receptive_field`` (receptive field in input
        pixels; it may exceed the image, then every unit sees the whole image).

    Example:
        >>> from clskit.models import create_model
        >>> [(r["map"], r["receptive_field"]) for r in describe_layers(create_model("small_cnn", in_chans=1),
        ...                                                          ["features.0", "features.2"], size=8, in_chans=1)]
        [(8, 3), (4, 6)]
    """
    from clskit.models.scratch import receptive_field

    order = [name for name, _ in model.named_modules()]
    missing = [name for name in layers if name not in order]
    if missing:
        raise KeyError(f"model has no layer(s) {missing}; conv layers include: {', '.join(conv_layer_names(model)[:8])}")
    rows = receptive_field(model)                                # [(name, rf, jump)] in module order
    position = {name: i for i, name in enumerate(order)}
    with FeatureExtractor(model, layers) as fx:    # its call leaves the model's mode as it was
        shapes = {name: tuple(m.shape) for name, m in fx(torch.zeros(1, in_chans, size, size)).items()}
    out = []
    for name in layers:
        # the last conv / pool at or inside this layer (a BatchNorm or activation keeps the field before it)
        end = max(i for i, n in enumerate(order) if n == name or n.startswith(name + "."))
        before = [(rf, jump) for n, rf, jump in rows if position[n] <= end]
        rf, jump = before[-1] if before else (1, 1)
        shape = shapes[name]
        out.append({"layer": name, "channels": shape[1], "map": shape[-1] if len(shape) == 4 else None,
                    "jump": jump, "receptive_field": rf})
    return out
