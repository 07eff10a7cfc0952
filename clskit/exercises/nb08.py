"""Checkers for notebook 08 (evaluation metrics)."""
from __future__ import annotations

import numpy as np

from clskit.exercises import exercise, predict_then_measure


@exercise("08.3", "Precision, recall and F1 of a triage model")
def _prf(answer, c):
    # 1,000 people, 30 abnormal; the model flags 40, of which 24 are truly abnormal
    tp, fp, fn = 24, 16, 6
    p, r = tp / (tp + fp), tp / (tp + fn)
    want = (p, r, 2 * p * r / (p + r))
    try:
        got = tuple(float(v) for v in answer)
    except TypeError:
        c.fail(f"expected a tuple (precision, recall, f1); got {answer!r}")
        return "answer with three numbers: (precision, recall, f1)"
    if len(got) != 3:
        c.fail(f"expected three numbers (precision, recall, f1); got {len(got)}")
        return "answer with three numbers: (precision, recall, f1)"
    names = ("precision", "recall", "F1")
    for name, g, w in zip(names, got, want):
        c.expect(abs(g - w) < 1e-3, f"{name} is right ({w:.3f})", f"{name} {g:.3f} is not right")
    if abs(got[0] - want[1]) < 1e-3 and abs(got[1] - want[0]) < 1e-3:
        return ("precision and recall are swapped: precision divides by what the model flagged (40), "
                "recall by the abnormal cases that exist (30)")
    return "precision = TP / flagged, recall = TP / truly abnormal, F1 = 2PR / (P + R)"


@exercise("08.4", "Recall at a threshold")
def _recall_at(fn, c):
    if not callable(fn):
        c.fail(f"expected a function recall_at(targets, scores, threshold); got {type(fn).__name__}")
        return "define `def recall_at(targets, scores, threshold): ...` and pass the function itself"
    from clskit.metrics import binary_metrics_at

    rng = np.random.default_rng(0)
    cases = [(np.array([0, 1, 1, 1]), np.array([0.2, 0.5, 0.7, 0.4]), 0.5)]
    for n in (30, 200):
        y = (rng.random(n) < 0.3).astype(int)
        y[0] = 1
        s = np.round(rng.random(n), 1)  # many ties, some exactly on the threshold
        cases.append((y, s, 0.5))
    for y, s, t in cases:
        want = binary_metrics_at(y, s, t)["recall"]
        got = fn(y, s, t)
        if got is None or abs(float(got) - want) > 1e-9:
            c.fail(f"for {len(y)} samples at threshold {t} you returned {got!r}; the recall is {want:.4f}")
            return ("a score equal to the threshold counts as positive: predict positive when score >= threshold, "
                    "then recall = TP / (TP + FN)")
    c.ok("your recall matches clskit.metrics.binary_metrics_at, ties included")
    return ""


def _read_prevalence(measured):
    """Which of precision and recall fell more when pneumonia became rare (``{name: (before, after)}``)."""
    (p0, p1), (r0, r1) = measured["precision"], measured["recall"]
    dp, dr = p0 - p1, r0 - r1
    if abs(dp - dr) < 0.05:
        outcome = "about the same"
    else:
        outcome = "precision" if dp > dr else "recall"
    why = (f"precision went {p0:.3f} → {p1:.3f}, recall {r0:.3f} → {r1:.3f}. Recall is a rate among the sick "
           "children only, so it does not care how many healthy ones are X-rayed; precision divides by all "
           "alarms, and with more healthy children the false alarms grow while the true ones shrink")
    return outcome, why


predict_then_measure("08.1", "Rare pneumonia: does precision or recall fall?",
                     ("precision", "recall", "about the same"), _read_prevalence)


def _read_calibration(measured):
    """Is the test ECE after temperature scaling close to the validation ECE (``{"valid": (raw, scaled),
    "test": (raw, scaled)}``)? "Far above": more than twice the validation ECE and more than 0.02 above it."""
    v1, (t0, t1) = measured["valid"][1], measured["test"]
    outcome = "far above" if (t1 - v1 > 0.02 and t1 > 2 * v1) else "close"
    moved = "fell" if t1 < t0 else ("rose" if t1 > t0 else "did not move")
    why = (f"the test ECE {moved} from {t0:.3f} to {t1:.3f}, against {v1:.3f} on validation. One temperature "
           "fitted on validation can only correct a miscalibration that the validation X-rays show; the test "
           "X-rays are harder, and the model's confidence does not know it")
    return outcome, why


predict_then_measure("08.2", "Temperature scaling on another population", ("close", "far above"),
                     _read_calibration)


@exercise("08.5", "Find the bug: a ROC AUC computed from the decisions")
def _auc_of_decisions(answer, c):
    try:
        line = int(answer)
    except (TypeError, ValueError):
        c.fail(f"expected a line number; got {answer!r}")
        return "answer with the number of the line that is wrong (1 to 3)"
    if c.expect(line == 3, "line 3: ROC AUC ranks scores, and it was given the 0/1 decisions at 0.5 instead of the "
                           "scores; with one threshold left its area is the balanced accuracy",
                f"line {line} is not the bug"):
        return ""
    hints = {1: "argmax is the decision at threshold 0.5, a fine thing to compute. Which metric then receives it, "
                "and what does that metric need?",
             2: "M.accuracy takes the probabilities and applies argmax itself, so the accuracy is right (it matches). "
                "Which metric needs every score, not only the decision?"}
    return hints.get(line, "read each line and ask which input each metric needs: a decision or a score?")
