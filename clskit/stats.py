"""Uncertainty of the course's numbers: an accuracy measured on ``n`` images, a result over seeds.

Small validation sets and single seeds make numbers look firmer than they are. These helpers let a notebook
print an accuracy with its interval and a comparison with its seed spread, so the text can say how sure it is.
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
class Spread:
    """Mean and sample standard deviation of a result over seeds (``values`` keeps every run)."""

    values: tuple[float, ...]

    @property
    def mean(self) -> float:
        return sum(self.values) / len(self.values)

    @property
    def std(self) -> float:
        if len(self.values) < 2:
            return 0.0
        m = self.mean
        return math.sqrt(sum((v - m) ** 2 for v in self.values) / (len(self.values) - 1))

    def __str__(self) -> str:
        return f"{self.mean:.3f} ± {self.std:.3f} (n={len(self.values)})"

    def clearly_above(self, other: "Spread", k: float = 1.0) -> bool:
        """True when this mean exceeds ``other``'s by more than ``k`` times their combined std:
        a plain, stated rule for "the difference is larger than the seed noise"."""
        return self.mean - other.mean > k * math.hypot(self.std, other.std)


def spread(values: Sequence[float]) -> Spread:
    """Collect results over seeds.

    Example:
        >>> s = spread([0.90, 0.92, 0.94])
        >>> str(s)
        '0.920 ± 0.020 (n=3)'
    """
    values = tuple(float(v) for v in values)
    if not values:
        raise ValueError("spread() needs at least one value")
    return Spread(values)
