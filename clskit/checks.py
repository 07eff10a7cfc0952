"""Early checks that turn a library's traceback into an error a learner can act on.

- :func:`resolve_device`: ``device="cuda"`` on a machine without a GPU says so and suggests ``device=None``;
- :func:`check_lr`: a learning rate that is a positive number; :func:`warn_missing_classes`: a class
  with no training image is named before a fit;
- :func:`check_class_names`: class names for every probability column, no class silently dropped;
- :func:`check_pixel_scale` and :func:`checked_channels`: images handed to a trained model (float
  pixels in ``[0, 1]``, not 0-255; the channels its first convolution takes);
- :class:`FirstBatchCheckCB` (a default callback of every Learner): on the first batch of a fit,
  images with a different number of channels than the model's first convolution, or a model with
  a different number of outputs than the data has classes, get an error naming ``in_chans=`` /
  ``num_classes=`` instead of a conv ``RuntimeError`` or an ``IndexError`` from inside torch.

Example:
    >>> resolve_device("cpu")
    device(type='cpu')
"""
from __future__ import annotations

import contextlib

import torch
import torch.nn as nn

from clskit.training.callbacks import Callback


def resolve_device(device) -> torch.device:
    """``device`` as a ``torch.device`` that exists on this machine (``None``: the best available).

    Raises:
        ValueError: an unknown device name, or a GPU that this machine (or this torch build) lacks.

    Example:
        >>> resolve_device(None).type in ("cpu", "cuda", "mps")
        True
    """
    from clskit.utils import default_device

    if device is None:
        return default_device()
    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError) as e:
        raise ValueError(f"device={device!r} is not a device name ({e}); use 'cpu', 'cuda', 'cuda:0', 'mps', "
                         "or device=None for the best available") from None
    if dev.type == "cuda":
        if not torch.cuda.is_available():
            raise ValueError(f"device={device!r} asks for a GPU, but torch sees none on this machine "
                             f"(torch {torch.__version__}, torch.cuda.is_available() is False); pass device=None "
                             f"to use the best available device (here: {default_device().type})")
        if dev.index is not None and dev.index >= torch.cuda.device_count():
            raise ValueError(f"device={device!r}: this machine has {torch.cuda.device_count()} GPU(s), "
                             f"numbered from 0; pass device='cuda' or device=None")
    if dev.type == "mps":
        mps = getattr(torch.backends, "mps", None)
        if mps is None or not mps.is_available():
            raise ValueError(f"device={device!r} asks for Apple's GPU (MPS), which this machine lacks; "
                             f"pass device=None to use the best available device (here: {default_device().type})")
    return dev


def check_dls(dls) -> None:
    """``dls`` must offer a ``train`` loader (a :class:`~clskit.datasets.DataLoaders` or alike).

    Example:
        >>> check_dls(None)
        Traceback (most recent call last):
        ...
        TypeError: dls must be DataLoaders with .train and .valid loaders; got NoneType. Build them with DataLoaders.from_datasets(train, valid)
    """
    if getattr(dls, "train", None) is None:
        got = type(dls).__name__
        hint = " (a dataset: split it first, e.g. split_dataset(ds))" if hasattr(dls, "__getitem__") and hasattr(dls, "classes") else ""
        raise TypeError(f"dls must be DataLoaders with .train and .valid loaders; got {got}{hint}. "
                        "Build them with DataLoaders.from_datasets(train, valid)")


def check_outputs(preds: torch.Tensor, num_classes: int | None, targets: torch.Tensor | None = None,
                  multilabel: bool = False) -> None:
    """Check a model's outputs ``(B, K)`` against the number of classes of the data.

    Example:
        >>> check_outputs(torch.zeros(2, 3), 5)
        Traceback (most recent call last):
        ...
        ValueError: the model outputs 3 scores per image but the data has 5 classes; build it with create_model(..., num_classes=5) (or replace its head for 5 classes)
    """
    if not isinstance(preds, torch.Tensor):
        raise TypeError(f"the model returned a {type(preds).__name__}, not a tensor of logits (B, num_classes); "
                        "for models with auxiliary outputs return only the main logits in train mode")
    if preds.ndim != 2:
        raise ValueError(f"the model returned shape {tuple(preds.shape)}; a classifier returns logits "
                         "(batch, num_classes). Add a pooling and a linear head, or flatten the output")
    k = preds.shape[1]
    if num_classes is None and targets is not None and not multilabel and targets.numel():
        if int(targets.max()) >= k:  # data without class names: the targets still tell
            num_classes = int(targets.max()) + 1
        else:
            return
    if num_classes is not None and k != num_classes:
        raise ValueError(f"the model outputs {k} scores per image but the data has {num_classes} "
                         f"{'labels' if multilabel else 'classes'}; build it with create_model(..., "
                         f"num_classes={num_classes}) (or replace its head for {num_classes} classes)")


