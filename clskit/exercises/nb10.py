"""Checkers for notebook 10 (multi-label classification)."""
from __future__ import annotations

import numpy as np

from clskit.exercises import exercise, predict_then_measure

# three images, three labels (outdoor, daytime, people)
TARGETS = np.array([[1, 1, 0], [1, 0, 1], [0, 0, 1]])
PROBS = np.array([[0.9, 0.6, 0.2], [0.7, 0.4, 0.3], [0.2, 0.1, 0.8]])


@exercise("10.1", "Hamming loss by hand")
def _hamming(answer, c):
    v = c.number(answer)
    if v is None:
        return "answer with one number between 0 and 1"
    want = float(((PROBS >= 0.5) != TARGETS).mean())
    if c.expect(abs(v - want) < 1e-3, f"{want:.4f}: one wrong decision among nine", f"{v} is not the Hamming loss"):
        return ""
    if abs(v - 1 / 3) < 1e-3:
        return "that is the share of images with any mistake; Hamming loss counts wrong (image, label) decisions"
    return "threshold every probability at 0.5, compare with the targets entry by entry, and take the fraction of wrong label decisions"


def _read_softmax_sets(measured):
    """Which option the measured exact-match rate of the softmax head on images with 2+ labels supports."""
    rate = float(measured)
    outcome = "none" if rate < 0.05 else "most" if rate >= 0.5 else "some"
    return outcome, (f"the softmax head got {rate:.0%} of the images with two or more labels exactly right at "
                     "threshold 0.5. Its outputs sum to 1, so at most one label can exceed 0.5: an image with two "
                     "labels can never get both")


predict_then_measure("10.2", "A softmax head on images with several labels", ("most", "some", "none"),
                     _read_softmax_sets)


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


def _read_biggest_change(measured):
    """The score that moves most (in points) when the rare label is switched off (``{score: change}``)."""
    change = {str(k): abs(float(v)) for k, v in dict(measured).items()}
    biggest = max(change, key=change.get)
    ranked = ", ".join(f"{k} {v:.1f}" for k, v in sorted(change.items(), key=lambda kv: -kv[1]))
    return biggest, (f"change in points when the rare label is never predicted, largest first: {ranked}. Hamming "
                     "loss and micro F1 pool every (image, label) decision, so a label with few positives carries "
                     "few of them; macro F1 gives each label a quarter of the score whatever its frequency")


predict_then_measure("10.4", "Which score notices a rare label switched off?", ("Hamming loss", "micro F1", "macro F1"),
                     _read_biggest_change)
