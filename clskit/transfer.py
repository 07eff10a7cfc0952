"""Transfer learning: reuse a pretrained backbone on a small dataset, four ways behind one function.

| strategy         | what trains                                  | cost                     |
|------------------|----------------------------------------------|--------------------------|
| ``linear_probe`` | a logistic regression on frozen embeddings   | one forward pass, cached |
| ``head``         | only the new head (body frozen, BN in eval)  | forward per epoch        |
| ``fine_tune``    | head first (a linear probe), then everything with discriminative learning rates (earlier layers smaller) | forward + backward |
| ``full``         | everything at one learning rate from the start | forward + backward     |
| ``scratch``      | the same (or another) architecture from random weights | forward + backward |

``train_transfer(strategy, train, valid)`` runs any of them and returns a :class:`TransferResult`
(accuracy, the trained model, time). Embeddings are cached in memory (keyed by a fingerprint of the
backbone's weights, the images and the preprocessing) and optionally on disk, so a sweep over data
sizes computes each embedding once.

Example:
    >>> from clskit.datasets import load_dataset, split_dataset
    >>> tr, va, _ = split_dataset(load_dataset("shapes", n_per_class=20))
    >>> res = train_transfer("linear_probe", tr, va, size=64)      # doctest: +SKIP
    >>> round(res.accuracy, 2)                                      # doctest: +SKIP
"""
from __future__ import annotations

import hashlib
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence

import numpy as np
import torch
import torch.nn as nn

from .callbacks import Callback

STRATEGIES = ("linear_probe", "head", "fine_tune", "full", "scratch")
_BN_TYPES = (nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d, nn.SyncBatchNorm)


# -- which part is the head -------------------------------------------------------------------
def head_name(model: nn.Module) -> str:
    """Dotted name of the model's final classifier layer.

    timm models say it themselves (``pretrained_cfg["classifier"]``); torchvision models are
    looked up by :func:`clskit.models.heads.find_head`; otherwise the last ``nn.Linear`` wins.

    Example:
        >>> from clskit.models import create_model
        >>> head_name(create_model("efficientnet_lite0", num_classes=3))
        'classifier'
    """
    cfg = getattr(model, "pretrained_cfg", None) or {}
    name = cfg.get("classifier")
    if isinstance(name, str) and _has(model, name):
        return name
    try:
        from .models.heads import find_head
        return find_head(model)
    except (ImportError, ValueError):
        pass
    last = [n for n, m in model.named_modules() if isinstance(m, nn.Linear)]
    if not last:
        raise ValueError(f"{type(model).__name__} has no nn.Linear layer to treat as the head; "
                         "pass a model with a linear classifier")
    return last[-1]


def _has(model: nn.Module, name: str) -> bool:
    try:
        model.get_submodule(name)
        return True
    except AttributeError:
        return False


# -- freezing -----------------------------------------------------------------------------------
def freeze_body(model: nn.Module) -> nn.Module:
    """Freeze every parameter except the head's (``requires_grad=False``); returns the model.

    Frozen BatchNorm layers should also stay in eval mode while training (their running
    statistics must not drift); :class:`FreezeBNCallback` does that in the Learner.

    Example:
        >>> from clskit.models import create_model
        >>> m = freeze_body(create_model("small_cnn", num_classes=2))
        >>> [n for n, p in m.named_parameters() if p.requires_grad]
        ['head.2.weight', 'head.2.bias']
    """
    head = head_name(model)
    for name, p in model.named_parameters():
        p.requires_grad_(name.startswith(head + "."))
    return model


def unfreeze(model: nn.Module) -> nn.Module:
    """Make every parameter trainable again; returns the model."""
    for p in model.parameters():
        p.requires_grad_(True)
    return model


def freeze_batchnorm(model: nn.Module) -> nn.Module:
    """Freeze the weights of every BatchNorm layer (with :class:`FreezeBNCallback` their running
    statistics stay fixed too); returns the model.

    Example:
        >>> m = freeze_batchnorm(nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4)))
        >>> m[1].weight.requires_grad, m[0].weight.requires_grad
        (False, True)
    """
    for m in model.modules():
        if isinstance(m, _BN_TYPES):
            m.requires_grad_(False)
    return model