def check_lr(lr, arg: str = "lr") -> float:
    """A learning rate must be a finite number above 0.

    Example:
        >>> check_lr(0)
        Traceback (most recent call last):
        ...
        ValueError: lr must be positive (the learning rate: a step size such as 1e-3); got 0. Pass lr=1e-3, or run learn.lr_find() to choose one
    """
    import math
    import numbers

    if isinstance(lr, bool) or not isinstance(lr, numbers.Real):
        raise TypeError(f"{arg} must be a number such as 1e-3; got {lr!r} (a {type(lr).__name__}). Pass {arg}=1e-3")
    if not (lr > 0 and math.isfinite(lr)):
        raise ValueError(f"{arg} must be positive (the learning rate: a step size such as 1e-3); got {lr}. "
                         f"Pass {arg}=1e-3, or run learn.lr_find() to choose one")
    return float(lr)


def warn_missing_classes(dls) -> None:
    """Warn when the training set has no image of some class: the model can never learn to predict it.

    Example:
        >>> import warnings; from clskit.datasets import ImageDataset, DataLoaders
        >>> ds = ImageDataset(torch.zeros(4, 1, 8, 8), torch.tensor([0, 0, 1, 1]), ["a", "b", "c"])
        >>> with warnings.catch_warnings(record=True) as w:
        ...     warnings.simplefilter("always"); warn_missing_classes(DataLoaders.from_datasets(ds, ds))
        >>> str(w[0].message)[:55]
        "the training set has no images of class 'c' (index 2): "
    """
    import warnings

    ds = getattr(getattr(dls, "train", None), "dataset", None)
    classes = getattr(ds, "classes", None)
    if not classes or not hasattr(ds, "class_counts") or getattr(dls, "multilabel", False):
        return
    missing = [(i, c) for i, (c, n) in enumerate(zip(classes, ds.class_counts())) if n == 0]
    if missing:
        names = ", ".join(f"{c!r} (index {i})" for i, c in missing)
        warnings.warn(f"the training set has no images of class {names}: the model can never learn to predict "
                      f"{'it' if len(missing) == 1 else 'them'}. Add images of that class to the training split "
                      "(a stratified split_dataset keeps every class), or drop the class", UserWarning, stacklevel=4)


def check_class_names(classes, k: int, what: str = "classes") -> list[str]:
    """``classes`` as a list, one name per probability column (``k`` of them).

    Example:
        >>> check_class_names(["cat", "dog"], 3)
        Traceback (most recent call last):
        ...
        ValueError: classes has 2 names (['cat', 'dog']) but the probabilities have 3 columns, so a class would vanish from the view; pass one name per column, in column order (e.g. learn.dls.classes), or classes=None to number them
    """
    names = [str(c) for c in classes]
    if len(names) != k:
        shown = names if len(names) <= 12 else names[:12] + ["..."]
        one = "class" if what == "classes" else "label"
        raise ValueError(f"{what} has {len(names)} names ({shown}) but the probabilities have {k} columns, so a "
                         f"{one} would vanish from the view; pass one name per column, in column order "
                         f"(e.g. learn.dls.classes), or {what}=None to number them")
    return names


