"""One inference loop: run a model over images in batches and return probabilities (or logits).

Every place in the kit that turns a model and some images into predictions calls this module:
``Learner.get_preds``, :func:`clskit.transfer.evaluate_accuracy`, :func:`clskit.efficiency.evaluate`,
:func:`clskit.shift.shift_table` (and ``Predictor`` on a saved model). So batching, eval mode,
``torch.inference_mode``, the device and the activation are decided once:

* ``data`` is an :class:`~clskit.datasets.ImageDataset` (its uint8 images as floats in ``[0, 1]``),
  an image tensor ``(N, C, H, W)`` (uint8 or float) or any iterable of ``(x, y)`` batches (a loader);
* ``transform`` is a batch transform applied to each float batch (e.g. ``preprocess_for(model)``);
* the activation is a softmax over classes, or with ``multilabel=True`` a sigmoid per label;
* the model runs in eval mode and is put back in the mode it was in.

Example:
    >>> import torch.nn as nn
    >>> model = nn.Sequential(nn.Flatten(), nn.Linear(12, 3))
    >>> predict_probs(model, torch.rand(5, 3, 2, 2)).sum(1).round(decimals=4).tolist()
    [1.0, 1.0, 1.0, 1.0, 1.0]
"""
from __future__ import annotations

from typing import Callable, Iterable

import torch
import torch.nn as nn


def activation(logits: torch.Tensor, multilabel: bool = False) -> torch.Tensor:
    """Logits to probabilities: softmax over the classes, or a sigmoid per label when ``multilabel``.

    Example:
        >>> activation(torch.zeros(1, 2)).tolist(), activation(torch.zeros(1, 2), multilabel=True).tolist()
        ([[0.5, 0.5]], [[0.5, 0.5]])
    """
    return torch.sigmoid(logits) if multilabel else torch.softmax(logits, dim=-1)


def model_device(model: nn.Module) -> torch.device:
    """The device of the model's first parameter or buffer (the CPU for a model with neither, e.g. quantized)."""
    for t in model.parameters():
        return t.device
    for t in model.buffers():
        return t.device
    return torch.device("cpu")


def _batches(data, batch_size: int) -> Iterable[tuple[torch.Tensor, torch.Tensor | None]]:
    """``(float images, targets or None)`` batches from a dataset, an image tensor or a loader."""
    if hasattr(data, "float_images") and hasattr(data, "targets"):      # an ImageDataset
        for start in range(0, len(data), batch_size):
            idx = slice(start, start + batch_size)
            yield data.float_images(idx), data.targets[idx]
        return
    if isinstance(data, torch.Tensor):
        if data.ndim != 4:
            raise ValueError(f"an image tensor must have shape (N, C, H, W); got {tuple(data.shape)}. "
                             "Add a batch axis with x[None] for one image")
        for start in range(0, len(data), batch_size):
            x = data[start:start + batch_size]
            yield (x.float().div(255) if x.dtype == torch.uint8 else x.float()), None
        return
    if not hasattr(data, "__iter__"):
        raise TypeError(f"data must be an ImageDataset, an image tensor (N, C, H, W) or a loader of (x, y) "
                        f"batches; got {type(data).__name__}")
    for batch in data:
        if isinstance(batch, (tuple, list)) and len(batch) >= 2:
            x, y = batch[0], batch[1]
        else:
            x, y = batch, None
        yield (x.float().div(255) if x.dtype == torch.uint8 else x), y


@torch.inference_mode()
def predict_logits(model: nn.Module, data, transform: Callable | None = None, *, batch_size: int = 128,
                   device: str | torch.device | None = None) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Logits ``(N, num_classes)`` of ``model`` on all of ``data``, and the targets when ``data`` has them.

    Args:
        model: a classifier returning logits.
        data: an :class:`~clskit.datasets.ImageDataset`, an image tensor ``(N, C, H, W)`` or a loader
            of ``(x, y)`` batches (see the module docstring).
        transform: a batch transform for each float batch (applied before moving it to the device).
        batch_size: images per forward pass (a loader keeps its own batches).
        device: where to run; ``None`` keeps the model where it is. The model is moved there.

    Returns:
        ``(logits, targets)`` as float32 / CPU tensors; ``targets`` is ``None`` for a plain tensor.

    Example:
        >>> logits, y = predict_logits(nn.Linear(4, 2), [(torch.rand(3, 4), torch.tensor([0, 1, 1]))])
        >>> logits.shape, y.tolist()
        (torch.Size([3, 2]), [0, 1, 1])
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1; got {batch_size}")
    if device is not None and model_device(model) != torch.device(device):
        model.to(device)
    device = model_device(model)
    was_training = model.training
    model.eval()
    outs, ys = [], []
    try:
        for x, y in _batches(data, batch_size):
            if transform is not None:
                x = transform(x)
            outs.append(model(x.to(device)).float().cpu())
            if y is not None:
                ys.append(torch.as_tensor(y).cpu())
    finally:
        model.train(was_training)
    if not outs:
        raise ValueError("there are no images to predict on (an empty dataset or loader)")
    return torch.cat(outs), (torch.cat(ys) if ys else None)


def predict_probs(model: nn.Module, data, transform: Callable | None = None, *, multilabel: bool = False,
                  batch_size: int = 128, device: str | torch.device | None = None) -> torch.Tensor:
    """Probabilities ``(N, num_classes)`` of ``model`` on all of ``data`` (eval mode, no gradients).

    Args:
        model: a classifier returning logits.
        data: an :class:`~clskit.datasets.ImageDataset`, an image tensor ``(N, C, H, W)`` (uint8 or
            float in ``[0, 1]``) or a loader of ``(x, y)`` batches.
        transform: a batch transform for each float batch (e.g. ``preprocess_for(model, size)``).
        multilabel: a sigmoid per label instead of a softmax over classes.
        batch_size: images per forward pass.
        device: where to run; ``None`` keeps the model where it is.

    Example:
        >>> from clskit.datasets import load_dataset; from clskit.models import create_model
        >>> ds = load_dataset("digits")
        >>> predict_probs(create_model("small_cnn", num_classes=10, in_chans=1), ds).shape
        torch.Size([1797, 10])
    """
    logits, _ = predict_logits(model, data, transform, batch_size=batch_size, device=device)
    return activation(logits, multilabel)


def accuracy_of(model: nn.Module, data, transform: Callable | None = None, *, batch_size: int = 128,
                device: str | torch.device | None = None) -> float:
    """Fraction of ``data`` (a dataset or a loader of ``(x, y)``; single-label) the model gets right.

    Example:
        >>> accuracy_of(nn.Linear(2, 2), [(torch.eye(2), torch.tensor([0, 1]))]) in (0.0, 0.5, 1.0)
        True
    """
    logits, targets = predict_logits(model, data, transform, batch_size=batch_size, device=device)
    if targets is None:
        raise ValueError("accuracy needs targets: pass a dataset or a loader of (x, y) batches, not bare images")
    return float((logits.argmax(1) == targets.to(logits.device)).float().mean())
