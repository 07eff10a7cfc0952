"""Single-label metrics from ``(targets, probs)``: accuracy, the confusion matrix, per-class and averaged
precision, recall and F1, top-k accuracy and log loss."""
from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

from clskit.metrics.validation import (UndefinedMetricWarning, check_single_label, check_threshold, safe_div,
                         to_numpy)


# -- label predictions -------------------------------------------------------------------------
def predict_labels(probs, threshold: float | None = None) -> np.ndarray:
    """Class predictions from probabilities: the argmax, or for a binary task ``p[:, 1] >= threshold``.

    Example:
        >>> predict_labels([[0.7, 0.3], [0.4, 0.6]]).tolist(), predict_labels([[0.7, 0.3]], threshold=0.2).tolist()
        ([0, 1], [1])
    """
    p = to_numpy(probs).astype(np.float64)
    if p.ndim == 1:
        p = np.stack([1 - p, p], axis=1)
    if threshold is None:
        return p.argmax(1)
    if p.shape[1] != 2:
        raise ValueError(f"threshold= works for binary tasks only; probs have {p.shape[1]} classes. "
                         "For several classes see clskit.metrics.tuning.predict_with_thresholds")
    return (p[:, 1] >= float(check_threshold(threshold))).astype(np.int64)


# -- single-label metrics ------------------------------------------------------------------------
def accuracy(targets, probs, rescale: bool = False) -> float:
    """Fraction of samples whose highest-probability class equals the target.

    Misleads on imbalanced data: always predicting the majority class scores its frequency.

    Example:
        >>> accuracy([0, 1, 1], [[0.9, 0.1], [0.2, 0.8], [0.6, 0.4]])
        0.6666666666666666
    """
    y, p = check_single_label(targets, probs, rescale)
    return float((p.argmax(1) == y).mean())


def confusion_matrix(targets, probs, normalize: str | None = None, threshold: float | None = None,
                     rescale: bool = False) -> np.ndarray:
    """Counts ``C[i, j]`` of samples of true class ``i`` predicted as class ``j``.

    Args:
        targets: ``(N,)`` class indices.
        probs: ``(N, K)`` probabilities (or ``(N,)`` positive-class scores for a binary task).
        normalize: ``None`` (counts), ``"true"`` (rows sum to 1: per-class recall on the diagonal),
            ``"pred"`` (columns sum to 1: precision on the diagonal) or ``"all"``. An empty row or
            column normalizes to zeros.
        threshold: for a binary task, predict class 1 when ``p[:, 1] >= threshold`` instead of the argmax.
        rescale: rescale probability rows that do not sum to 1 (instead of raising).

    Example:
        >>> confusion_matrix([0, 1, 1], [[0.9, 0.1], [0.2, 0.8], [0.6, 0.4]]).tolist()
        [[1, 0], [1, 1]]
    """
    y, p = check_single_label(targets, probs, rescale)
    k = p.shape[1]
    pred = predict_labels(p, threshold)
    cm = np.bincount(y * k + pred, minlength=k * k).reshape(k, k)
    if normalize is None:
        return cm
    if normalize == "true":
        return safe_div(cm, cm.sum(1, keepdims=True))
    if normalize == "pred":
        return safe_div(cm, cm.sum(0, keepdims=True))
    if normalize == "all":
        return cm / cm.sum()
    raise ValueError(f"normalize must be None, 'true', 'pred' or 'all'; got {normalize!r}")


def balanced_accuracy(targets, probs, rescale: bool = False) -> float:
    """Mean per-class recall over the classes present in the targets (1/K for a constant prediction).

    Example:
        >>> balanced_accuracy([0, 0, 0, 1], [[0.9, 0.1]] * 4)
        0.5
    """
    y, p = check_single_label(targets, probs, rescale)
    cm = confusion_matrix(y, p)
    present = cm.sum(1) > 0
    return float(np.mean(np.diag(cm)[present] / cm.sum(1)[present]))


def top_k_accuracy(targets, probs, k: int = 5, rescale: bool = False) -> float:
    """Fraction of samples whose target is among the ``k`` highest-probability classes.

    Misleads when ``k`` is close to the number of classes: ``k >= K`` always scores 1, so it warns
    (an :class:`~clskit.metrics.UndefinedMetricWarning`, as scikit-learn's ``top_k_accuracy_score``).

    Example:
        >>> top_k_accuracy([2, 0], [[0.5, 0.3, 0.2], [0.1, 0.6, 0.3]], k=2)
        0.0
    """
    y, p = check_single_label(targets, probs, rescale)
    if not (isinstance(k, (int, np.integer)) and k >= 1):
        raise ValueError(f"k must be a positive integer; got {k!r}")
    if k >= p.shape[1]:
        warnings.warn(f"'k' ({k}) greater than or equal to the number of classes ({p.shape[1]}) gives a perfect "
                      "score and is therefore meaningless; use a k smaller than the number of classes",
                      UndefinedMetricWarning, stacklevel=3)
    k = min(int(k), p.shape[1])
    # rank of the target = number of classes with a strictly higher probability (ties favour the target)
    rank = (p > p[np.arange(len(y)), y][:, None]).sum(1)
    return float((rank < k).mean())


@dataclass
class ClassMetrics:
    """Per-class precision, recall, F1 and support, with notes on undefined ratios."""

    precision: np.ndarray
    recall: np.ndarray
    f1: np.ndarray
    support: np.ndarray      # true samples per class
    predicted: np.ndarray    # predicted samples per class
    notes: list[str] = field(default_factory=list)


