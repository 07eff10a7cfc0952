"""Metrics: pure functions on ``(targets, probs)`` (tensors or arrays), each checked against scikit-learn.

Conventions (the same in every function):

* ``targets`` are class indices ``(N,)`` (single-label) or 0/1 label vectors ``(N, L)`` (multi-label).
* ``probs`` are softmax outputs ``(N, K)``; for a binary task a 1-D ``(N,)`` score of the positive
  class also works. Multi-label ``probs`` are sigmoid outputs ``(N, L)``.
* Bad input raises a ``ValueError`` that says what is wrong: different lengths, NaN or infinite
  probabilities, values outside ``[0, 1]``, thresholds outside ``[0, 1]``, and single-label rows that
  do not sum to 1 (logits passed by mistake?) unless you pass ``normalise=True``, which rescales them.
* A ratio with a zero denominator (precision of a class never predicted, recall of a class absent
  from the targets) is ``zero_division`` (default 0.0) without a warning; the report tables
  (:func:`per_class_metrics`, :func:`multilabel_per_label`) list such cases in their ``notes``.
* A ranking metric that is undefined (ROC AUC or average precision when the targets hold one class
  only) raises a ``ValueError``; in the per-class tables it is NaN with a note instead.

Example:
    >>> y, p = [0, 1, 1, 0], [[0.8, 0.2], [0.3, 0.7], [0.6, 0.4], [0.9, 0.1]]
    >>> accuracy(y, p), recall(y, p, average="binary"), roc_auc(y, p)
    (0.75, 0.5, 1.0)
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np
import torch


# -- input checks ------------------------------------------------------------------------------
def _np(a) -> np.ndarray:
    if isinstance(a, torch.Tensor):
        return a.detach().cpu().numpy()
    return np.asarray(a)


def _check_finite_probs(p: np.ndarray, what: str = "probs") -> None:
    if p.size and not np.isfinite(p).all():
        bad = int((~np.isfinite(p)).sum())
        raise ValueError(f"{what} contain {bad} NaN or infinite values; check the model outputs "
                         "(a diverged training run gives NaN) before computing metrics")
    if p.size and (p.min() < -1e-6 or p.max() > 1 + 1e-6):
        raise ValueError(f"{what} must lie in [0, 1]; got values from {p.min():.3g} to {p.max():.3g}. "
                         "Pass probabilities (softmax or sigmoid of the logits), not logits")


def _check_lengths(y: np.ndarray, p: np.ndarray) -> None:
    if len(y) != len(p):
        raise ValueError(f"targets and probs have different lengths ({len(y)} vs {len(p)}); "
                         "each sample needs one target and one row of probabilities")
    if len(y) == 0:
        raise ValueError("cannot compute a metric on zero samples; is the validation set empty?")


def _single(targets, probs, normalise: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Checked single-label input: targets ``(N,)`` int and probs ``(N, K)`` float64."""
    y, p = _np(targets), _np(probs).astype(np.float64)
    if p.ndim == 1:  # binary: the score of the positive class
        _check_finite_probs(p)
        p = np.stack([1 - p, p], axis=1)
    if p.ndim != 2:
        raise ValueError(f"probs must have shape (N, num_classes) or (N,) for a binary task; got {p.shape}")
    if y.ndim != 1:
        raise ValueError(f"single-label targets must have shape (N,); got {y.shape}. "
                         "For label vectors use the multilabel_* metrics")
    _check_lengths(y, p)
    _check_finite_probs(p)
    if not np.issubdtype(y.dtype, np.integer):
        if not np.all(np.mod(y, 1) == 0):
            raise ValueError(f"targets must be class indices (integers); got {y.dtype} values like {y[:3]}")
        y = y.astype(np.int64)
    k = p.shape[1]
    if y.min() < 0 or y.max() >= k:
        raise ValueError(f"targets must lie in 0..{k - 1} for probs with {k} columns; "
                         f"got values from {y.min()} to {y.max()}")
    sums = p.sum(1)
    if not np.allclose(sums, 1, atol=1e-3):
        if not normalise:
            i = int(np.argmax(np.abs(sums - 1)))
            raise ValueError(f"probability rows must sum to 1 for a single-label task; row {i} sums to "
                             f"{sums[i]:.4g}. Apply softmax to the logits, use the multilabel_* metrics "
                             "for sigmoid outputs, or pass normalise=True to rescale the rows")
        if (sums <= 0).any():
            raise ValueError("normalise=True cannot rescale a row whose probabilities are all zero")
        p = p / sums[:, None]
    return y.astype(np.int64), p


