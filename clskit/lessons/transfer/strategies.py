"""One API for all transfer-learning strategies: ``train_transfer`` and its :class:`TransferResult`;
nested per-class samples for data-size sweeps."""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import torch
import torch.nn as nn

from clskit.inference import accuracy_of
from clskit.datasets.transforms import Compose
from clskit.utils import DEFAULTS, to_numpy
from clskit.lessons.transfer.embeddings import embed
from clskit.models.heads import find_head
from clskit.lessons.transfer.freezing import FreezeBNCB, discriminative_param_groups, freeze_batchnorm, freeze_body, unfreeze
from clskit.lessons.transfer.probe import linear_probe, probe_to_linear

STRATEGIES = ("linear_probe", "head", "fine_tune", "full", "scratch")
__all__ = ["STRATEGIES", "TransferResult", "per_class_indices", "sample_per_class", "train_transfer"]


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
        from clskit.stats import wilson_interval

        return wilson_interval(round(self.accuracy * self.n_valid), self.n_valid)

    def __repr__(self) -> str:
        lo, hi = self.interval if self.n_valid else (float("nan"),) * 2
        return (f"TransferResult({self.strategy}: accuracy {self.accuracy:.3f} (95% interval {lo:.3f}-{hi:.3f} on "
                f"{self.n_valid} images) with {self.n_train} training images, {self.seconds:.1f} s)")


def train_transfer(strategy: str, train, valid, *, backbone: str = "efficientnet_lite0", size: int | None = 224,
                   epochs: int = 5, head_epochs: int = 1, head_init: str = "probe", lr: float = 1e-3,
                   batch_size: int = 32, freeze_bn: bool = True,
                   train_transform: Callable | None = None, scratch_model: str | None = None,
                   scratch_size: int | None = None, C: float = 1.0, seed: int = 0, progress: bool = False,
                   model_kwargs: dict | None = None) -> TransferResult:
    """Train one transfer-learning strategy on ``train`` and measure accuracy on ``valid``.

    Each strategy is one function below (``_linear_probe``, ``_train_head``, ``_fine_tune``,
    ``_train_all``); this one builds the model, picks the strategy and measures the result.

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
        lr: peak learning rate. ``fine_tune``'s unfrozen phase trains at ``lr/2`` for the head and
            ``lr/200 .. lr/20`` for the body (discriminative groups from ``lr * DEFAULTS["fine_tune_lr_factor"]``,
            see ``clskit.utils.DEFAULTS``).
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
    from clskit.utils import seed_everything

    _check_transfer_args(strategy, head_init, train)
    t0 = time.perf_counter()
    seed_everything(seed)
    model, tfm = _transfer_model(strategy, train.num_classes, backbone, size, scratch_model, scratch_size,
                                 model_kwargs)
    if strategy == "linear_probe":
        acc = _linear_probe(model, train, valid, tfm, C)
        return TransferResult(strategy, acc, model.eval(), tfm, time.perf_counter() - t0, len(train),
                              n_valid=len(valid))
    learn = _transfer_learner(model, train, valid, tfm, train_transform, batch_size, lr, seed, progress)
    if strategy == "head":
        _train_head(learn, epochs, lr)
    elif strategy == "fine_tune":
        _fine_tune(learn, train, tfm, epochs=epochs, head_epochs=head_epochs, head_init=head_init, lr=lr, C=C,
                   freeze_bn=freeze_bn)
    else:  # "full" and "scratch": every layer from the start
        _train_all(learn, epochs, lr)
    acc = _valid_accuracy(strategy, model, valid, tfm)
    return TransferResult(strategy, acc, model.eval(), tfm, time.perf_counter() - t0, len(train),
                          list(learn.history), learn, len(valid))


def _check_transfer_args(strategy: str, head_init: str, train) -> None:
    if head_init not in ("probe", "train"):
        raise ValueError(f"head_init must be 'probe' or 'train'; got {head_init!r}")
    if strategy not in STRATEGIES:
        raise ValueError(f"unknown strategy {strategy!r}; choose one of {', '.join(STRATEGIES)}")
    if train.multilabel:
        raise ValueError("train_transfer handles single-label data; for multi-label sets build a Learner "
                         "with a BCE loss on create_model(..., pretrained=True)")


def _transfer_model(strategy: str, k: int, backbone: str, size: int | None, scratch_model: str | None,
                    scratch_size: int | None, model_kwargs: dict | None):
    """The model and its preprocessing: the pretrained backbone, or random weights for ``scratch``."""
    from clskit.models import create_model
    from clskit.models.pretrained import Preprocess, preprocess_for

    kw = dict(model_kwargs or {})
    if strategy != "scratch":
        model = create_model(backbone, num_classes=k, pretrained=True, **kw)
        return model, preprocess_for(model, size=size)
    in_chans = 3
    model = create_model(scratch_model or backbone, num_classes=k, pretrained=False, in_chans=in_chans, **kw)
    side = size if scratch_size is None and scratch_model is None else scratch_size
    return model, Preprocess(side, (0.5,) * in_chans, (0.5,) * in_chans, in_chans)


def _set_probe_head(model: nn.Module, train, tfm: Callable, C: float):
    """Fit a linear probe on the frozen backbone's embeddings of ``train`` and make it the model's head."""
    probe = linear_probe(embed(model, train, transform=tfm), train.targets, C=C)
    model.set_submodule(find_head(model), probe_to_linear(probe, train.num_classes))
    return probe


def _linear_probe(model: nn.Module, train, valid, tfm: Callable, C: float) -> float:
    """``linear_probe``: logistic regression on the frozen backbone's embeddings; no gradient steps."""
    probe = _set_probe_head(model, train, tfm, C)
    return float(probe.score(to_numpy(embed(model, valid, transform=tfm)), to_numpy(valid.targets)))