def per_class_metrics(targets, probs, threshold: float | None = None, zero_division: float = 0.0,
                      classes: Sequence[str] | None = None, rescale: bool = False) -> ClassMetrics:
    """Precision, recall and F1 of every class (one-vs-rest), from the confusion matrix.

    Precision of a class never predicted and recall of a class absent from the targets are
    ``zero_division``; ``notes`` says which classes that concerns.

    Example:
        >>> m = per_class_metrics([0, 0, 1], [[0.9, 0.1], [0.8, 0.2], [0.7, 0.3]])
        >>> m.recall.tolist(), m.notes
        ([1.0, 0.0], ['class 1 is never predicted: its precision is set to 0.0'])
    """
    cm = confusion_matrix(targets, probs, threshold=threshold, rescale=rescale)
    tp, support, predicted = np.diag(cm), cm.sum(1), cm.sum(0)
    names = list(classes) if classes is not None else [str(i) for i in range(len(cm))]
    notes = []
    for i in np.flatnonzero(predicted == 0):
        notes.append(f"class {names[i]} is never predicted: its precision is set to {zero_division}")
    for i in np.flatnonzero(support == 0):
        notes.append(f"class {names[i]} does not occur in the targets: its recall is set to {zero_division}")
    prec = safe_div(tp, predicted, zero_division)
    rec = safe_div(tp, support, zero_division)
    # F1 = 2TP / (2TP + FP + FN): defined whenever the class was predicted or present
    f1 = safe_div(2 * tp, support + predicted, zero_division)
    return ClassMetrics(prec, rec, f1, support, predicted, notes)


def _averaged(kind: str, targets, probs, average: str, threshold, zero_division, pos_label: int,
              rescale: bool) -> float:
    m = per_class_metrics(targets, probs, threshold, zero_division, rescale=rescale)
    values = {"precision": m.precision, "recall": m.recall, "f1": m.f1}[kind]
    if average == "binary":
        if len(values) != 2:
            raise ValueError(f"average='binary' needs 2 classes; got {len(values)}. Use 'macro', 'micro' or 'weighted'")
        return float(values[pos_label])
    if average == "macro":
        return float(values.mean())
    if average == "weighted":
        return float(safe_div((values * m.support).sum(), m.support.sum(), zero_division))
    if average == "micro":
        # every wrong prediction is one FP and one FN, so micro P = R = F1 = accuracy (single-label)
        tp = (m.recall * m.support).sum()
        return float(safe_div(tp, m.support.sum(), zero_division))
    raise ValueError(f"average must be 'macro', 'micro', 'weighted' or 'binary'; got {average!r}")


def precision(targets, probs, average: str = "macro", threshold: float | None = None,
              zero_division: float = 0.0, pos_label: int = 1, rescale: bool = False) -> float:
    """Of the samples predicted as a class, the fraction that truly belong to it, averaged over classes.

    Args:
        average: ``"macro"`` (plain mean over classes), ``"weighted"`` (by support), ``"micro"``
            (pooled counts; equals accuracy for single-label) or ``"binary"`` (class ``pos_label`` only).
        threshold: binary decision threshold (default: argmax).
        zero_division: value for a class that is never predicted.

    Misleads when a class is rarely predicted: a model that flags only its single surest case has precision 1.

    Example:
        >>> precision([0, 1, 1], [[0.9, 0.1], [0.2, 0.8], [0.6, 0.4]], average="binary")
        1.0
    """
    return _averaged("precision", targets, probs, average, threshold, zero_division, pos_label, rescale)


def recall(targets, probs, average: str = "macro", threshold: float | None = None,
           zero_division: float = 0.0, pos_label: int = 1, rescale: bool = False) -> float:
    """Of the samples of a class, the fraction the model found (sensitivity, TPR), averaged over classes.

    Misleads when a class is over-predicted: flagging everything gives recall 1.

    Example:
        >>> recall([0, 1, 1], [[0.9, 0.1], [0.2, 0.8], [0.6, 0.4]], average="binary")
        0.5
    """
    return _averaged("recall", targets, probs, average, threshold, zero_division, pos_label, rescale)


def f1_score(targets, probs, average: str = "macro", threshold: float | None = None,
             zero_division: float = 0.0, pos_label: int = 1, rescale: bool = False) -> float:
    """Harmonic mean of precision and recall, ``2PR / (P + R)``, averaged over classes.

    Misleads when the costs of the two errors differ (a missed tumour is not a false alarm).

    Example:
        >>> round(f1_score([0, 1, 1], [[0.9, 0.1], [0.2, 0.8], [0.6, 0.4]], average="binary"), 4)
        0.6667
    """
    return _averaged("f1", targets, probs, average, threshold, zero_division, pos_label, rescale)


def macro_f1(targets, probs) -> float:
    """Macro-averaged F1 (every class counts equally): :func:`f1_score` with ``average="macro"``."""
    return f1_score(targets, probs, average="macro")


def log_loss(targets, probs, eps: float | None = None, rescale: bool = False) -> float:
    """Mean negative log-probability of the true class (cross-entropy); probabilities clipped to ``[eps, 1-eps]``.

    Punishes confident mistakes hard; one probability of 0 on a true class would make it infinite.

    Example:
        >>> round(log_loss([0, 1], [[0.9, 0.1], [0.2, 0.8]]), 4)
        0.1643
    """
    y, p = check_single_label(targets, probs, rescale)
    eps = np.finfo(np.float64).eps if eps is None else eps
    return float(-np.log(np.clip(p[np.arange(len(y)), y], eps, 1 - eps)).mean())