def _multilabel(targets, probs) -> tuple[np.ndarray, np.ndarray]:
    """Checked multi-label input: targets ``(N, L)`` in {0, 1} and probs ``(N, L)``."""
    y, p = _np(targets).astype(np.float64), _np(probs).astype(np.float64)
    if y.ndim != 2 or p.ndim != 2 or y.shape != p.shape:
        raise ValueError(f"multi-label targets and probs must both have shape (N, num_labels); "
                         f"got {y.shape} and {p.shape}")
    _check_lengths(y, p)
    _check_finite_probs(p)
    if not np.isin(y, (0, 1)).all():
        raise ValueError("multi-label targets must be 0/1 label vectors")
    return y.astype(np.int64), p


def _check_threshold(threshold) -> np.ndarray:
    t = np.asarray(threshold, dtype=np.float64)
    if not np.isfinite(t).all() or (t < 0).any() or (t > 1).any():
        raise ValueError(f"thresholds must lie in [0, 1]; got {threshold}")
    return t


def _binary_scores(targets, scores, pos_label: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Targets as 0/1 (1 = ``pos_label``) and the score of the positive class, ``(N,)`` each."""
    y, s = _np(targets), _np(scores).astype(np.float64)
    if s.ndim == 2:
        if s.shape[1] != 2:
            raise ValueError(f"a binary metric needs scores of shape (N,) or (N, 2); got {s.shape}. "
                             "For more classes use the one-vs-rest versions (roc_auc, average_precision)")
        s = s[:, pos_label]
    if s.ndim != 1 or y.ndim != 1:
        raise ValueError(f"binary targets and scores must be 1-D; got {y.shape} and {s.shape}")
    _check_lengths(y, s)
    _check_finite_probs(s, "scores")
    return (y == pos_label).astype(np.int64), s


def _safe_div(num, den, zero_division: float = 0.0):
    num, den = np.asarray(num, dtype=np.float64), np.asarray(den, dtype=np.float64)
    out = np.full(np.broadcast(num, den).shape, float(zero_division))
    np.divide(num, den, out=out, where=den > 0)
    return out


# -- label predictions -------------------------------------------------------------------------
def predict_labels(probs, threshold: float | None = None) -> np.ndarray:
    """Class predictions from probabilities: the argmax, or for a binary task ``p[:, 1] >= threshold``.

    Example:
        >>> predict_labels([[0.7, 0.3], [0.4, 0.6]]).tolist(), predict_labels([[0.7, 0.3]], threshold=0.2).tolist()
        ([0, 1], [1])
    """
    p = _np(probs).astype(np.float64)
    if p.ndim == 1:
        p = np.stack([1 - p, p], axis=1)
    if threshold is None:
        return p.argmax(1)
    if p.shape[1] != 2:
        raise ValueError(f"threshold= works for binary tasks only; probs have {p.shape[1]} classes. "
                         "For several classes see clskit.imbalance.predict_with_thresholds")
    return (p[:, 1] >= float(_check_threshold(threshold))).astype(np.int64)


# -- single-label metrics ------------------------------------------------------------------------
def accuracy(targets, probs, normalise: bool = False) -> float:
    """Fraction of samples whose highest-probability class equals the target.

    Misleads on imbalanced data: always predicting the majority class scores its frequency.

    Example:
        >>> accuracy([0, 1, 1], [[0.9, 0.1], [0.2, 0.8], [0.6, 0.4]])
        0.6666666666666666
    """
    y, p = _single(targets, probs, normalise)
    return float((p.argmax(1) == y).mean())


def confusion_matrix(targets, probs, normalize: str | None = None, threshold: float | None = None,
                     normalise: bool = False) -> np.ndarray:
    """Counts ``C[i, j]`` of samples of true class ``i`` predicted as class ``j``.

    Args:
        targets: ``(N,)`` class indices.
        probs: ``(N, K)`` probabilities (or ``(N,)`` positive-class scores for a binary task).
        normalize: ``None`` (counts), ``"true"`` (rows sum to 1: per-class recall on the diagonal),
            ``"pred"`` (columns sum to 1: precision on the diagonal) or ``"all"``. An empty row or
            column normalises to zeros.
        threshold: for a binary task, predict class 1 when ``p[:, 1] >= threshold`` instead of the argmax.
        normalise: rescale probability rows that do not sum to 1 (instead of raising).

    Example:
        >>> confusion_matrix([0, 1, 1], [[0.9, 0.1], [0.2, 0.8], [0.6, 0.4]]).tolist()
        [[1, 0], [1, 1]]
    """
    y, p = _single(targets, probs, normalise)
    k = p.shape[1]
    pred = predict_labels(p, threshold)
    cm = np.bincount(y * k + pred, minlength=k * k).reshape(k, k)
    if normalize is None:
        return cm
    if normalize == "true":
        return _safe_div(cm, cm.sum(1, keepdims=True))
    if normalize == "pred":
        return _safe_div(cm, cm.sum(0, keepdims=True))
    if normalize == "all":
        return cm / cm.sum()
    raise ValueError(f"normalize must be None, 'true', 'pred' or 'all'; got {normalize!r}")


def balanced_accuracy(targets, probs, normalise: bool = False) -> float:
    """Mean per-class recall over the classes present in the targets (1/K for a constant prediction).

    Example:
        >>> balanced_accuracy([0, 0, 0, 1], [[0.9, 0.1]] * 4)
        0.5
    """
    y, p = _single(targets, probs, normalise)
    cm = confusion_matrix(y, p)
    present = cm.sum(1) > 0
    return float(np.mean(np.diag(cm)[present] / cm.sum(1)[present]))


def top_k_accuracy(targets, probs, k: int = 5, normalise: bool = False) -> float:
    """Fraction of samples whose target is among the ``k`` highest-probability classes.

    Misleads when ``k`` is close to the number of classes (``k = K`` always scores 1).

    Example:
        >>> top_k_accuracy([2, 0], [[0.5, 0.3, 0.2], [0.1, 0.6, 0.3]], k=2)
        0.0
    """
    y, p = _single(targets, probs, normalise)
    if not (isinstance(k, (int, np.integer)) and k >= 1):
        raise ValueError(f"k must be a positive integer; got {k!r}")
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
                      classes: Sequence[str] | None = None, normalise: bool = False) -> ClassMetrics:
    """Precision, recall and F1 of every class (one-vs-rest), from the confusion matrix.

    Precision of a class never predicted and recall of a class absent from the targets are
    ``zero_division``; ``notes`` says which classes that concerns.

    Example:
        >>> m = per_class_metrics([0, 0, 1], [[0.9, 0.1], [0.8, 0.2], [0.7, 0.3]])
        >>> m.recall.tolist(), m.notes
        ([1.0, 0.0], ['class 1 is never predicted: its precision is set to 0.0'])
    """
    cm = confusion_matrix(targets, probs, threshold=threshold, normalise=normalise)
    tp, support, predicted = np.diag(cm), cm.sum(1), cm.sum(0)
    names = list(classes) if classes is not None else [str(i) for i in range(len(cm))]
    notes = []
    for i in np.flatnonzero(predicted == 0):
        notes.append(f"class {names[i]} is never predicted: its precision is set to {zero_division}")
    for i in np.flatnonzero(support == 0):
        notes.append(f"class {names[i]} does not occur in the targets: its recall is set to {zero_division}")
    prec = _safe_div(tp, predicted, zero_division)
    rec = _safe_div(tp, support, zero_division)
    # F1 = 2TP / (2TP + FP + FN): defined whenever the class was predicted or present
    f1 = _safe_div(2 * tp, support + predicted, zero_division)
    return ClassMetrics(prec, rec, f1, support, predicted, notes)


def _averaged(kind: str, targets, probs, average: str, threshold, zero_division, pos_label: int,
              normalise: bool) -> float:
    m = per_class_metrics(targets, probs, threshold, zero_division, normalise=normalise)
    values = {"precision": m.precision, "recall": m.recall, "f1": m.f1}[kind]
    if average == "binary":
        if len(values) != 2:
            raise ValueError(f"average='binary' needs 2 classes; got {len(values)}. Use 'macro', 'micro' or 'weighted'")
        return float(values[pos_label])
    if average == "macro":
        return float(values.mean())
    if average == "weighted":
        return float(_safe_div((values * m.support).sum(), m.support.sum(), zero_division))
    if average == "micro":
        # every wrong prediction is one FP and one FN, so micro P = R = F1 = accuracy (single-label)
        tp = (m.recall * m.support).sum()
        return float(_safe_div(tp, m.support.sum(), zero_division))
    raise ValueError(f"average must be 'macro', 'micro', 'weighted' or 'binary'; got {average!r}")


def precision(targets, probs, average: str = "macro", threshold: float | None = None,
              zero_division: float = 0.0, pos_label: int = 1, normalise: bool = False) -> float:
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
    return _averaged("precision", targets, probs, average, threshold, zero_division, pos_label, normalise)


def recall(targets, probs, average: str = "macro", threshold: float | None = None,
           zero_division: float = 0.0, pos_label: int = 1, normalise: bool = False) -> float:
    """Of the samples of a class, the fraction the model found (sensitivity, TPR), averaged over classes.

    Misleads when a class is over-predicted: flagging everything gives recall 1.

    Example:
        >>> recall([0, 1, 1], [[0.9, 0.1], [0.2, 0.8], [0.6, 0.4]], average="binary")
        0.5
    """
    return _averaged("recall", targets, probs, average, threshold, zero_division, pos_label, normalise)


def f1_score(targets, probs, average: str = "macro", threshold: float | None = None,
             zero_division: float = 0.0, pos_label: int = 1, normalise: bool = False) -> float:
    """Harmonic mean of precision and recall, ``2PR / (P + R)``, averaged over classes.

    Misleads when the costs of the two errors differ (a missed tumour is not a false alarm).

    Example:
        >>> round(f1_score([0, 1, 1], [[0.9, 0.1], [0.2, 0.8], [0.6, 0.4]], average="binary"), 4)
        0.6667
    """
    return _averaged("f1", targets, probs, average, threshold, zero_division, pos_label, normalise)


def macro_f1(targets, probs) -> float:
    """Macro-averaged F1 (every class counts equally): :func:`f1_score` with ``average="macro"``."""
    return f1_score(targets, probs, average="macro")


def log_loss(targets, probs, eps: float | None = None, normalise: bool = False) -> float:
    """Mean negative log-probability of the true class (cross-entropy); probabilities clipped to ``[eps, 1-eps]``.

    Punishes confident mistakes hard; one probability of 0 on a true class would make it infinite.

    Example:
        >>> round(log_loss([0, 1], [[0.9, 0.1], [0.2, 0.8]]), 4)
        0.1643
    """
    y, p = _single(targets, probs, normalise)
    eps = np.finfo(np.float64).eps if eps is None else eps
    return float(-np.log(np.clip(p[np.arange(len(y)), y], eps, 1 - eps)).mean())


# -- ranking metrics: ROC and precision-recall ---------------------------------------------------
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
    y, s = _binary_scores(targets, scores, pos_label)
    _require_both_classes(y, "the ROC curve")
    tps, fps, th = _cumulative_counts(y, s)
    tpr = np.r_[0.0, tps / tps[-1]]
    fpr = np.r_[0.0, fps / fps[-1]]
    return fpr, tpr, np.r_[np.inf, th]


def _binary_auc(y: np.ndarray, s: np.ndarray) -> float:
    _require_both_classes(y, "ROC AUC")
    tps, fps, _ = _cumulative_counts(y, s)
    return float(np.trapezoid(np.r_[0.0, tps / tps[-1]], np.r_[0.0, fps / fps[-1]]))


def roc_auc(targets, probs, average: str = "macro", normalise: bool = False) -> float:
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
    p = _np(probs)
    if p.ndim == 1 or p.shape[1] == 2:
        y, s = _binary_scores(targets, p)
        return _binary_auc(y, s)
    y, p = _single(targets, p, normalise)
    aucs, support = [], []
    for c in range(p.shape[1]):
        yc = (y == c).astype(np.int64)
        try:
            aucs.append(_binary_auc(yc, p[:, c]))
        except ValueError:
            raise ValueError(f"one-vs-rest ROC AUC is undefined for class {c}: it has {int(yc.sum())} samples "
                             f"among {len(y)}. Evaluate on a set with every class (a stratified split)") from None
        support.append(yc.sum())
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
    y, s = _binary_scores(targets, scores, pos_label)
    if y.sum() == 0:
        raise ValueError("the precision-recall curve is undefined when the targets hold no positive "
                         "sample; evaluate on a set that contains the positive class")
    tps, fps, th = _cumulative_counts(y, s)
    prec = tps / (tps + fps)
    rec = tps / tps[-1]
    return np.r_[prec[::-1], 1.0], np.r_[rec[::-1], 0.0], th[::-1]


def average_precision(targets, probs, average: str = "macro", normalise: bool = False) -> float:
    """Area under the precision-recall curve as a step sum, ``sum (R_n - R_{n-1}) P_n``.

    Binary: of the positive class. Several classes: one-vs-rest, averaged. Unlike ROC AUC its
    chance level is the positive rate, so it shows how hard a rare class is.

    Example:
        >>> round(average_precision([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]), 4)
        0.8333
    """
    p = _np(probs)
    if p.ndim == 1 or p.shape[1] == 2:
        y, s = _binary_scores(targets, p)
        return _binary_ap(y, s)
    y, p = _single(targets, p, normalise)
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


# -- calibration ------------------------------------------------------------------------------
@dataclass
class ReliabilityData:
    """Per-bin mean confidence, observed accuracy (fraction correct) and count; empty bins dropped."""

    confidence: np.ndarray
    accuracy: np.ndarray
    count: np.ndarray
    bin_edges: np.ndarray
    bins: np.ndarray | None = None   # index of each kept bin in ``bin_edges``

    @property
    def ece(self) -> float:
        """Expected calibration error: the count-weighted mean gap ``|accuracy - confidence|``."""
        return float(np.sum(self.count * np.abs(self.accuracy - self.confidence)) / self.count.sum())


def reliability_curve(targets, probs, n_bins: int = 10, normalise: bool = False) -> ReliabilityData:
    """Data of a reliability diagram: are predictions made with confidence 0.8 right 80% of the time?

    Single-label ``(N, K)`` probs: the confidence is the top probability and "correct" means the
    argmax equals the target (top-label calibration). A 1-D ``(N,)`` score is binary: the score
    against the observed fraction of positives, as in ``sklearn.calibration.calibration_curve``.
    Bins are ``n_bins`` equal widths of ``[0, 1]``; a value on an inner edge goes to the lower bin.

    Example:
        >>> r = reliability_curve([0, 1, 1, 1], [0.1, 0.9, 0.8, 0.4], n_bins=2)
        >>> r.confidence.round(3).tolist(), r.accuracy.tolist(), r.count.tolist()
        ([0.25, 0.85], [0.5, 1.0], [2, 2])
    """
    if not (isinstance(n_bins, (int, np.integer)) and n_bins >= 1):
        raise ValueError(f"n_bins must be a positive integer; got {n_bins!r}")
    p = _np(probs)
    if p.ndim == 1:
        y, conf = _binary_scores(targets, p)
        hit = y.astype(np.float64)
    else:
        y, p = _single(targets, p, normalise)
        conf, hit = p.max(1), (p.argmax(1) == y).astype(np.float64)
    edges = np.linspace(0, 1, n_bins + 1)
    ids = np.searchsorted(edges[1:-1], conf)
    count = np.bincount(ids, minlength=n_bins)
    keep = count > 0
    mean_conf = np.bincount(ids, weights=conf, minlength=n_bins)[keep] / count[keep]
    frac = np.bincount(ids, weights=hit, minlength=n_bins)[keep] / count[keep]
    return ReliabilityData(mean_conf, frac, count[keep], edges, np.flatnonzero(keep))


def expected_calibration_error(targets, probs, n_bins: int = 15, normalise: bool = False) -> float:
    """ECE (Guo et al., 2017): ``sum_b |B_b|/N * |acc(B_b) - conf(B_b)|`` over equal-width confidence bins.

    0 is perfectly calibrated. It depends on the binning and is noisy on small sets; a model can
    be accurate and badly calibrated (overconfident) or calibrated and useless (always the prior).

    Example:
        >>> expected_calibration_error([0, 1], [[0.9, 0.1], [0.1, 0.9]], n_bins=10)
        0.09999999999999998
    """
    return reliability_curve(targets, probs, n_bins, normalise).ece


# -- binary thresholds ------------------------------------------------------------------------
def binary_metrics_at(targets, scores, threshold: float = 0.5, pos_label: int = 1) -> dict[str, float]:
    """Confusion counts and rates when predicting positive for ``score >= threshold``.

    Returns:
        dict with ``tp, fp, fn, tn, precision, recall (= tpr), f1, fpr, specificity, accuracy``.

    Example:
        >>> m = binary_metrics_at([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8], threshold=0.3)
        >>> m["tp"], m["fp"], m["recall"], m["precision"]
        (2, 1, 1.0, 0.6666666666666666)
    """
    y, s = _binary_scores(targets, scores, pos_label)
    t = float(_check_threshold(threshold))
    pred = s >= t
    tp, fp = int((pred & (y == 1)).sum()), int((pred & (y == 0)).sum())
    fn, tn = int((~pred & (y == 1)).sum()), int((~pred & (y == 0)).sum())
    prec, rec = float(_safe_div(tp, tp + fp)), float(_safe_div(tp, tp + fn))
    return {"threshold": t, "tp": tp, "fp": fp, "fn": fn, "tn": tn, "precision": prec, "recall": rec,
            "f1": float(_safe_div(2 * tp, 2 * tp + fp + fn)), "tpr": rec, "fpr": float(_safe_div(fp, fp + tn)),
            "specificity": float(_safe_div(tn, fp + tn)), "accuracy": (tp + tn) / len(y)}


@dataclass
class ThresholdSweep:
    """Binary metrics at every distinct score used as a threshold (predict positive if ``score >= t``).

    Arrays are aligned and ordered by descending threshold; the first row is ``t = inf`` (nothing
    predicted positive: precision taken as 1).
    """

    thresholds: np.ndarray
    tp: np.ndarray
    fp: np.ndarray
    fn: np.ndarray
    tn: np.ndarray
    precision: np.ndarray
    recall: np.ndarray
    f1: np.ndarray
    fpr: np.ndarray

    @property
    def tpr(self) -> np.ndarray:
        return self.recall

    def best_f1(self) -> tuple[float, float]:
        """``(threshold, f1)`` of the threshold with the highest F1 (the highest threshold among ties)."""
        i = int(np.argmax(self.f1))
        return float(self.thresholds[i]), float(self.f1[i])

    def for_recall(self, target: float) -> tuple[float, dict]:
        """The highest threshold whose recall reaches ``target``, and the metrics there.

        A higher threshold means fewer false alarms, so among all thresholds that catch enough
        positives this one has the best precision.
        """
        if not 0 <= target <= 1:
            raise ValueError(f"target recall must lie in [0, 1]; got {target}")
        i = int(np.argmax(self.recall >= target - 1e-12))  # recall rises as the threshold falls
        return float(self.thresholds[i]), self.row(i)

    def row(self, i: int) -> dict:
        """All metrics at position ``i`` as a dict."""
        return {k: float(getattr(self, k)[i]) for k in ("thresholds", "precision", "recall", "f1", "fpr", "tp", "fp", "fn", "tn")}

    def to_frame(self):
        """The sweep as a pandas DataFrame (one row per threshold)."""
        import pandas as pd

        return pd.DataFrame({k: getattr(self, k) for k in ("thresholds", "precision", "recall", "f1", "fpr",
                                                         "tp", "fp", "fn", "tn")})


def threshold_sweep(targets, scores, pos_label: int = 1) -> ThresholdSweep:
    """Precision, recall, F1, TPR and FPR at every threshold of a binary classifier.

    Example:
        >>> sw = threshold_sweep([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
        >>> sw.best_f1()
        (0.35, 0.8)
        >>> sw.for_recall(1.0)[0]
        0.35
    """
    y, s = _binary_scores(targets, scores, pos_label)
    tps, fps, th = _cumulative_counts(y, s)
    tp, fp = np.r_[0, tps], np.r_[0, fps]
    n_pos, n_neg = int(y.sum()), len(y) - int(y.sum())
    fn, tn = n_pos - tp, n_neg - fp
    prec = _safe_div(tp, tp + fp, 1.0)
    rec = _safe_div(tp, n_pos)
    f1 = _safe_div(2 * tp, 2 * tp + fp + fn)
    return ThresholdSweep(np.r_[np.inf, th], tp, fp, fn, tn, prec, rec, f1, _safe_div(fp, n_neg))


# -- multi-label metrics ----------------------------------------------------------------------
def _ml_pred(p: np.ndarray, threshold) -> np.ndarray:
    t = _check_threshold(threshold)
    if t.ndim == 1 and len(t) != p.shape[1]:
        raise ValueError(f"got {len(t)} thresholds for {p.shape[1]} labels; pass one per label or a single number")
    return (p >= t).astype(np.int64)


def subset_accuracy(targets, probs, threshold: float | Sequence[float] = 0.5) -> float:
    """Multi-label: fraction of samples whose whole predicted label set is exactly right (strict).

    Example:
        >>> subset_accuracy([[1, 0], [1, 1]], [[0.9, 0.2], [0.8, 0.3]])
        0.5
    """
    y, p = _multilabel(targets, probs)
    return float((_ml_pred(p, threshold) == y).all(1).mean())


def hamming_loss(targets, probs, threshold: float | Sequence[float] = 0.5) -> float:
    """Multi-label: fraction of (sample, label) decisions that are wrong (lenient; low on sparse labels).

    Example:
        >>> hamming_loss([[1, 0], [1, 1]], [[0.9, 0.2], [0.8, 0.3]])
        0.25
    """
    y, p = _multilabel(targets, probs)
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
    y, p = _multilabel(targets, probs)
    pred = _ml_pred(p, threshold)
    names = list(labels) if labels is not None else [str(i) for i in range(y.shape[1])]
    tp = (pred & y).sum(0)
    support, predicted = y.sum(0), pred.sum(0)
    notes, aucs = [], []
    for j in range(y.shape[1]):
        if predicted[j] == 0:
            notes.append(f"label {names[j]} is never predicted: its precision is set to {zero_division}")
        if support[j] == 0:
            notes.append(f"label {names[j]} never occurs in the targets: its recall is set to {zero_division}")
        if 0 < support[j] < len(y):
            aucs.append(_binary_auc(y[:, j], p[:, j]))
        else:
            aucs.append(np.nan)
            notes.append(f"label {names[j]}: ROC AUC is undefined (all {len(y)} samples are "
                         f"{'positive' if support[j] else 'negative'}); shown as NaN")
    return LabelMetrics(_safe_div(tp, predicted, zero_division), _safe_div(tp, support, zero_division),
                        _safe_div(2 * tp, support + predicted, zero_division), np.array(aucs), support,
                        predicted, notes)


def multilabel_f1(targets, probs, average: str = "macro", threshold: float | Sequence[float] = 0.5,
                  zero_division: float = 0.0) -> float:
    """Multi-label F1: ``"macro"`` (mean over labels), ``"micro"`` (pooled counts) or ``"samples"``.

    Example:
        >>> multilabel_f1([[1, 0], [0, 1]], [[0.9, 0.2], [0.3, 0.6]])
        1.0
    """
    y, p = _multilabel(targets, probs)
    pred = _ml_pred(p, threshold)
    if average == "macro":
        return float(multilabel_per_label(y, p, threshold, zero_division).f1.mean())
    if average == "micro":
        tp = (pred & y).sum()
        return float(_safe_div(2 * tp, y.sum() + pred.sum(), zero_division))
    if average == "samples":
        tp = (pred & y).sum(1)
        return float(_safe_div(2 * tp, y.sum(1) + pred.sum(1), zero_division).mean())
    raise ValueError(f"average must be 'macro', 'micro' or 'samples'; got {average!r}")


def multilabel_roc_auc(targets, probs) -> float:
    """Mean per-label ROC AUC; raises if a label is all-positive or all-negative in the targets.

    Example:
        >>> multilabel_roc_auc([[1, 0], [0, 1], [1, 1]], [[0.9, 0.2], [0.3, 0.6], [0.4, 0.7]])
        1.0
    """
    y, p = _multilabel(targets, probs)
    for j in range(y.shape[1]):
        if y[:, j].sum() in (0, len(y)):
            raise ValueError(f"ROC AUC is undefined for label {j}: all {len(y)} samples have the same value; "
                             "use multilabel_per_label (NaN for such labels) or a larger evaluation set")
    return float(np.mean([_binary_auc(y[:, j], p[:, j]) for j in range(y.shape[1])]))


def _multilabel_accuracy(targets, probs, threshold: float = 0.5) -> float:
    """Per-label accuracy averaged over labels (sigmoid outputs thresholded at 0.5)."""
    y, p = _np(targets), _np(probs)
    return float(((p >= threshold) == (y > 0.5)).mean())


# -- report tables ------------------------------------------------------------------------------
def classification_report_df(targets, probs, classes: Sequence[str] | None = None,
                             threshold: float | Sequence[float] | None = None, zero_division: float = 0.0):
    """Per-class (or per-label) precision, recall, F1, ROC AUC, support and predicted count as a DataFrame.

    Single-label ``(N,)`` targets: one row per class (AUC one-vs-rest); ``threshold`` applies to binary
    tasks. Multi-label ``(N, L)`` targets: one row per label, thresholded at ``threshold`` (default 0.5,
    or one per label). Undefined values are NaN or ``zero_division``; ``df.attrs["notes"]`` says why,
    and ``df.attrs["summary"]`` holds accuracy (subset accuracy for multi-label) and the macro and
    weighted averages.

    Example:
        >>> df = classification_report_df([0, 0, 1, 1], [[0.8, 0.2], [0.4, 0.6], [0.3, 0.7], [0.2, 0.8]], ["ok", "defect"])
        >>> df[["precision", "recall", "support"]].round(3).to_dict("index")["defect"]
        {'precision': 0.667, 'recall': 1.0, 'support': 2}
    """
    import pandas as pd

    y = _np(targets)
    if y.ndim == 2:
        t = 0.5 if threshold is None else threshold
        m = multilabel_per_label(targets, probs, t, zero_division, classes)
        auc = m.auc
        summary = {"subset_accuracy": subset_accuracy(targets, probs, t), "hamming_loss": hamming_loss(targets, probs, t)}
    else:
        y, p = _single(targets, probs)
        m = per_class_metrics(y, p, threshold, zero_division, classes)
        auc = []
        for c in range(p.shape[1]):
            yc = (y == c).astype(np.int64)
            if 0 < yc.sum() < len(yc):
                auc.append(_binary_auc(yc, p[:, c]))
            else:
                auc.append(np.nan)
                m.notes.append(f"class {classes[c] if classes is not None else c}: ROC AUC is undefined "
                               f"({int(yc.sum())} of {len(yc)} samples); shown as NaN")
        summary = {"accuracy": float((predict_labels(p, threshold) == y).mean())}
    names = list(classes) if classes is not None else [str(i) for i in range(len(m.f1))]
    df = pd.DataFrame({"precision": m.precision, "recall": m.recall, "f1": m.f1, "auc": np.asarray(auc, dtype=float),
                       "support": m.support.astype(int), "predicted": m.predicted.astype(int)},
                      index=pd.Index(names, name="class"))
    w = df["support"] / max(df["support"].sum(), 1)
    for col in ("precision", "recall", "f1"):
        summary[f"macro_{col}"] = float(df[col].mean())
        summary[f"weighted_{col}"] = float((df[col] * w).sum())
    df.attrs["summary"], df.attrs["notes"] = summary, list(m.notes)
    return df


# -- names the Learner understands --------------------------------------------------------------
_NAMED: dict[str, Callable] = {
    "accuracy": accuracy,
    "balanced_accuracy": balanced_accuracy,
    "macro_f1": macro_f1,
    "weighted_f1": lambda y, p: f1_score(y, p, average="weighted"),
    "macro_precision": lambda y, p: precision(y, p, average="macro"),
    "macro_recall": lambda y, p: recall(y, p, average="macro"),
    "top3_accuracy": lambda y, p: top_k_accuracy(y, p, k=3),
    "top5_accuracy": lambda y, p: top_k_accuracy(y, p, k=5),
    "roc_auc": roc_auc,
    "average_precision": average_precision,
    "log_loss": log_loss,
    "ece": expected_calibration_error,
}

# the same names for sigmoid outputs (thresholded at 0.5) when the task is multi-label
_NAMED_MULTILABEL: dict[str, Callable] = {
    "accuracy": _multilabel_accuracy,
    "subset_accuracy": subset_accuracy,
    "hamming_loss": hamming_loss,
    "macro_f1": multilabel_f1,
    "micro_f1": lambda y, p: multilabel_f1(y, p, average="micro"),
    "samples_f1": lambda y, p: multilabel_f1(y, p, average="samples"),
    "roc_auc": multilabel_roc_auc,
}


def resolve_metrics(metrics: Sequence[Callable | str] | None, multilabel: bool = False) -> list[tuple[str, Callable]]:
    """Turn names or callables into ``(name, fn)`` pairs for the Learner.

    Example:
        >>> [name for name, fn in resolve_metrics(["accuracy", "macro_f1"])]
        ['accuracy', 'macro_f1']
    """
    table = _NAMED_MULTILABEL if multilabel else _NAMED
    out = []
    for m in metrics or ():
        if isinstance(m, str):
            if m not in table:
                kind = "multi-label" if multilabel else "single-label"
                raise KeyError(f"unknown {kind} metric {m!r}; named metrics: {', '.join(sorted(table))}, "
                               "or pass a function f(targets, probs) -> float")
            out.append((m, table[m]))
        elif callable(m):
            out.append((getattr(m, "__name__", type(m).__name__), m))
        else:
            raise TypeError(f"a metric must be a name or a function f(targets, probs); got {m!r}")
    return out
