"""Checkers for notebook 09 (class imbalance)."""
from __future__ import annotations

from clskit.exercises import exercise, predict_then_measure


@exercise("09.1", "The always-majority trap")
def _majority(answer, c):
    v = c.number(answer)
    if v is None:
        return "answer with one number between 0 and 1"
    want = 2000 / 2500  # 2,000 normal and 500 pneumonia X-rays
    if c.expect(abs(v - want) < 1e-3, f"{want:.3f}: the share of the majority class",
                f"{v} is not the accuracy of always predicting the majority class"):
        return ""
    if abs(v - 0.5) < 1e-6:
        return "0.5 is its balanced accuracy; plain accuracy counts every correct image, and every majority image is correct"
    if abs(v - 2000 / 500) < 1e-3 or abs(v - 0.25) < 1e-3:
        return "that is a ratio of the two classes; accuracy divides the correct images by all images"
    return "every majority image is classified correctly and every rare one wrongly: accuracy = majority / total"


REMEDIES = ("class weights", "oversampling", "undersampling", "focal loss")


def _read_auc_drop(measured):
    """Did any trained remedy lower test ROC AUC clearly (``{remedy: (diff, low, high)}`` in points)? "none" unless an
    interval lies entirely below 0; otherwise the remedy with the largest clear drop."""
    clear = [r for r in measured if measured[r][2] < 0]
    outcome = min(clear, key=lambda r: measured[r][0]) if clear else "none"
    worst = min(measured, key=lambda r: measured[r][0])
    diff, low, high = measured[worst]
    others = ", ".join(f"{r} {measured[r][0]:+.1f}" for r in measured if r != worst)
    if high < 0:
        verdict = "its interval lies below 0"
    elif clear:
        verdict = f"its interval includes 0, but {', '.join(clear)} lowered it clearly"
    else:
        verdict = "but its interval includes 0, and so do the others'"
    why = (f"{worst} changed ROC AUC the most, by {diff:+.1f} pts (95% CI {low:+.1f} to {high:+.1f}; {verdict}); "
           f"the others: {others} pts. Weights, resampling with repeats and focal loss change how much each training "
           "image counts, while undersampling throws most of the common images away, which makes it the one to "
           "suspect; only an interval below 0 shows that a remedy cost ranking quality")
    return outcome, why


predict_then_measure("09.2", "Does any remedy clearly cost ranking quality?", ("none", *REMEDIES), _read_auc_drop)


@exercise("09.3", "Find the bug: a threshold-moving score that is too good")
def _leak(answer, c):
    try:
        line = int(answer)
    except (TypeError, ValueError):
        c.fail(f"expected a line number; got {answer!r}")
        return "answer with the number of the line that is wrong (1 to 4)"
    if c.expect(line == 2, "line 2: the threshold is chosen on the test images that then score it",
                f"line {line} is not the bug"):
        return ""
    hints = {1: "line 1 only reads the setting's share of pneumonia, which is known before any test image is seen",
             3: "scoring on the test set is right: the final number belongs there, measured once. Where did the "
                "threshold that line 3 uses come from?",
             4: "line 4 only prints. Which line lets the test set influence a choice made before the exam?"}
    return hints.get(line, "read each line and ask: which data does it use, and should the test set be involved "
                           "in choosing the threshold?")


def _read_rare_pneumonia(measured):
    """Which fell more for the baseline from the real ratio to the harsh one (``{name: (real, harsh)}``)."""
    (a0, a1), (r0, r1) = measured["accuracy"], measured["pneumonia recall"]
    da, dr = a0 - a1, r0 - r1
    if abs(da - dr) < 0.05:
        outcome = "about the same"
    else:
        outcome = "accuracy" if da > dr else "pneumonia recall"
    why = (f"accuracy went {a0:.3f} → {a1:.3f}, pneumonia recall {r0:.3f} → {r1:.3f}. When pneumonia is rare, "
           "a model can miss many of the cases and still be right on the many normal X-rays, so accuracy hides "
           "what recall shows")
    return outcome, why


predict_then_measure("09.4", "Rare pneumonia: does accuracy or recall fall more?",
                     ("accuracy", "pneumonia recall", "about the same"), _read_rare_pneumonia)
