"""One way to make a model: ``create_model(name, num_classes=..., pretrained=...)`` and ``list_models``.

The kit's own from-scratch models register here; other names fall through to timm (``timm:<name>``
or a bare timm name) and torchvision (``tv:<name>``), with the classifier head replaced for
``num_classes``.
"""
from __future__ import annotations

import fnmatch
from typing import Callable

import torch.nn as nn

_REGISTRY: dict[str, Callable[..., nn.Module]] = {}


def register_model(fn: Callable[..., nn.Module]) -> Callable[..., nn.Module]:
    """Decorator: register a model function ``fn(num_classes=..., in_chans=..., **kw)`` by its name."""
    _REGISTRY[fn.__name__] = fn
    return fn


def _load_all() -> None:
    from . import tiny_cnn  # noqa: F401
    for mod in ("tiny_resnet", "tiny_vit", "pretrained"):
        try:
            __import__(f"{__package__}.{mod}")
        except ImportError:
            pass


def list_models(pattern: str = "*") -> list[str]:
    """Names of the kit's registered models matching a glob ``pattern``.

    timm's own names are listed by ``timm.list_models``; any of them also works in :func:`create_model`.

    Example:
        >>> "small_cnn" in list_models()
        True
    """
    _load_all()
    return sorted(n for n in _REGISTRY if fnmatch.fnmatch(n, pattern))


def create_model(name: str, *, num_classes: int = 10, pretrained: bool = False, in_chans: int = 3,
                 **kwargs) -> nn.Module:
    """Create a model by name with a classifier head for ``num_classes``.

    Args:
        name: a kit model (see :func:`list_models`), ``"tv:<torchvision name>"``, or a timm name
            (optionally ``"timm:<name>"``).
        num_classes: outputs of the classifier head.
        pretrained: load pretrained weights (hub weights for timm/torchvision names need internet).
        in_chans: input channels (1 for grey images).
        **kwargs: passed to the model function.

    Example:
        >>> m = create_model("small_cnn", num_classes=10, in_chans=1)
        >>> m(torch.zeros(2, 1, 8, 8)).shape
        torch.Size([2, 10])
    """
    _load_all()
    if num_classes < 1:
        raise ValueError(f"num_classes must be at least 1; got {num_classes}")
    if name in _REGISTRY:
        return _REGISTRY[name](num_classes=num_classes, pretrained=pretrained, in_chans=in_chans, **kwargs)
    if name.startswith("tv:"):
        from .hub import create_torchvision_model
        return create_torchvision_model(name[3:], num_classes=num_classes, pretrained=pretrained, **kwargs)
    import timm

    timm_name = name[5:] if name.startswith("timm:") else name
    if not timm.list_models(timm_name):
        raise KeyError(
            f"unknown model {name!r}. Kit models: {', '.join(sorted(_REGISTRY))}; "
            "timm names (see timm.list_models()) and 'tv:<torchvision name>' also work."
        )
    if pretrained:
        from .hub import create_timm_pretrained
        return create_timm_pretrained(timm_name, num_classes=num_classes, in_chans=in_chans, **kwargs)
    return timm.create_model(timm_name, pretrained=False, num_classes=num_classes, in_chans=in_chans, **kwargs)
