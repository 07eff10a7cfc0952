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


# 08.4: an example measurement (your notebook's numbers differ a little); recall barely moves, precision falls
RARE = {"precision": (0.76, 0.26), "recall": (0.97, 0.97)}

SOLUTIONS = {"08.1": prf, "08.2": lambda: recall_at, "08.3": lambda: 0.5,
             "08.4": lambda: {"prediction": "precision", "measured": RARE}}
WRONG = {"08.1": (lambda: (0.8, 0.6, 0.6857), "swapped"), "08.2": (lambda: recall_strict, ">="),
         "08.3": (lambda: 0.95, "rank"),
         "08.4": (lambda: {"prediction": "recall", "measured": RARE}, "rate among the sick")}
