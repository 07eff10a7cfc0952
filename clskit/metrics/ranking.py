"""Ranking metrics: ROC and precision-recall curves, ROC AUC and average precision (binary and one-vs-rest)."""
from __future__ import annotations

from typing import Sequence

import numpy as np

from clskit.metrics.validation import check_binary_scores, check_single_label, to_numpy

# np.trapz became np.trapezoid in NumPy 2.0 (and the old name is deprecated there); the kit supports both
_trapezoid = getattr(np, "trapezoid", None) or np.trapz


def _cumulative_counts(y: np.ndarray, s: np.ndarray):
    """True and false positives when predicting ``s >= t`` for each distinct score ``t`` (descending)."""
    order = np.argsort(-s, kind="mergesort")
    s, y = s[order], y[order]
    last = np.r_[np.flatnonzero(np.diff(s)), len(s) - 1]  # last index of each run of equal scores
    tps = np.cumsum(y)[last]
    fps = (last + 1) - tps
    return tps, fps, s[last]


def _require_both_classes(y: np.ndarray, what: str) -> None:
    n_pos = int(y.sum())
    if n_pos == 0 or n_pos == len(y):
        only = "positive" if n_pos else "negative"
        raise ValueError(f"{what} is undefined when the targets hold only {only} samples ({len(y)} of them); "
                         "evaluate on a set that contains both classes (use a stratified split)")


def roc_curve(targets, scores, pos_label: int = 1) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """False-positive rate and true-positive rate at every distinct threshold (binary).

    Returns:
        ``(fpr, tpr, thresholds)``, thresholds descending, starting at ``inf`` (predict nothing positive).

    Example:
        >>> fpr, tpr, th = roc_curve([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
        >>> fpr.tolist(), tpr.tolist()
        ([0.0, 0.0, 0.5, 0.5, 1.0], [0.0, 0.5, 0.5, 1.0, 1.0])
    """
    y, s = check_binary_scores(targets, scores, pos_label)
    _require_both_classes(y, "the ROC curve")
    tps, fps, th = _cumulative_counts(y, s)
    tpr = np.r_[0.0, tps / tps[-1]]
    fpr = np.r_[0.0, fps / fps[-1]]
    return fpr, tpr, np.r_[np.inf, th]


def _binary_auc(y: np.ndarray, s: np.ndarray) -> float:
    _require_both_classes(y, "ROC AUC")
    tps, fps, _ = _cumulative_counts(y, s)
    return float(_trapezoid(np.r_[0.0, tps / tps[-1]], np.r_[0.0, fps / fps[-1]]))


def per_class_auc(targets_onehot, probs, names: Sequence[str] | None = None,
                  kind: str = "class") -> tuple[np.ndarray, list[str]]:
    """One-vs-rest ROC AUC of every column: NaN (with a note) where a column's targets are all 0 or all 1.

    The one loop behind :func:`roc_auc` (several classes), :func:`~clskit.metrics.multilabel_per_label`
    and :func:`~clskit.metrics.classification_report_df`.

    Args:
        targets_onehot: ``(N, K)`` 0/1 targets (a class's column for single-label data, a label's
            column for multi-label data).
        probs: ``(N, K)`` scores.
        names: column names for the notes (default ``0..K-1``).
        kind: ``"class"`` or ``"label"``, for the notes.

    Example:
        >>> aucs, notes = per_class_auc([[1, 0], [0, 0], [1, 0]], [[0.9, 0.2], [0.3, 0.6], [0.4, 0.7]])
        >>> aucs.tolist()[0], notes
        (1.0, ['class 1: ROC AUC is undefined (all 3 samples are negative); shown as NaN'])
    """
    y, p = to_numpy(targets_onehot).astype(np.int64), to_numpy(probs).astype(np.float64)
    if y.shape != p.shape or y.ndim != 2:
        raise ValueError(f"targets_onehot and probs must both have shape (N, K); got {y.shape} and {p.shape}")
    names = list(names) if names is not None else [str(j) for j in range(y.shape[1])]
    aucs, notes = np.full(y.shape[1], np.nan), []
    for j in range(y.shape[1]):
        n_pos = int(y[:, j].sum())
        if 0 < n_pos < len(y):
            aucs[j] = _binary_auc(y[:, j], p[:, j])
        else:
            notes.append(f"{kind} {names[j]}: ROC AUC is undefined (all {len(y)} samples are "
                         f"{'positive' if n_pos else 'negative'}); shown as NaN")
    return aucs, notes


