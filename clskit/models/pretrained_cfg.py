"""The ``model.pretrained_cfg`` dict, built in one place for every kit model with weights."""
from __future__ import annotations

from typing import Sequence


def make_pretrained_cfg(*, mean: Sequence[float], std: Sequence[float], input_size: tuple[int, int, int],
                        label_names: Sequence[str] | None, tag: str, source: str | None, **extra) -> dict:
    """The ``model.pretrained_cfg`` dict every kit model with weights carries (timm's keys).

    The one place such a dict is built (the offline backbone here, hub weights in
    :mod:`clskit.models.hub`), so :func:`~clskit.models.pretrained.preprocess_for` and the notebooks find the same keys on all.

    Args:
        mean, std: per-channel normalization of the weights' training data.
        input_size: ``(C, H, W)`` the weights were trained at.
        label_names: the class names of the outputs (``None`` when the head is new).
        tag: which weights (``"in1k"``, ``"random init"``, a torchvision weights name).
        source: where they come from (``None`` for random weights).
        **extra: more timm keys (``architecture``, ``classifier``, ``first_conv``, ...).

    Example:
        >>> make_pretrained_cfg(mean=(0.5,) * 3, std=(0.5,) * 3, input_size=(3, 224, 224), label_names=None,
        ...                     tag="random init", source=None)["input_size"]
        (3, 224, 224)
    """
    return {"mean": tuple(mean), "std": tuple(std), "input_size": tuple(input_size),
            "label_names": list(label_names) if label_names is not None else None, "tag": tag, "source": source,
            **extra}
