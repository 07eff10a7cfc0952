"""Checkers for notebook 10 (multi-label classification)."""
from __future__ import annotations

import numpy as np

from . import exercise, predict_then_measure

# three images, three labels (outdoor, daytime, people)
TARGETS = np.array([[1, 1, 0], [1, 0, 1], [0, 0, 1]])
PROBS = np.array([[0.9, 0.6, 0.2], [0.7, 0.4, 0.3], [0.2, 0.1, 0.8]])


def _number(answer, c) -> float | None:
    try:
        return float(answer)
    except (TypeError, ValueError):
        c.fail(f"expected a number; got {answer!r}")
        return None


@exercise("10.1", "Hamming loss by hand")
def _hamming(answer, c):
    v = _number(answer, c)
    if v is None:
        return "answer with one number between 0 and 1"
    want = float(((PROBS >= 0.5) != TARGETS).mean())
    if c.expect(abs(v - want) < 1e-3, f"{want:.4f}: one wrong decision among nine", f"{v} is not the Hamming loss"):
        return ""
    if abs(v - 1 / 3) < 1e-3:
        return "that is the share of images with any mistake; Hamming loss counts wrong (image, label) decisions"
    return "threshold every probability at 0.5, compare with the targets entry by entry, and take the fraction of wrong label decisions"


@exercise("10.2", "Subset accuracy by hand")
def _subset(answer, c):
    v = _number(answer, c)
    if v is None:
        return "answer with one number between 0 and 1"
    want = float(((PROBS >= 0.5) == TARGETS).all(1).mean())
    if c.expect(abs(v - want) < 1e-3, f"{want:.4f}: two of three images have exactly the right label set",
                f"{v} is not the subset accuracy"):
        return ""
    return "an image counts only if its whole label set is right (every label); count those images and divide by 3"


@exercise("10.3", "Predict label sets with per-label thresholds")
def _predict(fn, c):
    if not callable(fn):
        c.fail(f"expected a function predict_sets(probs, thresholds); got {type(fn).__name__}")
        return "define `def predict_sets(probs, thresholds): ...` and pass the function itself"
    rng = np.random.default_rng(0)
    for n, k in [(3, 3), (20, 5)]:
        p = np.round(rng.random((n, k)), 1)
        t = np.round(rng.uniform(0.2, 0.8, k), 1)
        want = (p >= t).astype(int)
        got = np.asarray(fn(p, t))
        if got.shape != want.shape or not np.array_equal(got.astype(int), want):
            c.fail(f"for probs of shape {p.shape} your label sets differ from probs >= thresholds")
            return ("labels are independent: compare each probability with its own label's threshold "
                    "(probs >= thresholds broadcasts over rows); do not take an argmax")
    c.ok("your label sets match probs >= thresholds, one threshold per label")
    return ""


def _read_hardest(measured):
    """The label with the lowest test F1 (``{label: f1}``)."""
    f1 = {str(k): float(v) for k, v in dict(measured).items()}
    worst = min(f1, key=f1.get)
    ranked = ", ".join(f"{k} {v:.3f}" for k, v in sorted(f1.items(), key=lambda kv: kv[1]))
    return worst, (f"test F1 per label, lowest first: {ranked}. Equal frequencies do not make labels equally "
                   "easy: a shape whose outline resembles parts of the others (or that a small grid cell "
                   "renders poorly) is harder to tell apart")


predict_then_measure("10.4", "Which label is hardest?", ("circle", "square", "triangle", "cross"), _read_hardest)
