"""Solutions to the exercises of notebook 15 (try them yourself first)."""
import numpy as np


def top_k(logits, targets, k):
    best = np.argsort(-np.asarray(logits), axis=1)[:, :k]
    return float((best == np.asarray(targets)[:, None]).any(1).mean())


def top_1_only(logits, targets, k):
    return float((np.asarray(logits).argmax(1) == np.asarray(targets)).mean())


# 15.1: the group keeps more of its margin at 64 px (interval above 0), and a run where the two keep the same
FINE_FASTER = {"size": 64, "fine_kept": 0.20, "coarse_kept": 0.35, "low": 10.0, "high": 19.0}
SAME = {**FINE_FASTER, "coarse_kept": 0.21, "low": -4.0, "high": 5.0}
# 15.2: top-5 at low resolution partly recovers top-1
PARTLY = {"top1_full": 0.78, "top1_low": 0.20, "top5_low": 0.50}
# 15.4: the 10-way decision keeps more of its margin than the group credit
TEN_WAY_MORE = {"size": 64, "ten_way_kept": 0.59, "group_kept": 0.35, "low": 18.0, "high": 30.0}

SOLUTIONS = {
    "15.1": lambda: {"prediction": "fine-grained", "measured": FINE_FASTER},
    "15.2": lambda: {"prediction": "partly", "measured": PARTLY},
    "15.3": lambda: top_k,
    "15.4": lambda: {"prediction": "10-way", "measured": TEN_WAY_MORE},
}
WRONG = {
    "15.1": (lambda: {"prediction": "fine-grained", "measured": SAME}, "margin"),
    "15.2": (lambda: {"prediction": "fully", "measured": PARTLY}, "top-5"),
    "15.3": (lambda: top_1_only, "k largest"),
    "15.4": (lambda: {"prediction": "group", "measured": TEN_WAY_MORE}, "fewer alternatives"),
}
