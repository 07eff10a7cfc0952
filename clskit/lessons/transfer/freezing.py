"""Which part trains: find the head, freeze the body or the BatchNorm layers, discriminative learning rates."""
from __future__ import annotations

import numpy as np
import torch.nn as nn

from clskit.training.callbacks import Callback
from clskit.models.heads import find_head
from clskit.utils import BATCHNORM_TYPES


# -- freezing -----------------------------------------------------------------------------------
def freeze_body(model: nn.Module) -> nn.Module:
    """Freeze every parameter except the head's (``requires_grad=False``); returns the model.

    Frozen BatchNorm layers should also stay in eval mode while training (their running
    statistics must not drift); :class:`FreezeBNCB` does that in the Learner.

    Example:
        >>> from clskit.models import create_model
        >>> m = freeze_body(create_model("small_cnn", num_classes=2))
        >>> [n for n, p in m.named_parameters() if p.requires_grad]
        ['head.2.weight', 'head.2.bias']
    """
    head = find_head(model)
    for name, p in model.named_parameters():
        p.requires_grad_(name.startswith(head + "."))
    return model


def unfreeze(model: nn.Module) -> nn.Module:
    """Make every parameter trainable again; returns the model."""
    for p in model.parameters():
        p.requires_grad_(True)
    return model


def freeze_batchnorm(model: nn.Module) -> nn.Module:
    """Freeze the weights of every BatchNorm layer (with :class:`FreezeBNCB` their running
    statistics stay fixed too); returns the model.

    Example:
        >>> m = freeze_batchnorm(nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4)))
        >>> m[1].weight.requires_grad, m[0].weight.requires_grad
        (False, True)
    """
    for m in model.modules():
        if isinstance(m, BATCHNORM_TYPES):
            m.requires_grad_(False)
    return model


def set_frozen_bn_eval(model: nn.Module) -> int:
    """Put BatchNorm layers whose parameters are all frozen into eval mode; returns how many.

    In train mode BatchNorm normalizes with the batch's statistics and updates its running
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
        if isinstance(m, BATCHNORM_TYPES) and not any(p.requires_grad for p in m.parameters(recurse=False)):
            m.eval()
            n += 1
    return n


class FreezeBNCB(Callback):
    """Keeps frozen BatchNorm layers in eval mode during training (after ``model.train()``).

    Example:
        >>> learn = Learner(model, dls, cbs=[FreezeBNCB()])   # doctest: +SKIP
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
    pass them as ``learn.fit(epochs, param_groups=groups)``.

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
    head = find_head(model)
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
