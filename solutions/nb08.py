"""Solutions to the exercises of notebook 08 (try them yourself first)."""
import numpy as np


def prf():
    tp, fp, fn = 24, 16, 6          # flagged 40 of which 24 are abnormal; 30 abnormal in total
    p, r = tp / (tp + fp), tp / (tp + fn)
    return p, r, 2 * p * r / (p + r)


def recall_at(targets, scores, threshold):
    y, s = np.asarray(targets), np.asarray(scores)
    pred = s >= threshold
    return float((pred & (y == 1)).sum() / (y == 1).sum())


def recall_strict(targets, scores, threshold):  # a plausible mistake: '>' drops the ties
    y, s = np.asarray(targets), np.asarray(scores)
    return float(((s > threshold) & (y == 1)).sum() / (y == 1).sum())


# 08.1: an example measurement (your notebook's numbers differ a little); recall barely moves, precision falls
RARE = {"precision": (0.82, 0.33), "recall": (0.97, 0.97)}
# 08.2: an example measurement: validation ECE (raw, scaled), test ECE (raw, scaled)
CALIBRATION = {"valid": (0.024, 0.021), "test": (0.098, 0.085)}

SOLUTIONS = {"08.1": lambda: {"prediction": "precision", "measured": RARE},
             "08.2": lambda: {"prediction": "far above", "measured": CALIBRATION},
             "08.3": prf, "08.4": lambda: recall_at, "08.5": lambda: 3}
WRONG = {"08.1": (lambda: {"prediction": "recall", "measured": RARE}, "rate among the sick"),
         "08.2": (lambda: {"prediction": "close", "measured": CALIBRATION}, "validation can only correct"),
         "08.3": (lambda: (0.8, 0.6, 0.6857), "swapped"), "08.4": (lambda: recall_strict, ">="),
         "08.5": (lambda: 2, "every score")}
