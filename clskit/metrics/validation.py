"""Input checks shared by every metric (and by the displays and widgets that take the same input).

Each ``check_*`` returns clean NumPy arrays or raises a ``ValueError`` that says what is wrong and
what to do: different lengths, NaN or infinite probabilities, values outside ``[0, 1]``, thresholds
outside ``[0, 1]``, and single-label rows that do not sum to 1 (logits passed by mistake?) unless
``rescale=True``, which rescales them.
"""
from __future__ import annotations

import numpy as np

from clskit.utils import to_numpy


class UndefinedMetricWarning(UserWarning):
    """A metric was asked for in a setting where its value says nothing (as scikit-learn's warning)."""


def check_finite_probs(p: np.ndarray, what: str = "probs") -> None:
    """Raise unless every value of ``p`` is finite and in ``[0, 1]``."""
    if p.size and not np.isfinite(p).all():
        bad = int((~np.isfinite(p)).sum())
        raise ValueError(f"{what} contain {bad} NaN or infinite values; check the model outputs "
                         "(a diverged training run gives NaN) before computing metrics")
    if p.size and (p.min() < -1e-6 or p.max() > 1 + 1e-6):
        raise ValueError(f"{what} must lie in [0, 1]; got values from {p.min():.3g} to {p.max():.3g}. "
                         "Pass probabilities (softmax or sigmoid of the logits), not logits")


def check_lengths(y: np.ndarray, p: np.ndarray) -> None:
    """Raise unless targets and probabilities have the same, non-zero length."""
    if len(y) != len(p):
        raise ValueError(f"targets and probs have different lengths ({len(y)} vs {len(p)}); "
                         "each sample needs one target and one row of probabilities")
    if len(y) == 0:
        raise ValueError("cannot compute a metric on zero samples; is the validation set empty?")


def check_single_label(targets, probs, rescale: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Checked single-label input: targets ``(N,)`` int64 and probs ``(N, K)`` float64.

    A 1-D ``probs`` is the positive-class score of a binary task (it becomes ``[1 - p, p]``).
    Rows that do not sum to 1 raise, unless ``rescale=True`` divides them by their sum.

    Example:
        >>> y, p = check_single_label([0, 1], [0.2, 0.9])
        >>> y.tolist(), p.tolist()
        ([0, 1], [[0.8, 0.2], [0.09999999999999998, 0.9]])
    """
    y, p = to_numpy(targets), to_numpy(probs).astype(np.float64)
    if p.ndim == 1:  # binary: the score of the positive class
        check_finite_probs(p)
        p = np.stack([1 - p, p], axis=1)
    if p.ndim != 2:
        raise ValueError(f"probs must have shape (N, num_classes) or (N,) for a binary task; got {p.shape}")
    if y.ndim != 1:
        raise ValueError(f"single-label targets must have shape (N,); got {y.shape}. "
                         "For label vectors use the multilabel_* metrics")
    check_lengths(y, p)
    check_finite_probs(p)
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
        if not rescale:
            i = int(np.argmax(np.abs(sums - 1)))
            raise ValueError(f"probability rows must sum to 1 for a single-label task; row {i} sums to "
                             f"{sums[i]:.4g}. Apply softmax to the logits, use the multilabel_* metrics "
                             "for sigmoid outputs, or pass rescale=True to rescale the rows")
        if (sums <= 0).any():
            raise ValueError("rescale=True cannot rescale a row whose probabilities are all zero")
        p = p / sums[:, None]
    return y.astype(np.int64), p


def check_multilabel(targets, probs) -> tuple[np.ndarray, np.ndarray]:
    """Checked multi-label input: targets ``(N, L)`` in {0, 1} (int64) and probs ``(N, L)`` (float64).

    Example:
        >>> check_multilabel([[1, 0]], [[0.9, 0.2]])[0].tolist()
        [[1, 0]]
    """
    y, p = to_numpy(targets).astype(np.float64), to_numpy(probs).astype(np.float64)
    if y.ndim != 2 or p.ndim != 2 or y.shape != p.shape:
        raise ValueError(f"multi-label targets and probs must both have shape (N, num_labels); "
                         f"got {y.shape} and {p.shape}")
    check_lengths(y, p)
    check_finite_probs(p)
    if not np.isin(y, (0, 1)).all():
        raise ValueError("multi-label targets must be 0/1 label vectors")
    return y.astype(np.int64), p


def check_threshold(threshold) -> np.ndarray:
    """A threshold (or one per label) as a float array; raises unless every value lies in ``[0, 1]``."""
    t = np.asarray(threshold, dtype=np.float64)
    if not np.isfinite(t).all() or (t < 0).any() or (t > 1).any():
        raise ValueError(f"thresholds must lie in [0, 1]; got {threshold}")
    return t


def check_binary_scores(targets, scores, pos_label: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Targets as 0/1 (1 = ``pos_label``) and the score of the positive class, ``(N,)`` each.

    Example:
        >>> [a.tolist() for a in check_binary_scores([3, 1], [[0.4, 0.6], [0.9, 0.1]])]
        [[0, 1], [0.6, 0.1]]
    """
    y, s = to_numpy(targets), to_numpy(scores).astype(np.float64)
    if s.ndim == 2:
        if s.shape[1] != 2:
            raise ValueError(f"a binary metric needs scores of shape (N,) or (N, 2); got {s.shape}. "
                             "For more classes use the one-vs-rest versions (roc_auc, average_precision)")
        s = s[:, pos_label]
    if s.ndim != 1 or y.ndim != 1:
        raise ValueError(f"binary targets and scores must be 1-D; got {y.shape} and {s.shape}")
    check_lengths(y, s)
    check_finite_probs(s, "scores")
    return (y == pos_label).astype(np.int64), s


def safe_div(num, den, zero_division: float = 0.0):
    """``num / den`` elementwise, with ``zero_division`` where ``den`` is 0 (no warning)."""
    num, den = np.asarray(num, dtype=np.float64), np.asarray(den, dtype=np.float64)
    out = np.full(np.broadcast(num, den).shape, float(zero_division))
    np.divide(num, den, out=out, where=den > 0)
    return out

