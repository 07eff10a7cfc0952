"""Solutions to the exercises of notebook 15 (try them yourself first)."""
import numpy as np

SIZES = [160, 128, 96, 64, 48, 32]


def top_k(logits, targets, k):
    best = np.argsort(-np.asarray(logits), axis=1)[:, :k]
    return float((best == np.asarray(targets)[:, None]).any(1).mean())


def top_1_only(logits, targets, k):
    return float((np.asarray(logits).argmax(1) == np.asarray(targets)).mean())


# 15.1: a measurement in which the exact class falls faster (fine-grained), and one in which it does not
FINE_FASTER = {"sizes": SIZES, "fine": [0.62, 0.48, 0.30, 0.08, 0.03, 0.01], "fine_chance": 0.001,
               "coarse": [0.95, 0.91, 0.85, 0.62, 0.45, 0.25], "coarse_chance": 0.1}
COARSE_FASTER = {**FINE_FASTER, "fine": [0.62, 0.60, 0.58, 0.55, 0.52, 0.50]}
# 15.2: top-5 at low resolution partly recovers top-1
PARTLY = {"top1_full": 0.78, "top1_low": 0.20, "top5_low": 0.50}

SOLUTIONS = {
    "15.1": lambda: {"prediction": "fine-grained", "measured": FINE_FASTER},
    "15.2": lambda: {"prediction": "partly", "measured": PARTLY},
    "15.3": lambda: top_k,
}
WRONG = {
    "15.1": (lambda: {"prediction": "fine-grained", "measured": COARSE_FASTER}, "margin"),
    "15.2": (lambda: {"prediction": "fully", "measured": PARTLY}, "top-5"),
    "15.3": (lambda: top_1_only, "k largest"),
}
