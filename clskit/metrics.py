"""Metrics: pure functions on ``(targets, probs)`` (tensors or arrays), each checked against scikit-learn."""
from __future__ import annotations

from typing import Callable, Sequence

import numpy as np
import torch


def _np(a) -> np.ndarray:
    if isinstance(a, torch.Tensor):
        return a.detach().cpu().numpy()
    return np.asarray(a)


def accuracy(targets, probs) -> float:
    """Fraction of samples whose highest-probability class equals the target.

    Example:
        >>> accuracy([0, 1, 1], [[0.9, 0.1], [0.2, 0.8], [0.6, 0.4]])
        0.6666666666666666
    """
    y, p = _np(targets), _np(probs)
    if p.ndim != 2:
        raise ValueError(f"probs must have shape (N, num_classes); got {p.shape}")
    if len(y) != len(p):
        raise ValueError(f"targets and probs have different lengths ({len(y)} vs {len(p)})")
    if len(y) == 0:
        raise ValueError("cannot compute accuracy of zero samples")
    return float((p.argmax(1) == y).mean())


def _multilabel_accuracy(targets, probs, threshold: float = 0.5) -> float:
    """Per-label accuracy averaged over labels (sigmoid outputs thresholded at 0.5)."""
    y, p = _np(targets), _np(probs)
    return float(((p >= threshold) == (y > 0.5)).mean())


_NAMED: dict[str, Callable] = {"accuracy": accuracy}


def resolve_metrics(metrics: Sequence[Callable | str] | None, multilabel: bool = False) -> list[tuple[str, Callable]]:
    """Turn names or callables into ``(name, fn)`` pairs for the Learner."""
    out = []
    for m in metrics or ():
        if isinstance(m, str):
            if multilabel and m == "accuracy":
                out.append(("accuracy", _multilabel_accuracy))
                continue
            if m not in _NAMED:
                raise KeyError(f"unknown metric {m!r}; named metrics: {', '.join(sorted(_NAMED))}, or pass a function")
            out.append((m, _NAMED[m]))
        elif callable(m):
            out.append((getattr(m, "__name__", type(m).__name__), m))
        else:
            raise TypeError(f"a metric must be a name or a function f(targets, probs); got {m!r}")
    return out