def set_frozen_bn_eval(model: nn.Module) -> int:
    """Put BatchNorm layers whose parameters are all frozen into eval mode; returns how many.

    In train mode BatchNorm normalises with the batch's statistics and updates its running
    mean/variance even when its weights are frozen; a frozen pretrained layer should keep the
    statistics it learned on ImageNet (a batch of 8 images estimates them badly).

    Example:
        >>> m = nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4)).train()
        >>> _ = m.requires_grad_(False)
        >>> set_frozen_bn_eval(m), m[1].training
        (1, False)
    """
    n = 0
    for m in model.modules():
        if isinstance(m, _BN_TYPES) and not any(p.requires_grad for p in m.parameters(recurse=False)):
            m.eval()
            n += 1
    return n


class FreezeBNCallback(Callback):
    """Keeps frozen BatchNorm layers in eval mode during training (after ``model.train()``).

    Example:
        >>> learn = Learner(model, dls, cbs=[FreezeBNCallback()])   # doctest: +SKIP
    """

    order = -5

    def before_train(self):
        set_frozen_bn_eval(self.learn.model)


# -- discriminative learning rates --------------------------------------------------------------
def discriminative_param_groups(model: nn.Module, lr: float, n_groups: int = 3, div: float = 100.0) -> list[dict]:
    """Parameter groups with learning rates rising from the input to the head.

    The body's trainable parameters are split, in order, into ``n_groups - 1`` contiguous chunks
    of about equal size; the head is the last group. Learning rates grow geometrically from
    ``lr / div`` (first chunk) to ``lr`` (head): early layers hold generic edges and textures
    that need little change (Howard & Ruder 2018, ULMFiT; fastai's ``slice(lr/100, lr)``).

    Each group carries ``lr`` and ``max_lr`` (the Learner's one-cycle schedule reads ``max_lr``);
    set ``learn.param_groups = groups`` and fit with ``reset_opt=True``.

    Example:
        >>> from clskit.models import create_model
        >>> groups = discriminative_param_groups(create_model("small_cnn", num_classes=2), lr=1e-2)
        >>> [round(g["lr"], 4) for g in groups]
        [0.0001, 0.001, 0.01]
    """
    if n_groups < 2:
        raise ValueError(f"n_groups must be at least 2 (body and head); got {n_groups}")
    if not (lr > 0 and div >= 1):
        raise ValueError(f"lr must be positive and div at least 1; got lr={lr}, div={div}")
    head = head_name(model)
    head_params, body = [], []
    for name, p in model.named_parameters():
        if p.requires_grad:
            (head_params if name.startswith(head + ".") else body).append(p)
    sizes = np.cumsum([p.numel() for p in body])
    total = sizes[-1] if len(body) else 0
    chunks: list[list] = [[] for _ in range(n_groups - 1)]
    for p, end in zip(body, sizes):
        k = min(int((end - 1) * (n_groups - 1) // max(total, 1)), n_groups - 2)
        chunks[k].append(p)
    lrs = [lr / div ** ((n_groups - 1 - i) / (n_groups - 1)) for i in range(n_groups)]
    groups = [{"params": ps, "lr": lr_i, "max_lr": lr_i} for ps, lr_i in zip(chunks + [head_params], lrs)]
    return [g for g in groups if g["params"]]


# -- embeddings ---------------------------------------------------------------------------------
_EMBEDDINGS: dict[str, torch.Tensor] = {}


def _fingerprint(*tensors: torch.Tensor) -> str:
    h = hashlib.sha1()
    for t in tensors:
        t = t.detach().cpu().contiguous()
        h.update(str((tuple(t.shape), t.dtype)).encode())
        h.update(t.reshape(-1).view(torch.uint8).numpy().tobytes() if t.numel() else b"")
    return h.hexdigest()


def dataset_fingerprint(images: torch.Tensor) -> str:
    """A short hash of an image tensor (shape, dtype and bytes): equal images, equal key."""
    return _fingerprint(images)[:16]


def _body_fingerprint(model: nn.Module) -> str:
    head = head_name(model)
    return _fingerprint(*[v for k, v in model.state_dict().items() if not k.startswith(head + ".")])[:16]


def features(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """The input of the model's head for a preprocessed batch: ``(B, D)`` embeddings.

    timm models give it directly (``forward_head(..., pre_logits=True)``); for other models a hook
    catches what flows into the head layer.

    Example:
        >>> from clskit.models import create_model
        >>> features(create_model("small_cnn", num_classes=2).eval(), torch.zeros(1, 3, 16, 16)).shape
        torch.Size([1, 128])
    """
    if hasattr(model, "forward_head") and hasattr(model, "forward_features"):
        return model.forward_head(model.forward_features(x), pre_logits=True)
    caught = {}
    hook = model.get_submodule(head_name(model)).register_forward_pre_hook(
        lambda mod, args: caught.setdefault("x", args[0]))
    try:
        model(x)
    finally:
        hook.remove()
    return caught["x"].flatten(1)


@torch.inference_mode()
def embed(model: nn.Module, data, *, transform: Callable | None = None, batch_size: int = 8,
          cache: bool = True, cache_dir: str | os.PathLike | bool | None = None, device=None) -> torch.Tensor:
    """Embeddings ``(N, D)`` of all images of ``data`` through a frozen backbone (eval mode).

    Args:
        model: a backbone with a head (the head itself is skipped, see :func:`features`).
        data: an :class:`~clskit.datasets.ImageDataset` or a float tensor ``(N, C, H, W)`` in ``[0, 1]``.
        transform: batch preprocessing (e.g. :func:`~clskit.models.pretrained.preprocess_for`).
        batch_size: images per forward pass (at 224 px a batch of 32 holds about 700 MB of activations, 8 about 180 MB).
        cache: reuse embeddings computed before for the same weights, images and transform.
        cache_dir: also keep them on disk here across sessions and notebooks (default: ``CLSKIT_CACHE_DIR``,
            else ``~/.cache/clskit/embeddings``; ``False`` keeps them in memory only). Files hold plain
            tensors and are loaded with ``weights_only=True``.
        device: where to run; defaults to the CPU-or-best device.

    Example:
        >>> from clskit.models import create_model
        >>> m = create_model("small_cnn", num_classes=2)
        >>> embed(m, torch.rand(5, 3, 16, 16)).shape
        torch.Size([5, 128])
    """
    from .utils import default_device

    images = data.images if hasattr(data, "images") else torch.as_tensor(data)
    key = "-".join([_body_fingerprint(model), dataset_fingerprint(images), hashlib.sha1(repr(transform).encode()).hexdigest()[:8]])
    if cache_dir is None:
        cache_dir = os.environ.get("CLSKIT_CACHE_DIR") or (
            Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "clskit" / "embeddings")
    path = Path(cache_dir) / f"emb-{key}.pt" if cache_dir else None
    if cache and key in _EMBEDDINGS:
        return _EMBEDDINGS[key].clone()
    if cache and path is not None and path.exists():
        out = torch.load(path, map_location="cpu", weights_only=True)
        _EMBEDDINGS[key] = out
        return out.clone()
    device = torch.device(device) if device is not None else default_device()
    was_training = model.training
    # a channels-last input batch runs the convolutions about 1.8x faster on CPU (EfficientNet-Lite0, 2 cores)
    model.to(device).eval()
    chunks = []
    for start in range(0, len(images), batch_size):
        x = images[start:start + batch_size]
        x = x.float().div(255) if x.dtype == torch.uint8 else x.float()
        if transform is not None:
            x = transform(x)
        x = x.to(device).contiguous(memory_format=torch.channels_last) if x.dim() == 4 else x.to(device)
        chunks.append(features(model, x).float().cpu())
    model.train(was_training)
    out = torch.cat(chunks)
    if cache:
        _EMBEDDINGS[key] = out
        if path is not None:
            from .checkpoint import atomic_save
            atomic_save(out, path)
    return out.clone()


def clear_embedding_cache() -> None:
    """Forget the embeddings cached in memory (the disk cache stays)."""
    _EMBEDDINGS.clear()


# -- linear probe -------------------------------------------------------------------------------
def linear_probe(train_emb, train_y, *, C: float = 1.0, max_iter: int = 2000):
    """Fit a logistic regression on (standardised) embeddings: the classic linear probe.

    Args:
        train_emb: ``(N, D)`` embeddings.
        train_y: ``(N,)`` class indices.
        C: inverse L2 regularisation strength (smaller = stronger; helps with few images).
        max_iter: L-BFGS iterations.

    Returns:
        A fitted scikit-learn ``Pipeline(StandardScaler, LogisticRegression)``.

    Example:
        >>> rng = np.random.default_rng(0); x = rng.normal(size=(40, 5)); y = (x[:, 0] > 0).astype(int)
        >>> linear_probe(x, y).score(x, y) > 0.9
        True
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    x, y = _np(train_emb), _np(train_y)
    if len(np.unique(y)) < 2:
        raise ValueError(f"a linear probe needs at least 2 classes in the training labels; got {np.unique(y)}")
    return make_pipeline(StandardScaler(), LogisticRegression(C=C, max_iter=max_iter)).fit(x, y)


def probe_to_linear(probe, num_classes: int | None = None) -> nn.Linear:
    """Fold a fitted ``StandardScaler + LogisticRegression`` probe into one ``nn.Linear`` layer.

    With ``z = (x - mu) / sigma`` and logits ``W z + b``, the layer has weights ``W / sigma`` and bias
    ``b - (W / sigma) mu``, so the probe becomes the head of the backbone and the whole model runs
    (and saves) as one ``nn.Module``. A binary probe becomes the logits ``[0, w x + b]``.

    Example:
        >>> rng = np.random.default_rng(0); x = rng.normal(size=(30, 4)); y = np.arange(30) % 3
        >>> p = linear_probe(x, y); lin = probe_to_linear(p)
        >>> np.allclose(torch.softmax(lin(torch.tensor(x, dtype=torch.float32)), 1).detach().numpy(),
        ...             p.predict_proba(x), atol=1e-4)
        True
    """
    scaler, lr = probe[0], probe[-1]
    w = lr.coef_ / scaler.scale_[None]                                    # (k, D)
    b = lr.intercept_ - w @ scaler.mean_
    classes = lr.classes_
    k = num_classes or int(classes.max()) + 1
    if len(classes) == 2 and w.shape[0] == 1:                              # binary: one logit
        w = np.concatenate([np.zeros_like(w), w])
        b = np.concatenate([[0.0], b])
    W, B = np.zeros((k, w.shape[1])), np.full(k, -1e4)                    # classes never seen: never predicted
    W[classes], B[classes] = w, b
    layer = nn.Linear(w.shape[1], k)
    with torch.no_grad():
        layer.weight.copy_(torch.as_tensor(W, dtype=torch.float32))
        layer.bias.copy_(torch.as_tensor(B, dtype=torch.float32))
    return layer


def _np(a) -> np.ndarray:
    return a.detach().cpu().numpy() if isinstance(a, torch.Tensor) else np.asarray(a)


# -- one API for all strategies -----------------------------------------------------------------
@dataclass
class TransferResult:
    """What :func:`train_transfer` returns: the accuracy on ``valid``, the model, and how long it took."""

    strategy: str
    accuracy: float
    model: nn.Module
    transform: Callable
    seconds: float
    n_train: int
    history: list[dict] = field(default_factory=list)
    learner: object = None
    n_valid: int = 0

    @property
    def interval(self) -> tuple[float, float]:
        """95% Wilson interval of ``accuracy`` on the ``n_valid`` validation images (wide for small splits)."""
        from .stats import wilson_interval
        return wilson_interval(round(self.accuracy * self.n_valid), self.n_valid)

    def __repr__(self) -> str:
        lo, hi = self.interval if self.n_valid else (float("nan"),) * 2
        return (f"TransferResult({self.strategy}: accuracy {self.accuracy:.3f} (95% interval {lo:.3f}-{hi:.3f} on "
                f"{self.n_valid} images) with {self.n_train} training images, {self.seconds:.1f} s)")


def evaluate_accuracy(model: nn.Module, data, transform: Callable | None = None, batch_size: int = 32) -> float:
    """Accuracy of ``model`` on an :class:`~clskit.datasets.ImageDataset` (eval mode, no gradients).

    Example:
        >>> from clskit.datasets import load_dataset; from clskit.models import create_model
        >>> 0 <= evaluate_accuracy(create_model("small_cnn", num_classes=10, in_chans=1), load_dataset("digits")) <= 1
        True
    """
    return float((predict_probs(model, data, transform, batch_size).argmax(1) == data.targets).float().mean())


@torch.inference_mode()
def predict_probs(model: nn.Module, data, transform: Callable | None = None, batch_size: int = 32) -> torch.Tensor:
    """Softmax probabilities ``(N, num_classes)`` of ``model`` on all images of a dataset (eval mode)."""
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    out = []
    for start in range(0, len(data), batch_size):
        x = data.float_images(slice(start, start + batch_size))
        if transform is not None:
            x = transform(x)
        out.append(torch.softmax(model(x.to(device)).float(), 1).cpu())
    model.train(was_training)
    return torch.cat(out)


def _compose(*fns):
    fns = [f for f in fns if f is not None]
    return lambda x: _apply(fns, x)


def _apply(fns, x):
    for f in fns:
        x = f(x)
    return x


def train_transfer(strategy: str, train, valid, *, backbone: str = "efficientnet_lite0", size: int | None = 224,
                   epochs: int = 5, head_epochs: int = 1, head_init: str = "probe", lr: float = 1e-3,
                   batch_size: int = 32, freeze_bn: bool = True,
                   train_transform: Callable | None = None, scratch_model: str | None = None,
                   scratch_size: int | None = None, C: float = 1.0, seed: int = 0, progress: bool = False,
                   model_kwargs: dict | None = None) -> TransferResult:
    """Train one transfer-learning strategy on ``train`` and measure accuracy on ``valid``.

    Args:
        strategy: one of ``"linear_probe"``, ``"head"``, ``"fine_tune"``, ``"full"``, ``"scratch"``.
        train, valid: :class:`~clskit.datasets.ImageDataset` s (uint8 images of any size; grey is
            repeated to RGB for the pretrained backbone).
        backbone: a pretrained model name (offline: ``"efficientnet_lite0"``).
        size: input side length given to the backbone: 224, what it was trained on, serves real photos
            best (``benchmarks/transfer_sizes.py``); 128 is about 3x faster on a CPU and costs accuracy.
        epochs: training epochs (for ``fine_tune``: after the head-only epochs).
        head_epochs: head-only epochs before unfreezing (``fine_tune`` with ``head_init="train"``).
        head_init: how ``fine_tune`` fits the head before unfreezing: ``"probe"`` (a linear probe on
            cached embeddings, "LP-FT"; cheap and stable) or ``"train"`` (``head_epochs`` of SGD).
        lr: peak learning rate (of the head for ``fine_tune``; the body gets ``lr/100 .. lr``).
        batch_size: training batch size.
        freeze_bn: keep BatchNorm layers frozen (weights and ImageNet statistics) while fine-tuning;
            statistics of batches of a few dozen images are noisy and hurt small-data fine-tuning.
        train_transform: augmentation on float ``[0, 1]`` batches, applied before preprocessing.
        scratch_model: the architecture for ``scratch`` (default: ``backbone`` with random weights);
            a small model such as ``"small_cnn"`` is the fairer baseline for tiny data.
        scratch_size: input size for ``scratch``; by default ``size`` when the scratch model is the
            backbone architecture, and the images' own size for a ``scratch_model``.
        C: regularisation of the linear probe (see :func:`linear_probe`).
        seed: seeds the head initialisation, shuffling and augmentation.
        progress: show progress bars.
        model_kwargs: extra arguments for ``create_model``.

    Returns:
        A :class:`TransferResult`; ``result.model`` with ``result.transform`` classifies new images.

    Example:
        >>> from clskit.datasets import load_dataset, split_dataset
        >>> tr, va, _ = split_dataset(load_dataset("shapes", n_per_class=20))
        >>> train_transfer("linear_probe", tr, va, size=64).accuracy > 0.5   # doctest: +SKIP
        True
    """
    from .datasets import DataLoaders
    from .learner import Learner
    from .models import create_model
    from .models.pretrained import Preprocess, preprocess_for
    from .utils import seed_everything

    if head_init not in ("probe", "train"):
        raise ValueError(f"head_init must be 'probe' or 'train'; got {head_init!r}")
    if strategy not in STRATEGIES:
        raise ValueError(f"unknown strategy {strategy!r}; choose one of {', '.join(STRATEGIES)}")
    if train.multilabel:
        raise ValueError("train_transfer handles single-label data; for multi-label sets build a Learner "
                         "with a BCE loss on create_model(..., pretrained=True)")
    k = train.num_classes
    t0 = time.perf_counter()
    seed_everything(seed)
    kw = dict(model_kwargs or {})
    if strategy == "scratch":
        name = scratch_model or backbone
        in_chans = 3
        model = create_model(name, num_classes=k, pretrained=False, in_chans=in_chans, **kw)
        side = size if scratch_size is None and scratch_model is None else scratch_size
        tfm = Preprocess(side, (0.5,) * in_chans, (0.5,) * in_chans, in_chans)
    else:
        model = create_model(backbone, num_classes=k, pretrained=True, **kw)
        tfm = preprocess_for(model, size=size)

    if strategy == "linear_probe":
        x_tr = embed(model, train, transform=tfm)
        probe = linear_probe(x_tr, train.targets, C=C)
        model.set_submodule(head_name(model), probe_to_linear(probe, k))
        acc = float(probe.score(_np(embed(model, valid, transform=tfm)), _np(valid.targets)))
        return TransferResult(strategy, acc, model.eval(), tfm, time.perf_counter() - t0, len(train), n_valid=len(valid))

    dls = DataLoaders.from_datasets(train, valid, batch_size=batch_size, seed=seed,
                                    train_transform=_compose(train_transform, tfm), eval_transform=tfm)
    dls.valid = None  # evaluate once at the end, not after every epoch (saves forward passes)
    cbs = [FreezeBNCallback()]
    learn = Learner(model, dls, lr=lr, cbs=cbs, progress=progress, seed=seed)
    if strategy == "fine_tune" and head_init == "probe":
        # LP-FT (Kumar et al. 2022): start from the linear probe's head, so that the first
        # gradient steps do not push a random head's large errors into the pretrained features
        probe = linear_probe(embed(model, train, transform=tfm), train.targets, C=C)
        model.set_submodule(head_name(model), probe_to_linear(probe, k))
    elif strategy in ("head", "fine_tune"):
        freeze_body(model)
        learn.fit(head_epochs if strategy == "fine_tune" else epochs, lr=lr)
    if strategy == "fine_tune":
        unfreeze(model)
        if freeze_bn:
            freeze_batchnorm(model)
        learn.param_groups = discriminative_param_groups(model, lr=lr / 2)
        learn.fit(epochs, reset_opt=True)
        learn.param_groups = None
    if strategy in ("full", "scratch"):
        learn.fit(epochs, lr=lr)
    acc = evaluate_accuracy(model, valid, tfm)
    return TransferResult(strategy, acc, model.eval(), tfm, time.perf_counter() - t0, len(train),
                          list(learn.history), learn, len(valid))


def sample_per_class(data, n_per_class: int, seed: int = 0):
    """A subset with ``n_per_class`` images of every class (a data-size sweep uses nested subsets:
    the 5-per-class images are among the 10-per-class ones for the same ``seed``).

    Example:
        >>> from clskit.datasets import load_dataset
        >>> sample_per_class(load_dataset("digits"), 3).class_counts().tolist()
        [3, 3, 3, 3, 3, 3, 3, 3, 3, 3]
    """
    return data.subset(per_class_indices(data.targets, n_per_class, seed))


def per_class_indices(targets, n_per_class: int, seed: int = 0) -> np.ndarray:
    """Sorted indices of ``n_per_class`` random samples of every class (nested for growing ``n``).

    Example:
        >>> per_class_indices([0, 0, 1, 1, 1], 1, seed=0).tolist()
        [0, 4]
    """
    y = _np(targets)
    counts = np.bincount(y)
    if n_per_class < 1 or counts.min() < n_per_class:
        raise ValueError(f"cannot take {n_per_class} images per class: the smallest class has {counts.min()} "
                         f"(classes have {counts.tolist()}); ask for fewer or load more images")
    rng = np.random.default_rng(seed)
    idx = [rng.permutation(np.flatnonzero(y == c))[:n_per_class] for c in range(len(counts))]
    return np.sort(np.concatenate(idx))
