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

from clskit.metrics import (check_binary_scores, check_multilabel, check_single_label, check_threshold, f1_score,
                      threshold_sweep, to_numpy)


# the thresholds tune_class_thresholds tries by default: 0.05 to 0.95 in steps of 0.05 (a finer grid
# overfits a small validation set; 0 and 1 would switch a class off or on entirely)
_THRESHOLD_GRID = np.linspace(0.05, 0.95, 19)


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
    fixed and keep the best; repeat ``rounds`` times. Thresholds are normalized to sum to 1.

    Example:
        >>> y = [0] * 8 + [1, 1]
        >>> p = [[0.9, 0.1]] * 6 + [[0.7, 0.3]] * 2 + [[0.58, 0.42], [0.55, 0.45]]
        >>> predict_with_thresholds(p, tune_class_thresholds(y, p)).tolist()[-4:]
        [0, 0, 1, 1]
    """
    y, p = check_single_label(targets, probs)
    k = p.shape[1]
    grid = _THRESHOLD_GRID if grid is None else np.asarray(grid, dtype=np.float64)
    t = np.full(k, 1.0 / k)

    def score(tt):
        pred = (p / tt).argmax(1)
        return f1_score(y, np.eye(k)[pred])

    best = score(t)
    for _ in range(rounds):
        for c in range(k):
            for g in grid:
                trial = t.copy()
                trial[c] = g * (t.sum() - t[c]) / (1 - g)  # so that t_c = g after normalizing
                trial = trial / trial.sum()
                s = score(trial)
                if s > best + 1e-12:
                    best, t = s, trial
    return t


# -- metrics at another prevalence ------------------------------------------------------------
def _check_prevalence(prevalence: float) -> float:
    p = float(prevalence)
    if not 0 < p < 1:
        raise ValueError(f"prevalence is the share of positives and must lie strictly between 0 and 1; got {prevalence}. "
                         "For 1 positive in 20 pass 1/21")
    return p


def _at_prevalence(sens, spec, prevalence: float) -> dict:
    """Expected rates per case when sensitivity and specificity are fixed and positives have share ``prevalence``."""
    tp, fn = sens * prevalence, (1 - sens) * prevalence
    tn, fp = spec * (1 - prevalence), (1 - spec) * (1 - prevalence)
    div = lambda a, b: np.divide(a, b, out=np.zeros_like(np.asarray(a, dtype=np.float64)), where=np.asarray(b) > 0)
    f1_pos, f1_neg = div(2 * tp, 2 * tp + fp + fn), div(2 * tn, 2 * tn + fn + fp)
    return {"recall": sens, "specificity": spec, "precision": div(tp, tp + fp), "npv": div(tn, tn + fn),
            "f1": f1_pos, "f1_negative": f1_neg, "macro_f1": (f1_pos + f1_neg) / 2, "accuracy": tp + tn}


def metrics_at_prevalence(targets, scores, prevalence: float, threshold: float = 0.5, pos_label: int = 1) -> dict[str, float]:
    """Binary metrics as they would be on a population whose share of positives is ``prevalence``.

    Recall (sensitivity) and specificity are rates *within* a class, so they do not depend on how many
    positives a test set holds; precision, NPV, F1, macro-F1 and accuracy do. Measured on any test set
    with both classes, they are re-computed for another prevalence by Bayes' rule:
    ``precision = sens * prev / (sens * prev + (1 - spec) * (1 - prev))``. This equals weighting each test
    image so that the classes have shares ``prevalence`` and ``1 - prevalence`` (checked against
    scikit-learn with ``sample_weight`` in the tests), and is far less noisy than shrinking the test set.

    Args:
        targets: ``(N,)`` labels; ``pos_label`` is the positive class.
        scores: ``(N,)`` positive-class probability or ``(N, 2)`` probabilities.
        prevalence: share of positives in the population of interest, in ``(0, 1)``.
        threshold: predict positive when ``score >= threshold``.

    Returns:
        dict with ``recall, specificity, precision, npv, f1, f1_negative, macro_f1, accuracy, prevalence, threshold``.

    Example:
        >>> y, s = [0, 0, 1, 1], [0.1, 0.6, 0.7, 0.9]          # recall 1.0, specificity 0.5
        >>> round(metrics_at_prevalence(y, s, 0.5)["precision"], 3), round(metrics_at_prevalence(y, s, 0.1)["precision"], 3)
        (0.667, 0.182)
    """
    from clskit.metrics import binary_metrics_at

    prev = _check_prevalence(prevalence)
    m = binary_metrics_at(targets, scores, threshold, pos_label)
    if m["tp"] + m["fn"] == 0 or m["tn"] + m["fp"] == 0:
        raise ValueError(f"need both classes among the targets to measure sensitivity and specificity; got "
                         f"{m['tp'] + m['fn']} positives and {m['tn'] + m['fp']} negatives")
    out = {k: float(v) for k, v in _at_prevalence(m["recall"], m["specificity"], prev).items()}
    return {**out, "prevalence": prev, "threshold": m["threshold"]}


def tune_threshold_at_prevalence(targets, scores, prevalence: float, pos_label: int = 1) -> float:
    """The threshold that maximises macro-F1 on a population with share ``prevalence`` of positives.

    Like :func:`tune_threshold`, but the validation set may have any class balance (for example a balanced
    one, so that the rare class has enough images): each candidate threshold is scored with
    :func:`metrics_at_prevalence`. The highest threshold wins among ties.

    Example:
        >>> y, s = [0, 0, 0, 1, 1, 1], [0.1, 0.3, 0.6, 0.5, 0.7, 0.9]
        >>> tune_threshold_at_prevalence(y, s, 0.8), tune_threshold_at_prevalence(y, s, 0.05)
        (0.5, 0.7)
    """
    prev = _check_prevalence(prevalence)
    y, _ = check_binary_scores(targets, scores, pos_label)
    sweep = threshold_sweep(targets, scores, pos_label)
    n_pos, n_neg = int(y.sum()), int(len(y) - y.sum())
    if n_pos == 0 or n_neg == 0:
        raise ValueError(f"need both classes to tune a threshold; got {n_pos} positives and {n_neg} negatives")
    macro = _at_prevalence(sweep.tp / n_pos, sweep.tn / n_neg, prev)["macro_f1"]
    t = sweep.thresholds[int(np.argmax(macro))]
    return float(min(t, 1.0))
