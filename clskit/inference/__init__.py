"""One inference loop: run a model over images in batches and return probabilities (or logits).

Every place in the kit that runs a model over images without gradients goes through this module:
``Learner.get_preds`` and ``Learner.predict``, ``Predictor``, :func:`clskit.lessons.transfer.embed`,
:func:`clskit.models.features.pooled_features`, :func:`clskit.lessons.shift.adapt_bn` and :func:`clskit.lessons.shift.shift_table`,
the CAM viewer's predictions and the upload widget. So batching, the mode, ``torch.inference_mode``,
the device and the activation are decided once:

* ``data`` is an :class:`~clskit.datasets.ImageDataset` (its uint8 images as floats in ``[0, 1]``),
  an image tensor ``(N, C, H, W)`` (uint8 or float) or any iterable of ``(x, y)`` batches (a loader);
  uint8 images become floats with :func:`clskit.utils.as_float_images`;
* ``transform`` is a batch transform applied to each float batch (e.g. ``preprocess_for(model)``);
* the activation is a softmax over classes, or with ``multilabel=True`` a sigmoid per label;
* :func:`running` decides the mode and device: eval mode (or, for AdaBN, BatchNorm layers in train
  mode), on ``device`` when one is given; afterwards every module's mode and the model's device are
  restored, in a ``finally``, so the caller's model is left as it was.

Example:
    >>> import torch.nn as nn
    >>> model = nn.Sequential(nn.Flatten(), nn.Linear(12, 3))
    >>> predict_probs(model, torch.rand(5, 3, 2, 2)).sum(1).round(decimals=4).tolist()
    [1.0, 1.0, 1.0, 1.0, 1.0]
"""
from __future__ import annotations

from contextlib import closing, contextmanager
from typing import Callable, Iterable, Iterator

import torch
import torch.nn as nn

from clskit import _lazy_submodules
from clskit.utils import BATCHNORM_TYPES, as_float_images, release_memory

# forward(model, x) -> output: what one batch goes through (default: the model itself)
Forward = Callable[[nn.Module, torch.Tensor], object]


def channels_last(x: torch.Tensor) -> torch.Tensor:
    """A 4-D image batch stored channels-last (all channels of a pixel side by side); other tensors as they are.

    The values are the same up to rounding; on a CPU the convolutions of a network such as EfficientNet-Lite0
    run about 1.2 to 1.5 times faster on such a batch (2 cores). Frozen-network passes use it
    (:func:`clskit.lessons.transfer.embed`, :func:`clskit.lessons.shift.adapt_bn`), and so does
    :class:`clskit.lessons.efficiency.ChannelsLast`.

    Example:
        >>> channels_last(torch.zeros(2, 3, 4, 4)).is_contiguous(memory_format=torch.channels_last)
        True
    """
    return x.contiguous(memory_format=torch.channels_last) if x.dim() == 4 else x


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


@contextmanager
def running(model: nn.Module, device: str | torch.device | None = None, *,
            batchnorm_train: bool = False) -> Iterator[nn.Module]:
    """Run ``model`` in eval mode on ``device``; afterwards put every module back as it was.

    The kit's one policy for mode and device (the inference loop, the CAMs, ``explain`` and the
    viewers use it): the caller's model leaves the ``with`` block in the mode each of its modules
    had (a frozen BatchNorm inside a training model included) and on the device it was on.

    Args:
        model: the model to run.
        device: where to run it (``None``: where it is).
        batchnorm_train: put the BatchNorm layers in train mode, so that a forward pass updates
            their running statistics (AdaBN, :func:`clskit.lessons.shift.adapt_bn`); the rest stays in eval mode.

    Example:
        >>> m = nn.Sequential(nn.Linear(2, 2), nn.Dropout()).train()
        >>> with running(m):
        ...     m.training
        False
        >>> m.training
        True
    """
    modes = [(m, m.training) for m in model.modules()]
    home = model_device(model)
    moved = device is not None and torch.device(device) != home
    if moved:
        model.to(device)
    model.eval()
    if batchnorm_train:
        for m in model.modules():
            if isinstance(m, BATCHNORM_TYPES):
                m.train()
    try:
        yield model
    finally:
        for m, training in modes:
            m.training = training
        if moved:
            model.to(home)


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
            yield as_float_images(data[start:start + batch_size]), None
        return
    if not hasattr(data, "__iter__"):
        raise TypeError(f"data must be an ImageDataset, an image tensor (N, C, H, W) or a loader of (x, y) "
                        f"batches; got {type(data).__name__}")
    for batch in data:
        if isinstance(batch, (tuple, list)) and len(batch) >= 2:
            x, y = batch[0], batch[1]
        else:
            x, y = batch, None
        yield as_float_images(x), y


