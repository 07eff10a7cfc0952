"""Checkers for notebook 09 (class imbalance)."""
from __future__ import annotations

import numpy as np

from clskit.exercises import exercise, predict_then_measure


def _number(answer, c) -> float | None:
    try:
        return float(answer)
    except (TypeError, ValueError):
        c.fail(f"expected a number; got {answer!r}")
        return None


@exercise("09.1", "The always-majority trap")
def _majority(answer, c):
    v = _number(answer, c)
    if v is None:
        return "answer with one number between 0 and 1"
    want = 2000 / 2100  # 2,000 normal and 100 rare images
    if c.expect(abs(v - want) < 1e-3, f"{want:.4f}: the share of the majority class",
                f"{v} is not the accuracy of always predicting the majority class"):
        return ""
    if abs(v - 0.5) < 1e-6:
        return "0.5 is its balanced accuracy; plain accuracy counts every correct image, and every majority image is correct"
    return "every majority image is classified correctly and every rare one wrongly: accuracy = majority / total"


@exercise("09.2", "Inverse-frequency class weights")
def _weights(answer, c):
    counts = np.array([900, 90, 10])
    want = (1 / counts) / (1 / counts).mean()
    try:
        got = np.asarray(answer, dtype=float).ravel()
    except (TypeError, ValueError):
        c.fail(f"expected three numbers; got {answer!r}")
        return "answer with a list of three weights, one per class"
    if got.shape != (3,):
        c.fail(f"expected three weights (one per class); got {got.size}")
        return "answer with a list of three weights, one per class"
    if c.expect(np.allclose(got, want, rtol=1e-3), "the weights are 1/count, scaled to mean 1",
                f"{np.round(got, 4).tolist()} are not the expected weights"):
        return ""
    if np.allclose(got / got.mean(), want, rtol=1e-3):
        return "the ratios are right; now divide by their mean so the weights average 1"
    return "weight_k = (1 / count_k) divided by the mean of all (1 / count); compare clskit.class_weights"


@exercise("09.3", "How much focal loss shrinks an easy example")
def _focal(answer, c):
    v = _number(answer, c)
    if v is None:
        return "answer with one number"
    want = 1 / (1 - 0.9) ** 2  # cross-entropy / focal = 1 / (1 - p_t)^gamma
    if c.expect(abs(v - want) < 0.5, f"{want:.0f} times smaller: (1 - 0.9)^2 = 0.01",
                f"{v} is not the ratio between cross-entropy and focal loss at p_t = 0.9, gamma = 2"):
        return ""
    return "focal loss = (1 - p_t)^gamma * cross-entropy; with gamma = 2 the factor is squared, so the ratio is 1 / (1 - p_t)^2"


def _read_rare_pneumonia(measured):
    """Which fell more for the baseline from the real ratio to the harsh one (``{name: (real, harsh)}``)."""
    (a0, a1), (r0, r1) = measured["accuracy"], measured["pneumonia recall"]
    da, dr = a0 - a1, r0 - r1
    if abs(da - dr) < 0.05:
        outcome = "about the same"
    else:
        outcome = "accuracy" if da > dr else "pneumonia recall"
    why = (f"accuracy went {a0:.3f} → {a1:.3f}, pneumonia recall {r0:.3f} → {r1:.3f}. When pneumonia is rare, "
           "a model can miss most of it and still be right on the many normal X-rays, so accuracy hides "
           "what recall shows")
    return outcome, why


predict_then_measure("09.4", "Rare pneumonia: does accuracy or recall fall more?",
                     ("accuracy", "pneumonia recall", "about the same"), _read_rare_pneumonia)