def roc_auc(targets, probs, average: str = "macro", rescale: bool = False) -> float:
    """Area under the ROC curve: the chance that a random positive scores above a random negative.

    Binary: the AUC of the positive-class score. Several classes: one-vs-rest AUC of every class,
    averaged (``"macro"`` or ``"weighted"`` by support). 0.5 is chance, 1.0 perfect. Threshold-free,
    which also means it says nothing about the threshold you deploy, and it can look good on heavily
    imbalanced data while precision is poor (check the PR curve).

    Raises:
        ValueError: if a class has no positive or no negative samples (AUC undefined).

    Example:
        >>> roc_auc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
        0.75
    """
    p = to_numpy(probs)
    if p.ndim == 1 or p.shape[1] == 2:
        y, s = check_binary_scores(targets, p)
        return _binary_auc(y, s)
    y, p = check_single_label(targets, p, rescale)
    onehot = np.eye(p.shape[1], dtype=np.int64)[y]
    aucs, _ = per_class_auc(onehot, p)
    support = onehot.sum(0)
    if np.isnan(aucs).any():
        c = int(np.flatnonzero(np.isnan(aucs))[0])
        raise ValueError(f"one-vs-rest ROC AUC is undefined for class {c}: it has {int(support[c])} samples "
                         f"among {len(y)}. Evaluate on a set with every class (a stratified split)")
    if average == "macro":
        return float(np.mean(aucs))
    if average == "weighted":
        return float(np.average(aucs, weights=support))
    raise ValueError(f"average must be 'macro' or 'weighted'; got {average!r}")


def precision_recall_curve(targets, scores, pos_label: int = 1) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Precision and recall at every distinct threshold (binary), in scikit-learn's order.

    Returns:
        ``(precision, recall, thresholds)`` with thresholds ascending; the last point is
        ``precision=1, recall=0`` (no threshold), so the arrays are one longer than ``thresholds``.

    Example:
        >>> p, r, t = precision_recall_curve([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
        >>> p.round(3).tolist(), r.tolist()
        ([0.5, 0.667, 0.5, 1.0, 1.0], [1.0, 1.0, 0.5, 0.5, 0.0])
    """
    y, s = check_binary_scores(targets, scores, pos_label)
    if y.sum() == 0:
        raise ValueError("the precision-recall curve is undefined when the targets hold no positive "
                         "sample; evaluate on a set that contains the positive class")
    tps, fps, th = _cumulative_counts(y, s)
    prec = tps / (tps + fps)
    rec = tps / tps[-1]
    return np.r_[prec[::-1], 1.0], np.r_[rec[::-1], 0.0], th[::-1]


def average_precision(targets, probs, average: str = "macro", rescale: bool = False) -> float:
    """Area under the precision-recall curve as a step sum, ``sum (R_n - R_{n-1}) P_n``.

    Binary: of the positive class. Several classes: one-vs-rest, averaged. Unlike ROC AUC its
    chance level is the positive rate, so it shows how hard a rare class is.

    Example:
        >>> round(average_precision([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]), 4)
        0.8333
    """
    p = to_numpy(probs)
    if p.ndim == 1 or p.shape[1] == 2:
        y, s = check_binary_scores(targets, p)
        return _binary_ap(y, s)
    y, p = check_single_label(targets, p, rescale)
    aps = [_binary_ap((y == c).astype(np.int64), p[:, c]) for c in range(p.shape[1])]
    if average == "macro":
        return float(np.mean(aps))
    if average == "weighted":
        return float(np.average(aps, weights=np.bincount(y, minlength=p.shape[1])))
    raise ValueError(f"average must be 'macro' or 'weighted'; got {average!r}")


def _binary_ap(y: np.ndarray, s: np.ndarray) -> float:
    _require_both_classes(y, "average precision")
    prec, rec, _ = precision_recall_curve(y, s)
    return float(-np.sum(np.diff(rec) * prec[:-1]))