def run_batches(model: nn.Module, data, transform: Callable | None = None, *, forward: Forward | None = None,
                batch_size: int = 128, device: str | torch.device | None = None,
                batchnorm_train: bool = False) -> Iterator[tuple[object, torch.Tensor | None]]:
    """The loop itself: ``(output, targets or None)`` for each batch of ``data``, without gradients.

    Each batch is made float (:func:`~clskit.utils.as_float_images`), transformed, moved to the
    model's device and passed through ``forward(model, x)``, inside :func:`running` and
    ``torch.inference_mode``. A caller that may stop early wraps it in ``contextlib.closing``, so the
    model is restored at once. :func:`predict_logits` collects the outputs; a caller that needs
    something other than logits passes ``forward`` (``embed``: the head's input; ``pooled_features``:
    a dict of layer outputs) or ``batchnorm_train=True`` (AdaBN: only the BatchNorm statistics change).

    Args:
        model: the model.
        data: an :class:`~clskit.datasets.ImageDataset`, an image tensor ``(N, C, H, W)`` or a loader
            of ``(x, y)`` batches (see the module docstring).
        transform: a batch transform for each float batch (applied before moving it to the device).
        forward: ``forward(model, x) -> output`` (default: ``model(x)``).
        batch_size: images per forward pass (a loader keeps its own batches).
        device: where to run (``None``: where the model is); the model goes back afterwards.
        batchnorm_train: BatchNorm layers in train mode (see :func:`running`).

    Example:
        >>> [out.shape for out, _ in run_batches(nn.Linear(4, 2), torch.rand(5, 1, 1, 4), batch_size=2)]
        [torch.Size([2, 1, 1, 2]), torch.Size([2, 1, 1, 2]), torch.Size([1, 1, 1, 2])]
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1; got {batch_size}")
    with running(model, device, batchnorm_train=batchnorm_train):
        on = model_device(model)
        for x, y in _batches(data, batch_size):
            with torch.inference_mode():   # per batch: the caller's code between batches keeps its grad mode
                if transform is not None:
                    x = transform(x)
                x = x.to(on)
                out = forward(model, x) if forward is not None else model(x)
            yield out, y


def predict_logits(model: nn.Module, data, transform: Callable | None = None, *, batch_size: int = 128,
                   device: str | torch.device | None = None,
                   forward: Forward | None = None) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Logits ``(N, num_classes)`` of ``model`` on all of ``data``, and the targets when ``data`` has them.

    Args:
        model: a classifier returning logits.
        data: an :class:`~clskit.datasets.ImageDataset`, an image tensor ``(N, C, H, W)`` or a loader
            of ``(x, y)`` batches (see the module docstring).
        transform: a batch transform for each float batch (applied before moving it to the device).
        batch_size: images per forward pass (a loader keeps its own batches).
        device: where to run; ``None`` keeps the model where it is. The model goes back afterwards.
        forward: ``forward(model, x) -> (B, D)`` instead of ``model(x)`` (for example the input of the head).

    Returns:
        ``(logits, targets)`` as float32 / CPU tensors; ``targets`` is ``None`` for a plain tensor.

    Example:
        >>> logits, y = predict_logits(nn.Linear(4, 2), [(torch.rand(3, 4), torch.tensor([0, 1, 1]))])
        >>> logits.shape, y.tolist()
        (torch.Size([3, 2]), [0, 1, 1])
    """
    outs, ys = [], []
    batches = run_batches(model, data, transform, forward=forward, batch_size=batch_size, device=device)
    with closing(batches):   # the model is restored at once, also when a batch fails
        for out, y in batches:
            outs.append(out.float().cpu())
            if y is not None:
                ys.append(torch.as_tensor(y).cpu())
    release_memory()   # the activations' freed blocks go back to the system
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

    The kit's one "accuracy of a model on a loader" (``profile_models``, ``shift_table`` and the
    notebooks call it); the loop is :func:`predict_logits`.

    Example:
        >>> accuracy_of(nn.Linear(2, 2), [(torch.eye(2), torch.tensor([0, 1]))]) in (0.0, 0.5, 1.0)
        True
    """
    logits, targets = predict_logits(model, data, transform, batch_size=batch_size, device=device)
    if targets is None:
        raise ValueError("accuracy needs targets: pass a dataset or a loader of (x, y) batches, not bare images")
    return float((logits.argmax(1) == targets.to(logits.device)).float().mean())

__getattr__, __dir__ = _lazy_submodules(__name__, __path__)  # every other module, on first use