def _transfer_learner(model: nn.Module, train, valid, tfm: Callable, train_transform: Callable | None,
                      batch_size: int, lr: float, seed: int, progress: bool):
    from clskit.datasets import DataLoaders
    from clskit.training.learner import Learner

    dls = DataLoaders.from_datasets(train, valid, batch_size=batch_size, seed=seed,
                                    train_transform=Compose([train_transform, tfm]), eval_transform=tfm)
    dls.valid = None  # evaluate once at the end, not after every epoch (saves forward passes)
    return Learner(model, dls, lr=lr, cbs=[FreezeBNCB()], progress=progress, seed=seed)


def _train_head(learn, epochs: int, lr: float) -> None:
    """``head``: train the new head on the frozen backbone."""
    freeze_body(learn.model)
    learn.fit(epochs, lr=lr)


def _fine_tune(learn, train, tfm: Callable, *, epochs: int, head_epochs: int, head_init: str, lr: float,
               C: float, freeze_bn: bool) -> None:
    """``fine_tune``: fit the head first (a probe, or ``head_epochs`` of training), then unfreeze every
    layer and train with discriminative learning rates (small for early layers, largest for the head)."""
    model = learn.model
    if head_init == "probe":
        # LP-FT (Kumar et al. 2022): start from the linear probe's head, so that the first
        # gradient steps do not push a random head's large errors into the pretrained features
        _set_probe_head(model, train, tfm, C)
    else:
        _train_head(learn, head_epochs, lr)
    unfreeze(model)
    if freeze_bn:
        freeze_batchnorm(model)
    groups = discriminative_param_groups(model, lr=lr * DEFAULTS["fine_tune_lr_factor"])
    learn.fit(epochs, param_groups=groups)


def _train_all(learn, epochs: int, lr: float) -> None:
    """``full`` (from the pretrained weights) and ``scratch`` (from random weights): every layer trains."""
    learn.fit(epochs, lr=lr)


def _valid_accuracy(strategy: str, model: nn.Module, valid, tfm: Callable) -> float:
    if strategy == "scratch":
        return accuracy_of(model, valid, tfm)
    # the trained backbone's features (channels-last batches, faster on CPU), then its head
    with torch.inference_mode():
        logits = model.get_submodule(find_head(model))(embed(model, valid, transform=tfm, cache=False))
    return float((logits.argmax(1) == valid.targets).float().mean())


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
    y = to_numpy(targets)
    counts = np.bincount(y)
    if n_per_class < 1 or counts.min() < n_per_class:
        raise ValueError(f"cannot take {n_per_class} images per class: the smallest class has {counts.min()} "
                         f"(classes have {counts.tolist()}); ask for fewer or load more images")
    rng = np.random.default_rng(seed)
    idx = [rng.permutation(np.flatnonzero(y == c))[:n_per_class] for c in range(len(counts))]
    return np.sort(np.concatenate(idx))
