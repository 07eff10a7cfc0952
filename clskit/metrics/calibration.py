"""Calibration: reliability diagrams and the expected calibration error (ECE)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from clskit.metrics.validation import check_binary_scores, check_single_label, to_numpy


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


def reliability_curve(targets, probs, n_bins: int = 10, rescale: bool = False) -> ReliabilityData:
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
    p = to_numpy(probs)
    if p.ndim == 1:
        y, conf = check_binary_scores(targets, p)
        hit = y.astype(np.float64)
    else:
        y, p = check_single_label(targets, p, rescale)
        conf, hit = p.max(1), (p.argmax(1) == y).astype(np.float64)
    edges = np.linspace(0, 1, n_bins + 1)
    ids = np.searchsorted(edges[1:-1], conf)
    count = np.bincount(ids, minlength=n_bins)
    keep = count > 0
    mean_conf = np.bincount(ids, weights=conf, minlength=n_bins)[keep] / count[keep]
    frac = np.bincount(ids, weights=hit, minlength=n_bins)[keep] / count[keep]
    return ReliabilityData(mean_conf, frac, count[keep], edges, np.flatnonzero(keep))


def expected_calibration_error(targets, probs, n_bins: int = 15, rescale: bool = False) -> float:
    """ECE (Guo et al., 2017): ``sum_b |B_b|/N * |acc(B_b) - conf(B_b)|`` over equal-width confidence bins.

    0 is perfectly calibrated. It depends on the binning and is noisy on small sets; a model can
    be accurate and badly calibrated (overconfident) or calibrated and useless (always the prior).

    Example:
        >>> expected_calibration_error([0, 1], [[0.9, 0.1], [0.1, 0.9]], n_bins=10)
        0.09999999999999998
    """
    return reliability_curve(targets, probs, n_bins, rescale).ece
