"""Solutions to the exercises of notebook 10 (try them yourself first)."""
import numpy as np

import clskit

TARGETS = np.array([[1, 1, 0], [1, 0, 1], [0, 0, 1]])
PROBS = np.array([[0.9, 0.6, 0.2], [0.7, 0.4, 0.3], [0.2, 0.1, 0.8]])


def predict_sets(probs, thresholds):
    return (np.asarray(probs) >= np.asarray(thresholds)).astype(int)


def argmax_sets(probs, thresholds):  # a plausible mistake: single-label thinking
    p = np.asarray(probs)
    return np.eye(p.shape[1], dtype=int)[p.argmax(1)]


def per_row_sets(probs, thresholds):  # the notebook's bug: one threshold per image (row), not per label
    return (np.asarray(probs) >= np.asarray(thresholds)[:, None]).astype(int)


# 10.2: an example measurement (points changed when the rare label is switched off; your numbers differ a little)
CHANGE = {"Hamming loss": 0.75, "micro F1": -1.0, "macro F1": -17.3}
# 10.4: an example measurement (sigmoid minus softmax subset accuracy, both tuned; the notebook's run): the interval
# reaches 0 at its lower end, so "no clear difference", only just. Another run can end with the sigmoid head clearly
# ahead: read your own.
TUNED_HEADS = clskit.stats.PairedDifference(2.0, 0.0, 4.0, 300, "images")

SOLUTIONS = {"10.1": lambda: float(((PROBS >= 0.5) != TARGETS).mean()),
             "10.2": lambda: {"prediction": "macro F1", "measured": CHANGE},
             "10.3": lambda: predict_sets,
             "10.4": lambda: {"prediction": "no clear difference", "measured": TUNED_HEADS}}
WRONG = {"10.1": (lambda: 1 / 3, "(image, label)"),
         "10.2": (lambda: {"prediction": "Hamming loss", "measured": CHANGE}, "pool every"),
         "10.3": (lambda: per_row_sets, "(4, 3)"),
         "10.4": (lambda: {"prediction": "sigmoid better", "measured": TUNED_HEADS}, "how many labels")}
