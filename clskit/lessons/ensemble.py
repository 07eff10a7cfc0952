"""The last points of accuracy: ensembles of models and test-time augmentation (TTA).

Both average *probabilities* (softmax outputs) and return their logarithm, so each is an ordinary
``nn.Module`` whose softmax is the averaged probability: ``Learner.get_preds``, :func:`clskit.inference.accuracy_of`
and :func:`clskit.lessons.efficiency.profile_models` work on them unchanged, and their cost (k models or
n views means about k or n times the compute) shows up in the same latency table.

Example:
    >>> import torch.nn as nn
    >>> ens = Ensemble([nn.Linear(4, 3), nn.Linear(4, 3)])
    >>> ens(torch.rand(2, 4)).exp().sum(1).round(decimals=4).tolist()
    [1.0, 1.0]
"""
from __future__ import annotations

from typing import Callable, Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F


def _mean_log_probs(logits: Sequence[torch.Tensor]) -> torch.Tensor:
    # log(mean_i softmax(z_i)) computed stably as logsumexp_i(log_softmax(z_i)) - log(n)
    stacked = torch.stack([F.log_softmax(z.float(), dim=-1) for z in logits])     # (n, B, classes)
    return torch.logsumexp(stacked, dim=0) - torch.log(torch.tensor(float(len(logits))))


class Ensemble(nn.Module):
    """Average the predicted probabilities of several models (a "soft-voting" ensemble).

    Models trained from different random starts make partly independent mistakes; averaging their
    probabilities cancels some of them. Returns ``log(mean_i softmax(model_i(x)))``.

    Args:
        models: classifiers with the same classes, each returning logits ``(B, num_classes)``.

    Example:
        >>> ens = Ensemble([nn.Linear(4, 3) for _ in range(3)])
        >>> ens(torch.rand(5, 4)).shape
        torch.Size([5, 3])
    """

    def __init__(self, models: Sequence[nn.Module]):
        super().__init__()
        if len(models) == 0:
            raise ValueError("an Ensemble needs at least one model")
        for i, m in enumerate(models):
            if not isinstance(m, nn.Module):
                inner = " (a Learner: pass learner.model, e.g. Ensemble([l.model for l in learners]))" \
                    if isinstance(getattr(m, "model", None), nn.Module) else ""
                raise TypeError(f"models[{i}] is a {type(m).__name__}, not a torch.nn.Module{inner}")
        self.members = nn.ModuleList(models)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        outs = [m(x) for m in self.members]
        shapes = {tuple(o.shape) for o in outs}
        if len(shapes) > 1:
            raise ValueError(f"ensemble members disagree on the output shape: {sorted(shapes)}; "
                             "all must predict the same classes")
        return _mean_log_probs(outs)


def shift(x: torch.Tensor, dy: int, dx: int) -> torch.Tensor:
    """Shift a batch ``(B, C, H, W)`` by ``dy`` rows and ``dx`` columns, repeating the edge pixels.

    Example:
        >>> shift(torch.arange(4.).reshape(1, 1, 1, 4), 0, 1)
        tensor([[[[0., 0., 1., 2.]]]])
    """
    p = max(abs(dy), abs(dx))
    if p == 0:
        return x
    h, w = x.shape[-2:]
    padded = F.pad(x, (p, p, p, p), mode="replicate")
    return padded[..., p - dy:p - dy + h, p - dx:p - dx + w]


def tta_views(hflip: bool = True, shifts: int = 1) -> list[tuple[str, Callable[[torch.Tensor], torch.Tensor]]]:
    """Named batch transforms for test-time augmentation: identity, a mirror, and small shifts.

    Args:
        hflip: include the horizontal mirror (wrong for classes a mirror changes, like some digits).
        shifts: pixels of the four shifts (up, down, left, right); ``0`` for none.

    Example:
        >>> [name for name, _ in tta_views(hflip=True, shifts=1)]
        ['identity', 'hflip', 'up 1', 'down 1', 'left 1', 'right 1']
    """
    views = [("identity", lambda x: x)]
    if hflip:
        views.append(("hflip", lambda x: x.flip(-1)))
    if shifts:
        s = int(shifts)
        views += [(f"up {s}", lambda x: shift(x, -s, 0)), (f"down {s}", lambda x: shift(x, s, 0)),
                  (f"left {s}", lambda x: shift(x, 0, -s)), (f"right {s}", lambda x: shift(x, 0, s))]
    return views


class TTA(nn.Module):
    """Test-time augmentation: average a model's probabilities over several views of each image.

    Args:
        model: a classifier returning logits.
        views: ``(name, transform)`` pairs acting on batches (default :func:`tta_views`); plain
            callables work too.

    Example:
        >>> tta = TTA(nn.Sequential(nn.Flatten(), nn.Linear(16, 3)), tta_views(hflip=True, shifts=0))
        >>> tta(torch.rand(2, 1, 4, 4)).shape
        torch.Size([2, 3])
    """

    def __init__(self, model: nn.Module, views: Sequence | None = None):
        super().__init__()
        self.model = model
        views = tta_views() if views is None else list(views)
        if not views:
            raise ValueError("TTA needs at least one view; pass tta_views() or a list of transforms")
        self.views = [v if isinstance(v, tuple) else (getattr(v, "__name__", "view"), v) for v in views]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return _mean_log_probs([self.model(tfm(x)) for _, tfm in self.views])
