"""Threshold moving: choose decision thresholds on validation data instead of retraining.

A model trained on imbalanced data ranks well (good AUC) but its default decision (argmax, or
``p >= 0.5``) favours the majority class. Moving the threshold trades precision for recall after
training. Pick thresholds on the validation set and report on the test set, never the same data.

Example:
    >>> y, p = [0, 0, 0, 1, 1], [0.1, 0.2, 0.45, 0.3, 0.6]
    >>> tune_threshold(y, p)            # best F1 (instead of the default 0.5)
    0.3
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from .metrics import check_multilabel, check_single_label, check_threshold, f1_score, threshold_sweep, to_numpy


def tune_threshold(targets, scores, criterion: str = "f1", target_recall: float | None = None) -> float:
    """The binary threshold that maximises F1, or the highest one that reaches ``target_recall``.

    Args:
        targets: ``(N,)`` 0/1 labels.
        scores: ``(N,)`` positive-class probability or ``(N, 2)`` probabilities.
        criterion: ``"f1"`` or ``"recall"`` (then ``target_recall`` is required).

    Example:
        >>> tune_threshold([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8], criterion="recall", target_recall=1.0)
        0.35
    """
    sweep = threshold_sweep(targets, scores)
    if criterion == "f1":
        t = sweep.best_f1()[0]
    elif criterion == "recall":
        if target_recall is None:
            raise ValueError("criterion='recall' needs target_recall=, for example 0.9")
        t = sweep.for_recall(target_recall)[0]
    else:
        raise ValueError(f"criterion must be 'f1' or 'recall'; got {criterion!r}")
    return float(min(t, 1.0))  # inf (predict nothing) only when no threshold helps


def tune_label_thresholds(targets, probs) -> np.ndarray:
    """Multi-label: for each label separately, the threshold that maximises that label's F1.

    Example:
        >>> tune_label_thresholds([[1, 0], [0, 1], [1, 1]], [[0.9, 0.2], [0.3, 0.6], [0.4, 0.7]]).tolist()
        [0.4, 0.6]
    """
    y, p = check_multilabel(targets, probs)
    out = []
    for j in range(y.shape[1]):
        if y[:, j].sum() == 0:
            out.append(1.0)  # never seen positive: predicting nothing is the best F1 can do
        else:
            out.append(tune_threshold(y[:, j], p[:, j]))
    return np.array(out)


def predict_with_thresholds(probs, thresholds: Sequence[float]) -> np.ndarray:
    """Single-label predictions ``argmax_k p_k / t_k`` with one threshold per class.

    For two classes with thresholds ``(1 - t, t)`` this is exactly ``p_1 >= t``, so it generalises the
    binary threshold to several classes: a lower ``t_k`` makes class ``k`` easier to predict.
    Equal thresholds give the plain argmax.

    Example:
        >>> predict_with_thresholds([[0.7, 0.3], [0.9, 0.1]], [0.8, 0.2]).tolist()
        [1, 0]
    """
    p = to_numpy(probs).astype(np.float64)
    t = check_threshold(thresholds)
    if p.ndim != 2 or t.shape != (p.shape[1],):
        raise ValueError(f"need probs (N, K) and K thresholds; got probs {p.shape} and thresholds {t.shape}")
    if (t <= 0).any():
        raise ValueError(f"class thresholds must be positive; got {t.tolist()}")
    return (p / t).argmax(1)


def tune_class_thresholds(targets, probs, grid: Sequence[float] | None = None, rounds: int = 2) -> np.ndarray:
    """Per-class thresholds for :func:`predict_with_thresholds` that maximise macro-F1 on ``(targets, probs)``.

    Coordinate ascent: for each class in turn, try every value of ``grid`` with the other thresholds
    fixed and keep the best; repeat ``rounds`` times. Thresholds are normalised to sum to 1.

    Example:
        >>> y = [0] * 8 + [1, 1]
        >>> p = [[0.9, 0.1]] * 6 + [[0.7, 0.3]] * 2 + [[0.58, 0.42], [0.55, 0.45]]
        >>> predict_with_thresholds(p, tune_class_thresholds(y, p)).tolist()[-4:]
        [0, 0, 1, 1]
    """
    y, p = check_single_label(targets, probs)
    k = p.shape[1]
    grid = np.linspace(0.05, 0.95, 19) if grid is None else np.asarray(grid, dtype=np.float64)
    t = np.full(k, 1.0 / k)

    def score(tt):
        pred = (p / tt).argmax(1)
        return f1_score(y, np.eye(k)[pred])

    best = score(t)
    for _ in range(rounds):
        for c in range(k):
            for g in grid:
                trial = t.copy()
                trial[c] = g * (t.sum() - t[c]) / (1 - g)  # so that t_c = g after normalising
                trial = trial / trial.sum()
                s = score(trial)
                if s > best + 1e-12:
                    best, t = s, trial
    return t
