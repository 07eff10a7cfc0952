"""Multi-label metrics on 0/1 label vectors and sigmoid outputs: subset accuracy, Hamming loss, F1, ROC AUC, mAP."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

from clskit.metrics.ranking import _binary_ap, _binary_auc, per_class_auc
from clskit.metrics.validation import check_multilabel, check_threshold, safe_div, to_numpy


def _ml_pred(p: np.ndarray, threshold) -> np.ndarray:
    t = check_threshold(threshold)
    if t.ndim == 1 and len(t) != p.shape[1]:
        raise ValueError(f"got {len(t)} thresholds for {p.shape[1]} labels; pass one per label or a single number")
    return (p >= t).astype(np.int64)


def subset_accuracy(targets, probs, threshold: float | Sequence[float] = 0.5) -> float:
    """Multi-label: fraction of samples whose whole predicted label set is exactly right (strict).

    Example:
        >>> subset_accuracy([[1, 0], [1, 1]], [[0.9, 0.2], [0.8, 0.3]])
        0.5
    """
    y, p = check_multilabel(targets, probs)
    return float((_ml_pred(p, threshold) == y).all(1).mean())


def hamming_loss(targets, probs, threshold: float | Sequence[float] = 0.5) -> float:
    """Multi-label: fraction of (sample, label) decisions that are wrong (lenient; low on sparse labels).

    Example:
        >>> hamming_loss([[1, 0], [1, 1]], [[0.9, 0.2], [0.8, 0.3]])
        0.25
    """
    y, p = check_multilabel(targets, probs)
    return float((_ml_pred(p, threshold) != y).mean())


@dataclass
class LabelMetrics:
    """Per-label precision, recall, F1, ROC AUC (NaN when undefined) and support, with notes."""

    precision: np.ndarray
    recall: np.ndarray
    f1: np.ndarray
    auc: np.ndarray
    support: np.ndarray
    predicted: np.ndarray
    notes: list[str] = field(default_factory=list)


def multilabel_per_label(targets, probs, threshold: float | Sequence[float] = 0.5, zero_division: float = 0.0,
                         labels: Sequence[str] | None = None) -> LabelMetrics:
    """Per-label precision, recall, F1 and ROC AUC of a multi-label classifier.

    Example:
        >>> m = multilabel_per_label([[1, 0], [0, 1], [1, 1]], [[0.9, 0.2], [0.3, 0.6], [0.4, 0.7]])
        >>> m.recall.tolist(), m.auc.tolist()
        ([0.5, 1.0], [1.0, 1.0])
    """
    y, p = check_multilabel(targets, probs)
    pred = _ml_pred(p, threshold)
    names = list(labels) if labels is not None else [str(i) for i in range(y.shape[1])]
    tp = (pred & y).sum(0)
    support, predicted = y.sum(0), pred.sum(0)
    notes = []
    for j in range(y.shape[1]):
        if predicted[j] == 0:
            notes.append(f"label {names[j]} is never predicted: its precision is set to {zero_division}")
        if support[j] == 0:
            notes.append(f"label {names[j]} never occurs in the targets: its recall is set to {zero_division}")
    aucs, auc_notes = per_class_auc(y, p, names, kind="label")
    notes += auc_notes
    return LabelMetrics(safe_div(tp, predicted, zero_division), safe_div(tp, support, zero_division),
                        safe_div(2 * tp, support + predicted, zero_division), aucs, support,
                        predicted, notes)


def multilabel_f1(targets, probs, average: str = "macro", threshold: float | Sequence[float] = 0.5,
                  zero_division: float = 0.0) -> float:
    """Multi-label F1: ``"macro"`` (mean over labels), ``"micro"`` (pooled counts) or ``"samples"``.

    Example:
        >>> multilabel_f1([[1, 0], [0, 1]], [[0.9, 0.2], [0.3, 0.6]])
        1.0
    """
    y, p = check_multilabel(targets, probs)
    pred = _ml_pred(p, threshold)
    if average == "macro":
        return float(multilabel_per_label(y, p, threshold, zero_division).f1.mean())
    if average == "micro":
        tp = (pred & y).sum()
        return float(safe_div(2 * tp, y.sum() + pred.sum(), zero_division))
    if average == "samples":
        tp = (pred & y).sum(1)
        return float(safe_div(2 * tp, y.sum(1) + pred.sum(1), zero_division).mean())
    raise ValueError(f"average must be 'macro', 'micro' or 'samples'; got {average!r}")


def multilabel_roc_auc(targets, probs) -> float:
    """Mean per-label ROC AUC; raises if a label is all-positive or all-negative in the targets.

    Example:
        >>> multilabel_roc_auc([[1, 0], [0, 1], [1, 1]], [[0.9, 0.2], [0.3, 0.6], [0.4, 0.7]])
        1.0
    """
    y, p = check_multilabel(targets, probs)
    for j in range(y.shape[1]):
        if y[:, j].sum() in (0, len(y)):
            raise ValueError(f"ROC AUC is undefined for label {j}: all {len(y)} samples have the same value; "
                             "use multilabel_per_label (NaN for such labels) or a larger evaluation set")
    return float(np.mean([_binary_auc(y[:, j], p[:, j]) for j in range(y.shape[1])]))


def multilabel_average_precision(targets, probs, average: str | None = "macro"):
    """Average precision of each label's ranking of the images; ``"macro"`` averages them into the **mAP**.

    The standard score of multi-label image benchmarks (PASCAL VOC, COCO, Open Images). It needs no threshold,
    and its chance level for a label is that label's share of positives, so a rare label that is ranked
    poorly pulls the mean down. ``average=None`` returns one AP per label.

    Example:
        >>> y, p = [[1, 0], [0, 1], [1, 1]], [[0.9, 0.2], [0.3, 0.6], [0.4, 0.1]]
        >>> multilabel_average_precision(y, p, None).round(3).tolist(), round(multilabel_average_precision(y, p), 3)
        ([1.0, 0.833], 0.917)
    """
    y, p = check_multilabel(targets, probs)
    for j in range(y.shape[1]):
        if y[:, j].sum() == 0:
            raise ValueError(f"average precision is undefined for label {j}: none of the {len(y)} samples has it; "
                             "evaluate on a larger set that contains every label")
    aps = np.array([_binary_ap(y[:, j], p[:, j]) for j in range(y.shape[1])])
    if average is None:
        return aps
    if average == "macro":
        return float(aps.mean())
    raise ValueError(f"average must be 'macro' (the mAP) or None (one AP per label); got {average!r}")


def _multilabel_accuracy(targets, probs, threshold: float = 0.5) -> float:
    """Per-label accuracy averaged over labels (sigmoid outputs thresholded at 0.5)."""
    y, p = to_numpy(targets), to_numpy(probs)
    return float(((p >= threshold) == (y > 0.5)).mean())
