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
    """Decorator: register a model function ``fn(num_classes=..., in_chans=..., **kw)`` by its name.

    The registry imports none of the model modules: ``clskit/models/__init__.py`` imports them (as
    timm does), so a broken model file fails loudly on import instead of vanishing from
    :func:`list_models`. A second, different function under a taken name raises; registering the
    same function again (a reloaded module, a re-run notebook cell) replaces it.

    Example:
        >>> @register_model
        ... def my_linear(num_classes=10, pretrained=False, in_chans=3, **kw):
        ...     return nn.Sequential(nn.Flatten(), nn.LazyLinear(num_classes))
        >>> "my_linear" in list_models()
        True
    """
    name = fn.__name__
    old = _REGISTRY.get(name)
    if old is not None and (old.__module__, old.__qualname__) != (fn.__module__, fn.__qualname__):
        raise ValueError(f"a model named {name!r} is already registered (by {old.__module__}.{old.__qualname__}); "
                         f"give {fn.__module__}.{fn.__qualname__} another name")
    _REGISTRY[name] = fn
    return fn


def list_models(pattern: str = "*", source: str = "kit") -> list[str]:
    """Names of models that :func:`create_model` accepts, matching a glob ``pattern``.

    Args:
        pattern: glob such as ``"tiny_*"`` or ``"*resnet*"``.
        source: ``"kit"`` (the kit's own models), ``"tv"`` (torchvision classifiers, returned as
            ``"tv:<name>"``), ``"timm"`` (timm's names) or ``"all"``.

    Example:
        >>> "small_cnn" in list_models()
        True
        >>> "tv:resnet18" in list_models("*resnet18", source="tv")
        True
    """
    if source not in ("kit", "tv", "timm", "all"):
        raise ValueError(f"source must be 'kit', 'tv', 'timm' or 'all'; got {source!r}")
    names: list[str] = []
    if source in ("kit", "all"):
        names += sorted(n for n in _REGISTRY if fnmatch.fnmatch(n, pattern))
    if source in ("tv", "all"):
        import torchvision.models as tvm

        names += [f"tv:{n}" for n in tvm.list_models(module=tvm)
                  if fnmatch.fnmatch(n, pattern) or fnmatch.fnmatch(f"tv:{n}", pattern)]
    if source in ("timm", "all"):
        import timm

        names += timm.list_models(pattern)
    return names


def create_model(name: str, *, num_classes: int | None = None, pretrained: bool = False, in_chans: int = 3,
                 **kwargs) -> nn.Module:
    """Create a model by name with a classifier head for ``num_classes``.

    Args:
        name: a kit model (see :func:`list_models`), ``"tv:<torchvision name>"``, or a timm name
            (optionally ``"timm:<name>"``).
        num_classes: outputs of the classifier head. ``None`` (the default) keeps the pretrained weights'
            own head when ``pretrained=True`` (ImageNet's 1000 classes), and means 10 otherwise.
        pretrained: load pretrained weights (hub weights for timm/torchvision names need internet).
        in_chans: input channels (1 for grey images).
        **kwargs: passed to the model function.

    Returns:
        a module mapping ``(B, in_chans, H, W)`` images to ``(B, num_classes)`` **logits**. The same
        head serves single-label and multi-label tasks: the activation is not part of the model but of
        :func:`clskit.inference.activation` (softmax + cross-entropy for single-label data, sigmoid +
        ``BCEWithLogitsLoss`` when the DataLoaders are multi-label), so no ``multilabel`` flag is needed.

    Example:
        >>> import torch
        >>> m = create_model("small_cnn", num_classes=10, in_chans=1)
        >>> m(torch.zeros(2, 1, 8, 8)).shape
        torch.Size([2, 10])
    """
    if num_classes is None and not pretrained:
        num_classes = 10
    _check_create_args(name, num_classes, in_chans)
    # with pretrained weights and no num_classes, each builder keeps the weights' own head (its default)
    head = {} if num_classes is None else {"num_classes": num_classes}
    if name in _REGISTRY:
        return _REGISTRY[name](pretrained=pretrained, in_chans=in_chans, **head, **kwargs)
    if name.startswith("tv:"):
        if pretrained:
            from clskit.models.hub import create_torchvision_model
            return create_torchvision_model(name[3:], pretrained=pretrained, **head, **kwargs)
        return _torchvision_random(name[3:], num_classes=num_classes, in_chans=in_chans, **kwargs)
    import timm

    timm_name = name[5:] if name.startswith("timm:") else name
    if not timm.is_model(timm_name):
        import difflib

        # timm's names are listed offline (its registry is in the package), so the hint costs no download
        close = difflib.get_close_matches(timm_name, sorted(_REGISTRY) + timm.list_models(), n=3, cutoff=0.8)
        hint = f" Did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
        raise KeyError(
            f"unknown model {name!r}.{hint} Kit models: {', '.join(sorted(_REGISTRY))}; "
            "timm names (see timm.list_models()) and 'tv:<torchvision name>' also work."
        )
    if pretrained:
        from clskit.models.hub import create_timm_pretrained
        return create_timm_pretrained(timm_name, in_chans=in_chans, **head, **kwargs)
    return timm.create_model(timm_name, pretrained=False, num_classes=num_classes, in_chans=in_chans, **kwargs)


def _check_create_args(name, num_classes, in_chans) -> None:
    import numbers

    if not isinstance(name, str) or not name:
        raise TypeError(f"the model name must be a string such as 'small_cnn'; got {name!r}. See list_models()")
    for arg, value in (("num_classes", 1 if num_classes is None else num_classes), ("in_chans", in_chans)):
        if isinstance(value, bool) or not isinstance(value, numbers.Integral):
            raise TypeError(f"{arg} must be a whole number; got {value!r}")
    if num_classes is not None and num_classes < 1:
        raise ValueError(f"num_classes must be at least 1; got {num_classes} (it is the number of outputs: "
                         "the number of classes of the data, e.g. len(train.classes))")
    if in_chans < 1:
        raise ValueError(f"in_chans must be at least 1; got {in_chans} (it is the number of image channels: "
                         "3 for colour, 1 for grey)")


def _torchvision_random(name: str, num_classes: int, in_chans: int = 3, **kwargs) -> nn.Module:
    """A torchvision classifier with random weights and a head for ``num_classes`` (no download)."""
    import torchvision.models as tvm

    from clskit.models.heads import replace_head

    if name not in tvm.list_models(module=tvm):
        raise KeyError(f"unknown torchvision classifier {name!r}; see list_models(source='tv')")
    if in_chans != 3:
        raise ValueError(
            f"torchvision models take 3-channel images; got in_chans={in_chans}. Repeat grey images "
            "with x.expand(-1, 3, -1, -1), or use a timm name, which accepts in_chans."
        )
    if name in ("googlenet", "inception_v3"):
        # Their auxiliary heads make forward() return a tuple while training; a plain classifier is
        # what the Learner expects. Pass aux_logits=True to keep them.
        kwargs.setdefault("aux_logits", False)
        kwargs.setdefault("init_weights", False)   # PyTorch's default init; theirs is slow (scipy)
    return replace_head(tvm.get_model(name, weights=None, **kwargs), num_classes)
