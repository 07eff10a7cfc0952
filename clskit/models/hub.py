"""Hub weights from timm and torchvision (these need internet the first time; then they are cached).

``create_model("tv:resnet18", pretrained=True)`` and ``create_model("resnet18", pretrained=True)``
(a timm name) end up here. When the download fails (no network, a firewall, a proxy), the error
says so and names the backbone that works offline: ``"efficientnet_lite0"``.
"""
from __future__ import annotations

import torch.nn as nn

from clskit.models.pretrained_cfg import make_pretrained_cfg

OFFLINE_BACKBONE = "efficientnet_lite0"


class PretrainedWeightsUnavailable(RuntimeError):
    """Raised when hub weights cannot be downloaded (offline, blocked, or no such weights)."""


def _offline_error(what: str, err: BaseException) -> PretrainedWeightsUnavailable:
    return PretrainedWeightsUnavailable(
        f"could not download the pretrained weights of {what} ({type(err).__name__}: {err}). "
        f"Are you offline? The kit ships one backbone that needs no network: "
        f"create_model({OFFLINE_BACKBONE!r}, pretrained=True, num_classes=...). "
        "Or connect once to fill the cache (~/.cache/torch, ~/.cache/huggingface)."
    )


# What a failed download raises: urllib (torchvision), requests / huggingface_hub (timm), sockets.
def _download_errors() -> tuple[type[BaseException], ...]:
    errs: list[type[BaseException]] = [OSError, ConnectionError, TimeoutError]  # URLError is an OSError
    try:
        import requests
        errs.append(requests.exceptions.RequestException)
    except ImportError:
        pass
    try:
        from huggingface_hub.errors import HfHubHTTPError, LocalEntryNotFoundError
        errs += [HfHubHTTPError, LocalEntryNotFoundError]
    except ImportError:
        pass
    return tuple(errs)


def create_torchvision_model(name: str, *, num_classes: int = 1000, pretrained: bool = True, **kw) -> nn.Module:
    """A torchvision classifier by name, with the head replaced when ``num_classes`` is not 1000.

    Args:
        name: a torchvision model name (``torchvision.models.list_models()``), e.g. ``"resnet18"``.
        num_classes: outputs of the classifier head.
        pretrained: must be ``True`` (this loads the default ImageNet weights, downloaded once, then
            cached); random weights come from ``create_model("tv:<name>", pretrained=False)``.
        **kw: passed to ``torchvision.models.get_model``.

    The model gets ``pretrained_cfg`` (mean, std, input size, ``label_names``) like timm models, so
    :func:`clskit.models.pretrained.preprocess_for` works on it.

    Example:
        >>> create_torchvision_model("resnet18", num_classes=3)(torch.zeros(1, 3, 64, 64)).shape  # doctest: +SKIP
        torch.Size([1, 3])
    """
    import torchvision

    known = torchvision.models.list_models()
    if name not in known:
        raise KeyError(f"unknown torchvision model {name!r}; e.g. {', '.join(known[:6])}, ... "
                       "(see torchvision.models.list_models())")
    if not pretrained:
        raise ValueError(f"create_torchvision_model loads hub weights; for random weights use "
                         f"create_model('tv:{name}', pretrained=False, num_classes={num_classes})")
    weights = torchvision.models.get_model_weights(name).DEFAULT
    try:
        model = torchvision.models.get_model(name, weights=weights, **kw)
    except _download_errors() as e:
        raise _offline_error(f"torchvision model {name!r}", e) from None
    tfm = weights.transforms()
    size = getattr(tfm, "crop_size", [224])[0]
    model.pretrained_cfg = make_pretrained_cfg(
        mean=tfm.mean, std=tfm.std, input_size=(3, size, size), tag=str(weights), source="torchvision",
        label_names=weights.meta["categories"] if num_classes == len(weights.meta["categories"]) else None)
    if num_classes != len(weights.meta["categories"]):
        from clskit.models.heads import replace_head
        replace_head(model, num_classes)
    return model


def create_timm_pretrained(name: str, *, num_classes: int = 1000, in_chans: int = 3, **kw) -> nn.Module:
    """A timm model with its hub weights (Hugging Face Hub; downloaded once, then cached).

    Args:
        name: a timm model name with pretrained weights (``timm.list_models(pretrained=True)``).
        num_classes: outputs of the classifier; another number than the weights' replaces the head.
        in_chans: input channels (timm adapts the first convolution).
        **kw: passed to ``timm.create_model``.

    Example:
        >>> create_timm_pretrained("resnet18", num_classes=3)  # doctest: +SKIP
    """
    import timm

    # asked before loading, from timm's registry (not by reading an error message): not a network problem
    if timm.is_model(name) and not timm.is_model_pretrained(name):
        raise PretrainedWeightsUnavailable(
            f"timm has no pretrained weights for {name!r}; see timm.list_models(pretrained=True) "
            f"or use {OFFLINE_BACKBONE!r}")
    try:
        return timm.create_model(name, pretrained=True, num_classes=num_classes, in_chans=in_chans, **kw)
    except _download_errors() as e:
        raise _offline_error(f"timm model {name!r}", e) from None
