"""Binary decision thresholds: metrics at one threshold and a sweep over all of them."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from clskit.metrics.ranking import _cumulative_counts
from clskit.metrics.validation import check_binary_scores, check_threshold, safe_div


def binary_metrics_at(targets, scores, threshold: float = 0.5, pos_label: int = 1) -> dict[str, float]:
    """Confusion counts and rates when predicting positive for ``score >= threshold``.

    Returns:
        dict with ``tp, fp, fn, tn, precision, recall (= tpr), f1, fpr, specificity, accuracy``.

    Example:
        >>> m = binary_metrics_at([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8], threshold=0.3)
        >>> m["tp"], m["fp"], m["recall"], m["precision"]
        (2, 1, 1.0, 0.6666666666666666)
    """
    y, s = check_binary_scores(targets, scores, pos_label)
    t = float(check_threshold(threshold))
    pred = s >= t
    tp, fp = int((pred & (y == 1)).sum()), int((pred & (y == 0)).sum())
    fn, tn = int((~pred & (y == 1)).sum()), int((~pred & (y == 0)).sum())
    prec, rec = float(safe_div(tp, tp + fp)), float(safe_div(tp, tp + fn))
    return {"threshold": t, "tp": tp, "fp": fp, "fn": fn, "tn": tn, "precision": prec, "recall": rec,
            "f1": float(safe_div(2 * tp, 2 * tp + fp + fn)), "tpr": rec, "fpr": float(safe_div(fp, fp + tn)),
            "specificity": float(safe_div(tn, fp + tn)), "accuracy": (tp + tn) / len(y)}


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
    y, s = check_binary_scores(targets, scores, pos_label)
    tps, fps, th = _cumulative_counts(y, s)
    tp, fp = np.r_[0, tps], np.r_[0, fps]
    n_pos, n_neg = int(y.sum()), len(y) - int(y.sum())
    fn, tn = n_pos - tp, n_neg - fp
    prec = safe_div(tp, tp + fp, 1.0)
    rec = safe_div(tp, n_pos)
    f1 = safe_div(2 * tp, 2 * tp + fp + fn)
    return ThresholdSweep(np.r_[np.inf, th], tp, fp, fn, tn, prec, rec, f1, safe_div(fp, n_neg))