def check_pixel_scale(x: torch.Tensor, arg: str = "x") -> None:
    """Float images handed to a model must lie in ``[0, 1]`` (uint8 0-255 is scaled by the caller).

    Float pixels in 0-255 would pass silently (every pixel saturated) and give confident nonsense.

    Example:
        >>> check_pixel_scale(torch.full((1, 3, 4, 4), 200.0))
        Traceback (most recent call last):
        ...
        ValueError: x holds float pixels up to 200 (0-255 values?), but float images must lie in [0, 1]; divide by 255 (x / 255), or pass uint8 images: x.round().clamp(0, 255).to(torch.uint8)
    """
    if not x.is_floating_point() or x.numel() == 0:
        return
    if not bool(torch.isfinite(x).all()):
        raise ValueError(f"{arg} holds NaN or infinite pixels; fix or drop those images before predicting")
    lo, hi = float(x.min()), float(x.max())
    if lo >= -1e-3 and 1 + 1e-3 < hi <= 255 + 1e-3:
        raise ValueError(f"{arg} holds float pixels up to {hi:.4g} (0-255 values?), but float images must lie in "
                         f"[0, 1]; divide by 255 ({arg} / 255), or pass uint8 images: "
                         f"{arg}.round().clamp(0, 255).to(torch.uint8)")


@contextlib.contextmanager
def checked_channels(model: nn.Module, arg: str = "x"):
    """While open, the first convolution that runs checks the channels of what it receives, so images
    with the wrong number of channels get an error that says how to convert them (prediction, AdaBN).

    Example:
        >>> conv = nn.Conv2d(3, 4, 3)
        >>> with checked_channels(conv):
        ...     conv(torch.zeros(1, 1, 8, 8))
        Traceback (most recent call last):
        ...
        ValueError: x has 1 channel(s) but the model's first layer expects 3 (a model trained on colour images); convert them: x.expand(-1, 3, -1, -1) for grey images
    """
    state = {"done": False, "arg": arg}
    handles = [m.register_forward_pre_hook(_first_conv_hook(state)) for m in _convs(model)]
    try:
        yield
    finally:
        for h in handles:
            h.remove()


def _convs(model: nn.Module) -> list[nn.Module]:
    from torch.nn.modules.lazy import LazyModuleMixin

    return [m for m in model.modules() if isinstance(m, (nn.Conv1d, nn.Conv2d, nn.Conv3d))
            and not isinstance(m, LazyModuleMixin)]


def _conv_kind(m: nn.Module):
    return next(k for k in (nn.Conv1d, nn.Conv2d, nn.Conv3d) if isinstance(m, k))


def _first_conv_hook(state: dict):
    def hook(module: nn.Module, args):
        if state["done"] or not args or not isinstance(args[0], torch.Tensor):
            return
        state["done"] = True
        x, batched = args[0], {nn.Conv1d: 3, nn.Conv2d: 4, nn.Conv3d: 5}[_conv_kind(module)]
        c = x.shape[1] if x.ndim == batched else x.shape[0] if x.ndim == batched - 1 else None
        want = module.in_channels
        if c is not None and c != want and "arg" in state:  # images for a trained model: convert them
            how = (f"{state['arg']}.expand(-1, {want}, -1, -1) for grey images" if c == 1
                   else f"give them the {want} channel(s) the model was trained on")
            colour = " (a model trained on colour images)" if want == 3 else ""
            raise ValueError(f"{state['arg']} has {c} channel(s) but the model's first layer expects {want}{colour}; "
                             f"convert them: {how}")
        if c is not None and c != want:  # the conv would fail with a shape RuntimeError
            grey = " (grey images: create_model(..., in_chans=1), or repeat the channel)" if c == 1 else ""
            raise ValueError(f"the images have {c} channel(s) but the model's first layer expects {want}; "
                             f"build the model with create_model(..., in_chans={c}){grey}, or convert the images "
                             f"to {want} channel(s)")
    return hook


class FirstBatchCheckCB(Callback):
    """On the first batch of every fit: input channels vs the model's first convolution, and the
    model's outputs vs the number of classes (clear errors naming ``in_chans=`` / ``num_classes=``)."""

    order = -5  # after DeviceCB (the batch is on the device), before the metrics
    run_in_lr_find = True

    def before_fit(self):
        warn_missing_classes(self.learn.dls)
        self._checked, self._handles, self._state = False, [], {"done": False}
        # the first convolution that runs (whichever module it is) receives the images
        self._handles = [m.register_forward_pre_hook(_first_conv_hook(self._state)) for m in _convs(self.learn.model)]

    def after_pred(self):
        if self._checked:
            return
        self._release()
        self._checked = True
        classes = getattr(self.learn.dls, "classes", None)
        check_outputs(self.learn.preds, len(classes) if classes else None, self.learn.yb, self.learn.multilabel)

    def _release(self):
        for h in self._handles:
            h.remove()
        self._handles = []

    def cleanup_fit(self):
        self._release()
