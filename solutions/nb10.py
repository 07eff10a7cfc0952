"""Solutions to the exercises of notebook 10 (try them yourself first)."""
import numpy as np

TARGETS = np.array([[1, 1, 0], [1, 0, 1], [0, 0, 1]])
PROBS = np.array([[0.9, 0.6, 0.2], [0.7, 0.4, 0.3], [0.2, 0.1, 0.8]])


def predict_sets(probs, thresholds):
    return (np.asarray(probs) >= np.asarray(thresholds)).astype(int)


def argmax_sets(probs, thresholds):  # a plausible mistake: single-label thinking
    p = np.asarray(probs)
    return np.eye(p.shape[1], dtype=int)[p.argmax(1)]


# 10.4: an example measurement (your notebook's numbers differ): the square is hardest here
F1 = {"circle": 0.943, "square": 0.587, "triangle": 0.842, "cross": 0.984}

SOLUTIONS = {"10.4": lambda: {"prediction": "square", "measured": F1},
             "10.1": lambda: float(((PROBS >= 0.5) != TARGETS).mean()),
             "10.2": lambda: float(((PROBS >= 0.5) == TARGETS).all(1).mean()),
             "10.3": lambda: predict_sets}
WRONG = {"10.1": (lambda: 1 / 3, "(image, label)"), "10.2": (lambda: 8 / 9, "whole label set"),
         "10.3": (lambda: argmax_sets, "independent"),
         "10.4": (lambda: {"prediction": "cross", "measured": F1}, "lowest first")}
