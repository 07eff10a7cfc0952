"""Uncertainty of the course's numbers: an accuracy measured on ``n`` images, a difference between two arms.

Small validation sets and single seeds make numbers look firmer than they are. These helpers let a notebook
print an accuracy with its interval and a comparison as a paired difference with its 95% interval, so the
text can say how sure it is.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence


def wilson_interval(correct: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval for a proportion (accuracy = ``correct / n``).

    Better than the normal approximation for small ``n`` and accuracies near 0 or 1 (Wilson 1927;
    Brown, Cai & DasGupta 2001). Checked in the tests against the closed form in Brown, Cai & DasGupta (2001), eq. 4.

    Example:
        >>> lo, hi = wilson_interval(45, 50)
        >>> round(lo, 3), round(hi, 3)
        (0.786, 0.957)
    """
    if n <= 0:
        raise ValueError(f"n must be a positive number of images; got {n}")
    if not 0 <= correct <= n:
        raise ValueError(f"correct must lie between 0 and n={n}; got {correct}")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must lie strictly between 0 and 1; got {confidence}")
    from statistics import NormalDist

    z = NormalDist().inv_cdf(0.5 + confidence / 2)
    p = correct / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


@dataclass(frozen=True)
class PairedDifference:
    """The difference ``a - b`` of two arms measured on the same items, in percentage points.

    ``low`` and ``high`` bound its confidence interval (95% unless asked otherwise); ``over`` says what the
    interval covers: ``"images"`` (a paired bootstrap over the test images) or ``"seeds"`` (a paired
    t-interval over seeds).
    """

    diff: float
    low: float
    high: float
    n: int
    over: str
    confidence: float = 0.95

    @property
    def verdict(self) -> str:
        """``"better"`` or ``"worse"`` only when the interval excludes 0, else ``"no clear difference"``."""
        if self.low > 0:
            return "better"
        if self.high < 0:
            return "worse"
        return "no clear difference"

    def __str__(self) -> str:
        return (f"{self.diff:+.1f} pts ({self.confidence:.0%} CI {self.low:+.1f} to {self.high:+.1f}, "
                f"paired over {self.n} {self.over})")


def paired_difference(a: Sequence[float], b: Sequence[float], *, over: str = "images",
                      confidence: float = 0.95, n_resamples: int = 10_000, seed: int = 0) -> PairedDifference:
    """How much arm ``a`` beats arm ``b`` on the same items, in percentage points, with an interval.

    ``over="images"``: ``a`` and ``b`` hold one score per test image for each arm (1/0 for right/wrong,
    or any per-image value in 0-1), in the same image order; the interval is a percentile bootstrap of the
    mean per-image difference (``scipy.stats.bootstrap``), which resamples images and keeps each image's
    pair together. ``over="seeds"``: ``a`` and ``b`` hold one accuracy per seed, run for run on the same
    split; the interval is the paired t-interval (``scipy.stats.ttest_rel``), worth trusting from about 5
    seeds.

    Say "better" only when ``verdict`` does (the interval excludes 0); otherwise "no clear difference on
    this data".

    Example:
        >>> right_a = [1] * 90 + [0] * 10          # arm a gets 90 of 100 images right
        >>> right_b = [1] * 80 + [0] * 20          # arm b gets 80, and every image b gets right, a does too
        >>> d = paired_difference(right_a, right_b)
        >>> round(d.diff, 1), d.verdict
        (10.0, 'better')
        >>> paired_difference([0.91, 0.93, 0.90], [0.90, 0.94, 0.90], over="seeds").verdict
        'no clear difference'
    """
    import numpy as np

    if over not in ("images", "seeds"):
        raise ValueError(f"over must be 'images' (bootstrap over test images) or 'seeds' (t-interval over seeds); "
                         f"got {over!r}")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must lie strictly between 0 and 1; got {confidence}")
    a_arr, b_arr = np.asarray(a, dtype=float).ravel(), np.asarray(b, dtype=float).ravel()
    if a_arr.shape != b_arr.shape:
        raise ValueError(f"a paired comparison needs one score per item in both arms, in the same order; got "
                         f"{a_arr.size} scores for a and {b_arr.size} for b")
    need = 2 if over == "seeds" else 1
    if a_arr.size < need:
        raise ValueError(f"paired_difference over {over} needs at least {need} paired values; got {a_arr.size}")
    if not (np.isfinite(a_arr).all() and np.isfinite(b_arr).all()):
        raise ValueError("paired_difference got NaN or infinite scores; compute the scores first and check them")
    d = a_arr - b_arr
    mean = float(d.mean())
    if over == "seeds":
        from scipy import stats

        if np.allclose(d, d[0]):
            low = high = mean
        else:
            ci = stats.ttest_rel(a_arr, b_arr).confidence_interval(confidence)
            low, high = float(ci.low), float(ci.high)
    elif np.allclose(d, d[0]):  # every pair differs by the same amount: no resample can move the mean
        low = high = mean
    else:
        from scipy import stats

        res = stats.bootstrap((d,), np.mean, confidence_level=confidence, n_resamples=n_resamples,
                              method="percentile", vectorized=True, rng=np.random.default_rng(seed))
        low, high = float(res.confidence_interval.low), float(res.confidence_interval.high)
    return PairedDifference(100 * mean, 100 * low, 100 * high, int(d.size), over, confidence)
